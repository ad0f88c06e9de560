/* SPDX-License-Identifier: Apache-2.0 */
/* The management channel: verge_proto frames over a virtio console that
 * the hypervisor owns. Requests are served, one at a time, by any online
 * CPU (the one the interrupt is routed to, or any CPU's tick); events
 * can be sent from any CPU. */
#ifndef CORE_MGMT_H
#define CORE_MGMT_H
#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct platform;

/* Finds the virtio console among the hypervisor's devices. */
void mgmt_init(const struct platform *p);
bool mgmt_is_irq(unsigned intid);
void mgmt_irq(void);
void mgmt_poll(void);
/* Before a CPU switches off: the interrupt goes to an online CPU. */
void mgmt_cpu_off(const struct cpu *c);
void mgmt_event(uint8_t type, const void *payload, uint32_t len);
#endif
