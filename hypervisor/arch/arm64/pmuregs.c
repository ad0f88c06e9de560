// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's PMU registers, read and written at EL2 by encoding (MRS/MSR
 * name their register in the instruction, so each one is a case). Used
 * when MDCR_EL2.TPM traps them (core/pmu.c). An event counter at or above
 * PMCR_EL0.N is UNDEFINED at EL2 too: such numbers are refused here.
 */
#include <arch/arch.h>
#include <arch/esr.h>
#include <arch/sysreg.h>

/* clang-format off */
#define PM31(F, k) F(k, 0) F(k, 1) F(k, 2) F(k, 3) F(k, 4) F(k, 5) \
	F(k, 6) F(k, 7) F(k, 8) F(k, 9) F(k, 10) F(k, 11) F(k, 12) \
	F(k, 13) F(k, 14) F(k, 15) F(k, 16) F(k, 17) F(k, 18) F(k, 19) \
	F(k, 20) F(k, 21) F(k, 22) F(k, 23) F(k, 24) F(k, 25) F(k, 26) \
	F(k, 27) F(k, 28) F(k, 29) F(k, 30)
/* clang-format on */
#define RD(k, n)	case n: return read_sysreg(k##n##_el0);
#define WR(k, n)	case n: write_sysreg(k##n##_el0, v); break;
#define PM_ACCESSORS(k) \
static uint64_t k##_read(unsigned n) \
{ \
	switch (n) { PM31(RD, k) } \
	return 0; \
} \
static void k##_write(unsigned n, uint64_t v) \
{ \
	switch (n) { PM31(WR, k) } \
}

PM_ACCESSORS(pmevcntr)
PM_ACCESSORS(pmevtyper)

unsigned pmu_counters(void)
{
	return (read_sysreg(pmcr_el0) >> 11) & 0x1f;
}

/* PMEVCNTR<n>_EL0 / PMEVTYPER<n>_EL0: op1 3, CRn 14, CRm 8-15; n from
 * CRm[1:0]:op2 (PMEVTYPER31 is PMCCFILTR_EL0, handled by the caller). */
static bool pmu_evreg(const struct sysreg_info *s, bool type, uint64_t *v)
{
	unsigned n = (s->crm & 3) << 3 | s->op2;

	if (n >= pmu_counters())
		return false;
	if (s->read)
		*v = type ? pmevtyper_read(n) : pmevcntr_read(n);
	else if (type)
		pmevtyper_write(n, *v);
	else
		pmevcntr_write(n, *v);
	return true;
}

/* PMXEVTYPER_EL0 / PMXEVCNTR_EL0 reach the counter PMSELR_EL0 selects;
 * one that does not exist (or PMXEVCNTR of the cycle counter) is
 * CONSTRAINED UNPREDICTABLE: RAZ/WI here, never replayed at EL2. */
static bool pmu_selected(const struct sysreg_info *s, uint64_t *v)
{
	unsigned sel = read_sysreg(pmselr_el0) & 0x1f;
	bool type = s->op2 == 1;

	if (sel >= pmu_counters() && !(type && sel == 31)) {
		if (s->read)
			*v = 0;
		return true;
	}
	if (type && s->read)
		*v = read_sysreg(pmxevtyper_el0);
	else if (type)
		write_sysreg(pmxevtyper_el0, *v);
	else if (s->read)
		*v = read_sysreg(pmxevcntr_el0);
	else
		write_sysreg(pmxevcntr_el0, *v);
	return true;
}

#define PMREG(reg) \
	if (s->read) \
		*v = read_sysreg(reg); \
	else \
		write_sysreg(reg, *v); \
	return true

bool pmu_reg_access(const struct sysreg_info *s, uint64_t *v)
{
	if (s->op0 != 3)
		return false;
	if (s->op1 == 0 && s->crn == 9 && s->crm == 14) {
		if (s->op2 == 1) { PMREG(pmintenset_el1); }
		if (s->op2 == 2) { PMREG(pmintenclr_el1); }
		return false;
	}
	if (s->op1 != 3)
		return false;
	if (s->crn == 14 && s->crm == 15 && s->op2 == 7) { PMREG(pmccfiltr_el0); }
	if (s->crn == 14 && s->crm >= 8)
		return pmu_evreg(s, s->crm >= 12, v);
	if (s->crn != 9)
		return false;
	switch (s->crm << 3 | s->op2) {
	case 12 << 3 | 0: PMREG(pmcr_el0);
	case 12 << 3 | 1: PMREG(pmcntenset_el0);
	case 12 << 3 | 2: PMREG(pmcntenclr_el0);
	case 12 << 3 | 3: PMREG(pmovsclr_el0);
	case 12 << 3 | 4:
		if (s->read)
			return false;	/* PMSWINC_EL0 is write-only */
		write_sysreg(pmswinc_el0, *v);
		return true;
	case 12 << 3 | 5: PMREG(pmselr_el0);
	case 12 << 3 | 6:
		*v = read_sysreg(pmceid0_el0);
		return s->read;
	case 12 << 3 | 7:
		*v = read_sysreg(pmceid1_el0);
		return s->read;
	case 13 << 3 | 0: PMREG(pmccntr_el0);
	case 13 << 3 | 1:
	case 13 << 3 | 2:
		return pmu_selected(s, v);
	case 14 << 3 | 0: PMREG(pmuserenr_el0);
	case 14 << 3 | 3: PMREG(pmovsset_el0);
	default:
		return false;
	}
}
