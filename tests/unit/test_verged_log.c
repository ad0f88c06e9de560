// SPDX-License-Identifier: Apache-2.0
/*
 * verged's log lines (agentd/log.c): a message that quotes a guest stays
 * one line starting with verged's prefix; under the journal no guest text
 * can start a line with a priority ("<0>"), and controls, C1 and bytes
 * that are not UTF-8 are written as visible escapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static void test_escape(void **state)
{
	char out[256];

	(void)state;
	log_escape("plain: caf\xc3\xa9 \xe2\x82\xac", out, sizeof(out));
	assert_string_equal(out, "plain: caf\xc3\xa9 \xe2\x82\xac");
	log_escape("x\n<0>forged\r\t", out, sizeof(out));
	assert_string_equal(out, "x\\n<0>forged\\r\\t");
	log_escape("\x1b]0;t\x07\x7f", out, sizeof(out));
	assert_string_equal(out, "\\x1b]0;t\\x07\\x7f");
	/* C1 as UTF-8, raw C1, overlong, surrogate, truncated */
	log_escape("\xc2\x9b" "1m\x9b\xc0\x8a\xed\xa0\x80\xe2\x82", out,
		   sizeof(out));
	assert_string_equal(out, "\\xc2\\x9b1m\\x9b\\xc0\\x8a\\xed\\xa0\\x80"
			    "\\xe2\\x82");
	/* cut at a whole escape, always NUL-terminated */
	assert_int_equal(log_escape("ab\ncd", out, 4), 2);
	assert_string_equal(out, "ab");
}

/* log_msg() under the journal, stderr captured in a file. */
static char *logged(const char *guest)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *text = calloc(1, 8192);

	assert_non_null(f);
	assert_non_null(text);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	setenv("JOURNAL_STREAM", "8:1", 1);
	log_init(0);
	log_info("%s: agent says '%s'", "web-1", guest);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	assert_true(fread(text, 1, 8191, f) > 0);
	fclose(f);
	unsetenv("JOURNAL_STREAM");
	return text;
}

static void test_one_line_under_the_journal(void **state)
{
	char *t = logged("ok\n<0>forged\r\n<3>again");

	(void)state;
	assert_string_equal(t, "<6>web-1: agent says 'ok\\n<0>forged\\r\\n"
			    "<3>again'\n");
	free(t);
	t = logged("\xc2\x85next line (NEL)");
	assert_string_equal(t, "<6>web-1: agent says '\\xc2\\x85next line"
			    " (NEL)'\n");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_one_line_under_the_journal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
