// SPDX-License-Identifier: Apache-2.0
/* bootargs_parse(): "verge.opt=value ... -- guest command line". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <core/bootargs.h>
#include <stdlib.h>

#define SENTINEL	0xa5

static struct hv_config cfg;
static struct hv_err err;

/* Parses args into cfg, first filled with a sentinel that a failed parse
 * must leave alone. */
static int parse(const char *args)
{
	static struct hv_config before;
	int r;

	memset(&cfg, SENTINEL, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(before));
	memset(&err, 0, sizeof(err));
	r = bootargs_parse(args, &cfg, &err);
	if (r < 0)
		assert_memory_equal(&cfg, &before, sizeof(before));
	return r;
}

static void ok(const char *args)
{
	if (parse(args) != 0)
		fail_msg("\"%s\" rejected: %s", args, err.msg);
}

/* args must fail with errno_neg and a message holding want1 and want2. */
static void rejected(const char *args, int errno_neg, const char *want1,
		     const char *want2)
{
	int r = parse(args);

	if (r != errno_neg)
		fail_msg("\"%s\": returned %d, expected %d", args, r, errno_neg);
	if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
		fail_msg("\"%s\": message \"%s\" should mention \"%s\"%s%s",
			 args, err.msg, want1, want2 ? " and " : "",
			 want2 ? want2 : "");
}

static void test_uuid(void **state)
{
	static const uint8_t want[16] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	};

	(void)state;
	ok("verge.kernel=0x44000000 --");
	assert_false(cfg.has_uuid);
	ok("verge.kernel=0x44000000 verge.uuid=01234567-89AB-cdef-0011-223344556677 --");
	assert_true(cfg.has_uuid);
	assert_memory_equal(cfg.uuid, want, 16);
	/* Wrong length, dash misplaced, a non-hex digit, a dash as digit. */
	rejected("verge.kernel=0x44000000 verge.uuid=01234567-89ab-cdef-0011-22334455667",
		 -EINVAL, "verge.uuid", "8-4-4-4-12");
	rejected("verge.kernel=0x44000000 verge.uuid=0123456-789ab-cdef-0011-223344556677",
		 -EINVAL, "verge.uuid", NULL);
	rejected("verge.kernel=0x44000000 verge.uuid=01234567-89ab-cdef-0011-22334455667g",
		 -EINVAL, "verge.uuid", NULL);
	rejected("verge.kernel=0x44000000 verge.uuid=01234567-89ab-cdef-0011--23344556677",
		 -EINVAL, "verge.uuid", NULL);
}

static void test_kernel_and_guest_cmdline(void **state)
{
	(void)state;
	ok("verge.kernel=0x44000000 -- console=ttyAMA0 root=/dev/vda");
	assert_int_equal(cfg.kernel, 0x44000000);
	assert_int_equal(cfg.tick_hz, 100);
	assert_int_equal(cfg.stats_s, 0);
	assert_string_equal(cfg.guest_cmdline, "console=ttyAMA0 root=/dev/vda");
}

static void test_number_forms(void **state)
{
	(void)state;
	ok("verge.kernel=1140850688 verge.tick=250 verge.stats=10");
	assert_int_equal(cfg.kernel, 0x44000000);
	assert_int_equal(cfg.tick_hz, 250);
	assert_int_equal(cfg.stats_s, 10);
	ok("verge.kernel=0X4400aBcD");
	assert_int_equal(cfg.kernel, 0x4400abcd);
	ok("verge.kernel=0xffffffffffffffff");
	assert_int_equal(cfg.kernel, UINT64_MAX);
	ok("verge.kernel=18446744073709551615");
	assert_int_equal(cfg.kernel, UINT64_MAX);
}

static void test_tick_range(void **state)
{
	(void)state;
	ok("verge.kernel=0x44000000 verge.tick=1");
	assert_int_equal(cfg.tick_hz, 1);
	ok("verge.kernel=0x44000000 verge.tick=1000");
	assert_int_equal(cfg.tick_hz, 1000);
	rejected("verge.kernel=0x44000000 verge.tick=0", -EINVAL, "verge.tick",
		 "bad value");
	rejected("verge.kernel=0x44000000 verge.tick=1001", -EINVAL,
		 "verge.tick", "bad value");
}

static void test_stats(void **state)
{
	(void)state;
	ok("verge.stats=5 verge.kernel=0x44000000");
	assert_int_equal(cfg.stats_s, 5);
	ok("verge.kernel=0x44000000 verge.stats=3600");
	assert_int_equal(cfg.stats_s, 3600);
	rejected("verge.kernel=0x44000000 verge.stats=", -EINVAL, "verge.stats",
		 "bad value");
	rejected("verge.kernel=0x44000000 verge.stats=3601", -EINVAL,
		 "verge.stats", "bad value");
}

