// SPDX-License-Identifier: Apache-2.0
/* verge: the command line of verged. */
#include <errno.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "rpc.h"
#include "run.h"

/* --timeout 0: wait for ever (a thousand years is for ever here). */
#define FOREVER_MS	(1000ll * 86400 * 365 * 1000)


static void setup(struct cli_ctx *ctx)
{
	json_t *local = ctx->inv.local, *t = json_object_get(local, "timeout");
	const char *env = getenv("VERGE_SOCKET");

	ctx->out = stdout;
	ctx->tty = isatty(STDOUT_FILENO);
	ctx->json = json_is_true(json_object_get(local, "json"));
	ctx->socket = cli_jstr(local, "socket");
	if (!ctx->socket)
		ctx->socket = env && *env ? env : CLI_DEFAULT_SOCKET;
	/* REST: --url picks the HTTP transport (transport.c) */
	if (cli_jstr(local, "url"))
		ctx->socket = cli_jstr(local, "url");
	cli_http_set_token_file(cli_jstr(local, "token_file"));
	ctx->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
	if (t)
		ctx->timeout_ms = (int64_t)(json_number_value(t) * 1000);
	if (t && ctx->timeout_ms <= 0)
		ctx->timeout_ms = FOREVER_MS;
}

static int usage_failed(struct cli_ctx *ctx)
{
	if (!ctx->json && !strcmp(ctx->inv.err, "missing command")) {
		cli_usage(stderr, &ctx->inv);
		fputs("Run 'verge help' for the commands.\n", stderr);
		return CLI_EXIT_USAGE;
	}
	return cli_fail(ctx, CLI_EXIT_USAGE, "usage", NULL, "%s",
			ctx->inv.err);
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .out = stdout };
	int r;

	/* One thread: stdio need not lock for every character. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	__fsetlocking(stderr, FSETLOCKING_BYCALLER);
	cli_arena_start();
	if (argc >= 2 && !strcmp(argv[1], "__complete"))
		return cli_complete(argc - 2, argv + 2);
	r = cli_parse(argc, argv, &ctx.inv);
	setup(&ctx);
	if (r)
		r = usage_failed(&ctx);
	else if (ctx.inv.help)
		cli_help(stdout, &ctx.inv);
	else
		r = ctx.inv.cmd->run(&ctx);
	if (ctx.rpc) {
		cli_rpc_close(ctx.rpc);
		free(ctx.rpc);
	}
	cli_inv_free(&ctx.inv);
	cli_arena_release();
	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) != 0 && r == 0 && errno != EPIPE) {
		fprintf(stderr, "verge: writing the output: %s\n",
			strerror(errno));
		r = CLI_EXIT_ERROR;
	}
	return r;
}
