// SPDX-License-Identifier: Apache-2.0
/*
 * Trapped debug register accesses (op0 = 2). Which registers TDA traps
 * and how they behave: Arm ARM D19 (AArch64 debug registers) and the
 * MDSCR_EL1.TDCC pseudocode of MDCCSR_EL0 / DBGDTR*_EL0: an EL0 access
 * with TDCC set is trapped to EL1 with EC 0x18, before any EL2 trap.
 */
#include <arch/arch.h>
#include <arch/sysreg.h>
#include <core/backdoor_trap.h>
#include <core/compat.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/debug.h>
#include <core/sysreg_trap.h>

#define MDSCR_TDCC	(1UL << 12)
#define MDSCR_EL1	SYSREG_KEY(2, 0, 0, 2, 2)
#define MDCCINT_EL1	SYSREG_KEY(2, 0, 0, 2, 0)
#define MDCCSR_EL0	SYSREG_KEY(2, 3, 0, 1, 0)
#define DBGDTR_EL0	SYSREG_KEY(2, 3, 0, 4, 0)
#define DBGDTRXX_EL0	SYSREG_KEY(2, 3, 0, 5, 0)	/* RX read, TX write */
#define DBGCLAIMSET_EL1	SYSREG_KEY(2, 0, 7, 8, 6)
#define DBGCLAIMCLR_EL1	SYSREG_KEY(2, 0, 7, 9, 6)
#define DBGAUTHSTATUS_EL1 SYSREG_KEY(2, 0, 7, 14, 6)

typedef enum sysreg_result (*dbg_fn)(struct cpu *c, struct trap_frame *f,
				    uint64_t esr, const struct sysreg_info *s);

static bool from_el0(const struct trap_frame *f)
{
	return (f->spsr & SPSR_MODE_MASK) == SPSR_MODE_EL0T;
}

static enum sysreg_result undef(struct trap_frame *f)
{
	inject_undef(f);
	return SYSREG_INJECTED;
}

void debug_cpu_init(struct cpu *c)
{
	c->mdscr = 0;
	write_sysreg(mdscr_el1, 0);
}

static enum sysreg_result do_mdscr(struct cpu *c, struct trap_frame *f,
				  uint64_t esr, const struct sysreg_info *s)
{
	(void)esr;
	if (s->read) {
		frame_set_reg(f, s->reg, c->mdscr);
		return SYSREG_DONE;
	}
	/* The hardware gets every bit (single step, MDE, KDE work as
	 * before) but TDCC: with it set, a CPU that implements it would
	 * trap EL0's backdoor calls to EL1 before TDA could take them to
	 * EL2. TDCC lives in the shadow and is emulated here. */
	c->mdscr = frame_reg(f, s->reg);
	write_sysreg(mdscr_el1, c->mdscr & ~MDSCR_TDCC);
	return SYSREG_DONE;
}

/* An EL0 DCC access while the guest's TDCC is set. */
static bool tdcc_trap(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	if (!from_el0(f) || !(c->mdscr & MDSCR_TDCC))
		return false;
	inject_sysreg_trap(f, esr_iss(esr));
	return true;
}

/* MDCCSR_EL0: `mrs xzr` with the backdoor's x7 is a backdoor call (from
 * EL0 whatever TDCC says); everything else is a DCC status read. */
static enum sysreg_result do_mdccsr(struct cpu *c, struct trap_frame *f,
				   uint64_t esr, const struct sysreg_info *s)
{
	if (!s->read)
		return undef(f);	/* read-only */
	if (s->reg == 31 && backdoor_trap(c, f))
		return SYSREG_DONE;
	if (tdcc_trap(c, f, esr))
		return SYSREG_INJECTED;
	frame_set_reg(f, s->reg, read_sysreg(mdccsr_el0));
	return SYSREG_DONE;
}

static enum sysreg_result do_dtr(struct cpu *c, struct trap_frame *f,
				uint64_t esr, const struct sysreg_info *s)
{
	bool dtr = sysreg_key(s) == DBGDTR_EL0;

	if (tdcc_trap(c, f, esr))
		return SYSREG_INJECTED;
	if (s->read)
		frame_set_reg(f, s->reg, dtr ? read_sysreg(dbgdtr_el0) :
					read_sysreg(dbgdtrrx_el0));
	else if (dtr)
		write_sysreg(dbgdtr_el0, frame_reg(f, s->reg));
	else
		write_sysreg(dbgdtrtx_el0, frame_reg(f, s->reg));
	return SYSREG_DONE;
}

/* EL1 registers that the hardware keeps for the guest as they are. */
static enum sysreg_result do_passthrough(struct cpu *c, struct trap_frame *f,
					uint64_t esr,
					const struct sysreg_info *s)
{
	unsigned key = sysreg_key(s);
	uint64_t v = frame_reg(f, s->reg);

	(void)c;
	(void)esr;
	if (key == MDCCINT_EL1 && s->read)
		v = read_sysreg(mdccint_el1);
	else if (key == MDCCINT_EL1)
		write_sysreg(mdccint_el1, v);
	else if (key == DBGCLAIMSET_EL1 && s->read)
		v = read_sysreg(dbgclaimset_el1);
	else if (key == DBGCLAIMSET_EL1)
		write_sysreg(dbgclaimset_el1, v);
	else if (key == DBGCLAIMCLR_EL1 && s->read)
		v = read_sysreg(dbgclaimclr_el1);
	else if (key == DBGCLAIMCLR_EL1)
		write_sysreg(dbgclaimclr_el1, v);
	else if (s->read)
		v = read_sysreg(dbgauthstatus_el1);
	else
		return undef(f);	/* DBGAUTHSTATUS_EL1 is read-only */
	if (s->read)
		frame_set_reg(f, s->reg, v);
	return SYSREG_DONE;
}

static const struct {
	unsigned key;
	dbg_fn fn;
} regs[] = {
	{ MDSCR_EL1, do_mdscr },
	{ MDCCSR_EL0, do_mdccsr },
	{ DBGDTR_EL0, do_dtr },
	{ DBGDTRXX_EL0, do_dtr },
	{ MDCCINT_EL1, do_passthrough },
	{ DBGCLAIMSET_EL1, do_passthrough },
	{ DBGCLAIMCLR_EL1, do_passthrough },
	{ DBGAUTHSTATUS_EL1, do_passthrough },
};

/* DBGBVR<n>_EL1 .. DBGWCR<n>_EL1: op1 0, CRn 0, CRm n, op2 4-7. */
static enum sysreg_result do_bkpt(struct trap_frame *f,
				 const struct sysreg_info *s)
{
	enum dbg_kind k = (enum dbg_kind)(s->op2 - 4);

	if (s->crm >= dbg_count(k))
		return undef(f);	/* not implemented: UNDEFINED */
	if (s->read)
		frame_set_reg(f, s->reg, dbg_read(k, s->crm));
	else
		dbg_write(k, s->crm, frame_reg(f, s->reg));
	return SYSREG_DONE;
}

enum sysreg_result debug_sysreg(struct cpu *c, struct trap_frame *f,
			       uint64_t esr, const struct sysreg_info *s)
{
	if (s->op1 == 0 && s->crn == 0 && s->op2 >= 4)
		return do_bkpt(f, s);
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		if (regs[i].key == sysreg_key(s))
			return regs[i].fn(c, f, esr, s);
	return SYSREG_NOT_MINE;
}
