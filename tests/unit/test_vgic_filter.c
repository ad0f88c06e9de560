// SPDX-License-Identifier: Apache-2.0
/*
 * vgic_dist_policy() / vgic_merge_write(): the guest's distributor
 * accesses never touch the hypervisor's INTIDs. Here the hypervisor owns
 * SGI 15, PPI 25 (maintenance), PPI 26 (EL2 timer) and SPI 40.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <core/vgic.h>

static const uint32_t owned[GIC_MAX_INTID / 32 + 1] = {
	[0] = (1u << 15) | (1u << 25) | (1u << 26),
	[1] = 1u << (40 - 32),
};
#define OWNED_0_31	((1u << 15) | (1u << 25) | (1u << 26))

static void expect(unsigned off, unsigned size, uint64_t want_owned,
		   bool want_rmw)
{
	struct vgic_policy pol = vgic_dist_policy(off, size, owned);

	if (pol.owned != want_owned || pol.rmw != want_rmw)
		fail_msg("offset 0x%x size %u: owned 0x%llx rmw %d, expected "
			 "0x%llx rmw %d", off, size,
			 (unsigned long long)pol.owned, pol.rmw,
			 (unsigned long long)want_owned, want_rmw);
}

/* Set/clear-enable, pending and active registers: write 1 to act. */
static void test_one_bit_w1s_w1c(void **state)
{
	static const unsigned base[] = { 0x100, 0x180, 0x200, 0x280, 0x300,
					 0x380 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(base); i++) {
		expect(base[i], 4, OWNED_0_31, false);
		expect(base[i] + 4, 4, 1u << 8, false);	/* SPI 40 */
		expect(base[i] + 8, 4, 0, false);
		expect(base[i] + 1, 1, 1u << 7, false);	/* INTIDs 8-15 */
		expect(base[i] + 3, 1, 0x6, false);	/* INTIDs 24-31 */
	}
}

static void test_igroupr_igrpmodr_rmw(void **state)
{
	(void)state;
	expect(0x080, 4, OWNED_0_31, true);	/* IGROUPR0 */
	expect(0x084, 4, 1u << 8, true);	/* IGROUPR1 */
	expect(0xd00, 4, OWNED_0_31, true);	/* IGRPMODR0 */
	expect(0xd04, 4, 1u << 8, true);
}

/* One byte per INTID: byte i of IPRIORITYR<n> is INTID 4n + i. */
static void test_ipriorityr(void **state)
{
	(void)state;
	expect(0x418, 4, 0x00ffff00, true);	/* INTIDs 24-27 */
	expect(0x40c, 4, 0xff000000, true);	/* INTIDs 12-15 */
	expect(0x428, 4, 0x000000ff, true);	/* INTIDs 40-43 */
	expect(0x41c, 4, 0, true);
	expect(0x41a, 1, 0xff, true);		/* INTID 26 */
	expect(0x419, 1, 0xff, true);		/* INTID 25 */
	expect(0x418, 1, 0, true);
	expect(0x41b, 1, 0, true);
}

/* Two bits per INTID. */
static void test_icfgr(void **state)
{
	(void)state;
	expect(0xc00, 4, 3u << 30, true);			/* SGI 15 */
	expect(0xc04, 4, (3u << 18) | (3u << 20), true);	/* PPI 25, 26 */
	expect(0xc08, 4, 3u << 16, true);			/* SPI 40 */
	expect(0xc0c, 4, 0, true);
	expect(0xe04, 4, (3u << 18) | (3u << 20), true);	/* NSACR1 */
}

/* One 64-bit router per SPI. */
static void test_irouter(void **state)
{
	(void)state;
	expect(0x6000 + 8 * 40, 8, UINT64_MAX, true);
	expect(0x6000 + 8 * 41, 8, 0, true);
	expect(0x6000 + 8 * 39, 8, 0, true);
	expect(0x6000 + 8 * 1019, 8, 0, true);
}

