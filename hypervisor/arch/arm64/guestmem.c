// SPDX-License-Identifier: Apache-2.0
/*
 * Guest virtual addresses, translated by the hardware as the guest itself
 * would at EL0 or EL1 (AT S12E0R/W or S12E1R/W: the guest's stage 1, then our
 * stage 2). PAR_EL1 belongs to the guest, so it is saved and restored.
 */
#include <arch/arch.h>
#include <arch/sysreg.h>
#include <errno.h>

#define PAR_F		(1UL << 0)
#define PAR_PA_MASK	0x0000fffffffff000UL

int guest_translate(uint64_t va, bool write, bool el0, uint64_t *ret_pa)
{
	uint64_t saved = read_sysreg(par_el1), par;

	if (el0 && write)
		__asm__ volatile("at s12e0w, %0" : : "r"(va));
	else if (el0)
		__asm__ volatile("at s12e0r, %0" : : "r"(va));
	else if (write)
		__asm__ volatile("at s12e1w, %0" : : "r"(va));
	else
		__asm__ volatile("at s12e1r, %0" : : "r"(va));
	isb();
	par = read_sysreg(par_el1);
	write_sysreg(par_el1, saved);
	if (par & PAR_F)
		return -EFAULT;
	*ret_pa = (par & PAR_PA_MASK) | (va & 0xfff);
	return 0;
}

/* The guest may run with its caches off (SCTLR_EL1.C or .M clear): its
 * accesses then bypass the lines EL2 reads and writes through. */
bool guest_caches_off(void)
{
	uint64_t sctlr = read_sysreg(sctlr_el1);

	return !(sctlr & 1) || !(sctlr & (1 << 2));
}

void dcache_civac_range(uint64_t start, uint64_t size)
{
	uint64_t line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);

	for (uint64_t a = start & ~(line - 1); a < start + size; a += line)
		__asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
	dsb(sy);
}
