// SPDX-License-Identifier: Apache-2.0
/*
 * The boot guard (docs/bootguard.md): the emulated SBSA Generic Watchdog
 * at its frames, its WS0 interrupt, the pre-hand-off API (open only with
 * verge.wdt_loader=1, sealed otherwise), and the reset at expiry when
 * verge.wdt armed it (tests/hv/test_bootguard.py boots with it).
 * Each test puts the watchdog back as it found it.
 */
#include "gic.h"
#include "psci.h"

#define WDT_CTRL	0x0b000000ul
#define WDT_REFRESH	0x0b010000ul
#define WDT_INTID	WDT_IRQ_INTID
#define WCS		0x000
#define WOR		0x008
#define WORU		0x00c
#define WCV		0x010
#define W_IIDR		0xfcc
#define WCS_EN		1u
#define WCS_WS0		2u
#define WCS_WS1		4u

#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER_	0x0180
#define GICD_ISPENDR	0x0200
#define GICD_ICPENDR	0x0280
#define GICD_IPRIORITYR	0x0400
#define GICD_IROUTER	0x6000

#define STAGE_LOADING	2
#define STAGE_HANDED	3

struct wdt_state {
	uint32_t wcs;
	uint64_t wor, wcv;
};

static volatile struct {
	uint32_t count;
	uint32_t wcs;
	uint32_t cpu;		/* the CPU that took the last one */
	uint32_t storm;		/* refresh, then WCV back to 0 */
	uint32_t level;		/* no refresh before the level-th */
	uint64_t at;
} ws0;

static struct wdt_state snapshot(void)
{
	struct wdt_state s = {
		mmio_read32(WDT_CTRL + WCS),
		mmio_read32(WDT_CTRL + WOR) |
			(uint64_t)mmio_read32(WDT_CTRL + WORU) << 32,
		mmio_read64(WDT_CTRL + WCV),
	};
	return s;
}

/* WOR then WCS: both refresh, as a driver's start does. Disabled first:
 * enabled with the WOR a test used and then the one restored (0 when no
 * verge.wdt set it), the watchdog could time out twice (a reset) between
 * the two writes. */
static void restore(const struct wdt_state *s)
{
	mmio_write32(WDT_CTRL + WCS, 0);
	mmio_write32(WDT_CTRL + WOR, (uint32_t)s->wor);
	mmio_write32(WDT_CTRL + WORU, (uint32_t)(s->wor >> 32));
	mmio_write32(WDT_CTRL + WCS, s->wcs & WCS_EN);
}

static bool wdt_call(uint32_t fn, uint64_t arg, struct smccc_res *res)
{
	struct fault f;

	probe_arm();
	smccc_hvc(fn, arg, 0, 0, res);
	if (probe_result(&f)) {
		fail("HVC 0x%x raised an exception (ESR 0x%lx)", fn, f.esr);
		return false;
	}
	return true;
}

static uint64_t host_now(void);

void wdt_irq(void)
{
	if (ws0.storm) {	/* test_wdt_ws0_storm: the next WS0 at once */
		ws0.count++;
		mmio_write32(WDT_CTRL + WCS, WCS_EN);
		mmio_write32(WDT_CTRL + WCV, 0);
		mmio_write32(WDT_CTRL + WCV + 4, 0);
		return;
	}
	ws0.at = host_now();
	ws0.wcs = mmio_read32(WDT_CTRL + WCS);
	ws0.cpu = cpu_id();
	ws0.count++;
	if (ws0.count < ws0.level)	/* ended with WS0 still high */
		return;
	/* Disabling writes WCS: a refresh, which lowers WS0. */
	mmio_write32(WDT_CTRL + WCS, 0);
}

