// SPDX-License-Identifier: Apache-2.0
/*
 * verge-mgmt: talks to verge-hv over the management socket, for debugging.
 * One command per run; human output by default, one JSON object per line
 * with --json. Exit status: 0 success, 1 error reply or timeout, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mgmt_client.h>
#include <verge_gcd.h>

#define EXIT_ERROR	1
#define EXIT_USAGE	2
#define RATE_MIN_PCT	1	/* 0.01, in hundredths */
#define RATE_MAX	100
#define STEP_MAX_NS	(86400ull * 1000000000ull)

struct ctx {
	const char *sock;
	int json;
	int timeout_ms;
	struct mgmt_client *c;
};

struct cmd {
	const char *name;
	int (*fn)(struct ctx *x, int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct cmd *cur_cmd;

/* --- output helpers -------------------------------------------------- */

static void usage_cmd(const struct cmd *cmd)
{
	fprintf(stderr, "usage: verge-mgmt [--timeout MS] [--json] SOCKET %s%s%s\n",
		cmd->name, cmd->args[0] ? " " : "", cmd->args);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "verge-mgmt: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	if (cur_cmd)
		usage_cmd(cur_cmd);
	return EXIT_USAGE;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Text from the wire, shown with control characters replaced. */
static void safe_text(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < cap; i++)
		dst[i] = src[i] < 0x20 || src[i] == 0x7f ? '?' : (char)src[i];
	dst[i] = '\0';
}

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ ETIMEDOUT, "ETIMEDOUT" }, { ECONNRESET, "ECONNRESET" },
	{ ECONNREFUSED, "ECONNREFUSED" }, { ENOENT, "ENOENT" },
	{ EBADMSG, "EBADMSG" }, { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
	{ EPIPE, "EPIPE" }, { ENAMETOOLONG, "ENAMETOOLONG" },
	{ EMSGSIZE, "EMSGSIZE" }, { EACCES, "EACCES" }, { ENOBUFS, "ENOBUFS" },
};

static const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return "ERRNO";
}

/* Reports r (negative errno, or -EPROTO for an error reply); returns 1. */
static int fail_at(struct ctx *x, int r, const char *what)
{
	const char *name, *msg = NULL;
	int32_t code = -r;

	if (r == -EPROTO && x->c && (msg = mgmt_last_error(x->c, &code))) {
		name = mgmt_error_name(code);
	} else {
		name = errno_name(-r);
		msg = strerror(-r);
	}
	fprintf(stderr, "verge-mgmt: %s (%d): %s%s%s\n", name, code,
		what ? what : "", what ? ": " : "", msg);
	if (x->json) {
		printf("{\"error\":\"%s\",\"code\":%d,\"message\":", name, code);
		json_str(msg);
		printf("}\n");
	}
	return EXIT_ERROR;
}

static int fail(struct ctx *x, int r)
{
	return fail_at(x, r, NULL);
}

static int open_channel(struct ctx *x)
{
	int r = mgmt_connect(x->sock, x->timeout_ms, &x->c);

	if (r < 0)
		return fail_at(x, r, x->sock);
	mgmt_set_timeout(x->c, x->timeout_ms);
	return 0;
}

static double ticks_ms(uint64_t ticks, uint64_t hz)
{
	return hz ? (double)ticks * 1000.0 / (double)hz : 0.0;
}

static double rate_of(uint32_t num, uint32_t den)
{
	return den ? (double)num / den : 0.0;
}

static void print_clock(const struct ctx *x, const char *what,
			const struct vp_clock *k)
{
	double stalled = ticks_ms(k->stalled_ticks, k->host_freq);
	double err_us = ticks_ms(k->max_error_ticks, k->guest_freq) * 1000.0;

	if (x->json) {
		printf("{\"%s\":{\"host_counter\":%" PRIu64 ",\"host_freq\":%"
		       PRIu64 ",\"guest_counter\":%" PRIu64 ",\"guest_freq\":%"
		       PRIu64 ",\"next_freq\":%" PRIu64 ",\"rate_num\":%" PRIu32
		       ",\"rate_den\":%" PRIu32 ",\"rate\":%.9g,\"cntvoff\":%"
		       PRIu64 ",\"stalled_ticks\":%" PRIu64 ",\"stalled_ms\":%.3f"
		       ",\"counter_traps\":%" PRIu64 ",\"timer_traps\":%" PRIu64
		       ",\"max_error_ticks\":%" PRIu64 "}}\n", what,
		       k->host_counter, k->host_freq, k->guest_counter,
		       k->guest_freq, k->next_freq, k->rate_num, k->rate_den,
		       rate_of(k->rate_num, k->rate_den), k->cntvoff,
		       k->stalled_ticks, stalled, k->counter_traps,
		       k->timer_traps, k->max_error_ticks);
		return;
	}
	printf("host counter   %" PRIu64 " @ %" PRIu64 " Hz\n", k->host_counter,
	       k->host_freq);
	printf("guest counter  %" PRIu64 " @ %" PRIu64 " Hz", k->guest_counter,
	       k->guest_freq);
	if (k->next_freq)
		printf(" (next boot: %" PRIu64 " Hz)", k->next_freq);
	printf("\nrate           %" PRIu32 "/%" PRIu32 " = %.6f\n", k->rate_num,
	       k->rate_den, rate_of(k->rate_num, k->rate_den));
	printf("cntvoff        0x%016" PRIx64 "\n", k->cntvoff);
	printf("stalled        %.3f ms\n", stalled);
	printf("traps          counter %" PRIu64 ", timer %" PRIu64 "\n",
	       k->counter_traps, k->timer_traps);
	printf("max error      %" PRIu64 " ticks (%.3f us)\n",
	       k->max_error_ticks, err_us);
}

