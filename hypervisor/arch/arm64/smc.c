// SPDX-License-Identifier: Apache-2.0
/* SMC from EL2: with no EL3, QEMU's built-in PSCI answers it. */
#include <arch/arch.h>

struct smc_result smc_call(const uint64_t a[8])
{
	register uint64_t x0 __asm__("x0") = a[0];
	register uint64_t x1 __asm__("x1") = a[1];
	register uint64_t x2 __asm__("x2") = a[2];
	register uint64_t x3 __asm__("x3") = a[3];
	register uint64_t x4 __asm__("x4") = a[4];
	register uint64_t x5 __asm__("x5") = a[5];
	register uint64_t x6 __asm__("x6") = a[6];
	register uint64_t x7 __asm__("x7") = a[7];

	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3),
			   "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7)
			 :
			 : "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return (struct smc_result){ x0, x1, x2, x3 };
}
