/* Exceptions verge-hv injects, and what it lets the guest observe. */
#include "psci.h"

#define VEC_LOWER_A32_SYNC	12	/* VBAR_EL1 + 0x600 */
#define EC_SVC32		0x11
#define EC_DABT_LOW		0x24
#define A32_SPIN_MS		50

static bool el0_aarch32_present(void)
{
	return (read_sysreg(id_aa64pfr0_el1) & 0xf) == 2;	/* EL0: AArch64 and AArch32 */
}

/* AArch32 EL0 code that spins across several hypervisor ticks: every
 * interrupt meanwhile is taken to EL2 from AArch32. */
static void a32_spin(void)
{
	struct el0_ctx ctx;
	uint64_t n = 1u << 16, t0, dt = 0;

	while (dt < ms_to_ticks(A32_SPIN_MS) && n < (1ull << 34)) {
		ctx = (struct el0_ctx){ .pc = (uintptr_t)el0_a32_spin };
		ctx.x[2] = n;
		t0 = timer_now();
		el0_run32(&ctx);
		dt = timer_now() - t0;
		if (!expect_eq("vector after the spin", el0_vector,
			       VEC_LOWER_A32_SYNC) ||
		    !expect_eq("ESR_EL1.EC (SVC from AArch32)",
			       ESR_EC(ctx.esr), EC_SVC32) ||
		    !expect_eq("r2 after the spin", ctx.x[2] & 0xffffffff, 0))
			return;
		n *= 2;
	}
	info("AArch32 EL0 ran %lu us in one go", dt * 1000000 / timer_freq());
}

/* A stage-2 abort at AArch32 EL0 comes back to the guest as a data abort
 * from a lower EL at VBAR_EL1 + 0x600 (lower EL using AArch32). */
void test_el0_aarch32(void)
{
	struct el0_ctx ctx = { .pc = (uintptr_t)el0_a32_load };
	struct hv_info hi;

	if (!hv_get_info(&hi)) {
		fail("VERGE_HC_INFO failed");
		return;
	}
	if (!el0_aarch32_present()) {
		info("this core has no AArch32 at EL0: nothing to check");
		return;
	}
	ctx.x[1] = hi.base;
	el0_run32(&ctx);
	expect_eq("vector of the abort (0x600 / 0x80)", el0_vector,
		  VEC_LOWER_A32_SYNC);
	expect_eq("ESR_EL1.EC (data abort from a lower EL)", ESR_EC(ctx.esr),
		  EC_DABT_LOW);
	expect_eq("ELR_EL1", ctx.elr, (uintptr_t)el0_a32_load);
	a32_spin();
}
