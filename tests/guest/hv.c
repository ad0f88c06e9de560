// SPDX-License-Identifier: Apache-2.0
/*
 * verge hypercalls: HVC #0 from EL1. Without EL2 an HVC is UNDEFINED, so
 * every call runs under the probe and reports that instead of hanging.
 */
#include "psci.h"

/* False when the HVC itself raised an exception (no EL2). */
bool hv_call(uint64_t fn, struct smccc_res *ret_res)
{
	struct smccc_res res;
	struct fault f;

	probe_arm();
	smccc_hvc(fn, 0, 0, 0, &res);
	if (probe_result(&f))
		return false;
	*ret_res = res;
	return true;
}

bool hv_present(void)
{
	struct smccc_res res;

	return hv_call(VERGE_HC_INFO, &res) && res.a0 == 0;
}

/* For tests that need the hypervisor: fail and tell why when it is not. */
bool hv_require(void)
{
	if (hv_present())
		return true;
	fail("no verge hypervisor (VERGE_HC_INFO undefined or failing)");
	return false;
}

bool hv_get_info(struct hv_info *ret_info)
{
	struct smccc_res res;

	if (!hv_call(VERGE_HC_INFO, &res) || res.a0 != 0)
		return false;
	ret_info->base = res.a1;
	ret_info->size = res.a2;
	ret_info->version = res.a3;
	return true;
}
