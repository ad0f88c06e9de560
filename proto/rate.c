// SPDX-License-Identifier: Apache-2.0
/* The guest clock rate as text (verge_rate.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <verge_gcd.h>
#include <verge_rate.h>

#define INT_DIGITS_MAX	18	/* 10^18 - 1 fits an uint64_t */

typedef unsigned __int128 u128;

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at s[*i..], at least one. *big: more than INT_DIGITS_MAX
 * significant digits (the value is then not kept). */
static int integer(const char *s, size_t len, size_t *i, uint64_t *ret,
		   bool *big)
{
	size_t start = *i, sig = 0;
	uint64_t v = 0;

	for (; *i < len && is_digit(s[*i]); (*i)++) {
		if (v || s[*i] != '0')
			sig++;
		if (sig <= INT_DIGITS_MAX)
			v = v * 10 + (uint64_t)(s[*i] - '0');
	}
	if (*i == start)
		return -EINVAL;
	*big |= sig > INT_DIGITS_MAX;
	*ret = v;
	return 0;
}

/* 0.01 <= num/den <= 100: 0, or -ERANGE. */
static int in_range(uint64_t num, uint64_t den)
{
	if (!num || !den || (u128)num * VERGE_RATE_MIN_DEN <
	    (u128)den * VERGE_RATE_MIN_NUM || num > (u128)den * VERGE_RATE_MAX)
		return -ERANGE;
	return 0;
}

int verge_rate_check(uint64_t num, uint64_t den, uint32_t *ret_num,
		     uint32_t *ret_den)
{
	uint64_t g;
	int r = in_range(num, den);

	if (r < 0)
		return r;
	g = vp_gcd(num, den);
	num /= g;
	den /= g;
	if (den > VERGE_RATE_DEN_MAX)
		return -EDOM;
	*ret_num = (uint32_t)num;
	*ret_den = (uint32_t)den;
	return 0;
}

/*
 * The decimal ip.frac: the first VERGE_RATE_DIGITS fractional digits are
 * kept, a non-zero one after them (*finer) makes it -EDOM unless the value
 * is out of range anyway.
 */
static int decimal(uint64_t ip, uint64_t frac, bool finer, uint32_t *ret_num,
		   uint32_t *ret_den)
{
	uint64_t num, den = VERGE_RATE_DEN_MAX;

	if (ip > VERGE_RATE_MAX)
		return -ERANGE;
	num = ip * den + frac;
	if (finer) {	/* num/den < value < (num + 1)/den */
		if (num >= (u128)den * VERGE_RATE_MAX ||
		    (u128)(num + 1) * VERGE_RATE_MIN_DEN <= den)
			return -ERANGE;
		return -EDOM;
	}
	return verge_rate_check(num, den, ret_num, ret_den);
}

int verge_rate_parse(const char *s, size_t len, uint32_t *ret_num,
		     uint32_t *ret_den)
{
	uint64_t ip, den = 0, frac = 0;
	bool big = false, finer = false, slash = false;
	size_t i = 0, n;

	if (integer(s, len, &i, &ip, &big) < 0)
		return -EINVAL;
	if (i < len && s[i] == '/') {
		i++;
		slash = true;
		if (integer(s, len, &i, &den, &big) < 0)
			return -EINVAL;
	} else if (i < len && s[i] == '.') {
		for (i++, n = 0; i < len && is_digit(s[i]); i++, n++) {
			if (n < VERGE_RATE_DIGITS)
				frac = frac * 10 + (uint64_t)(s[i] - '0');
			else
				finer |= s[i] != '0';
		}
		if (!n)
			return -EINVAL;	/* "1." */
		for (; n < VERGE_RATE_DIGITS; n++)
			frac *= 10;
	}
	if (i != len)
		return -EINVAL;
	if (big)
		return -ERANGE;
	if (slash)
		return verge_rate_check(ip, den, ret_num, ret_den);
	return decimal(ip, frac, finer, ret_num, ret_den);
}

const char *verge_rate_strerror(int err)
{
	switch (err) {
	case 0:
		return "a rate";
	case -EDOM:
		return "finer than a rate's precision (6 fractional digits, or"
		       " a reduced denominator of at most 1000000)";
	case -ERANGE:
		return "outside 0.01..100";
	default:
		return "not a rate (a decimal such as 0.5 or a fraction such"
		       " as 1/3)";
	}
}
