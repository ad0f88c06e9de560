// SPDX-License-Identifier: Apache-2.0
/*
 * The driver of a board's SBSA Generic Watchdog (drivers/sbsa_gwdt.c)
 * against a register model: the emulated register file of
 * core/sbsa_wdt.c, which is the architected behaviour (explicit refresh,
 * WS0, then WS1 one WOR later). A MODEL: QEMU's virt machine has no SBSA
 * watchdog and no real part can run here, so these tests show what the
 * driver writes and when the architected part would reset the board, not
 * that a given board's part behaves so.
 *
 * Time runs in model ticks at FREQ Hz; every CPU ticks every TICK.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <drivers/sbsa_gwdt.h>

#define FREQ		62500000ULL	/* QEMU's system counter */
#define TICK		(FREQ / 100)	/* verge-hv's default 100 Hz */
#define MS(n)		((uint64_t)(n) * FREQ / 1000)

struct model {
	struct sbsa_wdt w;
	uint64_t now;
	unsigned version;	/* what W_IIDR says */
	unsigned accesses, woru_writes, wrr_writes;
	uint64_t ws1_at;	/* model time of WS1, 0 = none yet */
};

static uint32_t m_read(void *ctx, enum sbsa_wdt_frame f, uint32_t off)
{
	struct model *m = ctx;
	uint64_t v = 0;

	m->accesses++;
	/* every access the driver makes is one the part takes */
	assert_int_equal(sbsa_wdt_read(&m->w, f, off, 4, &v), 0);
	if (off == SBSA_WDT_W_IIDR)
		v = (v & ~0xf0000u) | m->version << 16;
	return (uint32_t)v;
}

static void m_write(void *ctx, enum sbsa_wdt_frame f, uint32_t off,
		    uint32_t v)
{
	struct model *m = ctx;

	m->accesses++;
	if (f == SBSA_WDT_CONTROL && off == SBSA_WDT_WORU)
		m->woru_writes++;
	if (f == SBSA_WDT_REFRESH && off == SBSA_WDT_WRR)
		m->wrr_writes++;
	assert_int_equal(sbsa_wdt_write(&m->w, f, off, 4, v, m->now), 0);
}

static struct model model;
static const struct gwdt_io io = { m_read, m_write, &model };

static void fresh(unsigned version)
{
	memset(&model, 0, sizeof(model));
	sbsa_wdt_reset(&model.w);
	model.version = version;
	model.now = MS(5000);	/* not at 0 */
}

/* Model time moves to t; the part's signals as they come. */
static void advance_to(uint64_t t)
{
	for (; model.now < t && !model.ws1_at; model.now += FREQ / 1000)
		if (sbsa_wdt_advance(&model.w, model.now) == SBSA_WDT_ACT_WS1)
			model.ws1_at = model.now;
}

/*
 * Runs the CPUs in online for ms of model time, each ticking every TICK,
 * except those in hung (their ticks stop). Returns the model time of WS1,
 * or 0.
 */
static uint64_t run(struct gwdt *g, uint32_t online, uint32_t hung,
		    uint64_t ms)
{
	uint64_t end = model.now + MS(ms);

	while (model.now < end && !model.ws1_at) {
		advance_to(model.now + TICK);
		for (unsigned cpu = 0; cpu < 4; cpu++)
			if ((online >> cpu & 1) && !(hung >> cpu & 1))
				gwdt_tick(g, cpu, online);
	}
	return model.ws1_at;
}

static void test_init_version_and_state(void **state)
{
	struct gwdt g;

	(void)state;
	fresh(1);
	assert_false(gwdt_init(&g, &io, FREQ));
	assert_int_equal(g.version, 1);
	fresh(0);
	model.w.wcs = SBSA_WDT_WCS_EN;	/* the firmware left it running */
	assert_true(gwdt_init(&g, &io, FREQ));
	assert_int_equal(g.version, 0);
	gwdt_disable(&g);
	assert_int_equal(model.w.wcs & SBSA_WDT_WCS_EN, 0);
	/* off and not armed: ticks write nothing, the part never resets */
	model.accesses = 0;
	assert_int_equal(run(&g, 3, 0, 60000), 0);
	assert_int_equal(model.accesses, 0);
}

