/*
 * Which bits of a distributor register belong to the hypervisor's INTIDs.
 * Pure code: host-tested.
 */
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

#define GICD_IROUTER		0x6000
#define GICD_IROUTER_END	0x7fe0

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
	struct vgic_policy pol = { 0, false };

	if (off >= GICD_IROUTER && off < GICD_IROUTER_END) {
		/* One 64-bit router per SPI: owned means the whole value. */
		pol.owned = owned_bits((off - GICD_IROUTER) / 8, 1, 64, owned);
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

uint64_t vgic_merge_write(struct vgic_policy pol, uint64_t guest, uint64_t hw)
{
	if (pol.rmw)
		return (guest & ~pol.owned) | (hw & pol.owned);
	return guest & ~pol.owned;
}