void test_wdt_regs(void)
{
	struct wdt_state s;
	struct fault f;
	uint32_t v;

	if (!hv_require())
		return;
	s = snapshot();
	expect_eq("control W_IIDR arch version", mmio_read32(WDT_CTRL + W_IIDR) >> 16 & 0xf, 1);
	expect_eq("refresh W_IIDR", mmio_read32(WDT_REFRESH + W_IIDR),
		  mmio_read32(WDT_CTRL + W_IIDR));
	expect_eq("WRR (reads as zero)", mmio_read32(WDT_REFRESH), 0);
	expect_eq("reserved word 0x100", mmio_read32(WDT_CTRL + 0x100), 0);
	mmio_write32(WDT_CTRL + 0x100, ~0u);
	expect_eq("reserved word after a write", mmio_read32(WDT_CTRL + 0x100), 0);
	mmio_write32(WDT_CTRL + WOR, 0x12345678);
	mmio_write32(WDT_CTRL + WORU, 0xffffabcd);
	expect_eq("WOR, 32-bit halves", mmio_read32(WDT_CTRL + WOR) |
		  (uint64_t)mmio_read32(WDT_CTRL + WORU) << 32, 0xabcd12345678ull);
	expect_eq("WCS status bits are read-only", (mmio_write32(WDT_CTRL + WCS, WCS_WS0 | WCS_WS1),
		  mmio_read32(WDT_CTRL + WCS)), 0);
	/* A 16-bit access is not one the watchdog has: external abort. */
	probe_arm();
	__asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(WDT_CTRL + WCS) : "memory");
	if (!probe_result(&f))
		fail("16-bit read of WCS did not abort (read 0x%x)", v);
	else if (ESR_EC(f.esr) != EC_DABT_CUR || (f.esr & 0x3f) != FSC_SEA ||
		 f.far != WDT_CTRL + WCS)
		fail("16-bit read of WCS: ESR 0x%lx FAR 0x%lx, expected an external data abort at 0x%lx",
		     f.esr, f.far, WDT_CTRL + WCS);
	restore(&s);
}

/* The host counter (VERGE_HC_CLOCK x1): the watchdog counts host time,
 * whatever the guest clock's rate. */
static uint64_t host_now(void)
{
	struct smccc_res r;

	return hv_call(VERGE_HC_CLOCK, &r) && r.a0 == 0 ? r.a1 : 0;
}

/*
 * WS0 as the guest's SPI. WOR is 10 s, so that WS1 (a reset) cannot
 * follow before the guest has handled WS0 even on a slow, loaded or
 * slowed-down guest; WCV, written directly (not a refresh), brings the
 * first timeout to 50 ms from now. Times are host time, read with
 * VERGE_HC_CLOCK, so the test holds at any guest clock rate.
 */
void test_wdt_ws0_irq(void)
{
	uint32_t unexpected = irq_unexpected();
	uint64_t wor = 10 * timer_freq(), due, wcv, deadline;
	uintptr_t word = 4 * (WDT_INTID / 32);
	uint32_t bit = 1u << (WDT_INTID % 32);
	struct smccc_res ticks;
	struct wdt_state s;

	if (!hv_require() || gic_status)
		return;
	if (!hv_call(VERGE_HC_TICKS, &ticks) || ticks.a3 != timer_freq()) {
		info("counter presented at %lu Hz on a %lu Hz host counter: "
		     "WCV is host ticks scaled; not checked here", timer_freq(),
		     ticks.a3);
		return;
	}
	s = snapshot();
	ws0.count = 0;
	mmio_write32(GICD_BASE + GICD_ICPENDR + word, bit);
	mmio_write32(GICD_BASE + GICD_IPRIORITYR + (WDT_INTID & ~3u), GIC_PRIO_WORD);
	mmio_write32(GICD_BASE + GICD_IROUTER + 8 * WDT_INTID, 0);	/* CPU 0 */
	mmio_write32(GICD_BASE + GICD_ISENABLER + word, bit);
	mmio_write32(WDT_CTRL + WOR, (uint32_t)wor);
	mmio_write32(WDT_CTRL + WORU, (uint32_t)(wor >> 32));
	mmio_write32(WDT_CTRL + WCS, WCS_EN);
	wcv = mmio_read64(WDT_CTRL + WCV);
	due = wcv - wor + ms_to_ticks(50);
	mmio_write32(WDT_CTRL + WCV, (uint32_t)due);
	mmio_write32(WDT_CTRL + WCV + 4, (uint32_t)(due >> 32));
	expect_eq("WCV written (not a refresh)", mmio_read64(WDT_CTRL + WCV), due);
	deadline = host_now() + 5 * timer_freq();
	irq_enable();
	while (!ws0.count && host_now() < deadline)
		delay_ms(1);
	delay_ms(200);		/* a level still high would come back */
	irq_disable();
	mmio_write32(GICD_BASE + GICD_ICENABLER_ + word, bit);
	if (!ws0.count) {
		fail("no interrupt %u within 5 s of host time (WCS 0x%x)",
		     WDT_INTID, mmio_read32(WDT_CTRL + WCS));
	} else {
		info("WS0 %ld host ticks after WCV", (int64_t)(ws0.at - due));
		expect_eq("interrupts (WS0 lowered by the refresh)", ws0.count, 1);
		expect_eq("WCS in the handler", ws0.wcs, WCS_EN | WCS_WS0);
		if (ws0.at <= due)
			fail("WS0 at host counter %lu, not after WCV %lu", ws0.at, due);
	}
	expect_eq("WCS after", mmio_read32(WDT_CTRL + WCS), 0);
	if (irq_unexpected() != unexpected)
		fail("%u interrupts with an unexpected INTID",
		     irq_unexpected() - unexpected);
	restore(&s);
}

