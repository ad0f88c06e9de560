// SPDX-License-Identifier: Apache-2.0
/*
 * verge's command line: the command table, parsing against it into
 * JSON-RPC parameters, the value parsers (rates, durations, sizes,
 * frequencies) and the exit status table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static struct cli_inv inv;
static char kernel[PATH_MAX];	/* an existing file */

/* Parses a NULL-terminated list of words after "verge". */
static int parse(const char *first, ...)
{
	char *argv[32] = { "verge" };
	int argc = 1;
	va_list ap;

	cli_inv_free(&inv);
	va_start(ap, first);
	for (const char *w = first; w && argc < 31; w = va_arg(ap, const char *))
		argv[argc++] = (char *)w;
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse(argc, argv, &inv);
}

static void assert_params(const char *json)
{
	json_t *want = json_loads(json, 0, NULL);
	char *got = json_dumps(inv.params, JSON_SORT_KEYS | JSON_COMPACT);

	assert_non_null(want);
	if (!json_equal(want, inv.params))
		fail_msg("params %s, want %s", got, json);
	free(got);
	json_decref(want);
}

static void assert_error(int r, const char *text)
{
	assert_int_equal(r, CLI_EXIT_USAGE);
	if (!strstr(inv.err, text))
		fail_msg("error '%s' does not say '%s'", inv.err, text);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(realpath("/proc/self/exe", kernel));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cli_inv_free(&inv);
	return 0;
}

static void test_define_params(void **state)
{
	char want[PATH_MAX + 256];

	(void)state;
	assert_int_equal(parse("vm", "define", "web-1", "--kernel", kernel,
			       "--memory", "2G", "--cpus", "4", "--rate", "1/2",
			       "--freq", "62.5MHz", "--restart", "on-crash",
			       "--cmdline", "console=ttyAMA0 quiet", NULL), 0);
	assert_string_equal(inv.cmd->method, "vm.define");
	snprintf(want, sizeof(want), "{\"name\": \"web-1\", \"kernel\": \"%s\", "
		 "\"memory_mib\": 2048, \"cpus\": 4, \"rate\": \"1/2\", "
		 "\"freq_hz\": 62500000, \"restart\": \"on-crash\", "
		 "\"cmdline\": \"console=ttyAMA0 quiet\"}", kernel);
	assert_params(want);
	assert_int_equal(json_object_size(inv.local), 0);
}

/* Options may come before or after the operands, as with GNU tools. */
static void test_options_anywhere(void **state)
{
	(void)state;
	assert_int_equal(parse("vm", "define", "--cpus", "1", "a", "--kernel",
			       kernel, NULL), 0);
	assert_string_equal(cli_jstr(inv.params, "name"), "a");
	assert_int_equal(json_integer_value(json_object_get(inv.params,
					    "cpus")), 1);
}

static void test_relative_path_made_absolute(void **state)
{
	char cwd[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 8];
	const char *slash = strrchr(kernel, '/');

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - kernel), kernel);
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(parse("vm", "define", "x", "--kernel", slash + 1,
			       "--initrd", "./", NULL), CLI_EXIT_USAGE);
	assert_non_null(strstr(inv.err, "--initrd: './'"));
	assert_int_equal(parse("vm", "define", "x", "--kernel", slash + 1,
			       "--initrd", slash + 1, NULL), 0);
	snprintf(want, sizeof(want), "%s", kernel);
	assert_string_equal(cli_jstr(inv.params, "kernel"), want);
	assert_string_equal(cli_jstr(inv.params, "initrd"), want);
	assert_int_equal(chdir(cwd), 0);
	assert_error(parse("vm", "define", "x", "--kernel",
			   "/nonexistent/Image", NULL),
		     "--kernel: '/nonexistent/Image': No such file");
}

static void test_unknown_command(void **state)
{
	(void)state;
	assert_error(parse("frobnicate", NULL),
		     "unknown command 'verge frobnicate'");
	assert_error(parse("vm", "lsit", NULL),
		     "unknown command 'verge vm lsit'; did you mean 'list'?");
	assert_error(parse("vm", NULL), "missing command");
	assert_error(parse(NULL), "missing command");
	/* Exact names only: a prefix is not a command. */
	assert_error(parse("vm", "li", NULL), "unknown command");
	assert_error(parse("v", "list", NULL), "unknown command");
}

