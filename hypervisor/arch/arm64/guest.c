// SPDX-License-Identifier: Apache-2.0
/* The EL2 controls each CPU sets before it first enters the guest. */
#include <arch/arch.h>
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

void arch_guest_init(uint64_t stage2_root)
{
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, read_sysreg(mpidr_el1));
	write_sysreg(cptr_el2, CPTR_EL2_DEFAULT);
	/* TDA: the backdoor and MDSCR_EL1 */
	write_sysreg(mdcr_el2, mdcr_pmu() | MDCR_TDA);
	write_sysreg(vtcr_el2, VTCR_EL2_VALUE);
	write_sysreg(vttbr_el2, stage2_root);	/* VMID 0 */
	write_sysreg(sctlr_el1, SCTLR_EL1_RESET);
	write_sysreg(hcr_el2, HCR_GUEST);
	isb();
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	isb();
}
