// SPDX-License-Identifier: Apache-2.0
/*
 * Guest time under verge-hv: the trapped physical counter (CNTPCT_EL0)
 * follows the hypervisor's timeline G(P) at the configured rate, and the
 * physical timer (PPI 30) fires when G reaches CNTP_CVAL_EL0. Integer
 * arithmetic only (the guest is built with -mgeneral-regs-only). No
 * frequency is assumed: the guest's is CNTFRQ_EL0, the host counter's
 * (62.5 MHz on QEMU 7.2 and most QEMU 10 models, 1 GHz on QEMU 10's max
 * or with -cpu ...,cntfrq=) comes from VERGE_HC_TICKS.
 */
#include "gic.h"
#include "psci.h"

#define RATE_WAIT_MS	1500		/* host time between the samples */
#define RATE_TRIES	16		/* samples taken, the tightest kept */
#define RATE_PPM	2		/* allowed error, parts per million */
/*
 * When the timer fires is judged in guest time against the armed
 * interval, never against a host-time bound. Early is exact: never. Late
 * counts only the guest time the guest was seen running past CVAL
 * without its interrupt (its last sample before the handler, minus
 * CVAL): a loaded host that does not run the vCPU delays the handler
 * but not that sample. A deadline that ignores the rate (or a rate
 * change) leaves the guest running past CVAL by a fixed share of the
 * interval ((rate - 1) x the interval at rate 2: 100 %) in every sample.
 */
#define CVAL_MS		50		/* guest time */
#define CVAL_TRIES	5		/* samples; the earliest is judged */
#define LATE_SHARE	4		/* at most 1/4 of the interval late */
#define IRQ_WAIT_MS	2000		/* host time */
#define REARM_MS	1000		/* guest time */
#define REARM_WAIT_MS	10000		/* host time */
#define REARM_TRIES	3		/* samples when the rate stayed */
#define COST_READS	10000

#define CNTP_CTL_ENABLE		(1u << 0)
#define CNTP_CTL_IMASK		(1u << 1)
#define CNTP_CTL_ISTATUS	(1u << 2)

struct hv_clock {
	uint64_t p, g, num, den;
};

static volatile struct {
	uint32_t count;
	uint64_t cntpct;	/* CNTPCT read in the handler */
	uint64_t ctl;		/* CNTP_CTL read in the handler */
} pt;

static bool hv_clock(struct hv_clock *ret_clk)
{
	struct smccc_res res;

	if (!hv_call(VERGE_HC_CLOCK, &res) || res.a0 != 0) {
		fail("VERGE_HC_CLOCK failed (x0 0x%lx)", res.a0);
		return false;
	}
	ret_clk->p = res.a1;
	ret_clk->g = res.a2;
	ret_clk->num = res.a3 >> 32;
	ret_clk->den = res.a3 & 0xffffffffu;
	return true;
}

static uint64_t cntpct(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

/* The host counter's frequency (VERGE_HC_TICKS x3); 0 on failure. */
static uint64_t host_freq(void)
{
	struct smccc_res res;

	if (!hv_call(VERGE_HC_TICKS, &res) || res.a0 != 0 || !res.a3) {
		fail("VERGE_HC_TICKS failed (x0 0x%lx, frequency %lu)", res.a0,
		     res.a3);
		return 0;
	}
	return res.a3;
}

/* Host time from the hypercall, in host ticks (0 on failure). */
static uint64_t host_now(void)
{
	struct hv_clock c;

	return hv_clock(&c) ? c.p : 0;
}

/*
 * One CNTPCT read bracketed by two hypercalls: *ret_pmid2 is twice the
 * host counter at the middle of the bracket, the return the bracket width
 * in host ticks (UINT64_MAX on failure). The tightest of RATE_TRIES.
 */
static uint64_t sample(uint64_t *ret_pmid2, uint64_t *ret_c, struct hv_clock *ret_a)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < RATE_TRIES; i++) {
		struct hv_clock a, b;
		uint64_t c;

		if (!hv_clock(&a))
			return UINT64_MAX;
		c = cntpct();
		if (!hv_clock(&b))
			return UINT64_MAX;
		if (c < a.g || c > b.g)
			fail("CNTPCT %lu outside [G(P) %lu, G(P') %lu] of its bracket",
			     c, a.g, b.g);
		if (b.p - a.p < best) {
			best = b.p - a.p;
			*ret_pmid2 = a.p + b.p;
			*ret_c = c;
			*ret_a = a;
		}
	}
	return best;
}

