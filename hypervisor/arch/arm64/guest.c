/* The EL2 controls each CPU sets before it first enters the guest. */
#include <arch/arch.h>
#include <arch/sysreg.h>

#define VTCR_EL2_VALUE	(24UL | (1UL << 6) | (1UL << 8) | (1UL << 10) | \
			 (3UL << 12) | (2UL << 16) | (1UL << 31))

void arch_guest_init(uint64_t stage2_root)
{
	uint64_t pmu_counters = (read_sysreg(pmcr_el0) >> 11) & 0x1f;

	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, read_sysreg(mpidr_el1));
	write_sysreg(cptr_el2, CPTR_EL2_DEFAULT);
	/* HPMN: all counters to the guest; TDA: the backdoor and MDSCR_EL1 */
	write_sysreg(mdcr_el2, pmu_counters | MDCR_TDA);
	write_sysreg(vtcr_el2, VTCR_EL2_VALUE);
	write_sysreg(vttbr_el2, stage2_root);	/* VMID 0 */
	write_sysreg(sctlr_el1, SCTLR_EL1_RESET);
	write_sysreg(hcr_el2, HCR_GUEST);
	isb();
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	isb();
}
