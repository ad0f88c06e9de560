// SPDX-License-Identifier: Apache-2.0
/* Boot state and PSCI: version, CPU_ON of the secondary, AFFINITY_INFO. */
#include "psci.h"

#define CURRENT_EL1	0x4
#define CPU_ON_CTX	0x1234

void test_boot_el(void)
{
	expect_eq("CurrentEL at entry", boot_el, CURRENT_EL1);
}

void test_psci_version(void)
{
	int64_t v = psci_call(PSCI_VERSION, 0, 0, 0);

	info("PSCI_VERSION = 0x%lx (%lu.%lu)", (uint64_t)v, (uint64_t)v >> 16,
	     (uint64_t)v & 0xffff);
	if (v < 0x2)	/* negative error, or below 0.2 */
		fail("PSCI_VERSION = 0x%lx, expected >= 0x2 (0.2)", (uint64_t)v);
}

static bool secondary_started(void)
{
	/* liveness, not speed: a loaded host may be slow to run CPU 1 */
	if (wait_change(&smp.started, 0, 10000))
		return true;
	fail("CPU 1 did not signal within 10 s (fault ESR 0x%lx)",
	     smp.fault_esr);
	return false;
}

void test_cpu_on(void)
{
	uintptr_t entry = (uintptr_t)secondary_entry;
	int64_t r = psci_call(PSCI_CPU_ON, CPU1_MPIDR, entry, CPU_ON_CTX);

	if (!expect_eq("CPU_ON result", r, 0) || !secondary_started())
		return;
	expect_eq("CPU 1 CurrentEL", smp.el, CURRENT_EL1);
	expect_eq("CPU 1 x0 (context id)", smp.ctx, CPU_ON_CTX);
	r = psci_call(PSCI_AFFINITY_INFO, CPU1_MPIDR, 0, 0);
	expect_eq("AFFINITY_INFO(CPU 1) (0 = ON)", r, 0);
	r = psci_call(PSCI_CPU_ON, CPU1_MPIDR, entry, CPU_ON_CTX);
	expect_eq("second CPU_ON (ALREADY_ON = -4)", r, (uint64_t)PSCI_ALREADY_ON);
}

/* Waits until the canary has run `runs` times and its CPU is off again. */
bool canary_wait_off(uint32_t runs, uint64_t ms)
{
	uint64_t end = timer_now() + ms_to_ticks(ms);

	while (timer_now() < end) {
		if (canary.runs >= runs &&
		    psci_call(PSCI_AFFINITY_INFO, CPU1_MPIDR, 0, 0) == 1)
			return true;
	}
	return false;
}

static void check_no_el2(void)
{
	if (canary.el_mask & CANARY_EL2)
		fail("a CPU ran guest code at EL2 (canary EL mask 0x%x)",
		     canary.el_mask);
}

/* QEMU's firmware honours PSCI 0.1 CPU_ON and starts the CPU at EL2 at
 * the given address: verge-hv must refuse it. */
void test_psci_0_1_cpu_on(void)
{
	uint32_t runs = canary.runs;
	int64_t r;

	if (!hv_require())	/* bare QEMU would start CPU 1 for good */
		return;
	r = psci_call(PSCI_0_1_CPU_ON, CPU1_MPIDR, (uintptr_t)canary_entry,
		      0x01);
	delay_ms(100);	/* time for a wrongly started CPU to run */
	expect_eq("PSCI 0.1 CPU_ON result", r, PSCI_NOT_SUPPORTED);
	expect_eq("canary runs", canary.runs, runs);
	check_no_el2();
}

