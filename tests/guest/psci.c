// SPDX-License-Identifier: Apache-2.0
/*
 * PSCI through SMC (what the hypervisor traps), or through HVC when the
 * guest runs on bare QEMU without EL2 (QEMU's PSCI conduit is then HVC).
 */
#include "psci.h"

static bool conduit_smc;

void psci_use_smc(bool smc)
{
	conduit_smc = smc;
}

int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct smccc_res res;

	if (conduit_smc)
		smccc_smc(fn, a1, a2, a3, &res);
	else
		smccc_hvc(fn, a1, a2, a3, &res);
	return (int64_t)res.a0;
}

/* If the conduit itself faults, try the other one before giving up. */
void psci_system_off(void)
{
	struct smccc_res res;
	struct fault f;

	probe_arm();
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	probe_result(&f);
	probe_arm();
	if (conduit_smc)
		smccc_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, &res);
	else
		smccc_smc(PSCI_SYSTEM_OFF, 0, 0, 0, &res);
	probe_result(&f);
	for (;;)
		wfi();
}
