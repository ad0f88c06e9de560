/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What this core implements, read once from its ID registers at EL2
 * (cpufeat.c), and the EL2 controls that follow from it. The guest is
 * pinned and never switched, so it owns FP/SIMD, SVE, SME, the PAuth keys
 * and MTE state outright; EL2 only opens them (CPTR_EL2, HCR_EL2, ZCR_EL2,
 * SMCR_EL2) and never touches them.
 */
#ifndef ARCH_CPUFEAT_H
#define ARCH_CPUFEAT_H
#include <stdbool.h>
#include <stdint.h>

/* Bit numbers of the features mask; the same as the management
 * protocol's VP_CPU_* (verge_proto.h). */
enum cpufeat {
	CPUFEAT_FP, CPUFEAT_SIMD, CPUFEAT_SVE, CPUFEAT_SVE2, CPUFEAT_SME,
	CPUFEAT_SME2, CPUFEAT_PAUTH, CPUFEAT_BTI, CPUFEAT_MTE, CPUFEAT_FGT,
	CPUFEAT_FGT2, CPUFEAT_HCX, CPUFEAT_ECV, CPUFEAT_RAS, CPUFEAT_SPE,
	CPUFEAT_TRBE, CPUFEAT_AMU, CPUFEAT_MOPS, CPUFEAT_NV, CPUFEAT_PMU,
	CPUFEAT_COUNT,
};

struct cpu_features {
	uint64_t mask;		/* 1 << enum cpufeat */
	unsigned sve_vl;	/* bytes, 0 without SVE */
	unsigned sme_vl;	/* streaming bytes, 0 without SME */
};

extern struct cpu_features cpu_feat;

static inline bool cpu_has(enum cpufeat f)
{
	return cpu_feat.mask >> f & 1;
}

/* The name of feature f in the boot line and in `verge vm show`. */
const char *cpufeat_name(enum cpufeat f);
/* Reads the ID registers of this core (CPU 0, before any guest runs). */
void cpufeat_probe(void);
/* CPTR_EL2 for the guest: FP/SIMD, SVE and SME open, trace and AMU
 * trapped. */
uint64_t cpufeat_cptr(void);
/* "fp simd sve(vl=256) ..." into buf. */
void cpufeat_describe(char *buf, unsigned size);
#endif
