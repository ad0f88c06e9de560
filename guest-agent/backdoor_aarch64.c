/* aarch64 backdoor instruction: x0-x6 = eax..ebp, x7 = 0x86 << 32 | the
 * x86 instruction, then `mrs xzr, mdccsr_el0` (MDCR_EL2.TDA makes it
 * trap to EL2). The hypervisor may change x0-x6 and guest memory. */
#include "backdoor.h"

void bd_arch_call(struct bd_regs *r, uint32_t x7)
{
	register uint64_t a0 __asm__("x0") = r->ax;
	register uint64_t a1 __asm__("x1") = r->bx;
	register uint64_t a2 __asm__("x2") = r->cx;
	register uint64_t a3 __asm__("x3") = r->dx;
	register uint64_t a4 __asm__("x4") = r->si;
	register uint64_t a5 __asm__("x5") = r->di;
	register uint64_t a6 __asm__("x6") = r->bp;
	register uint64_t a7 __asm__("x7") = BD_X7(x7);

	__asm__ __volatile__("mrs xzr, mdccsr_el0"
			     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3),
			       "+r"(a4), "+r"(a5), "+r"(a6)
			     : "r"(a7)
			     : "memory");
	r->ax = a0;
	r->bx = a1;
	r->cx = a2;
	r->dx = a3;
	r->si = a4;
	r->di = a5;
	r->bp = a6;
}
