// SPDX-License-Identifier: Apache-2.0
/*
 * GICv3 set-up in the order Linux uses (gic_dist_init, gic_enable_redist,
 * gic_cpu_config, gic_cpu_sys_reg_init). The CPU interface is reached
 * through the ICC_* system registers.
 */
#include "gic.h"

#define GICD_CTLR_RWP		(1u << 31)
#define GICD_CTLR_ENABLE	0x13u	/* ARE_NS | EnableGrp1A | EnableGrp1 */
#define GICR_TYPER_LAST		(1u << 4)
#define GICR_WAKER_SLEEP	(1u << 1)
#define GICR_WAKER_ASLEEP	(1u << 2)
#define GICR_MAX		8
#define GIC_SGIS_MASK		0x0000ffffu

static uintptr_t sgi_base[GICR_MAX];

static int wait_bits_clear(uintptr_t reg, uint32_t bits)
{
	uint64_t end = timer_now() + ms_to_ticks(100);

	while (mmio_read32(reg) & bits)
		if (timer_now() >= end)
			return -1;
	return 0;
}

unsigned gic_irq_words(void)
{
	return (mmio_read32(GICD_BASE + GICD_TYPER) & 0x1f) + 1;
}

int gic_init_dist(void)
{
	mmio_write32(GICD_BASE + GICD_CTLR, 0);
	if (wait_bits_clear(GICD_BASE + GICD_CTLR, GICD_CTLR_RWP))
		return -1;
	for (unsigned n = 1; n < gic_irq_words(); n++) {
		mmio_write32(GICD_BASE + GICD_IGROUPR + 4 * n, ~0u);
		mmio_write32(GICD_BASE + GICD_ICACTIVER + 4 * n, ~0u);
		mmio_write32(GICD_BASE + GICD_ICENABLER + 4 * n, ~0u);
	}
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ENABLE);
	return wait_bits_clear(GICD_BASE + GICD_CTLR, GICD_CTLR_RWP);
}

/* Our redistributor: GICR_TYPER[63:32] holds Aff3.Aff2.Aff1.Aff0. */
static uintptr_t gicr_find(void)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);
	uint64_t aff = (mpidr & 0xffffff) | (mpidr >> 32 & 0xff) << 24;
	uintptr_t rd = GICR_BASE;

	for (int i = 0; i < GICR_MAX; i++, rd += GICR_STRIDE) {
		uint64_t typer = mmio_read64(rd + GICR_TYPER);

		if (typer >> 32 == aff)
			return rd;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return 0;
}

static void gic_cpu_config(uintptr_t sgi)
{
	mmio_write32(sgi + GICR_IGROUPR0, ~0u);
	mmio_write32(sgi + GICR_ICACTIVER0, ~0u);
	mmio_write32(sgi + GICR_ICENABLER0, ~0u & ~GIC_SGIS_MASK);
	mmio_write32(sgi + GICR_ISENABLER0, GIC_SGIS_MASK);
	for (unsigned i = 0; i < 32; i += 4)
		mmio_write32(sgi + GICR_IPRIORITYR + i, GIC_PRIO_WORD);
}

static void gic_cpu_sysregs(void)
{
	write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | 1);
	isb();
	write_sysreg(icc_pmr_el1, 0xff);
	write_sysreg(icc_bpr1_el1, 0);
	write_sysreg(icc_ctlr_el1, 0);	/* EOImode 0: EOIR also deactivates */
	write_sysreg(icc_igrpen1_el1, 1);
	isb();
}

int gic_init_cpu(void)
{
	uintptr_t rd = gicr_find();

	if (!rd || cpu_id() >= GICR_MAX)
		return -1;
	mmio_write32(rd + GICR_WAKER,
		     mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_SLEEP);
	if (wait_bits_clear(rd + GICR_WAKER, GICR_WAKER_ASLEEP))
		return -2;
	sgi_base[cpu_id()] = rd + GICR_SGI;
	gic_cpu_config(rd + GICR_SGI);
	gic_cpu_sysregs();
	return 0;
}

uintptr_t gic_sgi_base(void)
{
	return sgi_base[cpu_id() % GICR_MAX];
}

void gic_enable_ppi(unsigned intid)
{
	mmio_write32(gic_sgi_base() + GICR_ISENABLER0, 1u << intid);
}

uint32_t gic_ack(void)
{
	uint32_t intid = read_sysreg(icc_iar1_el1) & 0xffffff;

	__asm__ volatile("dsb sy" : : : "memory");
	return intid;
}

void gic_eoi(uint32_t intid)
{
	write_sysreg(icc_eoir1_el1, intid);
	isb();
}

/* ICC_SGI1R_EL1: Aff3 [55:48], RS [47:44], Aff2 [39:32], INTID [27:24],
 * Aff1 [23:16], target list [15:0] (Aff0 = 16 * RS + bit). */
void gic_send_sgi(unsigned intid, uint64_t mpidr)
{
	uint64_t aff0 = mpidr & 0xff;
	uint64_t v = (mpidr >> 32 & 0xff) << 48 | (aff0 >> 4) << 44 |
		     (mpidr >> 16 & 0xff) << 32 | (uint64_t)(intid & 0xf) << 24 |
		     (mpidr >> 8 & 0xff) << 16 | 1ull << (aff0 & 0xf);

	dsb();
	write_sysreg(icc_sgi1r_el1, v);
	isb();
}
