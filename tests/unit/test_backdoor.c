// SPDX-License-Identifier: Apache-2.0
/*
 * Backdoor x7 decoding and the basic commands (core/backdoor.c). The x7
 * values are built from Linux vmwgfx_msg_arm64.h's layout and
 * open-vm-tools' backdoorGcc64_arm64.c usage, written out here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bd_fake.h"

#define MAGIC86		(0x86ull << 32)
#define LB_IN		(MAGIC86 | 0x8 | 0x4 | 2)	/* in eax, dx */
#define HB_OUT		(MAGIC86 | 0x10 | 0x8)		/* rep outsb */
#define HB_IN		(MAGIC86 | 0x10 | 0x8 | 0x4)	/* rep insb */

/* proto/inc/verge_backdoor.h, which every component builds from, against
 * the values written out above and the public ones (backdoor_def.h,
 * guest_msg_def.h). */
static void test_abi_header(void **state)
{
	(void)state;
	assert_int_equal(BD_X7(BD_X7_LB_IN), LB_IN);
	assert_int_equal(BD_X7(BD_X7_HB_OUT), HB_OUT);
	assert_int_equal(BD_X7(BD_X7_HB_IN), HB_IN);
	assert_int_equal(BDOOR_MAGIC, 0x564D5868);
	assert_int_equal(BDOOR_PORT, 0x5658);
	assert_int_equal(BDOORHB_PORT, 0x5659);
	assert_int_equal(BDOOR_CMD_MESSAGE, 30);
	assert_int_equal(MSG_CLOSE, 6);
	assert_int_equal(MSG_STATUS_HB, 0x80);
	assert_int_equal(RPCI_PROTOCOL, 0x49435052);
	assert_int_equal(TCLO_PROTOCOL, 0x4f4c4354);
}

static void test_decode(void **state)
{
	struct bd_io io;

	(void)state;
	assert_true(bd_decode(LB_IN, 0x12345658, &io));
	assert_int_equal(io.size, 4);
	assert_true(io.in);
	assert_false(io.str);
	assert_int_equal(io.port, 0x5658);	/* dx, 16 bits */
	assert_true(bd_decode(HB_OUT, 0x5659, &io));
	assert_true(io.str);
	assert_false(io.in);
	assert_false(io.df);
	assert_int_equal(io.size, 1);
	assert_true(bd_decode(HB_IN | 0x20, 0x5659, &io));
	assert_true(io.df);
	/* Sizes 0..3: 1, 2, 4, reserved. */
	for (unsigned s = 0; s < 4; s++) {
		assert_true(bd_decode(MAGIC86 | 0x8 | s, 0, &io));
		assert_int_equal(io.size, s == 3 ? 0 : 1u << s);
	}
	/* Without DX: imm8 port in bits [12:5]; bit 5 is no direction. */
	assert_true(bd_decode(MAGIC86 | 0x4 | (0x60 << 5), 0x5658, &io));
	assert_int_equal(io.port, 0x60);
	assert_false(io.df);
	/* x7[47:32] must be exactly 0x86; bits 63:48 are not looked at. */
	assert_false(bd_decode(0x85ull << 32 | 0xe, 0, &io));
	assert_false(bd_decode(0x186ull << 32 | 0xe, 0, &io));
	assert_false(bd_decode(0xe, 0, &io));
	assert_true(bd_decode(0xffffull << 48 | LB_IN, 0, &io));
}

static enum bd_result call(uint64_t x7, uint64_t r[7])
{
	struct bd_ctx b = fake_ctx(NULL, 0);

	return bd_call(&b, x7, r);
}

static void test_getversion(void **state)
{
	/* High halves set: only the low 32 bits count, results are 32-bit
	 * writes (zero-extended), untouched registers stay as they were. */
	uint64_t r[7] = { 0xffffffff00000000ull | 0x564D5868, ~0ull,
			  0xabcd0000000a, 0x5658, 5, 6, 7 };

	(void)state;
	assert_int_equal(call(LB_IN, r), BD_DONE);
	assert_int_equal(r[BD_AX], 6);
	assert_int_equal(r[BD_BX], 0x564D5868);
	assert_int_equal(r[BD_CX], 2);
	assert_int_equal(r[BD_DX], 0x5658);
	assert_int_equal(r[BD_SI], 5);
	assert_int_equal(r[BD_DI], 6);
	assert_int_equal(r[BD_BP], 7);
}

