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
