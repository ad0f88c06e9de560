// SPDX-License-Identifier: Apache-2.0
/*
 * The hostile-kernel suite: what a guest kernel can throw at verge-hv
 * through SMC, HVC and the system registers the hypervisor traps, drawn
 * at random. It runs only when the bootargs say "guest.tests=hostile"
 * (tests/hv/test_hostile.py). Every answer is checked against what
 * docs/hypervisor.md promises, and every entry point a CPU_ON could accept
 * is canary.S, which records the Exception level it runs at: no record of
 * EL2 may ever appear.
 *
 * Left out of the random draw because they legitimately end the run or
 * switch CPU 0 off: CPU_OFF (it runs on CPU 1 in the canary after every
 * CPU_ON that succeeds), SYSTEM_OFF (it ends the run), SYSTEM_RESET (not
 * run: it would restart the VM) and SYSTEM_RESET2 (checked once: it must
 * be refused). Random system register writes keep debug exceptions off:
 * MDSCR_EL1 writes clear SS, KDE and MDE, and DBGBCR/DBGWCR writes clear E
 * (a breakpoint on this code would end the run, not test the hypervisor).
 * PMU registers are written at random as they are: on a57 verge-hv traps
 * them (MDCR_EL2.TPM).
 */
#include "gic.h"
#include "psci.h"

#define HOSTILE_CALLS	1000000u
#define HOSTILE_SYSREGS	200000u
#define RAM_START	0x40000000ull	/* tests/hv: -m 1G */
#define RAM_END		0x80000000ull
#define MAX_REPORTS	10
#define FN_64		(1u << 30)

static uint64_t rng;
static struct hv_info hv;
static unsigned reports;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void seed(void)
{
	rng = timer_now() | 1;
	info("seed 0x%lx", rng);
}

static bool excluded(uint32_t fn)
{
	return fn == PSCI_CPU_OFF || fn == PSCI_SYSTEM_OFF ||
	       fn == PSCI_SYSTEM_RESET || fn == PSCI_SYSTEM_RESET2_32 ||
	       fn == PSCI_SYSTEM_RESET2_64;
}

static uint32_t draw_id(void)
{
	static const uint32_t arch[] = {
		SMCCC_VERSION, SMCCC_ARCH_FEATURES, SMCCC_ARCH_SOC_ID,
		SMCCC_ARCH_WORKAROUND_1, SMCCC_ARCH_WORKAROUND_2,
		SMCCC_ARCH_WORKAROUND_3, 0x8000ffffu, 0xc0000000u,
	};
	unsigned k = rnd() % 100;

	if (k < 40)
		return (rnd() & 1 ? 0xc4000000u : 0x84000000u) +
		       (uint32_t)(rnd() % (PSCI_FN_LAST + 1));
	if (k < 50)
		return PSCI_0_1_CPU_SUSPEND + (uint32_t)(rnd() % 4);
	if (k < 60)
		return arch[rnd() % (sizeof(arch) / sizeof(arch[0]))];
	if (k < 65)	/* TRNG: VERSION, FEATURES, GET_UUID, RND */
		return (rnd() & 1 ? 0xc4000050u : 0x84000050u) +
		       (uint32_t)(rnd() % 4);
	if (k < 67)	/* vendor hypervisor service: verge's own */
		return (rnd() & 1 ? 0xc6000000u : 0x86000000u) +
		       (uint32_t)(rnd() % 4);
	if (k < 70)	/* the boot guard's API, sealed since the hand-off */
		return (rnd() & 1 ? 0xc6000000u : 0x86000000u) +
		       (VERGE_HC_WDT_QUERY & 0xffffu) + (uint32_t)(rnd() % 6);
	if (k < 85)	/* any SMCCC fast call: random owner and number */
		return 0x80000000u | ((uint32_t)rnd() & 0x7f00ffffu);
	return (uint32_t)rnd();
}

static uint32_t draw_fn(void)
{
	uint32_t fn;

	do
		fn = draw_id();
	while (excluded(fn));
	return fn;
}

static bool is_cpu_on(uint32_t fn)
{
	return fn == PSCI_CPU_ON_32 || fn == PSCI_CPU_ON_64 ||
	       fn == PSCI_0_1_CPU_ON;
}

