// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness: the CLI's rendering of verged's replies (cli/show.c,
 * fleet.c, events.c, table.c, print.c, errors.c): a reply in, human
 * output out, for every command that has a printer. The input's first
 * byte picks the command, the second the mode (terminal or not, --json,
 * a result or an error object), the rest is the JSON text verged would
 * send. Checks: nothing crashes, and on a terminal the output carries no
 * control character the reply put there (a hostile guest or peer must
 * not write escape sequences into the operator's terminal); verge's own
 * bold headers are the only escapes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "fuzz.h"

static const struct cli_cmd *leaves[64][4];
static size_t nleaves;

static void collect(const struct cli_cmd *path[4], int depth,
		    const struct cli_cmd *c)
{
	path[depth] = c;
	if (c->show && nleaves < sizeof(leaves) / sizeof(leaves[0])) {
		memcpy(leaves[nleaves], path, sizeof(leaves[0]));
		leaves[nleaves][depth + 1] = NULL;
		nleaves++;
	}
	for (const struct cli_cmd *s = c->sub; depth < 2 && s && s->name; s++)
		collect(path, depth + 1, s);
	path[depth] = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct cli_cmd *path[4] = { NULL };

	(void)argc;
	(void)argv;
	collect(path, 0, &cli_root);
	FUZZ_CHECK(nleaves > 10);
	return 0;
}

/* On a terminal: no control characters but newline and tab, and ESC
 * only in "\033[1m" and "\033[0m". */
static const struct cli_cmd *leaf;

static void check_terminal(const char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == 0x1b && (!strncmp(out + i, "\033[1m", 4) ||
				  !strncmp(out + i, "\033[0m", 4))) {
			i += 3;
			continue;
		}
		if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') ||
		    c == 0x7f) {
			fprintf(stderr,
				"control character 0x%02x at %zu in:"
				"\n%.*s\n",
				c, i, (int)n, out);
			if (leaf)
				fprintf(stderr,
					"printed by the show function "
					"of '%s'\n",
					leaf->name);
			FUZZ_CHECK(!"control character in terminal output");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_ctx ctx;
	const struct cli_cmd *const *path;
	json_t *reply, *params;
	FILE *err_saved = stderr;
	char *out = NULL, *errs = NULL;
	size_t out_n = 0, errs_n = 0;
	uint8_t mode;

	if (size < 2 || !nleaves)
		return 0;
	path = leaves[data[0] % nleaves];
	mode = data[1];
	reply = json_loadb((const char *)data + 2, size - 2,
			   JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!reply)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	for (int i = 0; i < 4 && path[i]; i++) {
		ctx.inv.path[i] = path[i];
		ctx.inv.cmd = path[i];
	}
	leaf = ctx.inv.cmd;
	params = json_pack("{ss}", "name", "web-1");
	ctx.inv.params = mode & 4 ? params : NULL;
	ctx.inv.local = json_object();
	ctx.tty = mode & 1;
	ctx.json = mode & 2;
	ctx.out = open_memstream(&out, &out_n);
	stderr = open_memstream(&errs, &errs_n);
	if (ctx.out && stderr) {
		if (mode & 8)
			(void)cli_fail_rpc(&ctx, reply);
		else if (ctx.json)
			cli_print_json(&ctx, ctx.out, reply);
		else
			ctx.inv.cmd->show(&ctx, reply);
		fflush(ctx.out);
	}
	if (stderr)
		fclose(stderr);
	stderr = err_saved;
	if (ctx.out && ctx.tty && !ctx.json && !(mode & 8))
		check_terminal(out, out_n);
	if (ctx.out)
		fclose(ctx.out);
	free(out);
	free(errs);
	json_decref(ctx.inv.local);
	json_decref(params);
	json_decref(reply);
	return 0;
}
