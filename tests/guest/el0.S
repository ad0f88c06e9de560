// SPDX-License-Identifier: Apache-2.0
/*
 * el0_run(ctx): runs ctx->pc at EL0 (DAIF masked, MMU off as at EL1) with
 * x0-x7 from ctx->x, and returns when EL0 takes an exception (an SVC to
 * finish, or a fault): exceptions.c stores x0-x7 and ESR_EL1 in ctx and
 * erets to el0_return, which resumes the caller.
 */
#define EL0_X	0
#define EL0_PC	64

	.text
	.global	el0_run
el0_run:
	mov	x1, #0x3c0		/* EL0t, D A I F masked */
	b	el0_enter

/* el0_run32(ctx): the same in AArch32 (A32, User mode, A I F masked). */
	.global	el0_run32
el0_run32:
	mov	x1, #0x1d0
el0_enter:
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	msr	spsr_el1, x1
	adrp	x1, el0_saved_sp
	mov	x2, sp
	str	x2, [x1, :lo12:el0_saved_sp]
	adrp	x1, el0_cur
	str	x0, [x1, :lo12:el0_cur]
	ldr	x1, [x0, #EL0_PC]
	msr	elr_el1, x1
	ldp	x2, x3, [x0, #EL0_X + 16]
	ldp	x4, x5, [x0, #EL0_X + 32]
	ldp	x6, x7, [x0, #EL0_X + 48]
	ldp	x0, x1, [x0, #EL0_X]
	eret

	.global	el0_return
el0_return:
	adrp	x1, el0_saved_sp
	ldr	x2, [x1, :lo12:el0_saved_sp]
	mov	sp, x2
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret

/* EL0 code: one DCC access, then back to EL1. */
	.global	el0_mdccsr_xzr
el0_mdccsr_xzr:
	mrs	xzr, mdccsr_el0
	svc	#0

	.global	el0_mdccsr_x0
el0_mdccsr_x0:
	mrs	x0, mdccsr_el0
	svc	#0

/* AArch32 EL0 code (A32 encodings): a load from [r1], then SVC; and a
 * loop of r2 iterations, then SVC. */
	.balign	4
	.global	el0_a32_load
el0_a32_load:
	.inst	0xe5910000		/* ldr r0, [r1] */
	.inst	0xef000000		/* svc #0 */
	.global	el0_a32_spin
el0_a32_spin:
	.inst	0xe2522001		/* 1: subs r2, r2, #1 */
	.inst	0x1afffffd		/* bne 1b */
	.inst	0xef000000		/* svc #0 */

/* The vDSO's counter read at EL0 (tests_ecv.c): AArch64, then A32
 * MRRC p15, 1, r0, r1, c14 (CNTVCT). */
	.balign	4
	.global	el0_cntvct
el0_cntvct:
	mrs	x0, cntvct_el0
	svc	#0
	.global	el0_a32_cntvct
el0_a32_cntvct:
	.inst	0xec510f1e		/* mrrc p15, 1, r0, r1, c14 */
	.inst	0xef000000		/* svc #0 */
	.global	el0_a32_cntpct
el0_a32_cntpct:
	.inst	0xec510f0e		/* mrrc p15, 0, r0, r1, c14 */
	.inst	0xef000000		/* svc #0 */

	.bss
	.balign	8
el0_saved_sp:	.skip	8
	.global	el0_cur
el0_cur:	.skip	8
