// SPDX-License-Identifier: Apache-2.0
/* The SBSA Generic Watchdog's register file: every register at every
 * size, the hostile accesses (bad sizes, unaligned, 64 bits where the
 * architecture has 32, reserved offsets, outside the frame), refreshes,
 * the WS0 then WS1 sequence and the deadline. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <core/sbsa_wdt.h>

#define C	SBSA_WDT_CONTROL
#define R	SBSA_WDT_REFRESH

static uint64_t rd(const struct sbsa_wdt *w, enum sbsa_wdt_frame f,
		   uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeefdeadbeefULL;

	assert_int_equal(sbsa_wdt_read(w, f, off, size, &v), 0);
	return v;
}

static void wr(struct sbsa_wdt *w, enum sbsa_wdt_frame f, uint64_t off,
	       unsigned size, uint64_t v, uint64_t now)
{
	assert_int_equal(sbsa_wdt_write(w, f, off, size, v, now), 0);
}

static struct sbsa_wdt fresh(void)
{
	struct sbsa_wdt w;

	memset(&w, 0xa5, sizeof(w));
	sbsa_wdt_reset(&w);
	return w;
}

static void test_reset_state(void **state)
{
	struct sbsa_wdt w = fresh();

	(void)state;
	assert_int_equal(rd(&w, C, SBSA_WDT_WCS, 4), 0);
	assert_int_equal(rd(&w, C, SBSA_WDT_WOR, 4), 0);
	assert_int_equal(rd(&w, C, SBSA_WDT_WORU, 4), 0);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 8), 0);
	assert_int_equal(rd(&w, C, SBSA_WDT_W_IIDR, 4), SBSA_WDT_IIDR);
	assert_int_equal(rd(&w, R, SBSA_WDT_W_IIDR, 4), SBSA_WDT_IIDR);
	/* Linux reads the architecture version from W_IIDR[19:16]. */
	assert_int_equal((rd(&w, C, SBSA_WDT_W_IIDR, 4) >> 16) & 0xf, 1);
	assert_int_equal(sbsa_wdt_deadline(&w), UINT64_MAX);
	assert_int_equal(sbsa_wdt_advance(&w, UINT64_MAX - 1), SBSA_WDT_ACT_NONE);
}

/* WOR: 32-bit halves (what Linux's lo_hi_writeq does) and one 64-bit
 * access; 48 bits kept; every write is an explicit refresh. */
static void test_wor(void **state)
{
	struct sbsa_wdt w = fresh();

	(void)state;
	wr(&w, C, SBSA_WDT_WOR, 4, 0x89abcdef, 100);
	assert_int_equal(rd(&w, C, SBSA_WDT_WOR, 4), 0x89abcdef);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 8), 100 + 0x89abcdef);
	wr(&w, C, SBSA_WDT_WORU, 4, 0xffff1234, 200);
	assert_int_equal(rd(&w, C, SBSA_WDT_WORU, 4), 0x1234);
	assert_int_equal(rd(&w, C, SBSA_WDT_WOR, 8), 0x123489abcdefULL);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 8), 200 + 0x123489abcdefULL);
	wr(&w, C, SBSA_WDT_WOR, 8, 0xffffffffffffffffULL, 300);
	assert_int_equal(rd(&w, C, SBSA_WDT_WOR, 8), SBSA_WDT_WOR_MASK);
	assert_int_equal(rd(&w, C, SBSA_WDT_WOR, 4), 0xffffffff);
	/* The low half alone keeps the high bits. */
	wr(&w, C, SBSA_WDT_WOR, 4, 5, 400);
	assert_int_equal(rd(&w, C, SBSA_WDT_WOR, 8), 0xffff00000005ULL);
}

/* WCV: written directly it is a new deadline, not a refresh. */
static void test_wcv(void **state)
{
	struct sbsa_wdt w = fresh();

	(void)state;
	wr(&w, C, SBSA_WDT_WCS, 4, SBSA_WDT_WCS_EN, 0);
	wr(&w, C, SBSA_WDT_WCV, 4, 0x11111111, 0);
	wr(&w, C, SBSA_WDT_WCVU, 4, 0x22222222, 0);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 8), 0x2222222211111111ULL);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 4), 0x11111111);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCVU, 4), 0x22222222);
	wr(&w, C, SBSA_WDT_WCV, 8, 1000, 0);
	assert_int_equal(sbsa_wdt_deadline(&w), 1000);
	assert_int_equal(sbsa_wdt_advance(&w, 1000), SBSA_WDT_ACT_NONE);
	assert_int_equal(sbsa_wdt_advance(&w, 1001), SBSA_WDT_ACT_WS0);
	/* Writing WCV does not clear WS0. */
	wr(&w, C, SBSA_WDT_WCV, 8, 5000, 1002);
	assert_true(sbsa_wdt_ws0(&w));
}

