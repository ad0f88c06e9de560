/* SPDX-License-Identifier: Apache-2.0 */
/*
 * splitmix64's output step and its inverse, for the tests that play the
 * attacker of the old backdoor cookies (splitmix64 outputs of a state
 * stepped by a known constant ^ entropy, whose output step is
 * invertible): the guest's (tests_cookies.c) and the host unit test's
 * (tests/unit/test_guestmsg.c). Header-only, <stdint.h> alone, so that
 * it builds freestanding in the guest and hosted on the host.
 */
#ifndef TESTS_SPLITMIX_H
#define TESTS_SPLITMIX_H
#include <stdint.h>

/* x with x ^ (x >> s) == y */
static inline uint64_t splitmix_unshift(uint64_t y, unsigned s)
{
	uint64_t x = y;

	for (int i = 0; i < 64; i++)
		x = y ^ (x >> s);
	return x;
}

/* The multiplicative inverse of odd m modulo 2^64 (Newton's method). */
static inline uint64_t splitmix_inverse(uint64_t m)
{
	uint64_t x = m;

	for (int i = 0; i < 6; i++)
		x *= 2 - m * x;
	return x;
}

static inline uint64_t splitmix_out(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The state whose output is out. */
static inline uint64_t splitmix_state(uint64_t out)
{
	uint64_t z = splitmix_unshift(out, 31) *
		     splitmix_inverse(0x94d049bb133111ebull);

	z = splitmix_unshift(z, 27) * splitmix_inverse(0xbf58476d1ce4e5b9ull);
	return splitmix_unshift(z, 30);
}
#endif
