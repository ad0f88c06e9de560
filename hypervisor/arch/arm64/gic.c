// SPDX-License-Identifier: Apache-2.0
/* GICv3 hardware access at EL2. */
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/vgic.h>

#define HV_PRIO		0x80

static void gicd_wait_rwp(uintptr_t gicd)
{
	while (mmio_read(gicd + GICD_CTLR, 4) & GICD_CTLR_RWP)
		;
}

void gic_dist_init(uintptr_t gicd)
{
	/* Affinity routing and both groups on: the guest's later writes to
	 * GICD_CTLR are filtered so that these bits stay set. */
	mmio_write(gicd + GICD_CTLR, 4,
		   GICD_CTLR_ARE | GICD_CTLR_G1 | GICD_CTLR_G0);
	gicd_wait_rwp(gicd);
}

static uintptr_t find_redist(uintptr_t gicr, uint64_t size, uint64_t mpidr)
{
	uint32_t aff = (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);

	for (uint64_t off = 0; off + GICR_STRIDE <= size; off += GICR_STRIDE) {
		uint64_t typer = mmio_read(gicr + off + GICR_TYPER, 8);

		if ((typer >> 32) == aff)
			return gicr + off;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return 0;
}

unsigned gic_redist_count(uintptr_t gicr, uint64_t size)
{
	unsigned n = 0;

	for (uint64_t off = 0; off + GICR_STRIDE <= size; off += GICR_STRIDE) {
		n++;
		if (mmio_read(gicr + off + GICR_TYPER, 8) & GICR_TYPER_LAST)
			break;
	}
	return n;
}

int gic_cpu_init(uintptr_t gicr, uint64_t gicr_size, uint64_t mpidr,
		 uintptr_t *ret_rd)
{
	uintptr_t rd = find_redist(gicr, gicr_size, mpidr), sgi;
	uint32_t mine = vgic_hv_owned[0];

	if (!rd)
		return -1;
	sgi = rd + GICR_SGI;
	mmio_write(rd + GICR_WAKER, 4,
		   mmio_read(rd + GICR_WAKER, 4) & ~GICR_WAKER_PSLEEP);
	while (mmio_read(rd + GICR_WAKER, 4) & GICR_WAKER_CASLEEP)
		;
	mmio_write(sgi + GICR_IGROUPR0, 4,
		   mmio_read(sgi + GICR_IGROUPR0, 4) | mine);
	for (unsigned id = 0; id < 32; id++)
		if (mine & (1u << id))
			mmio_write(sgi + GICR_IPRIORITYR + id, 1, HV_PRIO);
	mmio_write(sgi + GICR_ISENABLER0, 4, mine);

	/* The EL2 CPU interface: system registers, EOImode 1 so that the
	 * guest's EOI of a HW interrupt deactivates it. */
	write_sysreg(S3_4_C12_C9_5, 0xf);	/* ICC_SRE_EL2 */
	isb();
	write_sysreg(S3_0_C4_C6_0, 0xff);	/* ICC_PMR_EL1 */
	write_sysreg(S3_0_C12_C12_3, 0);	/* ICC_BPR1_EL1 */
	write_sysreg(S3_0_C12_C12_4, 1UL << 1);	/* ICC_CTLR_EL1.EOImode */
	write_sysreg(S3_0_C12_C12_7, 1);	/* ICC_IGRPEN1_EL1 */
	isb();
	*ret_rd = rd;
	return 0;
}

void gic_enable_spi(uintptr_t gicd, unsigned intid, uint64_t mpidr)
{
	uintptr_t word = gicd + (intid / 32) * 4;
	uint32_t bit = 1u << (intid % 32);
	uintptr_t cfg = gicd + 0x0c00 + (intid / 16) * 4;
	unsigned shift = (intid % 16) * 2 + 1;

	mmio_write(word + 0x0080, 4, mmio_read(word + 0x0080, 4) | bit);
	mmio_write(gicd + 0x0400 + intid, 1, HV_PRIO);
	mmio_write(cfg, 4, mmio_read(cfg, 4) | (1u << shift));	/* edge */
	gic_route_spi(gicd, intid, mpidr);
	mmio_write(word + 0x0100, 4, bit);
}

void gic_route_spi(uintptr_t gicd, unsigned intid, uint64_t mpidr)
{
	mmio_write(gicd + 0x6000 + intid * 8, 8,
		   (mpidr & 0xffffff) | ((mpidr >> 32 & 0xff) << 32));
}

unsigned gic_ack(void)
{
	uint64_t v = read_sysreg(S3_0_C12_C12_0);	/* ICC_IAR1_EL1 */

	dsb(sy);
	return (unsigned)v & 0xffffff;
}

void gic_eoi(unsigned intid)
{
	write_sysreg(S3_0_C12_C12_1, intid);	/* ICC_EOIR1_EL1 */
	isb();
}

void gic_deactivate(unsigned intid)
{
	write_sysreg(S3_0_C12_C11_1, intid);	/* ICC_DIR_EL1 */
	isb();
}

void gic_send_sgi_raw(uint64_t v)
{
	dsb(ish);
	write_sysreg(S3_0_C12_C11_5, v);	/* ICC_SGI1R_EL1 */
	isb();
}

void gic_send_sgi_others(unsigned intid)
{
	gic_send_sgi_raw(ICC_SGI1R_IRM |
			 ((uint64_t)intid << ICC_SGI1R_INTID_SHIFT));
}

void gic_send_sgi_to(uint64_t mpidr, unsigned intid)
{
	uint64_t aff0 = mpidr & 0xff;

	/* TargetList bit Aff0[3:0], Aff1, INTID, Aff2, RS = Aff0[7:4], Aff3 */
	gic_send_sgi_raw((1UL << (aff0 & 0xf)) | ((mpidr >> 8 & 0xff) << 16) |
			 ((uint64_t)intid << ICC_SGI1R_INTID_SHIFT) |
			 ((mpidr >> 16 & 0xff) << 32) | ((aff0 >> 4) << 44) |
			 ((mpidr >> 32 & 0xff) << 48));
}

void gic_vcpu_reset(unsigned nr_lr)
{
	for (unsigned i = 0; i < nr_lr; i++)
		gic_lr_write(i, 0);
	write_sysreg(S3_4_C12_C8_0, 0);		/* ICH_AP0R0_EL2 */
	write_sysreg(S3_4_C12_C9_0, 0);		/* ICH_AP1R0_EL2 */
	write_sysreg(S3_4_C12_C11_7, 0);	/* ICH_VMCR_EL2 */
	write_sysreg(S3_4_C12_C11_0, ICH_HCR_EN);	/* ICH_HCR_EL2 */
	isb();
}

unsigned gic_lr_count(void)
{
	return (read_sysreg(S3_4_C12_C11_1) & 0x1f) + 1;	/* ICH_VTR_EL2 */
}

#define LR_CASE(n, crm, op2) \
	case n: \
		if (wr) \
			write_sysreg(S3_4_C12_##crm##_##op2, v); \
		else \
			v = read_sysreg(S3_4_C12_##crm##_##op2); \
		break

static uint64_t lr_access(unsigned i, bool wr, uint64_t v)
{
	switch (i) {
	LR_CASE(0, C12, 0); LR_CASE(1, C12, 1); LR_CASE(2, C12, 2);
	LR_CASE(3, C12, 3); LR_CASE(4, C12, 4); LR_CASE(5, C12, 5);
	LR_CASE(6, C12, 6); LR_CASE(7, C12, 7); LR_CASE(8, C13, 0);
	LR_CASE(9, C13, 1); LR_CASE(10, C13, 2); LR_CASE(11, C13, 3);
	LR_CASE(12, C13, 4); LR_CASE(13, C13, 5); LR_CASE(14, C13, 6);
	LR_CASE(15, C13, 7);
	}
	return v;
}

uint64_t gic_lr_read(unsigned i)
{
	return lr_access(i, false, 0);
}

void gic_lr_write(unsigned i, uint64_t v)
{
	lr_access(i, true, v);
}

uint64_t gic_empty_lrs(void)
{
	return read_sysreg(S3_4_C12_C11_5);	/* ICH_ELRSR_EL2 */
}

void gic_set_underflow_irq(bool on)
{
	uint64_t hcr = read_sysreg(S3_4_C12_C11_0);	/* ICH_HCR_EL2 */

	hcr = on ? hcr | ICH_HCR_UIE : hcr & ~ICH_HCR_UIE;
	write_sysreg(S3_4_C12_C11_0, hcr);
}
