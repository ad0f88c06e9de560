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
#include <core/sysreg_trap.h>
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

/* --- system registers ---------------------------------------------- */

/* Who owns which trapped register: the first entry that claims an
 * access and does not answer SYSREG_NOT_MINE handles it. */
static const struct sysreg_trap sysreg_traps[] = {
	/* CNTPCT_EL0, CNTP_*_EL0 (CNTHCTL_EL2.EL1PCTEN/EL1PCEN) */
	{ SYSREG_KEY(3, 3, 14, 0, 0), SYSREG_M_CRM, vtime_sysreg },
	{ SYSREG_KEY(3, 3, 14, 2, 0), SYSREG_M_CRM, vtime_sysreg },
	/* CNTV_*_EL0 (FEAT_ECV: CNTHCTL_EL2.EL1TVT, core/ecv.c) */
	{ SYSREG_KEY(3, 3, 14, 3, 0), SYSREG_M_CRM, vtime_sysreg },
	/* debug and DCC registers, the backdoor (MDCR_EL2.TDA) */
	{ SYSREG_KEY(2, 0, 0, 0, 0), SYSREG_M_OP0, debug_sysreg },
	/* PMU registers (MDCR_EL2.TPM) */
	{ SYSREG_KEY(3, 0, 9, 14, 0), SYSREG_M_CRM, pmu_sysreg },
	{ SYSREG_KEY(3, 3, 9, 0, 0), SYSREG_M_CRN, pmu_sysreg },
	{ SYSREG_KEY(3, 3, 14, 0, 0), SYSREG_M_CRN, pmu_sysreg },
	/* ICC_SGI1R_EL1, ICC_ASGI1R_EL1, ICC_SGI0R_EL1 */
	{ SYSREG_KEY(3, 0, 12, 11, 5), SYSREG_M_ALL, vgic_sysreg },
	{ SYSREG_KEY(3, 0, 12, 11, 6), SYSREG_M_ALL, vgic_sysreg },
	{ SYSREG_KEY(3, 0, 12, 11, 7), SYSREG_M_ALL, vgic_sysreg },
	/* the ID registers (HCR_EL2.TID3) */
	{ SYSREG_KEY(3, 0, 0, 0, 0), SYSREG_M_CRN, idregs_sysreg },
	/* RAS error records (HCR_EL2.TERR) */
	{ SYSREG_KEY(3, 0, 5, 0, 0), SYSREG_M_CRN, idregs_err_sysreg },
};

/* ISS of `mrs xzr, mdccsr_el0` (op0 2, op1 3, CRn 0, CRm 1, op2 0, Rt 31,
 * a read): the backdoor's trapping instruction, tried before the generic
 * decode. A backdoor call wins there as in debug_sysreg() (core/debug.c),
 * which no entry before it in the table above can claim. */
#define ISS_MRS_XZR_MDCCSR	(2u << 20 | 3u << 14 | 31u << 5 | 1u << 1 | 1u)

static void handle_sysreg(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	struct sysreg_info s;
	unsigned key;

	if (esr_iss(esr) == ISS_MRS_XZR_MDCCSR && backdoor_trap(c, f)) {
		f->elr += 4;
		return;
	}
	s = esr_sysreg_decode(esr);
	key = sysreg_key(&s);

	for (size_t i = 0; i < ARRAY_SIZE(sysreg_traps); i++) {
		const struct sysreg_trap *t = &sysreg_traps[i];

		if ((key & t->mask) != t->key)
			continue;
		switch (t->fn(c, f, esr, &s)) {
		case SYSREG_DONE:
			f->elr += 4;
			return;
		case SYSREG_INJECTED:
			return;
		case SYSREG_NOT_MINE:
			break;
		}
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
		v = frame_reg(f, d.reg);
		if (vgic_mmio(c, ipa, &d, &v) || wdt_mmio(c, ipa, &d, &v)) {
			if (!d.write)
				frame_set_reg(f, d.reg, v);
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

/* WFI traps while the guest's clock is dilated (HCR_EL2.TWI): the vCPU
 * waits at EL2, out of the clock's way (core/vtime.c). */
static void handle_wfx(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	f->elr += 4;
	if (!(esr_iss(esr) & 1))	/* WFI; a WFE is only a hint */
		vtime_idle(c);
}

/* FEAT_ECV: AArch32 EL0 reads of the trapped CNTVCT (core/ecv.c). */
static void handle_cp15_64(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	if (!ecv_cp15_64(c, f, esr))
		unknown_trap(c, f, esr);
}

static const trap_fn ec_handlers[EC_MAX] = {
	[EC_WFX] = handle_wfx,
	[EC_CP15_64] = handle_cp15_64,
	[EC_HVC64] = handle_hvc,
	[EC_SMC64] = handle_smc,
	[EC_SYSREG] = handle_sysreg,
	[EC_DABT_LOW] = handle_dabt,
	[EC_IABT_LOW] = handle_iabt,
};

static const uint8_t ec_class[EC_MAX] = {
	[EC_WFX] = EXIT_OTHER,
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
	tick_check(c);
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
	if (vgic_is_hv_owned(intid)) {
		/* Deactivated first: a handler that waits at EL2
		 * (trap_wait_irq) must see the same interrupt again. */
		gic_eoi(intid);
		gic_deactivate(intid);
		return hv_irq(c, intid);
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
	tick_check(c);
	count(c, k);
	c->frame = NULL;
}

void trap_wait_irq(struct cpu *c)
{
	dsb(sy);
	wfi();
	for (int i = 0; i < 8; i++) {
		unsigned intid = gic_ack();

		if (intid >= 1020 && intid <= 1023)
			break;
		irq_dispatch(c, intid);
	}
}

void trap_guest_serror(struct trap_frame *f)
{
	this_cpu()->frame = f;
	hv_panic("SError taken from the guest");
}
