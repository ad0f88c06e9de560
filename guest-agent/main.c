// SPDX-License-Identifier: Apache-2.0
/* verge-guest-agent: the in-guest side of verge (docs/guest-agent.md,
 * verge-guest-agent(8)). A table of subcommands, each with its own
 * getopt_long options; usage() is printed from the table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "detect.h"
#include "json.h"
#include "rpc.h"
#include "timesync.h"

static int cmd_detect(int argc, char **argv);
static int cmd_run(int argc, char **argv);
static int cmd_rpc(int argc, char **argv);
static int cmd_probe(int argc, char **argv);
static int cmd_timesync(int argc, char **argv);
static int cmd_clock(int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "detect", cmd_detect, "detect [--json] [--trials N] [--quiet]" },
	{ "run", cmd_run, "run [--interval S] [--poll-max MS] "
	  "[--doorbell-poll S] [--no-doorbell] [--trials N] [--once] [--lb] "
	  "[--verbose] [--watchdog DEV]" },
	{ "rpc", cmd_rpc, "rpc [--lb] TEXT" },
	{ "probe", cmd_probe, "probe" },
	{ "timesync", cmd_timesync, "timesync" },
	{ "clock", cmd_clock, "clock" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  verge-guest-agent %s\n", cmds[i].usage);
}

/* A decimal option in [lo, hi], or exit 2 with a precise message. */
static unsigned num_arg(const char *opt, const char *s, unsigned lo,
			unsigned hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "verge-guest-agent: %s: '%s' is not a number "
			"in %u..%u\n", opt, s, lo, hi);
		exit(2);
	}
	return (unsigned)v;
}

static void bad_usage(const char *cmd)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, cmd))
			fprintf(stderr, "usage: verge-guest-agent %s\n",
				cmds[i].usage);
	exit(2);
}

static int cmd_detect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "trials", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	static struct detect d;
	static char buf[8192];
	unsigned trials = DETECT_TRIALS;
	bool json = false, quiet = false;
	struct json j;
	int c;

	while ((c = getopt_long(argc, argv, "jt:q", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 't': trials = num_arg("--trials", optarg, 0,
					   EXCL_MAX_TRIALS); break;
		case 'q': quiet = true; break;
		default: bad_usage("detect");
		}
	}
	if (optind != argc)
		bad_usage("detect");
	detect_run(&d, trials);
	if (json) {
		json_init(&j, buf, sizeof(buf));
		detect_json(&d, &j, NULL, true);
		if (json_end(&j) < 0) {
			fprintf(stderr, "verge-guest-agent: evidence does "
				"not fit the JSON buffer\n");
			return 2;
		}
		puts(buf);
	} else if (!quiet) {
		puts(d.answer.name);
	}
	return d.answer.virtualized ? 0 : 1;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "poll-max", required_argument, NULL, 'p' },
		{ "doorbell-poll", required_argument, NULL, 'd' },
		{ "no-doorbell", no_argument, NULL, 'n' },
		{ "trials", required_argument, NULL, 't' },
		{ "once", no_argument, NULL, '1' },
		{ "lb", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "watchdog", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_opts o = {
		.interval_s = 10, .poll_max_ms = 500, .doorbell_poll_s = 10,
		.trials = DETECT_TRIALS, .allow_hb = true,
	};
	int c;

	while ((c = getopt_long(argc, argv, "i:p:d:nt:1lvw:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': o.interval_s = num_arg("--interval", optarg, 1,
						 86400); break;
		case 'p': o.poll_max_ms = num_arg("--poll-max", optarg, 10,
						  60000); break;
		case 'd': o.doorbell_poll_s = num_arg("--doorbell-poll",
						      optarg, 1, 3600); break;
		case 'n': o.no_doorbell = true; break;
		case 't': o.trials = num_arg("--trials", optarg, 0,
					     EXCL_MAX_TRIALS); break;
		case '1': o.once = true; break;
		case 'l': o.allow_hb = false; break;
		case 'v': o.verbose = true; break;
		case 'w': o.watchdog = optarg; break;
		default: bad_usage("run");
		}
	}
	if (optind != argc)
		bad_usage("run");
	return agent_run(&o);
}

/* Like vmware-rpctool: the reply on stdout, exit 0 on success, 1 when
 * the host answered failure or the call failed. */
static int cmd_rpc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lb", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	static char reply[RPC_MAX_REPLY];
	bool hb = true;
	size_t n = 0;
	int c, err;

	while ((c = getopt_long(argc, argv, "l", opts, NULL)) != -1) {
		if (c != 'l')
			bad_usage("rpc");
		hb = false;
	}
	if (optind != argc - 1)
		bad_usage("rpc");
	err = rpci_call(argv[optind], strlen(argv[optind]), reply,
			sizeof(reply), &n, hb);
	if (err && err != -EREMOTEIO) {
		fprintf(stderr, "verge-guest-agent: rpc: %s\n",
			rpc_strerror(err));
		return 1;
	}
	fwrite(reply, 1, n, err ? stderr : stdout);
	fputc('\n', err ? stderr : stdout);
	return err ? 1 : 0;
}

static int cmd_probe(int argc, char **argv)
{
	struct bd_version v;
	int err;

	(void)argv;
	if (argc != 1)
		bad_usage("probe");
	err = bd_probe(&v);
	if (err) {
		printf("%s\n", rpc_strerror(err));
		return 1;
	}
	printf("backdoor version %u product %u\n", v.version, v.product);
	return 0;
}

static int cmd_timesync(int argc, char **argv)
{
	struct ts_result t;
	int err;

	(void)argv;
	if (argc != 1)
		bad_usage("timesync");
	err = timesync_once(&t);
	if (err) {
		fprintf(stderr, "verge-guest-agent: timesync: %s\n",
			err == -EAGAIN ? "host time not set" :
			rpc_strerror(err));
		return 1;
	}
	printf("%s: offset %lld ns, after %lld ns\n",
	       timesync_action_name(t.action), (long long)t.offset_ns,
	       (long long)t.after_ns);
	return 0;
}

/* The guest's clocks in ns (busybox date has no %N): realtime first. */
static int cmd_clock(int argc, char **argv)
{
	struct timespec r, m;

	(void)argv;
	if (argc != 1)
		bad_usage("clock");
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	printf("realtime_ns %lld monotonic_ns %lld\n",
	       (long long)r.tv_sec * 1000000000 + r.tv_nsec,
	       (long long)m.tv_sec * 1000000000 + m.tv_nsec);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("verge-guest-agent " AGENT_VERSION);
		return 0;
	}
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "verge-guest-agent: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
