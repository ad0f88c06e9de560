// SPDX-License-Identifier: Apache-2.0
/*
 * cpu_off_resume(ctx): saves the callee-saved registers, LR and SP in
 * ctx (struct cpu_ctx, guest.h) and switches the calling CPU off with
 * PSCI CPU_OFF by SMC. Another CPU brings it back with CPU_ON at
 * cpu_resume_entry, ctx as the context id: the CPU then returns 0 from
 * cpu_off_resume as if the call had just come back. A CPU_OFF that
 * fails returns its error.
 */
	.text
	.balign	8
	.global	cpu_off_resume
cpu_off_resume:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x1, sp
	str	x1, [x0, #96]
	dsb	sy
	mov	x0, #0x0002
	movk	x0, #0x8400, lsl #16	/* PSCI_CPU_OFF */
	smc	#0
	ret

	.global	cpu_resume_entry
cpu_resume_entry:
	msr	daifset, #0xf
	ldr	x1, [x0, #96]
	mov	sp, x1
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	mov	x0, #0
	ret