static void test_missing_and_extra(void **state)
{
	(void)state;
	assert_error(parse("vm", "define", NULL), "missing NAME");
	assert_error(parse("vm", "define", "a", NULL), "missing --kernel IMAGE");
	assert_error(parse("vm", "show", "a", "b", NULL),
		     "unexpected argument 'b'");
	assert_error(parse("vm", "list", "x", NULL), "unexpected argument 'x'");
	assert_error(parse("clock", "set-rate", "a", NULL), "missing RATE");
	assert_error(parse("guestinfo", "set", "a", "k", NULL),
		     "missing VALUE");
	/* An empty VALUE is given (it deletes the key); an empty NAME is not. */
	assert_int_equal(parse("guestinfo", "set", "a", "k", "", NULL), 0);
	assert_params("{\"name\": \"a\", \"key\": \"k\", \"value\": \"\"}");
	assert_error(parse("vm", "show", "", NULL), "NAME: '': it must not "
		     "be empty");
	assert_error(parse("vm", "stop", "a", "--timeout", NULL),
		     "option '--timeout' needs a value");
	assert_error(parse("vm", "list", "--bogus", NULL),
		     "unknown option '--bogus'");
	assert_error(parse("vm", "list", "-x", NULL), "unknown option '-x'");
	assert_error(parse("--json=1", "vm", "list", NULL), "unknown option");
}

static void test_bad_numbers(void **state)
{
	(void)state;
	assert_error(parse("vm", "define", "a", "--kernel", kernel, "--cpus",
			   "two", NULL), "--cpus: 'two' is not a whole number");
	assert_error(parse("vm", "define", "a", "--kernel", kernel, "--cpus",
			   "-1", NULL), "--cpus: '-1' is not");
	assert_error(parse("vm", "define", "a", "--kernel", kernel, "--cpus",
			   "", NULL), "--cpus: '' is not");
	assert_error(parse("vm", "define", "a", "--kernel", kernel, "--cpus",
			   "99999999999999999999999", NULL), "out of range");
	assert_error(parse("vm", "define", "a", "--kernel", kernel, "--memory",
			   "1.5M", NULL), "finer than");
	assert_error(parse("vm", "define", "a", "--kernel", kernel, "--memory",
			   "12x", NULL), "--memory: '12x' is not MiB");
	assert_error(parse("vm", "define", "a", "--kernel", kernel, "--freq",
			   "62.5", NULL), "finer than");
	assert_error(parse("vm", "define", "a", "--kernel", kernel, "--rate",
			   "fast", NULL), "--rate: 'fast' is not a rate");
	assert_error(parse("vm", "define", "a", "--kernel", kernel,
			   "--restart", "always", NULL),
		     "--restart: 'always' is not one of no, on-crash");
	assert_error(parse("events", "--limit", "1e3", NULL), "--limit");
	assert_error(parse("vm", "console", "a", "--bytes", "1G", NULL),
		     "--bytes: '1G' is not bytes");
	assert_int_equal(parse("vm", "define", "a", "--kernel", kernel,
			       "--memory", "1.5G", "--freq", "1GHz", NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(inv.params,
					    "memory_mib")), 1536);
	assert_int_equal(json_integer_value(json_object_get(inv.params,
					    "freq_hz")), 1000000000);
}

static void test_rates(void **state)
{
	static const struct {
		const char *s;
		uint64_t num, den;
	} good[] = {	/* the one parser (proto/rate.c), reduced */
		{ "1/2", 1, 2 }, { "0.5", 1, 2 }, { "2", 2, 1 },
		{ "0.25", 1, 4 }, { "100", 100, 1 }, { "3/7", 3, 7 },
		{ "0.01", 1, 100 }, { "0.333333", 333333, 1000000 },
		{ "10.123456", 158179, 15625 },
	};
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{ "0", -ERANGE }, { "0/1", -ERANGE }, { "1/0", -ERANGE },
		{ "0.0", -ERANGE }, { "-1", -EINVAL }, { "1e3", -EINVAL },
		{ "1/2/3", -EINVAL }, { "", -EINVAL }, { "abc", -EINVAL },
		{ "1.5/2", -EINVAL }, { "/2", -EINVAL }, { "1/", -EINVAL },
		{ " 1", -EINVAL }, { "1 ", -EINVAL }, { "0.0000001", -ERANGE },
		{ "0.3333333", -EDOM }, { "4294967296/1", -ERANGE },
		{ "nan", -EINVAL }, { "inf", -EINVAL }, { ".", -EINVAL },
		{ ".25", -EINVAL }, { "0.009", -ERANGE }, { "101", -ERANGE },
	};
	uint64_t num, den;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		num = den = 0;
		if (cli_parse_rate(good[i].s, &num, &den) != 0)
			fail_msg("rate '%s' refused", good[i].s);
		assert_int_equal(num, good[i].num);
		assert_int_equal(den, good[i].den);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		num = den = 7;
		if (cli_parse_rate(bad[i].s, &num, &den) != bad[i].err)
			fail_msg("rate '%s': want %d", bad[i].s, bad[i].err);
		assert_int_equal(num, 7);	/* untouched on failure */
	}
	/* The error says what the other parts say. */
	assert_error(parse("clock", "set-rate", "a", "0.3333333", NULL),
		     "RATE: '0.3333333' is finer than a rate's precision");
	assert_error(parse("clock", "set-rate", "a", "200", NULL),
		     "RATE: '200' is outside 0.01..100");
	/* The command sends the rate as typed, once it is known good. */
	assert_int_equal(parse("clock", "set-rate", "web-1", "0.5", NULL), 0);
	assert_params("{\"name\": \"web-1\", \"rate\": \"0.5\"}");
	assert_string_equal(inv.cmd->method, "clock.set_rate");
}

