/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's PMU where MDCR_EL2.HPMD does not exist (PMUv3 of Armv8.0):
 * MDCR_EL2.TPM traps every PMU register access, and core/pmu.c replays
 * it, except that no event filter the guest writes asks to count at EL2.
 */
#ifndef CORE_PMU_H
#define CORE_PMU_H
#include <arch/esr.h>

/* Its trap handler, pmu_sysreg, is in core/sysreg_trap.h. */
#endif
