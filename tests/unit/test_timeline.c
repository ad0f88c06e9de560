// SPDX-License-Identifier: Apache-2.0
/* The guest timeline: exact rates, continuity at every change, no
 * overflow over ten years at 1 GHz (G saturates at the end of its
 * range), inverse for timer deadlines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <core/cntfrq.h>
#include <core/timeline.h>

#define FH	62500000ULL		/* QEMU's counter */
#define GHZ	1000000000ULL
#define TEN_YEARS_S	(10ULL * 366 * 86400)

static struct timeline natural(uint64_t fh)
{
	struct timeline t;

	assert_int_equal(timeline_init(&t, 1000, 1000, fh, fh), 0);
	return t;
}

static void test_natural_is_identity(void **state)
{
	struct timeline t = natural(FH);

	(void)state;
	assert_true(timeline_is_natural(&t));
	assert_int_equal(timeline_guest(&t, 1000), 1000);
	assert_int_equal(timeline_guest(&t, 123456789), 123456789);
	assert_int_equal(timeline_host_at(&t, 5000), 5000);
	/* Before the base, G holds (never goes back). */
	assert_int_equal(timeline_guest(&t, 10), 1000);
}

static void test_rates_exact(void **state)
{
	static const uint32_t r[][2] = { { 1, 2 }, { 2, 1 }, { 1, 3 },
					 { 1, 100 }, { 100, 1 }, { 7, 9 } };
	uint64_t dp = 3 * FH * 7 * 9;	/* divisible by every den */

	(void)state;
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct timeline t = natural(FH);

		assert_int_equal(timeline_set_rate(&t, 1000, r[i][0], r[i][1]), 0);
		assert_false(timeline_is_natural(&t));
		assert_int_equal(timeline_guest(&t, 1000 + dp) - 1000,
				 dp * r[i][0] / r[i][1]);
	}
}

static void test_rate_range(void **state)
{
	struct timeline t = natural(FH), before;

	(void)state;
	before = t;
	assert_int_equal(timeline_set_rate(&t, 2000, 1, 101), -ERANGE);
	assert_int_equal(timeline_set_rate(&t, 2000, 101, 1), -ERANGE);
	assert_int_equal(timeline_set_rate(&t, 2000, 1, 0), -ERANGE);
	assert_int_equal(timeline_set_rate(&t, 2000, 0, 1), -ERANGE);
	assert_memory_equal(&t, &before, sizeof(t));	/* untouched */
	assert_int_equal(timeline_set_rate(&t, 2000, 1, 100), 0);
	assert_int_equal(timeline_set_rate(&t, 2000, 100, 1), 0);
	assert_int_equal(timeline_set_rate(&t, 2000, 4000000000u, 40000000u), 0);
}

/* G is continuous and monotonic across many changes. */
static void test_continuous_across_changes(void **state)
{
	struct timeline t = natural(FH);
	uint64_t p = 1000, last = timeline_guest(&t, p);
	uint32_t seed = 12345;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint64_t before, after;

		seed = seed * 1103515245 + 12345;
		p += 1 + (seed >> 8) % 100000;
		before = timeline_guest(&t, p);
		assert_true(before >= last);
		/* 10/999 .. 999/10: always inside 0.01 .. 100 */
		assert_int_equal(timeline_set_rate(&t, p, 10 + (seed >> 4) % 990,
						   10 + (seed >> 14) % 990), 0);
		after = timeline_guest(&t, p);
		assert_int_equal(after, before);	/* no jump at a change */
		last = after;
	}
}

/* Ten years at 1 GHz and the extreme rate and frequencies: no overflow. */
static void test_no_overflow_ten_years(void **state)
{
	struct timeline t;
	uint64_t span = TEN_YEARS_S * GHZ;

	(void)state;
	/* (at rate 100, G passes 2^64 after 5.8 years: test_guest_saturates) */
	assert_int_equal(timeline_init(&t, 0, 0, GHZ, GHZ), 0);
	assert_int_equal(timeline_set_rate(&t, 0, 5, 1), 0);
	assert_int_equal(timeline_guest(&t, span), span * 5);
	assert_int_equal(timeline_set_rate(&t, span, 1, 100), 0);
	assert_int_equal(timeline_guest(&t, 2 * span), span * 5 + span / 100);
	/* Presented 4 GHz on a 1 GHz counter at rate 100 for ten years:
	 * the 128-bit intermediate still holds. */
	assert_int_equal(timeline_init(&t, 0, 0, GHZ, 4 * GHZ), 0);
	assert_int_equal(timeline_set_rate(&t, 0, 100, 1), 0);
	assert_true(timeline_guest(&t, span / 100) == span * 4);
}