static void test_unfiltered_registers(void **state)
{
	(void)state;
	expect(0x0000, 4, 0, false);	/* GICD_CTLR */
	expect(0x0004, 4, 0, false);	/* GICD_TYPER */
	expect(0x0040, 4, 0, false);	/* GICD_SETSPI_NSR */
	expect(0x0f00, 4, 0, false);	/* GICD_SGIR */
	expect(0xffe8, 4, 0, false);	/* GICD_PIDR2 */
}

/* Bits for INTIDs 1020-1023 (special) are never the hypervisor's. */
static void test_special_intids(void **state)
{
	uint32_t all[GIC_MAX_INTID / 32 + 1];

	(void)state;
	memset(all, 0xff, sizeof(all));
	assert_int_equal(vgic_dist_policy(0x17c, 4, all).owned, 0x0fffffff);
	assert_int_equal(vgic_dist_policy(0x7fc, 4, all).owned, 0);
}

/* W1S/W1C: the guest's 1s for owned INTIDs are dropped, hw unread. */
static void test_merge_w1s_w1c(void **state)
{
	struct vgic_policy en = vgic_dist_policy(0x100, 4, owned);
	struct vgic_policy dis = vgic_dist_policy(0x180, 4, owned);

	(void)state;
	assert_int_equal(vgic_merge_write(en, 0xffffffff, 0), ~OWNED_0_31);
	assert_int_equal(vgic_merge_write(en, 0xffffffff, 0xffffffff),
			 ~OWNED_0_31);
	assert_int_equal(vgic_merge_write(dis, 1u << 26, 0xffffffff), 0);
	assert_int_equal(vgic_merge_write(dis, 1u << 27, 0), 1u << 27);
	assert_int_equal(vgic_merge_write(vgic_dist_policy(0x6140, 8, owned),
					  0x0000000100000000, 0), 0);
}

/* RMW: owned bits keep the hardware's value, the others the guest's. */
static void test_merge_rmw(void **state)
{
	struct vgic_policy grp = vgic_dist_policy(0x080, 4, owned);
	struct vgic_policy prio = vgic_dist_policy(0x418, 4, owned);

	(void)state;
	assert_int_equal(vgic_merge_write(grp, 0, 0xffffffff), OWNED_0_31);
	assert_int_equal(vgic_merge_write(grp, 0xffffffff, 0), ~OWNED_0_31);
	assert_int_equal(vgic_merge_write(prio, 0xa0a0a0a0, 0x10203040),
			 0xa02030a0);
	assert_int_equal(vgic_merge_write(vgic_dist_policy(0x0, 4, owned),
					  0x12345678, 0xffffffff), 0x12345678);
}

static struct vgic_policy pol_of(enum vgic_frame f, unsigned off,
				 unsigned size)
{
	return vgic_access_policy(f, off, size, owned);
}

/* GICD_CTLR is emulated only for a 32-bit access at offset 0: a byte,
 * halfword or 64-bit access anywhere in it never reaches the hardware. */
static void test_gicd_ctlr_every_size(void **state)
{
	(void)state;
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0, 4).action,
			 VGIC_EMULATE_CTLR);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0, 8).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0, 2).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 2, 2).action, VGIC_RAZWI);
	for (unsigned off = 0; off < 4; off++)
		assert_int_equal(pol_of(VGIC_FRAME_DIST, off, 1).action,
				 VGIC_RAZWI);
	for (unsigned off = 1; off < 4; off++)
		assert_int_equal(pol_of(VGIC_FRAME_DIST, off, 4).action,
				 VGIC_ABORT);
}

/* Natural alignment, for every frame and size. */
static void test_unaligned_aborts(void **state)
{
	static const enum vgic_frame frames[] = {
		VGIC_FRAME_DIST, VGIC_FRAME_RD, VGIC_FRAME_SGI,
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(frames); i++)
		for (unsigned off = 0; off < 0x10000; off += 0x3f1)
			for (unsigned size = 2; size <= 8; size *= 2) {
				struct vgic_policy p = pol_of(frames[i], off,
							      size);

				if (off % size)
					assert_int_equal(p.action, VGIC_ABORT);
				else
					assert_int_not_equal(p.action,
							     VGIC_ABORT);
			}
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x6004, 8).action,
			 VGIC_ABORT);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x10000, 4).action,
			 VGIC_ABORT);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x100, 3).action, VGIC_ABORT);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x100, 16).action,
			 VGIC_ABORT);
}

