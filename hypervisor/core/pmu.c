// SPDX-License-Identifier: Apache-2.0
/*
 * Trapped PMU register accesses (MDCR_EL2.TPM, set by arch_guest_init
 * only on a PMUv3 without HPMD). Each is replayed at EL2 as the guest
 * asked, except that PMEVTYPER<n>_EL0, PMXEVTYPER_EL0 and PMCCFILTR_EL0
 * writes never set NSH: the guest's counters never count EL2.
 */
#include <arch/arch.h>
#include <core/cpu.h>
#include <core/pmu.h>
#include <core/sysreg_trap.h>

#define PMEVTYPER_NSH	(1UL << 27)

/* The encodings of the PMU registers (Arm ARM D13, op0 3). */
static bool is_pmu(const struct sysreg_info *s)
{
	if (s->op0 != 3)
		return false;
	if (s->op1 == 0)	/* PMINTENSET_EL1, PMINTENCLR_EL1 */
		return s->crn == 9 && s->crm == 14 && (s->op2 == 1 || s->op2 == 2);
	return s->op1 == 3 && ((s->crn == 9 && s->crm >= 12 && s->crm <= 14) ||
			       (s->crn == 14 && s->crm >= 8));
}

static bool is_filter(const struct sysreg_info *s)
{
	return (s->op1 == 3 && s->crn == 14 && s->crm >= 12) ||
	       sysreg_key(s) == SYSREG_KEY(3, 3, 9, 13, 1);
}

enum sysreg_result pmu_sysreg(struct cpu *c, struct trap_frame *f,
			      uint64_t esr, const struct sysreg_info *s)
{
	uint64_t v = s->read ? 0 : frame_reg(f, s->reg);

	(void)c;
	(void)esr;
	if (!is_pmu(s))
		return SYSREG_NOT_MINE;
	if (!s->read && is_filter(s))
		v &= ~PMEVTYPER_NSH;
	if (!pmu_reg_access(s, &v)) {
		inject_undef(f);
		return SYSREG_INJECTED;
	}
	if (s->read)
		frame_set_reg(f, s->reg, v);
	return SYSREG_DONE;
}
