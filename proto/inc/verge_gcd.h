/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The greatest common divisor, which reduces a clock rate num/den: the one
 * definition, used by verge-hv's timeline (core/timeline.c) and by the one
 * rate parser (proto/rate.c) that verge-hv, verged, verge and verge-mgmt
 * share. Freestanding: <stdint.h> only.
 */
#ifndef VERGE_GCD_H
#define VERGE_GCD_H
#include <stdint.h>

/* gcd(a, 0) = a; gcd(0, 0) = 0. */
static inline uint64_t vp_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

#endif
