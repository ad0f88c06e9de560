// SPDX-License-Identifier: Apache-2.0
/*
 * What a trapped access to the GIC windows may do: whether it is replayed
 * at all (size, alignment, existing frame), and which bits of the
 * accessed register belong to the hypervisor. Pure code: host-tested.
 *
 * Access sizes follow the GICv3 architecture (IHI 0069, "GIC memory-mapped
 * register access"): registers are 32-bit; IPRIORITYR, ITARGETSR and
 * C/SPENDSGIR are also byte-accessible; the 64-bit registers (IROUTER,
 * GICR_TYPER and the LPI registers) take 64-bit accesses or 32-bit
 * accesses to either half. Everything must be naturally aligned.
 */
#include <arch/gic.h>
#include <core/vgic.h>

struct gicd_range {
	uint16_t base, end;	/* [base, end) offsets */
	uint8_t bits;		/* bits per INTID */
	bool rmw;
};

static const struct gicd_range ranges[] = {
	{ 0x0080, 0x0100, 1, true },	/* IGROUPR */
	{ 0x0100, 0x0180, 1, false },	/* ISENABLER */
	{ 0x0180, 0x0200, 1, false },	/* ICENABLER */
	{ 0x0200, 0x0280, 1, false },	/* ISPENDR */
	{ 0x0280, 0x0300, 1, false },	/* ICPENDR */
	{ 0x0300, 0x0380, 1, false },	/* ISACTIVER */
	{ 0x0380, 0x0400, 1, false },	/* ICACTIVER */
	{ 0x0400, 0x0800, 8, true },	/* IPRIORITYR */
	{ 0x0c00, 0x0d00, 2, true },	/* ICFGR */
	{ 0x0d00, 0x0d80, 1, true },	/* IGRPMODR */
	{ 0x0e00, 0x0f00, 2, true },	/* NSACR */
};

#define GICD_IGROUPR		0x0080
#define GICD_IGROUPR_END	0x0100
#define GICD_SETSPI		0x0040	/* SETSPI/CLRSPI _NSR and _SR */
#define GICD_SETSPI_END		0x0060
#define GICD_PRIO		0x0400
#define GICD_ITARGETSR_END	0x0c00
#define GICD_PENDSGIR		0x0f10	/* CPENDSGIR, SPENDSGIR */
#define GICD_PENDSGIR_END	0x0f30
#define GICD_IROUTER		0x6000
#define GICD_IROUTER_END	0x7fe0
#define GICR_LPI_REGS		0x0040	/* SETLPIR ... SYNCR */
#define GICR_LPI_REGS_END	0x00d0
#define GICR_SGI_PRIO_END	0x0420

static uint64_t owned_bits(unsigned first, unsigned n, unsigned bits,
			   const uint32_t *owned)
{
	uint64_t m = 0, field = bits == 64 ? ~0UL : (1UL << bits) - 1;

	for (unsigned i = 0; i < n; i++) {
		unsigned id = first + i;

		if (id < GIC_MAX_INTID && (owned[id / 32] >> (id % 32)) & 1)
			m |= field << (i * bits);
	}
	return m;
}

struct vgic_policy vgic_dist_policy(unsigned off, unsigned size,
				    const uint32_t *owned)
{
	struct vgic_policy pol = { .action = VGIC_FORWARD };

	if (off >= GICD_IROUTER && off < GICD_IROUTER_END) {
		/* One 64-bit router per SPI, or one 32-bit half of it:
		 * owned means the whole value, kept as the hardware has it. */
		pol.owned = owned_bits((off - GICD_IROUTER) / 8, 1, 64, owned);
		pol.rmw = true;
		return pol;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		const struct gicd_range *r = &ranges[i];

		if (off < r->base || off >= r->end)
			continue;
		pol.owned = owned_bits((off - r->base) * 8 / r->bits,
				       size * 8 / r->bits, r->bits, owned);
		pol.rmw = r->rmw;
		break;
	}
	return pol;
}

static bool in(unsigned off, unsigned base, unsigned end)
{
	return off >= base && off < end;
}

/* Sizes the architecture allows at this offset (alignment checked). */
static bool size_allowed(enum vgic_frame frame, unsigned off, unsigned size)
{
	switch (size) {
	case 4:
		return true;
	case 1:
		if (frame == VGIC_FRAME_DIST)
			return in(off, GICD_PRIO, GICD_ITARGETSR_END) ||
			       in(off, GICD_PENDSGIR, GICD_PENDSGIR_END);
		return frame == VGIC_FRAME_SGI &&
		       in(off, GICD_PRIO, GICR_SGI_PRIO_END);
	case 8:
		if (frame == VGIC_FRAME_DIST)
			return in(off, GICD_IROUTER, GICD_IROUTER_END);
		return frame == VGIC_FRAME_RD &&
		       (off == GICR_TYPER ||
			in(off, GICR_LPI_REGS, GICR_LPI_REGS_END));
	default:
		return false;
	}
}

