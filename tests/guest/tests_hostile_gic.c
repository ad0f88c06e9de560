// SPDX-License-Identifier: Apache-2.0
/*
 * A hostile kernel against the GIC windows. The distributor and the
 * whole redistributor window that QEMU virt's DT declares (0xf60000
 * bytes, of which only one 128 KiB frame per CPU is backed) are trapped
 * by verge-hv. Accesses of every size and alignment, ISV=0 forms (pairs,
 * writeback) and frames past the last redistributor must end as the
 * hardware would (an external abort in the guest, or RAZ/WI), never as a
 * fault at EL2; the hypervisor's tick, interrupts and GICD_CTLR survive.
 *
 * Unaligned accesses only reach EL2 if the guest's stage 1 maps the GIC
 * as Normal memory (with the MMU off, Device memory faults at EL1), so
 * these tests turn on a small identity map for the duration.
 */
#include "gic.h"
#include "psci.h"

#define GICD_WINDOW	0x10000ul
#define GICR_WINDOW	0xf60000ul	/* QEMU virt DT, reg of intc@8000000 */
#define GICR_TYPER_LAST	(1u << 4)
#define GICD_CTLR_ENABLE 0x13u		/* ARE_NS | EnableGrp1A | EnableGrp1 */
#define GICD_ICPENDR	0x0280
#define FSC(esr)	((esr) & 0x3f)
#define SZ_2M		0x200000ul
#define SZ_1G		0x40000000ul

/* --- a stage 1 that maps the GIC as Normal memory -------------------- */

#define PTE_BLOCK	1ul
#define PTE_TABLE	3ul
#define PTE_AF		(1ul << 10)
#define PTE_ATTR(i)	((uint64_t)(i) << 2)
#define ATTR_DEVICE	0	/* MAIR attr0: Device-nGnRnE */
#define ATTR_NORMAL_NC	1	/* MAIR attr1: Normal non-cacheable */
#define TCR_T0SZ_39	25ul
#define TCR_EPD1	(1ul << 23)
#define TCR_IPS_40	(2ul << 32)
#define SCTLR_M		1ul

static uint64_t pt_l1[512] __attribute__((aligned(4096)));
static uint64_t pt_l2[512] __attribute__((aligned(4096)));

static void tlb_flush(void)
{
	__asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; isb" : : : "memory");
}

/* VA == PA. 0-1 GiB: Device, but the GIC windows Normal; 1-2 GiB: RAM. */
static void mmu_on(void)
{
	for (unsigned i = 0; i < 512; i++) {
		uint64_t pa = i * SZ_2M;
		bool gic = pa >= GICD_BASE && pa < GICR_BASE + GICR_WINDOW;

		pt_l2[i] = pa | PTE_AF | PTE_BLOCK |
			   PTE_ATTR(gic ? ATTR_NORMAL_NC : ATTR_DEVICE);
	}
	pt_l1[0] = (uintptr_t)pt_l2 | PTE_TABLE;
	pt_l1[1] = SZ_1G | PTE_AF | PTE_BLOCK | PTE_ATTR(ATTR_NORMAL_NC);
	dsb();
	write_sysreg(mair_el1, 0x4400ul);
	write_sysreg(tcr_el1, TCR_T0SZ_39 | TCR_EPD1 | TCR_IPS_40);
	write_sysreg(ttbr0_el1, (uintptr_t)pt_l1);
	tlb_flush();
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_M);
	isb();
}

static void mmu_off(void)
{
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~SCTLR_M);
	isb();
	tlb_flush();
}

/* --- single accesses, each under the probe --------------------------- */

enum form { FORM_PLAIN, FORM_PAIR, FORM_POSTINDEX, FORM_COUNT };

static void access(uintptr_t a, unsigned size, bool write, uint64_t v,
		   enum form form)
{
	uint64_t x = 0, y = 0;
	uintptr_t p = a;

