/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest clock rate as text: one parser for every part of verge
 * (verge-hv's verge.rate, verged's JSON-RPC, verge and verge-mgmt), so
 * that a rate one of them takes, every other takes too. Freestanding C.
 *
 * A rate is guest seconds per host second, written
 *   - as a decimal: digits, optionally '.' and 1..6 fractional digits
 *     ("2", "0.5", "0.333333"); zeros past the sixth are ignored
 *     ("0.500000000" is 0.5), any other seventh digit is -EDOM;
 *   - or as a fraction: digits '/' digits ("1/3"), reduced; a reduced
 *     denominator above 10^6 is -EDOM.
 * No sign, exponent, blank or other character (-EINVAL); integers of
 * more than 18 digits are -ERANGE. The value must be within 0.01..100
 * (-ERANGE; "0", "1/0" and "0.009" are -ERANGE).
 */
#ifndef VERGE_RATE_H
#define VERGE_RATE_H
#include <stddef.h>
#include <stdint.h>

#define VERGE_RATE_MIN_NUM	1	/* 0.01 = 1/100 */
#define VERGE_RATE_MIN_DEN	100
#define VERGE_RATE_MAX		100
#define VERGE_RATE_DIGITS	6	/* fractional digits */
#define VERGE_RATE_DEN_MAX	1000000	/* 10^VERGE_RATE_DIGITS */
/* Longest text the parser can take that a caller should print back. */
#define VERGE_RATE_TEXT		64
/* What the error messages of every part say a rate is. */
#define VERGE_RATE_EXPECT \
	"a rate in 0.01..100: a decimal with at most 6 fractional digits " \
	"(0.5) or a fraction P/Q with Q at most 1000000 when reduced (1/3)"

/*
 * Parses the len bytes at s (no terminator needed). On success stores the
 * reduced rate (num <= 10^8, den <= 10^6) and returns 0; on failure
 * returns -EINVAL (not a rate), -EDOM (finer than the precision) or
 * -ERANGE (outside 0.01..100) and leaves *ret_num and *ret_den untouched.
 */
int verge_rate_parse(const char *s, size_t len, uint32_t *ret_num,
		     uint32_t *ret_den);
/* The same checks on a rate already in integers; reduces it. */
int verge_rate_check(uint64_t num, uint64_t den, uint32_t *ret_num,
		     uint32_t *ret_den);
/* Why verge_rate_parse refused, for a message: "not a rate", ... */
const char *verge_rate_strerror(int err);
#endif
