// SPDX-License-Identifier: Apache-2.0
/* Interrupts through the GIC: the virtual timer on CPU 0, an SGI to CPU 1. */
#include "gic.h"

#define VTIMER_HZ	100
#define VTIMER_MS	500
#define SGI_TEST	1

static bool gic_require(void)
{
	if (gic_status == 0)
		return true;
	fail("GIC set-up on CPU 0 failed (%d)", gic_status);
	return false;
}

/* One window of VTIMER_MS of guest time with the periodic virtual timer
 * on: how many interrupts came. */
static uint32_t vtimer_window(uint64_t *ret_ms)
{
	uint64_t t0;

	vtimer_start(VTIMER_HZ);
	t0 = timer_now();
	irq_enable();
	delay_ms(VTIMER_MS);
	irq_disable();
	vtimer_stop();
	*ret_ms = (timer_now() - t0) * 1000 / timer_freq();
	return vtimer_count();
}

/* The rate is right in at least one of three windows: a hypervisor that
 * gets it wrong gets it wrong every time, while a host too busy to run
 * the vCPU's thread can spoil one window of dilated time (a statistical
 * rule, not a host-time bound). */
void test_vtimer_rate(void)
{
	uint32_t unexpected = irq_unexpected();
	uint32_t want = VTIMER_HZ * VTIMER_MS / 1000, n = 0;
	uint64_t ms = 0;

	if (!gic_require())
		return;
	gic_enable_ppi(VTIMER_PPI);
	for (unsigned i = 0; i < 3; i++) {
		n = vtimer_window(&ms);
		info("%u interrupts (INTID 27) in %lu ms, CNTFRQ %lu Hz", n, ms,
		     timer_freq());
		if (n >= want - want / 10 && n <= want + want / 10)
			break;
	}
	if (n < want - want / 10 || n > want + want / 10)
		fail("%u timer interrupts in %u ms at %u Hz, expected %u +- 10%% (3 windows)",
		     n, VTIMER_MS, VTIMER_HZ, want);
	if (irq_unexpected() != unexpected)
		fail("%u interrupts with an unexpected INTID",
		     irq_unexpected() - unexpected);
}

void test_sgi_cross_cpu(void)
{
	uint32_t before = smp.sgi_count;

	if (!gic_require())
		return;
	if (!smp.started || !smp.gic_ok) {
		fail("CPU 1 not ready (started %u, GIC ok %u)", smp.started,
		     smp.gic_ok);
		return;
	}
	gic_send_sgi(SGI_TEST, CPU1_MPIDR);
	/* A deadline for liveness, not speed: a loaded host may not run
	 * CPU 1's thread for a while; a lost SGI never arrives. */
	if (!wait_change(&smp.sgi_count, before, 5000)) {
		fail("CPU 1 acked no SGI within 5 s (fault ESR 0x%lx)",
		     smp.fault_esr);
		return;
	}
	expect_eq("INTID acked by CPU 1", smp.last_sgi, SGI_TEST);
}

/*
 * More SGIs pending at once than the hypervisor has list registers (QEMU
 * has 4): with IRQs masked, CPU 0 sends itself SGIs 2-9; once unmasked,
 * every one must arrive (the overflow waits for the maintenance IRQ).
 */
#define LR_SGI_FIRST	2
#define LR_SGI_COUNT	8

void test_lr_overflow(void)
{
	uint32_t want = ((1u << LR_SGI_COUNT) - 1) << LR_SGI_FIRST;

	if (!gic_require())
		return;
	irq_disable();
	smp.sgi_mask = 0;
	for (unsigned i = 0; i < LR_SGI_COUNT; i++)
		gic_send_sgi(LR_SGI_FIRST + i, 0);
	delay_ms(5);
	irq_enable();
	/* all of them within a second (a wait, not a bound) */
	for (uint64_t end = timer_now() + ms_to_ticks(1000);
	     smp.sgi_mask != want && timer_now() < end;)
		delay_ms(10);
	irq_disable();
	expect_eq("SGIs received (bit mask)", smp.sgi_mask, want);
}