static uint64_t draw_target(void)
{
	switch (rnd() % 4) {
	case 0:
	case 1:
		return CPU1_MPIDR;
	case 2:
		return 0;
	default:
		return rnd() >> (rnd() % 64);
	}
}

/* The canary, or an address no CPU_ON may accept: never other guest RAM. */
static uint64_t draw_entry(uint32_t fn)
{
	uint64_t canary_pc = (uintptr_t)canary_entry, e;

	switch (rnd() % 5) {
	case 0:
	case 1:
		return canary_pc | (fn & FN_64 ? 0 : rnd() << 32);
	case 2:
		return hv.base + (rnd() % hv.size & ~3ull);
	case 3:
		e = canary_pc + 1 + rnd() % 3;	/* misaligned */
		return e;
	default:
		e = rnd();
		if ((fn & FN_64 ? e : (uint32_t)e) >= RAM_START &&
		    (fn & FN_64 ? e : (uint32_t)e) < RAM_END)
			return canary_pc;
		return e;
	}
}

static void draw_args(uint32_t fn, uint64_t a[3])
{
	uint32_t base = fn & ~FN_64;

	a[0] = rnd();
	a[1] = rnd();
	a[2] = rnd();
	if (is_cpu_on(fn)) {
		a[0] = draw_target();
		a[1] = draw_entry(fn);
	} else if (base == PSCI_AFFINITY_INFO_32) {
		a[0] = draw_target();
		a[1] = rnd() % 2 ? 0 : a[1];
	} else if (base == PSCI_CPU_SUSPEND_32 || fn == PSCI_0_1_CPU_SUSPEND) {
		a[0] = rnd() % 2 ? a[0] & 0x1ffff : a[0];
		a[1] = (uintptr_t)canary_entry;
	} else if (fn == PSCI_FEATURES || fn == SMCCC_ARCH_FEATURES) {
		a[0] = rnd() % 2 ? draw_id() : a[0];
	}
}

static bool feature_yes(uint32_t fn)
{
	switch (fn) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return true;
	default:
		return false;
	}
}

static bool target_ok(uint64_t t)
{
	return t == 0 || t == CPU1_MPIDR;	/* -smp 2 */
}

/* Whether r is what docs/hypervisor.md promises for this SMC. */
static bool smc_ok(uint32_t fn, const uint64_t a[3], int64_t r)
{
	uint64_t m = fn & FN_64 ? UINT64_MAX : UINT32_MAX;
	uint64_t a1 = a[0] & m, a2 = a[1] & m;

	switch (fn) {
	case PSCI_VERSION:
		return r == PSCI_VERSION_1_0;
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		return r == (a1 & PSCI_SUSPEND_RES_MASK ? PSCI_INVALID_PARAMS
							: PSCI_SUCCESS);
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		if (!target_ok(a1))
			return r == PSCI_INVALID_PARAMS;
		if (a2 != (uintptr_t)canary_entry)
			return r == PSCI_INVALID_ADDRESS;
		if (a1 == 0)
			return r == PSCI_ALREADY_ON;
		return r == PSCI_SUCCESS || r == PSCI_ALREADY_ON ||
		       r == PSCI_ON_PENDING;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		if (!target_ok(a1) || a2 != 0)
			return r == PSCI_INVALID_PARAMS;
		return a1 == 0 ? r == 0 : r >= 0 && r <= 2;
	case PSCI_MIGRATE_INFO_TYPE:
		return r == PSCI_TOS_NOT_PRESENT;
	case PSCI_FEATURES:
		return r == (feature_yes((uint32_t)a1) ? 0 : PSCI_NOT_SUPPORTED);
	case SMCCC_VERSION:
		return r == SMCCC_VERSION_1_1;
	case SMCCC_ARCH_FEATURES:
		return r == ((uint32_t)a1 == SMCCC_VERSION ||
			     (uint32_t)a1 == SMCCC_ARCH_FEATURES ? 0
								   : SMCCC_NOT_SUPPORTED);
	default:
		return r == SMCCC_NOT_SUPPORTED;
	}
}

