/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trapped MSR/MRS (ESR_EL2.EC 0x18): one table in core/trap.c, to which
 * each module adds the registers it owns (a key and a mask over the
 * encoded op0/op1/CRn/CRm/op2) and one handler. Every handler answers
 * with the same convention; trap.c steps over the instruction after
 * SYSREG_DONE, and injects an UNDEF when no handler claims the access.
 */
#ifndef CORE_SYSREG_TRAP_H
#define CORE_SYSREG_TRAP_H
#include <arch/esr.h>
#include <stdint.h>

struct cpu;
struct trap_frame;

enum sysreg_result {
	SYSREG_NOT_MINE,	/* not this module's: the next entry is asked */
	SYSREG_DONE,		/* emulated: step over the instruction */
	SYSREG_INJECTED,	/* an exception went to the guest's EL1 */
};

typedef enum sysreg_result (*sysreg_fn)(struct cpu *c, struct trap_frame *f,
					uint64_t esr,
					const struct sysreg_info *s);

/* Masks over SYSREG_KEY(op0, op1, CRn, CRm, op2): the fields up to the
 * one named must match, the rest are free. */
#define SYSREG_M_ALL	SYSREG_KEY(3, 7, 15, 15, 7)	/* one register */
#define SYSREG_M_CRM	SYSREG_KEY(3, 7, 15, 15, 0)	/* any op2 */
#define SYSREG_M_CRN	SYSREG_KEY(3, 7, 15, 0, 0)	/* any CRm, op2 */
#define SYSREG_M_OP0	SYSREG_KEY(3, 0, 0, 0, 0)	/* any op1 .. op2 */

struct sysreg_trap {
	unsigned key, mask;	/* claims s when (key(s) & mask) == key */
	sysreg_fn fn;
};

/* The handlers of the modules (each in its own file). */
enum sysreg_result vtime_sysreg(struct cpu *c, struct trap_frame *f,
				uint64_t esr, const struct sysreg_info *s);
enum sysreg_result debug_sysreg(struct cpu *c, struct trap_frame *f,
				uint64_t esr, const struct sysreg_info *s);
enum sysreg_result pmu_sysreg(struct cpu *c, struct trap_frame *f,
			      uint64_t esr, const struct sysreg_info *s);
enum sysreg_result vgic_sysreg(struct cpu *c, struct trap_frame *f,
			       uint64_t esr, const struct sysreg_info *s);
enum sysreg_result idregs_sysreg(struct cpu *c, struct trap_frame *f,
				 uint64_t esr, const struct sysreg_info *s);
enum sysreg_result idregs_err_sysreg(struct cpu *c, struct trap_frame *f,
				     uint64_t esr,
				     const struct sysreg_info *s);
#endif
