// SPDX-License-Identifier: Apache-2.0
/* Stage-2 tables: stage2_map(), stage2_translate(), stage2_build(). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <core/stage2.h>
#include <stdlib.h>
#include "fixture.h"

#define POOL_MAX	640
#define HV_BASE		0x40000000UL
#define HV_END		0x40200000UL

/* Tables come from a bounded pool, so that exhaustion can be tested. */
struct pool {
	void *tables[POOL_MAX];
	unsigned used, max;
};

struct env {
	struct stage2 s2;
	struct pool pool;
};

static void *virt_fdt;

static void *pool_alloc(void *ctx)
{
	struct pool *p = ctx;
	void *t;

	if (p->used == p->max)
		return NULL;
	t = aligned_alloc(4096, 4096);
	if (t) {
		memset(t, 0, 4096);
		p->tables[p->used++] = t;
	}
	return t;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	e->s2.root = aligned_alloc(8192, S2_ROOT_ENTRIES * sizeof(uint64_t));
	if (!e->s2.root) {
		free(e);
		return -1;
	}
	memset(e->s2.root, 0, S2_ROOT_ENTRIES * sizeof(uint64_t));
	e->s2.alloc = pool_alloc;
	e->s2.ctx = &e->pool;
	e->pool.max = POOL_MAX;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	for (unsigned i = 0; i < e->pool.used; i++)
		free(e->pool.tables[i]);
	free(e->s2.root);
	free(e);
	return 0;
}

/* ipa must translate 1:1 with attrs. */
static void mapped(const struct stage2 *s2, uint64_t ipa, uint64_t attrs)
{
	uint64_t pa = 0, a = 0;
	int r = stage2_translate(s2, ipa, &pa, &a);

	if (r != 0)
		fail_msg("IPA 0x%llx: not mapped (%d)", (unsigned long long)ipa, r);
	if (pa != ipa || a != attrs)
		fail_msg("IPA 0x%llx: PA 0x%llx attrs 0x%llx, expected 1:1 %s",
			 (unsigned long long)ipa, (unsigned long long)pa,
			 (unsigned long long)a,
			 attrs == S2_NORMAL ? "normal" : "device");
}

static void unmapped(const struct stage2 *s2, uint64_t ipa)
{
	uint64_t pa = 0, a = 0;
	int r = stage2_translate(s2, ipa, &pa, &a);

	if (r != -ENOENT)
		fail_msg("IPA 0x%llx: mapped to 0x%llx (%d), expected a hole",
			 (unsigned long long)ipa, (unsigned long long)pa, r);
}

/* The level of the leaf that maps ipa (1, 2 or 3), or 0 if none. */
static int leaf_level(const struct stage2 *s2, uint64_t ipa)
{
	const uint64_t *t = s2->root;

	for (int level = 1; level <= 3; level++) {
		unsigned shift = 39 - 9 * level;
		unsigned mask = level == 1 ? S2_ROOT_ENTRIES - 1 : 511;
		uint64_t d = t[(ipa >> shift) & mask];

		if (!(d & 1))
			return 0;
		if (level == 3 || (d & 3) == 1)
			return level;
		t = (const uint64_t *)(uintptr_t)(d & S2_ADDR_MASK);
	}
	return 0;
}

static void test_map_translate(void **state)
{
	struct env *e = *state;

	assert_int_equal(stage2_map(&e->s2, 0x40001000, 0x40001000, 0x3000,
				    S2_NORMAL), 0);
	mapped(&e->s2, 0x40001000, S2_NORMAL);
	mapped(&e->s2, 0x40002abc, S2_NORMAL);
	mapped(&e->s2, 0x40003fff, S2_NORMAL);
	unmapped(&e->s2, 0x40000fff);
	unmapped(&e->s2, 0x40004000);
	unmapped(&e->s2, 0);
}

static void test_attributes(void **state)
{
	struct env *e = *state;
	uint64_t pa, a;

	assert_int_equal(stage2_map(&e->s2, 0x09000000, 0x09000000, SZ_4K,
				    S2_DEVICE), 0);
	assert_int_equal(stage2_map(&e->s2, 0x40000000, 0x40000000, SZ_2M,
				    S2_NORMAL), 0);
	mapped(&e->s2, 0x09000000, S2_DEVICE);
	mapped(&e->s2, 0x40000000, S2_NORMAL);
	/* Descriptor type bits in attrs must not turn a block into a table. */
	assert_int_equal(stage2_map(&e->s2, 0x80000000, 0x80000000, SZ_2M,
				    S2_NORMAL | 3), 0);
	assert_int_equal(stage2_translate(&e->s2, 0x80001000, &pa, &a), 0);
	assert_int_equal(pa, 0x80001000);
	assert_int_equal(a, S2_NORMAL);
}

