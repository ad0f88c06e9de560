// SPDX-License-Identifier: Apache-2.0
/* verge-guest-agent's pure parts: the JSON writer, TCLO parsing and
 * answers, the exclusive-monitor rule and the overall detection answer,
 * the back-off and the hint table. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backoff.h"
#include "doorbell.h"
#include "hints.h"
#include "json.h"
#include "tclo.h"
#include "verdict.h"

/* --- JSON ---------------------------------------------------------- */

static void test_json_values(void **state)
{
	char buf[256];
	struct json j;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_obj_open(&j, NULL);
	json_str(&j, "s", "x");
	json_int(&j, "i", -42);
	json_uint(&j, "u", UINT64_MAX);
	json_num(&j, "f", 0.5, 3);
	json_bool(&j, "t", true);
	json_null(&j, "n");
	json_str(&j, "null_str", NULL);
	json_arr_open(&j, "a");
	json_int(&j, NULL, 1);
	json_obj_open(&j, NULL);
	json_obj_close(&j);
	json_arr_close(&j);
	json_obj_close(&j);
	assert_int_equal(json_end(&j), strlen(buf));
	assert_string_equal(buf, "{\"s\":\"x\",\"i\":-42,"
			    "\"u\":18446744073709551615,\"f\":0.500,"
			    "\"t\":true,\"n\":null,\"null_str\":null,"
			    "\"a\":[1,{}]}");
}

static void test_json_escape(void **state)
{
	char buf[128];
	struct json j;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_str(&j, NULL, "q\"b\\n\nt\tc\x01\x1f é");
	assert_true(json_end(&j) > 0);
	assert_string_equal(buf,
		"\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f é\"");
	json_init(&j, buf, sizeof(buf));
	json_strn(&j, "k\"", "a\0b", 3);	/* embedded NUL escaped */
	assert_true(json_end(&j) > 0);
	assert_string_equal(buf, "\"k\\\"\":\"a\\u0000b\"");
}

static void test_json_nonfinite(void **state)
{
	char buf[64];
	struct json j;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_arr_open(&j, NULL);
	json_num(&j, NULL, NAN, 2);
	json_num(&j, NULL, INFINITY, 2);
	json_arr_close(&j);
	assert_true(json_end(&j) > 0);
	assert_string_equal(buf, "[null,null]");
}

/* Every prefix length of the buffer: never a byte past cap, and either
 * the whole text or -ENOSPC. */
static void test_json_overflow(void **state)
{
	const char *want = "{\"key\":\"value \\\" with escape\",\"n\":12345}";
	char buf[96];
	size_t cap;

	(void)state;
	for (cap = 0; cap < 64; cap++) {
		struct json j;
		int n;

		memset(buf, 'Z', sizeof(buf));
		json_init(&j, buf, cap);
		json_obj_open(&j, NULL);
		json_str(&j, "key", "value \" with escape");
		json_int(&j, "n", 12345);
		json_obj_close(&j);
		n = json_end(&j);
		assert_true(buf[cap] == 'Z');
		if (cap > strlen(want)) {
			assert_int_equal(n, strlen(want));
			assert_string_equal(buf, want);
		} else {
			assert_int_equal(n, -ENOSPC);
		}
	}
}

static void test_json_nesting(void **state)
{
	char buf[64];
	struct json j;
	int i;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_obj_open(&j, NULL);
	assert_int_equal(json_end(&j), -EINVAL);	/* unclosed */
	json_init(&j, buf, sizeof(buf));
	json_obj_close(&j);
	assert_int_equal(json_end(&j), -EINVAL);	/* nothing open */
	json_init(&j, buf, sizeof(buf));
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_open(&j, NULL);
	assert_int_equal(json_end(&j), -EINVAL);	/* too deep */
}

/* --- TCLO ---------------------------------------------------------- */

static int parse(const char *s, struct tclo_req *r)
{
	return tclo_parse(s, strlen(s), r);
}

