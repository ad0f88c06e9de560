// SPDX-License-Identifier: Apache-2.0
/*
 * The ID registers as the guest sees them: every encoding of the ID space
 * (op0 3, op1 0, CRn 0, CRm 1-7) is read at EL1 and printed as
 * "IDREG <crm> <op2> 0x<value>"; tests/hv/test_idregs.py compares them
 * with the policy table of docs/hypervisor.md. Here: no read may fault
 * (the architecture makes every one of them readable at EL1), and two
 * reads agree.
 */
#include "guest.h"

#define ID(m, o) { (m), (o), id_##m##_##o }
#define ID_READER(m, o) static uint64_t id_##m##_##o(void) \
	{ uint64_t v; __asm__ volatile("mrs %0, S3_0_C0_C" #m "_" #o \
				       : "=r"(v)); return v; }
/* clang-format off */
#define ID_ROW(m) ID_READER(m, 0) ID_READER(m, 1) ID_READER(m, 2) \
	ID_READER(m, 3) ID_READER(m, 4) ID_READER(m, 5) ID_READER(m, 6) \
	ID_READER(m, 7)

ID_ROW(1) ID_ROW(2) ID_ROW(3) ID_ROW(4) ID_ROW(5) ID_ROW(6) ID_ROW(7)
/* clang-format on */

#define ID_ALL(m) ID(m, 0), ID(m, 1), ID(m, 2), ID(m, 3), ID(m, 4), \
	ID(m, 5), ID(m, 6), ID(m, 7)

static const struct {
	unsigned crm, op2;
	uint64_t (*rd)(void);
} ids[] = {
	ID_ALL(1), ID_ALL(2), ID_ALL(3), ID_ALL(4), ID_ALL(5), ID_ALL(6),
	ID_ALL(7),
};

void test_idregs(void)
{
	struct fault f;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint64_t v, again;

		probe_arm();
		v = ids[i].rd();
		again = ids[i].rd();
		if (probe_result(&f)) {
			fail("S3_0_C0_C%u_%u: exception ESR 0x%lx", ids[i].crm,
			     ids[i].op2, f.esr);
			continue;
		}
		if (v != again)
			fail("S3_0_C0_C%u_%u: 0x%lx, then 0x%lx", ids[i].crm,
			     ids[i].op2, v, again);
		printf("IDREG %u %u 0x%lx\n", ids[i].crm, ids[i].op2, v);
	}
}
