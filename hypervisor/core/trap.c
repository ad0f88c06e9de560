// SPDX-License-Identifier: Apache-2.0
/*
 * Trap dispatch: one handler per exception class (ESR_EL2.EC), and for
 * system register traps one per register. Anything else is reported and
 * becomes an UNDEF in the guest: never ignored.
 */
#include <arch/arch.h>
#include <arch/esr.h>
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/backdoor_trap.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/debug.h>
#include <core/ecv.h>
#include <core/hv.h>
#include <core/panic.h>
#include <core/pmu.h>
#include <core/tick.h>
#include <core/trap.h>
#include <core/vgic.h>
#include <core/mgmt.h>
#include <core/vtime.h>
#include <verge_psci.h>
#include <core/wdt.h>

#define HVC_BACKDOOR	0x86

typedef void (*trap_fn)(struct cpu *c, struct trap_frame *f, uint64_t esr);

static void unknown_trap(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	hv_report("cpu%u: unhandled trap EC=0x%02x ISS=0x%07x at pc 0x%lx: UNDEF injected",
		  c->id, esr_ec(esr), esr_iss(esr), f->elr);
	inject_undef(f);
}

static uint64_t reg_get(const struct trap_frame *f, unsigned r)
{
	return r == 31 ? 0 : f->x[r];
}

static void reg_set(struct trap_frame *f, unsigned r, uint64_t v)
{
	if (r != 31)
		f->x[r] = v;
}

/* --- system registers ---------------------------------------------- */

typedef void (*sysreg_fn)(struct cpu *c, struct trap_frame *f,
			  const struct sysreg_info *s);

static void sysreg_sgi1r(struct cpu *c, struct trap_frame *f,
			 const struct sysreg_info *s)
{
	(void)c;
	vgic_guest_sgi(reg_get(f, s->reg));
}

static void sysreg_sgi0r(struct cpu *c, struct trap_frame *f,
			 const struct sysreg_info *s)
{
	(void)f;
	(void)s;
	hv_report("cpu%u: guest Group 0 SGI dropped (Group 0 is not offered)",
		  c->id);
}

static const struct {
	unsigned key;
	bool writeonly;
	sysreg_fn fn;
} sysregs[] = {
	{ SYSREG_KEY(3, 0, 12, 11, 5), true, sysreg_sgi1r },	/* ICC_SGI1R_EL1 */
	{ SYSREG_KEY(3, 0, 12, 11, 6), true, sysreg_sgi1r },	/* ICC_ASGI1R_EL1 */
	{ SYSREG_KEY(3, 0, 12, 11, 7), true, sysreg_sgi0r },	/* ICC_SGI0R_EL1 */
};

static void handle_sysreg(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	struct sysreg_info s = esr_sysreg_decode(esr);

	if (vtime_sysreg(c, f, &s)) {
		f->elr += 4;
		return;
	}
	switch (debug_sysreg(c, f, esr, &s)) {
	case DEBUG_DONE:
		f->elr += 4;
		return;
	case DEBUG_INJECTED:
		return;
	case DEBUG_NOT_MINE:
		break;
	}
	switch (pmu_sysreg(f, &s)) {
	case PMU_DONE:
		f->elr += 4;
		return;
	case PMU_INJECTED:
		return;
	case PMU_NOT_MINE:
		break;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sysregs); i++) {
		if (sysregs[i].key != sysreg_key(&s))
			continue;
		if (sysregs[i].writeonly && s.read)
			break;
		sysregs[i].fn(c, f, &s);
		f->elr += 4;
		return;
	}
	hv_report("cpu%u: %s S%u_%u_C%u_C%u_%u at pc 0x%lx: UNDEF injected",
		  c->id, s.read ? "read of" : "write to", s.op0, s.op1, s.crn,
		  s.crm, s.op2, f->elr);
	inject_undef(f);
}

/* --- aborts -------------------------------------------------------- */

static const char *describe(uint64_t ipa)
{
	const struct region *r;

	if (ipa >= hv.base && ipa < hv.end)
		return "hypervisor memory";
	r = platform_find(&hv.plat, ipa);
	return r ? region_kind_name(r->kind) : "nothing mapped";
}

static void guest_abort(struct cpu *c, struct trap_frame *f, bool insn,
			bool write, uint64_t ipa)
{
	uint64_t far = read_sysreg(far_el2);

	hv_report("cpu%u: guest %s at IPA 0x%lx (%s), pc 0x%lx: external abort injected",
		  c->id, insn ? "instruction fetch" : write ? "write" : "read",
		  ipa, describe(ipa), f->elr);
	inject_abort(f, insn, write, far);
}

static uint64_t fault_ipa(void)
{
	return ((read_sysreg(hpfar_el2) & 0x00000ffffffffff0UL) << 8) |
	       (read_sysreg(far_el2) & 0xfff);
}

