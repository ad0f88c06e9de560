// SPDX-License-Identifier: Apache-2.0
/*
 * Time from CNTVCT_EL0, and a periodic virtual timer (PPI 27) driven by
 * CNTV_CVAL_EL0 so that late interrupts do not make it drift.
 */
#include "guest.h"

#define CNTV_CTL_ENABLE	(1u << 0)
#define CNTV_CTL_IMASK	(1u << 1)
#define VT_MAX		10000

static uint64_t vt_period;
static uint64_t vt_cval;
static volatile uint32_t vt_count;
static volatile uint64_t vt_seen_cntvct, vt_seen_ctl;	/* in the handler */

uint64_t timer_now(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

uint64_t timer_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

uint64_t ms_to_ticks(uint64_t ms)
{
	return timer_freq() / 1000 * ms;
}

void delay_ms(uint64_t ms)
{
	uint64_t end = timer_now() + ms_to_ticks(ms);

	while (timer_now() < end)
		;
}

/* Wait until *p differs from old; false on timeout. */
bool wait_change(const volatile uint32_t *p, uint32_t old, uint64_t ms)
{
	uint64_t end = timer_now() + ms_to_ticks(ms);

	while (*p == old)
		if (timer_now() >= end)
			return false;
	return true;
}

void vtimer_start(uint32_t hz)
{
	vt_count = 0;
	vt_period = timer_freq() / hz;
	vt_cval = timer_now() + vt_period;
	write_sysreg(cntv_cval_el0, vt_cval);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
}

void vtimer_stop(void)
{
	write_sysreg(cntv_ctl_el0, CNTV_CTL_IMASK);
	isb();
}

/* One interrupt at CNTVCT = cval (vt_period 0: the handler stops it). */
void vtimer_oneshot(uint64_t cval)
{
	vt_period = 0;
	vt_cval = cval;
	write_sysreg(cntv_cval_el0, cval);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
}

/* CNTVCT and CNTV_CTL as the last handler saw them. */
void vtimer_seen(uint64_t *ret_cntvct, uint64_t *ret_ctl)
{
	*ret_cntvct = vt_seen_cntvct;
	*ret_ctl = vt_seen_ctl;
}

/* Stops itself after VT_MAX interrupts, should they ever storm. */
void vtimer_irq(void)
{
	vt_seen_cntvct = timer_now();
	vt_seen_ctl = read_sysreg(cntv_ctl_el0);
	if (!vt_period) {
		vt_count++;
		vtimer_stop();
		return;
	}
	if (++vt_count >= VT_MAX) {
		vtimer_stop();
		return;
	}
	vt_cval += vt_period;
	write_sysreg(cntv_cval_el0, vt_cval);
	isb();
}

uint32_t vtimer_count(void)
{
	return vt_count;
}