/* v * 1e9 / d as a fixed-point decimal with 9 places. */
static void put_fixed9(unsigned __int128 v, unsigned __int128 d)
{
	unsigned __int128 x = v * 1000000000u / d;
	uint64_t ip = (uint64_t)(x / 1000000000u), fp = (uint64_t)(x % 1000000000u);
	char frac[10];

	for (int i = 8; i >= 0; i--, fp /= 10)
		frac[i] = '0' + fp % 10;
	frac[9] = 0;
	printf("%lu.%s", ip, frac);
}

void test_ptimer_rate(void)
{
	struct hv_clock a1, a2;
	uint64_t m1, m2, c1, c2, w1, w2, end, fg, fh, dm2, dc;
	unsigned __int128 got, want, err;

	if (!hv_require() || !(fh = host_freq()))
		return;
	fg = read_sysreg(cntfrq_el0);
	info("CNTFRQ_EL0 %lu Hz (host counter %lu Hz)", fg, fh);
	if (fg == 0) {
		fail("CNTFRQ_EL0 is 0");
		return;
	}
	w1 = sample(&m1, &c1, &a1);
	if (w1 == UINT64_MAX)
		return;
	end = a1.p + fh / 1000 * RATE_WAIT_MS;
	while (host_now() < end)
		;
	w2 = sample(&m2, &c2, &a2);
	if (w2 == UINT64_MAX)
		return;
	if (a1.num != a2.num || a1.den != a2.den)
		fail("rate changed during the test: %lu/%lu -> %lu/%lu",
		     a1.num, a1.den, a2.num, a2.den);
	if (a1.den == 0) {
		fail("rate denominator 0");
		return;
	}
	/* guest ticks per host tick: (C2-C1) / ((M2-M1)/2) against
	 * num/den * fg / fh; compared exactly as cross products. */
	dm2 = m2 - m1;		/* twice the host interval */
	dc = c2 - c1;
	got = (unsigned __int128)dc * 2 * a1.den * fh;
	want = (unsigned __int128)dm2 * a1.num * fg;
	err = got > want ? got - want : want - got;
	printf("INFO ptimer_rate: rate %lu/%lu, measured ratio ", a1.num, a1.den);
	put_fixed9((unsigned __int128)dc * 2 * fh, (unsigned __int128)dm2 * fg);
	printf(", expected ");
	put_fixed9(a1.num, a1.den);
	printf(", error %lu ppb, brackets %lu and %lu host ticks, %lu host ticks apart\n",
	       (uint64_t)(err * 1000000000u / want), w1, w2, dm2 / 2);
	if (err * 1000000 > want * RATE_PPM)
		fail("CNTPCT ratio off by %lu ppb (allowed %u ppm)",
		     (uint64_t)(err * 1000000000u / want), RATE_PPM);
}

void ptimer_irq(void)
{
	pt.cntpct = cntpct();
	pt.ctl = read_sysreg(cntp_ctl_el0);
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	pt.count++;
}

static bool gic_ready(void)
{
	if (gic_status == 0)
		return true;
	fail("GIC set-up on CPU 0 failed (%d)", gic_status);
	return false;
}

/*
 * Waits (host time) for PPI 30 after ptimer_arm; checks that it came, not
 * early, with ISTATUS set; *ret_late: guest ticks the guest was seen
 * running past CVAL before the handler ran (see above).
 */
