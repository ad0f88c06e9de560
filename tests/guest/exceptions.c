// SPDX-License-Identifier: Apache-2.0
/*
 * Exception dispatch. A test arms the probe, runs one instruction that
 * must fault, and reads what was caught. Anything unexpected ends the run
 * on CPU 0; on CPU 1 it is recorded for CPU 0 to report.
 */
#include "gic.h"
#include "guest.h"

struct frame {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
	uint64_t pad;
};

enum { VEC_SYNC_SPX = 4, VEC_IRQ_SPX = 5, VEC_SYNC_EL0 = 8,
       VEC_SYNC_EL0_A32 = 12 };

#define PSR_I		(1u << 7)
#define IRQ_STORM	1000	/* unexpected IRQs before giving up on IRQs */

static volatile struct {
	bool armed;
	bool taken;
	struct fault fault;
} probe;

static volatile uint32_t unexpected_irqs;
uint32_t el0_vector;

void exception_dispatch(struct frame *f, uint64_t kind);

void vectors_install(void)
{
	write_sysreg(vbar_el1, (uintptr_t)vectors);
	isb();
}

void probe_arm(void)
{
	probe.taken = false;
	probe.armed = true;
}

bool probe_result(struct fault *ret_fault)
{
	probe.armed = false;
	if (!probe.taken)
		return false;
	ret_fault->esr = probe.fault.esr;
	ret_fault->far = probe.fault.far;
	ret_fault->elr = probe.fault.elr;
	return true;
}

uint32_t irq_unexpected(void)
{
	return unexpected_irqs;
}

/* An aborted branch returns to its caller; anything else is skipped. */
static bool probe_catch(struct frame *f)
{
	if (!probe.armed || cpu_id() != 0)
		return false;
	probe.armed = false;
	probe.taken = true;
	probe.fault.esr = read_sysreg(esr_el1);
	probe.fault.far = read_sysreg(far_el1);
	probe.fault.elr = f->elr;
	if (ESR_EC(probe.fault.esr) == EC_IABT_CUR)
		f->elr = f->x[30];
	else
		f->elr += 4;
	return true;
}

/* An interrupt that keeps coming back leaves IRQs masked on return. */
static void irq_handle(struct frame *f)
{
	uint32_t intid = gic_ack();

	if (intid >= GIC_SPURIOUS)
		return;
	if (intid == VTIMER_PPI)
		vtimer_irq();
	else if (intid == PTIMER_PPI)
		ptimer_irq();
	else if (intid < 16)
		smp_sgi(intid);
	else if (intid == WDT_IRQ_INTID)
		wdt_irq();
	else if (intid == DOORBELL_IRQ_INTID)
		doorbell_irq();
	else if (++unexpected_irqs >= IRQ_STORM)
		f->spsr |= PSR_I;
	gic_eoi(intid);
}

static void __attribute__((noreturn)) unexpected(struct frame *f, uint64_t kind)
{
	uint64_t esr = read_sysreg(esr_el1);

	if (cpu_id() != 0) {
		smp.fault_esr = esr | 1ull << 63;
		for (;;)
			wfi();
	}
	fail("unexpected exception: vector %lu ESR 0x%lx ELR 0x%lx FAR 0x%lx",
	     kind, esr, f->elr, read_sysreg(far_el1));
	finish();
}

void exception_dispatch(struct frame *f, uint64_t kind)
{
	if (kind == VEC_IRQ_SPX) {
		irq_handle(f);
		return;
	}
	if (kind == VEC_SYNC_SPX && probe_catch(f))
		return;
	if ((kind == VEC_SYNC_EL0 || kind == VEC_SYNC_EL0_A32) && el0_cur &&
	    cpu_id() == 0) {
		el0_vector = (uint32_t)kind;
		el0_exit(f->x, read_sysreg(esr_el1), f->elr);
		f->elr = (uintptr_t)el0_return;
		f->spsr = 0x3c5;	/* EL1h, D A I F masked */
		return;
	}
	unexpected(f, kind);
}