static bool hvc_ok(uint32_t fn, int64_t r)
{
	if (fn == VERGE_HC_INFO || fn == VERGE_HC_TICKS || fn == VERGE_HC_CLOCK)
		return r == 0;
	/* The guest was entered after the hand-off: the boot guard's API is
	 * sealed, whatever the arguments (docs/bootguard.md). */
	if (fn >= VERGE_HC_WDT_QUERY && fn <= VERGE_HC_WDT_HANDOFF)
		return (uint64_t)r == HC_SEALED;
	return r == SMCCC_NOT_SUPPORTED;
}

static void report(const char *how, uint64_t x0, const uint64_t a[3],
		   int64_t r)
{
	if (reports++ < MAX_REPORTS)
		fail("%s x0=0x%lx x1=0x%lx x2=0x%lx x3=0x%lx returned 0x%lx", how,
		     x0, a[0], a[1], a[2], (uint64_t)r);
}

/* Makes the virtual timer's interrupt pending for good (IRQs stay masked
 * at EL1): a CPU_SUSPEND's WFI at EL2 then wakes at once. */
static void vtimer_pending(bool on)
{
	if (!on) {
		vtimer_stop();
		return;
	}
	gic_enable_ppi(VTIMER_PPI);
	write_sysreg(cntv_cval_el0, 0);
	write_sysreg(cntv_ctl_el0, 1);
	isb();
}

static void check_once(void)
{
	uint64_t none[3] = { 0, 0, 0 };
	int64_t r;

	r = psci_call(PSCI_SYSTEM_RESET2_64, 0, 0, 0);
	if (r != PSCI_NOT_SUPPORTED)
		report("SYSTEM_RESET2_64", PSCI_SYSTEM_RESET2_64, none, r);
	r = psci_call(PSCI_SYSTEM_RESET2_32, 1u << 31, 0, 0);
	if (r != PSCI_NOT_SUPPORTED)
		report("SYSTEM_RESET2_32", PSCI_SYSTEM_RESET2_32, none, r);
}

void test_hostile_calls(void)
{
	uint32_t runs0 = canary.runs, started = 0, smcs = 0, hvcs = 0;
	struct smccc_res res;
	uint64_t a[3], x0;
	uint32_t fn;

	if (!hv_require() || !hv_get_info(&hv))
		return;
	seed();
	reports = 0;
	check_once();
	vtimer_pending(true);
	for (uint32_t i = 0; i < HOSTILE_CALLS; i++) {
		fn = draw_fn();
		x0 = fn | (rnd() % 4 == 0 ? rnd() << 32 : 0);
		draw_args(fn, a);
		if (rnd() & 1) {
			smcs++;
			smccc_smc(x0, a[0], a[1], a[2], &res);
			if (!smc_ok(fn, a, (int64_t)res.a0))
				report("SMC", x0, a, (int64_t)res.a0);
			else if (is_cpu_on(fn) && res.a0 == 0)
				started++;
		} else {
			hvcs++;
			smccc_hvc(x0, a[0], a[1], a[2], &res);
			if (!hvc_ok(fn, (int64_t)res.a0))
				report("HVC", x0, a, (int64_t)res.a0);
		}
		if ((i + 1) % 200000 == 0)
			info("%u calls", i + 1);
	}
	vtimer_pending(false);
	if (!canary_wait_off(runs0 + started, 2000))
		fail("the canary ran %u times after %u successful CPU_ONs",
		     canary.runs - runs0, started);
	info("%u calls: %u SMC, %u HVC; %u CPU_ON started the canary, which ran %u times; canary EL mask 0x%x",
	     smcs + hvcs, smcs, hvcs, started, canary.runs - runs0,
	     canary.el_mask);
	if (canary.el_mask & CANARY_EL2)
		fail("a CPU ran guest code at EL2 (canary EL mask 0x%x)",
		     canary.el_mask);
	if (reports > MAX_REPORTS)
		fail("%u wrong answers in all", reports);
}

/* --- system registers ---------------------------------------------- */

