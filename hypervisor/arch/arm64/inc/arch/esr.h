/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ESR_EL2 decoding. Pure functions on the syndrome value: used by the trap
 * handlers and unit-tested on the host.
 */
#ifndef ARCH_ESR_H
#define ARCH_ESR_H
#include <stdbool.h>
#include <stdint.h>

enum esr_ec {
	EC_UNKNOWN = 0x00,
	EC_WFX = 0x01,
	EC_CP15_64 = 0x04,	/* AArch32 MCRR/MRRC, coproc 15 */
	EC_FP = 0x07,
	EC_HVC64 = 0x16,
	EC_SMC64 = 0x17,
	EC_SYSREG = 0x18,
	EC_IABT_LOW = 0x20,
	EC_IABT_CUR = 0x21,
	EC_DABT_LOW = 0x24,
	EC_DABT_CUR = 0x25,
	EC_SERROR = 0x2f,
	EC_MAX = 0x40,
};

#define ESR_IL		(1UL << 25)
#define ESR_EC_SHIFT	26

static inline unsigned esr_ec(uint64_t esr)
{
	return (esr >> ESR_EC_SHIFT) & 0x3f;
}

static inline uint32_t esr_iss(uint64_t esr)
{
	return esr & 0x1ffffff;
}

static inline uint64_t esr_make(unsigned ec, uint32_t iss)
{
	return ((uint64_t)ec << ESR_EC_SHIFT) | ESR_IL | (iss & 0x1ffffff);
}

/* Data aborts: the instruction syndrome is valid only when ISV is set. */
struct dabt_info {
	bool isv;
	bool write;
	bool sign_extend;
	bool sf;		/* destination is a 64-bit register */
	bool s1ptw;		/* on the guest's stage-1 table walk */
	unsigned size;		/* access size in bytes */
	unsigned reg;		/* Rt; 31 means xzr */
	unsigned fsc;		/* fault status code, ISS[5:0] */
};

static inline struct dabt_info esr_dabt_decode(uint64_t esr)
{
	uint32_t iss = esr_iss(esr);
	struct dabt_info d = {
		.isv = (iss >> 24) & 1,
		.size = 1u << ((iss >> 22) & 3),
		.sign_extend = (iss >> 21) & 1,
		.reg = (iss >> 16) & 0x1f,
		.sf = (iss >> 15) & 1,
		.s1ptw = (iss >> 7) & 1,
		.write = (iss >> 6) & 1,
		.fsc = iss & 0x3f,
	};
	return d;
}

/* FSC 0b0001LL: translation fault at level LL (what stage-2 holes give). */
static inline bool esr_fsc_is_translation(unsigned fsc)
{
	return (fsc & 0x3c) == 0x04;
}

#define FSC_SEA		0x10	/* synchronous external abort */

/* MSR/MRS traps (EC 0x18): the register tuple and the transfer register. */
struct sysreg_info {
	unsigned op0, op1, crn, crm, op2;
	unsigned reg;
	bool read;		/* MRS */
};

#define SYSREG_KEY(op0, op1, crn, crm, op2) \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

static inline struct sysreg_info esr_sysreg_decode(uint64_t esr)
{
	uint32_t iss = esr_iss(esr);
	struct sysreg_info s = {
		.op0 = (iss >> 20) & 3,
		.op2 = (iss >> 17) & 7,
		.op1 = (iss >> 14) & 7,
		.crn = (iss >> 10) & 0xf,
		.reg = (iss >> 5) & 0x1f,
		.crm = (iss >> 1) & 0xf,
		.read = iss & 1,
	};
	return s;
}

static inline unsigned sysreg_key(const struct sysreg_info *s)
{
	return SYSREG_KEY(s->op0, s->op1, s->crn, s->crm, s->op2);
}

/* SMC and HVC carry their immediate in ISS[15:0]. */
static inline unsigned esr_imm16(uint64_t esr)
{
	return esr & 0xffff;
}
#endif
