// SPDX-License-Identifier: Apache-2.0
/* The guest's view of the ID registers (hypervisor/core/idregs.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arch/arch.h>
#include <core/cpu.h>
#include <core/idregs.h>
#include <core/sysreg_trap.h>

static uint64_t core_value;
static unsigned reads;

/* The core as the hypervisor would read it. */
bool arch_id_read(unsigned crm, unsigned op2, uint64_t *ret)
{
	(void)crm;
	(void)op2;
	reads++;
	*ret = core_value;
	return true;
}

static unsigned fld(uint64_t v, unsigned shift)
{
	return (v >> shift) & 0xf;
}

/* A core with every field at 0xf: hidden fields read 0, capped ones
 * their cap, the rest as the core. */
static void test_hidden_and_capped(void **state)
{
	uint64_t pfr0, mmfr2, dfr0;

	(void)state;
	core_value = ~0UL;
	pfr0 = idregs_guest_view(4, 0, arch_id_read);
	assert_int_equal(fld(pfr0, 8), 0);	/* EL2 */
	assert_int_equal(fld(pfr0, 12), 0);	/* EL3 */
	assert_int_equal(fld(pfr0, 28), 1);	/* RAS <= 1 */
	assert_int_equal(fld(pfr0, 44), 0);	/* AMU */
	assert_int_equal(fld(pfr0, 32), 0xf);	/* SVE: as the core */
	assert_int_equal(fld(pfr0, 16), 0xf);	/* FP */
	mmfr2 = idregs_guest_view(7, 2, arch_id_read);
	assert_int_equal(fld(mmfr2, 24), 0);	/* NV */
	dfr0 = idregs_guest_view(5, 0, arch_id_read);
	assert_int_equal(fld(dfr0, 32), 0);	/* PMSVer: SPE */
	assert_int_equal(fld(dfr0, 44), 0);	/* TraceBuffer */
	assert_int_equal(fld(dfr0, 8), 0xf);	/* PMUVer */
}

/* A cap never raises a field. */
static void test_cap_keeps_lower(void **state)
{
	(void)state;
	core_value = 0;
	assert_int_equal(idregs_guest_view(4, 0, arch_id_read), 0);
	core_value = 1UL << 56;			/* CSV2 = 1 */
	assert_int_equal(idregs_guest_view(4, 0, arch_id_read), 1UL << 56);
}

/* Registers the policy does not list read 0, without a hardware read. */
static void test_unlisted_read_zero(void **state)
{
	static const unsigned enc[][2] = {
		{ 1, 3 }, { 3, 3 }, { 3, 7 }, { 4, 2 }, { 4, 7 }, { 5, 1 },
		{ 5, 4 }, { 6, 3 }, { 7, 3 }, { 7, 4 }, { 7, 7 },
	};

	(void)state;
	core_value = ~0UL;
	reads = 0;
	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++)
		assert_int_equal(idregs_guest_view(enc[i][0], enc[i][1],
						   arch_id_read), 0);
	assert_int_equal(reads, 0);
}

static enum sysreg_result access(unsigned crm, unsigned op2, bool rd,
				 struct trap_frame *f)
{
	struct sysreg_info s = { 3, 0, 5, crm, op2, 3, rd };

	return idregs_err_sysreg(NULL, f, 0, &s);
}

/* RAS error records: none; ERRIDR_EL1 is read-only. */
static void test_error_records(void **state)
{
	struct trap_frame f = { .x = { [3] = 0x1234 } };

	(void)state;
	assert_int_equal(access(3, 0, true, &f), SYSREG_DONE);
	assert_int_equal(f.x[3], 0);		/* ERRIDR_EL1.NUM = 0 */
	f.x[3] = 7;
	assert_int_equal(access(3, 0, false, &f), SYSREG_NOT_MINE);
	assert_int_equal(access(3, 1, false, &f), SYSREG_DONE);
	assert_int_equal(access(4, 2, true, &f), SYSREG_DONE);
	assert_int_equal(f.x[3], 0);		/* ERXSTATUS_EL1 RAZ */
	assert_int_equal(access(3, 2, true, &f), SYSREG_NOT_MINE);
	assert_int_equal(access(6, 0, true, &f), SYSREG_NOT_MINE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_and_capped),
		cmocka_unit_test(test_cap_keeps_lower),
		cmocka_unit_test(test_unlisted_read_zero),
		cmocka_unit_test(test_error_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