/* Sizes: bytes only where the architecture allows them, 64 bits only on
 * the 64-bit registers, halfwords nowhere (no message-based SPIs). */
static void test_sizes_the_architecture_allows(void **state)
{
	(void)state;
	/* Byte-accessible: IPRIORITYR, ITARGETSR, C/SPENDSGIR. */
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x401, 1).action,
			 VGIC_FORWARD);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x803, 1).action,
			 VGIC_FORWARD);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0xf1f, 1).action,
			 VGIC_FORWARD);
	assert_int_equal(pol_of(VGIC_FRAME_SGI, 0x41f, 1).action,
			 VGIC_FORWARD);
	assert_int_equal(pol_of(VGIC_FRAME_SGI, 0x420, 1).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x101, 1).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0xc01, 1).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_RD, 0x14, 1).action, VGIC_RAZWI);
	/* Halfwords. */
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x400, 2).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x40, 2).action, VGIC_RAZWI);
	/* 64 bits: IROUTER, GICR_TYPER, the LPI registers. */
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x6100, 8).action,
			 VGIC_FORWARD);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x7fd8, 8).action,
			 VGIC_FORWARD);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x7fe0, 8).action,
			 VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x100, 8).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_RD, 0x8, 8).action, VGIC_FORWARD);
	assert_int_equal(pol_of(VGIC_FRAME_RD, 0x0, 8).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_RD, 0x10, 8).action, VGIC_RAZWI);
	assert_int_equal(pol_of(VGIC_FRAME_SGI, 0x100, 8).action, VGIC_RAZWI);
	/* 32 bits: everywhere, including either half of a 64-bit one. */
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x6144, 4).action,
			 VGIC_FORWARD);
	assert_int_equal(pol_of(VGIC_FRAME_RD, 0xc, 4).action, VGIC_FORWARD);
}

/* The LPI bits and registers, and the redistributor's sleep control. */
static void test_protected_registers(void **state)
{
	struct vgic_policy p;

	(void)state;
	p = pol_of(VGIC_FRAME_DIST, 0x4, 4);		/* GICD_TYPER */
	assert_true(p.wi);
	assert_int_equal(vgic_read_value(p, 0xffffffff),
			 0xffffffff & ~((1u << 17) | (1u << 16)));
	for (unsigned off = 0x40; off < 0x60; off += 4)	/* SET/CLRSPI */
		assert_int_equal(pol_of(VGIC_FRAME_DIST, off, 4).action,
				 VGIC_RAZWI);
	p = pol_of(VGIC_FRAME_RD, 0x0, 4);		/* GICR_CTLR */
	assert_int_equal(vgic_merge_write(p, 0xffffffff, 0), 0xfffffffe);
	p = pol_of(VGIC_FRAME_RD, 0x14, 4);		/* GICR_WAKER */
	assert_int_equal(vgic_merge_write(p, 0x6, 0), 0x4);
	p = pol_of(VGIC_FRAME_RD, 0x8, 8);		/* GICR_TYPER */
	assert_true(p.wi);
	assert_int_equal(vgic_read_value(p, 0x0000000100000013), 0x0000000100000010);
	assert_int_equal(vgic_read_value(pol_of(VGIC_FRAME_RD, 0x8, 4), 0x13),
			 0x10);
	/* PROPBASER, PENDBASER and the other LPI registers: every size,
	 * both halves. */
	for (unsigned off = 0x40; off < 0xd0; off += 4) {
		assert_int_equal(pol_of(VGIC_FRAME_RD, off, 4).action,
				 VGIC_RAZWI);
		if (off % 8 == 0)
			assert_int_equal(pol_of(VGIC_FRAME_RD, off, 8).action,
					 VGIC_RAZWI);
	}
}

