// SPDX-License-Identifier: Apache-2.0
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

#define PMU_EV_CPU_CYCLES	0x11
#define PMEVTYPER_NSH		(1u << 27)	/* count at EL2 too */
#define PMCR_E			1u
#define PMU_STORM		20000
#define PMU_TRIES		3

/* Two counters of CPU_CYCLES, one asking to count EL2 as well (NSH), over
 * a storm of hypercalls: they must agree (MDCR_EL2.HPMD from PMUv3p1,
 * the trapped filters' NSH cleared before). */
static void pmu_storm(uint64_t *ret_all, uint64_t *ret_el01)
{
	struct smccc_res res;

	write_sysreg(pmcntenclr_el0, 3);
	write_sysreg(pmevtyper0_el0, PMU_EV_CPU_CYCLES | PMEVTYPER_NSH);
	write_sysreg(pmevtyper1_el0, PMU_EV_CPU_CYCLES);
	write_sysreg(pmevcntr0_el0, 0);
	write_sysreg(pmevcntr1_el0, 0);
	write_sysreg(pmcr_el0, read_sysreg(pmcr_el0) | PMCR_E);
	write_sysreg(pmcntenset_el0, 3);
	isb();
	for (unsigned i = 0; i < PMU_STORM; i++)
		smccc_hvc(VERGE_HC_INFO, 0, 0, 0, &res);
	write_sysreg(pmcntenclr_el0, 3);
	isb();
	*ret_all = read_sysreg(pmevcntr0_el0);
	*ret_el01 = read_sysreg(pmevcntr1_el0);
}

/* Under TCG the cycle counter follows host time: a host that takes the
 * CPU away while the vCPU is at EL2 inflates the NSH counter of one storm.
 * A counter that counts EL2 does so in every storm (three times as many),
 * so the best of PMU_TRIES decides. */
void test_pmu_no_el2(void)
{
	unsigned ver = (read_sysreg(id_aa64dfr0_el1) >> 8) & 0xf;
	uint64_t all, el01;

	if (!hv_require())
		return;
	if (ver == 0 || ver == 0xf) {
		info("PMUVer %u: no PMUv3, nothing to check", ver);
		return;
	}
	if (((read_sysreg(pmcr_el0) >> 11) & 0x1f) < 2) {
		fail("fewer than 2 event counters");
		return;
	}
	for (unsigned t = 1; t <= PMU_TRIES; t++) {
		pmu_storm(&all, &el01);
		info("CPU_CYCLES over %u hypercalls (try %u): %lu with NSH, %lu"
		     " without", PMU_STORM, t, all, el01);
		if (el01 == 0) {
			fail("the EL0/EL1 counter counted nothing");
			return;
		}
		if (all <= el01 + el01 / 4)	/* without: 3 times as many */
			return;
	}
	fail("the guest's counter counted EL2 in %u tries: %lu cycles with NSH,"
	     " %lu without", PMU_TRIES, all, el01);
}
