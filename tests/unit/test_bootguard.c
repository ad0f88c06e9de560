// SPDX-License-Identifier: Apache-2.0
/* The boot guard's stage machine and API: power-on, OS loading with and
 * without a timeout, hand-off and the seal, argument checks, the reset
 * time the API reports, and the guest OS keeping the watchdog after the
 * seal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <core/bootguard.h>

#define HZ	1000ULL		/* one tick per millisecond: easy numbers */

static struct bootguard loading(unsigned timeout_s)
{
	struct bootguard b;

	bg_init(&b, HZ);
	assert_int_equal(b.stage, BG_POWER_ON);
	assert_int_equal(bg_os_loading(&b, timeout_s, 0), 0);
	assert_int_equal(b.stage, BG_OS_LOADING);
	return b;
}

/* Runs the watchdog until it asks for a reset; returns when. Each stage
 * ends one tick after WCV (the counter must pass it). */
static uint64_t reset_time(struct bootguard *b, uint64_t from)
{
	for (uint64_t t = from; t < from + 10000 * HZ; t++)
		if (sbsa_wdt_advance(&b->wdt, t) == SBSA_WDT_ACT_WS1)
			return t;
	fail_msg("no reset within 10000 s");
	return 0;
}

static void test_power_on_is_off(void **state)
{
	struct bootguard b;
	struct bg_status s;

	(void)state;
	bg_init(&b, HZ);
	bg_status(&b, 0, &s);
	assert_int_equal(s.stage, BG_POWER_ON);
	assert_false(s.enabled);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 1ULL << 40), SBSA_WDT_ACT_NONE);
	assert_string_equal(bg_stage_name(BG_POWER_ON), "power-on");
}

/* verge.wdt off: loading never resets a guest that knows nothing of it. */
static void test_loading_without_timeout(void **state)
{
	struct bootguard b = loading(0);
	struct bg_status s;

	(void)state;
	bg_status(&b, 0, &s);
	assert_false(s.enabled);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 1ULL << 40), SBSA_WDT_ACT_NONE);
}

/* verge.wdt=T: the reset comes T seconds after the last refresh, WS0 at
 * half time. */
static void test_loading_resets_after_timeout(void **state)
{
	struct bootguard b = loading(30);
	struct bg_status s;

	(void)state;
	bg_status(&b, 0, &s);
	assert_true(s.enabled);
	assert_int_equal(s.timeout_ms, 30000);
	assert_int_equal(s.left_ms, 30000);
	bg_status(&b, 10 * HZ, &s);
	assert_int_equal(s.left_ms, 20000);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 15 * HZ), SBSA_WDT_ACT_NONE);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 15 * HZ + 1), SBSA_WDT_ACT_WS0);
	bg_status(&b, 20 * HZ, &s);
	assert_int_equal(s.left_ms, 10001);
	assert_int_equal(reset_time(&b, 15 * HZ + 2), 30 * HZ + 2);
}

static void test_loading_out_of_order_or_range(void **state)
{
	struct bootguard b = loading(5);
	struct bootguard c;

	(void)state;
	assert_int_equal(bg_os_loading(&b, 5, 0), -EPERM);
	bg_init(&c, HZ);
	assert_int_equal(bg_os_loading(&c, BG_TIMEOUT_MAX_S + 1, 0), -EINVAL);
	assert_int_equal(c.stage, BG_POWER_ON);
}

static void test_api_before_handoff(void **state)
{
	struct bootguard b = loading(0);
	struct bg_status s;

	(void)state;
	assert_int_equal(bg_call(&b, BG_CALL_SET_TIMEOUT, 8, 0, &s), 0);
	assert_false(s.enabled);	/* setting a timeout does not enable */
	assert_int_equal(s.timeout_ms, 8000);
	assert_int_equal(bg_call(&b, BG_CALL_ENABLE, 1, 1000, &s), 0);
	assert_true(s.enabled);
	assert_int_equal(s.left_ms, 8000);
	assert_int_equal(bg_call(&b, BG_CALL_REFRESH, 0, 5000, &s), 0);
	assert_int_equal(s.left_ms, 8000);
	assert_int_equal(bg_call(&b, BG_CALL_QUERY, 0, 6000, &s), 0);
	assert_int_equal(s.left_ms, 7000);
	assert_int_equal(s.stage, BG_OS_LOADING);
	/* A new timeout while enabled keeps it enabled and refreshes. */
	assert_int_equal(bg_call(&b, BG_CALL_SET_TIMEOUT, 20, 6000, &s), 0);
	assert_true(s.enabled);
	assert_int_equal(reset_time(&b, 6000), 26002);
	/* Disabling: no reset. */
	b = loading(4);
	assert_int_equal(bg_call(&b, BG_CALL_ENABLE, 0, 0, &s), 0);
	assert_false(s.enabled);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 1ULL << 40), SBSA_WDT_ACT_NONE);
}

