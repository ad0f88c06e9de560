// SPDX-License-Identifier: Apache-2.0
/*
 * verge-hv entry. QEMU loads the image (arm64 Image header, text_offset
 * 0x80000) at RAM base + 0x80000 and enters it at EL2 with x0 = DTB.
 * Secondary CPUs start at secondary_entry (PSCI CPU_ON from CPU 0 on the
 * guest's behalf) with x0 = their index.
 */
#include <arch/sysreg.h>
#include <asm-offsets.h>

.macro load_addr reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

	.section .text.head, "ax"
	.global _start
_start:
	b	primary_entry			/* code0 */
	.long	0				/* code1 */
	.quad	0x80000				/* text_offset */
	.quad	__hv_image_size			/* image_size */
	.quad	0x2				/* LE, 4K pages, near RAM base */
	.quad	0, 0, 0
	.ascii	"ARM\x64"			/* magic */
	.long	0

primary_entry:
	msr	daifset, #0xf
	mov	x19, x0
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_el2
	bl	el2_setup
	load_addr x1, __bss_start
	load_addr x2, __bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, #0
	bl	set_stack_and_cpu
	mov	x0, x19
	bl	hv_main
	b	hv_halt

	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	mov	x19, x0
	cmp	x19, #HV_MAX_CPUS_ASM
	b.hs	not_el2
	bl	el2_setup
	mov	x0, x19
	bl	set_stack_and_cpu
	bl	mmu_enable
	mov	x0, x19
	bl	hv_secondary_main
	b	hv_halt

/* FP/SIMD untrapped (libfdt may use it at boot), vectors installed. */
el2_setup:
	mov	x1, #CPTR_EL2_DEFAULT
	msr	cptr_el2, x1
	load_addr x1, hv_vectors
	msr	vbar_el2, x1
	isb
	ret

/* x0 = CPU index: SP at the top of its stack, TPIDR_EL2 = &hv_cpus[x0]. */
set_stack_and_cpu:
	load_addr x1, hv_stacks
	add	x2, x0, #1
	mov	x3, #STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	load_addr x1, hv_cpus
	mov	x3, #CPU_SIZE
	madd	x1, x0, x3, x1
	msr	tpidr_el2, x1
	str	w0, [x1]			/* cpu->id, the first field */
	ret

not_el2:
	wfe
	b	not_el2

/* guest_enter(entry, x0, sp): first entry of this CPU into the guest. */
	.global guest_enter
guest_enter:
	mov	sp, x2
	msr	elr_el2, x0
	mov	x2, #SPSR_EL1H_MASKED
	msr	spsr_el2, x2
	mov	x0, x1
	.irp	n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	mov	x\n, xzr
	.endr
	eret
