/* SPDX-License-Identifier: Apache-2.0 */
/* The hypervisor's global state, set once on CPU 0 before any guest runs. */
#ifndef CORE_HV_H
#define CORE_HV_H
#include <core/bootargs.h>
#include <core/platform.h>

#define VERGE_VERSION		"0.1.0"
#define VERGE_VERSION_NUM	0x000100

struct hv {
	struct platform plat;
	struct hv_config cfg;
	uint64_t base, end;	/* hypervisor memory [base, end) */
	uint64_t guest_dtb;
	uint64_t cntfrq;
};

extern struct hv hv;
#endif
