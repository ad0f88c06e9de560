// SPDX-License-Identifier: Apache-2.0
/* Dilation arithmetic: the correction period for a bound, the centring
 * offset, stalls that never let CNTVCT go back, and idle timer offsets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <core/dilation.h>

#define FH	62500000ULL		/* QEMU's counter */
#define MS	(FH / 1000)
#define BOUND	(MS / 2)		/* 0.5 ms of guest time */
#define MIN_P	(MS / 4)
#define MAX_P	(10 * MS)

static struct timeline at_rate(uint32_t num, uint32_t den)
{
	struct timeline t;

	assert_int_equal(timeline_init(&t, 1000000, 1000000, FH, FH), 0);
	assert_int_equal(timeline_set_rate(&t, 1000000, num, den), 0);
	return t;
}

static void test_period_follows_rate(void **state)
{
	struct timeline t;

	(void)state;
	t = at_rate(1, 1);
	assert_int_equal(dil_period(&t, BOUND, MIN_P, MAX_P), MAX_P);
	assert_int_equal(dil_offset(&t, MAX_P), 0);
	/* |1 - s| = 1/2: T = 2 x 0.5 ms / (1/2) = 2 ms. */
	t = at_rate(1, 2);
	assert_int_equal(dil_period(&t, BOUND, MIN_P, MAX_P), 2 * MS);
	assert_int_equal(dil_offset(&t, 2 * MS), -(int64_t)BOUND);
	t = at_rate(2, 1);
	assert_int_equal(dil_period(&t, BOUND, MIN_P, MAX_P), MS);
	assert_int_equal(dil_offset(&t, MS), (int64_t)BOUND);
	/* 0.1: 1/0.9 ms; 10: clamped to the shortest period. */
	t = at_rate(1, 10);
	assert_int_equal(dil_period(&t, BOUND, MIN_P, MAX_P), MS * 10 / 9);
	t = at_rate(10, 1);
	assert_int_equal(dil_period(&t, BOUND, MIN_P, MAX_P), MIN_P);
	/* Nearly natural: the longest period. */
	t = at_rate(1001, 1000);
	assert_int_equal(dil_period(&t, BOUND, MIN_P, MAX_P), MAX_P);
}

/* Simulates running and correcting: V never goes back, and the error a
 * guest can read stays within the bound when corrections are on time. */
static void simulate(uint32_t num, uint32_t den, uint64_t late)
{
	struct timeline t = at_rate(num, den);
	uint64_t T = dil_period(&t, BOUND, MIN_P, MAX_P);
	int64_t d = dil_offset(&t, T);
	uint64_t p = 1000000, cntvoff = 0, v_last = 0, worst = 0;
	uint64_t ran = 0, stalled = 0;

	/* The first correction, at the rate change. */
	struct dil_plan first = dil_plan(&t, p, p, d);

	p = first.stall_until ? first.stall_until : p;
	cntvoff = p - first.v;
	for (int i = 0; i < 5000; i++) {
		uint64_t run = T + (i % 7 == 0 ? late : 0), e;
		struct dil_plan pl;

		/* The guest runs, reading V, up to the next correction. */
		e = dil_error(&t, p, cntvoff);
		worst = e > worst ? e : worst;
		assert_true(p - cntvoff >= v_last);
		p += run;
		ran += run;
		e = dil_error(&t, p, cntvoff);
		worst = e > worst ? e : worst;
		v_last = p - cntvoff;
		pl = dil_plan(&t, p, v_last, d);
		if (pl.stall_until) {
			assert_true(pl.stall_until > p);
			assert_int_equal(pl.v, v_last);
			stalled += pl.stall_until - p;
			p = pl.stall_until;
			/* G + d has reached V. */
			assert_true((int64_t)(timeline_guest(&t, p) - pl.v) + d >= 0);
		}
		assert_true(pl.v >= v_last);
		cntvoff = p - pl.v;
	}
	if (!late)
		assert_true(worst <= BOUND + 1);
	/* The guest gets the rate's share of the host's time. */
	if (num < den) {
		double share = (double)ran / (double)(ran + stalled);
		assert_true(share > (double)num / den * 0.98);
		assert_true(share < (double)num / den * 1.02);
	}
}

