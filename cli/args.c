// SPDX-License-Identifier: Apache-2.0
/*
 * The command line against the command table: walks groups to a leaf,
 * parses options with getopt_long (global options are accepted at every
 * level; a command's own option of the same name wins), and turns every
 * value into the JSON-RPC parameter its cli_arg names. Names match
 * exactly: no prefixes, so a new command never changes an old one's
 * meaning.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_OPTS	32
#define MAX_OPERANDS	8

/* The options a level accepts: its own first, then the globals. */
struct optset {
	const struct cli_arg *arg[MAX_OPTS];
	struct option lo[MAX_OPTS + 1];
	size_t n;
};

static int usage_error(struct cli_inv *inv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(struct cli_inv *inv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inv->err, sizeof(inv->err), fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

static bool has_option(const struct optset *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->arg[i]->name, name))
			return true;
	return false;
}

static void add_options(struct optset *s, const struct cli_arg *args)
{
	for (; cli_arg_more(args); args++) {
		if ((args->flags & CLI_POSITIONAL) || s->n == MAX_OPTS ||
		    has_option(s, args->name))
			continue;
		s->arg[s->n] = args;
		s->lo[s->n] = (struct option){
			.name = args->name,
			.has_arg = args->kind == CLI_FLAG ? no_argument :
				   required_argument,
			.val = 256 + (int)s->n,
		};
		s->n++;
	}
	s->lo[s->n] = (struct option){ 0 };
}

const struct cli_cmd *cli_find(const struct cli_cmd *group, const char *name)
{
	const struct cli_cmd *c;

	for (c = group->sub; c && c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Edit distance, for "did you mean" on a mistyped command. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32], i, j, prev, tmp;

	if (la >= 32 || lb >= 32)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *cli_suggest(const struct cli_cmd *group, const char *name)
{
	const struct cli_cmd *c, *best = NULL;
	size_t d, bestd = 3;

	for (c = group->sub; c && c->name; c++) {
		d = distance(name, c->name);
		if (d < bestd || (d == bestd && !best && d <= 2)) {
			best = c;
			bestd = d;
		}
	}
	return best && bestd <= 2 ? best->name : NULL;
}

static int store(struct cli_inv *inv, const struct cli_arg *a, const char *s)
{
	json_t *v;

	v = cli_kind_value(a, s ? s : "", inv->err, sizeof(inv->err));
	if (!v)
		return CLI_EXIT_USAGE;
	json_t *to = (a->flags & CLI_LOCAL) ? inv->local : inv->params;

	if (a->flags & CLI_MULTI) {
		if (!json_object_get(to, a->key))
			json_object_set_new(to, a->key, json_array());
		json_array_append_new(json_object_get(to, a->key), v);
		return CLI_EXIT_OK;
	}
	json_object_set_new(to, a->key, v);
	return CLI_EXIT_OK;
}

static const char *option_text(char **argv)
{
	if (optopt > 0 && optopt < 256) {
		static char s[3] = "-?";

		s[1] = (char)optopt;
		return s;
	}
	return argv[optind - 1];
}

/*
 * Options of one level. Groups stop at their first operand (the
 * subcommand); leaves take options anywhere. Returns the index of the
 * first operand in argv.
 */
static int parse_options(struct cli_inv *inv, const struct cli_arg *own,
			 bool leaf, int argc, char **argv, int *ret_first)
{
	struct optset s = { .n = 0 };
	int c, r;

	add_options(&s, own);
	add_options(&s, cli_global_args);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, leaf ? ":h" : "+:h", s.lo,
				NULL)) != -1) {
		if (c == 'h') {
			inv->help = true;
			continue;
		}
		if (c == '?')
			return usage_error(inv, "unknown option '%s'",
					   option_text(argv));
		if (c == ':' && optopt >= 256)
			return usage_error(inv, "option '--%s' needs a value",
					   s.lo[optopt - 256].name);
		if (c == ':')
			return usage_error(inv, "option '%s' needs a value",
					   option_text(argv));
		r = store(inv, s.arg[c - 256], optarg);
		if (r)
			return r;
	}
	if (json_is_true(json_object_get(inv->local, "help")))
		inv->help = true;
	*ret_first = optind;
	return CLI_EXIT_OK;
}