static void test_api_bad_arguments(void **state)
{
	struct bootguard b = loading(10), before;
	struct bg_status s = { 0 };

	(void)state;
	before = b;
	assert_int_equal(bg_call(&b, BG_CALL_ENABLE, 2, 0, &s), -EINVAL);
	assert_int_equal(bg_call(&b, BG_CALL_SET_TIMEOUT, 0, 0, &s), -EINVAL);
	assert_int_equal(bg_call(&b, BG_CALL_SET_TIMEOUT, BG_TIMEOUT_MAX_S + 1, 0, &s), -EINVAL);
	assert_int_equal(bg_call(&b, BG_CALL_SET_TIMEOUT, UINT64_MAX, 0, &s), -EINVAL);
	assert_int_equal(bg_call(&b, (enum bg_call)99, 0, 0, &s), -EINVAL);
	assert_memory_equal(&b, &before, sizeof(b));
	assert_int_equal(bg_call(&b, BG_CALL_SET_TIMEOUT, BG_TIMEOUT_MAX_S, 0, &s), 0);
	assert_int_equal(s.timeout_ms, BG_TIMEOUT_MAX_S * 1000);
}

/* Hand-off: a last refresh, the seal; every later call fails and leaves
 * the watchdog as it was; the guest's device still works. */
static void test_handoff_seals(void **state)
{
	struct bootguard b = loading(10), sealed;
	struct bg_status s;
	enum bg_call all[] = { BG_CALL_QUERY, BG_CALL_ENABLE, BG_CALL_REFRESH,
			       BG_CALL_SET_TIMEOUT, BG_CALL_HANDOFF };

	(void)state;
	assert_int_equal(bg_call(&b, BG_CALL_HANDOFF, 0, 3000, &s), 0);
	assert_int_equal(s.stage, BG_HANDED_OFF);
	assert_true(s.enabled);
	assert_int_equal(s.left_ms, 10000);	/* refreshed at 3 s */
	sealed = b;
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		assert_int_equal(bg_call(&b, all[i], 0, 4000, &s), -EPERM);
		assert_int_equal(bg_call(&b, all[i], 1, 4000, &s), -EPERM);
		assert_int_equal(bg_call(&b, all[i], 30, 4000, &s), -EPERM);
	}
	assert_memory_equal(&b, &sealed, sizeof(b));
	assert_int_equal(bg_os_loading(&b, 0, 4000), -EPERM);
	/* The watchdog keeps running: the sealed API cannot stop it. */
	assert_int_equal(reset_time(&b, 4000), 13002);
	/* ... and the guest OS refreshes it through the device. */
	b = sealed;
	assert_int_equal(sbsa_wdt_write(&b.wdt, SBSA_WDT_REFRESH, SBSA_WDT_WRR,
					4, 0, 12000), 0);
	assert_int_equal(reset_time(&b, 12000), 22002);
	bg_status(&b, 0, &s);
	assert_int_equal(s.stage, BG_HANDED_OFF);
	assert_string_equal(bg_stage_name(BG_HANDED_OFF), "handed-off");
}

/* The counter runs at the presented frequency: 62.5 MHz and 1 GHz give
 * the same timeout in milliseconds. */
static void test_frequencies(void **state)
{
	static const uint64_t f[] = { 62500000, 1000000000, 24000000 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		struct bootguard b;
		struct bg_status s;

		bg_init(&b, f[i]);
		assert_int_equal(bg_os_loading(&b, 3600, 0), 0);
		bg_status(&b, 0, &s);
		assert_int_equal(s.timeout_ms, 3600000);
		assert_int_equal(s.left_ms, 3600000);
	}
}

/* A guest (a loader, before the seal) writing the extreme values into
 * WOR and WCV: the time left QUERY reports saturates instead of wrapping
 * round to a reset "now", and the watchdog does what the registers say. */
