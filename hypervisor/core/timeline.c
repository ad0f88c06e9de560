// SPDX-License-Identifier: Apache-2.0
/* The guest timeline: exact piecewise-linear time. */
#include <core/timeline.h>
#include <verge_gcd.h>

typedef unsigned __int128 u128;

void rate_reduce(uint64_t *num, uint64_t *den)
{
	uint64_t g = vp_gcd(*num, *den);

	if (g > 1) {
		*num /= g;
		*den /= g;
	}
}

static bool rate_ok(uint64_t num, uint64_t den)
{
	return den && num && num <= UINT32_MAX && den <= UINT32_MAX &&
	       (u128)num * RATE_MIN_DEN >= (u128)den * RATE_MIN_NUM &&
	       num <= (u128)den * RATE_MAX;
}

int timeline_init(struct timeline *t, uint64_t now, uint64_t g_now,
		  uint64_t fh, uint64_t fg)
{
	uint64_t num = fh, den = fg;

	if (!fh || !fg)
		return -EINVAL;
	if (fh > UINT32_MAX || fg > UINT32_MAX)	/* CNTFRQ is 32 bits */
		return -ERANGE;
	rate_reduce(&num, &den);
	if (!rate_ok(num, den))
		return -ERANGE;
	*t = (struct timeline){ now, g_now, (uint32_t)num, (uint32_t)den,
				fh, fg };
	return 0;
}

/* Guest ticks per host tick = num * fg / (den * fh). */
uint64_t timeline_guest(const struct timeline *t, uint64_t p)
{
	u128 d;

	if (p <= t->p0)
		return t->g0;
	/* < 2^128: p - p0 < 2^64 and num, fg < 2^32 */
	d = (u128)(p - t->p0) * t->num * t->fg / ((u128)t->den * t->fh);
	/* G saturates at the end of its range, never wraps back to 0 */
	if (d > UINT64_MAX - t->g0)
		return UINT64_MAX;
	return t->g0 + (uint64_t)d;
}

uint64_t timeline_host_at(const struct timeline *t, uint64_t g)
{
	u128 mul = (u128)t->num * t->fg, div = (u128)t->den * t->fh, d;

	if (g <= t->g0)
		return t->p0;
	/* ceil((g - g0) * div / mul): < 2^128 as fh, fg and den < 2^32 */
	d = ((u128)(g - t->g0) * div + mul - 1) / mul;
	/* Past the counter's range: never, not a wrapped, past deadline. */
	if (d > UINT64_MAX - t->p0)
		return UINT64_MAX;
	return t->p0 + (uint64_t)d;
}

bool timeline_is_natural(const struct timeline *t)
{
	return (u128)t->num * t->fg == (u128)t->den * t->fh;
}

static void rebase(struct timeline *t, uint64_t now)
{
	t->g0 = timeline_guest(t, now);
	if (now > t->p0)
		t->p0 = now;
}

int timeline_set_rate(struct timeline *t, uint64_t now, uint32_t num,
		      uint32_t den)
{
	uint64_t n = num, d = den;

	if (!rate_ok(n, d))
		return -ERANGE;
	rate_reduce(&n, &d);
	rebase(t, now);
	t->num = (uint32_t)n;
	t->den = (uint32_t)d;
	return 0;
}

int timeline_step(struct timeline *t, uint64_t now, uint64_t ticks)
{
	rebase(t, now);
	if (t->g0 + ticks < t->g0)
		return -ERANGE;
	t->g0 += ticks;
	return 0;
}
