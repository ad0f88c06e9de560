/* SPDX-License-Identifier: Apache-2.0 */
/* The physical GICv3: distributor, redistributors, EL2 CPU interface and
 * the list registers of the virtual CPU interface. */
#ifndef ARCH_GIC_H
#define ARCH_GIC_H
#include <stdbool.h>
#include <stdint.h>

#define GICD_CTLR		0x0000
#define GICD_TYPER		0x0004
#define GICD_CTLR_RWP		(1u << 31)
#define GICD_CTLR_ARE		(1u << 4)
#define GICD_CTLR_G1		(1u << 1)
#define GICD_CTLR_G0		(1u << 0)
#define GICD_TYPER_LPIS		(1u << 17)
#define GICD_TYPER_MBIS		(1u << 16)

#define GICR_STRIDE		0x20000
#define GICR_SGI		0x10000
#define GICR_CTLR		0x0000
#define GICR_TYPER		0x0008
#define GICR_WAKER		0x0014
#define GICR_PROPBASER		0x0070
#define GICR_PENDBASER		0x0078
#define GICR_TYPER_PLPIS	(1u << 0)
#define GICR_TYPER_VLPIS	(1u << 1)
#define GICR_TYPER_LAST		(1u << 4)
#define GICR_CTLR_ENABLE_LPIS	(1u << 0)
#define GICR_WAKER_PSLEEP	(1u << 1)
#define GICR_WAKER_CASLEEP	(1u << 2)
#define GICR_IGROUPR0		0x0080
#define GICR_ISENABLER0		0x0100
#define GICR_IPRIORITYR		0x0400

#define ICH_LR_STATE_PENDING	(1UL << 62)
#define ICH_LR_STATE_ACTIVE	(1UL << 63)
#define ICH_LR_HW		(1UL << 61)
#define ICH_LR_GROUP1		(1UL << 60)
#define ICH_LR_PRIO_SHIFT	48
#define ICH_LR_PINTID_SHIFT	32
#define ICH_HCR_EN		(1UL << 0)
#define ICH_HCR_UIE		(1UL << 1)

#define ICC_SGI1R_INTID_SHIFT	24
#define ICC_SGI1R_IRM		(1UL << 40)

static inline uint64_t mmio_read(uintptr_t a, unsigned size)
{
	switch (size) {
	case 1: return *(volatile uint8_t *)a;
	case 2: return *(volatile uint16_t *)a;
	case 4: return *(volatile uint32_t *)a;
	default: return *(volatile uint64_t *)a;
	}
}

static inline void mmio_write(uintptr_t a, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *(volatile uint8_t *)a = (uint8_t)v; break;
	case 2: *(volatile uint16_t *)a = (uint16_t)v; break;
	case 4: *(volatile uint32_t *)a = (uint32_t)v; break;
	default: *(volatile uint64_t *)a = v; break;
	}
}

void gic_dist_init(uintptr_t gicd);
/* Redistributor frames in the window, up to the one marked Last. */
unsigned gic_redist_count(uintptr_t gicr, uint64_t size);
/* Finds this CPU's redistributor, wakes it, enables hv PPIs/SGIs. */
int gic_cpu_init(uintptr_t gicr, uint64_t gicr_size, uint64_t mpidr,
		 uintptr_t *ret_rd);
/* A hypervisor SPI: group 1, edge, routed to mpidr, enabled. */
void gic_enable_spi(uintptr_t gicd, unsigned intid, uint64_t mpidr);
/* Routes an SPI to the CPU with this MPIDR (GICD_IROUTER). */
void gic_route_spi(uintptr_t gicd, unsigned intid, uint64_t mpidr);
unsigned gic_ack(void);
void gic_eoi(unsigned intid);		/* priority drop (EOImode 1) */
void gic_deactivate(unsigned intid);
void gic_send_sgi_others(unsigned intid);
void gic_send_sgi_raw(uint64_t icc_sgi1r);
/* An SGI to the one CPU with that MPIDR. */
void gic_send_sgi_to(uint64_t mpidr, unsigned intid);

/* Virtual CPU interface: empty LRs, no active priorities, enabled. */
void gic_vcpu_reset(unsigned nr_lr);
unsigned gic_lr_count(void);
uint64_t gic_lr_read(unsigned i);
void gic_lr_write(unsigned i, uint64_t v);
uint64_t gic_empty_lrs(void);		/* ICH_ELRSR_EL2 */
void gic_set_underflow_irq(bool on);
#endif