static void test_tclo_commands(void **state)
{
	static const struct {
		const char *text;
		enum tclo_kind kind;
		uint64_t id;
	} ok[] = {
		{ "verge.ping 7", TCLO_V_PING, 7 },
		{ "verge.detect 0", TCLO_V_DETECT, 0 },
		{ "verge.timesync 18446744073709551615", TCLO_V_TIMESYNC,
		  UINT64_MAX },
		{ "verge.report 12", TCLO_V_REPORT, 12 },
		{ "verge.ping 3\n", TCLO_V_PING, 3 },
	};
	struct tclo_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(ok[i].text, &r), 0);
		assert_int_equal(r.kind, ok[i].kind);
		assert_true(r.has_id);
		assert_true(r.id == ok[i].id);
	}
	assert_int_equal(parse("verge.guestinfo 5 my.key-1_x", &r), 0);
	assert_int_equal(r.kind, TCLO_V_GUESTINFO);
	assert_string_equal(r.key, "my.key-1_x");
	assert_int_equal(parse("reset", &r), 0);
	assert_int_equal(r.kind, TCLO_RESET);
	assert_false(r.has_id);
	/* A trailing NUL, as some hosts send, is not part of the text. */
	assert_int_equal(tclo_parse("ping", 5, &r), 0);
	assert_int_equal(r.kind, TCLO_PING);
	assert_int_equal(parse("Capabilities_Register", &r), 0);
	assert_int_equal(r.kind, TCLO_UNKNOWN);
	assert_int_equal(parse("verge.pingx 1", &r), 0);
	assert_int_equal(r.kind, TCLO_UNKNOWN);
	assert_string_equal(tclo_name(TCLO_V_GUESTINFO), "verge.guestinfo");
	assert_null(tclo_name(TCLO_UNKNOWN));
}

static void test_tclo_bad(void **state)
{
	static const char *const bad[] = {
		"verge.ping", "verge.ping x", "verge.ping -1", "verge.ping +1",
		"verge.ping 18446744073709551616", "verge.ping 1 2",
		"verge.guestinfo 1", "verge.guestinfo 1 bad/key",
		"verge.guestinfo 1 a b", "ping extra",
		"verge.guestinfo 1 "
		"k2345678901234567890123456789012345678901234567890123456789012345",
	};
	struct tclo_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &r), -EINVAL);
		assert_non_null(r.error);
	}
	/* A bad KEY keeps the ID, so the error can name the request. */
	assert_int_equal(parse("verge.guestinfo 9 a/b", &r), -EINVAL);
	assert_true(r.has_id && r.id == 9);
	assert_int_equal(tclo_parse("verge.ping\0 1", 13, &r), -EINVAL);
}

static void test_tclo_answers(void **state)
{
	struct tclo_req r;
	char buf[64];

	(void)state;
	parse("verge.ping 42", &r);
	assert_int_equal(tclo_format_ok(buf, sizeof(buf), &r, "{\"a\":1}"),
			 strlen("OK 42 {\"a\":1}"));
	assert_string_equal(buf, "OK 42 {\"a\":1}");
	tclo_format_ok(buf, sizeof(buf), &r, NULL);
	assert_string_equal(buf, "OK 42");
	tclo_format_error(buf, sizeof(buf), &r, "host time not set");
	assert_string_equal(buf, "ERROR 42 host time not set");
	parse("reset", &r);
	tclo_format_ok(buf, sizeof(buf), &r, "{}");
	assert_string_equal(buf, "OK ATR toolbox");
	parse("ping", &r);
	tclo_format_ok(buf, sizeof(buf), &r, NULL);
	assert_string_equal(buf, "OK ");
	parse("nonsense", &r);
	tclo_format_error(buf, sizeof(buf), &r, "Unknown Command");
	assert_string_equal(buf, "ERROR Unknown Command");
	parse("verge.ping 1", &r);
	assert_int_equal(tclo_format_ok(buf, 8, &r, "{\"long\":1}"), -ENOSPC);
}

