// SPDX-License-Identifier: Apache-2.0
/* Offsets for assembly, generated at build time (see hypervisor/module.mk). */
#include <core/cpu.h>
#include <stddef.h>

#define DEFINE(sym, val) \
	__asm__ volatile("\n.ascii \"@@" #sym " %0\"" : : "i"(val))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(FRAME_SIZE, sizeof(struct trap_frame));
	DEFINE(FRAME_X30, offsetof(struct trap_frame, x[30]));
	DEFINE(FRAME_ELR, offsetof(struct trap_frame, elr));
	DEFINE(FRAME_SPSR, offsetof(struct trap_frame, spsr));
	DEFINE(CPU_SIZE, sizeof(struct cpu));
	DEFINE(STACK_SIZE, HV_STACK_SIZE);
	DEFINE(HV_MAX_CPUS_ASM, HV_MAX_CPUS);
}