static void test_durations(void **state)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} good[] = {
		{ "1.5s", 1500000000 }, { "200ms", 200000000 },
		{ "3000000ns", 3000000 }, { "2us", 2000 }, { "1m", 60000000000 },
		{ "1min", 60000000000 }, { "1h", 3600000000000 },
		{ "1d", 86400000000000 }, { "0.000000001s", 1 },
		{ "1.5MS", 1500000 },
	};
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{ "1500", -EINVAL }, { "1.5ns", -EDOM }, { "1x", -EINVAL },
		{ "", -EINVAL }, { "s", -EINVAL }, { "-1s", -EINVAL },
		{ "99999999999d", -ERANGE }, { "1.5 s", -EINVAL },
		{ "0.0000000001s", -EDOM },
	};
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ns = 0;
		if (cli_parse_duration_ns(good[i].s, false, &ns) != 0)
			fail_msg("duration '%s' refused", good[i].s);
		assert_int_equal(ns, good[i].ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cli_parse_duration_ns(bad[i].s, false, &ns) != bad[i].err)
			fail_msg("duration '%s': want %d", bad[i].s, bad[i].err);
	/* Bare numbers are seconds where the option says S. */
	assert_int_equal(cli_parse_duration_ns("2.5", true, &ns), 0);
	assert_int_equal(ns, 2500000000);
	assert_int_equal(parse("clock", "step", "a", "1.5s", NULL), 0);
	assert_params("{\"name\": \"a\", \"ns\": 1500000000}");
	assert_error(parse("clock", "step", "a", "1500", NULL),
		     "DURATION: '1500' is not a duration");
}

/* Global options at any level; a command's own option of a name wins. */
static void test_global_options(void **state)
{
	(void)state;
	assert_int_equal(parse("--json", "--socket", "/s", "vm", "list", NULL),
			 0);
	assert_true(json_is_true(json_object_get(inv.local, "json")));
	assert_string_equal(cli_jstr(inv.local, "socket"), "/s");
	assert_int_equal(parse("vm", "--json", "list", "--timeout", "500ms",
			       NULL), 0);
	assert_true(json_is_true(json_object_get(inv.local, "json")));
	assert_true(json_real_value(json_object_get(inv.local, "timeout")) ==
		    0.5);
	assert_int_equal(json_object_size(inv.params), 0);
	assert_int_equal(parse("--timeout", "5", "vm", "stop", "a",
			       "--timeout", "10", NULL), 0);
	assert_params("{\"name\": \"a\", \"timeout_s\": 10}");
	assert_int_equal(json_integer_value(json_object_get(inv.local,
					    "timeout")), 5);
	/* verged's timeout_s is whole seconds; verge's own is finer. */
	assert_error(parse("vm", "stop", "a", "--timeout", "1.5", NULL),
		     "--timeout: '1.5' is finer than whole seconds");
	assert_int_equal(parse("vm", "stop", "a", "--timeout", "2m", NULL), 0);
	assert_params("{\"name\": \"a\", \"timeout_s\": 120}");
	assert_int_equal(parse("events", "--follow", "web", "--limit", "5",
			       NULL), 0);
	assert_params("{\"vm\": \"web\", \"limit\": 5}");
	assert_true(json_is_true(json_object_get(inv.local, "follow")));
}