static void test_not_identity(void **state)
{
	struct env *e = *state;
	uint64_t pa, a;

	assert_int_equal(stage2_map(&e->s2, 0x80000000, 0x40000000, SZ_2M + SZ_4K,
				    S2_NORMAL), 0);
	assert_int_equal(stage2_translate(&e->s2, 0x80000010, &pa, &a), 0);
	assert_int_equal(pa, 0x40000010);
	assert_int_equal(stage2_translate(&e->s2, 0x80200ff8, &pa, &a), 0);
	assert_int_equal(pa, 0x40200ff8);
}

static void test_block_sizes(void **state)
{
	struct env *e = *state;

	/* An aligned 1 GiB is one level-1 block: no table. */
	assert_int_equal(stage2_map(&e->s2, SZ_1G, SZ_1G, SZ_1G, S2_NORMAL), 0);
	assert_int_equal(e->s2.tables, 0);
	mapped(&e->s2, 2 * SZ_1G - SZ_4K, S2_NORMAL);
	/* An aligned 2 MiB: one level-2 table. */
	assert_int_equal(stage2_map(&e->s2, 4 * SZ_1G, 4 * SZ_1G, SZ_2M,
				    S2_NORMAL), 0);
	assert_int_equal(e->s2.tables, 1);
	/* A 4 KiB page in another GiB: a level-2 and a level-3 table. */
	assert_int_equal(stage2_map(&e->s2, 8 * SZ_1G + SZ_4K,
				    8 * SZ_1G + SZ_4K, SZ_4K, S2_NORMAL), 0);
	assert_int_equal(e->s2.tables, 3);
	/* Another page in the same 2 MiB reuses both. */
	assert_int_equal(stage2_map(&e->s2, 8 * SZ_1G + 8 * SZ_4K,
				    8 * SZ_1G + 8 * SZ_4K, SZ_4K, S2_NORMAL), 0);
	assert_int_equal(e->s2.tables, 3);
}

/* stage2_map_pages(): 4 KiB pages where stage2_map() would use blocks. */
static void test_map_pages(void **state)
{
	struct env *e = *state;

	assert_int_equal(stage2_map_pages(&e->s2, SZ_1G, SZ_1G, SZ_1G + SZ_2M,
					  S2_NORMAL), 0);
	/* two level-2 tables, 513 level-3 */
	assert_int_equal(e->s2.tables, 2 + 513);
	for (uint64_t a = SZ_1G; a < 2 * SZ_1G + SZ_2M; a += SZ_2M - SZ_4K) {
		mapped(&e->s2, a, S2_NORMAL);
		assert_int_equal(leaf_level(&e->s2, a), 3);
	}
	unmapped(&e->s2, 2 * SZ_1G + SZ_2M);
	/* Blocks still where asked for. */
	assert_int_equal(stage2_map(&e->s2, 4 * SZ_1G, 4 * SZ_1G, SZ_1G,
				    S2_NORMAL), 0);
	assert_int_equal(leaf_level(&e->s2, 4 * SZ_1G), 1);
	/* A page inside an existing block that says the same: kept. */
	assert_int_equal(stage2_map_pages(&e->s2, 4 * SZ_1G, 4 * SZ_1G, SZ_4K,
					  S2_NORMAL), 0);
	assert_int_equal(stage2_map_pages(&e->s2, 4 * SZ_1G, 4 * SZ_1G, SZ_4K,
					  S2_DEVICE), -EEXIST);
	assert_int_equal(stage2_map_pages(&e->s2, 1, 1, SZ_4K, S2_NORMAL),
			 -EINVAL);
}

/* stage2_ram_tables(): the tables RAM takes in pages, the hypervisor's
 * memory left out, enough for stage2_build() whatever its position. */
