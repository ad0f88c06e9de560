// SPDX-License-Identifier: Apache-2.0
/*
 * Exact guest time with FEAT_ECV ("guest.tests=ecv", tests/hv/test_ecv.py):
 * the virtual counter CNTVCT_EL0, read at EL1 and at EL0 (the vDSO's way,
 * AArch64 and AArch32), is G(P) at every read, and the virtual timer (PPI
 * 27) fires when G reaches CNTV_CVAL_EL0. "Is G(P)" is checked against
 * the hypervisor's own G: every read lies between the G of a hypercall
 * made just before and of one made just after it, and G itself follows
 * the formula G(P2) - G(P1) = (P2 - P1) x rate x fg / fh. Dilation keeps
 * CNTVCT within a tick of G at best (1 ms): it fails the bracket.
 */
#include "gic.h"
#include "psci.h"

#define READS		2000
#define FORMULA_MS	500	/* host time between the two G samples */
#define CVAL_MS		50	/* guest time */
#define CVAL_TRIES	5
#define LATE_SHARE	4	/* at most 1/4 of the interval late */
#define REARM_MS	1000	/* guest time */
#define WAIT_MS		20000	/* host time */
#define CNTKCTL_EL0PCTEN (1u << 0)
#define CNTKCTL_EL0VCTEN (1u << 1)
#define CNTV_CTL_ISTATUS (1u << 2)
#define EC_SVC64	0x15
#define EC_SVC32	0x11

struct gclk {
	uint64_t p, g, num, den;
};

static bool gclk(struct gclk *ret)
{
	struct smccc_res res;

	if (!hv_call(VERGE_HC_CLOCK, &res) || res.a0 != 0) {
		fail("VERGE_HC_CLOCK failed (x0 0x%lx)", res.a0);
		return false;
	}
	*ret = (struct gclk){ res.a1, res.a2, res.a3 >> 32,
			      res.a3 & 0xffffffffu };
	return true;
}

/* The host counter's frequency (VERGE_HC_TICKS x3), 0 on failure. */
static uint64_t host_freq(void)
{
	struct smccc_res res;

	if (!hv_call(VERGE_HC_TICKS, &res) || res.a0 != 0 || !res.a3) {
		fail("VERGE_HC_TICKS failed (x0 0x%lx)", res.a0);
		return 0;
	}
	return res.a3;
}

