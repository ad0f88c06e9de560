// SPDX-License-Identifier: Apache-2.0
/*
 * What a guest can observe of dilation's error ("guest.tests=observe",
 * tests/hv/test_dilation_observed.py): both vCPUs read CNTVCT_EL0 in a
 * tight loop, OBS_BURST reads at a time between two VERGE_HC_CLOCK calls
 * that give the hypervisor's G just before and just after the burst. A
 * read v taken between G1 and G2 proves an error of at least v - G2 (V
 * ahead of G) or G1 - v (V behind G): the largest such bound is what the
 * guest has seen for certain. The host changes the rate over the
 * management channel; each change starts a window of OBS_WINDOW_MS of
 * host time (VERGE_HC_CLOCK's host counter), after which CPU 0 prints
 * "OBSERVED" with the figures and waits for the next change; rate 1 ends
 * the test.
 */
#include "gic.h"
#include "psci.h"

#define OBS_BURST	16
#define OBS_WINDOW_MS	6000	/* host time */
#define OBS_WAIT_MS	600000	/* host time, for the next rate */

struct obs {
	uint64_t err_ahead, err_behind, jump, reads, bursts;
	uint64_t worst_span, worst_at, worst_gap;	/* host ticks; read index */
};

/* "guest.obs=sparse": a pause of OBS_PAUSE loop turns between reads, so
 * that the reads do not hammer QEMU's big lock (CNTVCT_EL0 is an I/O
 * register for QEMU: every read takes it). */
#define OBS_PAUSE	2000
static bool sparse;

static volatile struct {
	uint64_t until;		/* host counter; 0: CPU 1 waits */
	uint32_t gen;		/* bumped by CPU 0 per window */
	uint32_t done;		/* CPU 1: the window it finished */
	struct obs cpu1;
} obs_sh;

static void gclk(uint64_t *p, uint64_t *g, uint64_t *rate)
{
	struct smccc_res res;

	smccc_hvc(VERGE_HC_CLOCK, 0, 0, 0, &res);
	*p = res.a1;
	*g = res.a2;
	*rate = res.a3;
}

static inline uint64_t rd_cntvct(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

/* Bursts until the host counter reaches until. */
static void observe(uint64_t until, struct obs *o)
{
	uint64_t v[OBS_BURST], p, p1, g1, g2, rate, worst = 0;

	*o = (struct obs){ 0 };
	gclk(&p, &g1, &rate);
	while (p < until) {
		p1 = p;
		for (unsigned i = 0; i < OBS_BURST; i++) {
			v[i] = rd_cntvct();
			for (unsigned k = 0; sparse && k < OBS_PAUSE; k++)
				__asm__ volatile("" ::: "memory");
		}
		gclk(&p, &g2, &rate);
		for (unsigned i = 0; i < OBS_BURST; i++) {
			uint64_t e = 0;

			if (v[i] > g2 && v[i] - g2 > o->err_ahead)
				e = o->err_ahead = v[i] - g2;
			if (v[i] < g1 && g1 - v[i] > o->err_behind)
				e = o->err_behind = g1 - v[i];
			if (e > worst) {
				worst = e;
				o->worst_span = p - p1;
				o->worst_at = i;
				o->worst_gap = i ? v[i] - v[i - 1] : v[0] - g1;
			}
			if (i && v[i] - v[i - 1] > o->jump)
				o->jump = v[i] - v[i - 1];
		}
		o->reads += OBS_BURST;
		o->bursts++;
		g1 = g2;
	}
}

static void cpu1_job(void)
{
	uint32_t seen = 0;
	struct obs o;

	for (;;) {
		while (obs_sh.gen == seen)
			;
		seen = obs_sh.gen;
		if (!obs_sh.until)
			return;
		observe(obs_sh.until, &o);
		obs_sh.cpu1 = o;
		dsb();
		obs_sh.done = seen;
	}
}

static void print_obs(unsigned cpu, const struct obs *o, uint64_t fg)
{
	printf("OBSERVED cpu%u: reads %lu bursts %lu ahead %lu behind %lu "
	       "jump %lu guest_freq %lu\n", cpu, o->reads, o->bursts,
	       o->err_ahead, o->err_behind, o->jump, fg);
	printf("OBSERVED worst: burst of %lu host ticks, read %lu, %lu ticks "
	       "after the one before\n", o->worst_span, o->worst_at,
	       o->worst_gap);
}

void test_vcounter_observed(void)
{
	uint64_t p, g, rate, last, fh, fg = timer_freq();
	struct smccc_res res;
	struct obs o;
	bool cpu1 = smp.started;

	if (!hv_require())
		return;
	sparse = dt_has("guest.obs=sparse");
	if (!hv_call(VERGE_HC_TICKS, &res) || res.a0 != 0 || !res.a3) {
		fail("VERGE_HC_TICKS failed");
		return;
	}
	fh = res.a3;
	if (cpu1)
		smp_post(cpu1_job);
	gclk(&p, &g, &last);
	printf("OBSERVE READY rate %lu/%lu cpu1 %u\n", last >> 32,
	       last & 0xffffffffu, cpu1);
	for (;;) {
		uint64_t t0 = p;

		do {
			gclk(&p, &g, &rate);
			if (p - t0 > OBS_WAIT_MS * fh / 1000) {
				fail("the rate did not change in %u s",
				     OBS_WAIT_MS / 1000);
				goto out;
			}
		} while (rate == last);
		last = rate;
		if ((rate >> 32) == (rate & 0xffffffffu))
			break;		/* rate 1: done */
		obs_sh.until = p + OBS_WINDOW_MS * fh / 1000;
		dsb();
		obs_sh.gen++;
		observe(obs_sh.until, &o);
		while (cpu1 && obs_sh.done != obs_sh.gen)
			;
		printf("OBSERVED rate %lu/%lu\n", rate >> 32,
		       rate & 0xffffffffu);
		print_obs(0, &o, fg);
		if (cpu1) {
			o = obs_sh.cpu1;
			print_obs(1, &o, fg);
		}
		printf("OBSERVED end\n");
	}
out:
	obs_sh.until = 0;
	dsb();
	obs_sh.gen++;
}
