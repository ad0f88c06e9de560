// SPDX-License-Identifier: Apache-2.0
/* Dilation arithmetic: see dilation.h. */
#include <core/dilation.h>

typedef unsigned __int128 u128;

/* |1 - s| as a fraction gap / whole, with whole = den x fh. */
static u128 slope_gap(const struct timeline *t, bool *slower)
{
	u128 g = (u128)t->num * t->fg, h = (u128)t->den * t->fh;

	*slower = g < h;
	return g < h ? h - g : g - h;
}

uint64_t dil_period(const struct timeline *t, uint64_t bound, uint64_t min,
		    uint64_t max)
{
	bool slower;
	u128 gap = slope_gap(t, &slower), p;

	if (!gap)
		return max;
	p = 2 * (u128)bound * ((u128)t->den * t->fh) / gap;
	return p < min ? min : p > max ? max : (uint64_t)p;
}

int64_t dil_offset(const struct timeline *t, uint64_t period)
{
	bool slower;
	u128 gap = slope_gap(t, &slower);
	u128 d = gap * period / (2 * ((u128)t->den * t->fh));

	if (d > INT64_MAX)	/* never INT64_MIN: callers negate it */
		d = INT64_MAX;
	return slower ? -(int64_t)d : (int64_t)d;
}

/* g + d, kept within 0..UINT64_MAX. */
static uint64_t add_offset(uint64_t g, int64_t d)
{
	if (d < 0)
		return g < (uint64_t)-d ? 0 : g - (uint64_t)-d;
	return g > UINT64_MAX - (uint64_t)d ? UINT64_MAX : g + (uint64_t)d;
}

struct dil_plan dil_plan(const struct timeline *t, uint64_t p, uint64_t v_seen,
			 int64_t d)
{
	uint64_t v = add_offset(timeline_guest(t, p), d), until;

	if (v >= v_seen)
		return (struct dil_plan){ 0, v };
	/* G + d reaches v_seen when G reaches v_seen - d (d > INT64_MIN). */
	until = timeline_host_at(t, add_offset(v_seen, -d));
	return (struct dil_plan){ until > p ? until : p + 1, v_seen };
}

uint64_t dil_error(const struct timeline *t, uint64_t p, uint64_t cntvoff)
{
	uint64_t v = p - cntvoff, g = timeline_guest(t, p);

	return v > g ? v - g : g - v;
}

uint64_t dil_idle_cntvoff(const struct timeline *t, uint64_t cval, int64_t d)
{
	uint64_t g = add_offset(cval, -d);

	return timeline_host_at(t, g) - cval;	/* modulo 2^64, as V is */
}

uint64_t dil_vtimer_at(uint64_t p, uint64_t cntvoff, uint64_t cval)
{
	uint64_t v = p - cntvoff;

	if (cval <= v)
		return p;
	return cval - v > UINT64_MAX - p ? UINT64_MAX : p + (cval - v);
}
