// SPDX-License-Identifier: Apache-2.0
/* The panic path: say everything useful once, then stop every CPU. */
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/panic.h>
#include <core/vgic.h>
#include <core/wdt.h>
#include <printf.h>
#include <stdarg.h>

static volatile int panicking;

void hv_halt(void)
{
	__asm__ volatile("msr daifset, #0xf");
	for (;;)
		wfi();
}

static void dump_el2(void)
{
	hv_log("ESR_EL2=0x%016lx ELR_EL2=0x%016lx FAR_EL2=0x%016lx",
	       read_sysreg(esr_el2), read_sysreg(elr_el2), read_sysreg(far_el2));
	hv_log("SPSR_EL2=0x%016lx HPFAR_EL2=0x%016lx",
	       read_sysreg(spsr_el2), read_sysreg(hpfar_el2));
}

static void dump_frame(const char *who, const struct trap_frame *f)
{
	hv_log("%s context: pc=0x%016lx pstate=0x%08lx", who, f->elr, f->spsr);
	for (int i = 0; i < 31; i += 4)
		hv_log("  x%-2d=%016lx x%-2d=%016lx x%-2d=%016lx x%-2d=%016lx",
		       i, f->x[i], i + 1, i + 1 < 31 ? f->x[i + 1] : 0,
		       i + 2, i + 2 < 31 ? f->x[i + 2] : 0,
		       i + 3, i + 3 < 31 ? f->x[i + 3] : 0);
}

static void __attribute__((noreturn)) stop_all(void)
{
	unsigned online = 0;

	for (unsigned i = 0; i < HV_MAX_CPUS; i++)
		online += hv_cpus[i].online;
	if (online > 1)
		gic_send_sgi_others(INTID_HV_SGI);
	hv_log("all CPUs stopped");
	hv_halt();
}

static void begin(void)
{
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL))
		hv_halt();	/* someone else is reporting */
	wdt_panic();	/* the board's watchdog, if any, resets the board */
}

void hv_panic(const char *fmt, ...)
{
	struct cpu *c = this_cpu();
	char msg[160];
	va_list ap;

	begin();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hv_log("PANIC on cpu%u: %s", c->id, msg);
	dump_el2();
	if (c->frame)
		dump_frame("guest", c->frame);
	stop_all();
}

void hv_fault(struct trap_frame *f, unsigned vector)
{
	begin();
	hv_log("PANIC on cpu%u: hypervisor exception, vector 0x%x",
	       this_cpu()->id, vector * 0x80);
	dump_el2();
	dump_frame("hypervisor", f);
	if (this_cpu()->frame)
		dump_frame("guest", this_cpu()->frame);
	stop_all();
}

void panic_sgi(void)
{
	if (panicking)
		hv_halt();
}
