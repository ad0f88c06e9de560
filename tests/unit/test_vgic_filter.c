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
	expect(0x6000 + 8 * 40, 8, UINT64_MAX, false);
	expect(0x6000 + 8 * 41, 8, 0, false);
	expect(0x6000 + 8 * 39, 8, 0, false);
	expect(0x6000 + 8 * 1019, 8, 0, false);
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
	};

	return cmocka_run_group_tests_name("vgic_filter", tests, NULL, NULL);
}
