/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dilation arithmetic (pure; host-tested). CNTVCT, V(P) = P - CNTVOFF,
 * advances one tick per host tick while the guest runs; G(P) advances at
 * the timeline's slope s = rate x fg / fh. Between two corrections T host
 * ticks apart the error V - G changes by (1 - s) x T. A correction puts V
 * at G + d, with d = -(1 - s) x T / 2, so the error swings from -|d| to
 * +|d| instead of from 0 to 2|d|: the bound E needs T = 2E / |1 - s|.
 * V never goes back: a correction resumes at no less than the largest V
 * the guest may have read (v_seen), and if G + d is still below it, every
 * vCPU stays stopped until G catches up (a stall sized to the time the
 * guest ran ahead).
 */
#ifndef CORE_DILATION_H
#define CORE_DILATION_H
#include <core/timeline.h>

/* Host ticks between corrections that keep |V - G| within bound guest
 * ticks, clamped to [min, max]; max when G runs at one tick per tick. */
uint64_t dil_period(const struct timeline *t, uint64_t bound, uint64_t min,
		    uint64_t max);
/* The offset d (guest ticks) a correction gives V against G, for corrections
 * period host ticks apart: negative when G is slower than the counter. */
int64_t dil_offset(const struct timeline *t, uint64_t period);

struct dil_plan {
	uint64_t stall_until;	/* no vCPU runs before this host tick (0: none) */
	uint64_t v;		/* CNTVCT when the vCPUs resume */
};

/* Where V resumes at host tick p: G(p) + d, or v_seen if that is more, in
 * which case the vCPUs stall until G + d reaches v_seen. */
struct dil_plan dil_plan(const struct timeline *t, uint64_t p, uint64_t v_seen,
			 int64_t d);
/* |V - G| at host tick p with that CNTVOFF, in guest ticks. */
uint64_t dil_error(const struct timeline *t, uint64_t p, uint64_t cntvoff);
/* For a vCPU waiting at EL2 (which cannot read its counter): the CNTVOFF
 * that makes its virtual timer, set to cval, fire when G + d reaches cval,
 * so that the guest finds it expired once it resumes on plan. */
uint64_t dil_idle_cntvoff(const struct timeline *t, uint64_t cval, int64_t d);
/* True when CNTVOFF is negative modulo 2^64: V ahead of P, where QEMU 10
 * never fires the virtual timer by itself (core/vtime.c). */
static inline bool dil_cntvoff_negative(uint64_t cntvoff)
{
	return (int64_t)cntvoff < 0;
}
/* The host tick at which CNTVCT = P - cntvoff reaches cval, counted
 * modulo 2^64 as the architecture does: p itself if it has at p,
 * UINT64_MAX if that is past the counter's range. */
uint64_t dil_vtimer_at(uint64_t p, uint64_t cntvoff, uint64_t cval);
#endif