/* Every guest interrupt stays in Group 1: Group 0 would be a FIQ. */
static void test_group1_only(void **state)
{
	(void)state;
	/* SPI 40 is the hypervisor's: its bit keeps the hardware's. */
	assert_int_equal(vgic_merge_write(pol_of(VGIC_FRAME_DIST, 0x84, 4),
					  0, 0), 0xfffffeff);
	assert_int_equal(vgic_merge_write(pol_of(VGIC_FRAME_DIST, 0x88, 4),
					  0, 0), 0xffffffff);
	assert_int_equal(vgic_merge_write(pol_of(VGIC_FRAME_SGI, 0x80, 4),
					  0x1234, ~0u), 0xffffffff);
	assert_int_equal(vgic_merge_write(pol_of(VGIC_FRAME_DIST, 0x100, 4),
					  0x1234, 0), 0x1234);
}

/* The hypervisor's INTIDs in the SGI frame, at every allowed size. */
static void test_sgi_frame_owned(void **state)
{
	(void)state;
	assert_int_equal(pol_of(VGIC_FRAME_SGI, 0x100, 4).owned, OWNED_0_31);
	assert_int_equal(pol_of(VGIC_FRAME_SGI, 0x41a, 1).owned, 0xff);
	assert_int_equal(pol_of(VGIC_FRAME_SGI, 0x418, 4).owned, 0x00ffff00);
	assert_int_equal(pol_of(VGIC_FRAME_DIST, 0x6144, 4).owned, UINT64_MAX);
	/* A 32-bit half of an owned router keeps the hardware's value. */
	assert_int_equal(vgic_merge_write(pol_of(VGIC_FRAME_DIST, 0x6140, 4),
					  0, 0x81), 0x81);
}

/* Only redistributor frames that exist are reached. */
static void test_locate(void **state)
{
	struct vgic_place at;

	(void)state;
	assert_int_equal(vgic_locate(true, 0xfffc, 2, &at), 0);
	assert_int_equal(at.kind, VGIC_FRAME_DIST);
	assert_int_equal(at.off, 0xfffc);
	assert_int_equal(vgic_locate(false, 0x14, 2, &at), 0);
	assert_int_equal(at.kind, VGIC_FRAME_RD);
	assert_int_equal(at.base, 0);
	assert_int_equal(vgic_locate(false, 0x30100, 2, &at), 0);
	assert_int_equal(at.kind, VGIC_FRAME_SGI);
	assert_int_equal(at.base, 0x30000);
	assert_int_equal(at.off, 0x100);
	assert_int_equal(vgic_locate(false, 0x3fffc, 2, &at), 0);
	assert_int_equal(vgic_locate(false, 0x40000, 2, &at), -ENOENT);
	assert_int_equal(vgic_locate(false, 0x40008, 2, &at), -ENOENT);
	assert_int_equal(vgic_locate(false, 0xf5fffc, 2, &at), -ENOENT);
	assert_int_equal(vgic_locate(false, 0, 0, &at), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_bit_w1s_w1c),
		cmocka_unit_test(test_igroupr_igrpmodr_rmw),
		cmocka_unit_test(test_ipriorityr),
		cmocka_unit_test(test_icfgr),
		cmocka_unit_test(test_irouter),
		cmocka_unit_test(test_unfiltered_registers),
		cmocka_unit_test(test_special_intids),
		cmocka_unit_test(test_merge_w1s_w1c),
		cmocka_unit_test(test_merge_rmw),
		cmocka_unit_test(test_gicd_ctlr_every_size),
		cmocka_unit_test(test_unaligned_aborts),
		cmocka_unit_test(test_sizes_the_architecture_allows),
		cmocka_unit_test(test_protected_registers),
		cmocka_unit_test(test_group1_only),
		cmocka_unit_test(test_sgi_frame_owned),
		cmocka_unit_test(test_locate),
	};

	return cmocka_run_group_tests_name("vgic_filter", tests, NULL, NULL);
}
