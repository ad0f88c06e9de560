// SPDX-License-Identifier: Apache-2.0
/*
 * The core's features, read from its ID registers at EL2 on CPU 0. Field
 * positions: Arm ARM D19 (ID_AA64*_EL1). Every CPU of a machine is taken
 * to be the same core (QEMU's are); the secondaries apply the controls
 * CPU 0 chose.
 */
#include <arch/arch.h>
#include <arch/cpufeat.h>
#include <arch/sysreg.h>
#include <printf.h>
#include <verge_proto.h>

struct cpu_features cpu_feat;

_Static_assert((int)CPUFEAT_COUNT == (int)VP_CPU_COUNT &&
	       (int)CPUFEAT_PMU == (int)VP_CPU_PMU &&
	       (int)CPUFEAT_MTE == (int)VP_CPU_MTE,
	       "cpufeat bits are the management protocol's VP_CPU_*");

const char *cpufeat_name(enum cpufeat f)
{
	const char *n = vp_cpu_feature_name(f);

	return n ? n : "?";
}

static unsigned field(uint64_t reg, unsigned shift)
{
	return (reg >> shift) & 0xf;
}

static void set(enum cpufeat f, bool on)
{
	if (on)
		cpu_feat.mask |= 1UL << f;
}

/* The vector lengths: RDVL/RDSVL only read the length into a general
 * register; no FP/SIMD/SVE/SME state is read or written. ZCR_EL2 and
 * SMCR_EL2 already ask for the largest length (arch_guest_init). */
static unsigned sve_vl(void)
{
	uint64_t v;

	__asm__ volatile(".arch_extension sve\n\trdvl %0, #1" : "=r"(v));
	return (unsigned)v;
}

static unsigned sme_vl(void)
{
	uint64_t v;

	__asm__ volatile(".arch_extension sme\n\trdsvl %0, #1" : "=r"(v));
	return (unsigned)v;
}

uint64_t cpufeat_cptr(void)
{
	uint64_t v = CPTR_EL2_RES1 | CPTR_EL2_TTA;

	if (!cpu_has(CPUFEAT_SME))
		v |= CPTR_EL2_TSM;	/* RES1 without SME */
	if (cpu_has(CPUFEAT_AMU))
		v |= CPTR_EL2_TAM;
	return v;
}

