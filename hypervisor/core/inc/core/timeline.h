/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest timeline G(P): guest counter ticks as a piecewise-linear
 * function of the host's physical counter P. The user-facing rate is
 * guest seconds per host second (num/den); with a presented frequency fg
 * on a counter ticking at fh, G advances rate * fg / fh guest ticks per
 * host tick. Every change rebases (g0, p0) at the current P, so G stays
 * continuous and never goes backwards. Exact integer arithmetic with
 * 128-bit intermediates: no drift, no overflow for decades at 1 GHz.
 * Pure code: host-tested.
 */
#ifndef CORE_TIMELINE_H
#define CORE_TIMELINE_H
#include <core/compat.h>

#define RATE_MIN_NUM	1	/* 0.01 = 1/100 */
#define RATE_MIN_DEN	100
#define RATE_MAX	100

struct timeline {
	uint64_t p0, g0;	/* G(p0) = g0 */
	uint32_t num, den;	/* rate, guest seconds per host second */
	uint64_t fh, fg;	/* host and presented frequencies, Hz */
};

/* Starts at G(now) = g_now with the rate fh / fg (no scaling at all);
 * -ERANGE if a frequency does not fit CNTFRQ's 32 bits. */
int timeline_init(struct timeline *t, uint64_t now, uint64_t g_now,
		  uint64_t fh, uint64_t fg);
/* G(p); UINT64_MAX, not a wrapped value, once G would pass 2^64 - 1. */
uint64_t timeline_guest(const struct timeline *t, uint64_t p);
/* The first P at which G(P) >= g (p0 if g is already reached); UINT64_MAX
 * if that P is past the counter's range (a far-future deadline stays in
 * the future, whatever the rate). */
uint64_t timeline_host_at(const struct timeline *t, uint64_t g);
/* True when G advances exactly one tick per host tick. */
bool timeline_is_natural(const struct timeline *t);
/* Rebases at now and sets the rate; -ERANGE outside 0.01..100. */
int timeline_set_rate(struct timeline *t, uint64_t now, uint32_t num,
		      uint32_t den);
/* Rebases at now and moves G forward by ticks guest ticks. */
int timeline_step(struct timeline *t, uint64_t now, uint64_t ticks);
/* Reduces num/den; used to express fh/fg as a rate. */
void rate_reduce(uint64_t *num, uint64_t *den);
#endif