#define SYSREG(id, enc)							\
	static uint64_t rd_##id(void)					\
	{								\
		uint64_t v;						\
		__asm__ volatile("mrs %0, " enc : "=r"(v));		\
		return v;						\
	}								\
	static void wr_##id(uint64_t v)					\
	{								\
		__asm__ volatile("msr " enc ", %0" : : "r"(v) : "memory"); \
	}
/* PMEVCNTR<n>_EL0 and PMEVTYPER<n>_EL0 (op1 3, CRn 14, CRm 8-11 / 12-15). */
#define PMEV(n, cc, tc, op2)						\
	SYSREG(pmevcntr##n, "S3_3_C14_C" #cc "_" #op2)			\
	SYSREG(pmevtyper##n, "S3_3_C14_C" #tc "_" #op2)
#define DBG4(n)								\
	SYSREG(bvr##n, "S2_0_C0_C" #n "_4") SYSREG(bcr##n, "S2_0_C0_C" #n "_5") \
	SYSREG(wvr##n, "S2_0_C0_C" #n "_6") SYSREG(wcr##n, "S2_0_C0_C" #n "_7")

SYSREG(cntpct, "S3_3_C14_C0_1")
SYSREG(cntp_tval, "S3_3_C14_C2_0")
SYSREG(cntp_ctl, "S3_3_C14_C2_1")
SYSREG(cntp_cval, "S3_3_C14_C2_2")
SYSREG(mdccint, "S2_0_C0_C2_0")
SYSREG(mdscr, "S2_0_C0_C2_2")
SYSREG(mdccsr, "S2_3_C0_C1_0")
SYSREG(dbgdtr, "S2_3_C0_C4_0")
SYSREG(dbgdtrrxtx, "S2_3_C0_C5_0")
SYSREG(claimset, "S2_0_C7_C8_6")
SYSREG(claimclr, "S2_0_C7_C9_6")
SYSREG(authstatus, "S2_0_C7_C14_6")
SYSREG(sgi1r, "S3_0_C12_C11_5")
SYSREG(asgi1r, "S3_0_C12_C11_6")
SYSREG(sgi0r, "S3_0_C12_C11_7")
/* clang-format off */
DBG4(0) DBG4(1) DBG4(2) DBG4(3) DBG4(4) DBG4(5) DBG4(6) DBG4(7)
DBG4(8) DBG4(9) DBG4(10) DBG4(11) DBG4(12) DBG4(13) DBG4(14) DBG4(15)
/* clang-format on */
SYSREG(pmcr, "S3_3_C9_C12_0")
SYSREG(pmcntenset, "S3_3_C9_C12_1")
SYSREG(pmcntenclr, "S3_3_C9_C12_2")
SYSREG(pmovsclr, "S3_3_C9_C12_3")
SYSREG(pmswinc, "S3_3_C9_C12_4")
SYSREG(pmselr, "S3_3_C9_C12_5")
SYSREG(pmceid0, "S3_3_C9_C12_6")
SYSREG(pmceid1, "S3_3_C9_C12_7")
SYSREG(pmccntr, "S3_3_C9_C13_0")
SYSREG(pmxevtyper, "S3_3_C9_C13_1")
SYSREG(pmxevcntr, "S3_3_C9_C13_2")
SYSREG(pmuserenr, "S3_3_C9_C14_0")
SYSREG(pmovsset, "S3_3_C9_C14_3")
SYSREG(pmintenset, "S3_0_C9_C14_1")
SYSREG(pmintenclr, "S3_0_C9_C14_2")
SYSREG(pmccfiltr, "S3_3_C14_C15_7")
PMEV(0, 8, 12, 0) PMEV(1, 8, 12, 1) PMEV(2, 8, 12, 2) PMEV(3, 8, 12, 3)
PMEV(4, 8, 12, 4) PMEV(5, 8, 12, 5) PMEV(6, 8, 12, 6) PMEV(7, 8, 12, 7)
PMEV(8, 9, 13, 0) PMEV(9, 9, 13, 1) PMEV(10, 9, 13, 2) PMEV(11, 9, 13, 3)
PMEV(12, 9, 13, 4) PMEV(13, 9, 13, 5) PMEV(14, 9, 13, 6) PMEV(15, 9, 13, 7)
PMEV(16, 10, 14, 0) PMEV(17, 10, 14, 1) PMEV(18, 10, 14, 2) PMEV(19, 10, 14, 3)
PMEV(20, 10, 14, 4) PMEV(21, 10, 14, 5) PMEV(22, 10, 14, 6) PMEV(23, 10, 14, 7)
PMEV(24, 11, 15, 0) PMEV(25, 11, 15, 1) PMEV(26, 11, 15, 2) PMEV(27, 11, 15, 3)
PMEV(28, 11, 15, 4) PMEV(29, 11, 15, 5) PMEV(30, 11, 15, 6)

struct sysreg {
	uint64_t (*rd)(void);
	void (*wr)(uint64_t);
	uint64_t clear;		/* bits a random write never sets */
};

#define MDSCR_NO_DEBUG	((1ull << 0) | (1ull << 13) | (1ull << 15))
#define R(id, clear)	{ rd_##id, wr_##id, clear }
#define D(n)		R(bvr##n, 0), R(bcr##n, 1), R(wvr##n, 0), R(wcr##n, 1)
#define P(n)		R(pmevcntr##n, 0), R(pmevtyper##n, 0)

static const struct sysreg sysregs[] = {
	R(cntpct, 0), R(cntp_tval, 0), R(cntp_ctl, 0), R(cntp_cval, 0),
	R(mdccint, 0), R(mdscr, MDSCR_NO_DEBUG), R(mdccsr, 0), R(dbgdtr, 0),
	R(dbgdtrrxtx, 0), R(claimset, 0), R(claimclr, 0), R(authstatus, 0),
	R(sgi1r, 0), R(asgi1r, 0), R(sgi0r, 0),
	D(0), D(1), D(2), D(3), D(4), D(5), D(6), D(7),
	D(8), D(9), D(10), D(11), D(12), D(13), D(14), D(15),
	R(pmcr, 0), R(pmcntenset, 0), R(pmcntenclr, 0), R(pmovsclr, 0),
	R(pmswinc, 0), R(pmselr, 0), R(pmceid0, 0), R(pmceid1, 0),
	R(pmccntr, 0), R(pmxevtyper, 0), R(pmxevcntr, 0), R(pmuserenr, 0),
	R(pmovsset, 0), R(pmintenset, 0), R(pmintenclr, 0), R(pmccfiltr, 0),
	P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7),
	P(8), P(9), P(10), P(11), P(12), P(13), P(14), P(15),
	P(16), P(17), P(18), P(19), P(20), P(21), P(22), P(23),
	P(24), P(25), P(26), P(27), P(28), P(29), P(30),
};

/* Random reads and writes of every register verge-hv traps (vtime.c,
 * debug.c, pmu.c where the PMU has no HPMD, trap.c's ICC_SGI*R): each
 * either completes or is an UNDEF the probe catches; anything else ends
 * the run as an unexpected exception. */
void test_hostile_sysregs(void)
{
	const size_t n = sizeof(sysregs) / sizeof(sysregs[0]);
	uint32_t undefs = 0;
	struct fault f;

	if (!hv_require())
		return;
	seed();
	for (uint32_t i = 0; i < HOSTILE_SYSREGS; i++) {
		const struct sysreg *s = &sysregs[rnd() % n];

		probe_arm();
		if (rnd() & 1)
			(void)s->rd();
		else
			s->wr(rnd() & ~s->clear);
		if (probe_result(&f)) {
			undefs++;
			if (ESR_EC(f.esr) != EC_UNKNOWN && reports++ < MAX_REPORTS)
				fail("access %u: exception ESR 0x%lx, expected UNDEF",
				     i, f.esr);
		}
	}
	write_sysreg(cntp_ctl_el0, 0);
	write_sysreg(mdscr_el1, 0);
	isb();
	info("%u accesses to %lu registers, %u UNDEF", HOSTILE_SYSREGS, n,
	     undefs);
}

/* After the suite: the guest keeps running (and printing) for a while so
 * the host can check that the hypervisor still answers PING meanwhile. */
void hostile_linger(void)
{
	printf("HOSTILE DONE\n");
	for (unsigned i = 0; i < 50; i++) {
		delay_ms(200);
		printf("ALIVE %u\n", i);
	}
}
