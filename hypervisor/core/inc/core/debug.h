/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The debug registers that MDCR_EL2.TDA traps: MDSCR_EL1 is shadowed so
 * that TDCC (which QEMU 7.2 does not implement) can be emulated, the DCC
 * registers carry the backdoor, the rest go to the hardware as the
 * architecture says.
 */
#ifndef CORE_DEBUG_H
#define CORE_DEBUG_H
#include <arch/esr.h>

struct cpu;
struct trap_frame;

enum debug_result {
	DEBUG_NOT_MINE,		/* not a debug register */
	DEBUG_DONE,		/* emulated: step over the instruction */
	DEBUG_INJECTED,		/* an exception went to the guest's EL1 */
};

/* MDSCR_EL1 as after reset, on this CPU's first entry. */
void debug_cpu_init(struct cpu *c);
enum debug_result debug_sysreg(struct cpu *c, struct trap_frame *f,
			       uint64_t esr, const struct sysreg_info *s);
#endif
