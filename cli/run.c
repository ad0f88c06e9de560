// SPDX-License-Identifier: Apache-2.0
/*
 * Handlers: connect to verged on first use, call the command's method
 * with the parsed parameters, and print the result (JSON or human).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "run.h"
#include "safe.h"

static const char *reason(int err)
{
	return strerror(err < 0 ? -err : err);
}

int cli_connect(struct cli_ctx *ctx)
{
	struct cli_transport *t;
	int r;

	if (ctx->rpc)
		return 0;
	r = cli_transport_open(ctx->socket, cli_now_ms() + ctx->timeout_ms, &t);
	if (r == -EACCES || r == -EPERM)
		return cli_fail(ctx, CLI_EXIT_UNREACHABLE, "access", NULL,
				"cannot reach verged at %s: %s", ctx->socket,
				reason(r));
	if (r < 0)
		return cli_fail(ctx, CLI_EXIT_UNREACHABLE, "unreachable", NULL,
				"cannot reach verged at %s: %s", ctx->socket,
				reason(r));
	ctx->rpc = calloc(1, sizeof(*ctx->rpc));
	if (!ctx->rpc || cli_rpc_init(ctx->rpc, t) < 0) {
		t->ops->close(t);
		free(ctx->rpc);
		ctx->rpc = NULL;
		return cli_fail(ctx, CLI_EXIT_ERROR, "error", NULL,
				"out of memory");
	}
	return 0;
}

/* A transport or protocol failure during a call, said plainly. */
int cli_call_failed(struct cli_ctx *ctx, const char *method, int r)
{
	if (r == -ETIMEDOUT)
		return cli_fail(ctx, CLI_EXIT_TIMEOUT, "no_reply", NULL,
				"verged did not answer %s within %.3g s",
				method, ctx->timeout_ms / 1000.0);
	if (r == -ECONNRESET)
		return cli_fail(ctx, CLI_EXIT_ERROR, "closed", NULL,
				"verged closed the connection during %s",
				method);
	if (r == -ECONNREFUSED)	/* REST: a request over --url */
		return cli_fail(ctx, CLI_EXIT_UNREACHABLE, "unreachable", NULL,
				"cannot reach verged at %s", ctx->socket);
	if (r == -EPROTO)
		return cli_fail(ctx, CLI_EXIT_ERROR, "protocol", NULL,
				"verged's reply to %s is invalid: %s", method,
				ctx->rpc->why);
	if (r == -EMSGSIZE)
		return cli_fail(ctx, CLI_EXIT_ERROR, "protocol", NULL,
				"verged's reply to %s is larger than %u MiB",
				method, CLI_MAX_MESSAGE >> 20);
	return cli_fail(ctx, CLI_EXIT_ERROR, "error", NULL, "%s: %s", method,
			reason(r));
}

int cli_call(struct cli_ctx *ctx, const char *method, json_t *params,
	     json_t **ret_result)
{
	json_t *result = NULL, *error = NULL;
	int r;

	r = cli_connect(ctx);
	if (r)
		return r;
	r = cli_rpc_call(ctx->rpc, method, params,
			 cli_now_ms() + ctx->timeout_ms, &result, &error);
	if (r < 0)
		return cli_call_failed(ctx, method, r);
	if (error) {
		r = cli_fail_rpc(ctx, error);
		json_decref(error);
		return r;
	}
	*ret_result = result;
	return 0;
}

static void output(struct cli_ctx *ctx, json_t *result, cli_show_fn show)
{
	if (ctx->json)
		cli_print_json(ctx, ctx->out, result);
	else if (show)
		show(ctx, result);
}

int run_call(struct cli_ctx *ctx)
{
	const struct cli_cmd *c = ctx->inv.cmd;
	json_t *result;
	int r;

	r = cli_call(ctx, c->method, ctx->inv.params, &result);
	if (r)
		return r;
	output(ctx, result, c->show);
	json_decref(result);
	return CLI_EXIT_OK;
}

/* verged waits up to timeout_s for the guest: so must verge, and more. */
int run_stop(struct cli_ctx *ctx)
{
	json_t *t = json_object_get(ctx->inv.params, "timeout_s");
	int64_t need = (int64_t)((t ? json_number_value(t) : 30) * 1000) +
		       10000;

	if (!json_object_get(ctx->inv.local, "timeout") &&
	    ctx->timeout_ms < need)
		ctx->timeout_ms = need;
	return run_call(ctx);
}

int run_version(struct cli_ctx *ctx)
{
	json_t *result = NULL, *doc;
	int r;

	if (!ctx->json)
		fprintf(ctx->out, "verge %s\n", CLI_VERSION);
	r = cli_call(ctx, "daemon.version", NULL, &result);
	if (ctx->json) {
		doc = json_pack("{s:{s:s}, s:O?}", "verge", "version",
				CLI_VERSION, "verged", result);
		cli_print_json(ctx, ctx->out, doc);
		json_decref(doc);
	} else if (!r) {
		/* over --url, any server's text */
		fputs("verged ", ctx->out);
		cli_safe_fputs(cli_jstr(result, "version") ?: "?", ctx->out, 0);
		fprintf(ctx->out, " (API %lld)\n", (long long)
			json_integer_value(json_object_get(result, "api")));
	}
	json_decref(result);
	return r;
}