/* --- detection rule ------------------------------------------------ */

#define N 1000

/* One profile: failed/signalled per candidate, in the order control,
 * tpidr, midr, mdccsr, mdccsr_bd. */
static void profile(struct excl_cand *c, const uint32_t failed[5],
		    const uint32_t sig[5])
{
	static const enum excl_role roles[5] = {
		EXCL_CONTROL, EXCL_NOTRAP, EXCL_KERNEL, EXCL_PROBE, EXCL_PROBE,
	};
	int i;

	memset(c, 0, 5 * sizeof(*c));
	for (i = 0; i < 5; i++) {
		c[i].role = roles[i];
		c[i].trials = N;
		c[i].failed = failed[i];
		c[i].signalled = sig[i];
	}
}

static void test_rule_verge(void **state)
{
	const uint32_t f[5] = { 0, 0, N, N, N }, s[5] = { 0, 0, 0, N, 0 };
	struct excl_cand c[5];
	struct excl_verdict v;

	(void)state;
	profile(c, f, s);
	excl_verdict(c, 5, &v);
	assert_true(v.conclusive);
	assert_true(v.above);
	assert_int_equal(c[2].cls, EXCL_TRAP_KERNEL);	/* emulated midr */
	assert_int_equal(c[3].cls, EXCL_TRAP_KERNEL);	/* UNDEF injected */
	assert_int_equal(c[4].cls, EXCL_TRAP_ABOVE);	/* the backdoor */
	assert_true(v.confidence > 0.995 && v.confidence < 0.997);
}

static void test_rule_not_above(void **state)
{
	/* Bare QEMU: DCC reads do not trap. Bare Linux on hardware: they
	 * trap to EL1 and the process gets SIGILL. */
	const uint32_t qf[5] = { 0, 0, N, 0, 0 }, qs[5] = { 0 };
	const uint32_t hf[5] = { 0, 0, N, N, N }, hs[5] = { 0, 0, 0, N, N };
	struct excl_cand c[5];
	struct excl_verdict v;

	(void)state;
	profile(c, qf, qs);
	excl_verdict(c, 5, &v);
	assert_true(v.conclusive);
	assert_false(v.above);
	assert_int_equal(c[4].cls, EXCL_NO_TRAP);
	profile(c, hf, hs);
	excl_verdict(c, 5, &v);
	assert_true(v.conclusive);
	assert_false(v.above);
	assert_int_equal(c[4].cls, EXCL_TRAP_KERNEL);
}

static void test_rule_inconclusive(void **state)
{
	const uint32_t sig[5] = { 0 };
	const uint32_t noisy[5] = { 50, 0, N, 0, N };	 /* control fails */
	const uint32_t blind[5] = { 0, 0, 0, 0, N };	 /* midr left it */
	const uint32_t mixed[5] = { 0, 0, N, 0, N / 2 }; /* probe 50 % */
	const uint32_t half_sig[5] = { 0, 0, 0, N / 2, 0 };
	const uint32_t allf[5] = { 0, 0, N, N, 0 };
	struct excl_cand c[5];
	struct excl_verdict v;

	(void)state;
	profile(c, noisy, sig);
	excl_verdict(c, 5, &v);
	assert_false(v.conclusive);
	assert_true(v.confidence == 0.0);
	profile(c, blind, sig);
	excl_verdict(c, 5, &v);
	assert_false(v.conclusive);
	profile(c, mixed, sig);
	excl_verdict(c, 5, &v);
	assert_false(v.conclusive);
	assert_int_equal(c[4].cls, EXCL_MIXED);
	/* Some trials signalled, some not: no clean class either. */
	profile(c, allf, half_sig);
	excl_verdict(c, 5, &v);
	assert_int_equal(c[3].cls, EXCL_MIXED);
	/* Without the kernel-trap candidate nothing can be said. */
	profile(c, allf, sig);
	excl_verdict(c, 2, &v);
	assert_false(v.conclusive);
}

