// SPDX-License-Identifier: Apache-2.0
/*
 * verge's own hypercalls: HVC #0 from EL1 with an SMCCC function ID in
 * the vendor-specific hypervisor service range (owner 6). Documented in
 * docs/hypervisor.md, "Hypercalls".
 */
#include <core/cpu.h>
#include <core/hv.h>
#include <core/tick.h>
#include <core/trap.h>
#include <core/vtime.h>
#include <core/wdt.h>
#include <verge_proto.h>
#include <verge_psci.h>

#define VERGE_HC_INFO		0xc6000000u
#define VERGE_HC_TICKS		0xc6000001u
#define VERGE_HC_CLOCK		0xc6000002u

void hypercall_handle(struct cpu *c, struct trap_frame *f)
{
	if (wdt_hypercall(f))	/* VERGE_HC_WDT_*: the boot guard's API */
		return;
	switch ((uint32_t)f->x[0]) {
	case VERGE_HC_INFO:
		f->x[0] = 0;
		f->x[1] = hv.base;
		f->x[2] = hv.end - hv.base;
		f->x[3] = VERGE_VERSION_NUM;
		break;
	case VERGE_HC_TICKS:
		f->x[0] = 0;
		f->x[1] = c->ticks;
		f->x[2] = tick_hz(c);
		f->x[3] = hv.cntfrq;	/* of the host counter in VERGE_HC_CLOCK */
		break;
	case VERGE_HC_CLOCK: {
		struct vp_clock clk;

		vtime_get(&clk);
		f->x[0] = 0;
		f->x[1] = clk.host_counter;
		f->x[2] = clk.guest_counter;
		f->x[3] = (uint64_t)clk.rate_num << 32 | clk.rate_den;
		break;
	}
	default:
		f->x[0] = (uint64_t)SMCCC_NOT_SUPPORTED;
		break;
	}
}