static void test_ram_tables(void **state)
{
	struct env *e = *state;
	struct hv_err err = { "" };
	struct platform p = {
		.regions = { { 0x40000000, SZ_1G, REGION_RAM },
			     { 0x09000000, SZ_4K, REGION_DEVICE },
			     { 0x100000000, SZ_4K, REGION_RAM } },
		.nregions = 3,
	};

	/* 1 level-2 and 511 level-3 tables, then 1 + 1 for the page */
	assert_int_equal(stage2_ram_tables(&p, HV_BASE, HV_END), 512 + 2);
	/* the hypervisor inside a 2 MiB: both sides need that table */
	assert_int_equal(stage2_ram_tables(&p, 0x50001000, 0x50002000),
			 2 + 513 + 2);
	assert_int_equal(stage2_ram_tables(&p, 0, 0), 513 + 2);
	e->s2.ram_pages = true;
	assert_int_equal(stage2_build(&e->s2, &p, 0x50001000, 0x50002000,
				      &err), 0);
	/* the device's level-2 and level-3 tables are extra */
	assert_in_range(e->s2.tables, 1, 2 + 513 + 2 + 2);
	mapped(&e->s2, 0x50000000, S2_NORMAL);
	unmapped(&e->s2, 0x50001000);
	mapped(&e->s2, 0x50002000, S2_NORMAL);
	assert_int_equal(leaf_level(&e->s2, 0x50002000), 3);
}

/* [1 GiB - 4 KiB, 1 GiB + 2 MiB + 4 KiB): page, block, page. */
static void test_range_across_boundaries(void **state)
{
	struct env *e = *state;
	uint64_t base = SZ_1G - SZ_4K, size = 2 * SZ_4K + SZ_2M;

	assert_int_equal(stage2_map(&e->s2, base, base, size, S2_DEVICE), 0);
	assert_int_equal(e->s2.tables, 4);
	for (uint64_t a = base; a < base + size; a += SZ_4K)
		mapped(&e->s2, a, S2_DEVICE);
	unmapped(&e->s2, base - SZ_4K);
	unmapped(&e->s2, base + size);
}

static void test_ipa_limit(void **state)
{
	struct env *e = *state;
	uint64_t top = 1UL << S2_IPA_BITS;

	assert_int_equal(stage2_map(&e->s2, top, top, SZ_4K, S2_NORMAL), -EINVAL);
	assert_int_equal(stage2_map(&e->s2, top - SZ_4K, top - SZ_4K, 2 * SZ_4K,
				    S2_NORMAL), -EINVAL);
	assert_int_equal(stage2_map(&e->s2, 0xfffffffffffff000,
				    0x1000, 0x2000, S2_NORMAL), -EINVAL);
	assert_int_equal(stage2_map(&e->s2, 0x1000, 1UL << 48, SZ_4K,
				    S2_NORMAL), -EINVAL);
	assert_int_equal(e->s2.tables, 0);
	/* The last page and the whole top half are fine. */
	assert_int_equal(stage2_map(&e->s2, top / 2, top / 2, top / 2,
				    S2_DEVICE), 0);
	assert_int_equal(e->s2.tables, 0);
	mapped(&e->s2, top - SZ_4K, S2_DEVICE);
	unmapped(&e->s2, top);
	unmapped(&e->s2, top / 2 - SZ_4K);
	unmapped(&e->s2, 0);
}

static void test_unaligned(void **state)
{
	struct env *e = *state;

	assert_int_equal(stage2_map(&e->s2, 0x40000800, 0x40000800, SZ_4K,
				    S2_NORMAL), -EINVAL);
	assert_int_equal(stage2_map(&e->s2, 0x40000000, 0x40000800, SZ_4K,
				    S2_NORMAL), -EINVAL);
	assert_int_equal(stage2_map(&e->s2, 0x40000000, 0x40000000, 0x800,
				    S2_NORMAL), -EINVAL);
	assert_int_equal(stage2_map(&e->s2, 0x40000000, 0x40000000, 0,
				    S2_NORMAL), -EINVAL);
	unmapped(&e->s2, 0x40000000);
}