static int64_t smc_imm1(uint64_t fn)
{
	register uint64_t x0 __asm__("x0") = fn;

	__asm__ volatile("smc #1" : "+r"(x0) : : "x1", "x2", "x3", "x4", "x5",
			 "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
			 "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

/* Calls outside the allow-list reach no firmware: QEMU would answer these
 * (0.1 CPU_SUSPEND waits and returns 0; PSCI_VERSION with SMC #1 its
 * version). */
void test_smc_not_forwarded(void)
{
	if (!hv_require())	/* no SMC conduit without EL2 */
		return;
	expect_eq("PSCI 0.1 CPU_SUSPEND", psci_call(PSCI_0_1_CPU_SUSPEND, 0, 0, 0),
		  PSCI_NOT_SUPPORTED);
	expect_eq("PSCI 0.1 MIGRATE", psci_call(PSCI_0_1_MIGRATE, 1, 0, 0),
		  PSCI_NOT_SUPPORTED);
	expect_eq("SMC #1 PSCI_VERSION", smc_imm1(PSCI_VERSION),
		  PSCI_NOT_SUPPORTED);
	expect_eq("SiP call 0xc2000000", psci_call(0xc2000000u, 0, 0, 0),
		  PSCI_NOT_SUPPORTED);
	expect_eq("verge hypercall by SMC", psci_call(VERGE_HC_INFO, 0, 0, 0),
		  PSCI_NOT_SUPPORTED);
}

static void expect_features(const uint32_t *fns, size_t n, uint64_t want)
{
	for (size_t i = 0; i < n; i++)
		if (psci_call(PSCI_FEATURES, fns[i], 0, 0) != (int64_t)want)
			fail("PSCI_FEATURES(0x%x) = 0x%lx, expected 0x%lx", fns[i],
			     (uint64_t)psci_call(PSCI_FEATURES, fns[i], 0, 0), want);
}

static void check_features(void)
{
	static const uint32_t yes[] = {
		PSCI_VERSION, PSCI_CPU_SUSPEND_32, PSCI_CPU_SUSPEND_64,
		PSCI_CPU_OFF, PSCI_CPU_ON_32, PSCI_CPU_ON_64,
		PSCI_AFFINITY_INFO_32, PSCI_AFFINITY_INFO_64,
		PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET,
		PSCI_FEATURES, SMCCC_VERSION,
	};
	static const uint32_t no[] = {
		PSCI_MIGRATE_32, PSCI_MIGRATE_64, PSCI_SYSTEM_SUSPEND_64,
		PSCI_SYSTEM_RESET2_32, PSCI_SYSTEM_RESET2_64, PSCI_0_1_CPU_ON,
		PSCI_0_1_CPU_OFF, SMCCC_ARCH_WORKAROUND_1, SMCCC_TRNG_VERSION,
	};

	expect_features(yes, sizeof(yes) / sizeof(yes[0]), 0);
	expect_features(no, sizeof(no) / sizeof(no[0]), (uint64_t)PSCI_NOT_SUPPORTED);
	expect_eq("SMCCC_VERSION", psci_call(SMCCC_VERSION, 0, 0, 0),
		  SMCCC_VERSION_1_1);
	expect_eq("ARCH_FEATURES(SMCCC_VERSION)",
		  psci_call(SMCCC_ARCH_FEATURES, SMCCC_VERSION, 0, 0), 0);
	expect_eq("ARCH_FEATURES(WORKAROUND_1)",
		  psci_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1, 0, 0),
		  PSCI_NOT_SUPPORTED);
	expect_eq("ARCH_FEATURES(WORKAROUND_2)",
		  psci_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_2, 0, 0),
		  PSCI_NOT_SUPPORTED);
	expect_eq("ARCH_FEATURES(WORKAROUND_3)",
		  psci_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_3, 0, 0),
		  PSCI_NOT_SUPPORTED);
	expect_eq("ARCH_FEATURES(SOC_ID)",
		  psci_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_SOC_ID, 0, 0),
		  PSCI_NOT_SUPPORTED);
	expect_eq("MIGRATE_INFO_TYPE", psci_call(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0),
		  PSCI_TOS_NOT_PRESENT);
	expect_eq("SYSTEM_RESET2", psci_call(PSCI_SYSTEM_RESET2_64, 0, 0, 0),
		  PSCI_NOT_SUPPORTED);
}

