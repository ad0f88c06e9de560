// SPDX-License-Identifier: Apache-2.0
/* Aligned text tables (see table.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "safe.h"
#include "table.h"

size_t cli_text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

char *cli_sanitize(const char *s)
{
	return cli_safe_dup(s && *s ? s : "-", 0);
}

int cli_table_init(struct cli_table *t, const struct cli_col *cols,
		   size_t ncols)
{
	if (ncols == 0 || ncols > CLI_TABLE_MAX_COLS)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
	return 0;
}

static int grow(struct cli_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	char **cells;

	cells = realloc(t->cells, cap * t->ncols * sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	t->cells = cells;
	t->cap = cap;
	return 0;
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
	char **row;
	size_t i;

	if (t->nrows == t->cap && grow(t) < 0)
		return -ENOMEM;
	row = t->cells + t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		row[i] = cli_sanitize(cells[i]);
		if (!row[i]) {
			while (i--)
				free(row[i]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

static void pad(FILE *f, size_t n)
{
	static const char spaces[] = "                                ";
	size_t k;

	for (; n; n -= k) {
		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		fwrite(spaces, 1, k, f);
	}
}

/* The last column is not padded on the right: no trailing blanks. */
static void print_cells(const struct cli_table *t, FILE *f,
			const char *const *cells, const char *end)
{
	size_t i, w;

	for (i = 0; i < t->ncols; i++) {
		const char *c = cells[i] ? cells[i] : "-";
		bool last = i + 1 == t->ncols;

		w = cli_text_width(c);
		if (i)
			fputs("  ", f);
		if (t->cols[i].right && w < t->width[i])
			pad(f, t->width[i] - w);
		fputs(c, f);
		if (!t->cols[i].right && !last && w < t->width[i])
			pad(f, t->width[i] - w);
	}
	fputs(end, f);
}

static void print_header(const struct cli_table *t, FILE *f, unsigned flags)
{
	const char *titles[CLI_TABLE_MAX_COLS];
	size_t i;

	for (i = 0; i < t->ncols; i++)
		titles[i] = t->cols[i].title ? t->cols[i].title : "";
	if (!(flags & CLI_TABLE_BOLD)) {
		print_cells(t, f, titles, "\n");
		return;
	}
	/* Bold ends before the newline so a pager sees whole lines. */
	fputs("\033[1m", f);
	print_cells(t, f, titles, "\033[0m\n");
}

static void measure(struct cli_table *t, bool header)
{
	size_t i, r, w;

	for (i = 0; i < t->ncols; i++) {
		t->width[i] = t->min_width[i];
		if (header && t->cols[i].title &&
		    cli_text_width(t->cols[i].title) > t->width[i])
			t->width[i] = cli_text_width(t->cols[i].title);
		for (r = 0; r < t->nrows; r++) {
			w = cli_text_width(t->cells[r * t->ncols + i]);
			if (w > t->width[i])
				t->width[i] = w;
		}
	}
}

void cli_table_print(struct cli_table *t, FILE *f, unsigned flags)
{
	size_t r;

	measure(t, !(flags & CLI_TABLE_NO_HEADER));
	if (!(flags & CLI_TABLE_NO_HEADER))
		print_header(t, f, flags);
	for (r = 0; r < t->nrows; r++)
		print_cells(t, f, (const char *const *)t->cells + r * t->ncols,
			    "\n");
}

void cli_table_print_row(struct cli_table *t, FILE *f,
			 const char *const *cells)
{
	char *clean[CLI_TABLE_MAX_COLS];
	size_t i;

	for (i = 0; i < t->ncols; i++)
		clean[i] = cli_sanitize(cells[i]);
	print_cells(t, f, (const char *const *)clean, "\n");
	for (i = 0; i < t->ncols; i++)
		free(clean[i]);
}

void cli_table_free(struct cli_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}