static bool ptimer_wait(uint64_t cval, uint64_t wait_ms, uint64_t *ret_p0,
			uint64_t *ret_late)
{
	uint64_t fg = read_sysreg(cntfrq_el0), fh = host_freq(), end, p0, late;
	uint64_t last_g = 0;
	uint32_t before = pt.count;
	struct hv_clock c;

	if (!fh)
		return false;
	p0 = host_now();
	if (ret_p0)
		*ret_p0 = p0;
	end = p0 + fh / 1000 * wait_ms;
	irq_enable();
	while (pt.count == before) {
		if (!hv_clock(&c) || c.p >= end)
			break;
		last_g = c.g;	/* sampled before the handler ran */
	}
	irq_disable();
	if (pt.count == before) {
		write_sysreg(cntp_ctl_el0, 0);
		isb();
		fail("no PPI 30 within %lu ms of host time (CNTPCT %lu, CVAL %lu, CTL 0x%lx)",
		     wait_ms, cntpct(), cval, read_sysreg(cntp_ctl_el0));
		return false;
	}
	late = pt.cntpct - cval;
	if (pt.cntpct < cval) {
		fail("interrupt early: CNTPCT %lu < CVAL %lu (%lu us early)",
		     pt.cntpct, cval, (cval - pt.cntpct) * 1000000 / fg);
		return false;
	}
	info("CNTPCT - CVAL in the handler = %lu ticks = %lu us (guest), last seen running %lu us past CVAL",
	     late, late * 1000000 / fg,
	     last_g > cval ? (last_g - cval) * 1000000 / fg : 0);
	if (!(pt.ctl & CNTP_CTL_ISTATUS)) {
		fail("CNTP_CTL = 0x%lx in the handler, ISTATUS clear", pt.ctl);
		return false;
	}
	*ret_late = last_g > cval ? last_g - cval : 0;
	return true;
}

/* The lateness rule above, for an interval of `ticks` guest ticks. */
static void judge_late(uint64_t late, uint64_t ticks, unsigned samples)
{
	uint64_t fg = read_sysreg(cntfrq_el0);

	if (late > ticks / LATE_SHARE)
		fail("ran %lu us (guest) past CVAL without the interrupt in the best of %u samples: more than 1/%u of the %lu us armed",
		     late * 1000000 / fg, samples, LATE_SHARE,
		     ticks * 1000000 / fg);
}

static bool ptimer_arm(uint64_t ms, uint64_t *ret_cval)
{
	uint64_t fg = read_sysreg(cntfrq_el0);

	gic_enable_ppi(PTIMER_PPI);
	*ret_cval = cntpct() + fg / 1000 * ms;
	write_sysreg(cntp_cval_el0, *ret_cval);
	write_sysreg(cntp_ctl_el0, CNTP_CTL_ENABLE);
	isb();
	if (read_sysreg(cntp_cval_el0) != *ret_cval) {
		fail("CNTP_CVAL_EL0 reads 0x%lx after writing 0x%lx",
		     read_sysreg(cntp_cval_el0), *ret_cval);
		return false;
	}
	return true;
}

void test_ptimer_fires_at_cval(void)
{
	uint32_t unexpected = irq_unexpected();
	uint64_t cval, late, best = UINT64_MAX;

	if (!hv_require() || !gic_ready())
		return;
	for (unsigned i = 0; i < CVAL_TRIES; i++) {
		if (!ptimer_arm(CVAL_MS, &cval) ||
		    !ptimer_wait(cval, IRQ_WAIT_MS, NULL, &late))
			return;
		if (late < best)
			best = late;
	}
	judge_late(best, read_sysreg(cntfrq_el0) / 1000 * CVAL_MS, CVAL_TRIES);
	if (irq_unexpected() != unexpected)
		fail("%u interrupts with an unexpected INTID",
		     irq_unexpected() - unexpected);
}

/*
 * CNTP armed 1 s of guest time ahead; the host may change the rate after
 * "ARMED" (tests/hv/test_clock.py sets 2/1): the interrupt must still come
 * when G reaches CVAL. The host time taken is reported for the host.
 */