static void test_help(void **state)
{
	(void)state;
	assert_int_equal(parse("help", "vm", "define", NULL), 0);
	assert_true(inv.help);
	assert_string_equal(inv.cmd->name, "define");
	/* --help needs none of the command's arguments. */
	assert_int_equal(parse("vm", "define", "--help", NULL), 0);
	assert_true(inv.help);
	assert_string_equal(inv.cmd->name, "define");
	assert_int_equal(parse("clock", "-h", NULL), 0);
	assert_true(inv.help);
	assert_string_equal(inv.cmd->name, "clock");
	assert_int_equal(parse("help", NULL), 0);
	assert_true(inv.cmd == &cli_root);
	assert_error(parse("help", "vm", "nope", NULL),
		     "unknown command 'verge vm nope'");
	assert_error(parse("help", "version", "x", NULL),
		     "unexpected argument 'x'");
}

static void check_args(const char *cmd, const struct cli_arg *a)
{
	bool optional_seen = false;

	for (; cli_arg_more(a); a++) {
		if (!a->key || !a->help || !a->help[0])
			fail_msg("%s: an argument without key or help", cmd);
		if (a->kind == CLI_CHOICE && !a->choices)
			fail_msg("%s --%s: no choices", cmd, a->name);
		if (a->kind != CLI_FLAG && a->kind != CLI_CHOICE && !a->meta)
			fail_msg("%s --%s: no placeholder", cmd, a->name);
		if (!(a->flags & CLI_POSITIONAL))
			continue;
		/* A required operand after an optional one is ambiguous. */
		if ((a->flags & CLI_REQUIRED) && optional_seen)
			fail_msg("%s %s: required after optional", cmd, a->meta);
		if (!(a->flags & CLI_REQUIRED))
			optional_seen = true;
	}
}

/* Every command is complete and reachable by one exact name. */
static void test_table(void **state)
{
	const struct cli_cmd *g, *c, *d;
	int leaves = 0;

	(void)state;
	for (g = cli_root.sub; g->name; g++) {
		assert_non_null(g->summary);
		for (d = g + 1; d->name; d++)
			assert_string_not_equal(g->name, d->name);
		if (!g->sub) {
			check_args(g->name, g->args);
			continue;
		}
		for (c = g->sub; c->name; c++, leaves++) {
			assert_non_null(c->summary);
			if (c->sub) {	/* vm image: one level more */
				const struct cli_cmd *l;

				for (l = c->sub; l->name; l++, leaves++) {
					assert_non_null(l->summary);
					if (!l->run || !l->method || !l->show)
						fail_msg("%s %s %s: no handler",
							 g->name, c->name,
							 l->name);
					check_args(l->name, l->args);
				}
				leaves--;	/* the group is no leaf */
				continue;
			}
			if (!c->run || !c->method || !c->show)
				fail_msg("%s %s: no handler", g->name, c->name);
			check_args(c->name, c->args);
			for (d = c + 1; d->name; d++)
				assert_string_not_equal(c->name, d->name);
		}
	}
	/* vm's 10 (reboot the 10th), + fleet status, + partition create,
	 * list, show, delete,
	 * + vm image show, set, commit, rollback, + vm disk list, add,
	 * remove */
	assert_int_equal(leaves, 10 + 4 + 4 + 2 + 1 + 4 + 4 + 3);
	check_args("global", cli_global_args);
}

static void test_exit_table(void **state)
{
	(void)state;
	assert_int_equal(cli_exit_lookup("vm_not_found", 0)->status,
			 CLI_EXIT_NOT_FOUND);
	/* An error without data.name is found by its code. */
	assert_int_equal(cli_exit_lookup(NULL, -32001)->status,
			 CLI_EXIT_NOT_FOUND);
	assert_int_equal(cli_exit_lookup(NULL, -32602)->status, CLI_EXIT_USAGE);
	assert_int_equal(cli_exit_lookup("permission_denied", 0)->status,
			 CLI_EXIT_DENIED);
	assert_int_equal(cli_exit_lookup("timeout", 0)->status,
			 CLI_EXIT_TIMEOUT);
	assert_int_equal(cli_exit_lookup("unreachable", 0)->status,
			 CLI_EXIT_UNREACHABLE);
	/* A newer verged's unknown error is still "verged said no". */
	assert_int_equal(cli_exit_lookup("brand_new", -32099)->status,
			 CLI_EXIT_ERROR);
	assert_non_null(strstr(cli_exit_lookup("unreachable", 0)->hint,
			       "systemctl start verged"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_define_params),
		cmocka_unit_test(test_options_anywhere),
		cmocka_unit_test(test_relative_path_made_absolute),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_missing_and_extra),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_global_options),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_exit_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