	if (form == FORM_PAIR) {
		if (write)
			__asm__ volatile("stp %1, %1, [%0]"
					 : : "r"(a), "r"(v) : "memory");
		else
			__asm__ volatile("ldp %0, %1, [%2]"
					 : "=&r"(x), "=&r"(y) : "r"(a) : "memory");
		return;
	}
	if (form == FORM_POSTINDEX) {
		if (write)
			__asm__ volatile("str %w1, [%0], #4"
					 : "+r"(p) : "r"(v) : "memory");
		else
			__asm__ volatile("ldr %w1, [%0], #4"
					 : "+r"(p), "=r"(x) : : "memory");
		return;
	}
	switch (size * 2 + write) {
	case 2: __asm__ volatile("ldrb %w0, [%1]" : "=r"(x) : "r"(a) : "memory"); break;
	case 3: __asm__ volatile("strb %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
	case 4: __asm__ volatile("ldrh %w0, [%1]" : "=r"(x) : "r"(a) : "memory"); break;
	case 5: __asm__ volatile("strh %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
	case 8: __asm__ volatile("ldr %w0, [%1]" : "=r"(x) : "r"(a) : "memory"); break;
	case 9: __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
	case 16: __asm__ volatile("ldr %0, [%1]" : "=r"(x) : "r"(a) : "memory"); break;
	case 17: __asm__ volatile("str %0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
	}
	(void)x;
	(void)y;
}

/* Runs one access; true if it raised an exception, which must be an
 * external abort on that address (FAIL otherwise). */
static bool faults(uintptr_t a, unsigned size, bool write, uint64_t v,
		   enum form form)
{
	struct fault f;

	probe_arm();
	access(a, size, write, v, form);
	if (!probe_result(&f))
		return false;
	if (ESR_EC(f.esr) != EC_DABT_CUR || FSC(f.esr) != FSC_SEA)
		fail("%u-byte %s at 0x%lx (form %u): ESR 0x%lx, expected an "
		     "external abort", size, write ? "write" : "read", a, form,
		     f.esr);
	else if (f.far != a)
		fail("%u-byte access at 0x%lx: FAR 0x%lx", size, a, f.far);
	return true;
}

/* --- what must survive ----------------------------------------------- */

static unsigned gicr_frames(void)
{
	unsigned n = 0;

	while (n < GICR_WINDOW / GICR_STRIDE) {
		uint64_t typer = mmio_read64(GICR_BASE + n * GICR_STRIDE +
					     GICR_TYPER);
		n++;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return n;
}

/* The hypervisor's tick (its timer PPI, Group 1, with ARE and the group
 * enables of GICD_CTLR) still runs: it advances within a second (100 Hz;
 * a wait, not a bound: a loaded host may keep the vCPU from its timer
 * interrupt for a while, a stopped tick never comes). */
static bool hv_tick_runs(const char *after)
{
	struct smccc_res a, b;
	uint64_t end = timer_now() + ms_to_ticks(1000);

	if (!hv_call(VERGE_HC_TICKS, &a) || a.a0) {
		fail("VERGE_HC_TICKS failed");
		return false;
	}
	do {
		delay_ms(10);
		if (!hv_call(VERGE_HC_TICKS, &b) || b.a0) {
			fail("VERGE_HC_TICKS failed");
			return false;
		}
		if (b.a1 > a.a1)
			return true;
	} while (timer_now() < end);
	fail("after %s: hypervisor tick stopped at %lu (%lu Hz)", after, a.a1,
	     a.a2);
	return false;
}

/* The guest's own interrupts still arrive once it sets its GIC up again. */
static void guest_irqs_work(void)
{
	uint32_t n;

	if (gic_init_dist() || gic_init_cpu()) {
		fail("GIC set-up again failed");
		return;
	}
	for (unsigned i = 0; i < gic_irq_words(); i++)
		mmio_write32(GICD_BASE + GICD_ICPENDR + 4 * i, ~0u);
	mmio_write32(gic_sgi_base() + GICR_ICPENDR0, ~0u);
	gic_enable_ppi(VTIMER_PPI);
	vtimer_start(100);
	irq_enable();
	/* five of them within 2 s at 100 Hz (a wait, not a bound: a loaded
	 * host may hold the vCPU back; a GIC that lost them never has them) */
	for (uint64_t end = timer_now() + ms_to_ticks(2000);
	     vtimer_count() < 5 && timer_now() < end;)
		delay_ms(10);
	irq_disable();
	vtimer_stop();
	n = vtimer_count();
	if (n < 5)
		fail("%u virtual timer interrupts in 2 s at 100 Hz", n);
}

/* --- the tests ------------------------------------------------------- */

/*
 * GICD_CTLR is one 32-bit register: a 64-bit, halfword or byte store to
 * it, or a 32-bit store that is not aligned on it, must not clear ARE or
 * a group enable behind the hypervisor's back (its tick is a Group 1
 * PPI), nor reach the hardware as an access it does not take. Aligned
 * ones are RAZ/WI; unaligned ones (stage 1 maps the GIC as Normal
 * memory) are an external abort.
 */
void test_gic_ctlr_wide_write(void)
{
	static const struct { unsigned off, size; bool aborts; } t[] = {
		{ 0, 8, false }, { 0, 1, false }, { 3, 1, false },
		{ 2, 2, false }, { 1, 4, true }, { 2, 4, true }, { 4, 8, true },
	};

	if (!hv_require())
		return;
	irq_disable();
	mmu_on();
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (faults(GICD_BASE + GICD_CTLR + t[i].off, t[i].size, true, 0,
			   FORM_PLAIN) != t[i].aborts)
			fail("%u-byte write of 0 at GICD_CTLR+%u: %s", t[i].size,
			     t[i].off, t[i].aborts ? "no abort" : "aborted");
	mmu_off();
	hv_tick_runs("writes of 0 at GICD_CTLR of every size");
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ENABLE);
}

/*
 * The DT's redistributor window is larger than the frames QEMU backs:
 * past the frame marked Last, an access is an external abort in the
 * guest (what it gets without a hypervisor), not a replay by EL2.
 */
void test_gic_redist_beyond_last(void)
{
	unsigned n;
	uintptr_t past;

	if (!hv_require())
		return;
	n = gicr_frames();
	past = GICR_BASE + n * GICR_STRIDE;
	info("%u redistributor frames; window 0x%lx bytes", n, GICR_WINDOW);
	if (past >= GICR_BASE + GICR_WINDOW)
		return;
	if (!faults(past + GICR_TYPER, 4, false, 0, FORM_PLAIN))
		fail("read of GICR_TYPER past the last frame (0x%lx) did not "
		     "abort", past + GICR_TYPER);
	if (!faults(past + GICR_SGI + GICR_ISENABLER0, 4, true, ~0ul,
		    FORM_PLAIN))
		fail("write past the last frame did not abort");
	if (!faults(GICR_BASE + GICR_WINDOW - 8, 8, false, 0, FORM_PLAIN))
		fail("read at the end of the window did not abort");
	hv_tick_runs("accesses past the last redistributor");
}

/* Unaligned accesses and ISV=0 forms (pairs, post-index) abort. */
void test_gic_unaligned(void)
{
	static const struct { uintptr_t a; unsigned size; enum form form; } t[] = {
		{ GICD_BASE + 0x101, 4, FORM_PLAIN },
		{ GICD_BASE + 0x6102, 8, FORM_PLAIN },
		{ GICD_BASE + 0x403, 2, FORM_PLAIN },
		{ GICR_BASE + GICR_SGI + 0x102, 4, FORM_PLAIN },
		{ GICD_BASE + 0x100, 4, FORM_PAIR },
		{ GICR_BASE + GICR_SGI + 0x100, 4, FORM_POSTINDEX },
	};

	if (!hv_require())
		return;
	irq_disable();
	mmu_on();
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (int w = 0; w < 2; w++)
			if (!faults(t[i].a, t[i].size, w, 0, t[i].form))
				fail("%u-byte %s at 0x%lx (form %u) did not "
				     "abort", t[i].size, w ? "write" : "read",
				     t[i].a, t[i].form);
	mmu_off();
	hv_tick_runs("unaligned and ISV=0 accesses");
}

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* n random accesses; every one that aborts must be one that should. */
void gic_hostile_run(unsigned n)
{
	unsigned frames = gicr_frames(), aborts = 0, wrong = 0;

	rng = timer_now() | 1;
	info("seed 0x%lx, %u accesses", rng, n);
	irq_disable();
	mmu_on();
	for (unsigned i = 0; i < n && wrong < 10; i++) {
		uint64_t r = rnd();
		bool dist = r & 1, write = r & 2;
		unsigned size = 1u << (r >> 2 & 3);
		enum form form = (r >> 4 & 15) == 0 ? (r >> 8) % FORM_COUNT
						    : FORM_PLAIN;
		/* Most redistributor accesses hit the frames that exist. */
		uint64_t len = dist ? GICD_WINDOW : (r >> 10 & 3) ?
			       frames * GICR_STRIDE : GICR_WINDOW;
		uint64_t off = rnd() % (len - 16);
		bool must_abort;

		if (r >> 9 & 1)		/* half of them aligned */
			off &= ~(uint64_t)(size - 1);
		if (form == FORM_PAIR)
			size = 4;
		must_abort = form != FORM_PLAIN || off % size ||
			     (!dist && off / GICR_STRIDE >= frames);
		if (faults((dist ? GICD_BASE : GICR_BASE) + off, size, write,
			   rnd(), form) != must_abort) {
			wrong++;
			fail("%u-byte %s at %s+0x%lx (form %u): %s", size,
			     write ? "write" : "read", dist ? "GICD" : "GICR",
			     off, form, must_abort ? "no abort" : "aborted");
		}
		aborts += must_abort;
	}
	mmu_off();
	info("%u accesses aborted as expected", aborts);
	if (hv_tick_runs("random GIC accesses"))
		guest_irqs_work();
}

/* Slower than natural the vCPUs stall (dilation) and each trap costs far
 * more host time (tests/hv/test_clock.py runs this guest at 1/2 and
 * 1/3): fewer accesses there. */
void test_gic_hostile_random(void)
{
	struct smccc_res clk;
	bool slow;

	if (!hv_require() || !hv_call(VERGE_HC_CLOCK, &clk) || clk.a0)
		return;
	slow = (uint32_t)(clk.a3 >> 32) < (uint32_t)clk.a3;
	gic_hostile_run(slow ? 100 : 1000);
}

/* The hostile-kernel suite's share (tests/hv/test_hostile.py): many more
 * random accesses across both GIC windows. */
void test_hostile_gic(void)
{
	if (hv_require())
		gic_hostile_run(50000);
}