static void test_rule_thresholds(void **state)
{
	const uint32_t sig[5] = { 0 };
	uint32_t f[5] = { 0, 0, N, 0, 990 };
	struct excl_cand c[5];
	struct excl_verdict v;

	(void)state;
	profile(c, f, sig);
	excl_verdict(c, 5, &v);
	assert_int_equal(c[4].cls, EXCL_TRAP_ABOVE);	/* 99.0 % */
	f[4] = 989;
	profile(c, f, sig);
	excl_verdict(c, 5, &v);
	assert_int_equal(c[4].cls, EXCL_MIXED);
	f[0] = 10;					/* 1 %: still clean */
	f[4] = N;
	profile(c, f, sig);
	excl_verdict(c, 5, &v);
	assert_true(v.conclusive && v.above);
	f[0] = 11;
	profile(c, f, sig);
	excl_verdict(c, 5, &v);
	assert_false(v.conclusive);
}

static void test_wilson(void **state)
{
	(void)state;
	assert_true(wilson_lower(0, 0) == 0.0);
	assert_true(wilson_lower(5, 3) == 0.0);
	assert_true(fabs(wilson_lower(1000, 1000) - 0.99617) < 1e-4);
	assert_true(fabs(wilson_lower(500, 1000) - 0.46907) < 1e-4);
	assert_true(wilson_lower(10, 10) < wilson_lower(1000, 1000));
}

static void test_decide(void **state)
{
	struct excl_verdict above = { true, true, 0.996, "" };
	struct excl_verdict below = { true, false, 0.99, "" };
	struct detect_inputs in;
	struct detect_answer a;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.backdoor = true;
	in.arm64 = true;
	in.excl = &above;
	detect_decide(&in, &a);
	assert_string_equal(a.name, "verge");
	assert_true(a.virtualized && a.have_confidence);
	in.hint = "vmware";
	detect_decide(&in, &a);
	assert_string_equal(a.name, "vmware");
	in.hint = NULL;
	in.arm64 = false;
	in.excl = NULL;
	detect_decide(&in, &a);
	assert_string_equal(a.name, "vmware");
	assert_false(a.have_confidence);
	in.backdoor = false;
	in.hint = "kvm";
	in.hint_by = "dmi";
	detect_decide(&in, &a);
	assert_string_equal(a.name, "kvm");
	assert_string_equal(a.basis, "dmi");
	in.hint = NULL;
	in.excl = &above;
	detect_decide(&in, &a);
	assert_string_equal(a.name, "vm-other");
	in.excl = &below;
	detect_decide(&in, &a);
	assert_string_equal(a.name, "none");
	assert_false(a.virtualized);
	assert_true(a.have_confidence && a.confidence == 0.99);
	/* A backdoor the exclusive method contradicts: no confidence. */
	in.backdoor = true;
	detect_decide(&in, &a);
	assert_true(a.virtualized);
	assert_false(a.have_confidence);
}

/* --- back-off and hints -------------------------------------------- */

static void test_backoff(void **state)
{
	static const uint32_t want[] = { 10, 20, 40, 80, 160, 320, 500, 500 };
	struct backoff b;
	size_t i;

	(void)state;
	backoff_init(&b, 10, 500);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(backoff_next(&b), want[i]);
	assert_int_equal(b.failures, 8);
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b), 10);
	backoff_init(&b, 0, 0);			/* never a zero delay */
	assert_int_equal(backoff_next(&b), 1);
	assert_int_equal(backoff_next(&b), 1);
	backoff_init(&b, 3000000000u, UINT32_MAX);	/* no overflow */
	assert_int_equal(backoff_next(&b), 3000000000u);
	assert_int_equal(backoff_next(&b), UINT32_MAX);
	assert_int_equal(backoff_next(&b), UINT32_MAX);
}

