// SPDX-License-Identifier: Apache-2.0
/* Injecting synchronous exceptions into the guest's EL1 (from EL1, or from
 * EL0 in AArch64 or AArch32). */
#include <arch/arch.h>
#include <arch/esr.h>
#include <arch/sysreg.h>
#include <core/cpu.h>

/* Where the exception lands in the guest's vector table. */
static uint64_t vector_offset(uint64_t spsr)
{
	if (spsr & SPSR_AARCH32)
		return 0x600;	/* from EL0, AArch32 */
	switch (spsr & SPSR_MODE_MASK) {
	case SPSR_MODE_EL1T:
		return 0x000;
	case SPSR_MODE_EL1H:
		return 0x200;
	default:
		return 0x400;	/* from EL0, AArch64 */
	}
}

static void inject(struct trap_frame *f, uint64_t esr)
{
	write_sysreg(esr_el1, esr);
	write_sysreg(elr_el1, f->elr);
	write_sysreg(spsr_el1, f->spsr);
	f->elr = read_sysreg(vbar_el1) + vector_offset(f->spsr);
	f->spsr = SPSR_EL1H_MASKED;
}

void inject_undef(struct trap_frame *f)
{
	inject(f, esr_make(EC_UNKNOWN, 0));
}

void inject_abort(struct trap_frame *f, bool instruction, bool write,
		  uint64_t far)
{
	bool from_el0 = (f->spsr & SPSR_AARCH32) ||
			(f->spsr & SPSR_MODE_MASK) == SPSR_MODE_EL0T;
	unsigned ec = instruction ? (from_el0 ? EC_IABT_LOW : EC_IABT_CUR)
				  : (from_el0 ? EC_DABT_LOW : EC_DABT_CUR);
	uint32_t iss = FSC_SEA | (!instruction && write ? 1u << 6 : 0);

	write_sysreg(far_el1, far);
	inject(f, esr_make(ec, iss));
}

void inject_sysreg_trap(struct trap_frame *f, uint32_t iss)
{
	inject(f, esr_make(EC_SYSREG, iss));
}
