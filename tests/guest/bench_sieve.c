// SPDX-License-Identifier: Apache-2.0
/*
 * A memory-bound guest program for bench/sieve.py (issue 18): the sieve of
 * Eratosthenes over a byte array of N + 1 entries, once with the MMU off
 * and once with it on, each timed by the guest's own counter (CNTVCT_EL0:
 * rate 1, so guest time is host time under verge-hv as on bare QEMU).
 *
 * Selected by an option word that a QEMU generic loader writes into guest
 * RAM, so that the same image runs on bare QEMU (which has no bootargs
 * without -kernel) and under verge-hv alike:
 *	-device loader,addr=0x47fff000,data=<SIEVE_MAGIC | millions << 32>,data-len=8
 * With the MMU on, the array is mapped with 4 KiB pages as a user
 * program's memory would be; the rest of RAM with 2 MiB blocks, the
 * devices below 1 GiB as Device memory. Prints one line per pass:
 *	SIEVE mmu=off n=100000000 primes=5761455 ticks=... freq=...
 */
#include "guest.h"

#define SIEVE_OPT	0x47fff000ul
#define SIEVE_MAGIC	0x56454953u	/* "SIEV" */
#define SIEVE_ARRAY	0x50000000ul
#define SIEVE_MAX	(256ul << 20)	/* bytes: 0x50000000-0x60000000 */
#define SZ_4K		0x1000ul
#define SZ_2M		0x200000ul
#define SZ_1G		0x40000000ul

#define PTE_BLOCK	1ul
#define PTE_TABLE	3ul
#define PTE_PAGE	3ul
#define PTE_AF		(1ul << 10)
#define PTE_ISH		(3ul << 8)
#define PTE_ATTR(i)	((uint64_t)(i) << 2)
#define ATTR_DEVICE	0	/* MAIR attr0: Device-nGnRnE */
#define ATTR_NORMAL	1	/* MAIR attr1: Normal write-back */
#define MAIR_VALUE	0xff00ul
/* T0SZ 25 (39-bit VA, walk from level 1), WB walks, inner shareable,
 * 4 KiB granule, no TTBR1 walks, 40-bit IPA */
#define TCR_VALUE	(25ul | 1ul << 8 | 1ul << 10 | 3ul << 12 | \
			 1ul << 23 | 2ul << 32)
#define SCTLR_M		(1ul << 0)
#define SCTLR_C		(1ul << 2)
#define SCTLR_I		(1ul << 12)

static uint64_t pt_l1[512] __attribute__((aligned(4096)));
static uint64_t pt_l2[512] __attribute__((aligned(4096)));
static uint64_t pt_l3[SIEVE_MAX / SZ_2M][512] __attribute__((aligned(4096)));

/* The requested N, or 0 when the sieve was not asked for. */
uint64_t sieve_requested(void)
{
	uint64_t opt = *(volatile uint64_t *)SIEVE_OPT;

	if ((uint32_t)opt != SIEVE_MAGIC)
		return 0;
	return (opt >> 32) * 1000000ul;
}

static void tlb_flush(void)
{
	__asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; isb" : : : "memory");
}

static void mmu_on(void)
{
	uint64_t normal = PTE_AF | PTE_ISH | PTE_ATTR(ATTR_NORMAL);

	pt_l1[0] = 0 | PTE_AF | PTE_BLOCK | PTE_ATTR(ATTR_DEVICE);
	pt_l1[1] = (uintptr_t)pt_l2 | PTE_TABLE;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t pa = SZ_1G + i * SZ_2M;

		if (pa >= SIEVE_ARRAY && pa < SIEVE_ARRAY + SIEVE_MAX) {
			uint64_t *l3 = pt_l3[(pa - SIEVE_ARRAY) / SZ_2M];

			for (unsigned j = 0; j < 512; j++)
				l3[j] = (pa + j * SZ_4K) | normal | PTE_PAGE;
			pt_l2[i] = (uintptr_t)l3 | PTE_TABLE;
		} else {
			pt_l2[i] = pa | normal | PTE_BLOCK;
		}
	}
	dsb();
	write_sysreg(mair_el1, MAIR_VALUE);
	write_sysreg(tcr_el1, TCR_VALUE);
	write_sysreg(ttbr0_el1, (uintptr_t)pt_l1);
	tlb_flush();
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_M | SCTLR_C |
		     SCTLR_I);
	isb();
}

static void mmu_off(void)
{
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) &
		     ~(SCTLR_M | SCTLR_C | SCTLR_I));
	isb();
	tlb_flush();
}

/* The primes up to n; a[] has n + 1 bytes. Plain loops, no memset: the
 * stores are the work. */
static uint64_t sieve(volatile uint8_t *a, uint64_t n)
{
	uint64_t count = 0;

	for (uint64_t i = 0; i <= n; i++)
		a[i] = 0;
	for (uint64_t i = 2; i * i <= n; i++)
		if (!a[i])
			for (uint64_t j = i * i; j <= n; j += i)
				a[j] = 1;
	for (uint64_t i = 2; i <= n; i++)
		count += !a[i];
	return count;
}

static void pass(const char *mmu, uint64_t n)
{
	uint64_t t0, t1, primes;

	t0 = timer_now();
	primes = sieve((volatile uint8_t *)SIEVE_ARRAY, n);
	t1 = timer_now();
	printf("SIEVE mmu=%s n=%lu primes=%lu ticks=%lu freq=%lu\n", mmu, n,
	       primes, t1 - t0, timer_freq());
}

void test_sieve(void)
{
	uint64_t n = sieve_requested();

	if (n < 100 || n >= SIEVE_MAX) {
		fail("sieve: N = %lu, expected 100..%lu", n, SIEVE_MAX - 1);
		return;
	}
	pass("off", n);
	mmu_on();
	pass("on", n);
	mmu_off();
}