static void test_extreme_registers(void **state)
{
	struct bootguard b = loading(10);
	struct bg_status s;

	(void)state;
	/* WCV at 2^64 - 2: no timeout is due before the counter wraps,
	 * and the report says so (WCV - now + WOR wrapped to 93 ms). */
	assert_int_equal(sbsa_wdt_write(&b.wdt, SBSA_WDT_CONTROL, SBSA_WDT_WOR,
					8, 100, 0), 0);
	assert_int_equal(sbsa_wdt_write(&b.wdt, SBSA_WDT_CONTROL, SBSA_WDT_WCV,
					8, UINT64_MAX - 1, 0), 0);
	assert_int_equal(bg_call(&b, BG_CALL_QUERY, 0, 5, &s), 0);
	assert_true(s.enabled);
	assert_int_equal(s.left_ms, UINT32_MAX);	/* saturated */
	assert_int_equal(s.timeout_ms, 200);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, UINT64_MAX - 1),
			 SBSA_WDT_ACT_NONE);
	/* WOR at its 48-bit maximum: a timeout of 2^49 ms, capped. */
	assert_int_equal(sbsa_wdt_write(&b.wdt, SBSA_WDT_CONTROL, SBSA_WDT_WOR,
					8, ~0ULL, 0), 0);
	assert_int_equal(bg_call(&b, BG_CALL_QUERY, 0, 5, &s), 0);
	assert_int_equal(s.timeout_ms, UINT32_MAX);
	assert_int_equal(s.left_ms, UINT32_MAX);
	/* WCV 0: the first check raises WS0 at once; WS1 follows a WOR
	 * later, not at once. */
	assert_int_equal(sbsa_wdt_write(&b.wdt, SBSA_WDT_CONTROL, SBSA_WDT_WOR,
					8, 100, 1000), 0);
	assert_int_equal(sbsa_wdt_write(&b.wdt, SBSA_WDT_CONTROL, SBSA_WDT_WCV,
					8, 0, 1000), 0);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 1001), SBSA_WDT_ACT_WS0);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 1101), SBSA_WDT_ACT_NONE);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 1102), SBSA_WDT_ACT_WS1);
	/* WOR 0: a reset two checks after the refresh (what a guest may
	 * ask for itself, as on hardware). */
	b = loading(10);
	assert_int_equal(sbsa_wdt_write(&b.wdt, SBSA_WDT_CONTROL, SBSA_WDT_WOR,
					4, 0, 50), 0);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 51), SBSA_WDT_ACT_WS0);
	assert_int_equal(sbsa_wdt_advance(&b.wdt, 52), SBSA_WDT_ACT_WS1);
}

/* WS0 reports to the host: one a second however often the guest makes
 * WS0 happen; the ones left out are counted into the next report. */
static void test_ws0_report_rate(void **state)
{
	struct bootguard b = loading(10);
	uint32_t n = 77;
	unsigned reported = 0;

	(void)state;
	assert_true(bg_ws0_report(&b, 5, &n));
	assert_int_equal(n, 0);
	/* A WS0 every tick (10 ms) for 10 s: 10 more reports at most. */
	for (uint64_t t = 15; t < 5 + 10 * HZ; t += 10)
		if (bg_ws0_report(&b, t, &n)) {
			reported++;
			assert_int_equal(n, 99);	/* 100 a second */
		}
	assert_int_equal(reported, 9);
	/* A second after the last report: reported at once. */
	assert_true(bg_ws0_report(&b, 5 + 11 * HZ, &n));
	/* A fresh boot guard reports its first WS0 at time 0 too. */
	bg_init(&b, HZ);
	assert_true(bg_ws0_report(&b, 0, &n));
	assert_false(bg_ws0_report(&b, HZ - 1, &n));
	assert_true(bg_ws0_report(&b, HZ, &n));
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_on_is_off),
		cmocka_unit_test(test_loading_without_timeout),
		cmocka_unit_test(test_loading_resets_after_timeout),
		cmocka_unit_test(test_loading_out_of_order_or_range),
		cmocka_unit_test(test_api_before_handoff),
		cmocka_unit_test(test_api_bad_arguments),
		cmocka_unit_test(test_handoff_seals),
		cmocka_unit_test(test_frequencies),
		cmocka_unit_test(test_extreme_registers),
		cmocka_unit_test(test_ws0_report_rate),
	};

	return cmocka_run_group_tests_name("bootguard", tests, NULL, NULL);
}