static int check_required(struct cli_inv *inv, const struct cli_arg *a)
{
	for (; cli_arg_more(a); a++)
		if ((a->flags & CLI_REQUIRED) && !(a->flags & CLI_POSITIONAL) &&
		    !json_object_get(inv->params, a->key))
			return usage_error(inv, "missing --%s %s", a->name,
					   a->meta);
	return CLI_EXIT_OK;
}

static int assign_operands(struct cli_inv *inv, const struct cli_arg *a,
			   int n, char **operands)
{
	int i = 0, r;

	for (; cli_arg_more(a); a++) {
		if (!(a->flags & CLI_POSITIONAL))
			continue;
		if (i == n) {
			if (a->flags & CLI_REQUIRED)
				return usage_error(inv, "missing %s", a->meta);
			continue;
		}
		r = store(inv, a, operands[i++]);
		if (r)
			return r;
	}
	if (i < n)
		return usage_error(inv, "unexpected argument '%s'",
				   operands[i]);
	return CLI_EXIT_OK;
}

static int descend(struct cli_inv *inv, int depth, const char *name)
{
	const struct cli_cmd *group = inv->path[depth - 1], *c;
	const char *hint;
	char title[64];

	c = cli_find(group, name);
	if (c) {
		inv->path[depth] = c;
		inv->cmd = c;
		return CLI_EXIT_OK;
	}
	cli_cmd_title(inv, title, sizeof(title));
	hint = cli_suggest(group, name);
	if (hint)
		return usage_error(inv, "unknown command '%s %s'; did you "
				   "mean '%s'?", title, name, hint);
	return usage_error(inv, "unknown command '%s %s'", title, name);
}

/* "verge help vm define": the help of the command named by operands. */
static int help_of(struct cli_inv *inv, int n, char **names)
{
	int depth = 1, r;

	inv->path[1] = NULL;
	inv->cmd = &cli_root;
	for (int i = 0; i < n; i++) {
		if (!inv->cmd->sub || depth == 4)
			return usage_error(inv, "unexpected argument '%s'",
					   names[i]);
		r = descend(inv, depth++, names[i]);
		if (r)
			return r;
	}
	inv->path[depth] = NULL;
	inv->help = true;
	return CLI_EXIT_OK;
}

int cli_parse(int argc, char **argv, struct cli_inv *inv)
{
	int depth = 1, first, r;

	memset(inv, 0, sizeof(*inv));
	inv->params = json_object();
	inv->local = json_object();
	inv->path[0] = inv->cmd = &cli_root;
	if (!inv->params || !inv->local)
		return usage_error(inv, "out of memory");
	while (inv->cmd->sub) {
		r = parse_options(inv, NULL, false, argc, argv, &first);
		if (r)
			return r;
		if (first == argc) {
			if (inv->help)
				return CLI_EXIT_OK;
			return usage_error(inv, "missing command");
		}
		argc -= first;
		argv += first;
		r = descend(inv, depth++, argv[0]);
		if (r)
			return r;
	}
	r = parse_options(inv, inv->cmd->args, true, argc, argv, &first);
	if (r)
		return r;
	/* "help" is the one command without a handler. */
	if (!inv->cmd->run)
		return help_of(inv, argc - first, argv + first);
	if (inv->help)
		return CLI_EXIT_OK;
	if (argc - first > MAX_OPERANDS)
		return usage_error(inv, "too many arguments");
	r = assign_operands(inv, inv->cmd->args, argc - first, argv + first);
	if (r)
		return r;
	return check_required(inv, inv->cmd->args);
}

void cli_inv_free(struct cli_inv *inv)
{
	json_decref(inv->params);
	json_decref(inv->local);
	inv->params = inv->local = NULL;
}

void cli_cmd_title(const struct cli_inv *inv, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "verge");

	for (int i = 1; i < 5 && inv->path[i] && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, " %s",
				      inv->path[i]->name);
}
