// SPDX-License-Identifier: Apache-2.0
/*
 * The AML encoder, byte for byte against encodings worked out by hand
 * from ACPI 6.x chapter 20 (grammar) and 6.4 (resource descriptors).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <acpi/aml.h>
#include <stdlib.h>

#define BUF 8192

static uint8_t buf[BUF];

static struct aml fresh(void)
{
	struct aml a;

	memset(buf, 0xee, sizeof(buf));
	aml_init(&a, buf, sizeof(buf));
	return a;
}

#define expect(a, ...) do { \
	static const uint8_t want_[] = { __VA_ARGS__ }; \
	assert_int_equal((a)->err, 0); \
	assert_int_equal((a)->len, sizeof(want_)); \
	assert_memory_equal((a)->buf, want_, sizeof(want_)); \
} while (0)

/* The decoder of 20.2.4, written independently of the encoder. */
static size_t decode_pkglength(const uint8_t *p, unsigned *ret_n)
{
	unsigned follow = p[0] >> 6;
	size_t v;

	*ret_n = follow + 1;
	if (!follow)
		return p[0] & 0x3f;
	v = p[0] & 0x0f;
	for (unsigned i = 1; i <= follow; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	return v;
}

static void pkglength_at(size_t body, unsigned n, const uint8_t *want)
{
	uint8_t out[4];
	unsigned got_n, dn;

	got_n = aml_pkglength(out, body);
	assert_int_equal(got_n, n);
	assert_memory_equal(out, want, n);
	assert_int_equal(decode_pkglength(out, &dn), body + n);
	assert_int_equal(dn, n);
}

static void test_pkglength_boundaries(void **state)
{
	(void)state;
	pkglength_at(0, 1, (const uint8_t[]){ 0x01 });
	pkglength_at(62, 1, (const uint8_t[]){ 0x3f });
	pkglength_at(63, 2, (const uint8_t[]){ 0x41, 0x04 });	/* 65 */
	pkglength_at(0xffd, 2, (const uint8_t[]){ 0x4f, 0xff });
	pkglength_at(0xffe, 3, (const uint8_t[]){ 0x81, 0x00, 0x01 });
	pkglength_at(0xffffc, 3, (const uint8_t[]){ 0x8f, 0xff, 0xff });
	pkglength_at(0xffffd, 4, (const uint8_t[]){ 0xc1, 0x00, 0x00, 0x01 });
	pkglength_at(0xffffffb, 4, (const uint8_t[]){ 0xcf, 0xff, 0xff, 0xff });
}

static void test_pkglength_too_large(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(aml_pkglength(out, 0xffffffc), 0);
}

/* Every body size around the boundaries round-trips with the minimal
 * count of bytes. */
static void test_pkglength_roundtrip(void **state)
{
	static const size_t around[] = { 63, 0xfff, 0xfffff, 0xfffffff };
	static const size_t max_of[] = { 0x3f, 0xfff, 0xfffff };

	(void)state;
	for (size_t i = 0; i < 4; i++)
		for (size_t d = 0; d < 8; d++) {
			size_t body = around[i] - 4 + d;
			uint8_t out[4];
			unsigned n = aml_pkglength(out, body), dn;

			if (body + 4 > 0xfffffff && n == 0)
				continue;
			assert_true(n >= 1 && n <= 4);
			assert_int_equal(decode_pkglength(out, &dn), body + n);
			/* minimal: one byte fewer would not hold it */
			if (n > 1)
				assert_true(body + n - 1 > max_of[n - 2]);
		}
}

/* A package whose body crosses 63 bytes gets a 2-byte PkgLength and the
 * body moves to follow it intact. */
static void test_close_moves_body(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_package(&a, 70);
	for (int i = 0; i < 70; i++)
		aml_byte(&a, (uint8_t)(0x40 + i % 10));
	aml_close(&a);
	assert_int_equal(a.err, 0);
	/* opcode, 2-byte PkgLength (1 + 70 + 2 = 73), count, 70 bytes */
	assert_int_equal(a.len, 1 + 2 + 1 + 70);
	assert_int_equal(buf[0], AML_PACKAGE);
	assert_int_equal(buf[1], 0x40 | (73 & 0xf));
	assert_int_equal(buf[2], 73 >> 4);
	assert_int_equal(buf[3], 70);
	for (int i = 0; i < 70; i++)
		assert_int_equal(buf[4 + i], 0x40 + i % 10);
}

static void test_nameseg_padding(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_name(&a, "_SB");
	expect(&a, '_', 'S', 'B', '_');
	a = fresh();
	aml_name(&a, "A");
	expect(&a, 'A', '_', '_', '_');
}

static void test_namepath_forms(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_name(&a, "\\_SB.PCI0");
	expect(&a, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	a = fresh();
	aml_name(&a, "\\_SB.PCI0.RES0");
	expect(&a, 0x5c, 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
	       'R', 'E', 'S', '0');
	a = fresh();
	aml_name(&a, "^^GPO0");
	expect(&a, 0x5e, 0x5e, 'G', 'P', 'O', '0');
	a = fresh();
	aml_name(&a, "\\");
	expect(&a, 0x5c, 0x00);
}

static void test_name_rules(void **state)
{
	static const char *const bad[] = {
		"1ABC", "ABCDE", "abc", "A..B", "A.", ".A", "A-B", "\\^A",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml a = fresh();

		aml_name(&a, bad[i]);
		if (a.err != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	}
}

static void int_is(uint64_t v, const uint8_t *want, size_t n)
{
	struct aml a = fresh();

	aml_int(&a, v);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, n);
	assert_memory_equal(buf, want, n);
}

static void test_integers(void **state)
{
	(void)state;
	int_is(0, (const uint8_t[]){ 0x00 }, 1);
	int_is(1, (const uint8_t[]){ 0x01 }, 1);
	int_is(UINT64_MAX, (const uint8_t[]){ 0xff }, 1);
	int_is(2, (const uint8_t[]){ 0x0a, 0x02 }, 2);
	int_is(0xff, (const uint8_t[]){ 0x0a, 0xff }, 2);
	int_is(0x100, (const uint8_t[]){ 0x0b, 0x00, 0x01 }, 3);
	int_is(0xffff, (const uint8_t[]){ 0x0b, 0xff, 0xff }, 3);
	int_is(0x10000, (const uint8_t[]){ 0x0c, 0x00, 0x00, 0x01, 0x00 }, 5);
	int_is(0xffffffff, (const uint8_t[]){ 0x0c, 0xff, 0xff, 0xff, 0xff }, 5);
	int_is(0x100000000ull, (const uint8_t[]){ 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 }, 9);
	int_is(0xfffffffffffffffeull, (const uint8_t[]){ 0x0e, 0xfe, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9);
}

static void test_string(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_string(&a, "ARMH0011");
	expect(&a, 0x0d, 'A', 'R', 'M', 'H', '0', '0', '1', '1', 0x00);
	a = fresh();
	aml_string(&a, "caf\xc3\xa9");
	assert_int_equal(a.err, -EINVAL);
}

static void test_eisaid(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_eisaid(&a, "PNP0A08");
	expect(&a, 0x0c, 0x41, 0xd0, 0x0a, 0x08);
	a = fresh();
	aml_eisaid(&a, "PNP0C0C");
	expect(&a, 0x0c, 0x41, 0xd0, 0x0c, 0x0c);
	a = fresh();
	aml_eisaid(&a, "pnp0a08");
	assert_int_equal(a.err, -EINVAL);
}

static void test_buffer_and_package(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_buffer(&a, (const uint8_t[]){ 1, 2, 3 }, 3);
	expect(&a, 0x11, 0x06, 0x0a, 0x03, 1, 2, 3);
	a = fresh();
	aml_package(&a, 2);
	aml_int(&a, 1);
	aml_int(&a, 2);
	aml_close(&a);
	expect(&a, 0x12, 0x05, 0x02, 0x01, 0x0a, 0x02);
}

static void test_uuid(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_uuid(&a, "daffd814-6eba-4d8c-8a91-bc9bbf4aa301");
	expect(&a, 0x11, 0x13, 0x0a, 0x10, 0x14, 0xd8, 0xff, 0xda, 0xba, 0x6e,
	       0x8c, 0x4d, 0x8a, 0x91, 0xbc, 0x9b, 0xbf, 0x4a, 0xa3, 0x01);
	a = fresh();
	aml_uuid(&a, "daffd814-6eba-4d8c-8a91-bc9bbf4aa30");
	assert_int_equal(a.err, -EINVAL);
}

static void test_scope_device_name(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_scope(&a, "\\_SB");
	aml_device(&a, "COM0");
	aml_name_decl(&a, "_HID");
	aml_string(&a, "ARMH0011");
	aml_close(&a);
	aml_close(&a);
	expect(&a, 0x10, 0x1c, 0x5c, '_', 'S', 'B', '_',
	       0x5b, 0x82, 0x14, 'C', 'O', 'M', '0',
	       0x08, '_', 'H', 'I', 'D', 0x0d, 'A', 'R', 'M', 'H', '0', '0',
	       '1', '1', 0x00);
}

static void test_method_notify(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_method(&a, "_E03", 0, false);
	aml_notify(&a, "\\_SB.PWRB", 0x80);
	aml_close(&a);
	expect(&a, 0x14, 0x13, '_', 'E', '0', '3', 0x00,
	       0x86, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B',
	       0x0a, 0x80);
	a = fresh();
	aml_method(&a, "_STA", 2, true);
	aml_return(&a);
	aml_int(&a, 0x0f);
	aml_close(&a);
	expect(&a, 0x14, 0x09, '_', 'S', 'T', 'A', 0x0a, 0xa4, 0x0a, 0x0f);
}

static void test_args_locals_ops(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_arg(&a, 0);
	aml_arg(&a, 6);
	aml_local(&a, 0);
	aml_local(&a, 7);
	expect(&a, 0x68, 0x6e, 0x60, 0x67);
	a = fresh();
	aml_arg(&a, 7);
	assert_int_equal(a.err, -EINVAL);
	a = fresh();
	aml_local(&a, 8);
	assert_int_equal(a.err, -EINVAL);
	/* Or (CDW1, 0x04, CDW1); LNot (LEqual (Arg1, One)); Store (Local0, ) */
	a = fresh();
	aml_op(&a, AML_OR);
	aml_name(&a, "CDW1");
	aml_int(&a, 4);
	aml_name(&a, "CDW1");
	aml_op(&a, AML_LNOT);
	aml_op(&a, AML_LEQUAL);
	aml_arg(&a, 1);
	aml_int(&a, 1);
	aml_op(&a, AML_STORE);
	aml_local(&a, 0);
	aml_name(&a, "");
	aml_op(&a, AML_AND);
	expect(&a, 0x7d, 'C', 'D', 'W', '1', 0x0a, 0x04, 'C', 'D', 'W', '1',
	       0x92, 0x93, 0x69, 0x01, 0x70, 0x60, 0x00, 0x7b);
}

static void test_if_else_create_field(void **state)
{
	struct aml a = fresh();

	(void)state;
	/* CreateDWordField (Arg3, 8, CDW3) */
	aml_create_dword_field(&a, 3, 8, "CDW3");
	expect(&a, 0x8a, 0x6b, 0x0a, 0x08, 'C', 'D', 'W', '3');
	/* If (Arg0) { Return (One) } Else { Return (Zero) } */
	a = fresh();
	aml_if(&a);
	aml_arg(&a, 0);
	aml_return(&a);
	aml_int(&a, 1);
	aml_close(&a);
	aml_else(&a);
	aml_return(&a);
	aml_int(&a, 0);
	aml_close(&a);
	expect(&a, 0xa0, 0x04, 0x68, 0xa4, 0x01, 0xa1, 0x03, 0xa4, 0x00);
}

static void test_nesting_errors(void **state)
{
	struct aml a = fresh();

	(void)state;
	aml_close(&a);
	assert_int_equal(a.err, -EINVAL);
	a = fresh();
	for (int i = 0; i <= AML_MAX_DEPTH; i++)
		aml_package(&a, 1);
	assert_int_equal(a.err, -E2BIG);
	a = fresh();
	aml_package(&a, 256);
	assert_int_equal(a.err, -E2BIG);
}

/* A buffer too small: an error, never a write past cap. The builder
 * needs 3 bytes of slack per open construct (PkgLength is reserved at
 * 4 bytes and shrunk on close): 29 bytes of output need 35. */
static void test_no_room(void **state)
{
	struct aml a;

	(void)state;
	for (size_t cap = 0; cap < 40; cap++) {
		memset(buf, 0xee, sizeof(buf));
		aml_init(&a, buf, cap);
		aml_scope(&a, "\\_SB");
		aml_device(&a, "COM0");
		aml_name_decl(&a, "_HID");
		aml_string(&a, "ARMH0011");
		aml_close(&a);
		aml_close(&a);
		assert_int_equal(a.err, cap < 35 ? -ENOSPC : 0);
		assert_true(a.len <= cap);
		for (size_t i = cap; i < 64; i++)
			assert_int_equal(buf[i], 0xee);
	}
}

/* Resource templates: the descriptor bytes, then the End Tag whose
 * checksum makes the whole template sum to zero. */
static const uint8_t *res_bytes(struct aml_res *r, struct aml *a,
				size_t *ret_len)
{
	uint8_t sum = 0;
	unsigned n;
	size_t body;

	*a = fresh();
	aml_res_end(r, a);
	assert_int_equal(a->err, 0);
	assert_int_equal(buf[0], AML_BUFFER);
	body = decode_pkglength(buf + 1, &n);
	(void)body;
	/* BufferSize is a ByteConst or WordConst here */
	if (buf[1 + n] == 0x0a) {
		*ret_len = buf[2 + n];
		n += 2;
	} else {
		assert_int_equal(buf[1 + n], 0x0b);
		*ret_len = buf[2 + n] | buf[3 + n] << 8;
		n += 3;
	}
	for (size_t i = 0; i < *ret_len; i++)
		sum += buf[1 + n + i];
	assert_int_equal(sum, 0);
	assert_int_equal(buf[1 + n + *ret_len - 2], 0x79);
	return buf + 1 + n;
}

#define expect_res(r, ...) do { \
	static const uint8_t want_[] = { __VA_ARGS__ }; \
	struct aml a_; \
	size_t len_; \
	const uint8_t *got_ = res_bytes(r, &a_, &len_); \
	assert_int_equal(len_, sizeof(want_) + 2); \
	assert_memory_equal(got_, want_, sizeof(want_)); \
} while (0)

static void test_res_mem32_irq(void **state)
{
	struct aml_res r;

	(void)state;
	aml_res_init(&r);
	aml_res_mem32(&r, 0x09000000, 0x1000);
	aml_res_irq(&r, 33, 0);
	expect_res(&r, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09,
		   0x00, 0x10, 0x00, 0x00,
		   0x89, 0x06, 0x00, 0x01, 0x01, 0x21, 0x00, 0x00, 0x00);
	aml_res_init(&r);
	aml_res_irq(&r, 0x1234, AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED);
	expect_res(&r, 0x89, 0x06, 0x00, 0x0f, 0x01, 0x34, 0x12, 0x00, 0x00);
}

static void test_res_word_bus(void **state)
{
	struct aml_res r;
	struct aml_addr bus = { AML_RES_BUS, true, false, false, 0, 255, 0, 256 };

	(void)state;
	aml_res_init(&r);
	aml_res_addr(&r, &bus);
	/* WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
	 * 0, 0, 255, 0, 256) */
	expect_res(&r, 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00,
		   0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01);
}

static void test_res_dword_io(void **state)
{
	struct aml_res r;
	struct aml_addr io = { AML_RES_IO, true, false, true, 0, 0xffff,
			       0x3eff0000, 0x10000 };

	(void)state;
	aml_res_init(&r);
	aml_res_addr(&r, &io);
	/* DWordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode,
	 * EntireRange, 0, 0, 0xffff, 0x3eff0000, 0x10000,,, TypeTranslation) */
	expect_res(&r, 0x87, 0x17, 0x00, 0x01, 0x0c, 0x13,
		   0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0,
		   0x00, 0x00, 0xff, 0x3e, 0x00, 0x00, 0x01, 0x00);
}

static void test_res_qword_memory(void **state)
{
	struct aml_res r;
	struct aml_addr mem = { AML_RES_MEM, true, true, false, 0x8000000000ull,
				0xffffffffffull, 0, 0x8000000000ull };

	(void)state;
	aml_res_init(&r);
	aml_res_addr(&r, &mem);
	/* QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
	 * Prefetchable, ReadWrite, 0, 0x8000000000, 0xffffffffff, 0,
	 * 0x8000000000) */
	expect_res(&r, 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x07,
		   0, 0, 0, 0, 0, 0, 0, 0,
		   0, 0, 0, 0, 0x80, 0, 0, 0,
		   0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0,
		   0, 0, 0, 0, 0, 0, 0, 0,
		   0, 0, 0, 0, 0x80, 0, 0, 0);
	/* a 32-bit window that fits picks DWord, non-cacheable */
	aml_res_init(&r);
	mem = (struct aml_addr){ AML_RES_MEM, true, false, false, 0x10000000,
				 0x3efeffff, 0, 0x2eff0000 };
	aml_res_addr(&r, &mem);
	expect_res(&r, 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01,
		   0, 0, 0, 0, 0x00, 0x00, 0x00, 0x10, 0xff, 0xff, 0xfe, 0x3e,
		   0, 0, 0, 0, 0x00, 0x00, 0xff, 0x2e);
}

static void test_res_gpio_int(void **state)
{
	struct aml_res r;

	(void)state;
	aml_res_init(&r);
	aml_res_gpio_int(&r, 3, true, false, "\\_SB.GPO0");
	/* GpioInt (Edge, ActiveHigh, Exclusive, PullDefault, 0,
	 * "\\_SB.GPO0") {3} */
	expect_res(&r, 0x8c, 0x20, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00,
		   0x00, 0x00, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x19, 0x00,
		   0x23, 0x00, 0x00, 0x00, 0x03, 0x00,
		   '\\', '_', 'S', 'B', '.', 'G', 'P', 'O', '0', 0x00);
}

static void test_res_full(void **state)
{
	struct aml_res r;
	struct aml a = fresh();

	(void)state;
	aml_res_init(&r);
	for (int i = 0; i < 100; i++)
		aml_res_mem32(&r, 0, 1);
	assert_int_equal(r.err, -ENOSPC);
	aml_res_end(&r, &a);
	assert_int_equal(a.err, -ENOSPC);
	assert_int_equal(a.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength_boundaries),
		cmocka_unit_test(test_pkglength_too_large),
		cmocka_unit_test(test_pkglength_roundtrip),
		cmocka_unit_test(test_close_moves_body),
		cmocka_unit_test(test_nameseg_padding),
		cmocka_unit_test(test_namepath_forms),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_buffer_and_package),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_scope_device_name),
		cmocka_unit_test(test_method_notify),
		cmocka_unit_test(test_args_locals_ops),
		cmocka_unit_test(test_if_else_create_field),
		cmocka_unit_test(test_nesting_errors),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_res_mem32_irq),
		cmocka_unit_test(test_res_word_bus),
		cmocka_unit_test(test_res_dword_io),
		cmocka_unit_test(test_res_qword_memory),
		cmocka_unit_test(test_res_gpio_int),
		cmocka_unit_test(test_res_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