static void test_wcs(void **state)
{
	struct sbsa_wdt w = fresh();

	(void)state;
	wr(&w, C, SBSA_WDT_WOR, 4, 10, 0);
	/* Only EN is writable: WS0 and WS1 are status. */
	wr(&w, C, SBSA_WDT_WCS, 4, 0xffffffff, 50);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCS, 4), SBSA_WDT_WCS_EN);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 8), 60);	/* a refresh */
	assert_int_equal(sbsa_wdt_advance(&w, 61), SBSA_WDT_ACT_WS0);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCS, 4),
			 SBSA_WDT_WCS_EN | SBSA_WDT_WCS_WS0);
	/* A write to WCS refreshes: WS0 clears. */
	wr(&w, C, SBSA_WDT_WCS, 4, SBSA_WDT_WCS_EN, 70);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCS, 4), SBSA_WDT_WCS_EN);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 8), 80);
	/* Disabled: no timeout however late. */
	wr(&w, C, SBSA_WDT_WCS, 4, 0, 90);
	assert_int_equal(sbsa_wdt_advance(&w, 1000000), SBSA_WDT_ACT_NONE);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCS, 4), 0);
}

/* WS0 at the first timeout (with a timeout refresh), WS1 at the second,
 * then nothing more; a refresh in between starts over. */
static void test_two_stages(void **state)
{
	struct sbsa_wdt w = fresh();

	(void)state;
	wr(&w, C, SBSA_WDT_WOR, 4, 100, 0);
	wr(&w, C, SBSA_WDT_WCS, 4, SBSA_WDT_WCS_EN, 0);
	assert_int_equal(sbsa_wdt_advance(&w, 100), SBSA_WDT_ACT_NONE);
	assert_int_equal(sbsa_wdt_advance(&w, 101), SBSA_WDT_ACT_WS0);
	assert_int_equal(sbsa_wdt_deadline(&w), 201);
	assert_int_equal(sbsa_wdt_advance(&w, 150), SBSA_WDT_ACT_NONE);
	/* WRR: any value, a refresh that clears WS0. */
	wr(&w, R, SBSA_WDT_WRR, 4, 0x12345678, 150);
	assert_false(sbsa_wdt_ws0(&w));
	assert_int_equal(sbsa_wdt_deadline(&w), 250);
	assert_int_equal(sbsa_wdt_advance(&w, 251), SBSA_WDT_ACT_WS0);
	assert_int_equal(sbsa_wdt_advance(&w, 351), SBSA_WDT_ACT_NONE);
	assert_int_equal(sbsa_wdt_advance(&w, 352), SBSA_WDT_ACT_WS1);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCS, 4), SBSA_WDT_WCS_EN |
			 SBSA_WDT_WCS_WS0 | SBSA_WDT_WCS_WS1);
	assert_int_equal(sbsa_wdt_deadline(&w), UINT64_MAX);
	assert_int_equal(sbsa_wdt_advance(&w, 100000), SBSA_WDT_ACT_NONE);
}

/* A late check still goes through both stages, one per call. */
static void test_late_tick(void **state)
{
	struct sbsa_wdt w = fresh();

	(void)state;
	wr(&w, C, SBSA_WDT_WOR, 4, 0, 0);
	wr(&w, C, SBSA_WDT_WCS, 4, SBSA_WDT_WCS_EN, 0);
	assert_int_equal(sbsa_wdt_advance(&w, 1), SBSA_WDT_ACT_WS0);
	assert_int_equal(sbsa_wdt_advance(&w, 2), SBSA_WDT_ACT_WS1);
}

static void test_refresh_frame(void **state)
{
	struct sbsa_wdt w = fresh();

	(void)state;
	wr(&w, C, SBSA_WDT_WOR, 4, 7, 0);
	assert_int_equal(rd(&w, R, SBSA_WDT_WRR, 4), 0);	/* WRR RAZ */
	wr(&w, R, SBSA_WDT_WRR, 4, 0, 1000);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 8), 1007);
	/* The refresh frame's other words: RAZ/WI, no refresh. */
	wr(&w, R, 0x8, 4, 0xffffffff, 5000);
	wr(&w, R, SBSA_WDT_W_IIDR, 4, 0xffffffff, 5000);
	assert_int_equal(rd(&w, R, 0x8, 4), 0);
	assert_int_equal(rd(&w, R, SBSA_WDT_W_IIDR, 4), SBSA_WDT_IIDR);
	assert_int_equal(rd(&w, C, SBSA_WDT_WCV, 8), 1007);
}

