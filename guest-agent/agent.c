// SPDX-License-Identifier: Apache-2.0
/* The agent's service loop (see agent.h, docs/guest-agent.md).
 *
 * One thread, no event library: the loop sleeps in poll() until the
 * earliest of the next report and the next TCLO poll, or until the
 * doorbell rings (doorbell.h: verge-hv queued a host command) or a
 * watcher sees a change to report.
 *
 * With the doorbell, TCLO is drained when it rings and otherwise polled
 * only every --doorbell-poll seconds, as a fallback. Without it, polls
 * back off exponentially while the host has nothing to say (10 ms
 * doubling up to poll_max_ms), and restart at 10 ms after a command.
 * Failed backdoor operations back off separately (100 ms doubling up to
 * 30 s), so a broken channel never makes the loop spin. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "backoff.h"
#include "detect.h"
#include "doorbell.h"
#include "json.h"
#include "netinfo.h"
#include "rpc.h"
#include "tclo.h"
#include "timesync.h"
#include "wdog.h"

#define NS 1000000000LL
#define POLL_MIN_MS 10
#define ERR_MIN_MS 100
#define ERR_MAX_MS 30000

struct state {
	char hostname[65];
	char kernel[65];
	struct netinfo net;		/* interfaces and addresses */
	const char *verdict;
	int64_t real_minus_mono;	/* moves when the clock is set */
};

/* A realtime clock set by this much (either way) is reported at once. */
#define CLOCK_JUMP_NS 100000000LL