static void set_wcv(uint64_t v)
{
	mmio_write32(WDT_CTRL + WCV, (uint32_t)v);
	mmio_write32(WDT_CTRL + WCV + 4, (uint32_t)(v >> 32));
}

static void host_delay_ms(uint64_t ms)
{
	uint64_t end = host_now() + ms_to_ticks(ms);

	while (host_now() < end)
		delay_ms(1);
}

/* Waits (at most 10 s of host time) until WCS has WS0 as want. A busy
 * host may run the hypervisor's tick late: what is checked is that WS0
 * comes, not when. */
static bool wait_ws0(bool want)
{
	uint64_t end = host_now() + 10 * timer_freq();

	while (!!(mmio_read32(WDT_CTRL + WCS) & WCS_WS0) != want)
		if (host_now() >= end)
			return false;
		else
			delay_ms(1);
	return true;
}

/* The watchdog's SPI, pending cleared, routed to the CPU of MPIDR
 * affinity aff, enabled (or disabled and routed back to CPU 0). */
static void wdt_spi(bool on, uint64_t aff)
{
	uintptr_t word = 4 * (WDT_INTID / 32);
	uint32_t bit = 1u << (WDT_INTID % 32);

	if (!on) {
		mmio_write32(GICD_BASE + GICD_ICENABLER_ + word, bit);
		mmio_write32(GICD_BASE + GICD_ICPENDR + word, bit);
		mmio_write32(GICD_BASE + GICD_IROUTER + 8 * WDT_INTID, 0);
		return;
	}
	mmio_write32(GICD_BASE + GICD_ICPENDR + word, bit);
	mmio_write32(GICD_BASE + GICD_IPRIORITYR + (WDT_INTID & ~3u), GIC_PRIO_WORD);
	mmio_write32(GICD_BASE + GICD_IROUTER + 8 * WDT_INTID, (uint32_t)aff);
	mmio_write32(GICD_BASE + GICD_ISENABLER + word, bit);
}

static bool wdt_spi_pending(void)
{
	return mmio_read32(GICD_BASE + GICD_ISPENDR + 4 * (WDT_INTID / 32)) &
	       1u << (WDT_INTID % 32);
}

/* The watchdog counts host ticks here only when the guest's counter runs
 * at the host's frequency (VERGE_HC_TICKS x3): then WCV values are host
 * counter values (VERGE_HC_CLOCK x1). */
static bool same_freq(void)
{
	struct smccc_res ticks;

	if (!hv_call(VERGE_HC_TICKS, &ticks) || ticks.a3 != timer_freq()) {
		info("counter presented at %lu Hz on a %lu Hz host counter: "
		     "WCV is host ticks scaled; not checked here", timer_freq(),
		     ticks.a3);
		return false;
	}
	return true;
}

/* What CPU 1 saw while CPU 0 was off (test_wdt_ws0_cpu0_off). */
static volatile struct {
	uint32_t cpu0_off;	/* before WCV was set */
	uint32_t count1, cpu1;	/* WS0 routed to CPU 1 */
	uint32_t count2;	/* WS0 routed to CPU 0 (off), after 300 ms */
	uint32_t wcs2, pending2, cpu0_still_off;
	int64_t cpu_on;
	uint32_t done;
} cpu0_off_seen;
static struct cpu_ctx cpu0_ctx;