static void test_overlap(void **state)
{
	struct env *e = *state;

	assert_int_equal(stage2_map(&e->s2, 0x40000000, 0x40000000, SZ_2M,
				    S2_NORMAL), 0);
	assert_int_equal(stage2_map(&e->s2, 0x40000000, 0x40000000, SZ_2M,
				    S2_DEVICE), -EEXIST);
	assert_int_equal(stage2_map(&e->s2, 0x40001000, 0x40001000, SZ_4K,
				    S2_DEVICE), -EEXIST);
	assert_int_equal(stage2_map(&e->s2, 0x3ffff000, 0x3ffff000, 2 * SZ_4K,
				    S2_DEVICE), -EEXIST);
	mapped(&e->s2, 0x40001000, S2_NORMAL);

	assert_int_equal(stage2_map(&e->s2, 0x09000000, 0x09000000, SZ_4K,
				    S2_DEVICE), 0);
	assert_int_equal(stage2_map(&e->s2, 0x09000000, 0x09000000, SZ_4K,
				    S2_NORMAL), -EEXIST);
	/* Same page, same attributes (devices sharing a page): fine. */
	assert_int_equal(stage2_map(&e->s2, 0x09000000, 0x09000000, SZ_4K,
				    S2_DEVICE), 0);
	mapped(&e->s2, 0x09000000, S2_DEVICE);
	/* A table where a block would go: filled page by page, agreeing. */
	assert_int_equal(stage2_map(&e->s2, 0x09000000, 0x09000000, SZ_2M,
				    S2_DEVICE), 0);
	mapped(&e->s2, 0x09001000, S2_DEVICE);
	assert_int_equal(stage2_map(&e->s2, 0x09200000, 0x09200000, SZ_4K,
				    S2_NORMAL), 0);
	assert_int_equal(stage2_map(&e->s2, 0x09200000, 0x09200000, SZ_2M,
				    S2_DEVICE), -EEXIST);
}

/* One guest device window inside another (same attributes) is fine,
 * whichever is mapped first; a different physical address is not. */
static void test_nested_same_attrs(void **state)
{
	struct env *e = *state;

	assert_int_equal(stage2_map(&e->s2, 0x10000000, 0x10000000, SZ_2M,
				    S2_DEVICE), 0);
	assert_int_equal(stage2_map(&e->s2, 0x10001000, 0x10001000, SZ_4K,
				    S2_DEVICE), 0);
	assert_int_equal(stage2_map(&e->s2, 0x10002000, 0x20002000, SZ_4K,
				    S2_DEVICE), -EEXIST);
	assert_int_equal(stage2_map(&e->s2, 0x50001000, 0x50001000, SZ_4K,
				    S2_DEVICE), 0);
	assert_int_equal(stage2_map(&e->s2, 0x50000000, 0x50000000, SZ_2M,
				    S2_DEVICE), 0);
	mapped(&e->s2, 0x50100000, S2_DEVICE);
}

static void test_out_of_tables(void **state)
{
	struct env *e = *state;

	e->pool.max = 1;
	assert_int_equal(stage2_map(&e->s2, 0x40001000, 0x40001000, SZ_4K,
				    S2_NORMAL), -ENOMEM);
	unmapped(&e->s2, 0x40001000);
	e->pool.max = 0;
	assert_int_equal(stage2_map(&e->s2, 0x80000000, 0x80000000, SZ_1G,
				    S2_NORMAL), 0);
}

static void probe_virt(struct platform *p)
{
	struct hv_err err = { "" };

	if (!virt_fdt)
		fail_msg("no virt DTB fixture");
	if (platform_probe(virt_fdt, p, &err))
		fail_msg("platform_probe: %s", err.msg);
}

static void test_build_virt(void **state)
{
	struct env *e = *state;
	struct hv_err err = { "" };
	struct platform p;

	probe_virt(&p);
	if (stage2_build(&e->s2, &p, HV_BASE, HV_END, &err))
		fail_msg("stage2_build: %s", err.msg);
	unmapped(&e->s2, 0x40000000);		/* the hypervisor */
	unmapped(&e->s2, 0x401ff000);
	mapped(&e->s2, 0x40200000, S2_NORMAL);	/* guest RAM */
	mapped(&e->s2, 0x7ffff000, S2_NORMAL);
	unmapped(&e->s2, 0x80000000);		/* beyond RAM */
	mapped(&e->s2, 0x09000000, S2_DEVICE);	/* PL011 */
	unmapped(&e->s2, 0x08000000);		/* GICD */
	unmapped(&e->s2, 0x0800f000);
	unmapped(&e->s2, 0x080a0000);		/* GICR */
	unmapped(&e->s2, 0x08fff000);
	unmapped(&e->s2, 0x0a000000);		/* virtio-mmio */
	unmapped(&e->s2, 0x0a003e00);
	unmapped(&e->s2, 0x09020000);		/* fw-cfg */
	unmapped(&e->s2, 0x08080000);		/* ITS */
	mapped(&e->s2, 0x4010000000, S2_DEVICE);	/* PCIe ECAM */
	mapped(&e->s2, 0x3eff0000, S2_DEVICE);	/* PCIe I/O */
	mapped(&e->s2, 0x10000000, S2_DEVICE);	/* PCIe MMIO */
	mapped(&e->s2, 0x3efff000, S2_DEVICE);
	mapped(&e->s2, 0x8000000000, S2_DEVICE);	/* PCIe high MMIO */
	mapped(&e->s2, 0xfffffff000, S2_DEVICE);
	assert_in_range(e->s2.tables, 1, 16);
	assert_int_equal(leaf_level(&e->s2, 0x40400000), 2);	/* blocks */
}

