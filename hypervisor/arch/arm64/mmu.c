// SPDX-License-Identifier: Apache-2.0
/*
 * EL2 stage-1: an identity map with 1 GiB blocks, 39-bit VA (TCR_EL2
 * T0SZ=25, start at level 1). The first GiB holds the QEMU virt devices
 * (Device-nGnRnE); RAM lives from 1 GiB up (Normal write-back). A
 * device elsewhere (a board watchdog's frames) gets Device pages of its
 * own in the last GiB of the VA space (mmu_map_device()).
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
#define ALIGN_PAGE(x)	(((x) + 0xfffUL) & ~0xfffUL)
#define RAM_GIGS	256	/* QEMU virt RAM ends below 256 GiB */

#define DESC_TABLE	3UL	/* table (levels 1-2) or page (level 3) */
#define DEV_L1_SLOT	511

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t dev_l2[512] __attribute__((aligned(4096)));
static uint64_t dev_l3[512] __attribute__((aligned(4096)));
static unsigned dev_pages;

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

/* Only new entries where there were none: no break-before-make, and no
 * TLB holds a translation that faulted. Boot CPU, before the guest. */
uintptr_t mmu_map_device(uint64_t pa, uint64_t size)
{
	uint64_t first = pa & ~0xfffUL;
	unsigned n = (unsigned)((ALIGN_PAGE(pa + size) - first) >> 12);
	uintptr_t va = ((uintptr_t)DEV_L1_SLOT << 30) + (uintptr_t)dev_pages * 4096;

	if (!size || pa + size < pa || n > 512 - dev_pages)
		return 0;
	if (!l1[DEV_L1_SLOT]) {
		dev_l2[0] = (uint64_t)(uintptr_t)dev_l3 | DESC_TABLE;
		dsb(sy);
		l1[DEV_L1_SLOT] = (uint64_t)(uintptr_t)dev_l2 | DESC_TABLE;
	}
	for (unsigned i = 0; i < n; i++)
		dev_l3[dev_pages + i] = (first + i * 4096UL) | DESC_TABLE |
					BLK_ATTR(MAIR_DEVICE_IDX) | BLK_AP_RW |
					BLK_AF | BLK_XN;
	dev_pages += n;
	dsb(sy);
	isb();
	return va + (pa & 0xfff);
}

void dcache_clean_range(uint64_t start, uint64_t size)
{
	uint64_t line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);

	for (uint64_t a = start & ~(line - 1); a < start + size; a += line)
		__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	dsb(sy);
}
