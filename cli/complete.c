// SPDX-License-Identifier: Apache-2.0
/*
 * `verge __complete CWORD WORD...`: the candidates for word CWORD of a
 * command line, one per line, for verge.bash-completion. They come from
 * the command table, so completion knows every command and option the
 * parser does; VM names come from verged's vm.list when it answers within
 * COMPLETE_TIMEOUT_MS, and nothing is printed when it does not. "__files__"
 * asks the shell to complete file names.
 */
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "run.h"
#include "safe.h"

#define COMPLETE_TIMEOUT_MS	1000

struct walk {
	const struct cli_cmd *cmd;
	const char *socket;
	int operands;		/* operands of the leaf so far */
	bool help;		/* "verge help ...": commands only */
};

static const struct cli_arg *find_option(const struct cli_cmd *c,
					 const char *word)
{
	const struct cli_arg *sets[2] = { c->args, cli_global_args };

	if (strncmp(word, "--", 2))
		return NULL;
	for (int i = 0; i < 2; i++)
		for (const struct cli_arg *a = sets[i]; cli_arg_more(a); a++)
			if (a->name && !strcmp(a->name, word + 2))
				return a;
	return NULL;
}

static const struct cli_arg *nth_operand(const struct cli_cmd *c, int n)
{
	for (const struct cli_arg *a = c->args; cli_arg_more(a); a++)
		if ((a->flags & CLI_POSITIONAL) && n-- == 0)
			return a;
	return NULL;
}

/* Follows words[1..cword-1] through the table. */
static void walk(struct walk *w, int cword, char **words)
{
	const struct cli_arg *a;
	const struct cli_cmd *c;

	for (int i = 1; i < cword; i++) {
		a = find_option(w->cmd, words[i]);
		if (a) {
			if (a->kind != CLI_FLAG && i + 1 < cword) {
				if (!strcmp(a->name, "socket"))
					w->socket = words[i + 1];
				i++;
			}
			continue;
		}
		if (words[i][0] == '-')
			continue;
		if (w->cmd == &cli_root && !w->help &&
		    !strcmp(words[i], "help")) {
			w->help = true;
			continue;
		}
		c = w->cmd->sub ? cli_find(w->cmd, words[i]) : NULL;
		if (c)
			w->cmd = c;
		else
			w->operands++;
	}
}

static void print_options(const struct cli_cmd *c)
{
	const struct cli_arg *sets[2] = { c->args, cli_global_args };

	for (int i = 0; i < 2; i++)
		for (const struct cli_arg *a = sets[i]; cli_arg_more(a); a++)
			if (a->name)
				printf("--%s\n", a->name);
}

static void print_vm_names(const char *socket)
{
	int64_t deadline = cli_now_ms() + COMPLETE_TIMEOUT_MS;
	json_t *result = NULL, *error = NULL, *vm;
	struct cli_transport *t;
	struct cli_rpc rpc;
	size_t i;

	if (cli_transport_open(socket, deadline, &t) < 0)
		return;
	if (cli_rpc_init(&rpc, t) < 0) {
		t->ops->close(t);
		return;
	}
	if (cli_rpc_call(&rpc, "vm.list", NULL, deadline, &result,
			 &error) == 0)
		json_array_foreach(result, i, vm)
			if (cli_jstr(vm, "name")) {
				cli_safe_fputs(cli_jstr(vm, "name"), stdout,
					       0);
				putchar('\n');
			}
	json_decref(result);
	json_decref(error);
	cli_rpc_close(&rpc);
}

static void print_value(const struct cli_arg *a)
{
	if (a->kind == CLI_CHOICE)
		for (const char *const *c = a->choices; *c; c++)
			printf("%s\n", *c);
	else if (a->kind == CLI_PATH || a->kind == CLI_DISK)
		printf("__files__\n");
}

int cli_complete(int argc, char **argv)
{
	struct walk w = { .cmd = &cli_root };
	const struct cli_arg *a;
	const char *cur;
	int cword;

	if (argc < 2)
		return CLI_EXIT_USAGE;
	cword = atoi(argv[0]);
	argc--;
	argv++;
	if (cword < 1 || cword > argc)
		return CLI_EXIT_USAGE;
	w.socket = getenv("VERGE_SOCKET");
	if (!w.socket || !*w.socket)
		w.socket = CLI_DEFAULT_SOCKET;
	walk(&w, cword, argv);
	cur = cword < argc ? argv[cword] : "";
	a = find_option(w.cmd, argv[cword - 1]);
	if (a && a->kind != CLI_FLAG) {
		print_value(a);
	} else if (cur[0] == '-') {
		print_options(w.help ? &cli_root : w.cmd);
	} else if (w.cmd->sub) {
		for (const struct cli_cmd *c = w.cmd->sub; c->name; c++)
			printf("%s\n", c->name);
	} else if (!w.help) {
		a = nth_operand(w.cmd, w.operands);
		if (a && (a->flags & CLI_VM))
			print_vm_names(w.socket);
	}
	return CLI_EXIT_OK;
}