/* Every 32-bit word of the control frame that is not a register reads
 * zero and ignores writes, which refresh nothing. */
static void test_reserved_raz_wi(void **state)
{
	struct sbsa_wdt w = fresh(), before;

	(void)state;
	wr(&w, C, SBSA_WDT_WOR, 4, 9, 0);
	wr(&w, C, SBSA_WDT_WCS, 4, SBSA_WDT_WCS_EN, 0);
	before = w;
	for (uint64_t off = 0; off < SBSA_WDT_FRAME_SIZE; off += 4) {
		if (off == SBSA_WDT_WCS || off == SBSA_WDT_WOR ||
		    off == SBSA_WDT_WORU || off == SBSA_WDT_WCV ||
		    off == SBSA_WDT_WCVU || off == SBSA_WDT_W_IIDR)
			continue;
		assert_int_equal(rd(&w, C, off, 4), 0);
		wr(&w, C, off, 4, 0xffffffff, 12345);
		assert_memory_equal(&w, &before, sizeof(w));
	}
	/* W_IIDR is read-only. */
	wr(&w, C, SBSA_WDT_W_IIDR, 4, 0, 12345);
	assert_int_equal(rd(&w, C, SBSA_WDT_W_IIDR, 4), SBSA_WDT_IIDR);
	assert_memory_equal(&w, &before, sizeof(w));
}

/* Refused: the caller aborts the access; nothing changes. */
static void test_hostile_accesses(void **state)
{
	static const unsigned bad_sizes[] = { 0, 1, 2, 3, 5, 16 };
	struct sbsa_wdt w = fresh(), before;
	uint64_t v = 0x5555;

	(void)state;
	wr(&w, C, SBSA_WDT_WOR, 4, 9, 0);
	before = w;
	for (size_t i = 0; i < ARRAY_SIZE(bad_sizes); i++)
		for (int f = R; f <= C; f++) {
			assert_int_equal(sbsa_wdt_read(&w, f, 0, bad_sizes[i], &v), -EINVAL);
			assert_int_equal(sbsa_wdt_write(&w, f, 0, bad_sizes[i], 1, 5), -EINVAL);
		}
	/* Unaligned 32-bit and 64-bit accesses. */
	for (uint64_t off = 1; off < 4; off++) {
		assert_int_equal(sbsa_wdt_read(&w, C, SBSA_WDT_WOR + off, 4, &v), -EINVAL);
		assert_int_equal(sbsa_wdt_write(&w, R, SBSA_WDT_WRR + off, 4, 1, 5), -EINVAL);
	}
	assert_int_equal(sbsa_wdt_read(&w, C, SBSA_WDT_WORU, 8, &v), -EINVAL);
	assert_int_equal(sbsa_wdt_write(&w, C, SBSA_WDT_WCVU, 8, 1, 5), -EINVAL);
	/* 64 bits only at WOR and WCV of the control frame. */
	assert_int_equal(sbsa_wdt_read(&w, C, SBSA_WDT_WCS, 8, &v), -EINVAL);
	assert_int_equal(sbsa_wdt_write(&w, C, SBSA_WDT_WCS, 8, 1, 5), -EINVAL);
	assert_int_equal(sbsa_wdt_write(&w, R, SBSA_WDT_WRR, 8, 1, 5), -EINVAL);
	assert_int_equal(sbsa_wdt_read(&w, C, 0x18, 8, &v), -EINVAL);
	assert_int_equal(sbsa_wdt_read(&w, C, 0xfc8, 8, &v), -EINVAL);
	/* Outside the 4 KiB frame. */
	assert_int_equal(sbsa_wdt_read(&w, C, SBSA_WDT_FRAME_SIZE, 4, &v), -EINVAL);
	assert_int_equal(sbsa_wdt_write(&w, R, SBSA_WDT_FRAME_SIZE, 4, 1, 5), -EINVAL);
	assert_int_equal(sbsa_wdt_write(&w, C, UINT64_MAX - 3, 4, 1, 5), -EINVAL);
	/* An unknown frame. */
	assert_int_equal(sbsa_wdt_read(&w, (enum sbsa_wdt_frame)7, 0, 4, &v), -EINVAL);
	assert_int_equal(v, 0x5555);
	assert_memory_equal(&w, &before, sizeof(w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_wor),
		cmocka_unit_test(test_wcv),
		cmocka_unit_test(test_wcs),
		cmocka_unit_test(test_two_stages),
		cmocka_unit_test(test_late_tick),
		cmocka_unit_test(test_refresh_frame),
		cmocka_unit_test(test_reserved_raz_wi),
		cmocka_unit_test(test_hostile_accesses),
	};

	return cmocka_run_group_tests_name("sbsa_wdt", tests, NULL, NULL);
}