static uint64_t rd_cntvct(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

void test_ecv_present(void)
{
	unsigned ecv = read_sysreg(id_aa64mmfr0_el1) >> 60;

	info("ID_AA64MMFR0_EL1.ECV %u", ecv);
	if (!ecv)
		fail("this core has no FEAT_ECV");
}

/* Counter reads v[0..n) between G(before) and G(after), in order. */
static bool in_bracket(const char *what, const uint64_t *v, unsigned n,
		       const struct gclk *a, const struct gclk *b)
{
	uint64_t lo = a->g;

	for (unsigned i = 0; i < n; i++) {
		if (v[i] < lo || v[i] > b->g) {
			fail("%s read %u = %lu outside [%lu, %lu] (G before, G after, host %lu..%lu)",
			     what, i, v[i], lo, b->g, a->p, b->p);
			return false;
		}
		lo = v[i];
	}
	return true;
}

void test_vcounter_exact(void)
{
	uint64_t fg = read_sysreg(cntfrq_el0), fh = host_freq(), widest = 0;
	struct gclk a, b;
	unsigned __int128 want;
	uint64_t v[4], d;

	if (!fh || !gclk(&a))
		return;
	for (unsigned i = 0; i < READS; i++) {
		if (!gclk(&a))
			return;
		v[0] = rd_cntvct();
		v[1] = read_sysreg(cntpct_el0);
		v[2] = read_sysreg(s3_3_c14_c0_6);	/* CNTVCTSS_EL0 */
		v[3] = read_sysreg(s3_3_c14_c0_5);	/* CNTPCTSS_EL0 */
		if (!gclk(&b) ||
		    !in_bracket("CNTVCT, CNTPCT, CNTVCTSS, CNTPCTSS", v, 4,
				&a, &b))
			return;
		if (b.g - a.g > widest)
			widest = b.g - a.g;
	}
	/* G by the formula, from the hypervisor's own samples. */
	if (!gclk(&a))
		return;
	while (gclk(&b) && b.p - a.p < fh / 1000 * FORMULA_MS)
		;
	if (a.num != b.num || a.den != b.den) {
		fail("rate changed during the test");
		return;
	}
	want = (unsigned __int128)(b.p - a.p) * a.num * fg / (a.den * fh);
	d = b.g - a.g;
	info("rate %lu/%lu, CNTFRQ %lu Hz, host %lu Hz: %u reads each inside their bracket (widest %lu guest ticks); G advanced %lu for %lu by the formula",
	     a.num, a.den, fg, fh, READS, widest, d, (uint64_t)want);
	if (d + 1 < want || d > want + 1)
		fail("G(P2) - G(P1) = %lu, formula %lu", d, (uint64_t)want);
}

/* One EL0 read (code at pc), bracketed; r0|r1<<32 for AArch32. */
static bool el0_read(bool a32, char *pc, struct gclk *a, struct gclk *b,
		     uint64_t *ret_v)
{
	struct el0_ctx ctx = { .pc = (uintptr_t)pc };

	if (!gclk(a))
		return false;
	if (a32)
		el0_run32(&ctx);
	else
		el0_run(&ctx);
	if (!gclk(b))
		return false;
	if (!expect_eq("ESR_EL1.EC (the SVC that ends the EL0 code)",
		       ESR_EC(ctx.esr), a32 ? EC_SVC32 : EC_SVC64))
		return false;
	*ret_v = a32 ? (ctx.x[0] & 0xffffffffu) | ctx.x[1] << 32 : ctx.x[0];
	return true;
}

extern char el0_cntvct[], el0_a32_cntvct[], el0_a32_cntpct[];

/* EL0 may read CNTVCT (CNTKCTL_EL1.EL0VCTEN, as Linux sets it for the
 * vDSO): the read traps to EL2, not to EL1, and is G(P). So is an
 * AArch32 EL0 read of CNTPCT where EL0PCTEN lets EL0 read it. */
void test_vcounter_el0(void)
{
	uint64_t kctl = read_sysreg(cntkctl_el1), v;
	bool a32 = (read_sysreg(id_aa64pfr0_el1) & 0xf) == 2;
	struct gclk a, b;

	write_sysreg(cntkctl_el1, kctl | CNTKCTL_EL0VCTEN | CNTKCTL_EL0PCTEN);
	isb();
	for (unsigned i = 0; i < 100; i++) {
		if (!el0_read(false, el0_cntvct, &a, &b, &v) ||
		    !in_bracket("EL0 CNTVCT", &v, 1, &a, &b))
			break;
		if (!a32)
			continue;
		if (!el0_read(true, el0_a32_cntvct, &a, &b, &v) ||
		    !in_bracket("AArch32 EL0 MRRC CNTVCT", &v, 1, &a, &b))
			break;
		if (!el0_read(true, el0_a32_cntpct, &a, &b, &v) ||
		    !in_bracket("AArch32 EL0 MRRC CNTPCT", &v, 1, &a, &b))
			break;
	}
	write_sysreg(cntkctl_el1, kctl);
	isb();
	if (!a32)
		info("no AArch32 at EL0: its MRRC not checked");
}

/*
 * Waits (host time) for the one-shot PPI 27 armed at cval: not early
 * (CNTVCT >= CVAL in the handler, ISTATUS set); *ret_late: guest ticks
 * the guest was seen running past CVAL before the handler ran.
 */
static bool vtimer_wait(uint64_t cval, uint64_t fh, uint64_t *ret_late,
			struct gclk *ret_after)
{
	uint32_t before = vtimer_count();
	uint64_t seen, ctl, last_g = 0, end;
	struct gclk c;

	if (!gclk(&c))
		return false;
	end = c.p + fh / 1000 * WAIT_MS;
	irq_enable();
	while (vtimer_count() == before) {
		if (!gclk(&c) || c.p >= end)
			break;
		last_g = c.g;	/* sampled before the handler ran */
	}
	irq_disable();
	if (vtimer_count() == before) {
		vtimer_stop();
		fail("no PPI 27 within %u ms of host time (CNTVCT %lu, CVAL %lu)",
		     WAIT_MS, rd_cntvct(), cval);
		return false;
	}
	vtimer_seen(&seen, &ctl);
	if (!gclk(ret_after))
		return false;
	if (seen < cval) {
		fail("PPI 27 early: CNTVCT %lu < CVAL %lu", seen, cval);
		return false;
	}
	if (!(ctl & CNTV_CTL_ISTATUS)) {
		fail("CNTV_CTL = 0x%lx in the handler, ISTATUS clear", ctl);
		return false;
	}
	*ret_late = last_g > cval ? last_g - cval : 0;
	info("CNTVCT - CVAL in the handler = %lu ticks, last seen running %lu ticks past CVAL (guest)",
	     seen - cval, *ret_late);
	return true;
}

void test_vtimer_exact(void)
{
	uint64_t fg = read_sysreg(cntfrq_el0), fh = host_freq(), cval, late;
	uint64_t ticks = fg / 1000 * CVAL_MS, best = UINT64_MAX;
	struct gclk after;

	if (!fh || gic_status) {
		fail("no host frequency or GIC (%d)", gic_status);
		return;
	}
	gic_enable_ppi(VTIMER_PPI);
	for (unsigned i = 0; i < CVAL_TRIES; i++) {
		cval = rd_cntvct() + ticks;
		vtimer_oneshot(cval);
		if (read_sysreg(cntv_cval_el0) != cval) {
			fail("CNTV_CVAL_EL0 reads %lu after writing %lu",
			     read_sysreg(cntv_cval_el0), cval);
			return;
		}
		if (!vtimer_wait(cval, fh, &late, &after))
			return;
		best = late < best ? late : best;
	}
	if (best > ticks / LATE_SHARE)
		fail("ran %lu guest ticks past CVAL without the interrupt in the best of %u (interval %lu)",
		     best, CVAL_TRIES, ticks);
}

/*
 * CNTV armed REARM_MS of guest time ahead; on "ARMED" the host changes
 * the rate (tests/hv/test_ecv.py): the interrupt must still come when G
 * reaches CVAL, judged in guest time here and in host time by the host.
 */
void test_vtimer_rearm(void)
{
	uint64_t fg = read_sysreg(cntfrq_el0), fh = host_freq(), cval, late;
	uint64_t ticks = fg / 1000 * REARM_MS;
	struct gclk a, b;

	if (!fh || gic_status || !gclk(&a)) {
		fail("no host frequency, GIC (%d) or clock", gic_status);
		return;
	}
	gic_enable_ppi(VTIMER_PPI);
	cval = rd_cntvct() + ticks;
	vtimer_oneshot(cval);
	printf("ARMED vtimer_rearm: CVAL %lu, rate %lu/%lu\n", cval, a.num,
	       a.den);
	if (!vtimer_wait(cval, fh, &late, &b))
		return;
	info("fired: rate now %lu/%lu, host counter %lu, guest counter %lu",
	     b.num, b.den, b.p, b.g);
	if (late > ticks / LATE_SHARE)
		fail("ran %lu guest ticks past CVAL without the interrupt (interval %lu)",
		     late, ticks);
}
