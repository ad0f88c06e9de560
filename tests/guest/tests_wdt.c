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
#define GICD_ICPENDR	0x0280
#define GICD_IPRIORITYR	0x0400
#define GICD_IROUTER	0x6000

#define HC_WDT_QUERY	0xc6000010u
#define HC_WDT_ENABLE	0xc6000011u
#define HC_WDT_REFRESH	0xc6000012u
#define HC_WDT_TIMEOUT	0xc6000013u
#define HC_WDT_HANDOFF	0xc6000014u
#define HC_INVALID	((uint64_t)-3)
#define STAGE_LOADING	2
#define STAGE_HANDED	3

struct wdt_state {
	uint32_t wcs;
	uint64_t wor, wcv;
};

static volatile struct {
	uint32_t count;
	uint32_t wcs;
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

/* WOR then WCS: both refresh, as a driver's start does. */
static void restore(const struct wdt_state *s)
{
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
	ws0.at = host_now();
	ws0.wcs = mmio_read32(WDT_CTRL + WCS);
	ws0.count++;
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

/* With verge.wdt_loader=1 the guest is the boot loader: the API is open
 * until it hands off. Either way, afterwards every call fails and
 * changes nothing (not even a refresh: WCV stays). */
static void loader_api(const struct smccc_res *query)
{
	uint64_t freq = timer_freq();
	struct smccc_res r;

	info("API open: acting as the boot loader");
	expect_eq("QUERY stage", query->a1 & 0xff, STAGE_LOADING);
	if (wdt_call(HC_WDT_TIMEOUT, 0, &r))
		expect_eq("SET_TIMEOUT 0", r.a0, HC_INVALID);
	if (wdt_call(HC_WDT_ENABLE, 2, &r))
		expect_eq("ENABLE 2", r.a0, HC_INVALID);
	if (wdt_call(HC_WDT_TIMEOUT, 60, &r)) {
		expect_eq("SET_TIMEOUT 60", r.a0, 0);
		expect_eq("SET_TIMEOUT 60: timeout_ms", r.a2, 60000);
	}
	if (wdt_call(HC_WDT_ENABLE, 1, &r)) {
		expect_eq("ENABLE 1", r.a0, 0);
		expect_eq("ENABLE 1: enabled", r.a1 >> 8 & 1, 1);
	}
	/* The API and the device are one watchdog. */
	expect_eq("WCS after ENABLE", mmio_read32(WDT_CTRL + WCS), WCS_EN);
	expect_eq("WOR after SET_TIMEOUT 60", mmio_read32(WDT_CTRL + WOR) |
		  (uint64_t)mmio_read32(WDT_CTRL + WORU) << 32, 30 * freq);
	if (wdt_call(HC_WDT_REFRESH, 0, &r))
		expect_eq("REFRESH", r.a0, 0);
	if (wdt_call(HC_WDT_HANDOFF, 0, &r)) {
		expect_eq("HANDOFF", r.a0, 0);
		expect_eq("HANDOFF stage", r.a1 & 0xff, STAGE_HANDED);
	}
}

void test_wdt_sealed_api(void)
{
	static const uint32_t fns[] = { HC_WDT_QUERY, HC_WDT_ENABLE,
		HC_WDT_REFRESH, HC_WDT_TIMEOUT, HC_WDT_HANDOFF };
	struct wdt_state s0, s;
	struct smccc_res r;

	if (!hv_require())
		return;
	s0 = snapshot();
	if (!wdt_call(HC_WDT_QUERY, 0, &r))
		return;
	if (r.a0 == 0)
		loader_api(&r);
	else
		expect_eq("QUERY after hand-off", r.a0, (uint64_t)HC_SEALED);
	s = snapshot();
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		for (uint64_t arg = 0; arg < 3; arg++)
			if (wdt_call(fns[i], arg ? arg * 30 - 29 : 0, &r) &&
			    r.a0 != (uint64_t)HC_SEALED)
				fail("call 0x%x(%lu) after hand-off: 0x%lx, expected -4 (sealed)",
				     fns[i], arg ? arg * 30 - 29 : 0, r.a0);
	if (snapshot().wcs != s.wcs || snapshot().wor != s.wor ||
	    snapshot().wcv != s.wcv)
		fail("the sealed calls changed the watchdog: WCS 0x%x WOR 0x%lx WCV 0x%lx, was 0x%x 0x%lx 0x%lx",
		     snapshot().wcs, snapshot().wor, snapshot().wcv, s.wcs,
		     s.wor, s.wcv);
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