void test_ptimer_rearm(void)
{
	struct hv_clock a, b;
	uint64_t cval, p0, late, more, fh;
	uint64_t ticks = read_sysreg(cntfrq_el0) / 1000 * REARM_MS;
	unsigned n = 1;

	if (!hv_require() || !gic_ready() || !(fh = host_freq()) ||
	    !hv_clock(&a))
		return;
	if (!ptimer_arm(REARM_MS, &cval))
		return;
	printf("ARMED ptimer_rearm_on_rate_change: CVAL %lu, rate %lu/%lu\n",
	       cval, a.num, a.den);
	if (!ptimer_wait(cval, REARM_WAIT_MS, &p0, &late) || !hv_clock(&b))
		return;
	info("fired after %lu us of host time, rate now %lu/%lu, host counter %lu, guest counter %lu",
	     (b.p - p0) * 1000000 / fh, b.num, b.den, b.p, b.g);
	/* A rate changed by the host during the wait: that one sample is
	 * judged (a missed re-arm leaves the guest running past CVAL for
	 * most of the interval). A rate that stayed: a timer that ignores it
	 * is late in every sample, so a late one is sampled again. */
	while (a.num == b.num && a.den == b.den && n < REARM_TRIES &&
	       late > ticks / LATE_SHARE) {
		if (!ptimer_arm(REARM_MS, &cval) ||
		    !ptimer_wait(cval, REARM_WAIT_MS, NULL, &more))
			return;
		late = more < late ? more : late;
		n++;
	}
	judge_late(late, ticks, n);
}

/*
 * A deadline G reaches only after some 2^64 host ticks is "never", at
 * every rate: no PPI 30 and no ISTATUS within FAR_WAIT_MS of host time.
 * At rate r < 1 the guest picks CVAL = G + r * (2^64 - 1 s): its host
 * deadline, computed modulo 2^64, would wrap to 1 s in the past, fire at
 * once and again after every EOI of a guest that keeps the timer enabled
 * (an interrupt storm). Otherwise CVAL = ~0.
 */
#define FAR_WAIT_MS	200

static uint64_t far_cval(const struct hv_clock *c, uint64_t fh)
{
	unsigned __int128 x, mul = (unsigned __int128)c->num *
				   read_sysreg(cntfrq_el0),
			 div = (unsigned __int128)c->den * fh;

	/* G's slope, guest ticks per host tick, is mul / div */
	if (mul >= div)
		return ~0UL;
	x = ((((unsigned __int128)1) << 64) - fh) * mul / div;
	return x > ~0UL - c->g ? ~0UL : c->g + (uint64_t)x;
}

void test_ptimer_far_cval(void)
{
	uint32_t before = pt.count;
	uint64_t ctl, end, cval, fh;
	struct hv_clock c;

	if (!hv_require() || !gic_ready() || !(fh = host_freq()) ||
	    !hv_clock(&c))
		return;
	cval = far_cval(&c, fh);
	info("rate %lu/%lu, G %lu, CVAL %lu", c.num, c.den, c.g, cval);
	gic_enable_ppi(PTIMER_PPI);
	write_sysreg(cntp_cval_el0, cval);
	write_sysreg(cntp_ctl_el0, CNTP_CTL_ENABLE);
	isb();
	end = host_now() + fh / 1000 * FAR_WAIT_MS;
	irq_enable();
	while (host_now() < end)
		;
	irq_disable();
	ctl = read_sysreg(cntp_ctl_el0);
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	if (pt.count != before)
		fail("%u PPI 30 interrupts in %u ms with CNTP_CVAL %lu (G %lu)",
		     pt.count - before, FAR_WAIT_MS, cval, c.g);
	else if (ctl & CNTP_CTL_ISTATUS)
		fail("CNTP_CTL = 0x%lx with CNTP_CVAL %lu: ISTATUS set", ctl,
		     cval);
}

void test_cntpct_cost(void)
{
	uint64_t fg = read_sysreg(cntfrq_el0), t0, t1, t2, ns_p, ns_v;
	volatile uint64_t sink;

	if (!hv_require())
		return;
	t0 = timer_now();
	for (int i = 0; i < COST_READS; i++)
		sink = cntpct();
	t1 = timer_now();
	for (int i = 0; i < COST_READS; i++)
		sink = timer_now();
	t2 = timer_now();
	(void)sink;
	ns_p = (t1 - t0) * 1000000000ul / fg / COST_READS;
	ns_v = (t2 - t1) * 1000000000ul / fg / COST_READS;
	printf("INFO cntpct_cost: trapped CNTPCT read = %lu ns, CNTVCT read = %lu ns, ratio ",
	       ns_p, ns_v);
	put_fixed9(t1 - t0, t2 - t1 ? t2 - t1 : 1);
	printf(" (guest ns, %u reads each)\n", COST_READS);
}

