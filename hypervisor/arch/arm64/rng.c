// SPDX-License-Identifier: Apache-2.0
/* The core's random number generator (FEAT_RNG), where it has one. */
#include <arch/arch.h>
#include <arch/sysreg.h>

#define ISAR0_RNDR_SHIFT	60

bool arch_random(uint64_t *ret)
{
	uint64_t v, ok;

	if (((read_sysreg(id_aa64isar0_el1) >> ISAR0_RNDR_SHIFT) & 0xf) == 0)
		return false;
	/* RNDR sets NZCV to 0b0100 when it has no number this time. */
	__asm__ volatile("mrs %0, s3_3_c2_c4_0\n\tcset %1, ne"
			 : "=r"(v), "=r"(ok) : : "cc");
	if (!ok)
		return false;
	*ret = v;
	return true;
}

uint64_t arch_counter(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}
