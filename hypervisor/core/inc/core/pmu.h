/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's PMU where MDCR_EL2.HPMD does not exist (PMUv3 of Armv8.0):
 * MDCR_EL2.TPM traps every PMU register access, and core/pmu.c replays
 * it, except that no event filter the guest writes asks to count at EL2.
 */
#ifndef CORE_PMU_H
#define CORE_PMU_H
#include <arch/esr.h>

struct trap_frame;

enum pmu_result {
	PMU_NOT_MINE,		/* not a PMU register */
	PMU_DONE,		/* replayed: step over the instruction */
	PMU_INJECTED,		/* UNDEF went to the guest */
};

enum pmu_result pmu_sysreg(struct trap_frame *f, const struct sysreg_info *s);
#endif