struct agent {
	const struct agent_opts *o;
	struct state sent;		/* what the last report said */
	uint64_t seq;
	bool hello_done;
	int64_t next_report;		/* monotonic ns */
	int64_t next_poll;
	struct backoff poll;
	struct backoff err_report;	/* failed hello/report */
	struct backoff err_poll;	/* failed TCLO poll */
	struct tclo tclo;
	struct detect det;		/* the latest detection */
	int bell;			/* the doorbell's fd, or -1 */
	struct watch watch;
	bool watched;			/* every watcher works */
	uint64_t rings;			/* doorbell events seen */
	/* Any message the hypervisor can carry, so no command is ever too
	 * long to take (one refused would be offered again forever). */
	char cmd[RPC_MAX_REPLY];
	char out[1024];		/* an answer: one relayed frame at most */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("verge-guest-agent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void state_now(struct agent *a, struct state *s)
{
	struct utsname u;

	memset(s, 0, sizeof(*s));
	if (gethostname(s->hostname, sizeof(s->hostname) - 1))
		s->hostname[0] = '\0';
	if (uname(&u) == 0)
		snprintf(s->kernel, sizeof(s->kernel), "%s", u.release);
	s->verdict = a->det.answer.name;
	netinfo_read(&s->net);		/* none on error: reported so */
	s->real_minus_mono = clock_ns(CLOCK_REALTIME) -
			     clock_ns(CLOCK_MONOTONIC);
}

static bool state_changed(const struct state *x, const struct state *y)
{
	int64_t jump = x->real_minus_mono - y->real_minus_mono;

	return strcmp(x->hostname, y->hostname) ||
	       strcmp(x->kernel, y->kernel) || x->verdict != y->verdict ||
	       memcmp(&x->net, &y->net, sizeof(x->net)) ||
	       jump >= CLOCK_JUMP_NS || jump <= -CLOCK_JUMP_NS;
}

static const char *channel(const struct agent *a)
{
	return a->bell >= 0 ? "doorbell" : "poll";
}

static int report_json_with(struct agent *a, const struct state *s,
			    const struct netinfo *net, char *buf, size_t cap,
			    uint64_t seq)
{
	struct json j;

	json_init(&j, buf, cap);
	json_obj_open(&j, NULL);
	json_uint(&j, "seq", seq);
	json_str(&j, "agent_version", AGENT_VERSION);
	json_str(&j, "hostname", s->hostname);
	json_str(&j, "kernel", s->kernel);
	json_num(&j, "uptime_s", clock_ns(CLOCK_BOOTTIME) / 1e9, 3);
	json_int(&j, "mono_ns", clock_ns(CLOCK_MONOTONIC));
	json_int(&j, "real_ns", clock_ns(CLOCK_REALTIME));
	json_str(&j, "detect", s->verdict);
	json_str(&j, "channel", channel(a));
	if (a->det.answer.have_confidence)
		json_num(&j, "confidence", a->det.answer.confidence, 4);
	netinfo_json(net, &j);
	json_obj_close(&j);
	return json_end(&j);
}

/* The report object (docs/jsonrpc.md): length or -ENOSPC. Interfaces
 * that do not fit are left out, the last first. */
static int report_json(struct agent *a, const struct state *s, char *buf,
		       size_t cap, uint64_t seq)
{
	struct netinfo net = s->net;
	int len;

	do {
		len = report_json_with(a, s, &net, buf, cap, seq);
	} while (len == -ENOSPC && net.nifs-- > 0);
	return len;
}

/* Sends "<prefix> <json>" over RPCI. */
static int send_rpci(struct agent *a, const char *prefix, const char *json)
{
	char req[RPC_MAX_REPLY], reply[256];
	size_t n;
	int len, err;

	len = snprintf(req, sizeof(req), "%s %s", prefix, json);
	if (len < 0 || (size_t)len >= sizeof(req))
		return -EMSGSIZE;
	err = rpci_call(req, (size_t)len, reply, sizeof(reply), &n,
			a->o->allow_hb);
	if (a->o->verbose || (err && err != -EREMOTEIO))
		logmsg("%s: %s%s%s", prefix, rpc_strerror(err),
		       n && !err ? ": " : "", n && !err ? reply : "");
	return err;
}

static int send_hello(struct agent *a)
{
	char buf[REPORT_MAX + 1], text[40];
	uint8_t uuid[16];
	struct state s;
	struct json j;
	int len, err;

	state_now(a, &s);
	json_init(&j, buf, sizeof(buf));
	json_obj_open(&j, NULL);
	json_str(&j, "agent_version", AGENT_VERSION);
#if defined(__aarch64__)
	json_str(&j, "arch", "aarch64");
#else
	json_str(&j, "arch", "x86_64");
#endif
	json_int(&j, "pid", getpid());
	json_str(&j, "hostname", s.hostname);
	json_str(&j, "kernel", s.kernel);
	json_uint(&j, "backdoor_version", a->det.bd.version);
	if (bd_getuuid(uuid) == 0) {
		bd_uuid_str(uuid, text, sizeof(text));
		json_str(&j, "uuid", text);
	}
	json_str(&j, "detect", s.verdict);
	json_str(&j, "channel", channel(a));
	json_obj_close(&j);
	len = json_end(&j);
	if (len < 0)
		return len;
	err = send_rpci(a, "verge.hello", buf);
	/* "0 " from the host still means it got the hello. */
	return err == -EREMOTEIO ? 0 : err;
}

static int send_report(struct agent *a)
{
	char buf[REPORT_MAX + 1];
	struct state s;
	int len, err;

	state_now(a, &s);
	len = report_json(a, &s, buf, sizeof(buf), a->seq + 1);
	if (len < 0)
		return len;
	err = send_rpci(a, "verge.report", buf);
	/* "0 " from the host still means it got the report. */
	if (err && err != -EREMOTEIO)
		return err;
	a->seq++;
	a->sent = s;
	return 0;
}

/* --- TCLO commands --------------------------------------------------- */

typedef int (*tclo_fn)(struct agent *a, const struct tclo_req *r,
		       struct json *j);

static int do_ping(struct agent *a, const struct tclo_req *r, struct json *j)
{
	(void)a;
	(void)r;
	json_obj_open(j, NULL);
	json_int(j, "mono_ns", clock_ns(CLOCK_MONOTONIC));
	json_int(j, "real_ns", clock_ns(CLOCK_REALTIME));
	json_obj_close(j);
	return 0;
}

static int do_detect(struct agent *a, const struct tclo_req *r,
		     struct json *j)
{
	(void)r;
	detect_run(&a->det, a->o->trials);
	detect_json(&a->det, j, NULL, false);
	return 0;
}

static int do_timesync(struct agent *a, const struct tclo_req *r,
		       struct json *j)
{
	struct ts_result t;
	int err;

	(void)a;
	(void)r;
	err = timesync_once(&t);
	if (err)
		return err;
	json_obj_open(j, NULL);
	json_str(j, "action", timesync_action_name(t.action));
	json_int(j, "offset_ns", t.offset_ns);
	json_int(j, "after_ns", t.after_ns);
	json_int(j, "slew_pending_ns", t.slew_pending_ns);
	json_uint(j, "host_ns", t.host_ns);
	json_obj_close(j);
	return 0;
}

static int do_report(struct agent *a, const struct tclo_req *r,
		     struct json *j)
{
	int err;

	(void)r;
	err = send_report(a);
	if (err)
		return err;
	json_obj_open(j, NULL);
	json_uint(j, "seq", a->seq);
	json_obj_close(j);
	return 0;
}

static int do_guestinfo(struct agent *a, const struct tclo_req *r,
			struct json *j)
{
	char req[32 + TCLO_KEY_MAX], val[RPC_MAX_REPLY];
	size_t n = 0;
	int len, err;

	len = snprintf(req, sizeof(req), "info-get guestinfo.%s", r->key);
	err = rpci_call(req, (size_t)len, val, sizeof(val), &n,
			a->o->allow_hb);
	if (err)
		return err;
	json_obj_open(j, NULL);
	json_str(j, "key", r->key);
	json_strn(j, "value", val, n);
	json_obj_close(j);
	return 0;
}

static const tclo_fn handlers[TCLO_NKINDS] = {
	[TCLO_V_PING] = do_ping,
	[TCLO_V_DETECT] = do_detect,
	[TCLO_V_TIMESYNC] = do_timesync,
	[TCLO_V_REPORT] = do_report,
	[TCLO_V_GUESTINFO] = do_guestinfo,
};

static const char *cmd_strerror(int err)
{
	switch (err) {
	case -EAGAIN: return "host time not set";
	case -EPERM: return "not permitted to set the clock";
	case -ENOSPC: return "reply too long";
	case -EREMOTEIO: return "no such value";
	default: return rpc_strerror(err);
	}
}

/* Runs one command and leaves its answer as the next TCLO result. */
static void handle(struct agent *a, const char *msg, size_t len)
{
	char body[REPORT_MAX + 1];
	struct tclo_req r;
	struct json j;
	int n, err;

	if (tclo_parse(msg, len, &r)) {
		n = tclo_format_error(a->out, sizeof(a->out), &r, r.error);
	} else if (r.kind == TCLO_UNKNOWN) {
		n = tclo_format_error(a->out, sizeof(a->out), &r,
				      "Unknown Command");
	} else if (!handlers[r.kind]) {
		n = tclo_format_ok(a->out, sizeof(a->out), &r, NULL);
	} else {
		json_init(&j, body, sizeof(body));
		err = handlers[r.kind](a, &r, &j);
		if (!err && (err = json_end(&j)) > 0)
			err = 0;
		n = err ? tclo_format_error(a->out, sizeof(a->out), &r,
					    cmd_strerror(err)) :
			  tclo_format_ok(a->out, sizeof(a->out), &r, body);
	}
	if (n < 0)
		n = tclo_format_error(a->out, sizeof(a->out), &r,
				      "reply too long");
	if (a->o->verbose)
		logmsg("tclo: %.*s -> %.*s", (int)len, msg, n < 0 ? 0 : n,
		       a->out);
	tclo_set_result(&a->tclo, a->out, n < 0 ? 0 : (size_t)n);
}

/* --- the loop ---------------------------------------------------------- */

static void fail_later(struct backoff *b, int64_t now, int64_t *when)
{
	*when = now + (int64_t)backoff_next(b) * 1000000;
}

/* Hello first, then reports: every interval and on change. */
static void do_reports(struct agent *a, int64_t now)
{
	struct state s;

	if (!a->hello_done) {
		if (now < a->next_report)
			return;
		if (send_hello(a)) {
			fail_later(&a->err_report, now, &a->next_report);
			return;
		}
		a->hello_done = true;
		a->next_report = now;
	}
	state_now(a, &s);
	if (now < a->next_report && !state_changed(&s, &a->sent))
		return;
	if (send_report(a)) {
		fail_later(&a->err_report, now, &a->next_report);
		return;
	}
	backoff_reset(&a->err_report);
	a->next_report = now + (int64_t)a->o->interval_s * NS;
}

/* Polls until the host has nothing more (a few commands at most per
 * wake-up, so reports are not starved). */
static int do_poll(struct agent *a, int64_t now)
{
	size_t n;
	int i, err;

	if (now < a->next_poll)
		return 0;
	for (i = 0; i < 8; i++) {
		err = tclo_poll(&a->tclo, a->cmd, sizeof(a->cmd), &n);
		if (err) {
			if (a->o->verbose || err != -EIO)
				logmsg("tclo poll: %s", rpc_strerror(err));
			fail_later(&a->err_poll, now, &a->next_poll);
			return err;
		}
		backoff_reset(&a->err_poll);
		if (n == 0)
			break;
		handle(a, a->cmd, n);
		backoff_reset(&a->poll);
	}
	if (a->bell >= 0 && i < 8)	/* drained: the doorbell says when */
		a->next_poll = now + (int64_t)a->o->doorbell_poll_s * NS;
	else	/* a pending answer goes out with the next poll, soon */
		a->next_poll = now + (int64_t)backoff_next(&a->poll) * 1000000;
	return 0;
}

/* Sleeps until when, the doorbell or a watcher; a ring makes the TCLO
 * poll due now, a change the report. */
static void wait_until(struct agent *a, int64_t when)
{
	struct pollfd pfd[W_COUNT + 1];
	int64_t d = when - clock_ns(CLOCK_MONOTONIC);
	int ms, n;

	if (d <= 0)
		return;
	ms = d / 1000000 + (d % 1000000 != 0);
	watch_pollfds(&a->watch, pfd);
	pfd[W_COUNT].fd = a->bell;
	pfd[W_COUNT].events = POLLIN;
	pfd[W_COUNT].revents = 0;
	n = poll(pfd, W_COUNT + 1, ms);
	if (n <= 0)
		return;
	/* A change is reported by the loop's check after any wake-up. */
	watch_fired(&a->watch, pfd);
	if (a->bell >= 0 && pfd[W_COUNT].revents) {
		if (pfd[W_COUNT].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			logmsg("doorbell: lost; polling TCLO from now on");
			close(a->bell);
			a->bell = -1;
			a->next_report = 0;	/* say so */
		} else {
			a->rings += doorbell_drain(a->bell);
		}
		a->next_poll = 0;
	}
}

static int run_once(struct agent *a)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC);
	int err;

