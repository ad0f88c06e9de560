// SPDX-License-Identifier: Apache-2.0
/*
 * Errors: every failure verge can report, verged's and its own, with its
 * exit status and what the user can do about it. verge.1 (EXIT STATUS)
 * lists the same statuses.
 */
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "safe.h"

static const struct cli_exit_entry exits[] = {
	/* verged's errors (docs/jsonrpc.md) */
	{ "parse_error", -32700, CLI_EXIT_ERROR,
	  "verge and verged disagree on the protocol; compare 'verge version'" },
	{ "invalid_request", -32600, CLI_EXIT_ERROR,
	  "verge and verged disagree on the protocol; compare 'verge version'" },
	{ "method_not_found", -32601, CLI_EXIT_ERROR,
	  "verged is older than verge; compare 'verge version'" },
	{ "invalid_params", -32602, CLI_EXIT_USAGE,
	  "see '{cmd} --help' for the accepted values" },
	{ "internal_error", -32603, CLI_EXIT_ERROR,
	  "see verged's log: journalctl -u verged" },
	{ "vm_not_found", -32001, CLI_EXIT_NOT_FOUND,
	  "'verge vm list' shows the defined VMs" },
	{ "vm_exists", -32002, CLI_EXIT_ERROR,
	  "choose another name, or 'verge vm undefine {vm}' first" },
	{ "vm_state", -32003, CLI_EXIT_ERROR,
	  "'verge vm show {vm}' tells the VM's state" },
	{ "permission_denied", -32004, CLI_EXIT_DENIED,
	  "run verge as root or as a member of the 'verge' group" },
	{ "agent_unavailable", -32005, CLI_EXIT_ERROR,
	  "'verge agent show {vm}' tells when the guest agent last "
	  "reported" },
	{ "hv_unavailable", -32006, CLI_EXIT_ERROR,
	  "the VM must be running; 'verge vm show {vm}' tells its state" },
	{ "timeout", -32007, CLI_EXIT_TIMEOUT,
	  "the operation may still finish; check with 'verge vm show {vm}'" },
	{ "too_large", -32008, CLI_EXIT_USAGE,
	  "make the request smaller" },
	{ "store_failed", -32009, CLI_EXIT_ERROR,
	  "verged's state database refused the write (a full disk?); see "
	  "its log: journalctl -u verged" },
	/* verge's own */
	{ "usage", 0, CLI_EXIT_USAGE, "see '{cmd} --help'" },
	{ "unreachable", 0, CLI_EXIT_UNREACHABLE,
	  "is verged running? 'systemctl start verged', or point verge at "
	  "it with --socket PATH or $VERGE_SOCKET" },
	{ "access", 0, CLI_EXIT_UNREACHABLE,
	  "run verge as root or as a member of the 'verge' group" },
	{ "no_reply", 0, CLI_EXIT_TIMEOUT,
	  "verged is busy or stuck; retry with a longer --timeout" },
	{ "closed", 0, CLI_EXIT_ERROR,
	  "verged may have stopped; see its log: journalctl -u verged" },
	{ "protocol", 0, CLI_EXIT_ERROR,
	  "verge and verged disagree on the protocol; compare 'verge version'" },
	{ "error", 0, CLI_EXIT_ERROR, NULL },
};

/*
 * By name, else by code (an error without data.name), else the generic
 * entry: an unknown error from a newer verged is still exit status 1.
 */
const struct cli_exit_entry *cli_exit_lookup(const char *name, int code)
{
	size_t i, n = sizeof(exits) / sizeof(exits[0]);

	for (i = 0; name && i < n; i++)
		if (!strcmp(exits[i].name, name))
			return &exits[i];
	for (i = 0; code && i < n; i++)
		if (exits[i].code == code)
			return &exits[i];
	return &exits[n - 1];
}

/* The hint with {cmd} as "verge vm define" and {vm} as the VM's name. */
static void print_hint(struct cli_ctx *ctx, const char *prefix,
		       const char *hint, FILE *f)
{
	const char *vm = cli_jstr(ctx->inv.params, "name");
	char title[64];
	const char *p;

	if (!hint)
		return;
	cli_cmd_title(&ctx->inv, title, sizeof(title));
	fprintf(f, "hint: %s", prefix);
	for (p = hint; *p; p++) {
		if (!strncmp(p, "{cmd}", 5)) {
			fputs(title, f);
			p += 4;
		} else if (!strncmp(p, "{vm}", 4)) {
			cli_safe_fputs(vm ? vm : "NAME", f, 0);
			p += 3;
		} else {
			fputc(*p, f);
		}
	}
	fputc('\n', f);
}

static void print_json_error(struct cli_ctx *ctx, json_t *error)
{
	json_t *doc = json_pack("{s:O}", "error", error);

	if (doc)
		cli_json_dumpf(doc, stderr, JSON_COMPACT);
	fputc('\n', stderr);
	json_decref(doc);
	(void)ctx;
}

/* verge's own error: "verge: message" and a hint, or JSON on stderr. */
int cli_fail(struct cli_ctx *ctx, enum cli_exit status, const char *name,
	     const char *hint, const char *fmt, ...)
{
	const struct cli_exit_entry *e = cli_exit_lookup(name, 0);
	char msg[512];
	va_list ap;
	json_t *err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!hint)
		hint = e->hint;
	fflush(ctx->out);
	if (ctx->json) {
		err = json_pack("{s:s, s:{s:s, s:i}}", "message", msg, "data",
				"name", name, "exit_status", (int)status);
		print_json_error(ctx, err);
		json_decref(err);
	} else {
		fputs("verge: ", stderr);
		cli_safe_fputs(msg, stderr, 0);
		fputc('\n', stderr);
		print_hint(ctx, "", hint, stderr);
	}
	return status;
}

/*
 * verged names its parameter ("memory_mib"); the hint says which argument
 * of the command line that was ("--memory MIB").
 */
static void param_source(struct cli_ctx *ctx, const char *param, char *buf,
			 size_t size)
{
	const struct cli_arg *a = ctx->inv.cmd ? ctx->inv.cmd->args : NULL;

	buf[0] = '\0';
	for (; param && cli_arg_more(a); a++) {
		if (strcmp(a->key, param) || (a->flags & CLI_LOCAL))
			continue;
		if (a->name)
			snprintf(buf, size, "%s is --%s%s%s; ", param, a->name,
				 a->meta ? " " : "", a->meta ? a->meta : "");
		else
			snprintf(buf, size, "%s is %s; ", param, a->meta);
		return;
	}
}

/* An error object from verged: its message, and our hint for its kind. */
int cli_fail_rpc(struct cli_ctx *ctx, json_t *error)
{
	json_t *data = json_object_get(error, "data");
	const char *name = cli_jstr(data, "name");
	const char *msg = cli_jstr(error, "message");
	const char *param = cli_jstr(data, "param");
	const struct cli_exit_entry *e;
	char source[96];

	e = cli_exit_lookup(name, (int)json_integer_value(
		json_object_get(error, "code")));
	fflush(ctx->out);
	if (ctx->json) {
		print_json_error(ctx, error);
		return e->status;
	}
	/* verged's message may quote a guest (agent errors) */
	fputs("verge: ", stderr);
	if (param && msg && !strstr(msg, param)) {
		cli_safe_fputs(param, stderr, 0);
		fputs(": ", stderr);
	}
	cli_safe_fputs(msg ? msg : "error", stderr, 0);
	fputc('\n', stderr);
	param_source(ctx, param, source, sizeof(source));
	print_hint(ctx, source, e->hint, stderr);
	return e->status;
}