/* WOR is half the timeout (WS0, then WS1 one WOR later); 48 bits on
 * version 1, 32 on version 0 (then WORU is never written). */
static void test_arm_programs_wor(void **state)
{
	struct gwdt g;
	uint32_t ms;

	(void)state;
	fresh(1);
	gwdt_init(&g, &io, FREQ);
	ms = gwdt_arm(&g, 30000 + GWDT_MARGIN_MS);
	assert_int_equal(ms, 32000);
	assert_int_equal(model.w.wor, MS(16000));
	assert_int_equal(model.w.wcs, SBSA_WDT_WCS_EN);
	assert_int_equal(model.w.wcv, model.now + MS(16000));
	assert_int_equal(model.woru_writes, 1);
	/* 3600 s + margin: above 2^32 ticks at 62.5 MHz */
	ms = gwdt_arm(&g, 3600 * 1000 + GWDT_MARGIN_MS);
	assert_int_equal(ms, 3602000);
	assert_int_equal(model.w.wor, MS(1801000));
	assert_true(model.w.wor > UINT32_MAX);

	fresh(0);
	gwdt_init(&g, &io, FREQ);
	ms = gwdt_arm(&g, 3600 * 1000 + GWDT_MARGIN_MS);
	assert_int_equal(model.w.wor, UINT32_MAX);
	assert_int_equal(model.woru_writes, 0);
	assert_int_equal(ms, 2 * (uint64_t)UINT32_MAX * 1000 / FREQ);
}

/* The boot guard's timeout S (WS0 + WS1 of the emulated watchdog) is
 * covered: the board resets no earlier than S plus the margin after
 * verge-hv's last refresh. */
static void test_timeout_covers_emulated(void **state)
{
	static const unsigned secs[] = { 1, 2, 30, 600 };

	(void)state;
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		struct gwdt g;
		uint64_t t0, at;

		fresh(1);
		gwdt_init(&g, &io, FREQ);
		gwdt_arm(&g, secs[i] * 1000 + GWDT_MARGIN_MS);
		t0 = model.now;
		at = run(&g, 1, 1, secs[i] * 1000 + GWDT_MARGIN_MS + 1000);
		assert_true(at > t0 + MS(secs[i] * 1000 + GWDT_MARGIN_MS) - MS(2));
		assert_true(at <= t0 + MS(secs[i] * 1000 + GWDT_MARGIN_MS) + MS(2));
	}
}

/* Healthy: every online CPU ticks, the part is refreshed and never
 * resets, over many timeouts; switching a CPU off (the mask) keeps it
 * so. */
static void test_healthy_never_resets(void **state)
{
	struct gwdt g;

	(void)state;
	fresh(1);
	gwdt_init(&g, &io, FREQ);
	gwdt_arm(&g, 1000 + GWDT_MARGIN_MS);
	assert_int_equal(run(&g, 0xf, 0, 30000), 0);
	assert_int_equal(run(&g, 0xe, 0, 30000), 0);	/* CPU 0 off */
	assert_int_equal(run(&g, 0x2, 0, 30000), 0);	/* CPU 1 alone */
	assert_int_equal(model.w.wcs, SBSA_WDT_WCS_EN);	/* not even WS0 */
	/* one refresh per round of ticks, the count in WRR */
	assert_true(model.wrr_writes >= 9000 / 1 && model.wrr_writes <= 9001);
	assert_int_equal(g.refreshes, model.wrr_writes);
}

/* A CPU that stops ticking (stuck at EL2 with interrupts masked) stops
 * the refreshes though the others tick: the board resets one timeout
 * after the last round completed. */
static void test_one_cpu_hung(void **state)
{
	struct gwdt g;
	uint64_t t0, at;

	(void)state;
	fresh(1);
	gwdt_init(&g, &io, FREQ);
	gwdt_arm(&g, 2000 + GWDT_MARGIN_MS);
	assert_int_equal(run(&g, 3, 0, 5000), 0);
	t0 = model.now;
	at = run(&g, 3, 2, 10000);
	assert_true(at >= t0 + MS(4000) - TICK && at <= t0 + MS(4000) + MS(2));
}

