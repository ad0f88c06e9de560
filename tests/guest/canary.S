// SPDX-License-Identifier: Apache-2.0
/*
 * canary_entry(ctx): the entry point the tests hand to every CPU_ON. It
 * records the Exception level it runs at (canary.el_mask, bit n for ELn),
 * counts its runs and keeps the context id, then switches its CPU off with
 * PSCI CPU_OFF by SMC: under verge-hv (EL1) the SMC traps to the
 * hypervisor; a CPU wrongly started at EL2 reaches QEMU's firmware
 * directly. No stack, no MMU: only this file's data is written.
 */
#define CANARY_RUNS	0
#define CANARY_ELS	4
#define CANARY_CTX	8

	.text
	.balign	8
	.global	canary_entry
canary_entry:
	msr	daifset, #0xf
	mrs	x1, CurrentEL
	ubfx	x1, x1, #2, #2
	mov	w4, #1
	lsl	w4, w4, w1
	adrp	x2, canary
	add	x2, x2, :lo12:canary
	ldr	w3, [x2, #CANARY_ELS]
	orr	w3, w3, w4
	str	w3, [x2, #CANARY_ELS]
	str	x0, [x2, #CANARY_CTX]
	ldr	w3, [x2, #CANARY_RUNS]
	add	w3, w3, #1
	str	w3, [x2, #CANARY_RUNS]
	dsb	sy
	mov	x0, #0x0002
	movk	x0, #0x8400, lsl #16	/* PSCI_CPU_OFF */
	smc	#0
1:	wfi
	b	1b

	.bss
	.balign	8
	.global	canary
canary:	.skip	16