static void test_simulated_rates(void **state)
{
	(void)state;
	simulate(1, 10, 0);
	simulate(1, 2, 0);
	simulate(2, 1, 0);
	simulate(3, 4, 0);
	/* Late corrections (a busy host): V still never goes back. */
	simulate(1, 10, 7 * MS);
	simulate(1, 2, 5 * MS);
	simulate(2, 1, 5 * MS);
}

static void test_plan_after_idle_steps_forward(void **state)
{
	struct timeline t = at_rate(1, 2);
	int64_t d = dil_offset(&t, 2 * MS);
	uint64_t p = 1000000 + 100 * MS;	/* 100 ms idle: G is 50 ms on */
	struct dil_plan pl = dil_plan(&t, p, 1000000 + MS, d);

	(void)state;
	assert_int_equal(pl.stall_until, 0);
	assert_int_equal(pl.v, timeline_guest(&t, p) + d);
}

static void test_plan_never_below_zero(void **state)
{
	struct timeline t = at_rate(1, 2);
	struct dil_plan pl = dil_plan(&t, 0, 0, -(int64_t)MS * 1000000);

	(void)state;
	assert_int_equal(pl.stall_until, 0);
	assert_int_equal(pl.v, 0);
}

static void test_idle_timer_fires_on_plan(void **state)
{
	struct timeline t = at_rate(1, 2);
	int64_t d = dil_offset(&t, 2 * MS);
	uint64_t cval = timeline_guest(&t, 5000000) + 3 * MS;
	uint64_t off = dil_idle_cntvoff(&t, cval, d), fire = cval + off;

	(void)state;
	/* The hardware fires at P = cval + CNTVOFF: there, G + d = cval. */
	assert_true((int64_t)(timeline_guest(&t, fire) - cval) + d >= 0);
	assert_true((int64_t)(timeline_guest(&t, fire - 2) - cval) + d < 0);
	/* At rate 1 on G, the offset is the natural one. */
	t = at_rate(1, 1);
	assert_int_equal(dil_idle_cntvoff(&t, 7000000, 0), 0);
}

static void test_error(void **state)
{
	struct timeline t = at_rate(1, 2);

	(void)state;
	/* 1 ms of host time at rate 1/2: G gained 0.5 ms, V 1 ms. */
	assert_int_equal(dil_error(&t, 1000000 + MS, 0), MS / 2);
	assert_int_equal(dil_error(&t, 1000000 + MS, MS), MS / 2);
}

/* Where EL2 must fire the virtual timer itself (CNTVOFF negative: V
 * ahead of P), the host tick CNTVCT = P - CNTVOFF reaches CVAL, modulo
 * 2^64 as the architecture counts. */
static void test_vtimer_at(void **state)
{
	uint64_t ahead = (uint64_t)-(int64_t)(5 * MS);	/* V = P + 5 ms */

	(void)state;
	assert_false(dil_cntvoff_negative(0));
	assert_false(dil_cntvoff_negative(1000));
	assert_true(dil_cntvoff_negative(ahead));
	/* V = P + 5 ms: CVAL 8 ms ahead of P is due 3 ms from now */
	assert_int_equal(dil_vtimer_at(100 * MS, ahead, 108 * MS), 103 * MS);
	/* due already, or exactly now: now */
	assert_int_equal(dil_vtimer_at(100 * MS, ahead, 104 * MS), 100 * MS);
	assert_int_equal(dil_vtimer_at(100 * MS, ahead, 105 * MS), 100 * MS);
	/* V behind P, as before */
	assert_int_equal(dil_vtimer_at(100 * MS, 10 * MS, 95 * MS), 105 * MS);
	/* the last host tick there is, ahead */
	assert_int_equal(dil_vtimer_at(100 * MS, ahead, UINT64_MAX),
			 UINT64_MAX - 5 * MS);
	/* past the counter's range: never, not a wrapped past deadline */
	assert_int_equal(dil_vtimer_at(100 * MS, 50 * MS, UINT64_MAX),
			 UINT64_MAX);
	assert_int_equal(dil_vtimer_at(UINT64_MAX - 10, 0, UINT64_MAX),
			 UINT64_MAX);
	assert_int_equal(dil_vtimer_at(UINT64_MAX - 10, 0, UINT64_MAX - 10),
			 UINT64_MAX - 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_follows_rate),
		cmocka_unit_test(test_simulated_rates),
		cmocka_unit_test(test_plan_after_idle_steps_forward),
		cmocka_unit_test(test_plan_never_below_zero),
		cmocka_unit_test(test_idle_timer_fires_on_plan),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_vtimer_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