/* Presented frequency: f_guest = f_host / r gives rate r with slope 1. */
static void test_presented_frequency(void **state)
{
	struct timeline t;

	(void)state;
	assert_int_equal(timeline_init(&t, 0, 0, FH, 2 * FH), 0);
	assert_int_equal(t.num, 1);
	assert_int_equal(t.den, 2);		/* half speed */
	assert_true(timeline_is_natural(&t));	/* no scaling needed */
	assert_int_equal(timeline_guest(&t, 12345), 12345);
	/* Asking for rate 1 on that guest doubles the slope. */
	assert_int_equal(timeline_set_rate(&t, 1000, 1, 1), 0);
	assert_false(timeline_is_natural(&t));
	assert_int_equal(timeline_guest(&t, 1000 + FH) - 1000, 2 * FH);
}

static void test_host_deadline_inverse(void **state)
{
	struct timeline t = natural(FH);

	(void)state;
	assert_int_equal(timeline_set_rate(&t, 1000, 1, 3), 0);
	for (uint64_t g = 1000; g < 1000 + 100000; g += 7) {
		uint64_t p = timeline_host_at(&t, g);

		assert_true(timeline_guest(&t, p) >= g);	/* reached */
		assert_true(p == t.p0 || timeline_guest(&t, p - 1) < g); /* first */
	}
	assert_int_equal(timeline_host_at(&t, 10), t.p0);	/* past */
}

/*
 * A far-future guest deadline (CNTP_CVAL near 2^64) stays in the future
 * at every rate and offset: the host deadline saturates at UINT64_MAX
 * instead of wrapping into the past, which would fire the timer at once
 * and again after every guest EOI (an interrupt storm).
 */
static unsigned __int128 exact_g(const struct timeline *t, uint64_t p)
{
	if (p <= t->p0)
		return t->g0;
	return t->g0 + (unsigned __int128)(p - t->p0) * t->num * t->fg /
	       ((unsigned __int128)t->den * t->fh);
}

static void test_host_deadline_saturates(void **state)
{
	static const uint32_t rates[][2] = { { 1, 100 }, { 1, 2 }, { 1, 1 },
					     { 2, 1 }, { 100, 1 } };
	static const uint64_t fgs[] = { FH, 2 * FH, FH / 3, 4 * GHZ };
	static const uint64_t bases[][2] = {	/* p0, g0 */
		{ 1000, 1000 }, { 0, 0 }, { 1ULL << 63, 5 },
		{ 5, 1ULL << 63 }, { UINT64_MAX - 10, UINT64_MAX - 1000 },
		{ UINT64_MAX / 3, UINT64_MAX / 2 },
	};
	static const uint64_t cvals[] = { UINT64_MAX, UINT64_MAX - 1,
					  1ULL << 63, 1ULL << 40 };
	struct timeline t;

	(void)state;
	/* The cases of the review: CVAL = ~0 at rates 0.01 and 100. */
	assert_int_equal(timeline_init(&t, 1000, 1000, FH, FH), 0);
	assert_int_equal(timeline_set_rate(&t, 1000, 1, 100), 0);
	assert_int_equal(timeline_host_at(&t, UINT64_MAX), UINT64_MAX);
	assert_int_equal(timeline_set_rate(&t, 1000, 1, 2), 0);
	assert_int_equal(timeline_host_at(&t, UINT64_MAX), UINT64_MAX);
	assert_int_equal(timeline_set_rate(&t, 1000, 100, 1), 0);
	assert_int_equal(timeline_host_at(&t, UINT64_MAX),
			 1000 + (UINT64_MAX - 1000 + 99) / 100);
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++)
	for (size_t f = 0; f < sizeof(fgs) / sizeof(fgs[0]); f++)
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		uint64_t prev = 0;

		assert_int_equal(timeline_init(&t, bases[b][0], bases[b][1], FH,
					       fgs[f]), 0);
		assert_int_equal(timeline_set_rate(&t, bases[b][0], rates[r][0],
						   rates[r][1]), 0);
		for (size_t c = sizeof(cvals) / sizeof(cvals[0]); c-- > 0;) {
			uint64_t g = cvals[c], p = timeline_host_at(&t, g);

			if (p < t.p0)
				fail_msg("rate %u/%u fg %llu p0 %llu g0 %llu: CVAL %llu"
					 " -> host %llu, in the past",
					 rates[r][0], rates[r][1],
					 (unsigned long long)fgs[f],
					 (unsigned long long)t.p0,
					 (unsigned long long)t.g0,
					 (unsigned long long)g,
					 (unsigned long long)p);
			assert_true(p >= prev);		/* monotonic in g */
			prev = p;
			/* Not saturated: the first P where G, exact and
			 * unwrapped, reaches g. */
			if (p != UINT64_MAX && g > t.g0) {
				assert_true(exact_g(&t, p) >= g);
				assert_true(exact_g(&t, p - 1) < g);
			}
		}
	}
	/* A huge host offset: p0 + d would wrap. */
	assert_int_equal(timeline_init(&t, UINT64_MAX - 10, 0, FH, FH), 0);
	assert_int_equal(timeline_host_at(&t, 1000), UINT64_MAX);
	/* Frequencies CNTFRQ cannot hold are refused. */
	assert_int_equal(timeline_init(&t, 0, 0, FH, 1ULL << 32), -ERANGE);
	assert_int_equal(timeline_init(&t, 0, 0, 1ULL << 32, FH), -ERANGE);
}