/* With ram_pages, as verge-hv builds it: guest RAM in 4 KiB pages only,
 * the device windows still in blocks. */
static void test_build_virt_ram_pages(void **state)
{
	struct env *e = *state;
	struct hv_err err = { "" };
	struct platform p;

	probe_virt(&p);
	e->s2.ram_pages = true;
	if (stage2_build(&e->s2, &p, HV_BASE, HV_END, &err))
		fail_msg("stage2_build: %s", err.msg);
	unmapped(&e->s2, 0x401ff000);
	for (uint64_t a = HV_END; a < 0x80000000; a += SZ_2M) {
		mapped(&e->s2, a, S2_NORMAL);
		if (leaf_level(&e->s2, a) != 3)
			fail_msg("RAM at 0x%llx: level %d leaf, expected a page",
				 (unsigned long long)a, leaf_level(&e->s2, a));
	}
	mapped(&e->s2, 0x7ffff000, S2_NORMAL);
	unmapped(&e->s2, 0x80000000);
	mapped(&e->s2, 0x8000000000, S2_DEVICE);	/* PCIe high MMIO */
	assert_int_equal(leaf_level(&e->s2, 0x8000000000), 1);
	assert_in_range(e->s2.tables, 512,
			stage2_ram_tables(&p, HV_BASE, HV_END) + 16);
}

/* RAM around the hypervisor, wherever it sits. */
static void test_build_hv_in_middle(void **state)
{
	struct env *e = *state;
	struct hv_err err = { "" };
	struct platform p = {
		.regions = { { 0x40000000, SZ_1G, REGION_RAM } },
		.nregions = 1,
	};

	assert_int_equal(stage2_build(&e->s2, &p, 0x50000000, 0x50201000, &err), 0);
	mapped(&e->s2, 0x40000000, S2_NORMAL);
	mapped(&e->s2, 0x4ffff000, S2_NORMAL);
	unmapped(&e->s2, 0x50000000);
	unmapped(&e->s2, 0x50200000);
	mapped(&e->s2, 0x50201000, S2_NORMAL);
	mapped(&e->s2, 0x7ffff000, S2_NORMAL);
}

/* dev must be refused with a message naming what it collides with. */
static void refused(struct env *e, struct region dev, struct region other,
		    const char *want)
{
	struct hv_err err = { "" };
	struct platform p = {
		.regions = { { 0x40000000, SZ_1G, REGION_RAM }, other, dev },
		.nregions = 3,
	};
	int r = stage2_build(&e->s2, &p, HV_BASE, HV_END, &err);

	if (r != -EINVAL || !strstr(err.msg, want))
		fail_msg("device 0x%llx: returned %d \"%s\", expected -EINVAL "
			 "mentioning \"%s\"", (unsigned long long)dev.base, r,
			 err.msg, want);
}

static void test_build_shared_page(void **state)
{
	struct env *e = *state;

	refused(e, (struct region){ 0x0a000200, 0x200, REGION_DEVICE, 0 },
		(struct region){ 0x0a000000, 0x200, REGION_HV_DEVICE, 0 },
		"hypervisor device");
	refused(e, (struct region){ 0x0800f800, 0x100, REGION_DEVICE, 0 },
		(struct region){ 0x08000000, 0x10000, REGION_GICD, 0 },
		"GIC distributor");
	refused(e, (struct region){ 0x08000000, 0x8000000, REGION_DEVICE, 0 },
		(struct region){ 0x080a0000, 0xf60000, REGION_GICR, 0 },
		"GIC redistributors");
	refused(e, (struct region){ 0x401ff000, 0x2000, REGION_DEVICE, 0 },
		(struct region){ 0x0a000000, 0x200, REGION_HV_DEVICE, 0 },
		"hypervisor memory");
	unmapped(&e->s2, 0x0a000000);
	unmapped(&e->s2, 0x08000000);
}

