// SPDX-License-Identifier: Apache-2.0
/*
 * EL2 exception vectors. A trap from the guest saves its general
 * registers in a struct trap_frame on this CPU's EL2 stack, calls the C
 * handler with it, restores and returns. Exceptions taken at EL2 itself
 * are hypervisor bugs: hv_fault() reports and stops.
 */
#include <asm-offsets.h>

.macro save_frame
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mrs	x0, elr_el2
	mrs	x1, spsr_el2
	str	x30, [sp, #FRAME_X30]
	stp	x0, x1, [sp, #FRAME_ELR]
	mov	x0, sp
.endm

.macro guest_vector handler
	.balign	0x80
	save_frame
	bl	\handler
	b	restore_frame
.endm

.macro fault_vector n
	.balign	0x80
	save_frame
	mov	x1, #\n
	bl	hv_fault
.endm

	.text
	.balign	0x800
	.global	hv_vectors
hv_vectors:
	fault_vector 0		/* current EL, SP_EL0 */
	fault_vector 1
	fault_vector 2
	fault_vector 3
	fault_vector 4		/* current EL, SP_EL2 */
	fault_vector 5
	fault_vector 6
	fault_vector 7
	guest_vector trap_guest_sync	/* lower EL, AArch64 */
	guest_vector trap_guest_irq
	guest_vector trap_guest_irq	/* FIQ: same path */
	guest_vector trap_guest_serror
	fault_vector 12		/* lower EL, AArch32: never enabled */
	fault_vector 13
	fault_vector 14
	fault_vector 15

restore_frame:
	ldp	x0, x1, [sp, #FRAME_ELR]
	msr	elr_el2, x0
	msr	spsr_el2, x1
	ldr	x30, [sp, #FRAME_X30]
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	add	sp, sp, #FRAME_SIZE
	eret
