/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSCI and SMCCC function IDs and return codes, the one definition the
 * hypervisor (core/psci.c, core/main.c) and the bare-metal test guest use.
 * Values: Arm DEN 0022 (PSCI 0.2-1.1), DEN 0028 (SMCCC), DEN 0098 (TRNG);
 * the PSCI 0.1 IDs are the ones QEMU's built-in firmware honours.
 * docs/hypervisor.md says which of them verge-hv allows.
 * Freestanding: <stdint.h> only.
 */
#ifndef VERGE_PSCI_H
#define VERGE_PSCI_H
#include <stdint.h>

/* PSCI 0.2 and later: SMC32 (0x84...) and SMC64 (0xC4...). */
#define PSCI_VERSION		0x84000000u
#define PSCI_CPU_SUSPEND_32	0x84000001u
#define PSCI_CPU_SUSPEND_64	0xc4000001u
#define PSCI_CPU_OFF		0x84000002u
#define PSCI_CPU_ON_32		0x84000003u
#define PSCI_CPU_ON_64		0xc4000003u
#define PSCI_AFFINITY_INFO_32	0x84000004u
#define PSCI_AFFINITY_INFO_64	0xc4000004u
#define PSCI_MIGRATE_32		0x84000005u
#define PSCI_MIGRATE_64		0xc4000005u
#define PSCI_MIGRATE_INFO_TYPE	0x84000006u
#define PSCI_MIGRATE_INFO_UP_CPU_32 0x84000007u
#define PSCI_MIGRATE_INFO_UP_CPU_64 0xc4000007u
#define PSCI_SYSTEM_OFF		0x84000008u
#define PSCI_SYSTEM_RESET	0x84000009u
#define PSCI_FEATURES		0x8400000au
#define PSCI_SYSTEM_SUSPEND_32	0x8400000eu
#define PSCI_SYSTEM_SUSPEND_64	0xc400000eu
#define PSCI_SYSTEM_RESET2_32	0x84000012u
#define PSCI_SYSTEM_RESET2_64	0xc4000012u
/* The last PSCI function number of 1.1 (MEM_PROTECT_CHECK_RANGE). */
#define PSCI_FN_LAST		0x14u

/* PSCI 0.1 (QEMU's fixed IDs; the DT's psci node names them). */
#define PSCI_0_1_CPU_SUSPEND	0x95c1ba5eu
#define PSCI_0_1_CPU_OFF	0x95c1ba5fu
#define PSCI_0_1_CPU_ON		0x95c1ba60u
#define PSCI_0_1_MIGRATE	0x95c1ba61u

/* SMCCC Arm architecture calls. */
#define SMCCC_VERSION		0x80000000u
#define SMCCC_ARCH_FEATURES	0x80000001u
#define SMCCC_ARCH_SOC_ID	0x80000002u
#define SMCCC_ARCH_WORKAROUND_1	0x80008000u
#define SMCCC_ARCH_WORKAROUND_2	0x80007fffu
#define SMCCC_ARCH_WORKAROUND_3	0x80003fffu
/* TRNG (standard service range). */
#define SMCCC_TRNG_VERSION	0x84000050u
#define SMCCC_TRNG_RND_64	0xc4000053u

#define PSCI_VERSION_1_0	0x00010000u
#define SMCCC_VERSION_1_1	0x00010001u
#define PSCI_TOS_NOT_PRESENT	2	/* MIGRATE_INFO_TYPE */
#define PSCI_SUSPEND_RES_MASK	0xfffe0000u	/* power_state bits no state uses */

/* Return codes (x0, sign-extended). */
#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	(-1)
#define PSCI_INVALID_PARAMS	(-2)
#define PSCI_DENIED		(-3)
#define PSCI_ALREADY_ON		(-4)
#define PSCI_ON_PENDING		(-5)
#define PSCI_INVALID_ADDRESS	(-9)
#define SMCCC_NOT_SUPPORTED	(-1)
#endif
