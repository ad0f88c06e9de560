/* SPDX-License-Identifier: Apache-2.0 */
/* A virtio console on a virtio-mmio transport (legacy or modern), driven
 * by polling or by its interrupt: the hypervisor's management channel. */
#ifndef DRIVERS_VIRTIO_CONSOLE_H
#define DRIVERS_VIRTIO_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_ID_CONSOLE	3

/* Probes base; 0 if it is a virtio console now driven, negative if not. */
int vcon_init(uintptr_t base);
/* Acknowledges the device's interrupt. */
void vcon_irq_ack(void);
/* Copies received bytes to sink(ctx, data, len) and reposts buffers. */
void vcon_receive(void (*sink)(void *ctx, const void *data, size_t len),
		  void *ctx);
/* Whether received bytes wait for vcon_receive(). */
bool vcon_rx_pending(void);
/* Queues len bytes for the host; -1 if all transmit buffers are busy. */
int vcon_send(const void *data, size_t len);
#endif