static struct vgic_policy dist_regs(unsigned off, unsigned size,
				    const uint32_t *owned)
{
	struct vgic_policy pol = { .action = VGIC_FORWARD };

	if (off == GICD_CTLR) {
		pol.action = VGIC_EMULATE_CTLR;
	} else if (off == GICD_TYPER) {
		/* No LPIs or message-based SPIs: the ITS is the hypervisor's. */
		pol.hidden = GICD_TYPER_LPIS | GICD_TYPER_MBIS;
		pol.wi = true;
	} else if (in(off, GICD_SETSPI, GICD_SETSPI_END)) {
		/* They name an INTID in the value; MBIS is hidden. */
		pol.action = VGIC_RAZWI;
	} else {
		pol = vgic_dist_policy(off, size, owned);
	}
	return pol;
}

static struct vgic_policy rd_regs(unsigned off)
{
	struct vgic_policy pol = { .action = VGIC_FORWARD };

	switch (off) {
	case GICR_CTLR:
		pol.cleared = GICR_CTLR_ENABLE_LPIS;
		break;
	case GICR_TYPER:
		pol.hidden = GICR_TYPER_PLPIS | GICR_TYPER_VLPIS;
		pol.wi = true;
		break;
	case GICR_TYPER + 4:
		pol.wi = true;
		break;
	case GICR_WAKER:
		/* A sleeping redistributor would silence the hypervisor's
		 * own interrupts on that CPU. */
		pol.cleared = GICR_WAKER_PSLEEP;
		break;
	default:
		if (in(off, GICR_LPI_REGS, GICR_LPI_REGS_END))
			pol.action = VGIC_RAZWI;	/* LPIs stay off */
	}
	return pol;
}

/* Group 1 only: a Group 0 interrupt would be a FIQ, which the guest is
 * not offered (it would only reach EL2, where nothing acknowledges it). */
static struct vgic_policy group1_only(struct vgic_policy pol, unsigned off,
				      unsigned size)
{
	if (in(off, GICD_IGROUPR, GICD_IGROUPR_END))
		pol.set = size == 8 ? ~0UL : (1UL << (8 * size)) - 1;
	return pol;
}

struct vgic_policy vgic_access_policy(enum vgic_frame frame, unsigned off,
				      unsigned size, const uint32_t *owned)
{
	struct vgic_policy pol = { .action = VGIC_ABORT };

	if (size == 0 || size > 8 || (size & (size - 1)) || off % size ||
	    off >= GICR_SGI)
		return pol;
	if (!size_allowed(frame, off, size)) {
		pol.action = VGIC_RAZWI;
		return pol;
	}
	switch (frame) {
	case VGIC_FRAME_DIST:
		return group1_only(dist_regs(off, size, owned), off, size);
	case VGIC_FRAME_RD:
		return rd_regs(off);
	case VGIC_FRAME_SGI:
		/* The distributor's layout, for INTIDs 0-31 only. */
		return group1_only(vgic_dist_policy(off, size, owned), off,
				   size);
	}
	return pol;
}

int vgic_locate(bool dist, uint64_t off, unsigned nframes,
		struct vgic_place *ret)
{
	uint64_t frame = off / GICR_STRIDE;

	if (dist) {
		if (off >= GICR_SGI)	/* the distributor is one 64 KiB frame */
			return -ENOENT;
		ret->kind = VGIC_FRAME_DIST;
		ret->base = 0;
		ret->off = off;
		return 0;
	}
	if (frame >= nframes)
		return -ENOENT;
	ret->base = frame * GICR_STRIDE;
	ret->off = off % GICR_STRIDE;
	ret->kind = VGIC_FRAME_RD;
	if (ret->off >= GICR_SGI) {
		ret->base += GICR_SGI;
		ret->off -= GICR_SGI;
		ret->kind = VGIC_FRAME_SGI;
	}
	return 0;
}

uint64_t vgic_merge_write(struct vgic_policy pol, uint64_t guest, uint64_t hw)
{
	guest = (guest | pol.set) & ~pol.cleared;
	if (pol.rmw)
		return (guest & ~pol.owned) | (hw & pol.owned);
	return guest & ~pol.owned;
}

uint64_t vgic_read_value(struct vgic_policy pol, uint64_t hw)
{
	return hw & ~(pol.owned | pol.hidden);
}