static void cpu1_while_cpu0_off(void)
{
	uint64_t end = host_now() + 5 * timer_freq();

	while (psci_call(PSCI_AFFINITY_INFO, 0, 0, 0) != 1 &&
	       host_now() < end)
		delay_ms(1);
	cpu0_off_seen.cpu0_off = psci_call(PSCI_AFFINITY_INFO, 0, 0, 0) == 1;
	/* Routed to CPU 1 (by CPU 0): taken here. */
	set_wcv(host_now() + ms_to_ticks(50));
	end = host_now() + 10 * timer_freq();
	while (!ws0.count && host_now() < end)
		delay_ms(1);
	cpu0_off_seen.count1 = ws0.count;
	cpu0_off_seen.cpu1 = ws0.cpu;
	/* Routed to CPU 0, which is off: held pending, not taken here. The
	 * check of the timeout that raises WS0 runs on this CPU (the only
	 * one on) and makes it pending there and then: taken here, it would
	 * be taken before WCS could be read with WS0 (20 ms more to be
	 * sure). */
	mmio_write32(GICD_BASE + GICD_IROUTER + 8 * WDT_INTID, 0);
	mmio_write32(WDT_CTRL + WCS, WCS_EN);
	set_wcv(host_now() + ms_to_ticks(50));
	wait_ws0(true);
	host_delay_ms(20);
	cpu0_off_seen.count2 = ws0.count;
	cpu0_off_seen.wcs2 = mmio_read32(WDT_CTRL + WCS);
	cpu0_off_seen.pending2 = wdt_spi_pending();
	cpu0_off_seen.cpu0_still_off = psci_call(PSCI_AFFINITY_INFO, 0, 0, 0) == 1;
	dsb();
	cpu0_off_seen.cpu_on = psci_call(PSCI_CPU_ON, 0, (uintptr_t)cpu_resume_entry,
			       (uintptr_t)&cpu0_ctx);
	cpu0_off_seen.done = 1;
	dsb();
}

/*
 * WS0 with CPU 0 off (PSCI CPU_OFF) while CPU 1 runs: the timeout is
 * still checked (on CPU 1's tick), the SPI routed to CPU 1 is taken
 * there, and routed to CPU 0 it is held pending until CPU 0 is on again,
 * then taken by CPU 0. CPU 1 does the middle part and turns CPU 0 back
 * on where it left cpu0_off_seen. WOR is 10 s: WS1 cannot follow meanwhile.
 */
void test_wdt_ws0_cpu0_off(void)
{
	uint64_t wor = 10 * timer_freq(), end;
	struct wdt_state s;
	int64_t r;

	if (!hv_require() || gic_status || !same_freq())
		return;
	if (psci_call(PSCI_AFFINITY_INFO, CPU1_MPIDR, 0, 0) != 0 ||
	    !smp.started || !smp.gic_ok) {
		fail("CPU 1 is not running (the cpu_on test starts it)");
		return;
	}
	s = snapshot();
	cpu0_off_seen.cpu0_off = cpu0_off_seen.count1 = cpu0_off_seen.count2 = cpu0_off_seen.wcs2 = cpu0_off_seen.pending2 = 0;
	cpu0_off_seen.cpu0_still_off = cpu0_off_seen.done = 0;
	cpu0_off_seen.cpu1 = ~0u;
	cpu0_off_seen.cpu_on = -1;
	ws0.count = 0;
	ws0.cpu = ~0u;
	wdt_spi(true, CPU1_MPIDR);
	mmio_write32(WDT_CTRL + WOR, (uint32_t)wor);
	mmio_write32(WDT_CTRL + WORU, (uint32_t)(wor >> 32));
	mmio_write32(WDT_CTRL + WCS, WCS_EN);
	smp_post(cpu1_while_cpu0_off);
	r = cpu_off_resume(&cpu0_ctx);
	if (r) {
		fail("CPU_OFF of CPU 0: %ld", r);
		while (!cpu0_off_seen.done)	/* CPU 1 tries CPU_ON: ALREADY_ON */
			delay_ms(1);
	} else {	/* back from reset: vectors and GIC again */
		vectors_install();
		if (gic_init_cpu())
			fail("GIC CPU interface after CPU_ON");
	}
	irq_enable();
	end = host_now() + 10 * timer_freq();
	while (ws0.count < 2 && host_now() < end)
		delay_ms(1);
	delay_ms(100);		/* nothing more may come */
	irq_disable();
	wdt_spi(false, 0);
	expect_eq("CPU 0 off (AFFINITY_INFO) before WCV was set", cpu0_off_seen.cpu0_off, 1);
	expect_eq("WS0 routed to CPU 1: interrupts", cpu0_off_seen.count1, 1);
	expect_eq("WS0 routed to CPU 1: taken by CPU", cpu0_off_seen.cpu1, 1);
	expect_eq("WS0 raised with CPU 0 off (WCS)", cpu0_off_seen.wcs2, WCS_EN | WCS_WS0);
	expect_eq("routed to CPU 0 (off): not taken by CPU 1", cpu0_off_seen.count2, 1);
	expect_eq("routed to CPU 0 (off): held pending", cpu0_off_seen.pending2, 1);
	expect_eq("CPU 0 still off then", cpu0_off_seen.cpu0_still_off, 1);
	expect_eq("CPU_ON(CPU 0)", (uint64_t)cpu0_off_seen.cpu_on, 0);
	expect_eq("interrupts in all", ws0.count, 2);
	expect_eq("the held one taken by CPU", ws0.cpu, 0);
	expect_eq("WCS after", mmio_read32(WDT_CTRL + WCS), 0);
	restore(&s);
}

