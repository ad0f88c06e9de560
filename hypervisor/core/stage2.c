// SPDX-License-Identifier: Apache-2.0
/* Building the guest's stage-2 tables. Pure code: host-tested. */
#include <core/stage2.h>

#define DESC_VALID	1UL
#define DESC_TABLE	3UL	/* table (levels 1-2) or page (level 3) */

static unsigned level_shift(int level)
{
	return 39 - 9 * level;	/* level 1: 30, 2: 21, 3: 12 */
}

static uint64_t *desc_table(uint64_t d)
{
	return (uint64_t *)(uintptr_t)(d & S2_ADDR_MASK);
}

static bool is_table(uint64_t d, int level)
{
	return level < 3 && (d & 3) == DESC_TABLE;
}

static int map_leaf(uint64_t *slot, uint64_t pa, uint64_t attrs, int level)
{
	uint64_t d = pa | attrs | (level == 3 ? DESC_TABLE : DESC_VALID);

	if ((*slot & DESC_VALID) && *slot != d)
		return -EEXIST;
	*slot = d;
	return 0;
}

static uint64_t *next_table(struct stage2 *s2, uint64_t *slot, int level)
{
	uint64_t *t;

	if (*slot & DESC_VALID)
		return is_table(*slot, level) ? desc_table(*slot) : NULL;
	t = s2->alloc(s2->ctx);
	if (!t)
		return NULL;
	s2->tables++;
	*slot = (uint64_t)(uintptr_t)t | DESC_TABLE;
	return t;
}

/* Leaves (blocks or pages) from level `leaf` down: 1 allows 1 GiB and
 * 2 MiB blocks where aligned, 3 only 4 KiB pages. */
static int map_level(struct stage2 *s2, uint64_t *table, int level, int leaf,
		     uint64_t ipa, uint64_t pa, uint64_t size, uint64_t attrs)
{
	uint64_t block = 1UL << level_shift(level);
	unsigned mask = level == 1 ? S2_ROOT_ENTRIES - 1 : 511;

	while (size) {
		uint64_t *slot = &table[(ipa >> level_shift(level)) & mask];
		uint64_t chunk = block - (ipa & (block - 1));
		int r;

		if (chunk > size)
			chunk = size;
		if (level >= leaf && chunk == block && IS_ALIGNED(pa, block) &&
		    !is_table(*slot, level)) {
			r = map_leaf(slot, pa, attrs, level);
		} else if ((*slot & DESC_VALID) && !is_table(*slot, level)) {
			/* Inside an existing block: fine if it says the same. */
			uint64_t want = (*slot & S2_ADDR_MASK) + (ipa & (block - 1));
			r = want == pa && (*slot & S2_ATTR_MASK) == attrs ? 0 : -EEXIST;
		} else if (level == 2 && chunk == block && !(*slot & DESC_VALID)) {
			/* A whole new level-3 table: no entry to check (and a
			 * quick fill: 512 of them per 2 MiB of guest RAM). */
			uint64_t *t = next_table(s2, slot, level);

			for (unsigned i = 0; t && i < 512; i++)
				t[i] = (pa + i * SZ_4K) | attrs | DESC_TABLE;
			r = t ? 0 : -ENOMEM;
		} else {
			uint64_t *t = next_table(s2, slot, level);
			r = t ? map_level(s2, t, level + 1, leaf, ipa, pa, chunk,
					  attrs) : -ENOMEM;
		}
		if (r < 0)
			return r;
		ipa += chunk;
		pa += chunk;
		size -= chunk;
	}
	return 0;
}

static int map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size,
	       uint64_t attrs, int leaf)
{
	if (!IS_ALIGNED(ipa | pa | size, SZ_4K) || !size ||
	    ipa + size > (1UL << S2_IPA_BITS) || ipa + size < ipa ||
	    (pa + size) > (1UL << 48))
		return -EINVAL;
	return map_level(s2, s2->root, 1, leaf, ipa, pa, size,
			 attrs & S2_ATTR_MASK);
}

int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size,
	       uint64_t attrs)
{
	return map(s2, ipa, pa, size, attrs, 1);
}

int stage2_map_pages(struct stage2 *s2, uint64_t ipa, uint64_t pa,
		     uint64_t size, uint64_t attrs)
{
	return map(s2, ipa, pa, size, attrs, 3);
}

/* Level-2 and level-3 tables that [base, base + size) can need in pages:
 * one per 1 GiB and one per 2 MiB it touches. */
static uint64_t page_tables(uint64_t base, uint64_t size)
{
	uint64_t end = base + size;

	if (!size)
		return 0;
	return ((end - 1) / SZ_1G - base / SZ_1G + 1) +
	       ((end - 1) / SZ_2M - base / SZ_2M + 1);
}

uint64_t stage2_ram_tables(const struct platform *p, uint64_t hv_base,
			   uint64_t hv_end)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < p->nregions; i++) {
		const struct region *r = &p->regions[i];
		uint64_t end = r->base + r->size;

		if (r->kind != REGION_RAM)
			continue;
		if (r->base < hv_base)
			n += page_tables(r->base, (end < hv_base ? end : hv_base) -
					 r->base);
		if (end > hv_end)
			n += page_tables(r->base > hv_end ? r->base : hv_end,
					 end - (r->base > hv_end ? r->base : hv_end));
	}
	return n;
}

