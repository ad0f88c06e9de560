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

/* MDSCR_EL1 as after reset, on this CPU's first entry. Its trap
 * handler, debug_sysreg (op0 = 2), is in core/sysreg_trap.h. */
void debug_cpu_init(struct cpu *c);
#endif
