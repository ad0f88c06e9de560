// SPDX-License-Identifier: Apache-2.0
/*
 * ESR_EL2 decoding (arch/esr.h). The syndromes are built here from the
 * Arm ARM field layout, independently of the header's decoders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arch/esr.h>

/* ISS of a data abort (ISS encoding for an exception from a Data Abort). */
#define DABT_ISV	(1u << 24)
#define DABT_SAS(s)	((uint32_t)(s) << 22)	/* 0: byte .. 3: doubleword */
#define DABT_SSE	(1u << 21)
#define DABT_SRT(r)	((uint32_t)(r) << 16)
#define DABT_SF		(1u << 15)
#define DABT_WNR	(1u << 6)

/* ISS of a trapped MSR/MRS (EC 0x18). */
static uint32_t sysreg_iss(unsigned op0, unsigned op1, unsigned crn,
			   unsigned crm, unsigned op2, unsigned rt, bool read)
{
	return op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 |
	       crm << 1 | (read ? 1 : 0);
}

static void test_ec_iss_round_trip(void **state)
{
	uint64_t esr = esr_make(EC_DABT_LOW, 0x1234567);

	(void)state;
	assert_int_equal(esr_ec(esr), EC_DABT_LOW);
	assert_int_equal(esr_iss(esr), 0x1234567);
	assert_true(esr & ESR_IL);
	assert_int_equal(esr, (0x24ULL << 26) | (1ULL << 25) | 0x1234567);

	/* ISS is 25 bits: wider values must not spill into IL or EC. */
	esr = esr_make(EC_HVC64, 0xffffffff);
	assert_int_equal(esr_ec(esr), EC_HVC64);
	assert_int_equal(esr_iss(esr), 0x1ffffff);

	/* ISS2 (ESR_EL2[55:32]) does not change EC or ISS. */
	esr = esr_make(EC_SYSREG, 0x42) | (0xffffffULL << 32);
	assert_int_equal(esr_ec(esr), EC_SYSREG);
	assert_int_equal(esr_iss(esr), 0x42);

	for (unsigned ec = 0; ec < EC_MAX; ec++)
		assert_int_equal(esr_ec(esr_make(ec, 0x1ffffff)), ec);
}

/* str w3, [x0] to an unmapped page: 4-byte write, translation fault L3. */
static void test_dabt_word_store(void **state)
{
	struct dabt_info d = esr_dabt_decode(esr_make(EC_DABT_LOW,
		DABT_ISV | DABT_SAS(2) | DABT_SRT(3) | DABT_WNR | 0x07));

	(void)state;
	assert_true(d.isv);
	assert_int_equal(d.size, 4);
	assert_int_equal(d.reg, 3);
	assert_true(d.write);
	assert_false(d.sign_extend);
	assert_false(d.sf);
	assert_int_equal(d.fsc, 0x07);
	assert_true(esr_fsc_is_translation(d.fsc));
}

/* ldr x30, [x1]: 8-byte load into a 64-bit register. */
static void test_dabt_doubleword_load(void **state)
{
	struct dabt_info d = esr_dabt_decode(esr_make(EC_DABT_LOW,
		DABT_ISV | DABT_SAS(3) | DABT_SRT(30) | DABT_SF | 0x06));

	(void)state;
	assert_true(d.isv);
	assert_int_equal(d.size, 8);
	assert_int_equal(d.reg, 30);
	assert_true(d.sf);
	assert_false(d.write);
	assert_false(d.sign_extend);
	assert_int_equal(d.fsc, 0x06);
}

/* ldrsb x2, [x1] and ldrsh w2, [x1]. */
static void test_dabt_sign_extended_loads(void **state)
{
	struct dabt_info d = esr_dabt_decode(esr_make(EC_DABT_LOW,
		DABT_ISV | DABT_SAS(0) | DABT_SSE | DABT_SRT(2) | DABT_SF | 0x05));

	(void)state;
	assert_int_equal(d.size, 1);
	assert_true(d.sign_extend);
	assert_true(d.sf);
	assert_false(d.write);
	assert_int_equal(d.reg, 2);

	d = esr_dabt_decode(esr_make(EC_DABT_LOW,
		DABT_ISV | DABT_SAS(1) | DABT_SSE | DABT_SRT(2) | 0x05));
	assert_int_equal(d.size, 2);
	assert_true(d.sign_extend);
	assert_false(d.sf);
}

/* str wzr, [x0]: Rt 31 is the zero register. */
static void test_dabt_store_xzr(void **state)
{
	struct dabt_info d = esr_dabt_decode(esr_make(EC_DABT_LOW,
		DABT_ISV | DABT_SAS(2) | DABT_SRT(31) | DABT_WNR | 0x07));

	(void)state;
	assert_int_equal(d.reg, 31);
	assert_true(d.write);
}