static void test_not_backdoor(void **state)
{
	uint64_t r[7] = { 0x564D5868, 0, 10, 0x5658, 0, 0, 0 }, keep[7];

	(void)state;
	memcpy(keep, r, sizeof(r));
	assert_int_equal(call(0x85ull << 32 | 0xe, r), BD_NOT_BACKDOOR);
	assert_memory_equal(r, keep, sizeof(r));
}

static void test_unclaimed_ports(void **state)
{
	uint64_t r[7] = { 0x11223344, 0, 10, 0x5658 };

	(void)state;
	/* No magic: IN reads all ones in eax. */
	call(LB_IN, r);
	assert_int_equal(r[BD_AX], 0xffffffff);
	/* Magic but another port: inb changes al only, outb nothing. */
	r[BD_AX] = 0x564D5868;
	r[BD_DX] = 0x60;
	call(MAGIC86 | 0x8 | 0x4, r);
	assert_int_equal(r[BD_AX], 0x564D58ff);
	r[BD_AX] = 0x564D5868;
	call(MAGIC86 | 0x8 | 0x4 | 1, r);
	assert_int_equal(r[BD_AX], 0x564Dffff);
	r[BD_AX] = 0x564D5868;
	call(MAGIC86 | 0x8 | 2, r);		/* out */
	assert_int_equal(r[BD_AX], 0x564D5868);
	/* Reserved size: nothing happens at all. */
	call(MAGIC86 | 0x8 | 0x4 | 3, r);
	assert_int_equal(r[BD_AX], 0x564D5868);
	/* A byte IN on the backdoor port is no backdoor call either. */
	r[BD_DX] = 0x5658;
	call(MAGIC86 | 0x8 | 0x4, r);
	assert_int_equal(r[BD_AX], 0x564D58ff);
}

static void test_unknown_command(void **state)
{
	uint64_t r[7] = { 0x564D5868, 0x77, 0xfff0, 0x5658, 1, 2, 3 };

	(void)state;
	call(LB_IN, r);
	assert_int_equal(r[BD_AX], 0xffffffff);
	assert_int_equal(r[BD_BX], 0x77);
	assert_int_equal(r[BD_CX], 0xfff0);
	/* MESSAGE without channels: the same error. */
	r[BD_AX] = 0x564D5868;
	r[BD_CX] = 30;
	call(LB_IN, r);
	assert_int_equal(r[BD_AX], 0xffffffff);
}

static void test_hz_uuid(void **state)
{
	static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					  12, 13, 14, 15, 16 };
	struct bd_ctx b = fake_ctx(NULL, 0);
	uint64_t r[7] = { 0x564D5868, 0, 1, 0x5658 };

	(void)state;
	b.counter_hz = 62500000;
	bd_call(&b, LB_IN, r);
	assert_int_equal(r[BD_AX], 63);		/* 62.5 rounds up */
	assert_int_equal(r[BD_BX], 0x564D5868);
	b.counter_hz = 0x1234567890ull;
	r[BD_AX] = 0x564D5868;
	r[BD_CX] = 45;
	bd_call(&b, LB_IN, r);
	assert_int_equal(r[BD_AX], 0x34567890);
	assert_int_equal(r[BD_BX], 0x12);
	/* GETUUID: nil without one; else byte 0 in eax[7:0]. */
	r[BD_AX] = 0x564D5868;
	r[BD_CX] = 19;
	bd_call(&b, LB_IN, r);
	assert_int_equal(r[BD_AX] | r[BD_BX] | r[BD_CX] | r[BD_DX], 0);
	b.uuid = uuid;
	r[BD_AX] = 0x564D5868;
	r[BD_CX] = 19;
	r[BD_DX] = 0x5658;	/* the nil UUID cleared edx */
	bd_call(&b, LB_IN, r);
	assert_int_equal(r[BD_AX], 0x04030201);
	assert_int_equal(r[BD_DX], 0x100f0e0d);
}