/*
 * A guest that makes WS0 happen at every check of the timeout: its
 * handler refreshes and writes WCV back to 0, for 1.5 s of host time
 * and until it has had STORM_WS0 of them (10 s at most). It gets an
 * interrupt per WS0; the hypervisor reports one a second to the host
 * (tests/hv/test_bootguard.py counts the reports against the time).
 */
#define STORM_WS0	100

void test_wdt_ws0_storm(void)
{
	uint64_t wor = 10 * timer_freq(), t0, ms;
	struct wdt_state s;
	uint32_t n;

	if (!hv_require() || gic_status || !same_freq())
		return;
	s = snapshot();
	ws0.count = 0;
	wdt_spi(true, 0);
	mmio_write32(WDT_CTRL + WOR, (uint32_t)wor);
	mmio_write32(WDT_CTRL + WORU, (uint32_t)(wor >> 32));
	mmio_write32(WDT_CTRL + WCS, WCS_EN);
	ws0.storm = 1;
	t0 = host_now();
	set_wcv(0);
	irq_enable();
	/* 1.5 s at least: a report a second means one comes meanwhile. */
	while ((ws0.count < STORM_WS0 ||
		host_now() - t0 < ms_to_ticks(1500)) &&
	       host_now() - t0 < 10 * timer_freq())
		delay_ms(1);
	ws0.storm = 0;
	mmio_write32(WDT_CTRL + WCS, 0);
	ms = (host_now() - t0) * 1000 / timer_freq();
	delay_ms(50);
	irq_disable();
	n = ws0.count;
	wdt_spi(false, 0);
	printf("INFO wdt_ws0_storm: %u WS0 interrupts in %lu ms\n", n, ms);
	if (n < STORM_WS0)
		fail("%u WS0 interrupts in %lu ms: expected one per tick", n, ms);
	expect_eq("WCS after", mmio_read32(WDT_CTRL + WCS), 0);
	restore(&s);
}

/*
 * WS0 is a level: a handler that ends the interrupt without refreshing
 * gets it again (at the next check of the timeout, a tick later), until
 * it refreshes. Here the third one refreshes. WOR is 10 s: no WS1.
 */
void test_wdt_ws0_level(void)
{
	uint64_t wor = 10 * timer_freq(), end;
	struct wdt_state s;

	if (!hv_require() || gic_status || !same_freq())
		return;
	s = snapshot();
	ws0.count = 0;
	ws0.level = 3;
	wdt_spi(true, 0);
	mmio_write32(WDT_CTRL + WOR, (uint32_t)wor);
	mmio_write32(WDT_CTRL + WORU, (uint32_t)(wor >> 32));
	mmio_write32(WDT_CTRL + WCS, WCS_EN);
	set_wcv(0);
	irq_enable();
	end = host_now() + 10 * timer_freq();
	while (ws0.count < 3 && host_now() < end)
		delay_ms(1);
	host_delay_ms(100);	/* refreshed: nothing more may come */
	irq_disable();
	ws0.level = 0;
	wdt_spi(false, 0);
	expect_eq("interrupts (two ended with WS0 high, the third refreshed)",
		  ws0.count, 3);
	expect_eq("WCS after", mmio_read32(WDT_CTRL + WCS), 0);
	restore(&s);
}

/* With verge.wdt_loader=1 the guest is the boot loader: the API is open
 * until it hands cpu0_off_seen. Either way, afterwards every call fails and
 * changes nothing (not even a refresh: WCV stays). */
