/* SPDX-License-Identifier: Apache-2.0 */
/* The exclusive-monitor detection rule (docs/guest-agent.md), pure so it
 * is unit tested on the host.
 *
 * Each candidate instruction ran `trials` times between a load-exclusive
 * and a store-exclusive; `failed` stores failed and `signalled` trials
 * raised a signal (the kernel saw the instruction as undefined). An
 * exception return clears the local monitor, so a store that fails
 * (nearly) every time means the candidate trapped somewhere. Where it
 * trapped comes from the roles:
 *   CONTROL      nothing between: must succeed (else something else
 *                clears the monitor and the method says nothing);
 *   NOTRAP       an instruction that never traps: must succeed too;
 *   KERNEL       an instruction the kernel traps at EL1 and emulates
 *                without a signal (mrs midr_el1 from EL0): must fail, which
 *                proves a trap is visible at all on this machine;
 *   PROBE        a debug-register access (mrs mdccsr_el0) that the kernel
 *                never emulates for EL0: if it traps to EL1 the process
 *                gets SIGILL. A PROBE that fails the store with no signal
 *                therefore trapped to a level above the kernel: EL2. */
#ifndef VGA_VERDICT_H
#define VGA_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

enum excl_role {
	EXCL_CONTROL,
	EXCL_NOTRAP,
	EXCL_KERNEL,
	EXCL_PROBE,
};

enum excl_class {
	EXCL_NO_TRAP,		/* the store succeeded: nothing trapped */
	EXCL_TRAP_KERNEL,	/* trapped, handled by the kernel (EL1) */
	EXCL_TRAP_ABOVE,	/* trapped above the kernel (EL2) */
	EXCL_MIXED,		/* neither rate is clear: no conclusion */
};

struct excl_cand {
	const char *name;	/* short id, e.g. "mdccsr_bd" */
	const char *insn;	/* what ran between ldxr and stxr */
	enum excl_role role;
	uint32_t trials;
	uint32_t failed;	/* stxr reported failure (or signalled) */
	uint32_t signalled;
	uint32_t median_ticks;	/* counter ticks per trial, informative */
	enum excl_class cls;	/* set by excl_verdict() */
};

struct excl_verdict {
	bool conclusive;
	bool above;		/* a PROBE trapped above the kernel */
	double confidence;	/* 0..1: lower 95 % bound of the weakest
				 * rate the conclusion rests on */
	const char *reason;
};

/* Clear rates: a trap needs >= EXCL_HI of the stores to fail, "no trap"
 * needs <= EXCL_LO. */
#define EXCL_HI 0.99
#define EXCL_LO 0.01

/* Classifies each candidate (c[i].cls) and gives the verdict. */
void excl_verdict(struct excl_cand *c, unsigned n, struct excl_verdict *ret);
/* Lower bound of the 95 % Wilson score interval of k successes in n. */
double wilson_lower(uint32_t k, uint32_t n);
const char *excl_class_name(enum excl_class cls);
const char *excl_role_name(enum excl_role role);



/* The overall answer of `detect`, from all the evidence. */
struct detect_inputs {
	bool backdoor;		/* GETVERSION answered with the magic */
	bool arm64;
	const char *hint;	/* hypervisor named by DT/DMI/CPUID, or NULL */
	const char *hint_by;
	const struct excl_verdict *excl;	/* NULL: method unavailable */
};

struct detect_answer {
	const char *name;	/* "verge", a known name, "vm-other", "none" */
	const char *basis;	/* the method that decided */
	bool virtualized;
	bool have_confidence;	/* the exclusive-monitor method agrees */
	double confidence;
};

void detect_decide(const struct detect_inputs *in, struct detect_answer *ret);
#endif