void cpufeat_probe(void)
{
	uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);
	uint64_t pfr1 = read_sysreg(id_aa64pfr1_el1);
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	uint64_t isar1 = read_sysreg(id_aa64isar1_el1);
	uint64_t isar2 = read_sysreg(S3_0_C0_C6_2);	/* ID_AA64ISAR2_EL1 */
	uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	uint64_t mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	uint64_t mmfr2 = read_sysreg(id_aa64mmfr2_el1);

	cpu_feat.mask = 0;
	set(CPUFEAT_FP, field(pfr0, 16) != 0xf);
	set(CPUFEAT_SIMD, field(pfr0, 20) != 0xf);
	set(CPUFEAT_SVE, field(pfr0, 32) != 0);
	if (cpu_has(CPUFEAT_SVE))	/* ID_AA64ZFR0_EL1.SVEver */
		set(CPUFEAT_SVE2, field(read_sysreg(S3_0_C0_C4_4), 0) != 0);
	set(CPUFEAT_SME, field(pfr1, 24) != 0);
	if (cpu_has(CPUFEAT_SME))	/* ID_AA64SMFR0_EL1.SMEver */
		set(CPUFEAT_SME2, field(read_sysreg(S3_0_C0_C4_5), 56) != 0);
	set(CPUFEAT_PAUTH, field(isar1, 4) || field(isar1, 8) ||
			   field(isar1, 24) || field(isar1, 28) ||
			   field(isar2, 8) || field(isar2, 12));
	set(CPUFEAT_BTI, field(pfr1, 0) != 0);
	set(CPUFEAT_MTE, field(pfr1, 8) >= 2);	/* with tag memory */
	set(CPUFEAT_FGT, field(mmfr0, 56) != 0);
	set(CPUFEAT_FGT2, field(mmfr0, 56) >= 2);
	set(CPUFEAT_HCX, field(mmfr1, 40) != 0);
	set(CPUFEAT_ECV, field(mmfr0, 60) != 0);
	set(CPUFEAT_RAS, field(pfr0, 28) != 0);
	set(CPUFEAT_SPE, field(dfr0, 32) != 0);
	set(CPUFEAT_TRBE, field(dfr0, 44) != 0);
	set(CPUFEAT_AMU, field(pfr0, 44) != 0);
	set(CPUFEAT_MOPS, field(isar2, 16) != 0);
	set(CPUFEAT_NV, field(mmfr2, 24) != 0);
	set(CPUFEAT_PMU, field(dfr0, 8) != 0 && field(dfr0, 8) != 0xf);
	/* The lengths at EL2 with the guest's limits (the largest). */
	write_sysreg(cptr_el2, cpufeat_cptr());
	isb();
	if (cpu_has(CPUFEAT_SVE)) {
		write_sysreg(S3_4_C1_C2_0, ZCR_LEN_MAX);	/* ZCR_EL2 */
		isb();
		cpu_feat.sve_vl = sve_vl();
	}
	if (cpu_has(CPUFEAT_SME)) {
		write_sysreg(S3_4_C1_C2_6, ZCR_LEN_MAX);	/* SMCR_EL2 */
		isb();
		cpu_feat.sme_vl = sme_vl();
	}
	write_sysreg(cptr_el2, CPTR_EL2_DEFAULT);
	isb();
}

void cpufeat_describe(char *buf, unsigned size)
{
	unsigned n = 0;

	buf[0] = '\0';
	for (unsigned f = 0; f < CPUFEAT_COUNT && n < size; f++) {
		if (!cpu_has(f))
			continue;
		if (f == CPUFEAT_SVE || f == CPUFEAT_SME)
			n += snprintf(buf + n, size - n, "%s%s(vl=%u)",
				      n ? " " : "", cpufeat_name(f),
				      f == CPUFEAT_SVE ? cpu_feat.sve_vl * 8 :
							 cpu_feat.sme_vl * 8);
		else
			n += snprintf(buf + n, size - n, "%s%s", n ? " " : "",
				      cpufeat_name(f));
	}
}

/* The core's ID register (3, 0, 0, crm, op2), for those core/idregs.c
 * lists; false for any other. */
#define ID_CASE(m, o) case (m) * 8 + (o): \
	__asm__ volatile("mrs %0, S3_0_C0_C" #m "_" #o : "=r"(v)); break

bool arch_id_read(unsigned crm, unsigned op2, uint64_t *ret)
{
	uint64_t v;

	switch (crm * 8 + op2) {
	ID_CASE(1, 0); ID_CASE(1, 1); ID_CASE(1, 2); ID_CASE(1, 4);
	ID_CASE(1, 5); ID_CASE(1, 6); ID_CASE(1, 7);
	ID_CASE(2, 0); ID_CASE(2, 1); ID_CASE(2, 2); ID_CASE(2, 3);
	ID_CASE(2, 4); ID_CASE(2, 5); ID_CASE(2, 6); ID_CASE(2, 7);
	ID_CASE(3, 0); ID_CASE(3, 1); ID_CASE(3, 2); ID_CASE(3, 4);
	ID_CASE(3, 5); ID_CASE(3, 6);
	ID_CASE(4, 0); ID_CASE(4, 1); ID_CASE(4, 4); ID_CASE(4, 5);
	ID_CASE(5, 0);
	ID_CASE(6, 0); ID_CASE(6, 1); ID_CASE(6, 2);
	ID_CASE(7, 0); ID_CASE(7, 1); ID_CASE(7, 2);
	default:
		return false;
	}
	*ret = v;
	return true;
}
