/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verge, the command line of verged: shared types. The commands are data
 * (struct cli_cmd in commands.c); args.c parses a command line against
 * them into the JSON-RPC parameters, and the handlers print the results.
 * Library functions here never print; main.c and the handlers do.
 */
#ifndef VERGE_CLI_H
#define VERGE_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#ifndef VERGE_VERSION
#error "VERGE_VERSION comes from the top-level VERSION file (Makefile)"
#endif
#define CLI_VERSION		VERGE_VERSION
#define CLI_DEFAULT_SOCKET	"/run/verge/verged.sock"
#define CLI_DEFAULT_TIMEOUT_MS	60000

/*
 * Exit statuses. errors.c maps verged's error names onto them in one
 * table; verge.1 (EXIT STATUS) documents the same list.
 */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,		/* verged reported an error */
	CLI_EXIT_USAGE = 2,		/* bad command line or parameter */
	CLI_EXIT_UNREACHABLE = 3,	/* cannot connect to verged */
	CLI_EXIT_NOT_FOUND = 4,		/* no VM of that name */
	CLI_EXIT_DENIED = 5,		/* permission denied */
	CLI_EXIT_TIMEOUT = 6,		/* no answer in time */
};

/* What an argument's value is; kinds.c holds the parser of each. */
enum cli_kind {
	CLI_FLAG,	/* no value: true */
	CLI_STRING,	/* non-empty text */
	CLI_TEXT,	/* any text, even empty */
	CLI_PATH,	/* an existing file, made absolute */
	CLI_COUNT,	/* unsigned decimal integer */
	CLI_MIB,	/* size in MiB: 512, 512M, 2G */
	CLI_BYTES,	/* size in bytes: 4096, 64K, 1M */
	CLI_FREQ,	/* frequency in Hz: 62500000, 62.5MHz */
	CLI_RATE,	/* p/q or decimal; sent as the string given */
	CLI_SECONDS,	/* duration, bare numbers are seconds; sent in s */
	CLI_NANOS,	/* duration with a unit; sent in ns */
	CLI_CHOICE,	/* one of cli_arg.choices */
	CLI_DISK,	/* PATH[,options]: the file must exist; made absolute */
	CLI_KIND_COUNT
};

#define CLI_REQUIRED	0x1	/* must be given */
#define CLI_POSITIONAL	0x2	/* an operand, not an --option */
#define CLI_LOCAL	0x4	/* for verge itself, not sent to verged */
#define CLI_VM		0x8	/* names a VM (completion offers VM names) */
#define CLI_MULTI	0x10	/* may repeat: the values form an array */

struct cli_arg {
	const char *name;	/* option name without "--"; operand: NULL */
	const char *meta;	/* value placeholder in help, e.g. "IMAGE" */
	enum cli_kind kind;
	unsigned flags;
	const char *key;	/* request parameter (or local setting) */
	const char *help;
	const char *const *choices;	/* CLI_CHOICE: NULL-terminated */
};

/* Argument lists end with a zeroed entry; NULL is an empty list. */
static inline bool cli_arg_more(const struct cli_arg *a)
{
	return a && (a->name || a->meta);
}

struct cli_ctx;
struct cli_cmd;

typedef int (*cli_run_fn)(struct cli_ctx *ctx);
typedef void (*cli_show_fn)(struct cli_ctx *ctx, json_t *result);

struct cli_cmd {
	const char *name;
	const char *summary;
	const struct cli_arg *args;	/* terminated by a zeroed entry */
	const struct cli_cmd *sub;	/* a group's commands, NULL-named end */
	const char *method;		/* JSON-RPC method called by run */
	cli_run_fn run;
	cli_show_fn show;		/* human output of the result */
	const char *notes;		/* extra help paragraph */
};

/* A parsed command line. */
struct cli_inv {
	const struct cli_cmd *path[5];	/* top, group(s), leaf; NULL-ended */
	const struct cli_cmd *cmd;	/* the leaf (or a group given alone) */
	json_t *params;			/* request parameters */
	json_t *local;			/* socket, json, timeout, follow... */
	bool help;			/* --help: show the help of cmd */
	char err[256];			/* the usage error, if any */
};

struct cli_rpc;

struct cli_ctx {
	struct cli_inv inv;
	FILE *out;
	bool json;
	bool tty;		/* out is a terminal: bold, indented JSON */
	const char *socket;
	int64_t timeout_ms;
	struct cli_rpc *rpc;	/* connected on first use */
};

/* commands.c */
extern const struct cli_cmd cli_root;
extern const struct cli_arg cli_global_args[];

/* args.c: parses argv (argv[0] is the program) into inv. */
int cli_parse(int argc, char **argv, struct cli_inv *inv);
void cli_inv_free(struct cli_inv *inv);
const struct cli_cmd *cli_find(const struct cli_cmd *group,
			       const char *name);
const char *cli_suggest(const struct cli_cmd *group, const char *name);
/* "verge vm define" for the command at path. */
void cli_cmd_title(const struct cli_inv *inv, char *buf, size_t size);
void cli_usage(FILE *f, const struct cli_inv *inv);
void cli_help(FILE *f, const struct cli_inv *inv);

/* kinds.c: one value of a kind into JSON, or an error sentence. */
struct cli_unit {
	const char *suffix;	/* "" for a bare number */
	uint64_t scale;
};
int cli_parse_scaled(const char *s, const struct cli_unit *units,
		     uint64_t max, uint64_t *ret_value);
/* A rate (proto/verge_rate.h), reduced: 0, -EINVAL, -EDOM or -ERANGE. */
int cli_parse_rate(const char *s, uint64_t *ret_num, uint64_t *ret_den);
int cli_parse_duration_ns(const char *s, bool bare_seconds,
			  uint64_t *ret_ns);
json_t *cli_kind_value(const struct cli_arg *a, const char *s, char *err,
		       size_t errsize);

/* errors.c */
struct cli_exit_entry {
	const char *name;	/* verged's error.data.name or verge's own */
	int code;		/* JSON-RPC error code; 0 for verge's own */
	enum cli_exit status;
	const char *hint;	/* what to do; {cmd}: command, {vm}: VM */
};
const struct cli_exit_entry *cli_exit_lookup(const char *name, int code);
int cli_fail(struct cli_ctx *ctx, enum cli_exit status, const char *name,
	     const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int cli_fail_rpc(struct cli_ctx *ctx, json_t *error);

/* rpc use by handlers (run.c) */
int cli_call(struct cli_ctx *ctx, const char *method, json_t *params,
	     json_t **ret_result);
int cli_connect(struct cli_ctx *ctx);

/* arena.c: jansson's memory for one short command */
void cli_arena_start(void);
void cli_arena_stop(void);
void cli_arena_release(void);

/* print.c: human output helpers */
void cli_fmt_duration(double s, char *buf, size_t size);
void cli_fmt_age(double s, char *buf, size_t size);
void cli_fmt_freq(double hz, char *buf, size_t size);
void cli_fmt_mib(json_int_t mib, char *buf, size_t size);
void cli_fmt_time(double epoch, char *buf, size_t size);
void cli_fmt_scalar(json_t *v, char *buf, size_t size);
const char *cli_jstr(json_t *o, const char *key);
void cli_print_json(struct cli_ctx *ctx, FILE *f, json_t *v);
#endif
