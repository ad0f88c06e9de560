// SPDX-License-Identifier: Apache-2.0
/* x86_64 backdoor instructions: `in eax, dx`, `rep outsb`, `rep insb`
 * with eax..ebp loaded from struct bd_regs and stored back. rbp is the
 * frame pointer, so the asm saves it itself; it also steps over the red
 * zone before pushing. */
#include <stddef.h>

#include "backdoor.h"

_Static_assert(offsetof(struct bd_regs, bp) == 48, "bd_regs layout");

#define BD_X86(insn)							\
	__asm__ __volatile__(						\
		"leaq -128(%%rsp), %%rsp\n\t"				\
		"pushq %%rbp\n\t"					\
		"pushq %%rax\n\t"					\
		"movq 48(%%rax), %%rbp\n\t"				\
		"movq 40(%%rax), %%rdi\n\t"				\
		"movq 32(%%rax), %%rsi\n\t"				\
		"movq 24(%%rax), %%rdx\n\t"				\
		"movq 16(%%rax), %%rcx\n\t"				\
		"movq 8(%%rax), %%rbx\n\t"				\
		"movq 0(%%rax), %%rax\n\t"				\
		"cld\n\t"						\
		insn "\n\t"						\
		"xchgq %%rax, (%%rsp)\n\t"				\
		"movq %%rbp, 48(%%rax)\n\t"				\
		"movq %%rdi, 40(%%rax)\n\t"				\
		"movq %%rsi, 32(%%rax)\n\t"				\
		"movq %%rdx, 24(%%rax)\n\t"				\
		"movq %%rcx, 16(%%rax)\n\t"				\
		"movq %%rbx, 8(%%rax)\n\t"				\
		"popq 0(%%rax)\n\t"					\
		"popq %%rbp\n\t"					\
		"leaq 128(%%rsp), %%rsp"				\
		: "+a"(p)						\
		:							\
		: "rbx", "rcx", "rdx", "rsi", "rdi", "memory", "cc")

void bd_arch_call(struct bd_regs *r, uint32_t x7)
{
	struct bd_regs *p = r;

	if ((x7 & BD_X7_HB_OUT) != BD_X7_HB_OUT)
		BD_X86("inl %%dx, %%eax");
	else if (x7 & BD_X7_IN)
		BD_X86("rep insb");
	else
		BD_X86("rep outsb");
}