static void test_kernel_below_minimum(void **state)
{
	(void)state;
	rejected("verge.kernel=0", -EINVAL, "verge.kernel", "bad value");
	rejected("verge.kernel=0xfff", -EINVAL, "verge.kernel", "bad value");
	ok("verge.kernel=0x1000");
	assert_int_equal(cfg.kernel, 0x1000);
}

static void test_unknown_option(void **state)
{
	(void)state;
	rejected("verge.kernel=0x44000000 verge.bogus=1", -EINVAL,
		 "unknown option", "verge.bogus");
	rejected("verge.kernel=0x44000000 verge.tickx=5", -EINVAL,
		 "unknown option", "verge.tickx");
	rejected("verge.kernel=0x44000000 --quiet", -EINVAL, "unknown option",
		 "--quiet");
}

static void test_guest_option_before_separator(void **state)
{
	(void)state;
	rejected("verge.kernel=0x44000000 console=ttyAMA0 -- quiet", -EINVAL,
		 "unknown option", "console=ttyAMA0");
	rejected("console=ttyAMA0", -EINVAL, "unknown option", NULL);
}

static void test_bad_values(void **state)
{
	static const char *const bad[] = {
		"verge.kernel=zz", "verge.kernel=", "verge.kernel",
		"verge.kernel=0x", "verge.kernel=0x1ffffffffffffffff",
		"verge.kernel=18446744073709551616", "verge.kernel=-1",
		"verge.kernel=12abc", "verge.kernel=0x44g", "verge.kernel==1",
		"verge.kernel=1e6",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		rejected(bad[i], -EINVAL, "verge.kernel", "bad value");
}

static void test_missing_kernel(void **state)
{
	(void)state;
	rejected("", -EINVAL, "verge.kernel", "required");
	rejected("verge.tick=100 verge.stats=1", -EINVAL, "verge.kernel",
		 "required");
	rejected("-- verge.kernel=0x44000000", -EINVAL, "verge.kernel",
		 "required");
}

static void test_duplicate_option(void **state)
{
	(void)state;
	rejected("verge.kernel=0x44000000 verge.kernel=0x44000000", -EINVAL,
		 "verge.kernel", NULL);
	rejected("verge.kernel=0x44000000 verge.tick=10 verge.tick=20",
		 -EINVAL, "verge.tick", NULL);
}

static void test_no_separator(void **state)
{
	(void)state;
	ok("verge.kernel=0x44000000");
	assert_string_equal(cfg.guest_cmdline, "");
	ok("verge.kernel=0x44000000 --");
	assert_string_equal(cfg.guest_cmdline, "");
	ok("verge.kernel=0x44000000 --  \t");
	assert_string_equal(cfg.guest_cmdline, "");
}

static void test_whitespace(void **state)
{
	(void)state;
	ok(" \tverge.kernel=0x44000000\t\tverge.tick=50\n  --  \t"
	   "console=ttyAMA0   quiet");
	assert_int_equal(cfg.kernel, 0x44000000);
	assert_int_equal(cfg.tick_hz, 50);
	assert_string_equal(cfg.guest_cmdline, "console=ttyAMA0   quiet");
}

/* Everything after the first "--" is the guest's, verge.* included. */
static void test_guest_cmdline_verbatim(void **state)
{
	(void)state;
	ok("verge.kernel=0x44000000 -- a -- b verge.tick=5 verge.bogus");
	assert_int_equal(cfg.tick_hz, 100);
	assert_string_equal(cfg.guest_cmdline, "a -- b verge.tick=5 verge.bogus");
}

static void test_guest_cmdline_length(void **state)
{
	const char *prefix = "verge.kernel=0x44000000 -- ";
	size_t plen = strlen(prefix);
	char *args = malloc(plen + BOOTARGS_MAX + 1);

	(void)state;
	assert_non_null(args);
	memcpy(args, prefix, plen);
	memset(args + plen, 'a', BOOTARGS_MAX - 1);
	args[plen + BOOTARGS_MAX - 1] = '\0';
	ok(args);
	assert_int_equal(strlen(cfg.guest_cmdline), BOOTARGS_MAX - 1);
	assert_memory_equal(cfg.guest_cmdline, args + plen, BOOTARGS_MAX);

	args[plen + BOOTARGS_MAX - 1] = 'a';
	args[plen + BOOTARGS_MAX] = '\0';
	rejected(args, -E2BIG, "too long", NULL);
	free(args);
}

static void test_failure_leaves_ret_untouched(void **state)
{
	struct hv_config c, before;

	(void)state;
	memset(&c, SENTINEL, sizeof(c));
	before = c;
	/* Valid options before the bad one must not leak into *ret. */
	assert_int_equal(bootargs_parse("verge.kernel=0x44000000 verge.tick=7 "
					"verge.stats=x -- quiet", &c, &err),
			 -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_null_err(void **state)
{
	(void)state;
	assert_int_equal(bootargs_parse("verge.bogus", &cfg, NULL), -EINVAL);
	assert_int_equal(bootargs_parse("", &cfg, NULL), -EINVAL);
	assert_int_equal(bootargs_parse("verge.kernel=0x44000000", &cfg, NULL), 0);
}

/* verge.rate: decimals and fractions, 0.01..100; verge.freq: Hz. */
static void test_rate_and_freq(void **state)
{
	(void)state;
	ok("verge.kernel=0x44000000 -- x");
	assert_int_equal(cfg.rate_num, 0);
	assert_int_equal(cfg.freq, 0);
	ok("verge.kernel=0x44000000 verge.rate=0.5 --");
	assert_int_equal(cfg.rate_num * 2, cfg.rate_den);
	ok("verge.kernel=0x44000000 verge.rate=1/3 --");
	assert_int_equal(cfg.rate_num, 1);
	assert_int_equal(cfg.rate_den, 3);
	ok("verge.kernel=0x44000000 verge.rate=2 --");
	assert_int_equal(cfg.rate_num, 2 * cfg.rate_den);
	ok("verge.kernel=0x44000000 verge.rate=0.01 --");
	ok("verge.kernel=0x44000000 verge.rate=100 --");
	ok("verge.kernel=0x44000000 verge.freq=125000000 --");
	assert_int_equal(cfg.freq, 125000000);
	rejected("verge.kernel=0x44000000 verge.rate=0.009 --", -EINVAL,
		 "verge.rate", "bad value");
	rejected("verge.kernel=0x44000000 verge.rate=100.5 --", -EINVAL,
		 "verge.rate", "0.01..100");
	rejected("verge.kernel=0x44000000 verge.rate=1/0 --", -EINVAL,
		 "verge.rate", NULL);
	rejected("verge.kernel=0x44000000 verge.rate=.5 --", -EINVAL,
		 "verge.rate", NULL);
	rejected("verge.kernel=0x44000000 verge.rate=abc --", -EINVAL,
		 "verge.rate", NULL);
	rejected("verge.kernel=0x44000000 verge.rate=0.1234567891 --", -EINVAL,
		 "verge.rate", NULL);
	/* the one rate parser's precision and words (proto/rate.c) */
	rejected("verge.kernel=0x44000000 verge.rate=0.3333333 --", -EINVAL,
		 "verge.rate", "finer than a rate's precision");
	rejected("verge.kernel=0x44000000 verge.rate=1/3000001 --", -EINVAL,
		 "verge.rate", "outside 0.01..100");
	rejected("verge.kernel=0x44000000 verge.rate=1e2 --", -EINVAL,
		 "verge.rate", "not a rate");
	ok("verge.kernel=0x44000000 verge.rate=0.333333 --");
	assert_int_equal(cfg.rate_num, 333333);
	assert_int_equal(cfg.rate_den, 1000000);
	rejected("verge.kernel=0x44000000 verge.freq=999 --", -EINVAL,
		 "verge.freq", "bad value");
	ok("verge.kernel=0x44000000 verge.ptimer=1 --");
	assert_int_equal(cfg.ptimer, 1);
	rejected("verge.kernel=0x44000000 verge.ptimer=2 --", -EINVAL,
		 "verge.ptimer", "0..1");
	ok("verge.kernel=0x44000000 verge.acpi=1 --");
	assert_int_equal(cfg.acpi, 1);
	rejected("verge.kernel=0x44000000 verge.acpi=yes --", -EINVAL,
		 "verge.acpi", "0..1");
	/* The boot guard: off unless given, 1..3600 s. */
	ok("verge.kernel=0x44000000 --");
	assert_int_equal(cfg.wdt_s, 0);
	assert_int_equal(cfg.wdt_loader, 0);
	ok("verge.kernel=0x44000000 verge.wdt=3600 verge.wdt_loader=1 --");
	assert_int_equal(cfg.wdt_s, 3600);
	assert_int_equal(cfg.wdt_loader, 1);
	rejected("verge.kernel=0x44000000 verge.wdt=3601 --", -EINVAL,
		 "verge.wdt", "0..3600");
	rejected("verge.kernel=0x44000000 verge.wdt=-1 --", -EINVAL,
		 "verge.wdt", "0..3600");
	rejected("verge.kernel=0x44000000 verge.wdt_loader=2 --", -EINVAL,
		 "verge.wdt_loader", "0..1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_and_guest_cmdline),
		cmocka_unit_test(test_number_forms),
		cmocka_unit_test(test_tick_range),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_kernel_below_minimum),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_guest_option_before_separator),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_missing_kernel),
		cmocka_unit_test(test_duplicate_option),
		cmocka_unit_test(test_no_separator),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_guest_cmdline_verbatim),
		cmocka_unit_test(test_guest_cmdline_length),
		cmocka_unit_test(test_failure_leaves_ret_untouched),
		cmocka_unit_test(test_null_err),
		cmocka_unit_test(test_rate_and_freq),
		cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests_name("bootargs", tests, NULL, NULL);
}