static void handle_dabt(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	struct dabt_info d = esr_dabt_decode(esr);
	uint64_t ipa = fault_ipa(), v;

	if (esr_fsc_is_translation(d.fsc) && d.isv) {
		v = reg_get(f, d.reg);
		if (vgic_mmio(c, ipa, &d, &v) || wdt_mmio(c, ipa, &d, &v)) {
			if (!d.write)
				reg_set(f, d.reg, v);
			f->elr += esr & ESR_IL ? 4 : 2;	/* T32 has 16-bit loads */
			return;
		}
	}
	guest_abort(c, f, false, d.write, ipa);
}

static void handle_iabt(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	(void)esr;
	guest_abort(c, f, true, false, fault_ipa());
}

/* --- calls --------------------------------------------------------- */

/* HVC #0: verge's own calls; HVC #0x86: the backdoor (docs/backdoor.md).
 * ELR already points past the HVC. */
static void handle_hvc(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	unsigned imm = esr_imm16(esr);

	if (imm == 0)
		hypercall_handle(c, f);
	else if (imm != HVC_BACKDOOR || !backdoor_trap(c, f))
		unknown_trap(c, f, esr);
}

static void handle_smc(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	f->elr += 4;	/* a trapped SMC returns to itself */
	if (esr_imm16(esr) != 0) {	/* not an SMCCC call */
		f->x[0] = (uint64_t)SMCCC_NOT_SUPPORTED;
		return;
	}
	psci_handle(c, f);
}

/* FEAT_ECV: AArch32 EL0 reads of the trapped CNTVCT (core/ecv.c). */
static void handle_cp15_64(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	if (!ecv_cp15_64(c, f, esr))
		unknown_trap(c, f, esr);
}

static const trap_fn ec_handlers[EC_MAX] = {
	[EC_CP15_64] = handle_cp15_64,
	[EC_HVC64] = handle_hvc,
	[EC_SMC64] = handle_smc,
	[EC_SYSREG] = handle_sysreg,
	[EC_DABT_LOW] = handle_dabt,
	[EC_IABT_LOW] = handle_iabt,
};

static const uint8_t ec_class[EC_MAX] = {
	[EC_CP15_64] = EXIT_SYSREG,
	[EC_HVC64] = EXIT_HVC,
	[EC_SMC64] = EXIT_SMC,
	[EC_SYSREG] = EXIT_SYSREG,
	[EC_DABT_LOW] = EXIT_DABT,
	[EC_IABT_LOW] = EXIT_IABT,
};

static void count(struct cpu *c, enum exit_class k)
{
	c->stats.total++;
	c->stats.by_class[k]++;
}

void trap_guest_sync(struct trap_frame *f)
{
	struct cpu *c = this_cpu();
	uint64_t esr = read_sysreg(esr_el2);
	unsigned ec = esr_ec(esr);
	trap_fn fn = ec_handlers[ec];

	c->frame = f;
	count(c, ec_handlers[ec] ? ec_class[ec] : EXIT_OTHER);
	if (fn)
		fn(c, f, esr);
	else
		unknown_trap(c, f, esr);
	if (c->vgic.nqueued)
		vgic_flush(c);
	c->frame = NULL;
}

/* --- interrupts ---------------------------------------------------- */

/* One of the hypervisor's own interrupts. */
static enum exit_class hv_irq(struct cpu *c, unsigned intid)
{
	switch (intid) {
	case INTID_HV_TIMER:
		tick_handle(c);
		return EXIT_TICK;
	case INTID_MAINT:
		vgic_flush(c);
		return EXIT_MAINT;
	case INTID_HV_SGI:
		panic_sgi();
		vtime_sgi(c);
		return EXIT_OTHER;
	default:
		if (mgmt_is_irq(intid))
			mgmt_irq();
		return EXIT_OTHER;
	}
}

static enum exit_class irq_dispatch(struct cpu *c, unsigned intid)
{
	enum exit_class k;

	if (vgic_is_hv_owned(intid)) {
		gic_eoi(intid);
		k = hv_irq(c, intid);
		gic_deactivate(intid);
		return k;
	}
	gic_eoi(intid);
	if (intid < 16) {	/* guest SGI: no HW link for SGIs */
		gic_deactivate(intid);
		vgic_inject(c, intid, false);
		return EXIT_SGI;
	}
	vgic_inject(c, intid, intid < GIC_MAX_INTID);
	return EXIT_IRQ;
}

void trap_guest_irq(struct trap_frame *f)
{
	struct cpu *c = this_cpu();
	enum exit_class k = EXIT_OTHER;

	c->frame = f;
	for (int i = 0; i < 8; i++) {
		unsigned intid = gic_ack();

		if (intid >= 1020 && intid <= 1023)
			break;
		k = irq_dispatch(c, intid);
	}
	count(c, k);
	c->frame = NULL;
}

void trap_guest_serror(struct trap_frame *f)
{
	this_cpu()->frame = f;
	hv_panic("SError taken from the guest");
}
