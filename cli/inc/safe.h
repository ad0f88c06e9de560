/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text from verged on its way to the operator's terminal. Guests write
 * much of it (agent replies and errors, guestinfo values, reports, the
 * console, events), and a guest must not drive the terminal: no title,
 * clipboard or cursor-report sequences, no overwritten lines. Every
 * human-output path of verge goes through cli_safe_text(); --json keeps
 * the exact strings (cli_json_dumpf only spells DEL and C1 as \u00XX).
 */
#ifndef VERGE_CLI_SAFE_H
#define VERGE_CLI_SAFE_H
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Keep line feeds and tabs (a console stream, several lines). */
#define CLI_SAFE_LINES	0x1

/*
 * Copies s[0..n) into out (room for n + 1 bytes) with '?' for each C0
 * control (but LF and TAB with CLI_SAFE_LINES), DEL, C1 control (U+0080
 * to U+009F, written in UTF-8 as 0xC2 0x80-0x9F: one '?' for the pair)
 * and each byte that is not part of valid UTF-8 (a raw 0x80-0x9F byte,
 * an overlong form, a surrogate, a truncated sequence). Other UTF-8 is
 * kept. Returns the length written; out is NUL-terminated.
 */
size_t cli_safe_text(const char *s, size_t n, char *out, unsigned flags);
/* A malloc'd cli_safe_text() copy of s (NULL: NULL, as is no memory). */
char *cli_safe_dup(const char *s, unsigned flags);
/* fputs() of the cli_safe_text() copy of s (NULL: nothing). */
void cli_safe_fputs(const char *s, FILE *f, unsigned flags);
/* json_dumpf() with DEL and U+0080-U+009F written as \u007F-\u009F
 * (jansson escapes C0 itself): the same JSON value, but nothing a
 * terminal takes for a control. */
int cli_json_dumpf(const json_t *v, FILE *f, size_t flags);
#endif
