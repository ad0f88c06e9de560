// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's view of the ID registers (HCR_EL2.TID3): the policy is the
 * table below, one row per register and field; docs/hypervisor.md holds
 * the same table. A register that is not listed reads as zero (what the
 * architecture says of the unallocated ones, and what we say of those we
 * have not reviewed); a listed register is the core's value with the
 * listed fields replaced. The guest is never told of a feature verge-hv
 * cannot give it: EL2 and EL3, SPE, TRBE and trace, AMU, MPAM, RME,
 * nested virtualisation, RAS error records, LORegions, ...
 */
#include <arch/arch.h>
#include <core/compat.h>
#include <core/cpu.h>
#include <core/idregs.h>
#include <core/sysreg_trap.h>

enum id_how {
	ID_ZERO,	/* the guest sees 0: not offered */
	ID_CAP,		/* the smaller of the core's value and `value` */
};

struct id_field {
	uint8_t shift;
	uint8_t how;
	uint8_t value;
};

#define ID_FIELDS	10

struct id_reg {
	uint8_t crm, op2;
	struct id_field fields[ID_FIELDS];	/* 4-bit fields */
	uint8_t nfields;
};

#define Z(s)		{ (s), ID_ZERO, 0 }
#define CAP(s, v)	{ (s), ID_CAP, (v) }
#define REG(m, o, ...)	{ (m), (o), { __VA_ARGS__ }, \
			  sizeof((struct id_field[]){ __VA_ARGS__ }) / \
			  sizeof(struct id_field) }
#define PASS(m, o)	{ (m), (o), { { 0, 0, 0 } }, 0 }

/* Why each field is hidden: docs/hypervisor.md, "What the guest sees". */
static const struct id_reg policy[] = {
	/* AArch32 (EL0 only) */
	REG(1, 0, Z(20), CAP(28, 1)),			/* ID_PFR0: AMU, RAS */
	REG(1, 1, Z(4), Z(12), Z(20), Z(28)),		/* ID_PFR1: Security, Virtualization, Sec_frac, Virt_frac */
	REG(1, 2, Z(12), Z(16), Z(28)),			/* ID_DFR0: CopTrc, MMapTrc, TraceFilt */
	PASS(1, 4), PASS(1, 5), PASS(1, 6), PASS(1, 7),	/* ID_MMFR0-3 */
	PASS(2, 0), PASS(2, 1), PASS(2, 2), PASS(2, 3),	/* ID_ISAR0-3 */
	PASS(2, 4), PASS(2, 5), PASS(2, 6), PASS(2, 7),	/* ID_ISAR4-5, ID_MMFR4, ID_ISAR6 */
	PASS(3, 0), PASS(3, 1), PASS(3, 2),		/* MVFR0-2 */
	PASS(3, 4), PASS(3, 5), PASS(3, 6),		/* ID_PFR2, ID_DFR1, ID_MMFR5 */
	/* ID_AA64PFR0: EL2, EL3, RAS, SEL2, MPAM, AMU, RME, CSV2 */
	REG(4, 0, Z(8), Z(12), CAP(28, 1), Z(36), Z(40), Z(44), Z(52),
	    CAP(56, 1)),
	/* ID_AA64PFR1: RAS_frac, MPAM_frac, RNDR_trap, CSV2_frac, NMI, GCS,
	 * THE, MTEX, DF2, PFAR */
	REG(4, 1, Z(12), Z(16), Z(28), CAP(32, 1), Z(36), Z(44), Z(48),
	    Z(52), Z(56), Z(60)),
	PASS(4, 4),					/* ID_AA64ZFR0 */
	PASS(4, 5),					/* ID_AA64SMFR0 */
	/* ID_AA64DFR0: TraceVer, PMSS, SEBEP, PMSVer, TraceFilt,
	 * TraceBuffer, BRBE, ExtTrcBuff */
	REG(5, 0, Z(4), Z(16), Z(24), Z(32), Z(40), Z(44), Z(52), Z(56)),
	REG(6, 0, Z(24)),				/* ID_AA64ISAR0: TME */
	REG(6, 1, Z(60)),				/* ID_AA64ISAR1: LS64 */
	REG(6, 2, Z(32), Z(36)),			/* ID_AA64ISAR2: SYSREG_128, SYSINSTR_128 */
	REG(7, 0, Z(56), CAP(60, 1)),			/* ID_AA64MMFR0: FGT, ECV */
	REG(7, 1, Z(8), Z(16), Z(32), Z(40)),		/* ID_AA64MMFR1: VH, LO, TWED, HCX */
	REG(7, 2, Z(24), Z(40), Z(56)),			/* ID_AA64MMFR2: NV, FWB, EVT */
};

static uint64_t apply(const struct id_reg *r, uint64_t v)
{
	for (unsigned i = 0; i < r->nfields; i++) {
		const struct id_field *fl = &r->fields[i];
		uint64_t mask = 0xfUL << fl->shift;
		uint64_t cur = (v & mask) >> fl->shift;
		uint64_t want = fl->how == ID_CAP && cur < fl->value ?
				cur : fl->value;

		v = (v & ~mask) | (want << fl->shift);
	}
	return v;
}

uint64_t idregs_guest_view(unsigned crm, unsigned op2,
			   bool (*read_core)(unsigned crm, unsigned op2,
					     uint64_t *ret))
{
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(policy); i++) {
		if (policy[i].crm != crm || policy[i].op2 != op2)
			continue;
		if (!read_core(crm, op2, &v))
			return 0;
		return apply(&policy[i], v);
	}
	return 0;
}

/* (3, 0, 0, 1-7, op2): read-only; a write is not ours (UNDEF). */
enum sysreg_result idregs_sysreg(struct cpu *c, struct trap_frame *f,
				 uint64_t esr, const struct sysreg_info *s)
{
	(void)c;
	(void)esr;
	if (!s->read || s->crm < 1 || s->crm > 7)
		return SYSREG_NOT_MINE;
	frame_set_reg(f, s->reg, idregs_guest_view(s->crm, s->op2,
						   arch_id_read));
	return SYSREG_DONE;
}

/*
 * RAS error records (HCR_EL2.TERR): the guest is told of FEAT_RAS (its
 * ESB and SError syndromes) but of no error record: ERRIDR_EL1 reads 0,
 * ERRSELR_EL1 and the ERX* registers read 0 and ignore writes, as the
 * architecture allows when ERRSELR_EL1 selects no record.
 */
enum sysreg_result idregs_err_sysreg(struct cpu *c, struct trap_frame *f,
				     uint64_t esr,
				     const struct sysreg_info *s)
{
	(void)c;
	(void)esr;
	if (s->crm < 3 || s->crm > 5 || (s->crm == 3 && s->op2 > 1))
		return SYSREG_NOT_MINE;
	if (s->crm == 3 && s->op2 == 0 && !s->read)
		return SYSREG_NOT_MINE;		/* ERRIDR_EL1 is read-only */
	if (s->read)
		frame_set_reg(f, s->reg, 0);
	return SYSREG_DONE;
}
