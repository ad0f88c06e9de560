// SPDX-License-Identifier: Apache-2.0
/* aarch64 exclusive-monitor trials (see verdict.h for the rule).
 *
 * A trial is one asm block: ldxr, the candidate, stxr, so nothing the
 * compiler emits can sit between them. The counter (CNTVCT_EL0, never
 * trapped) is read around the block, for the informative median cost.
 * A candidate that raises a signal is stopped by the fault guard; that
 * trial counts as signalled and failed (the kernel took an exception). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backdoor.h"
#include "excl.h"
#include "guard.h"

struct trial {
	uint64_t *word;
	uint32_t status;	/* stxr: 0 stored, 1 failed */
};

static inline uint64_t ticks(void)
{
	uint64_t v;

	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static void t_control(void *p)
{
	struct trial *t = p;
	uint64_t v;
	uint32_t st;

	__asm__ __volatile__("ldxr %0, [%2]\n\t"
			     "stxr %w1, %0, [%2]"
			     : "=&r"(v), "=&r"(st) : "r"(t->word) : "memory");
	t->status = st;
}

/* Candidates without special registers: ldxr; INSN; stxr. */
#define SIMPLE_TRIAL(fn, insn)						\
	static void fn(void *p)						\
	{								\
		struct trial *t = p;					\
		uint64_t v, x;						\
		uint32_t st;						\
									\
		__asm__ __volatile__("ldxr %0, [%3]\n\t"		\
				     insn "\n\t"			\
				     "stxr %w1, %0, [%3]"		\
				     : "=&r"(v), "=&r"(st), "=&r"(x)	\
				     : "r"(t->word) : "memory");	\
		t->status = st;						\
		(void)x;						\
	}

SIMPLE_TRIAL(t_tpidr, "mrs %2, tpidr_el0")
SIMPLE_TRIAL(t_midr, "mrs %2, midr_el1")

/* The same register with x7 = 0: not a backdoor call. */
static void t_mdccsr(void *p)
{
	struct trial *t = p;
	register uint64_t a7 __asm__("x7") = 0;
	uint64_t v, x;
	uint32_t st;

	__asm__ __volatile__("ldxr %0, [%3]\n\t"
			     "mrs %2, mdccsr_el0\n\t"
			     "stxr %w1, %0, [%3]"
			     : "=&r"(v), "=&r"(st), "=&r"(x)
			     : "r"(t->word), "r"(a7) : "memory");
	t->status = st;
	(void)x;
}

/* The backdoor call itself (GETVERSION) between the exclusives. */
static void t_mdccsr_bd(void *p)
{
	struct trial *t = p;
	register uint64_t a0 __asm__("x0") = BDOOR_MAGIC;
	register uint64_t a1 __asm__("x1") = 0;
	register uint64_t a2 __asm__("x2") = BDOOR_CMD_GETVERSION;
	register uint64_t a3 __asm__("x3") = BDOOR_PORT;
	register uint64_t a4 __asm__("x4") = 0;
	register uint64_t a5 __asm__("x5") = 0;
	register uint64_t a6 __asm__("x6") = 0;
	register uint64_t a7 __asm__("x7") = BD_X7(BD_X7_LB_IN);
	uint64_t v;
	uint32_t st;

	__asm__ __volatile__("ldxr %[v], [%[w]]\n\t"
			     "mrs xzr, mdccsr_el0\n\t"
			     "stxr %w[st], %[v], [%[w]]"
			     : [v] "=&r"(v), [st] "=&r"(st), "+r"(a0), "+r"(a1),
			       "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5),
			       "+r"(a6)
			     : [w] "r"(t->word), "r"(a7)
			     : "memory");
	t->status = st;
}

static const struct {
	const char *name;
	const char *insn;
	enum excl_role role;
	void (*fn)(void *);
} cands[] = {
	{ "control", "(nothing)", EXCL_CONTROL, t_control },
	{ "tpidr", "mrs tpidr_el0", EXCL_NOTRAP, t_tpidr },
	{ "midr", "mrs midr_el1 (EL0: kernel emulates)", EXCL_KERNEL, t_midr },
	{ "mdccsr", "mrs mdccsr_el0", EXCL_PROBE, t_mdccsr },
	{ "mdccsr_bd", "mrs xzr, mdccsr_el0 with the backdoor x7",
	  EXCL_PROBE, t_mdccsr_bd },
};

#define NCANDS (sizeof(cands) / sizeof(cands[0]))
_Static_assert(NCANDS <= EXCL_MAX_CANDS, "too many candidates");

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void run_one(struct excl_cand *c, unsigned k, unsigned trials,
		    uint32_t *cost)
{
	/* Its own cache line, so no other store touches the granule. */
	static uint64_t word[8] __attribute__((aligned(64)));
	struct trial t = { .word = word };
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->name = cands[k].name;
	c->insn = cands[k].insn;
	c->role = cands[k].role;
	for (i = 0; i < trials; i++) {
		uint64_t t0 = ticks(), t1;
		int sig;

		t.status = 1;
		sig = guard_call(cands[k].fn, &t);
		t1 = ticks();
		cost[i] = t1 - t0 > UINT32_MAX ? UINT32_MAX : (uint32_t)(t1 - t0);
		if (sig)
			c->signalled++;
		if (sig || t.status)
			c->failed++;
	}
	c->trials = trials;
	qsort(cost, trials, sizeof(*cost), cmp_u32);
	c->median_ticks = trials ? cost[trials / 2] : 0;
}

int excl_run(struct excl_cand *c, unsigned trials)
{
	uint32_t *cost;
	unsigned k;

	if (trials == 0 || trials > EXCL_MAX_TRIALS)
		return -EINVAL;
	cost = malloc(trials * sizeof(*cost));
	if (!cost)
		return -ENOMEM;
	for (k = 0; k < NCANDS; k++)
		run_one(&c[k], k, trials, cost);
	free(cost);
	return (int)NCANDS;
}