	err = send_hello(a);
	if (!err)
		err = send_report(a);
	if (!err)
		err = do_poll(a, now);
	/* Deliver the answer to a command the poll received. */
	if (!err && a->tclo.result_len) {
		size_t n;

		err = tclo_poll(&a->tclo, a->cmd, sizeof(a->cmd), &n);
	}
	tclo_close(&a->tclo);
	if (err)
		logmsg("--once: %s", rpc_strerror(err));
	return err ? 1 : 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int agent_run(const struct agent_opts *o)
{
	static struct agent a;
	int64_t now, next, next_refresh = 0;
	int wdog = -1;

	memset(&a, 0, sizeof(a));
	a.o = o;
	a.bell = -1;
	for (int i = 0; i < W_COUNT; i++)
		a.watch.fd[i] = -1;
	backoff_init(&a.poll, POLL_MIN_MS, o->poll_max_ms);
	backoff_init(&a.err_report, ERR_MIN_MS, ERR_MAX_MS);
	backoff_init(&a.err_poll, ERR_MIN_MS, ERR_MAX_MS);
	tclo_init(&a.tclo, o->allow_hb);

	detect_run(&a.det, o->trials);
	if (a.det.bd_err) {
		logmsg("%s: nothing to report to; detect says %s",
		       rpc_strerror(a.det.bd_err), a.det.answer.name);
		return 1;
	}
	if (o->once)
		return run_once(&a);

	if (o->watchdog) {	/* the guest's watchdog daemon (wdog.h) */
		wdog = wdog_open(o->watchdog);
		if (wdog < 0) {
			logmsg("%s: %s: no watchdog to refresh", o->watchdog,
			       strerror(-wdog));
			return 1;
		}
		logmsg("refreshing %s every second", o->watchdog);
	}
	install_signals();
	a.bell = o->no_doorbell ? -ENOENT :
		 doorbell_open("/sys/class/input", "/dev/input");
	if (a.bell >= 0)
		logmsg("running: reports every %u s, TCLO on the doorbell "
		       "(polled every %u s as a fallback)", o->interval_s,
		       o->doorbell_poll_s);
	else
		logmsg("running: reports every %u s, TCLO polls up to every "
		       "%u ms (no doorbell: %s)", o->interval_s,
		       o->poll_max_ms, o->no_doorbell ? "--no-doorbell" :
		       strerror(-a.bell));
	a.watched = watch_open(&a.watch);
	logmsg(a.watched ? "changes: watched (hostname, clock, addresses)" :
			   "changes: checked every second (a watcher failed)");
	while (!stop) {
		now = clock_ns(CLOCK_MONOTONIC);
		if (wdog >= 0 && now >= next_refresh) {
			if (wdog_refresh(wdog))
				logmsg("%s: refresh failed", o->watchdog);
			next_refresh = now + NS;
		}
		do_reports(&a, now);
		do_poll(&a, now);
		next = a.next_poll < a.next_report ? a.next_poll :
						     a.next_report;
		/* Without every watcher, notice changes within a second. */
		if (!a.watched && next > now + NS)
			next = now + NS;
		if (wdog >= 0 && next > next_refresh)
			next = next_refresh;
		wait_until(&a, next);
	}
	tclo_close(&a.tclo);
	watch_close(&a.watch);
	if (a.bell >= 0)
		close(a.bell);
	if (wdog >= 0)	/* a clean stop disarms it (the magic close) */
		wdog_close(wdog);
	logmsg("stopped");
	return 0;
}
