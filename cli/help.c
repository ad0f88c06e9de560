// SPDX-License-Identifier: Apache-2.0
/*
 * Usage and help text, printed from the command table so that they can
 * never disagree with what the parser accepts. verge.1 repeats the same
 * synopses (tests/host/test_cli.py compares them).
 */
#include <string.h>

#include "cli.h"

#define WRAP	79

struct line {
	FILE *f;
	size_t col, indent;
};

static void word(struct line *l, const char *w)
{
	size_t n = strlen(w);

	if (l->col > l->indent && l->col + 1 + n > WRAP) {
		fprintf(l->f, "\n%*s", (int)l->indent, "");
		l->col = l->indent;
	} else {
		fputc(' ', l->f);
		l->col++;
	}
	fputs(w, l->f);
	l->col += n;
}

/* "--memory MIB", "[--memory MIB]", "NAME", "[VM]", "--restart no|on-crash" */
static void arg_synopsis(const struct cli_arg *a, bool bare, char *buf,
			 size_t size)
{
	bool opt = !(a->flags & CLI_REQUIRED) && !bare;
	char meta[64] = "";
	size_t n = 0;

	if (a->kind == CLI_CHOICE)
		for (const char *const *c = a->choices; *c; c++)
			n += (size_t)snprintf(meta + n, sizeof(meta) - n, "%s%s",
					      c == a->choices ? "" : "|", *c);
	else if (a->meta)
		snprintf(meta, sizeof(meta), "%s", a->meta);
	if (a->flags & CLI_POSITIONAL)
		snprintf(buf, size, opt ? "[%s]" : "%s", meta);
	else if (a->kind == CLI_FLAG)
		snprintf(buf, size, opt ? "[--%s]" : "--%s", a->name);
	else
		snprintf(buf, size, opt ? "[--%s %s]" : "--%s %s", a->name,
			 meta);
}

/* The synopsis words of a command: operands first, then options. */
static void synopsis_words(struct line *l, const struct cli_cmd *c)
{
	const struct cli_arg *a;
	char buf[96];

	if (c->sub) {
		word(l, "COMMAND [ARG]...");
		return;
	}
	for (int pass = 0; pass < 2; pass++)
		for (a = c->args; cli_arg_more(a); a++) {
			if (!!(a->flags & CLI_POSITIONAL) != (pass == 0))
				continue;
			arg_synopsis(a, false, buf, sizeof(buf));
			word(l, buf);
		}
}

/* The root's synopsis names the global options, but not --help. */
static void global_words(struct line *l)
{
	const struct cli_arg *a;
	char buf[64];

	for (a = cli_global_args; cli_arg_more(a); a++) {
		if (strcmp(a->name, "help")) {
			arg_synopsis(a, false, buf, sizeof(buf));
			word(l, buf);
		}
	}
}

void cli_usage(FILE *f, const struct cli_inv *inv)
{
	struct line l = { .f = f };
	char title[64];

	cli_cmd_title(inv, title, sizeof(title));
	fprintf(f, "usage: %s", title);
	l.col = strlen("usage: ") + strlen(title);
	l.indent = l.col + 1;
	if (inv->cmd == &cli_root)
		global_words(&l);
	synopsis_words(&l, inv->cmd);
	fputc('\n', f);
}

static void list_commands(FILE *f, const struct cli_cmd *group)
{
	const struct cli_cmd *c;
	size_t w = 0;

	for (c = group->sub; c->name; c++)
		if (strlen(c->name) > w)
			w = strlen(c->name);
	fputs("\nCommands:\n", f);
	for (c = group->sub; c->name; c++)
		fprintf(f, "  %-*s  %s\n", (int)w, c->name, c->summary);
}

static void list_args(FILE *f, const char *heading, const struct cli_arg *a)
{
	const struct cli_arg *b;
	char buf[96];
	size_t w = 0;

	for (b = a; cli_arg_more(b); b++) {
		arg_synopsis(b, true, buf, sizeof(buf));
		if (strlen(buf) > w)
			w = strlen(buf);
	}
	if (a == b)
		return;
	fprintf(f, "\n%s:\n", heading);
	for (b = a; cli_arg_more(b); b++) {
		arg_synopsis(b, true, buf, sizeof(buf));
		fprintf(f, "  %-*s  %s\n", (int)w, buf, b->help);
	}
}

/* One line naming the global options, for the help of every command. */
static void global_options(FILE *f)
{
	struct line l = { .f = f };
	char buf[64];

	fputs("\nGlobal options (see 'verge help'):", f);
	l.col = 34;
	l.indent = 2;
	for (const struct cli_arg *a = cli_global_args; cli_arg_more(a);
	     a++) {
		arg_synopsis(a, true, buf, sizeof(buf));
		word(&l, buf);
	}
	fputc('\n', f);
}

void cli_help(FILE *f, const struct cli_inv *inv)
{
	const struct cli_cmd *c = inv->cmd;
	char title[64];

	cli_usage(f, inv);
	fprintf(f, "\n%s\n", c->summary);
	if (c->notes)
		fprintf(f, "\n%s\n", c->notes);
	if (c->sub) {
		list_commands(f, c);
	} else if (c->args) {
		list_args(f, "Arguments", c->args);
	}
	cli_cmd_title(inv, title, sizeof(title));
	if (c == &cli_root) {
		list_args(f, "Global options", cli_global_args);
		fputs("\nRun 'verge help COMMAND' for the commands of a group "
		      "and their options.\n", f);
	} else {
		global_options(f);
	}
}