static void loader_api(const struct smccc_res *query)
{
	uint64_t freq = timer_freq();
	struct smccc_res r;

	info("API open: acting as the boot loader");
	expect_eq("QUERY stage", query->a1 & 0xff, STAGE_LOADING);
	if (wdt_call(VERGE_HC_WDT_TIMEOUT, 0, &r))
		expect_eq("SET_TIMEOUT 0", r.a0, HC_INVALID);
	if (wdt_call(VERGE_HC_WDT_ENABLE, 2, &r))
		expect_eq("ENABLE 2", r.a0, HC_INVALID);
	if (wdt_call(VERGE_HC_WDT_TIMEOUT, 60, &r)) {
		expect_eq("SET_TIMEOUT 60", r.a0, 0);
		expect_eq("SET_TIMEOUT 60: timeout_ms", r.a2, 60000);
	}
	if (wdt_call(VERGE_HC_WDT_ENABLE, 1, &r)) {
		expect_eq("ENABLE 1", r.a0, 0);
		expect_eq("ENABLE 1: enabled", r.a1 >> 8 & 1, 1);
	}
	/* The API and the device are one watchdog. */
	expect_eq("WCS after ENABLE", mmio_read32(WDT_CTRL + WCS), WCS_EN);
	expect_eq("WOR after SET_TIMEOUT 60", mmio_read32(WDT_CTRL + WOR) |
		  (uint64_t)mmio_read32(WDT_CTRL + WORU) << 32, 30 * freq);
	if (wdt_call(VERGE_HC_WDT_REFRESH, 0, &r))
		expect_eq("REFRESH", r.a0, 0);
	if (wdt_call(VERGE_HC_WDT_HANDOFF, 0, &r)) {
		expect_eq("HANDOFF", r.a0, 0);
		expect_eq("HANDOFF stage", r.a1 & 0xff, STAGE_HANDED);
	}
}

void test_wdt_sealed_api(void)
{
	static const uint32_t fns[] = { VERGE_HC_WDT_QUERY, VERGE_HC_WDT_ENABLE,
		VERGE_HC_WDT_REFRESH, VERGE_HC_WDT_TIMEOUT, VERGE_HC_WDT_HANDOFF };
	struct wdt_state s0, s;
	struct smccc_res r;

	if (!hv_require())
		return;
	s0 = snapshot();
	if (!wdt_call(VERGE_HC_WDT_QUERY, 0, &r))
		return;
	if (r.a0 == 0)
		loader_api(&r);
	else
		expect_eq("QUERY after hand-off", r.a0, HC_SEALED);
	s = snapshot();
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		for (uint64_t arg = 0; arg < 3; arg++)
			if (wdt_call(fns[i], arg ? arg * 30 - 29 : 0, &r) &&
			    r.a0 != HC_SEALED)
				fail("call 0x%x(%lu) after hand-off: 0x%lx, expected -4 (sealed)",
				     fns[i], arg ? arg * 30 - 29 : 0, r.a0);
	if (snapshot().wcs != s.wcs || snapshot().wor != s.wor ||
	    snapshot().wcv != s.wcv)
		fail("the sealed calls changed the watchdog: WCS 0x%x WOR 0x%lx WCV 0x%lx, was 0x%x 0x%lx 0x%lx",
		     snapshot().wcs, snapshot().wor, snapshot().wcv, s.wcs,
		     s.wor, s.wcv);
	restore(&s0);
}

/* One access of size bytes (1, 2, 4, 8) at a; true if it aborted (an
 * external abort at a, as the hypervisor injects). */