/* ldp/stp and friends give no syndrome: ISV clear, FSC still valid. */
static void test_dabt_no_syndrome(void **state)
{
	struct dabt_info d = esr_dabt_decode(esr_make(EC_DABT_LOW,
		DABT_WNR | 0x10));

	(void)state;
	assert_false(d.isv);
	assert_int_equal(d.fsc, FSC_SEA);
	assert_false(esr_fsc_is_translation(d.fsc));
}

static void test_fsc_is_translation(void **state)
{
	(void)state;
	for (unsigned fsc = 0x04; fsc <= 0x07; fsc++)
		assert_true(esr_fsc_is_translation(fsc));
	/* Address size, access flag, permission faults, external abort. */
	static const unsigned others[] = {
		0x00, 0x03, 0x08, 0x09, 0x0b, 0x0c, 0x0f, 0x10, 0x14, 0x21,
		0x24, 0x25, 0x30, 0x3c,
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (esr_fsc_is_translation(others[i]))
			fail_msg("FSC 0x%02x taken for a translation fault",
				 others[i]);
}

/* msr icc_sgi1r_el1, x5 */
static void test_sysreg_icc_sgi1r_write(void **state)
{
	struct sysreg_info s = esr_sysreg_decode(esr_make(EC_SYSREG,
		sysreg_iss(3, 0, 12, 11, 5, 5, false)));

	(void)state;
	assert_int_equal(s.op0, 3);
	assert_int_equal(s.op1, 0);
	assert_int_equal(s.crn, 12);
	assert_int_equal(s.crm, 11);
	assert_int_equal(s.op2, 5);
	assert_int_equal(s.reg, 5);
	assert_false(s.read);
	assert_int_equal(sysreg_key(&s), SYSREG_KEY(3, 0, 12, 11, 5));
	assert_int_not_equal(sysreg_key(&s), SYSREG_KEY(3, 0, 12, 11, 6));
}

/* mrs xzr, mdccsr_el0 */
static void test_sysreg_mdccsr_read(void **state)
{
	struct sysreg_info s = esr_sysreg_decode(esr_make(EC_SYSREG,
		sysreg_iss(2, 3, 0, 1, 0, 31, true)));

	(void)state;
	assert_int_equal(s.op0, 2);
	assert_int_equal(s.op1, 3);
	assert_int_equal(s.crn, 0);
	assert_int_equal(s.crm, 1);
	assert_int_equal(s.op2, 0);
	assert_int_equal(s.reg, 31);
	assert_true(s.read);
	assert_int_equal(sysreg_key(&s), SYSREG_KEY(2, 3, 0, 1, 0));
}

/* Every field at its maximum decodes alone, and keys never collide. */
static void test_sysreg_fields_independent(void **state)
{
	const unsigned max[5] = { 3, 7, 15, 15, 7 };	/* op0 op1 CRn CRm op2 */
	unsigned keys[5];

	(void)state;
	for (int i = 0; i < 5; i++) {
		unsigned f[5] = { 0 };
		struct sysreg_info s;

		f[i] = max[i];
		s = esr_sysreg_decode(esr_make(EC_SYSREG,
			sysreg_iss(f[0], f[1], f[2], f[3], f[4], 0, false)));
		assert_int_equal(s.op0, f[0]);
		assert_int_equal(s.op1, f[1]);
		assert_int_equal(s.crn, f[2]);
		assert_int_equal(s.crm, f[3]);
		assert_int_equal(s.op2, f[4]);
		assert_int_equal(s.reg, 0);
		keys[i] = sysreg_key(&s);
		for (int j = 0; j < i; j++)
			assert_int_equal(keys[i] & keys[j], 0);
	}
}

static void test_imm16(void **state)
{
	(void)state;
	assert_int_equal(esr_imm16(esr_make(EC_HVC64, 0x1234)), 0x1234);
	assert_int_equal(esr_imm16(esr_make(EC_SMC64, 0)), 0);
	assert_int_equal(esr_imm16(esr_make(EC_HVC64, 0x1ffffff)), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec_iss_round_trip),
		cmocka_unit_test(test_dabt_word_store),
		cmocka_unit_test(test_dabt_doubleword_load),
		cmocka_unit_test(test_dabt_sign_extended_loads),
		cmocka_unit_test(test_dabt_store_xzr),
		cmocka_unit_test(test_dabt_no_syndrome),
		cmocka_unit_test(test_fsc_is_translation),
		cmocka_unit_test(test_sysreg_icc_sgi1r_write),
		cmocka_unit_test(test_sysreg_mdccsr_read),
		cmocka_unit_test(test_sysreg_fields_independent),
		cmocka_unit_test(test_imm16),
	};

	return cmocka_run_group_tests_name("trap_decode", tests, NULL, NULL);
}
