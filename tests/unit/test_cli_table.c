// SPDX-License-Identifier: Apache-2.0
/* verge's human output: the table formatter and the value formats. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run.h"
#include "table.h"

static char *out;
static size_t outlen;

static FILE *capture(void)
{
	FILE *f;

	free(out);
	out = NULL;
	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	return f;
}

static const struct cli_col cols[] = {
	{ "NAME", false }, { "STATE", false }, { "CPUS", true },
	{ "AGENT", false },
};

static void add(struct cli_table *t, const char *a, const char *b,
		const char *c, const char *d)
{
	assert_int_equal(cli_table_add(t, (const char *const[]){ a, b, c, d }),
			 0);
}

static void test_aligned(void **state)
{
	struct cli_table t;
	FILE *f = capture();

	(void)state;
	assert_int_equal(cli_table_init(&t, cols, 4), 0);
	add(&t, "web-1", "running", "2", "3s ago");
	add(&t, "database-primary", "defined", "16", NULL);
	cli_table_print(&t, f, 0);
	cli_table_free(&t);
	fclose(f);
	assert_string_equal(out,
		"NAME              STATE    CPUS  AGENT\n"
		"web-1             running     2  3s ago\n"
		"database-primary  defined    16  -\n");
}

/* The last column is not padded, so lines have no trailing blanks. */
static void test_no_trailing_blanks(void **state)
{
	struct cli_table t;
	FILE *f = capture();

	(void)state;
	cli_table_init(&t, cols, 4);
	add(&t, "a", "b", "1", "x");
	add(&t, "a", "b", "1", "a much longer agent cell");
	cli_table_print(&t, f, CLI_TABLE_NO_HEADER);
	cli_table_free(&t);
	fclose(f);
	assert_string_equal(out, "a  b  1  x\n"
				 "a  b  1  a much longer agent cell\n");
	for (char *p = strchr(out, '\n'); p; p = strchr(p + 1, '\n'))
		assert_true(p == out || p[-1] != ' ');
}

/* Guest-provided text cannot send escape sequences to the terminal. */
static void test_sanitized(void **state)
{
	struct cli_table t;
	FILE *f = capture();

	(void)state;
	cli_table_init(&t, cols, 4);
	add(&t, "\033[2Jevil", "a\tb", "1", "line\nbreak\r");
	cli_table_print(&t, f, CLI_TABLE_NO_HEADER);
	cli_table_free(&t);
	fclose(f);
	assert_string_equal(out, "?[2Jevil  a?b  1  line?break?\n");
}

/* Width counts characters, not bytes: UTF-8 names stay aligned. */
static void test_utf8_width(void **state)
{
	static const struct cli_col two[] = { { "N", false }, { "X", false } };
	struct cli_table t;
	FILE *f = capture();

	(void)state;
	assert_int_equal(cli_text_width("h\xc3\xa9t\xc3\xa9"), 4);
	cli_table_init(&t, two, 2);
	cli_table_add(&t, (const char *const[]){ "h\xc3\xa9t\xc3\xa9", "1" });
	cli_table_add(&t, (const char *const[]){ "abc", "2" });
	cli_table_print(&t, f, CLI_TABLE_NO_HEADER);
	cli_table_free(&t);
	fclose(f);
	assert_string_equal(out, "h\xc3\xa9t\xc3\xa9  1\nabc   2\n");
}

/* Bold only on a terminal, and it ends before the newline. */
static void test_bold_header(void **state)
{
	struct cli_table t;
	FILE *f = capture();

	(void)state;
	cli_table_init(&t, cols, 4);
	add(&t, "a", "b", "1", "x");
	cli_table_print(&t, f, CLI_TABLE_BOLD);
	cli_table_free(&t);
	fclose(f);
	assert_string_equal(out, "\033[1mNAME  STATE  CPUS  AGENT\033[0m\n"
				 "a     b         1  x\n");
}

static void test_many_rows(void **state)
{
	struct cli_table t;
	FILE *f = capture();
	char name[16];
	size_t lines = 0;

	(void)state;
	cli_table_init(&t, cols, 4);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "vm-%d", i);
		add(&t, name, "defined", "2", NULL);
	}
	cli_table_print(&t, f, 0);
	cli_table_free(&t);
	fclose(f);
	for (char *p = out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 1001);
	assert_non_null(strstr(out, "\nvm-999  defined     2  -\n"));
}

