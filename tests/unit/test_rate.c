// SPDX-License-Identifier: Apache-2.0
/* The one rate parser (proto/rate.c): what every part of verge takes as
 * a clock rate, and the error each bad rate gets. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <verge_rate.h>

static int parse(const char *s, uint32_t *num, uint32_t *den)
{
	return verge_rate_parse(s, strlen(s), num, den);
}

static void test_good(void **state)
{
	static const struct {
		const char *s;
		uint32_t num, den;
	} good[] = {
		{ "1", 1, 1 }, { "0.5", 1, 2 }, { "1/2", 1, 2 }, { "2", 2, 1 },
		{ "0.01", 1, 100 }, { "100", 100, 1 }, { "100.0", 100, 1 },
		{ "1/100", 1, 100 }, { "100/1", 100, 1 }, { "1/3", 1, 3 },
		{ "3/9", 1, 3 }, { "0.333333", 333333, 1000000 },
		{ "0.123456", 1929, 15625 }, { "99.999999", 99999999, 1000000 },
		{ "0.500000000", 1, 2 },	/* zeros past the 6th digit */
		{ "00000000000000000000001/2", 1, 2 },	/* leading zeros */
		{ "10000/1000000", 1, 100 }, { "2000000/1000000", 2, 1 },
		{ "999999999999999999/999999999999999999", 1, 1 },
	};
	uint32_t num, den;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		num = den = 0;
		if (parse(good[i].s, &num, &den) != 0)
			fail_msg("rate '%s' refused", good[i].s);
		if (num != good[i].num || den != good[i].den)
			fail_msg("rate '%s': %u/%u, want %u/%u", good[i].s, num,
				 den, good[i].num, good[i].den);
	}
}

static void test_bad(void **state)
{
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{ "0", -ERANGE }, { "0.0", -ERANGE }, { "0/1", -ERANGE },
		{ "1/0", -ERANGE }, { "0.009", -ERANGE }, { "0.009999", -ERANGE },
		{ "100.000001", -ERANGE }, { "101", -ERANGE },
		{ "100.0000001", -ERANGE },	/* above 100 whatever the digits */
		{ "0.0000001", -ERANGE }, { "1/101", -ERANGE },
		{ "10001/100", -ERANGE }, { "1/1000000", -ERANGE },
		{ "0.3333333", -EDOM }, { "0.1234567", -EDOM },
		{ "1/1000001", -ERANGE }, { "100000/1000001", -EDOM },
		{ "1/3000001", -ERANGE }, { "1000000/3000001", -EDOM },
		{ "1e2", -EINVAL }, { "-1", -EINVAL }, { "+1", -EINVAL },
		{ " 0.5", -EINVAL }, { "0.5 ", -EINVAL }, { "0.5x", -EINVAL },
		{ "", -EINVAL }, { ".5", -EINVAL }, { "5.", -EINVAL },
		{ ".", -EINVAL }, { "/", -EINVAL }, { "1/", -EINVAL },
		{ "/2", -EINVAL }, { "1/2/3", -EINVAL }, { "1.5/2", -EINVAL },
		{ "1/2.5", -EINVAL }, { "0x10", -EINVAL }, { "nan", -EINVAL },
		{ "inf", -EINVAL }, { "1,5", -EINVAL }, { "0..5", -EINVAL },
		/* overflow: more digits than any uint64_t */
		{ "99999999999999999999999999", -ERANGE },
		{ "1/99999999999999999999999999", -ERANGE },
		{ "18446744073709551617/18446744073709551617", -ERANGE },
		{ "0.5000000000000000000000000001", -EDOM },
		{ "99999999999999999999999999x", -EINVAL },
	};
	uint32_t num, den;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		num = den = 7;
		r = parse(bad[i].s, &num, &den);
		if (r != bad[i].err)
			fail_msg("rate '%s': %d, want %d", bad[i].s, r,
				 bad[i].err);
		assert_int_equal(num, 7);	/* untouched on failure */
		assert_int_equal(den, 7);
	}
}

/* The length bounds the text: no terminator needed, none read past. */
static void test_length(void **state)
{
	static const char buf[] = { '0', '.', '5', 'x' };
	uint32_t num = 0, den = 0;

	(void)state;
	assert_int_equal(verge_rate_parse(buf, 3, &num, &den), 0);
	assert_int_equal(num, 1);
	assert_int_equal(den, 2);
	assert_int_equal(verge_rate_parse(buf, 4, &num, &den), -EINVAL);
	assert_int_equal(verge_rate_parse(buf, 0, &num, &den), -EINVAL);
}

static void test_check(void **state)
{
	uint32_t num = 0, den = 0;

	(void)state;
	assert_int_equal(verge_rate_check(500, 1000, &num, &den), 0);
	assert_int_equal(num, 1);
	assert_int_equal(den, 2);
	assert_int_equal(verge_rate_check(1, 101, &num, &den), -ERANGE);
	assert_int_equal(verge_rate_check(UINT64_MAX, UINT64_MAX, &num, &den),
			 0);
	assert_int_equal(verge_rate_check(UINT64_MAX, 1, &num, &den), -ERANGE);
	assert_int_equal(verge_rate_check(1, UINT64_MAX, &num, &den), -ERANGE);
	assert_int_equal(verge_rate_check(1000000, 1000001, &num, &den), -EDOM);
	assert_int_equal(verge_rate_check(0, 1, &num, &den), -ERANGE);
	assert_int_equal(verge_rate_check(1, 0, &num, &den), -ERANGE);
	assert_string_equal(verge_rate_strerror(-ERANGE), "outside 0.01..100");
	assert_non_null(strstr(verge_rate_strerror(-EDOM), "precision"));
	assert_non_null(strstr(verge_rate_strerror(-EINVAL), "not a rate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