int stage2_translate(const struct stage2 *s2, uint64_t ipa, uint64_t *ret_pa,
		     uint64_t *ret_attrs)
{
	const uint64_t *table = s2->root;

	if (ipa >> S2_IPA_BITS)
		return -ENOENT;
	for (int level = 1; level <= 3; level++) {
		unsigned shift = level_shift(level);
		unsigned mask = level == 1 ? S2_ROOT_ENTRIES - 1 : 511;
		uint64_t d = table[(ipa >> shift) & mask];

		if (!(d & DESC_VALID) || (level == 3 && (d & 3) != DESC_TABLE))
			return -ENOENT;
		if (is_table(d, level)) {
			table = desc_table(d);
			continue;
		}
		*ret_pa = (d & S2_ADDR_MASK & ~((1UL << shift) - 1)) |
			  (ipa & ((1UL << shift) - 1));
		*ret_attrs = d & S2_ATTR_MASK;
		return 0;
	}
	return -ENOENT;
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

/* A guest device page must not share a page with what the guest may not
 * touch (the GIC, the hypervisor's devices and memory). */
static int check_device(const struct platform *p, uint64_t base, uint64_t end,
			uint64_t hv_base, uint64_t hv_end, struct hv_err *err)
{
	if (overlaps(base, end, hv_base, hv_end)) {
		hv_err_set(err, "device at 0x%llx overlaps hypervisor memory",
			   (unsigned long long)base);
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct region *o = &p->regions[i];

		if (o->kind == REGION_RAM || o->kind == REGION_DEVICE)
			continue;
		if (overlaps(base, end, o->base, o->base + o->size)) {
			hv_err_set(err, "device page 0x%llx is shared with the %s at 0x%llx",
				   (unsigned long long)base,
				   region_kind_name(o->kind),
				   (unsigned long long)o->base);
			return -EINVAL;
		}
	}
	return 0;
}

/* What RAM the guest never gets: the hypervisor's memory and every
 * region it keeps (a board watchdog's frames in reserved RAM). */
static bool is_hole(const struct region *r)
{
	return r->kind != REGION_RAM && r->kind != REGION_DEVICE;
}

/* The lowest hole of p (or the hypervisor's memory) that ends after at
 * and starts before end, as pages: false if none. */
static bool next_hole(const struct platform *p, uint64_t at, uint64_t end,
		      uint64_t hv_base, uint64_t hv_end, uint64_t *ret_base,
		      uint64_t *ret_end)
{
	uint64_t hb = UINT64_MAX, he = 0;

	if (hv_base < end && hv_end > at)
		hb = hv_base, he = hv_end;
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct region *r = &p->regions[i];
		uint64_t b = r->base & ~(SZ_4K - 1);
		uint64_t e = ALIGN_UP(r->base + r->size, SZ_4K);

		if (is_hole(r) && b < end && e > at && b < hb)
			hb = b, he = e;
	}
	*ret_base = hb;
	*ret_end = he;
	return hb != UINT64_MAX;
}

static int map_ram(struct stage2 *s2, const struct platform *p,
		   const struct region *r, uint64_t hv_base, uint64_t hv_end)
{
	uint64_t at = ALIGN_UP(r->base, SZ_4K);
	uint64_t end = (r->base + r->size) & ~(SZ_4K - 1);
	uint64_t hb, he;
	int leaf = s2->ram_pages ? 3 : 1;
	int ret = 0;

	while (ret == 0 && at < end) {
		if (!next_hole(p, at, end, hv_base, hv_end, &hb, &he))
			hb = he = end;
		if (hb > at)
			ret = map(s2, at, at, hb - at, S2_NORMAL, leaf);
		at = he > at ? he : at + SZ_4K;
	}
	return ret;
}

int stage2_build(struct stage2 *s2, const struct platform *p,
		 uint64_t hv_base, uint64_t hv_end, struct hv_err *err)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct region *r = &p->regions[i];
		uint64_t base = r->base & ~(SZ_4K - 1);
		uint64_t end = ALIGN_UP(r->base + r->size, SZ_4K);
		int ret = 0;

		if (r->kind == REGION_HV_WDT &&
		    overlaps(base, end, hv_base, hv_end)) {
			/* verge-hv would write its own memory as registers */
			hv_err_set(err, "board watchdog frame 0x%llx overlaps hypervisor memory",
				   (unsigned long long)r->base);
			return -EINVAL;
		}
		if (r->kind == REGION_RAM) {
			ret = map_ram(s2, p, r, hv_base, hv_end);
		} else if (r->kind == REGION_DEVICE) {
			ret = check_device(p, base, end, hv_base, hv_end, err);
			if (ret < 0)
				return ret;
			ret = stage2_map(s2, base, base, end - base, S2_DEVICE);
		}
		if (ret < 0) {
			hv_err_set(err, "stage-2: cannot map %s 0x%llx-0x%llx (%s)",
				   region_kind_name(r->kind),
				   (unsigned long long)base,
				   (unsigned long long)end,
				   ret == -ENOMEM ? "out of tables" :
				   ret == -EEXIST ? "overlaps another region" :
				   "outside the 40-bit IPA space");
			return ret;
		}
	}
	return 0;
}