/* Streamed rows (events --follow) use the widths of the rows so far. */
static void test_streamed_row(void **state)
{
	struct cli_table t;
	FILE *f = capture();

	(void)state;
	cli_table_init(&t, cols, 4);
	add(&t, "web-1", "running", "2", "x");
	cli_table_print(&t, f, 0);
	cli_table_print_row(&t, f, (const char *const[]){ "b", "\033", "1",
							  "y" });
	cli_table_free(&t);
	fclose(f);
	assert_string_equal(out, "NAME   STATE    CPUS  AGENT\n"
				 "web-1  running     2  x\n"
				 "b      ?           1  y\n");
}

static void test_formats(void **state)
{
	static const struct {
		double s;
		const char *want;
	} durations[] = {
		{ 0, "0s" }, { 12.5, "12s" }, { 59.99, "59s" }, { 60, "1m 00s" },
		{ 200, "3m 20s" }, { 7380, "2h 03m" }, { 90000, "1d 01h" },
		{ -1, "-" }, { 0.0 / 0.0, "-" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		cli_fmt_duration(durations[i].s, buf, sizeof(buf));
		assert_string_equal(buf, durations[i].want);
	}
	cli_fmt_age(1.2, buf, sizeof(buf));
	assert_string_equal(buf, "1s ago");
	cli_fmt_freq(62500000, buf, sizeof(buf));
	assert_string_equal(buf, "62.5 MHz");
	cli_fmt_freq(1e9, buf, sizeof(buf));
	assert_string_equal(buf, "1 GHz");
	cli_fmt_freq(999, buf, sizeof(buf));
	assert_string_equal(buf, "999 Hz");
	cli_fmt_mib(1024, buf, sizeof(buf));
	assert_string_equal(buf, "1 GiB");
	cli_fmt_mib(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1536 MiB");
	cli_fmt_mib(0, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	/* A time no time_t holds is no time (found by tests/fuzz/fuzz_cli:
	 * the conversion was undefined; UBSan's float-cast-overflow, as
	 * the unit-asan tier builds, stops there). */
	cli_fmt_time(1.7e29, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	cli_fmt_time(1e300, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	cli_fmt_time(253402300800.0, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	cli_fmt_time(1.7e9, buf, sizeof(buf));
	assert_memory_equal(buf, "2023-11-1", 9);	/* local time */
}

/* A list or object longer than the buffer is cut, not garbage (found by
 * tests/fuzz/fuzz_cli: json_dumpb() leaves the buffer undefined when
 * the text does not fit, and `verge vm stats` printed what was there). */
static void test_scalar_cut(void **state)
{
	json_t *v = json_pack("[sss]", "0123456789", "abcdefghij", "xyz");
	char buf[16];

	(void)state;
	memset(buf, '\b', sizeof(buf));
	cli_fmt_scalar(v, buf, sizeof(buf));
	assert_string_equal(buf, "[\"0123456789\",\"");
	memset(buf, '\b', sizeof(buf));
	cli_fmt_scalar(v, buf, 4);
	assert_string_equal(buf, "[\"0");
	json_decref(v);
}

/* What a guest or a peer put in a reply reaches a terminal with its
 * control characters as '?' (found by tests/fuzz/fuzz_cli: a guestinfo
 * value set by the guest could retitle or drive the operator's
 * terminal); a pipe gets the bytes as they are, for scripts. */
static void test_reply_text_on_terminal(void **state)
{
	json_t *r = json_pack("{ss ss ss}", "value", "a\033]0;x\007b",
			      "name", "w\033[2J", "state", "running");
	struct cli_ctx ctx = { .tty = true };

	(void)state;
	ctx.out = capture();
	show_guestinfo(&ctx, r);
	show_vm_state(&ctx, r);
	show_fields(&ctx, json_object_get(r, "value"));
	fclose(ctx.out);
	assert_string_equal(out, "a?]0;x?b\nw?[2J: running\na?]0;x?b\n");
	ctx.tty = false;
	ctx.out = capture();
	show_guestinfo(&ctx, r);
	fclose(ctx.out);
	/* human output is filtered in a pipe too; --json keeps it exact */
	assert_string_equal(out, "a?]0;x?b\n");
	json_decref(r);
}

static int teardown(void **state)
{
	(void)state;
	free(out);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_no_trailing_blanks),
		cmocka_unit_test(test_sanitized),
		cmocka_unit_test(test_utf8_width),
		cmocka_unit_test(test_bold_header),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_streamed_row),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_scalar_cut),
		cmocka_unit_test(test_reply_text_on_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
