// SPDX-License-Identifier: Apache-2.0
/* The EL2 controls each CPU sets before it first enters the guest. */
#include <arch/arch.h>
#include <arch/cpufeat.h>
#include <arch/sysreg.h>

#define VTCR_EL2_VALUE	(24UL | (1UL << 6) | (1UL << 8) | (1UL << 10) | \
			 (3UL << 12) | (2UL << 16) | (1UL << 31))

/*
 * MDCR_EL2's PMU part. HPMN = PMCR_EL0.N: every event counter belongs to
 * the guest (HPME stays 0: there are none above HPMN for EL2 to enable),
 * HPMD and HCCD keep EL2 out of the guest's counts where the PMU has
 * them, and the guest programs its PMU directly. A PMUv3 of Armv8.0
 * (Cortex-A57, A72) has neither: there TPM traps every PMU access and
 * core/pmu.c replays it with NSH (count at EL2) cleared from the filters.
 */
static uint64_t mdcr_pmu(void)
{
	uint64_t v = (read_sysreg(pmcr_el0) >> 11) & 0x1f;
	unsigned ver = (read_sysreg(id_aa64dfr0_el1) >> 8) & 0xf;

	if (ver == PMUVER_IMPDEF || ver == 0)
		return v;
	if (ver < PMUVER_V3P1)
		return v | MDCR_TPM;
	v |= MDCR_HPMD;
	if (ver >= PMUVER_V3P5)
		v |= MDCR_HCCD;
	return v;
}

/* SPE and the trace filter controls trap where they exist (hidden). */
static uint64_t mdcr_hidden(void)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1), v = 0;

	if ((dfr0 >> 32) & 0xf)		/* PMSVer */
		v |= MDCR_TPMS;
	if ((dfr0 >> 40) & 0xf)		/* TraceFilt */
		v |= MDCR_TTRF;
	return v;
}

/* HCR_EL2: the common part plus the bits of features this core has. */
static uint64_t hcr_guest(void)
{
	uint64_t v = HCR_GUEST;

	if ((read_sysreg(id_aa64mmfr1_el1) >> 16) & 0xf)	/* LO */
		v |= HCR_TLOR;
	if (cpu_has(CPUFEAT_RAS))
		v |= HCR_TERR;
	if (cpu_has(CPUFEAT_PAUTH))
		v |= HCR_API | HCR_APK;
	if (cpu_has(CPUFEAT_MTE))
		v |= HCR_ATA;
	return v;
}

/*
 * The controls that came after Armv8.0, set to known values where the
 * core has them: the guest's vector lengths are the core's largest;
 * HCRX_EL2 enables only FEAT_MOPS; the fine-grained traps trap nothing
 * the guest is offered and every register of a feature it is not
 * (their negative-polarity bits are 0), which then meets an UNDEF.
 */
static void post_v80_controls(void)
{
	uint64_t fgr = 0;

	if (cpu_has(CPUFEAT_SVE))
		write_sysreg(S3_4_C1_C2_0, ZCR_LEN_MAX);	/* ZCR_EL2 */
	if (cpu_has(CPUFEAT_SME))
		write_sysreg(S3_4_C1_C2_6, ZCR_LEN_MAX | SMCR_FA64 |
			     (cpu_has(CPUFEAT_SME2) ? SMCR_EZT0 : 0));
	if (cpu_has(CPUFEAT_HCX))			/* HCRX_EL2 */
		write_sysreg(S3_4_C1_C2_2,
			     cpu_has(CPUFEAT_MOPS) ? HCRX_MSCEN : 0);
	if (!cpu_has(CPUFEAT_FGT))
		return;
	if (cpu_has(CPUFEAT_SME))
		fgr = HFGXTR_NSMPRI_EL1 | HFGXTR_NTPIDR2_EL0;
	write_sysreg(S3_4_C1_C1_4, fgr);	/* HFGRTR_EL2 */
	write_sysreg(S3_4_C1_C1_5, fgr);	/* HFGWTR_EL2 */
	write_sysreg(S3_4_C1_C1_6, 0);		/* HFGITR_EL2 */
	write_sysreg(S3_4_C3_C1_4, 0);		/* HDFGRTR_EL2 */
	write_sysreg(S3_4_C3_C1_5, 0);		/* HDFGWTR_EL2 */
	if (!cpu_has(CPUFEAT_FGT2))
		return;
	write_sysreg(S3_4_C3_C1_0, 0);		/* HDFGRTR2_EL2 */
	write_sysreg(S3_4_C3_C1_1, 0);		/* HDFGWTR2_EL2 */
	write_sysreg(S3_4_C3_C1_2, 0);		/* HFGRTR2_EL2 */
	write_sysreg(S3_4_C3_C1_3, 0);		/* HFGWTR2_EL2 */
	write_sysreg(S3_4_C3_C1_7, 0);		/* HFGITR2_EL2 */
}

void arch_guest_init(uint64_t stage2_root)
{
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, read_sysreg(mpidr_el1));
	write_sysreg(cptr_el2, cpufeat_cptr());
	post_v80_controls();
	/* TDA: the backdoor and MDSCR_EL1 */
	write_sysreg(mdcr_el2, mdcr_pmu() | MDCR_TDA | mdcr_hidden());
	write_sysreg(vtcr_el2, VTCR_EL2_VALUE);
	write_sysreg(vttbr_el2, stage2_root);	/* VMID 0 */
	write_sysreg(sctlr_el1, SCTLR_EL1_RESET);
	write_sysreg(hcr_el2, hcr_guest());
	isb();
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	isb();
}
