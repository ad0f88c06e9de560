// SPDX-License-Identifier: Apache-2.0
/*
 * SMCCC calls: smccc_{hvc,smc}(fn, a1, a2, a3, res) stores x0-x3 of the
 * reply in *res. x4-x17 may be clobbered by the callee (SMCCC 1.0).
 */
	.macro	smccc_call name, insn
	.text
	.global	\name
\name:
	str	x4, [sp, #-16]!
	\insn	#0
	ldr	x4, [sp], #16
	stp	x0, x1, [x4]
	stp	x2, x3, [x4, #16]
	ret
	.endm

	smccc_call smccc_hvc, hvc
	smccc_call smccc_smc, smc
