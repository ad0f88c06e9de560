// SPDX-License-Identifier: Apache-2.0
/*
 * EL2 stage-1: an identity map with 1 GiB blocks, 39-bit VA (TCR_EL2
 * T0SZ=25, start at level 1). The first GiB holds the QEMU virt devices
 * (Device-nGnRnE); RAM lives from 1 GiB up (Normal write-back).
 */
#include <arch/arch.h>
#include <arch/sysreg.h>

#define MAIR_DEVICE_IDX	0	/* Device-nGnRnE */
#define MAIR_NORMAL_IDX	1	/* Normal WB RAWA */
#define MAIR_VALUE	(0x00UL | (0xffUL << 8))
#define BLK_VALID	1UL
#define BLK_ATTR(i)	((uint64_t)(i) << 2)
#define BLK_AP_RW	(1UL << 6)	/* AP[1] is RES1 at EL2 */
#define BLK_SH_INNER	(3UL << 8)
#define BLK_AF		(1UL << 10)
#define BLK_XN		(1UL << 54)
#define TCR_EL2_VALUE	(25UL | (1UL << 8) | (1UL << 10) | (3UL << 12) | \
			 (2UL << 16) | (1UL << 23) | (1UL << 31))
#define RAM_GIGS	256	/* QEMU virt RAM ends below 256 GiB */

static uint64_t l1[512] __attribute__((aligned(4096)));

void mmu_init(void)
{
	l1[0] = 0 | BLK_VALID | BLK_ATTR(MAIR_DEVICE_IDX) | BLK_AP_RW |
		BLK_AF | BLK_XN;
	for (uint64_t i = 1; i < RAM_GIGS; i++)
		l1[i] = (i << 30) | BLK_VALID | BLK_ATTR(MAIR_NORMAL_IDX) |
			BLK_AP_RW | BLK_SH_INNER | BLK_AF;
	dsb(sy);
}

void mmu_enable(void)
{
	write_sysreg(mair_el2, MAIR_VALUE);
	write_sysreg(tcr_el2, TCR_EL2_VALUE);
	write_sysreg(ttbr0_el2, (uint64_t)(uintptr_t)l1);
	isb();
	__asm__ volatile("tlbi alle2" ::: "memory");
	dsb(sy);
	isb();
	write_sysreg(sctlr_el2, SCTLR_EL2_ON);
	isb();
}

void dcache_clean_range(uint64_t start, uint64_t size)
{
	uint64_t line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);

	for (uint64_t a = start & ~(line - 1); a < start + size; a += line)
		__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	dsb(sy);
}