/* --- argument parsing ------------------------------------------------ */

static int parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

/* "12", "0.5", ".25": value num / scale, scale = 10^(fraction digits),
 * at most max_frac of them; *end is left at the first other character. */
static int parse_decimal(const char *s, unsigned max_frac, uint64_t *ret_num,
			 uint64_t *ret_scale, const char **end)
{
	uint64_t num = 0, scale = 1;
	int digits = 0, frac = -1;

	for (; (*s >= '0' && *s <= '9') || (*s == '.' && frac < 0); s++) {
		if (*s == '.') {
			frac = 0;
			continue;
		}
		if (num > UINT64_MAX / 100 || (frac >= 0 && ++frac > (int)max_frac))
			return -EINVAL;
		num = num * 10 + (uint64_t)(*s - '0');
		if (frac > 0)
			scale *= 10;
		digits++;
	}
	if (!digits || frac == 0)
		return -EINVAL;
	*ret_num = num;
	*ret_scale = scale;
	*end = s;
	return 0;
}

/* "0.5", "0.333333" (up to 6 decimals, exact) or "1/3", in 0.01..100. */
static int parse_rate(const char *s, uint32_t *ret_num, uint32_t *ret_den)
{
	const char *slash = strchr(s, '/'), *end;
	uint64_t num, den, g;
	char head[32];

	if (slash) {
		if ((size_t)(slash - s) >= sizeof(head))
			return usage_error("bad rate '%s'", s);
		memcpy(head, s, (size_t)(slash - s));
		head[slash - s] = '\0';
		if (parse_u64(head, &num) < 0 || parse_u64(slash + 1, &den) < 0 ||
		    !den)
			return usage_error("bad rate '%s' (expected e.g. 1/3)", s);
	} else if (parse_decimal(s, 6, &num, &den, &end) < 0 || *end) {
		return usage_error("bad rate '%s' (expected a decimal with at "
				   "most 6 fractional digits, or N/D)", s);
	}
	if (num > UINT64_MAX / 100 || den > UINT64_MAX / 100 ||
	    num * 100 < den * RATE_MIN_PCT || num > den * RATE_MAX)
		return usage_error("rate %s is outside 0.01..100", s);
	g = vp_gcd(num, den);
	num /= g;
	den /= g;
	if (num > UINT32_MAX || den > UINT32_MAX)
		return usage_error("rate %s: numerator or denominator too large",
				   s);
	*ret_num = (uint32_t)num;
	*ret_den = (uint32_t)den;
	return 0;
}

/* "1s", "250ms", "10us", "5000ns", "1.5ms": a whole number of ns. */
static int parse_duration(const char *s, uint64_t *ret_ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		      { "s", 1000000000 } };
	const char *end;
	uint64_t num, scale;
	size_t i;

	if (parse_decimal(s, 9, &num, &scale, &end) < 0)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (num > UINT64_MAX / units[i].ns ||
		    num * units[i].ns % scale)
			return -EINVAL;
		*ret_ns = num * units[i].ns / scale;
		return 0;
	}
	return -EINVAL;
}

/* Seconds, possibly with up to 3 decimals, as ms. */
static int parse_seconds(const char *s, int64_t *ret_ms)
{
	const char *end;
	uint64_t num, scale;

	if (parse_decimal(s, 3, &num, &scale, &end) < 0 || *end ||
	    num > (uint64_t)INT32_MAX)
		return -EINVAL;
	*ret_ms = (int64_t)(num * 1000 / scale);
	return 0;
}

static const struct option common_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "timeout", required_argument, NULL, 't' },
	{ "count", required_argument, NULL, 'c' },
	{ "for", required_argument, NULL, 'f' },
	{ "seed", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

/* Options common to every command (also accepted after it). */
static int common_opt(struct ctx *x, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'j':
		x->json = 1;
		return 0;
	case 't':
		if (parse_u64(arg, &v) < 0 || v > INT32_MAX)
			return usage_error("bad --timeout '%s' (ms)", arg);
		x->timeout_ms = (int)v;
		return 0;
	default:
		return usage_error("%s", "unknown option or missing argument");
	}
}

/*
 * Parses the command's options; `allowed` lists the letters of its own
 * (c, f, s). Leaves positional arguments in argv[optind..].
 */
static int parse_opts(struct ctx *x, int argc, char **argv,
		      const char *allowed, const char **vals)
{
	int opt, r;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", common_opts, NULL)) != -1) {
		if (opt != '?' && strchr(allowed, opt)) {
			vals[strchr(allowed, opt) - allowed] = optarg;
			continue;
		}
		r = common_opt(x, opt == 'j' || opt == 't' ? opt : '?', optarg);
		if (r)
			return r;
	}
	return 0;
}