/* The page after a hypervisor device is the guest's to have. */
static void test_build_adjacent_page(void **state)
{
	struct env *e = *state;
	struct hv_err err = { "" };
	struct platform p = {
		.regions = {
			{ 0x40000000, SZ_1G, REGION_RAM },
			{ 0x0a000000, 0x200, REGION_HV_DEVICE },
			{ 0x0a001000, 0x200, REGION_DEVICE },
			{ 0x0a001200, 0x200, REGION_DEVICE },
		},
		.nregions = 4,
	};

	if (stage2_build(&e->s2, &p, HV_BASE, HV_END, &err))
		fail_msg("stage2_build: %s", err.msg);
	unmapped(&e->s2, 0x0a000000);
	mapped(&e->s2, 0x0a001000, S2_DEVICE);
	unmapped(&e->s2, 0x0a002000);
}

static void test_build_out_of_tables(void **state)
{
	struct env *e = *state;
	struct hv_err err = { "" };
	struct platform p;

	probe_virt(&p);
	e->pool.max = 2;
	assert_int_equal(stage2_build(&e->s2, &p, HV_BASE, HV_END, &err),
			 -ENOMEM);
	assert_non_null(strstr(err.msg, "out of tables"));
}

static int load_virt(void **state)
{
	size_t size;

	(void)state;
	virt_fdt = fixture_virt_dtb(&size);
	return 0;	/* the tests that need it fail without it */
}

/* A board watchdog's frames in reserved RAM (two nodes' worth) never
 * reach the guest: the pages are holes in stage-2, RAM around them is
 * mapped as before. Built by hand (platform_probe() checks the DT side). */
static void test_build_board_wdt_holes(void **state)
{
	struct env *e = *state;
	struct hv_err err = { "" };
	struct platform p;

	probe_virt(&p);
	p.regions[p.nregions++] = (struct region){ 0x7c000000, 0x1000,
						   REGION_HV_WDT, 62 };
	p.regions[p.nregions++] = (struct region){ 0x7c010000, 0x10000,
						   REGION_HV_WDT, 62 };
	p.regions[p.nregions++] = (struct region){ 0x7c021000, 0x800,
						   REGION_HV_WDT, 0 };
	if (stage2_build(&e->s2, &p, HV_BASE, HV_END, &err))
		fail_msg("stage2_build: %s", err.msg);
	unmapped(&e->s2, 0x40000000);		/* the hypervisor */
	mapped(&e->s2, 0x40200000, S2_NORMAL);
	mapped(&e->s2, 0x7bfff000, S2_NORMAL);
	unmapped(&e->s2, 0x7c000000);
	unmapped(&e->s2, 0x7c000ffc);
	mapped(&e->s2, 0x7c001000, S2_NORMAL);
	mapped(&e->s2, 0x7c00f000, S2_NORMAL);
	unmapped(&e->s2, 0x7c010000);
	unmapped(&e->s2, 0x7c01f000);
	mapped(&e->s2, 0x7c020000, S2_NORMAL);
	unmapped(&e->s2, 0x7c021000);		/* a partial page: all of it */
	mapped(&e->s2, 0x7c022000, S2_NORMAL);
	mapped(&e->s2, 0x7ffff000, S2_NORMAL);
}

/* A board watchdog frame in the hypervisor's own memory is refused:
 * verge-hv would write its memory as registers. */
static void test_build_board_wdt_in_hv(void **state)
{
	struct env *e = *state;
	struct hv_err err = { "" };
	struct platform p;

	probe_virt(&p);
	p.regions[p.nregions++] = (struct region){ HV_END - 0x1000, 0x1000,
						   REGION_HV_WDT, 0 };
	assert_int_equal(stage2_build(&e->s2, &p, HV_BASE, HV_END, &err),
			 -EINVAL);
	assert_string_equal(err.msg,
		"board watchdog frame 0x401ff000 overlaps hypervisor memory");
}

static int free_virt(void **state)
{
	(void)state;
	free(virt_fdt);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_map_translate),
		T(test_attributes),
		T(test_not_identity),
		T(test_block_sizes),
		T(test_map_pages),
		T(test_ram_tables),
		T(test_range_across_boundaries),
		T(test_ipa_limit),
		T(test_unaligned),
		T(test_overlap),
		T(test_nested_same_attrs),
		T(test_out_of_tables),
		T(test_build_virt),
		T(test_build_virt_ram_pages),
		T(test_build_hv_in_middle),
		T(test_build_shared_page),
		T(test_build_adjacent_page),
		T(test_build_out_of_tables),
		T(test_build_board_wdt_holes),
		T(test_build_board_wdt_in_hv),
	};

	return cmocka_run_group_tests_name("stage2", tests, load_virt, free_virt);
}