static void check_cpu_on_args(void)
{
	uintptr_t canary_pc = (uintptr_t)canary_entry;
	struct hv_info hi;

	if (!hv_get_info(&hi)) {
		fail("VERGE_HC_INFO failed");
		return;
	}
	expect_eq("CPU_ON into hypervisor memory",
		  psci_call(PSCI_CPU_ON, CPU1_MPIDR, hi.base + 0x1000, 0),
		  PSCI_INVALID_ADDRESS);
	expect_eq("CPU_ON at 0 (flash)", psci_call(PSCI_CPU_ON, CPU1_MPIDR, 0, 0),
		  PSCI_INVALID_ADDRESS);
	expect_eq("CPU_ON misaligned",
		  psci_call(PSCI_CPU_ON, CPU1_MPIDR, canary_pc + 2, 0),
		  PSCI_INVALID_ADDRESS);
	expect_eq("CPU_ON_32 with the entry in the upper half",
		  psci_call(PSCI_CPU_ON_32, CPU1_MPIDR, hi.base | 1ull << 32, 0),
		  PSCI_INVALID_ADDRESS);
	expect_eq("CPU_ON of a CPU that does not exist",
		  psci_call(PSCI_CPU_ON, 0x100, canary_pc, 0), PSCI_INVALID_PARAMS);
	expect_eq("CPU_ON with non-affinity MPIDR bits",
		  psci_call(PSCI_CPU_ON, CPU1_MPIDR | 1ull << 31, canary_pc, 0),
		  PSCI_INVALID_PARAMS);
	expect_eq("AFFINITY_INFO level 1",
		  psci_call(PSCI_AFFINITY_INFO, 0, 1, 0), PSCI_INVALID_PARAMS);
}

static void check_suspend(void)
{
	uint32_t runs = canary.runs;

	expect_eq("CPU_SUSPEND standby", psci_call(PSCI_CPU_SUSPEND_64, 0, 0, 0),
		  PSCI_SUCCESS);
	expect_eq("CPU_SUSPEND power-down returns to the caller",
		  psci_call(PSCI_CPU_SUSPEND_64, 1u << 16,
			    (uintptr_t)canary_entry, 0), PSCI_SUCCESS);
	expect_eq("CPU_SUSPEND with affinity bits",
		  psci_call(PSCI_CPU_SUSPEND_32, 1u << 24, 0, 0),
		  PSCI_INVALID_PARAMS);
	expect_eq("canary runs after suspend", canary.runs, runs);
}

/* What the allow-list answers, and a CPU_ON (32-bit) that the canary
 * proves ran at EL1 with its context id. */
void test_psci_allow_list(void)
{
	uint32_t runs = canary.runs, want = 1;
	int64_t again;

	if (!hv_require())
		return;
	check_features();
	check_cpu_on_args();
	check_suspend();
	expect_eq("CPU_ON_32 of CPU 1 at the canary",
		  psci_call(PSCI_CPU_ON_32, CPU1_MPIDR, (uintptr_t)canary_entry,
			    0x5a5a), PSCI_SUCCESS);
	/* At once again: QEMU alone would say SUCCESS and start CPU 1 once. */
	again = psci_call(PSCI_CPU_ON_64, CPU1_MPIDR, (uintptr_t)canary_entry,
			  0x5a5a);
	/* SUCCESS is right only if CPU 1 had already run the canary and
	 * switched off between the two calls (a busy host can stall CPU 0
	 * that long): then it starts again and the canary runs twice. A
	 * SUCCESS for a start already under way shows as one run only. */
	if (again == PSCI_SUCCESS)
		want++;
	else if (again != PSCI_ALREADY_ON && again != PSCI_ON_PENDING)
		fail("second CPU_ON while CPU 1 starts = 0x%lx, expected ALREADY_ON or ON_PENDING",
		     (uint64_t)again);
	if (!canary_wait_off(runs + want, 1000))
		fail("the canary ran %u of %u times and did not switch CPU 1 off within 1 s",
		     canary.runs - runs, want);
	expect_eq("canary EL mask (EL1 only)", canary.el_mask, 1u << 1);
	expect_eq("canary context id", canary.ctx, 0x5a5a);
	check_no_el2();
}