/*
 * The virtual timer (PPI 27) wakes a vCPU out of WFI, and interrupts one
 * that runs, once CNTVCT reaches CNTV_CVAL, at every rate and wherever
 * CNTVOFF_EL2 stands. Without FEAT_ECV the guest's CNTVCT is dilated
 * through CNTVOFF_EL2; once G is ahead of the host counter (a rate above
 * 1, or rate 1 after one) that offset is negative modulo 2^64, and QEMU
 * 10 takes CVAL + CNTVOFF overflowing for "never": verge-hv must make
 * the timer fire itself (docs/hypervisor.md, "Guest time"). A backstop
 * on the physical timer ends a wait the virtual timer never ends.
 * Judged in guest time: never early; late (in the handler for WFI, last
 * seen running past CVAL otherwise) by at most 1/LATE_SHARE of the
 * interval in the best of VT_TRIES: a busy host may not run the vCPU's
 * thread in time once, a timer that is not due never is.
 */
#define VT_MS		40	/* guest time */
#define VT_TRIES	5
#define VT_BACKSTOP_MS	400	/* guest time */

static bool vt_wait(bool idle, uint64_t *ret_late)
{
	uint64_t fg = read_sysreg(cntfrq_el0), cval, seen, ctl, last = 0;
	uint32_t vt0 = vtimer_count(), pt0 = pt.count;

	gic_enable_ppi(VTIMER_PPI);
	gic_enable_ppi(PTIMER_PPI);
	irq_disable();
	write_sysreg(cntp_cval_el0, cntpct() + fg / 1000 * VT_BACKSTOP_MS);
	write_sysreg(cntp_ctl_el0, CNTP_CTL_ENABLE);
	cval = timer_now() + fg / 1000 * VT_MS;
	vtimer_oneshot(cval);
	/* masked while testing, so no interrupt comes between the test
	 * and the WFI (which a pending one ends even while masked) */
	while (vtimer_count() == vt0 && pt.count == pt0) {
		if (idle)
			wfi();
		else
			last = timer_now();
		irq_enable();
		isb();
		irq_disable();
	}
	write_sysreg(cntp_ctl_el0, 0);
	vtimer_stop();
	if (vtimer_count() == vt0) {
		fail("%s: no PPI 27 %u ms (guest) after CVAL %lu; the backstop (PPI 30) ended the wait at CNTVCT %lu (CNTV_CTL 0x%lx)",
		     idle ? "in WFI" : "running", VT_BACKSTOP_MS - VT_MS, cval,
		     timer_now(), read_sysreg(cntv_ctl_el0));
		return false;
	}
	vtimer_seen(&seen, &ctl);
	if (seen < cval) {
		fail("%s: PPI 27 early: CNTVCT %lu < CVAL %lu",
		     idle ? "in WFI" : "running", seen, cval);
		return false;
	}
	if (idle)
		*ret_late = seen - cval;
	else
		*ret_late = last > cval ? last - cval : 0;
	return true;
}

static void vt_wakes(bool idle)
{
	uint64_t fg = read_sysreg(cntfrq_el0), late, best = UINT64_MAX;
	uint64_t ticks = fg / 1000 * VT_MS;
	uint32_t unexpected = irq_unexpected();
	struct hv_clock c = { 0 };

	if (!gic_ready())
		return;
	if (hv_present() && !hv_clock(&c))
		return;
	for (unsigned i = 0; i < VT_TRIES && best > ticks / LATE_SHARE; i++) {
		if (!vt_wait(idle, &late))
			return;
		best = late < best ? late : best;
	}
	info("rate %lu/%lu, G - P %ld ticks at the start; best %lu us (guest) late",
	     c.num, c.den, (int64_t)(c.g - c.p), best * 1000000 / fg);
	judge_late(best, ticks, VT_TRIES);
	if (irq_unexpected() != unexpected)
		fail("%u interrupts with an unexpected INTID",
		     irq_unexpected() - unexpected);
}

void test_vtimer_wfi(void)
{
	vt_wakes(true);
}

void test_vtimer_spin(void)
{
	vt_wakes(false);
}
