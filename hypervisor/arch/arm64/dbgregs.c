// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's breakpoint and watchpoint registers, by number: MRS/MSR
 * name their register in the instruction, so each number is one case.
 * Callers check the number against ID_AA64DFR0_EL1 first (dbg_count):
 * at EL2 too, an unimplemented one is UNDEFINED.
 */
#include <arch/arch.h>
#include <arch/sysreg.h>

/* clang-format off */
#define DBG16(F, k) F(k, 0) F(k, 1) F(k, 2) F(k, 3) F(k, 4) F(k, 5) \
	F(k, 6) F(k, 7) F(k, 8) F(k, 9) F(k, 10) F(k, 11) F(k, 12) \
	F(k, 13) F(k, 14) F(k, 15)
/* clang-format on */
#define RD(k, n)	case n: return read_sysreg(k##n##_el1);
#define WR(k, n)	case n: write_sysreg(k##n##_el1, v); break;
#define DBG_ACCESSORS(k) \
static uint64_t k##_read(unsigned n) \
{ \
	switch (n) { DBG16(RD, k) } \
	return 0; \
} \
static void k##_write(unsigned n, uint64_t v) \
{ \
	switch (n) { DBG16(WR, k) } \
}

DBG_ACCESSORS(dbgbvr)
DBG_ACCESSORS(dbgbcr)
DBG_ACCESSORS(dbgwvr)
DBG_ACCESSORS(dbgwcr)

static const struct {
	uint64_t (*read)(unsigned n);
	void (*write)(unsigned n, uint64_t v);
} kinds[DBG_NKINDS] = {
	[DBG_BVR] = { dbgbvr_read, dbgbvr_write },
	[DBG_BCR] = { dbgbcr_read, dbgbcr_write },
	[DBG_WVR] = { dbgwvr_read, dbgwvr_write },
	[DBG_WCR] = { dbgwcr_read, dbgwcr_write },
};

unsigned dbg_count(enum dbg_kind k)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);

	if (k == DBG_BVR || k == DBG_BCR)
		return ((dfr0 >> 12) & 0xf) + 1;	/* BRPs */
	return ((dfr0 >> 20) & 0xf) + 1;		/* WRPs */
}

uint64_t dbg_read(enum dbg_kind k, unsigned n)
{
	return kinds[k].read(n);
}

void dbg_write(enum dbg_kind k, unsigned n, uint64_t v)
{
	kinds[k].write(n, v);
}
