/* SPDX-License-Identifier: Apache-2.0 */
/* SMCCC calls: PSCI (SMC under verge-hv) and verge hypercalls (HVC #0). */
#ifndef PSCI_H
#define PSCI_H

#include "guest.h"
#include <verge_psci.h>

#define PSCI_CPU_ON		PSCI_CPU_ON_64
#define PSCI_AFFINITY_INFO	PSCI_AFFINITY_INFO_64

#define VERGE_HC_INFO		0xc6000000u
#define VERGE_HC_TICKS		0xc6000001u
#define VERGE_HC_CLOCK		0xc6000002u
/* The boot guard's API (docs/hypervisor.md); after the hand-off every
 * call answers HC_SEALED. */
#define VERGE_HC_WDT_QUERY	0xc6000010u
#define VERGE_HC_WDT_ENABLE	0xc6000011u
#define VERGE_HC_WDT_REFRESH	0xc6000012u
#define VERGE_HC_WDT_TIMEOUT	0xc6000013u
#define VERGE_HC_WDT_HANDOFF	0xc6000014u
#define HC_INVALID		((uint64_t)-3)
#define HC_SEALED		((uint64_t)-4)

struct smccc_res {
	uint64_t a0, a1, a2, a3;
};

void smccc_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
	       struct smccc_res *res);
void smccc_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
	       struct smccc_res *res);

void psci_use_smc(bool smc);
int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
void __attribute__((noreturn)) psci_system_off(void);

struct hv_info {
	uint64_t base;
	uint64_t size;
	uint64_t version;
};

bool hv_call(uint64_t fn, struct smccc_res *ret_res);
bool hv_present(void);
bool hv_get_info(struct hv_info *ret_info);
bool hv_require(void);

#endif
