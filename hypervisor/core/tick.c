// SPDX-License-Identifier: Apache-2.0
/* The EL2 tick and the periodic exit report. */
#include <arch/sysreg.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/tick.h>
#include <core/trap.h>
#include <core/vtime.h>
#include <core/wdt.h>

static uint64_t period;
static uint64_t next_stats;	/* counter value of the next exit report */

void tick_init(void)
{
	period = hv.cntfrq / hv.cfg.tick_hz;
}

uint64_t tick_period(void)
{
	return period;
}

/* The next tick, or the guest's virtual timer before it (vtime.c). */
static void arm(struct cpu *c)
{
	uint64_t at = c->vt.wake < c->next_tick ? c->vt.wake : c->next_tick;

	write_sysreg(cnthp_cval_el2, at);
	write_sysreg(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
}

void tick_arm(struct cpu *c)
{
	arm(c);
}

/* While dilating, every CPU's tick comes as often as the rate and the
 * error bound need (core/dilation.h); vtime_period() says. */
static uint64_t period_of(const struct cpu *c)
{
	(void)c;
	return vtime_period(period);
}

unsigned tick_hz(const struct cpu *c)
{
	return (unsigned)(hv.cntfrq / period_of(c));
}

void tick_start(struct cpu *c)
{
	c->next_tick = read_sysreg(cntpct_el0) + period;
	arm(c);
}

void tick_restart(struct cpu *c)
{
	c->next_tick = read_sysreg(cntpct_el0) + period_of(c);
	arm(c);
}

void tick_sleep_until(struct cpu *c, uint64_t until)
{
	while (read_sysreg(cntpct_el0) < until) {
		write_sysreg(cnthp_cval_el2,
			     until < c->next_tick ? until : c->next_tick);
		write_sysreg(cnthp_ctl_el2, CNT_CTL_ENABLE);
		isb();
		trap_wait_irq(c);
	}
	arm(c);
}

void tick_handle(struct cpu *c)
{
	uint64_t now = read_sysreg(cntpct_el0), step;

	if (now >= c->vt.wake)
		vtime_wake(c);	/* the guest's virtual timer is due */
	if (now < c->next_tick) {	/* tick_sleep_until(), or the wake */
		arm(c);
		return;
	}
	c->ticks++;
	vtime_tick(c);	/* may stall the guest for a while */
	wdt_tick();	/* the boot guard counts host time, on every CPU */
	mgmt_poll();	/* in case an interrupt was missed: on every CPU */
	if (c->id == 0) {
		/* By the counter, not by ticks: CPU 0's tick rate changes
		 * while it dilates. */
		if (hv.cfg.stats_s && now >= next_stats) {
			if (next_stats)	/* stamped with the tick that was due */
				stats_print_at(now);
			next_stats = now + hv.cntfrq * hv.cfg.stats_s;
		}
	}
	step = period_of(c);
	c->next_tick += step;
	now = read_sysreg(cntpct_el0);
	if (c->next_tick <= now)	/* we were late: do not catch up */
		c->next_tick = now + step;
	arm(c);
}

/*
 * Every exit from the guest (trap.c) ends here: a tick that is due but
 * whose interrupt has not come is taken now. Under QEMU the EL2 timer's
 * interrupt is raised by QEMU's main-loop thread, which a busy host can
 * keep off a core for hundreds of milliseconds while the vCPU's own thread
 * runs on (measured: tests/hv/test_dilation_observed.py); meanwhile the
 * guest would read CNTVCT with a CNTVOFF that has gone stale. The
 * lateness of the interrupt is logged when it doubles past 16 ms.
 */
void tick_check(struct cpu *c)
{
	static uint64_t late_logged;
	uint64_t now = read_sysreg(cntpct_el0), due, late;

	due = c->vt.wake < c->next_tick ? c->vt.wake : c->next_tick;
	if (now < due) {
		if (!c->vt.parked && vtime_stale())
			vtime_tick(c);	/* another CPU's tick went missing */
		return;
	}
	late = now - due;
	if (late >= hv.cntfrq / 64 && late >= 2 * late_logged) {
		late_logged = late;
		hv_log("tick: cpu%u: the timer interrupt is %lu ms late; taken at an exit instead",
		       c->id, late * 1000 / hv.cntfrq);
	}
	tick_handle(c);
}

uint64_t tick_now_ms(void)
{
	return read_sysreg(cntpct_el0) / (hv.cntfrq / 1000);
}

void stats_print(void)
{
	stats_print_at(read_sysreg(cntpct_el0));
}

void stats_print_at(uint64_t counter)
{
	static const char *const names[EXIT_NCLASSES] = {
		[EXIT_IRQ] = "irq", [EXIT_SGI] = "sgi", [EXIT_TICK] = "tick",
		[EXIT_MAINT] = "maint", [EXIT_HVC] = "hvc", [EXIT_SMC] = "smc",
		[EXIT_SYSREG] = "sysreg", [EXIT_DABT] = "dabt",
		[EXIT_IABT] = "iabt", [EXIT_OTHER] = "other",
	};
	uint64_t sum[EXIT_NCLASSES] = { 0 }, total = 0;
	char line[320];
	int n;

	for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
		total += hv_cpus[i].stats.total;
		for (unsigned k = 0; k < EXIT_NCLASSES; k++)
			sum[k] += hv_cpus[i].stats.by_class[k];
	}
	n = snprintf(line, sizeof(line), "exits t_ms=%lu total=%lu",
		     counter / (hv.cntfrq / 1000), total);
	for (unsigned k = 0; k < EXIT_NCLASSES && n < (int)sizeof(line); k++)
		n += snprintf(line + n, sizeof(line) - n, " %s=%lu", names[k],
			      sum[k]);
	hv_log("%s", line);
}
