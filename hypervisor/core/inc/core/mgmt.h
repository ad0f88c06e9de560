/* SPDX-License-Identifier: Apache-2.0 */
/* The management channel: verge_proto frames over a virtio console that
 * the hypervisor owns. Requests are served on CPU 0; events can be sent
 * from any CPU. */
#ifndef CORE_MGMT_H
#define CORE_MGMT_H
#include <stdbool.h>
#include <stdint.h>

struct platform;

/* Finds the virtio console among the hypervisor's devices. */
void mgmt_init(const struct platform *p);
bool mgmt_is_irq(unsigned intid);
void mgmt_irq(void);
void mgmt_poll(void);
void mgmt_event(uint8_t type, const void *payload, uint32_t len);
#endif
