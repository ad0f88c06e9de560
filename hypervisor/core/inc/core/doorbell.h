/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's doorbell (docs/guest-agent.md): an interrupt the
 * hypervisor raises when a host command is queued on the TCLO channel,
 * so the guest's agent sleeps until there is something to fetch instead
 * of polling the backdoor.
 *
 * The guest sees it as an interrupt-only key of a "gpio-keys" device
 * (label "verge-doorbell", code BTN_0), which Debian's stock kernel
 * drives (gpio_keys + evdev): the agent blocks in poll() on its
 * /dev/input/eventN. There is no register: the doorbell carries no
 * data, the command itself still goes through the backdoor, and a
 * guest cannot reach anything through it. The hypervisor only makes
 * the guest's own SPI pending in the distributor (an edge interrupt);
 * the guest's enable, priority and routing of it apply as for any SPI.
 */
#ifndef CORE_DOORBELL_H
#define CORE_DOORBELL_H
#include <core/compat.h>

#define DOORBELL_SPI	15		/* GIC SPI 15, INTID 47 */
#define DOORBELL_LABEL	"verge-doorbell"
#define DOORBELL_CODE	0x100		/* BTN_0: no keyboard, no power key */

/* Whether the guest is given the doorbell (guest_dt.c added its node). */
void doorbell_init(bool present);
bool doorbell_present(void);
/* A host command is queued: make the guest's SPI pending. */
void doorbell_ring(void);
/* How many times it was rung. */
uint64_t doorbell_rings(void);
#endif