/* CNTFRQ_EL0 is written only where EL3 is not implemented (PFR0[15:12]). */
static void test_cntfrq_decision(void **state)
{
	(void)state;
	assert_true(cntfrq_writable(0x0000000001000222ULL));	/* A57, no EL3 */
	assert_false(cntfrq_writable(0x0000000001001222ULL));	/* EL3, AArch64 */
	assert_false(cntfrq_writable(0x0000000001002222ULL));	/* EL3, +AArch32 */
	assert_false(cntfrq_writable(0xf000ULL));
	assert_int_equal(freq_mechanism(0x1222, FH, FH), FREQ_BY_NONE);
	assert_int_equal(freq_mechanism(0x0222, 2 * FH, FH), FREQ_BY_CNTFRQ);
	assert_int_equal(freq_mechanism(0x1222, 2 * FH, FH), FREQ_BY_DT);
	assert_string_equal(freq_by_name(FREQ_BY_DT),
			    "DT only (EL3 owns CNTFRQ_EL0)");
}

static void test_step_forward(void **state)
{
	struct timeline t = natural(FH);
	uint64_t g;

	(void)state;
	g = timeline_guest(&t, 5000);
	assert_int_equal(timeline_step(&t, 5000, FH), 0);
	assert_int_equal(timeline_guest(&t, 5000), g + FH);
	assert_int_equal(timeline_step(&t, 6000, UINT64_MAX), -ERANGE);
}

/* At the end of its range G stays at UINT64_MAX: a wrapped G would send
 * the guest's counter back to 0 (at rate 100 and 1 GHz, 2^64 ticks are
 * under 6 years of host time). */
static void test_guest_saturates(void **state)
{
	struct timeline t;

	(void)state;
	assert_int_equal(timeline_init(&t, 0, UINT64_MAX - 1000, GHZ, GHZ), 0);
	assert_int_equal(timeline_set_rate(&t, 0, 100, 1), 0);
	assert_int_equal(timeline_guest(&t, 10), UINT64_MAX - 0);
	assert_int_equal(timeline_guest(&t, 5), UINT64_MAX - 500);
	assert_int_equal(timeline_guest(&t, UINT64_MAX), UINT64_MAX);
	/* the largest product: p - p0, num and fg all near 2^32 or 2^64 */
	assert_int_equal(timeline_init(&t, 0, 0, UINT32_MAX, UINT32_MAX - 1),
			 0);
	assert_int_equal(t.num, UINT32_MAX);
	assert_int_equal(timeline_guest(&t, UINT64_MAX), UINT64_MAX);
	assert_int_equal(timeline_guest(&t, UINT64_MAX - 1),
			 (uint64_t)(((unsigned __int128)(UINT64_MAX - 1) *
				     UINT32_MAX * (UINT32_MAX - 1)) /
				    ((unsigned __int128)(UINT32_MAX - 1) *
				     UINT32_MAX)));
	/* a rebase once saturated stays there */
	assert_int_equal(timeline_init(&t, 0, UINT64_MAX - 1000, GHZ, GHZ), 0);
	assert_int_equal(timeline_set_rate(&t, 0, 100, 1), 0);
	assert_int_equal(timeline_set_rate(&t, 100, 1, 1), 0);
	assert_int_equal(t.g0, UINT64_MAX);
	assert_int_equal(timeline_guest(&t, 200), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_natural_is_identity),
		cmocka_unit_test(test_rates_exact),
		cmocka_unit_test(test_rate_range),
		cmocka_unit_test(test_continuous_across_changes),
		cmocka_unit_test(test_no_overflow_ten_years),
		cmocka_unit_test(test_presented_frequency),
		cmocka_unit_test(test_host_deadline_inverse),
		cmocka_unit_test(test_host_deadline_saturates),
		cmocka_unit_test(test_cntfrq_decision),
		cmocka_unit_test(test_step_forward),
		cmocka_unit_test(test_guest_saturates),
	};

	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
