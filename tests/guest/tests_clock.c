/*
 * Guest time under verge-hv: the trapped physical counter (CNTPCT_EL0)
 * follows the hypervisor's timeline G(P) at the configured rate, and the
 * physical timer (PPI 30) fires when G reaches CNTP_CVAL_EL0. Integer
 * arithmetic only (the guest is built with -mgeneral-regs-only).
 */
#include "gic.h"
#include "psci.h"

#define HOST_FREQ	62500000ul	/* QEMU virt's counter */
#define RATE_WAIT_MS	1500		/* host time between the samples */
#define RATE_TRIES	16		/* samples taken, the tightest kept */
#define RATE_PPM	2		/* allowed error, parts per million */
#define CVAL_MS		20
#define LATE_MAX_MS	5
#define IRQ_WAIT_MS	2000		/* host time */
#define REARM_MS	1000		/* guest time */
#define REARM_WAIT_MS	10000		/* host time */
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
	uint64_t m1, m2, c1, c2, w1, w2, end, fg, dm2, dc;
	unsigned __int128 got, want, err;

	if (!hv_require())
		return;
	fg = read_sysreg(cntfrq_el0);
	info("CNTFRQ_EL0 %lu Hz (host counter %lu Hz)", fg, HOST_FREQ);
	if (fg == 0) {
		fail("CNTFRQ_EL0 is 0");
		return;
	}
	w1 = sample(&m1, &c1, &a1);
	if (w1 == UINT64_MAX)
		return;
	end = a1.p + HOST_FREQ / 1000 * RATE_WAIT_MS;
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
	got = (unsigned __int128)dc * 2 * a1.den * HOST_FREQ;
	want = (unsigned __int128)dm2 * a1.num * fg;
	err = got > want ? got - want : want - got;
	printf("INFO ptimer_rate: rate %lu/%lu, measured ratio ", a1.num, a1.den);
	put_fixed9((unsigned __int128)dc * 2 * HOST_FREQ, (unsigned __int128)dm2 * fg);
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

/* Waits (host time) for PPI 30 after ptimer_arm and checks when it came. */
static bool ptimer_wait(uint64_t cval, uint64_t wait_ms, uint64_t *ret_p0)
{
	uint64_t fg = read_sysreg(cntfrq_el0), end, p0, p1, late;
	uint32_t before = pt.count;

	p0 = host_now();
	if (ret_p0)
		*ret_p0 = p0;
	end = p0 + HOST_FREQ / 1000 * wait_ms;
	irq_enable();
	while (pt.count == before) {
		p1 = host_now();
		if (p1 == 0 || p1 >= end)
			break;
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
	if (pt.cntpct < cval)
		fail("interrupt early: CNTPCT %lu < CVAL %lu (%lu us early)",
		     pt.cntpct, cval, (cval - pt.cntpct) * 1000000 / fg);
	else
		info("CNTPCT - CVAL in the handler = %lu ticks = %lu us (guest)",
		     late, late * 1000000 / fg);
	if (pt.cntpct >= cval && late > fg / 1000 * LATE_MAX_MS)
		fail("interrupt %lu us late (allowed %u ms)", late * 1000000 / fg,
		     LATE_MAX_MS);
	if (!(pt.ctl & CNTP_CTL_ISTATUS))
		fail("CNTP_CTL = 0x%lx in the handler, ISTATUS clear", pt.ctl);
	return true;
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
	uint64_t cval;

	if (!hv_require() || !gic_ready())
		return;
	if (!ptimer_arm(CVAL_MS, &cval))
		return;
	ptimer_wait(cval, IRQ_WAIT_MS, NULL);
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
	uint64_t cval, p0;

	if (!hv_require() || !gic_ready() || !hv_clock(&a))
		return;
	if (!ptimer_arm(REARM_MS, &cval))
		return;
	printf("ARMED ptimer_rearm_on_rate_change: CVAL %lu, rate %lu/%lu\n",
	       cval, a.num, a.den);
	if (!ptimer_wait(cval, REARM_WAIT_MS, &p0) || !hv_clock(&b))
		return;
	info("fired after %lu us of host time, rate now %lu/%lu, host counter %lu",
	     (b.p - p0) * 1000000 / HOST_FREQ, b.num, b.den, b.p);
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