static void test_time(void **state)
{
	uint64_t r[7] = { 0x564D5868, 0, 46, 0x5658, 0, 99, 0 };

	(void)state;
	fake.time_valid = false;
	call(LB_IN, r);
	assert_int_equal(r[BD_AX], 0xffffffff);
	/* 2^32 + 5 s and 123456789 ns: seconds split over si:dx. */
	fake.time_valid = true;
	fake.time_ns = ((1ull << 32) + 5) * 1000000000ull + 123456789;
	r[BD_AX] = 0x564D5868;
	call(LB_IN, r);
	assert_int_equal(r[BD_AX], 0x564D5868);	/* untouched on success */
	assert_int_equal(r[BD_SI], 1);
	assert_int_equal(r[BD_DX], 5);
	assert_int_equal(r[BD_BX], 123456);
	assert_int_equal(r[BD_CX], BDOOR_MAX_TIME_LAG_US);
	assert_int_equal(r[BD_DI], 99);		/* not WITH_LAG */
	r[BD_CX] = 55;
	r[BD_DX] = 0x5658;	/* edx held seconds */
	call(LB_IN, r);
	assert_int_equal(r[BD_DI], 0);
}

/* The fast path takes exactly the basic commands that need no lock, and
 * leaves the registers as bd_call() does; it declines everything else
 * without touching a register. A random sweep of x7 shapes, ports and
 * commands (a fixed seed), each compared with bd_call(). */
static void test_fast_path(void **state)
{
	static const uint8_t uuid[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
	static const uint16_t cmds[] = { 1, 10, 19, 30, 45, 46, 55, 0, 0xffff };
	uint64_t seed = 0x9e3779b97f4a7c15ull, taken = 0;
	struct bd_ctx b = fake_ctx(NULL, 0);

	(void)state;
	b.uuid = uuid;
	b.counter_hz = 62500000;
	fake.time_valid = true;
	for (int i = 0; i < 200000; i++) {
		uint64_t r[7], slow[7], fast[7], x7;

		for (int k = 0; k < 7; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			r[k] = seed ^ (seed >> 29);
		}
		x7 = r[6] & (0xffffull << 48 | 0x1fff);
		if (i & 1)
			x7 |= MAGIC86;
		if (i & 2)
			x7 = (x7 & ~0x1full) | 0xe;	/* IN, DX, 4 bytes */
		if (i & 4)
			r[BD_AX] = (r[BD_AX] & ~0xffffffffull) | 0x564D5868;
		if (i & 8)
			r[BD_DX] = (r[BD_DX] & ~0xffffull) | 0x5658;
		r[BD_CX] = (r[BD_CX] & ~0xffffull) | cmds[(r[5] >> 7) % 9];
		memcpy(slow, r, sizeof(r));
		memcpy(fast, r, sizeof(r));
		if (!bd_fast_call(&b, x7, fast)) {
			assert_memory_equal(fast, r, sizeof(r));
			continue;
		}
		taken++;
		assert_int_equal(bd_call(&b, x7, slow), BD_DONE);
		assert_memory_equal(fast, slow, sizeof(r));
	}
	assert_true(taken > 1000);
	/* What the test guest and open-vm-tools send: taken. */
	{
		uint64_t r[7] = { 0x564D5868, ~0ull, 10, 0x5658, 5, 6, 7 };

		assert_true(bd_fast_call(&b, LB_IN, r));
		assert_int_equal(r[BD_AX], 6);
		assert_int_equal(r[BD_BX], 0x564D5868);
		/* MESSAGE and the time are not: they need the lock. */
		r[BD_AX] = 0x564D5868;
		r[BD_CX] = 30;
		assert_false(bd_fast_call(&b, LB_IN, r));
		r[BD_CX] = 46;
		assert_false(bd_fast_call(&b, LB_IN, r));
		assert_false(bd_fast_call(&b, HB_IN, r));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi_header),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_getversion),
		cmocka_unit_test(test_not_backdoor),
		cmocka_unit_test(test_unclaimed_ports),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_hz_uuid),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_fast_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
