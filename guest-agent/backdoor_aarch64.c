// SPDX-License-Identifier: Apache-2.0
/* aarch64: the backdoor call of verge_backdoor.h, `mrs xzr, mdccsr_el0`
 * (MDCR_EL2.TDA makes it trap to EL2, from EL0 too). */
#include "backdoor.h"

void bd_arch_call(struct bd_regs *r, uint32_t x7)
{
	uint64_t v[7] = { r->ax, r->bx, r->cx, r->dx, r->si, r->di, r->bp };

	bd_call_mdccsr(v, BD_X7(x7));
	r->ax = v[0];
	r->bx = v[1];
	r->cx = v[2];
	r->dx = v[3];
	r->si = v[4];
	r->di = v[5];
	r->bp = v[6];
}