static bool access_aborts(uintptr_t a, unsigned size, bool write, uint64_t v)
{
	struct fault f;
	uint64_t got = 0;

	probe_arm();
	switch (size | (write ? 0x10 : 0)) {
	case 1: __asm__ volatile("ldrb %w0, [%1]" : "=r"(got) : "r"(a) : "memory"); break;
	case 2: __asm__ volatile("ldrh %w0, [%1]" : "=r"(got) : "r"(a) : "memory"); break;
	case 4: __asm__ volatile("ldr %w0, [%1]" : "=r"(got) : "r"(a) : "memory"); break;
	case 8: __asm__ volatile("ldr %0, [%1]" : "=r"(got) : "r"(a) : "memory"); break;
	case 0x11: __asm__ volatile("strb %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
	case 0x12: __asm__ volatile("strh %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
	case 0x14: __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
	case 0x18: __asm__ volatile("str %0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
	}
	(void)got;
	if (!probe_result(&f))
		return false;
	if (ESR_EC(f.esr) != EC_DABT_CUR || (f.esr & 0x3f) != FSC_SEA ||
	    f.far != a)
		fail("%s of %u bytes at 0x%lx: ESR 0x%lx FAR 0x%lx, expected an external abort",
		     write ? "write" : "read", size, a, f.esr, f.far);
	return true;
}

/* Whether the architecture lets this access reach a register: 32 bits
 * anywhere in a frame, 64 bits at WOR and WCV of the control frame. */
static bool wdt_access_ok(uintptr_t frame, uint64_t off, unsigned size)
{
	if (size == 4)
		return true;
	return size == 8 && frame == WDT_CTRL && (off == WOR || off == WCV);
}

static bool same_state(const struct wdt_state *a, const char *after)
{
	struct wdt_state b = snapshot();

	if (a->wcs == b.wcs && a->wor == b.wor && a->wcv == b.wcv)
		return true;
	fail("after %s: WCS 0x%x WOR 0x%lx WCV 0x%lx, was 0x%x 0x%lx 0x%lx",
	     after, b.wcs, b.wor, b.wcv, a->wcs, a->wor, a->wcv);
	return false;
}

/*
 * The guest as an attacker of its watchdog: every access width at every
 * register and at reserved words of both frames (a refused one aborts and
 * changes nothing, not even a refresh), the pages around the frames, the
 * forms with no valid syndrome (pairs, writeback), the extreme WOR and
 * WCV, and the sealed API called with extreme arguments, through SMC and
 * from CPU 1. The watchdog is disabled meanwhile and put back after.
 */
static volatile struct {
	uint64_t r;
	uint32_t done;
} cpu1_call;

static void cpu1_refresh_call(void)
{
	struct smccc_res r;

	smccc_hvc(VERGE_HC_WDT_REFRESH, 0, 0, 0, &r);
	cpu1_call.r = r.a0;
	dsb();
	cpu1_call.done = 1;
}

static void hostile_widths(void)
{
	static const uintptr_t frames[] = { WDT_CTRL, WDT_REFRESH };
	static const uint64_t offs[] = { WCS, 0x4, WOR, WORU, WCV, WCV + 4,
					 0x18, 0x800, W_IIDR, 0xffc };
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	struct wdt_state s = snapshot();

	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < sizeof(offs) / sizeof(offs[0]); j++)
			for (size_t k = 0; k < 4; k++) {
				uintptr_t a = frames[i] + offs[j];
				unsigned sz = sizes[k];

				if (wdt_access_ok(frames[i], offs[j], sz)) {
					if (access_aborts(a, sz, false, 0))
						fail("%u-byte read at 0x%lx aborted", sz, a);
					continue;
				}
				if (!access_aborts(a, sz, false, 0))
					fail("%u-byte read at 0x%lx did not abort", sz, a);
				if (!access_aborts(a, sz, true, ~0ull))
					fail("%u-byte write at 0x%lx did not abort", sz, a);
			}
	same_state(&s, "refused accesses");
	/* Reserved words (and W_IIDR) ignore 32-bit writes: no refresh. */
	for (size_t i = 0; i < 2; i++)
		for (uint64_t off = 0x18; off < 0x1000; off += 0x3e4) {
			mmio_write32(frames[i] + off, ~0u);
			expect_eq("reserved word after a write",
				  mmio_read32(frames[i] + off), 0);
		}
	mmio_write32(WDT_CTRL + W_IIDR, 0);
	same_state(&s, "writes to reserved words and W_IIDR");
	/* The pages around the frames are nothing: aborts. */
	{
		static const uintptr_t holes[] = { WDT_CTRL + 0x1000,
			WDT_REFRESH - 4, WDT_REFRESH + 0x1000, WDT_CTRL - 4 };

		for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
			if (!access_aborts(holes[i], 4, false, 0) ||
			    !access_aborts(holes[i], 4, true, 0))
				fail("access at 0x%lx, outside the frames, did not abort",
				     holes[i]);
	}
	same_state(&s, "accesses outside the frames");
}

/* Pairs and writeback have no valid syndrome: the hypervisor cannot
 * replay them and aborts them. */
static void hostile_no_syndrome(void)
{
	struct wdt_state s = snapshot();
	uintptr_t a = WDT_REFRESH;
	uint32_t lo = 0, hi = 0;
	struct fault f;

	probe_arm();
	__asm__ volatile("stp %w0, %w0, [%1]" : : "r"(0u), "r"(a) : "memory");
	if (!probe_result(&f))
		fail("stp to WRR did not abort");
	probe_arm();
	__asm__ volatile("ldp %w0, %w1, [%2]" : "=r"(lo), "=r"(hi) : "r"(WDT_CTRL + WOR) : "memory");
	if (!probe_result(&f))
		fail("ldp of WOR did not abort (read 0x%x 0x%x)", lo, hi);
	probe_arm();
	__asm__ volatile("str %w1, [%0], #4" : "+r"(a) : "r"(0u) : "memory");
	if (!probe_result(&f))
		fail("post-indexed str to WRR did not abort");
	same_state(&s, "pairs and writeback");
}

static void hostile_extremes(void)
{
	uint64_t wor = 10 * timer_freq();

	/* WOR keeps 48 bits. */
	__asm__ volatile("str %0, [%1]" : : "r"(~0ull), "r"(WDT_CTRL + WOR) : "memory");
	expect_eq("WOR after ~0", mmio_read64(WDT_CTRL + WOR), (1ull << 48) - 1);
	/* WCV at 2^64 - 1, enabled: no timeout ever comes. */
	mmio_write32(WDT_CTRL + WOR, (uint32_t)wor);
	mmio_write32(WDT_CTRL + WORU, (uint32_t)(wor >> 32));
	mmio_write32(WDT_CTRL + WCS, WCS_EN);
	__asm__ volatile("str %0, [%1]" : : "r"(~0ull), "r"(WDT_CTRL + WCV) : "memory");
	expect_eq("WCV after ~0", mmio_read64(WDT_CTRL + WCV), ~0ull);
	host_delay_ms(100);
	expect_eq("WCS with WCV = 2^64 - 1", mmio_read32(WDT_CTRL + WCS), WCS_EN);
	/* WCV 0: WS0 at the next check, and only WS0 (WOR is 10 s). */
	set_wcv(0);
	if (!wait_ws0(true))
		fail("no WS0 with WCV = 0 within 10 s of host time");
	expect_eq("WCS with WCV = 0", mmio_read32(WDT_CTRL + WCS), WCS_EN | WCS_WS0);
	mmio_write32(WDT_CTRL + WCS, 0);	/* refresh: lowers WS0 */
	if (same_freq() && wdt_spi_pending())
		fail("the SPI stayed pending after the refresh");
}

static void hostile_sealed_calls(void)
{
	static const uint64_t args[] = { 0, 1, 3600, 1ull << 63, ~0ull };
	struct wdt_state s;
	struct smccc_res r;
	uint64_t end;

	if (!wdt_call(VERGE_HC_WDT_QUERY, 0, &r) || r.a0 != (uint64_t)HC_SEALED) {
		fail("QUERY before the sealed calls: 0x%lx, expected sealed", r.a0);
		return;
	}
	mmio_write32(WDT_CTRL + WCS, WCS_EN);	/* WS0 off, a known WCV */
	s = snapshot();
	for (uint32_t fn = VERGE_HC_WDT_QUERY; fn <= VERGE_HC_WDT_HANDOFF; fn++)
		for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
			/* x0's high half is not part of an SMCCC function ID */
			uint64_t x0 = i & 1 ? 0xffffffff00000000ull | fn : fn;

			smccc_hvc(x0, args[i], ~0ull, ~0ull, &r);
			if (r.a0 != (uint64_t)HC_SEALED)
				fail("HVC 0x%lx(0x%lx) after hand-off: 0x%lx, expected sealed",
				     x0, args[i], r.a0);
			/* Not a PSCI/SMCCC call the firmware offers. */
			smccc_smc(fn, args[i], 0, 0, &r);
			if (r.a0 != (uint64_t)(int64_t)SMCCC_NOT_SUPPORTED)
				fail("SMC 0x%x: 0x%lx, expected NOT_SUPPORTED", fn, r.a0);
		}
	same_state(&s, "sealed calls");
	/* From CPU 1: the same answer. */
	if (smp.started && psci_call(PSCI_AFFINITY_INFO, CPU1_MPIDR, 0, 0) == 0) {
		cpu1_call.done = 0;
		smp_post(cpu1_refresh_call);
		end = host_now() + 5 * timer_freq();
		while (!cpu1_call.done && host_now() < end)
			delay_ms(1);
		if (!cpu1_call.done)
			fail("CPU 1 did not make its call");
		else
			expect_eq("REFRESH from CPU 1", cpu1_call.r, (uint64_t)HC_SEALED);
		same_state(&s, "a sealed call from CPU 1");
	}
}

void test_wdt_hostile(void)
{
	struct wdt_state s0;

	if (!hv_require())
		return;
	s0 = snapshot();
	mmio_write32(WDT_CTRL + WCS, 0);
	hostile_widths();
	hostile_no_syndrome();
	hostile_extremes();
	hostile_sealed_calls();
	restore(&s0);
}

/* Last: when verge.wdt armed the watchdog, nothing refreshes it any
 * more, so the hypervisor must reset the guest before this returns. */
void test_wdt_expiry(void)
{
	struct wdt_state s;
	uint64_t ms;

	if (!hv_require())
		return;
	s = snapshot();
	if (!(s.wcs & WCS_EN)) {
		info("watchdog off (no verge.wdt): nothing to wait for");
		return;
	}
	ms = 2 * s.wor * 1000 / timer_freq();
	printf("WAITING wdt_expiry: reset due within %lu ms\n", ms);
	delay_ms(3 * ms + 1000);
	fail("not reset %lu ms after a %lu ms timeout", 3 * ms + 1000, ms);
}