static void test_hints(void **state)
{
	(void)state;
	assert_string_equal(hints_match("cpuid", "KVMKVMKVM"), "kvm");
	assert_string_equal(hints_match("cpuid", "VMwareVMware"), "vmware");
	assert_string_equal(hints_match("dmi", "Microsoft Corporation "
					"Virtual Machine"), "microsoft");
	assert_null(hints_match("dmi", "Microsoft Corporation Surface"));
	assert_string_equal(hints_match("dt", "xen,xen"), "xen");
	assert_null(hints_match("dt", "linux,dummy-virt"));
	assert_null(hints_match("cpuid", ""));
	assert_null(hints_match("cpuid", NULL));
}

/* --- the doorbell's event device ------------------------------------- */

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mk(const char *root, const char *sub)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Found by its input device's name among others (QEMU's power button,
 * a non-event entry); -ENOENT when no device has the name, when sysfs is
 * missing, and the open's error when its node is. */
static void test_doorbell_open(void **state)
{
	char tmpl[] = "/tmp/ga-doorbell-XXXXXX", sys[64], dev[64], p[128];
	char *root = mkdtemp(tmpl);
	struct stat a, b;
	int fd;

	(void)state;
	assert_non_null(root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	assert_int_equal(mkdir(sys, 0755), 0);
	assert_int_equal(mkdir(dev, 0755), 0);
	assert_int_equal(doorbell_open(sys, dev), -ENOENT);
	mk(sys, "event0");
	mk(sys, "event0/device");
	put_file(sys, "event0/device/name", "gpio-keys\n");
	mk(sys, "mouse0");
	mk(sys, "mouse0/device");
	put_file(sys, "mouse0/device/name", "verge-doorbell\n");
	put_file(dev, "event0", "");
	put_file(dev, "mouse0", "");
	assert_int_equal(doorbell_open(sys, dev), -ENOENT);
	mk(sys, "event3");
	mk(sys, "event3/device");
	put_file(sys, "event3/device/name", "verge-doorbell-not\n");
	assert_int_equal(doorbell_open(sys, dev), -ENOENT);
	put_file(sys, "event3/device/name", "verge-doorbell\n");
	assert_int_equal(doorbell_open(sys, dev), -ENOENT);	/* no node */
	put_file(dev, "event3", "");
	fd = doorbell_open(sys, dev);
	assert_true(fd >= 0);
	snprintf(p, sizeof(p), "%s/event3", dev);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(p, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
	assert_int_equal(doorbell_open(sys, dev), -ENOENT);
}

/* Every press is a ring; releases and syncs are not; a drained device
 * gives 0. */
static void test_doorbell_drain(void **state)
{
	struct input_event ev[7] = {
		{ .type = EV_KEY, .code = BTN_0, .value = 1 },
		{ .type = EV_SYN },
		{ .type = EV_KEY, .code = BTN_0, .value = 0 },
		{ .type = EV_SYN },
		{ .type = EV_KEY, .code = BTN_0, .value = 1 },
		{ .type = EV_KEY, .code = BTN_0, .value = 0 },
		{ .type = EV_SYN },
	};
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(doorbell_drain(p[0]), 0);
	assert_int_equal(write(p[1], ev, sizeof(ev)), (int)sizeof(ev));
	assert_int_equal(doorbell_drain(p[0]), 2);
	assert_int_equal(doorbell_drain(p[0]), 0);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_nonfinite),
		cmocka_unit_test(test_json_overflow),
		cmocka_unit_test(test_json_nesting),
		cmocka_unit_test(test_tclo_commands),
		cmocka_unit_test(test_tclo_bad),
		cmocka_unit_test(test_tclo_answers),
		cmocka_unit_test(test_rule_verge),
		cmocka_unit_test(test_rule_not_above),
		cmocka_unit_test(test_rule_inconclusive),
		cmocka_unit_test(test_rule_thresholds),
		cmocka_unit_test(test_wilson),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_hints),
		cmocka_unit_test(test_doorbell_open),
		cmocka_unit_test(test_doorbell_drain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
