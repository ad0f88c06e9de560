/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Aligned text tables for human output, like `virsh list`: columns two
 * spaces apart, numbers right-aligned, no trailing blanks. Cells are
 * copied with control characters replaced by '?' (cli_safe_text, safe.h),
 * since names and agent reports come from guests and must not drive the
 * terminal.
 */
#ifndef VERGE_CLI_TABLE_H
#define VERGE_CLI_TABLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_TABLE_MAX_COLS	8
#define CLI_TABLE_BOLD		0x1	/* header in bold (a terminal) */
#define CLI_TABLE_NO_HEADER	0x2

struct cli_col {
	const char *title;
	bool right;		/* right-align (numbers) */
};

struct cli_table {
	const struct cli_col *cols;
	size_t ncols;
	size_t nrows, cap;
	char **cells;		/* nrows * ncols */
	size_t min_width[CLI_TABLE_MAX_COLS];	/* the caller's minimum */
	size_t width[CLI_TABLE_MAX_COLS];	/* as last printed */
};

int cli_table_init(struct cli_table *t, const struct cli_col *cols,
		   size_t ncols);
/* Adds a row of t->ncols cells; NULL and empty cells print as "-". */
int cli_table_add(struct cli_table *t, const char *const *cells);
void cli_table_print(struct cli_table *t, FILE *f, unsigned flags);
/* One more row in the widths of the rows printed so far (streaming). */
void cli_table_print_row(struct cli_table *t, FILE *f,
			 const char *const *cells);
void cli_table_free(struct cli_table *t);
/* Display width of UTF-8 text (code points). */
size_t cli_text_width(const char *s);
/* cli_safe_dup() of s ("-" for NULL or ""). */
char *cli_sanitize(const char *s);
#endif