/* verge-hv hangs (no tick anywhere): reset one timeout later. */
static void test_hypervisor_hang(void **state)
{
	struct gwdt g;
	uint64_t t0, at;

	(void)state;
	fresh(1);
	gwdt_init(&g, &io, FREQ);
	gwdt_arm(&g, 5000 + GWDT_MARGIN_MS);
	assert_int_equal(run(&g, 1, 0, 20000), 0);
	t0 = model.now;
	at = run(&g, 1, 1, 20000);
	assert_true(at >= t0 + MS(7000) - TICK && at <= t0 + MS(7000) + MS(2));
}

/* The emulated watchdog expired: the guest's reset (SYSTEM_RESET) did
 * not happen, the CPUs keep ticking: the board resets GWDT_LAST_MS later,
 * not a whole timeout later. */
static void test_expire_resets_soon(void **state)
{
	struct gwdt g;
	uint64_t t0, at;

	(void)state;
	fresh(1);
	gwdt_init(&g, &io, FREQ);
	gwdt_arm(&g, 30000 + GWDT_MARGIN_MS);
	assert_int_equal(run(&g, 3, 0, 5000), 0);
	t0 = model.now;
	gwdt_expire(&g);
	assert_int_equal(model.w.wor, MS(GWDT_LAST_MS / 2));
	at = run(&g, 3, 0, 10000);
	assert_true(at >= t0 + MS(GWDT_LAST_MS) && at <= t0 + MS(GWDT_LAST_MS) + MS(2));
	/* and a later arm (the boot guard again) changes nothing */
	assert_int_equal(gwdt_arm(&g, 30000), 0);

	/* off when it expired (no verge.wdt, a guest's own watchdog): armed
	 * for the last second all the same */
	fresh(1);
	gwdt_init(&g, &io, FREQ);
	gwdt_disable(&g);
	t0 = model.now;
	gwdt_expire(&g);
	at = run(&g, 3, 0, 10000);
	assert_true(at >= t0 + MS(GWDT_LAST_MS) && at <= t0 + MS(GWDT_LAST_MS) + MS(2));
}

/* Panic: no register access then, no refresh after; the reset comes one
 * timeout after the last refresh. */
static void test_panic_stops_refreshing(void **state)
{
	struct gwdt g;
	uint64_t t0, at;
	unsigned n;

	(void)state;
	fresh(1);
	gwdt_init(&g, &io, FREQ);
	gwdt_arm(&g, 1000 + GWDT_MARGIN_MS);
	assert_int_equal(run(&g, 3, 0, 2000), 0);
	n = model.accesses;
	t0 = model.now;
	gwdt_stop(&g);
	assert_int_equal(model.accesses, n);
	at = run(&g, 3, 0, 10000);
	assert_int_equal(model.accesses, n);
	assert_true(at >= t0 + MS(3000) - TICK && at <= t0 + MS(3000) + MS(2));
}

/* Re-armed with another timeout (a boot loader's SET_TIMEOUT): the new
 * one holds from then. */
static void test_rearm(void **state)
{
	struct gwdt g;
	uint64_t t0, at;

	(void)state;
	fresh(1);
	gwdt_init(&g, &io, FREQ);
	gwdt_arm(&g, 60000);
	assert_int_equal(run(&g, 1, 0, 1000), 0);
	gwdt_arm(&g, 4000);
	t0 = model.now;
	at = run(&g, 1, 1, 10000);
	assert_true(at >= t0 + MS(4000) && at <= t0 + MS(4000) + MS(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_version_and_state),
		cmocka_unit_test(test_arm_programs_wor),
		cmocka_unit_test(test_timeout_covers_emulated),
		cmocka_unit_test(test_healthy_never_resets),
		cmocka_unit_test(test_one_cpu_hung),
		cmocka_unit_test(test_hypervisor_hang),
		cmocka_unit_test(test_expire_resets_soon),
		cmocka_unit_test(test_panic_stops_refreshing),
		cmocka_unit_test(test_rearm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
