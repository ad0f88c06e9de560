/* SPDX-License-Identifier: Apache-2.0 */
/* AArch64 system register access and the EL2 register values verge uses. */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#define HCR_VM		(1UL << 0)
#define HCR_SWIO	(1UL << 1)
#define HCR_FMO		(1UL << 3)
#define HCR_IMO		(1UL << 4)
#define HCR_FB		(1UL << 9)
#define HCR_BSU_IS	(1UL << 10)
#define HCR_TID3	(1UL << 18)	/* ID registers trap (core/idregs.c) */
#define HCR_TWI		(1UL << 13)	/* WFI traps (set while dilating) */
#define HCR_TSC		(1UL << 19)
#define HCR_RW		(1UL << 31)
/* These exist only with their feature (arch/arm64/guest.c). */
#define HCR_TLOR	(1UL << 35)	/* LORegions: hidden, trapped */
#define HCR_TERR	(1UL << 36)	/* RAS error records (core/idregs.c) */
#define HCR_APK		(1UL << 40)	/* PAuth keys: the guest's own */
#define HCR_API		(1UL << 41)	/* PAuth instructions: untrapped */
#define HCR_ATA		(1UL << 56)	/* MTE allocation tags at EL1/EL0 */
/* No FB/BSU: each vCPU is pinned to its physical CPU, so the guest's
 * local TLB and barrier operations already reach everything they must
 * (and forced broadcasts are costly under TCG). */
#define HCR_GUEST	(HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_TSC | \
			 HCR_RW | HCR_TID3)

/* CPTR_EL2 (nVHE): RES1 bits 13:12 and 9:0; TFP (bit 10) clear. What
 * boot.S sets for EL2 itself (libfdt may use FP/SIMD at boot). */
#define CPTR_EL2_DEFAULT	0x33ff
/* For the guest (arch/arm64/guest.c): TZ (bit 8) clear, TSM (bit 12,
 * RES1 without SME) cleared where SME exists, TFP clear; TTA (bit 20)
 * traps the trace registers, TAM (bit 30) the activity monitors. */
#define CPTR_EL2_RES1		0x22ffUL
#define CPTR_EL2_TSM		(1UL << 12)
#define CPTR_EL2_TTA		(1UL << 20)
#define CPTR_EL2_TAM		(1UL << 30)
/* ZCR_EL2.LEN, SMCR_EL2.LEN: the largest; the core caps it at its own. */
#define ZCR_LEN_MAX		0xfUL
#define SMCR_FA64		(1UL << 31)
#define SMCR_EZT0		(1UL << 30)
/* HCRX_EL2.MSCEn: FEAT_MOPS instructions at EL1 and EL0. */
#define HCRX_MSCEN		(1UL << 11)
/* HFGRTR/HFGWTR_EL2 negative-polarity bits: 0 traps. */
#define HFGXTR_NSMPRI_EL1	(1UL << 54)
#define HFGXTR_NTPIDR2_EL0	(1UL << 55)
/* SCTLR_EL2: RES1 bits plus M, C, SA, I. */
#define SCTLR_EL2_RES1		0x30c50830UL
#define SCTLR_EL2_ON		(SCTLR_EL2_RES1 | (1 << 0) | (1 << 2) | \
				 (1 << 3) | (1 << 12))
/* SCTLR_EL1 as after reset with the MMU and caches off (RES1 bits). */
#define SCTLR_EL1_RESET		0x30d00800UL
/* EL1h with D, A, I, F masked: how a guest is entered. */
#define SPSR_EL1H_MASKED	0x3c5
#define SPSR_MODE_MASK		0xfUL
#define SPSR_MODE_EL0T		0x0UL
#define SPSR_MODE_EL1T		0x4UL
#define SPSR_MODE_EL1H		0x5UL
/* SPSR.M[4] (nRW): the exception came from AArch32 (only EL0 can be:
 * HCR_EL2.RW makes EL1 AArch64). */
#define SPSR_AARCH32		(1UL << 4)

/* MDCR_EL2.TDA: debug register accesses (and the backdoor's DCC read)
 * trap to EL2. */
#define MDCR_TDA		(1UL << 9)
/* MDCR_EL2.HPMD (PMUv3p1): counters below HPMN do not count at EL2;
 * HCCD (PMUv3p5): nor does the cycle counter. */
#define MDCR_HPMD		(1UL << 17)
/* MDCR_EL2.TPM: PMU register accesses trap (core/pmu.c). */
#define MDCR_TPM		(1UL << 6)
#define MDCR_HCCD		(1UL << 23)
/* MDCR_EL2.TPMS: SPE's sampling controls trap (E2PB = 0 already traps
 * its buffer controls); TTRF: the trace filter controls trap (E2TB = 0
 * traps TRBE's). */
#define MDCR_TPMS		(1UL << 14)
#define MDCR_TTRF		(1UL << 19)
/* ID_AA64DFR0_EL1.PMUVer values. */
#define PMUVER_V3P1		4
#define PMUVER_V3P5		6
#define PMUVER_IMPDEF		0xf

#define CNTHCTL_EL1PCTEN	(1UL << 0)
#define CNTHCTL_EL1PCEN		(1UL << 1)
/* FEAT_ECV: EL0/EL1 CNTVCT(SS)_EL0 reads, CNTV_* accesses trap to EL2. */
#define CNTHCTL_EL1TVT		(1UL << 13)
#define CNTHCTL_EL1TVCT		(1UL << 14)
/* ID_AA64MMFR0_EL1.ECV, bits [63:60]: 1 traps, 2 also CNTPOFF_EL2. */
#define MMFR0_ECV_SHIFT		60
#define CNT_CTL_ENABLE		(1UL << 0)
#define CNT_CTL_IMASK		(1UL << 1)

#ifndef __ASSEMBLY__
#include <stdint.h>

#define read_sysreg(r) ({ uint64_t __v; \
	__asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) do { uint64_t __w = (uint64_t)(v); \
	__asm__ volatile("msr " #r ", %0" : : "r"(__w)); } while (0)
/* GIC registers have no name in older assemblers' tables on every core;
 * the generic S3_* spelling works everywhere. */
#define isb()	__asm__ volatile("isb" ::: "memory")
#define dsb(o)	__asm__ volatile("dsb " #o ::: "memory")
#define wfi()	__asm__ volatile("wfi" ::: "memory")

static inline unsigned cpu_current_el(void)
{
	return (read_sysreg(CurrentEL) >> 2) & 3;
}
#endif
#endif
