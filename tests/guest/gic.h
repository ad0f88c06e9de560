/* SPDX-License-Identifier: Apache-2.0 */
/* GICv3 of QEMU virt, programmed as Linux does. */
#ifndef GIC_H
#define GIC_H

#include "guest.h"

#define GICD_BASE	0x08000000ul
#define GICR_BASE	0x080a0000ul
#define GICR_STRIDE	0x20000ul
#define GICR_SGI	0x10000ul	/* SGI_base frame after RD_base */

#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IGROUPR	0x0080
#define GICD_ICENABLER	0x0180
#define GICD_ICACTIVER	0x0380

#define GICR_TYPER	0x0008
#define GICR_WAKER	0x0014
#define GICR_IGROUPR0	0x0080
#define GICR_ISENABLER0	0x0100
#define GICR_ICENABLER0	0x0180
#define GICR_ICPENDR0	0x0280
#define GICR_ICACTIVER0	0x0380
#define GICR_IPRIORITYR	0x0400

#define GIC_SPURIOUS	1020
#define GIC_PRIO_WORD	0xa0a0a0a0u

int gic_init_dist(void);
int gic_init_cpu(void);
uintptr_t gic_sgi_base(void);
unsigned gic_irq_words(void);
void gic_enable_ppi(unsigned intid);
uint32_t gic_ack(void);
void gic_eoi(uint32_t intid);
void gic_send_sgi(unsigned intid, uint64_t mpidr);

#endif