static int nargs(int argc, int want)
{
	if (argc - optind != want)
		return usage_error("%s", argc - optind < want ?
				   "missing argument" : "too many arguments");
	return 0;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- commands -------------------------------------------------------- */

/* Parses options, checks the argument count and connects. */
static int prologue(struct ctx *x, int argc, char **argv, int want,
		    const char *allowed, const char **vals)
{
	int r = parse_opts(x, argc, argv, allowed, vals);

	if (!r)
		r = nargs(argc, want);
	if (!r)
		r = open_channel(x);
	return r;
}

static int cmd_hello(struct ctx *x, int argc, char **argv)
{
	struct vp_hello_reply h;
	int r = prologue(x, argc, argv, 0, "", NULL);

	if (r)
		return r;
	r = mgmt_hello(x->c, &h);
	if (r < 0)
		return fail(x, r);
	if (x->json)
		printf("{\"protocol\":%u,\"hv_version\":\"%u.%u.%u\"}\n",
		       h.version, (h.hv_version >> 16) & 0xff,
		       (h.hv_version >> 8) & 0xff, h.hv_version & 0xff);
	else
		printf("protocol %u, verge-hv %u.%u.%u\n", h.version,
		       (h.hv_version >> 16) & 0xff, (h.hv_version >> 8) & 0xff,
		       h.hv_version & 0xff);
	return 0;
}

static int cmd_ping(struct ctx *x, int argc, char **argv)
{
	char msg[64];
	struct vp_frame f;
	int64_t t0;
	int n, r = prologue(x, argc, argv, 0, "", NULL);

	if (r)
		return r;
	n = snprintf(msg, sizeof(msg), "verge-mgmt ping %" PRId64, now_us());
	t0 = now_us();
	r = mgmt_request(x->c, VP_PING, msg, (uint32_t)n, x->timeout_ms, &f);
	if (r < 0)
		return fail(x, r);
	if (f.hdr.len != (uint32_t)n || memcmp(f.payload, msg, (size_t)n)) {
		fprintf(stderr, "verge-mgmt: PING reply does not echo the "
			"payload (%u bytes back, %d sent)\n", f.hdr.len, n);
		return EXIT_ERROR;
	}
	if (x->json)
		printf("{\"ping_us\":%" PRId64 ",\"bytes\":%d}\n",
		       now_us() - t0, n);
	else
		printf("pong: %d bytes echoed in %" PRId64 " us\n", n,
		       now_us() - t0);
	return 0;
}

static int cmd_clock(struct ctx *x, int argc, char **argv)
{
	struct vp_clock k;
	int r = prologue(x, argc, argv, 0, "", NULL);

	if (r)
		return r;
	r = mgmt_clock_get(x->c, &k);
	if (r < 0)
		return fail(x, r);
	print_clock(x, "clock", &k);
	return 0;
}

static int cmd_set_rate(struct ctx *x, int argc, char **argv)
{
	struct vp_clock k;
	uint32_t num = 0, den = 0;
	int r = parse_opts(x, argc, argv, "", NULL);

	if (!r)
		r = nargs(argc, 1);
	if (!r)
		r = parse_rate(argv[optind], &num, &den);
	if (!r)
		r = open_channel(x);
	if (r)
		return r;
	r = mgmt_set_rate(x->c, num, den, &k);
	if (r < 0)
		return fail(x, r);
	print_clock(x, "clock", &k);
	return 0;
}

static int cmd_step(struct ctx *x, int argc, char **argv)
{
	struct vp_clock k;
	uint64_t ns = 0;
	int r = parse_opts(x, argc, argv, "", NULL);

	if (!r)
		r = nargs(argc, 1);
	if (!r && (parse_duration(argv[optind], &ns) < 0 || !ns ||
		   ns > STEP_MAX_NS))
		r = usage_error("bad duration '%s' (expected e.g. 1s, 250ms, "
				"10us, 5000ns; > 0 and <= 1 day)", argv[optind]);
	if (!r)
		r = open_channel(x);
	if (r)
		return r;
	r = mgmt_step(x->c, ns, &k);
	if (r < 0)
		return fail(x, r);
	print_clock(x, "clock", &k);
	return 0;
}

static int cmd_set_freq(struct ctx *x, int argc, char **argv)
{
	struct vp_clock k;
	uint64_t hz = 0;
	int r = parse_opts(x, argc, argv, "", NULL);

	if (!r)
		r = nargs(argc, 1);
	if (!r && (parse_u64(argv[optind], &hz) < 0 || !hz))
		r = usage_error("bad frequency '%s' (Hz)", argv[optind]);
	if (!r)
		r = open_channel(x);
	if (r)
		return r;
	r = mgmt_set_freq(x->c, hz, &k);
	if (r < 0)
		return fail(x, r);
	print_clock(x, "clock", &k);
	return 0;
}

static const char *const exit_names[10] = {
	"irq", "sgi", "tick", "maint", "hvc", "smc", "sysreg", "dabt", "iabt",
	"other",
};

static int cmd_stats(struct ctx *x, int argc, char **argv)
{
	struct vp_stats s;
	int i, r = prologue(x, argc, argv, 0, "", NULL);

	if (r)
		return r;
	r = mgmt_stats(x->c, &s);
	if (r < 0)
		return fail(x, r);
	if (x->json) {
		printf("{\"stats\":{\"exits_total\":%" PRIu64 ",\"exits\":{",
		       s.exits_total);
		for (i = 0; i < 10; i++)
			printf("%s\"%s\":%" PRIu64, i ? "," : "", exit_names[i],
			       s.exits[i]);
		printf("},\"rx_frames\":%" PRIu64 ",\"rx_bad_frames\":%" PRIu64
		       ",\"rx_dropped_bytes\":%" PRIu64 ",\"tx_frames\":%" PRIu64
		       ",\"tx_dropped\":%" PRIu64 "}}\n", s.rx_frames,
		       s.rx_bad_frames, s.rx_dropped_bytes, s.tx_frames,
		       s.tx_dropped);
		return 0;
	}
	printf("exits          %" PRIu64 "\n", s.exits_total);
	for (i = 0; i < 10; i++)
		printf("  %-12s %" PRIu64 "\n", exit_names[i], s.exits[i]);
	printf("rx frames      %" PRIu64 " (bad %" PRIu64 ", dropped bytes %"
	       PRIu64 ")\n", s.rx_frames, s.rx_bad_frames, s.rx_dropped_bytes);
	printf("tx frames      %" PRIu64 " (dropped %" PRIu64 ")\n",
	       s.tx_frames, s.tx_dropped);
	return 0;
}

static const char *boot_stage_name(uint32_t v)
{
	return v == VP_BOOT_HV_UP ? "hv-up" :
	       v == VP_BOOT_GUEST_ENTERED ? "guest-entered" : "unknown";
}

static const char *power_name(uint32_t v)
{
	static const char *const names[] = {
		[VP_POWER_OFF] = "off", [VP_POWER_RESET] = "reset",
		[VP_POWER_CPU_ON] = "cpu-on", [VP_POWER_CPU_OFF] = "cpu-off",
	};

	return v < sizeof(names) / sizeof(names[0]) && names[v] ? names[v] :
								   "unknown";
}

/* EV_WATCHDOG: the boot guard (docs/bootguard.md). */
static void print_watchdog_event(const struct ctx *x, const struct vp_frame *f)
{
	static const char *const whats[] = {
		[VP_WDT_STAGE] = "stage", [VP_WDT_WS0] = "ws0",
		[VP_WDT_EXPIRED] = "expired",
	};
	static const char *const stages[] = {
		[VP_WDT_POWER_ON] = "power-on",
		[VP_WDT_OS_LOADING] = "os-loading",
		[VP_WDT_HANDED_OFF] = "handed-off",
	};
	struct vp_ev_watchdog w;
	const char *what, *stage;

	memcpy(&w, f->payload, sizeof(w));
	what = w.what < 4 && whats[w.what] ? whats[w.what] : "unknown";
	stage = w.stage < 4 && stages[w.stage] ? stages[w.stage] : "unknown";
	if (x->json)
		printf("{\"event\":\"EV_WATCHDOG\",\"what\":\"%s\",\"stage\":\"%s\",\"enabled\":%s,\"timeout_ms\":%u}\n",
		       what, stage, w.enabled ? "true" : "false", w.timeout_ms);
	else
		printf("watchdog: %s, stage %s, %s, timeout %u ms\n", what,
		       stage, w.enabled ? "on" : "off", w.timeout_ms);
}

/* EV_RPCI, EV_TCLO_REPLY: one text from the guest's tools. */
static void print_text_event(const struct ctx *x, const struct vp_frame *f,
			     const char *field)
{
	char text[VP_MAX_PAYLOAD + 1];

	safe_text(text, sizeof(text), f->payload, f->hdr.len);
	if (x->json) {
		printf("{\"event\":\"%s\",\"%s\":", vp_type_name(f->hdr.type),
		       field);
		json_str(text);
		printf("}\n");
	} else {
		printf("%s: %s\n", f->hdr.type == VP_EV_RPCI ? "rpci" :
		       "tclo reply", text);
	}
}

/* EV_GUESTINFO: "key\0value"; a payload without the NUL is shown whole
 * as the key. */
static void print_guestinfo_event(const struct ctx *x,
				  const struct vp_frame *f)
{
	char key[VP_MAX_PAYLOAD + 1], value[VP_MAX_PAYLOAD + 1];
	const uint8_t *nul = memchr(f->payload, 0, f->hdr.len);
	uint32_t klen = nul ? (uint32_t)(nul - f->payload) : f->hdr.len;

	safe_text(key, sizeof(key), f->payload, klen);
	safe_text(value, sizeof(value), f->payload + klen + (nul ? 1 : 0),
		  f->hdr.len - klen - (nul ? 1 : 0));
	if (x->json) {
		printf("{\"event\":\"%s\",\"key\":", vp_type_name(f->hdr.type));
		json_str(key);
		printf(",\"value\":");
		json_str(value);
		printf("}\n");
	} else {
		printf("guestinfo: %s = %s\n", key, value);
	}
}

/* Lengths were checked by the client (vp_payload_size). */
static void print_event(const struct ctx *x, const struct vp_frame *f)
{
	const char *name = vp_type_name(f->hdr.type);
	struct vp_ev_boot b;
	struct vp_ev_power p;
	struct vp_clock k;
	char text[VP_MAX_PAYLOAD + 1];

	switch (f->hdr.type) {
	case VP_EV_BOOT:
		memcpy(&b, f->payload, sizeof(b));
		if (x->json)
			printf("{\"event\":\"%s\",\"stage\":\"%s\",\"cpu\":%u,\"seq\":%u}\n",
			       name, boot_stage_name(b.stage), b.cpu,
			       f->hdr.seq);
		else
			printf("boot: %s (stage %u), cpu %u, seq %u\n",
			       boot_stage_name(b.stage), b.stage, b.cpu,
			       f->hdr.seq);
		break;
	case VP_EV_POWER:
		memcpy(&p, f->payload, sizeof(p));
		if (x->json)
			printf("{\"event\":\"%s\",\"what\":\"%s\",\"cpu\":%u,\"seq\":%u}\n",
			       name, power_name(p.what), p.cpu, f->hdr.seq);
		else
			printf("power: %s (%u), cpu %u, seq %u\n",
			       power_name(p.what), p.what, p.cpu, f->hdr.seq);
		break;
	case VP_EV_CLOCK:
		memcpy(&k, f->payload, sizeof(k));
		if (!x->json)
			printf("clock changed:\n");
		print_clock(x, "EV_CLOCK", &k);
		break;
	case VP_EV_RPCI:
	case VP_EV_TCLO_REPLY:
		print_text_event(x, f, "text");
		break;
	case VP_EV_GUESTINFO:
		print_guestinfo_event(x, f);
		break;
	case VP_EV_WATCHDOG:
		print_watchdog_event(x, f);
		break;
	case VP_EV_PANIC:
		safe_text(text, sizeof(text), f->payload, f->hdr.len);
		if (x->json) {
			printf("{\"event\":\"%s\",\"text\":", name);
			json_str(text);
			printf("}\n");
		} else {
			printf("panic: %s\n", text);
		}
		break;
	default:
		if (x->json)
			printf("{\"event\":\"%s\",\"type\":%u,\"len\":%u}\n",
			       name, f->hdr.type, f->hdr.len);
		else
			printf("event %s (0x%02x), %u bytes\n", name,
			       f->hdr.type, f->hdr.len);
	}
	fflush(stdout);
}

static int cmd_events(struct ctx *x, int argc, char **argv)
{
	const char *vals[2] = { NULL, NULL };
	uint64_t count = 0, seen = 0;
	int64_t for_ms = -1, deadline = -1, left;
	struct vp_frame f;
	int r = parse_opts(x, argc, argv, "cf", vals);

	if (!r && vals[0] && (parse_u64(vals[0], &count) < 0 || !count))
		r = usage_error("bad --count '%s'", vals[0]);
	if (!r && vals[1] && parse_seconds(vals[1], &for_ms) < 0)
		r = usage_error("bad --for '%s' (seconds)", vals[1]);
	if (!r)
		r = nargs(argc, 0);
	if (!r)
		r = open_channel(x);
	if (r)
		return r;
	if (for_ms >= 0)
		deadline = now_us() / 1000 + for_ms;
	while (!count || seen < count) {
		left = deadline < 0 ? -1 : deadline - now_us() / 1000;
		if (deadline >= 0 && left <= 0)
			break;
		r = mgmt_wait_event(x->c, 0, (int)left, &f);
		if (r == -ETIMEDOUT && deadline >= 0)
			break;
		if (r < 0)
			return fail(x, r);
		print_event(x, &f);
		seen++;
	}
	return 0;
}

/* A request whose reply is empty: prints "ok" (or {"ok":true}). */
static int empty_request(struct ctx *x, uint8_t type, const void *payload,
			 uint32_t len)
{
	struct vp_frame f;
	int r = mgmt_request(x->c, type, payload, len, x->timeout_ms, &f);

	if (r < 0)
		return fail(x, r);
	printf(x->json ? "{\"ok\":true}\n" : "ok\n");
	return 0;
}

static int cmd_guestinfo_set(struct ctx *x, int argc, char **argv)
{
	char buf[VP_MAX_PAYLOAD];
	size_t kl, vl;
	int r = parse_opts(x, argc, argv, "", NULL);

	if (!r)
		r = nargs(argc, 2);
	if (r)
		return r;
	kl = strlen(argv[optind]);
	vl = strlen(argv[optind + 1]);
	if (kl + 1 + vl > sizeof(buf))
		return usage_error("%s", "key and value too long (max 1023 bytes with the NUL between)");
	memcpy(buf, argv[optind], kl + 1);
	memcpy(buf + kl + 1, argv[optind + 1], vl);
	r = open_channel(x);
	return r ? r : empty_request(x, VP_GUESTINFO_SET, buf,
				     (uint32_t)(kl + 1 + vl));
}

static int cmd_tclo(struct ctx *x, int argc, char **argv)
{
	size_t n;
	int r = parse_opts(x, argc, argv, "", NULL);

	if (!r)
		r = nargs(argc, 1);
	if (r)
		return r;
	n = strlen(argv[optind]);
	if (!n || n > VP_MAX_PAYLOAD)
		return usage_error("%s", "TCLO command must be 1-1024 bytes");
	r = open_channel(x);
	return r ? r : empty_request(x, VP_TCLO_PUSH, argv[optind],
				     (uint32_t)n);
}

static int cmd_host_time(struct ctx *x, int argc, char **argv)
{
	struct vp_host_time t;
	struct timespec ts;
	uint64_t ns = 0;
	int r = parse_opts(x, argc, argv, "", NULL);

	if (!r && argc - optind > 1)
		r = usage_error("%s", "too many arguments");
	if (!r && argc - optind == 1 && parse_u64(argv[optind], &ns) < 0)
		r = usage_error("bad time '%s' (ns since the epoch)",
				argv[optind]);
	if (r)
		return r;
	if (argc - optind == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	t.unix_ns = ns;
	r = open_channel(x);
	return r ? r : empty_request(x, VP_HOST_TIME_SET, &t, sizeof(t));
}

static int cmd_rate_check(struct ctx *x, int argc, char **argv)
{
	struct vp_clock a, b;
	int64_t ms = 0;
	double dg, dp, rate, want;
	int r = parse_opts(x, argc, argv, "", NULL);

	if (!r)
		r = nargs(argc, 1);
	if (!r && (parse_seconds(argv[optind], &ms) < 0 || !ms))
		r = usage_error("bad interval '%s' (seconds)", argv[optind]);
	if (!r)
		r = open_channel(x);
	if (r)
		return r;
	r = mgmt_clock_get(x->c, &a);
	if (r >= 0) {
		sleep_ms(ms);
		r = mgmt_clock_get(x->c, &b);
	}
	if (r < 0)
		return fail(x, r);
	if (b.host_counter <= a.host_counter || !b.host_freq || !b.guest_freq) {
		fprintf(stderr, "verge-mgmt: host counter did not advance\n");
		return EXIT_ERROR;
	}
	dg = (double)(b.guest_counter - a.guest_counter) / (double)b.guest_freq;
	dp = (double)(b.host_counter - a.host_counter) / (double)b.host_freq;
	rate = dg / dp;
	want = rate_of(b.rate_num, b.rate_den);
	if (x->json)
		printf("{\"rate\":%.9f,\"host_s\":%.6f,\"guest_s\":%.6f,"
		       "\"rate_num\":%u,\"rate_den\":%u,\"error_ppm\":%.1f}\n",
		       rate, dp, dg, b.rate_num, b.rate_den,
		       want ? (rate / want - 1) * 1e6 : 0.0);
	else
		printf("measured %.6f guest s per host s over %.3f host s "
		       "(set %u/%u = %.6f, error %.1f ppm)\n", rate, dp,
		       b.rate_num, b.rate_den, want,
		       want ? (rate / want - 1) * 1e6 : 0.0);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmd_latency(struct ctx *x, int argc, char **argv)
{
	struct vp_clock k;
	uint64_t n = 0, i;
	int64_t *us, t0;
	int r = parse_opts(x, argc, argv, "", NULL);

	if (!r)
		r = nargs(argc, 1);
	if (!r && (parse_u64(argv[optind], &n) < 0 || !n || n > 10000000))
		r = usage_error("bad count '%s'", argv[optind]);
	if (!r)
		r = open_channel(x);
	if (r)
		return r;
	r = mgmt_clock_get(x->c, &k);
	if (r < 0)
		return fail(x, r);
	us = calloc(n, sizeof(*us));
	if (!us)
		return fail(x, -ENOMEM);
	/* Sets the current rate again each time: the clock does not move. */
	for (i = 0; i < n && r >= 0; i++) {
		t0 = now_us();
		r = mgmt_set_rate(x->c, k.rate_num, k.rate_den, &k);
		us[i] = now_us() - t0;
	}
	if (r < 0) {
		free(us);
		return fail(x, r);
	}
	qsort(us, n, sizeof(*us), cmp_i64);
	if (x->json)
		printf("{\"count\":%" PRIu64 ",\"p50_us\":%" PRId64 ",\"p99_us\":%"
		       PRId64 ",\"max_us\":%" PRId64 "}\n", n, us[(n - 1) / 2],
		       us[(n - 1) * 99 / 100], us[n - 1]);
	else
		printf("%" PRIu64 " set-rate round trips: p50 %" PRId64 " us, "
		       "p99 %" PRId64 " us, max %" PRId64 " us\n", n,
		       us[(n - 1) / 2], us[(n - 1) * 99 / 100], us[n - 1]);
	free(us);
	return 0;
}

/* --- fuzz ------------------------------------------------------------ */

struct fuzz_count {
	uint64_t errors, by_code[8], events;
};

static void fuzz_cb(const struct vp_frame *f, void *userdata)
{
	struct fuzz_count *n = userdata;
	int32_t code;

	if (f->hdr.flags & VP_F_EVENT) {
		n->events++;
		return;
	}
	if (!(f->hdr.flags & VP_F_ERROR))
		return;
	memcpy(&code, f->payload, sizeof(code));
	n->errors++;
	n->by_code[code > 0 && code < 8 ? code : 0]++;
}

static uint64_t rng_state;

static uint32_t rnd(uint32_t bound)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)((rng_state >> 16) % bound);
}

static const uint8_t fixed_types[] = {
	VP_HELLO, VP_CLOCK_GET, VP_CLOCK_SET_RATE, VP_CLOCK_STEP,
	VP_CLOCK_SET_FREQ, VP_STATS_GET,
};

/*
 * One bad frame into buf; *expect_error set when it is a well-formed frame
 * the hypervisor must answer with an error. Never a valid request: the
 * fuzzer must not change the clock.
 */
static size_t fuzz_frame(uint8_t *buf, size_t cap, uint32_t seq,
			 int *expect_error)
{
	uint8_t payload[VP_MAX_PAYLOAD];
	uint32_t i, len = rnd(4) ? rnd(64) : rnd(VP_MAX_PAYLOAD + 1), big;
	uint8_t type;
	int want;
	size_t n;

	for (i = 0; i < len; i++)
		payload[i] = (uint8_t)rnd(256);
	*expect_error = 0;
	n = vp_encode(buf, cap, VP_PING, 0, seq, payload, len);
	switch (rnd(8)) {
	case 0: /* random bytes */
		n = rnd(64) + 1;
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd(256);
		break;
	case 1: /* flipped bits: a burst the CRC always catches */
		buf[rnd((uint32_t)n)] ^= (uint8_t)(rnd(255) + 1);
		break;
	case 2: /* wrong CRC */
		buf[n - 1 - rnd(4)] ^= (uint8_t)(rnd(255) + 1);
		break;
	case 3: /* oversize len */
		big = VP_MAX_PAYLOAD + 1 + rnd(1u << 30);
		memcpy(buf + 12, &big, sizeof(big));
		break;
	case 4: /* truncated */
		n = rnd((uint32_t)n - VP_CRC_SIZE);
		break;
	case 5: /* unknown type */
		do
			type = (uint8_t)rnd(256);
		while (strcmp(vp_type_name(type), "UNKNOWN"));
		n = vp_encode(buf, cap, type, 0, seq, payload, len);
		*expect_error = 1;
		break;
	case 6: /* wrong payload size for the type */
		type = fixed_types[rnd(sizeof(fixed_types))];
		want = vp_payload_size(type, 0);
		if ((int)len == want)
			len++;
		n = vp_encode(buf, cap, type, 0, seq, payload, len);
		*expect_error = 1;
		break;
	default: /* bad version */
		buf[4] = (uint8_t)(VP_VERSION + 1 + rnd(250));
		break;
	}
	return n;
}

static int cmd_fuzz(struct ctx *x, int argc, char **argv)
{
	const char *vals[1] = { NULL };
	static uint8_t buf[VP_MAX_FRAME], zeros[VP_MAX_FRAME];
	struct fuzz_count cnt = { 0 };
	struct vp_stats s0, s1;
	struct vp_frame f;
	uint64_t n = 0, seed = 1, i, bytes = 0, expected = 0;
	int r, expect, have_stats, tries;
	size_t len;

	r = parse_opts(x, argc, argv, "s", vals);
	if (!r)
		r = nargs(argc, 1);
	if (!r && (parse_u64(argv[optind], &n) < 0 || !n))
		r = usage_error("bad count '%s'", argv[optind]);
	if (!r && vals[0] && parse_u64(vals[0], &seed) < 0)
		r = usage_error("bad --seed '%s'", vals[0]);
	if (!r)
		r = open_channel(x);
	if (r)
		return r;
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	mgmt_set_event_cb(x->c, fuzz_cb, &cnt);
	have_stats = mgmt_stats(x->c, &s0) == 0;
	for (i = 0; i < n; i++) {
		/* Sequence numbers of our own requests stay far below. */
		len = fuzz_frame(buf, sizeof(buf), 0x80000000u | (uint32_t)i,
				 &expect);
		expected += (uint64_t)expect;
		r = mgmt_send_raw(x->c, buf, len);
		if (r >= 0)
			r = mgmt_poll(x->c, 0);
		if (r < 0)
			return fail(x, r);
		bytes += len;
	}
	/* VP_MAX_FRAME bytes without a magic complete or reject any frame
	 * left pending, so the PING that follows is seen. */
	for (tries = 0; tries < 3; tries++) {
		r = mgmt_send_raw(x->c, zeros, sizeof(zeros));
		if (r >= 0)
			r = mgmt_request(x->c, VP_PING, "fuzz", 4,
					 x->timeout_ms, &f);
		if (r != -ETIMEDOUT)
			break;
	}
	if (r < 0)
		return fail(x, r);
	mgmt_poll(x->c, 100);
	have_stats = have_stats && mgmt_stats(x->c, &s1) == 0;
	if (x->json) {
		printf("{\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seed\":%"
		       PRIu64 ",\"error_replies\":%" PRIu64 ",\"expected_min\":%"
		       PRIu64 ",\"bad_frame\":%" PRIu64 ",\"unknown_type\":%"
		       PRIu64 ",\"bad_length\":%" PRIu64, n, bytes, seed,
		       cnt.errors, expected, cnt.by_code[VP_E_BAD_FRAME],
		       cnt.by_code[VP_E_UNKNOWN_TYPE],
		       cnt.by_code[VP_E_BAD_LENGTH]);
		if (have_stats)
			printf(",\"rx_bad_frames\":%" PRIu64
			       ",\"rx_dropped_bytes\":%" PRIu64,
			       s1.rx_bad_frames - s0.rx_bad_frames,
			       s1.rx_dropped_bytes - s0.rx_dropped_bytes);
		printf(",\"ping_tries\":%d,\"alive\":true}\n", tries + 1);
		return 0;
	}
	printf("fuzz: %" PRIu64 " frames, %" PRIu64 " bytes, seed %" PRIu64
	       "\n", n, bytes, seed);
	printf("error replies  %" PRIu64 " (BAD_FRAME %" PRIu64
	       ", UNKNOWN_TYPE %" PRIu64 ", BAD_LENGTH %" PRIu64 ", other %"
	       PRIu64 "); %" PRIu64 " well-formed bad requests sent\n",
	       cnt.errors, cnt.by_code[VP_E_BAD_FRAME],
	       cnt.by_code[VP_E_UNKNOWN_TYPE], cnt.by_code[VP_E_BAD_LENGTH],
	       cnt.errors - cnt.by_code[VP_E_BAD_FRAME] -
	       cnt.by_code[VP_E_UNKNOWN_TYPE] - cnt.by_code[VP_E_BAD_LENGTH],
	       expected);
	if (have_stats)
		printf("hypervisor     rx bad frames +%" PRIu64
		       ", dropped bytes +%" PRIu64 "\n",
		       s1.rx_bad_frames - s0.rx_bad_frames,
		       s1.rx_dropped_bytes - s0.rx_dropped_bytes);
	printf("channel alive  PING answered (attempt %d)\n", tries + 1);
	return 0;
}

/* --- main ------------------------------------------------------------ */

static const struct cmd cmds[] = {
	{ "hello", cmd_hello, "", "negotiate the protocol version" },
	{ "ping", cmd_ping, "", "echo a payload, print the round trip" },
	{ "clock", cmd_clock, "", "print counters, rate, offsets, traps" },
	{ "set-rate", cmd_set_rate, "R",
	  "guest s per host s: 0.5, 0.333333, 1/3 (0.01..100)" },
	{ "step", cmd_step, "DURATION",
	  "move the guest clock forward: 1s, 250ms, 10us, 5000ns" },
	{ "set-freq", cmd_set_freq, "HZ", "counter frequency from next boot" },
	{ "stats", cmd_stats, "", "exit and channel counters" },
	{ "guestinfo-set", cmd_guestinfo_set, "KEY VALUE",
	  "set guestinfo.KEY for the guest (empty VALUE deletes)" },
	{ "tclo", cmd_tclo, "TEXT", "queue a TCLO command for the guest" },
	{ "host-time", cmd_host_time, "[UNIX_NS]",
	  "anchor the backdoor's host time (default: now)" },
	{ "events", cmd_events, "[--count N] [--for SECONDS]",
	  "print events as they come" },
	{ "rate-check", cmd_rate_check, "SECONDS",
	  "measure guest s per host s over SECONDS" },
	{ "latency", cmd_latency, "N", "N set-rate round trips: p50, p99" },
	{ "fuzz", cmd_fuzz, "N [--seed S]",
	  "send N bad frames, then check PING is answered" },
};

static void usage(FILE *out)
{
	size_t i;
	char head[64];

	fprintf(out, "usage: verge-mgmt [--timeout MS] [--json] SOCKET COMMAND "
		"[ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(head, sizeof(head), "%s %s", cmds[i].name, cmds[i].args);
		fprintf(out, "  %-40s %s\n", head, cmds[i].help);
	}
	fprintf(out, "\noptions:\n"
		"  --timeout MS  connect and reply timeout (default %d)\n"
		"  --json        one JSON object per line\n"
		"\nexit status: 0 success, 1 error reply or timeout, "
		"2 usage error\n", MGMT_DEFAULT_TIMEOUT_MS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx x = { .timeout_ms = MGMT_DEFAULT_TIMEOUT_MS };
	size_t i;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == '?') {
			usage(stderr);
			return EXIT_USAGE;
		}
		r = common_opt(&x, opt, optarg);
		if (r)
			return r;
	}
	if (argc - optind < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	x.sock = argv[optind];
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, argv[optind + 1]))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "verge-mgmt: unknown command '%s'\n",
			argv[optind + 1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	cur_cmd = &cmds[i];
	r = cmds[i].fn(&x, argc - optind - 1, argv + optind + 1);
	mgmt_close(x.c);
	return r;
}
