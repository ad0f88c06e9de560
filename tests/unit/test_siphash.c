// SPDX-License-Identifier: Apache-2.0
/*
 * siphash24(): the test vectors of the SipHash paper (appendix A and the
 * reference implementation's table): key 00 01 .. 0f, messages 00 01 ..
 * (n-1) for n = 0, 1, 7, 8 and 15 bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <core/siphash.h>

static const struct sip_key key = { 0x0706050403020100ull,
				    0x0f0e0d0c0b0a0908ull };

static uint64_t of_length(size_t n)
{
	uint8_t m[64] = { 0 };

	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)i;
	return siphash24(&key, m, n);
}

static void test_vectors(void **state)
{
	(void)state;
	assert_int_equal(of_length(0), 0x726fdb47dd0e0e31ull);
	assert_int_equal(of_length(1), 0x74f839c593dc67fdull);
	assert_int_equal(of_length(7), 0xab0200f58b01d137ull);
	assert_int_equal(of_length(8), 0x93f5f5799a932462ull);
	assert_int_equal(of_length(15), 0xa129ca6149be45e5ull);
}

/* One key bit or one message bit changes the output. */
static void test_keyed(void **state)
{
	struct sip_key other = key;
	uint64_t m = 42;

	(void)state;
	other.k1 ^= 1ull << 63;
	assert_int_not_equal(siphash24(&key, &m, 8), siphash24(&other, &m, 8));
	m ^= 1;
	assert_int_not_equal(siphash24(&key, &m, 8), of_length(8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_keyed),
	};

	return cmocka_run_group_tests_name("siphash", tests, NULL, NULL);
}
