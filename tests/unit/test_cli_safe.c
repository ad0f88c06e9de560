// SPDX-License-Identifier: Apache-2.0
/*
 * cli_safe_text() (cli/safe.c): what reaches the operator's terminal holds
 * no C0 control, DEL or C1 control, in any encoding a terminal might act
 * on, and keeps every other character; cli_json_dumpf() keeps the JSON
 * value exact. The property test checks the output with the C library's
 * own UTF-8 decoder, not with ours.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "safe.h"

static char *safe(const char *s, size_t n, unsigned flags)
{
	static char buf[256];

	assert_true(n < sizeof(buf));
	cli_safe_text(s, n, buf, flags);
	return buf;
}

#define SAFE(lit, flags)	safe(lit, sizeof(lit) - 1, flags)

static void test_c0_and_del(void **state)
{
	(void)state;
	assert_string_equal(SAFE("plain text 1/2", 0), "plain text 1/2");
	assert_string_equal(SAFE("\x1b]0;owned\x07", 0), "?]0;owned?");
	assert_string_equal(SAFE("\x1b[2J\x7f", 0), "?[2J?");
	assert_string_equal(SAFE("a\nb\tc\rd", 0), "a?b?c?d");
	assert_string_equal(SAFE("a\nb\tc\rd", CLI_SAFE_LINES), "a\nb\tc?d");
	assert_string_equal(SAFE("\x01\x1f ", 0), "?? ");
}

static void test_c1(void **state)
{
	(void)state;
	/* U+009B CSI, U+009D OSC, U+0080, U+009F as UTF-8: one '?' each */
	assert_string_equal(SAFE("a\xc2\x9b" "31mred", 0), "a?31mred");
	assert_string_equal(SAFE("\xc2\x9d" "0;t\xc2\x9c", 0), "?0;t?");
	assert_string_equal(SAFE("\xc2\x80\xc2\x9f", 0), "??");
	/* raw 8-bit C1 bytes, not part of any UTF-8 sequence */
	assert_string_equal(SAFE("\x9b" "31m\x9d\x80", 0), "?31m??");
	/* U+00A0 and above are characters, kept */
	assert_string_equal(SAFE("\xc2\xa0\xc2\xbf", 0), "\xc2\xa0\xc2\xbf");
}

static void test_utf8(void **state)
{
	(void)state;
	assert_string_equal(SAFE("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
				 0),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* overlong forms (of ESC, NUL, CSI), surrogates, > U+10FFFF */
	assert_string_equal(SAFE("\xc0\x9b\xc1\x80", 0), "????");
	assert_string_equal(SAFE("\xe0\x82\x9b", 0), "???");
	assert_string_equal(SAFE("\xed\xa0\x80", 0), "???");
	assert_string_equal(SAFE("\xf4\x90\x80\x80\xf5", 0), "?????");
	/* truncated sequences, at the end and before ASCII */
	assert_string_equal(SAFE("x\xe2\x82", 0), "x??");
	assert_string_equal(SAFE("\xe2\x82y\xf0\x9f\x98", 0), "??y???");
}

/* Is s[0..n) UTF-8 text without a control (LF and TAB allowed), as
 * glibc's decoder reads it? */
static int clean(const char *s, size_t n)
{
	mbstate_t mb;
	size_t i, k;
	wchar_t w;

	memset(&mb, 0, sizeof(mb));
	for (i = 0; i < n; i += k) {
		k = mbrtowc(&w, s + i, n - i, &mb);
		if (k == 0 || k > 4)
			return 0;
		if (!(w == '\n' || w == '\t' || (w >= 0x20 && w != 0x7f &&
						    !(w >= 0x80 && w <= 0x9f))))
			return 0;
	}
	return 1;
}

/* Every output of every 1-, 2- and 3-byte input over bytes that matter
 * is text without a control (glibc's decoder), and an input that is such
 * text already comes through unchanged. */
static void test_property(void **state)
{
	static const unsigned char bytes[] = {
		0x00, 0x07, 0x0a, 0x1b, 0x20, 0x41, 0x7f, 0x80, 0x9b, 0x9f,
		0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed,
		0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};
	size_t nb = sizeof(bytes), a, len;
	unsigned char in[3];
	char out[8];

	(void)state;
	assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
	for (a = 0; a < nb * nb * nb; a++) {
		in[0] = bytes[a % nb];
		in[1] = bytes[a / nb % nb];
		in[2] = bytes[a / nb / nb];
		for (len = 1; len <= 3; len++) {
			cli_safe_text((char *)in, len, out, CLI_SAFE_LINES);
			assert_true(clean(out, strlen(out)));
			if (clean((char *)in, len))
				assert_memory_equal(out, in, len);
		}
	}
}

/* Long text through cli_safe_fputs: no character is cut at the pieces'
 * boundaries, controls go. */
static void test_fputs_pieces(void **state)
{
	char *in = malloc(5000), *got = NULL;
	size_t n = 0, i;
	FILE *f;

	(void)state;
	assert_non_null(in);
	for (i = 0; i + 3 < 4999; i += 3)
		memcpy(in + i, i % 2 ? "\xe2\x82\xac" : "a\xc3\xa9", 3);
	in[i] = '\0';
	f = open_memstream(&got, &n);
	assert_non_null(f);
	cli_safe_fputs(in, f, 0);
	fclose(f);
	assert_string_equal(got, in);
	free(got);
	in[1000] = '\x1b';
	f = open_memstream(&got, &n);
	cli_safe_fputs(in, f, 0);
	fclose(f);
	assert_int_equal(n, strlen(in));
	assert_null(strchr(got, '\x1b'));
	assert_int_equal(got[1000], '?');
	free(got);
	free(in);
}

static void test_json_exact(void **state)
{
	json_t *v = json_pack("{ss}", "k",
			      "a\xc2\x9b" "31m\x1b[0m\x7f\xc3\xa9"), *back;
	char *got = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&got, &n);

	(void)state;
	assert_non_null(v);
	assert_non_null(f);
	assert_int_equal(cli_json_dumpf(v, f, JSON_COMPACT), 0);
	fclose(f);
	assert_string_equal(got, "{\"k\":\"a\\u009B31m\\u001B[0m\\u007F"
			    "\xc3\xa9\"}");
	back = json_loads(got, 0, NULL);
	assert_true(json_equal(back, v));
	json_decref(back);
	json_decref(v);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_c1),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_fputs_pieces),
		cmocka_unit_test(test_json_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
