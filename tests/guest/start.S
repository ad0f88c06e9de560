// SPDX-License-Identifier: Apache-2.0
/*
 * arm64 Image header and the two entry points. Both run at EL1h with the
 * MMU off: CPU 0 from the boot loader (x0 = DTB, kept in boot_dtb), CPU 1 from
 * PSCI CPU_ON (x0 = context id).
 */
	.section .head, "ax"
	.global	_start
_start:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	_image_size		/* image_size, .bss included */
	.quad	0xa			/* flags: LE, 4K pages, anywhere */
	.quad	0, 0, 0			/* res2, res3, res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */

	.text
primary_entry:
	msr	daifset, #0xf
	mrs	x19, CurrentEL
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	adrp	x1, stack0_top
	add	x1, x1, :lo12:stack0_top
	mov	sp, x1
	adrp	x1, boot_el
	str	x19, [x1, :lo12:boot_el]
	adrp	x1, boot_dtb
	str	x0, [x1, :lo12:boot_dtb]
	bl	main
3:	wfi
	b	3b

	.global	secondary_entry
secondary_entry:
	msr	daifset, #0xf
	mrs	x1, CurrentEL
	adrp	x2, stack1_top
	add	x2, x2, :lo12:stack1_top
	mov	sp, x2
	bl	secondary_main
1:	wfi
	b	1b

	.bss
	.balign	16
stack0:	.skip	16384
stack0_top:
stack1:	.skip	16384
stack1_top:
	.global	boot_el
	.balign	8
boot_el: .skip	8
	.global	boot_dtb
boot_dtb: .skip	8
