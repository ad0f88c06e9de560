// SPDX-License-Identifier: Apache-2.0
/*
 * Human output of each result: tables for lists, "Label: value" blocks
 * for one object. Every field is optional here: a field verged leaves
 * out (or a newer verged renames) prints as "-", never crashes verge.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "safe.h"
#include "table.h"

#define MAX_DEPTH	4

static unsigned table_flags(struct cli_ctx *ctx)
{
	return ctx->tty && !getenv("NO_COLOR") ? CLI_TABLE_BOLD : 0;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

static const char *vm_name(struct cli_ctx *ctx, json_t *r)
{
	const char *n = cli_jstr(r, "name");

	if (!n)
		n = cli_jstr(ctx->inv.params, "name");
	return n ? n : "-";
}

/* "Label:  value" blocks share the table's alignment and sanitizing. */
static const struct cli_col kv_cols[] = { { "", false }, { "", false } };

static void kv_add(struct cli_table *t, const char *label, const char *value)
{
	char l[160];

	snprintf(l, sizeof(l), "%s:", label);
	cli_table_add(t, (const char *const[]){ l, value });
}

static void kv_addj(struct cli_table *t, const char *label, json_t *v)
{
	char buf[512];

	if (!v)
		return;
	cli_fmt_scalar(v, buf, sizeof(buf));
	kv_add(t, label, buf);
}

static void kv_print(struct cli_table *t, FILE *f)
{
	cli_table_print(t, f, CLI_TABLE_NO_HEADER);
	cli_table_free(t);
}

/* Every leaf of an object of unknown shape (agent reports) as a line. */
static void kv_flatten(struct cli_table *t, const char *prefix, json_t *o,
		       int depth)
{
	const char *key;
	char label[128];
	json_t *v;

	json_object_foreach(o, key, v) {
		snprintf(label, sizeof(label), "%s%s%s", prefix,
			 *prefix ? "." : "", key);
		if (json_is_object(v) && depth < MAX_DEPTH)
			kv_flatten(t, label, v, depth + 1);
		else
			kv_addj(t, label, v);
	}
}

/* "1/2 (0.5)"; a whole rate "2/1" as "2". */
static void fmt_rate(json_t *clock, char *buf, size_t size)
{
	const char *rate = cli_jstr(clock, "rate");
	const char *slash = rate ? strchr(rate, '/') : NULL;
	double v = num(clock, "rate_value");

	if (slash && !strcmp(slash, "/1"))
		snprintf(buf, size, "%.*s", (int)(slash - rate), rate);
	else if (slash && v > 0)
		snprintf(buf, size, "%s (%.6g)", rate, v);
	else
		snprintf(buf, size, "%s", rate ? rate : "-");
}

/* The list's RATE column: "1/2", "2". */
static void short_rate(json_t *clock, char *buf, size_t size)
{
	const char *rate = cli_jstr(clock, "rate");
	const char *slash = rate ? strchr(rate, '/') : NULL;

	if (slash && !strcmp(slash, "/1"))
		snprintf(buf, size, "%.*s", (int)(slash - rate), rate);
	else
		snprintf(buf, size, "%s", rate ? rate : "-");
}

static void fmt_agent(json_t *agent, char *buf, size_t size)
{
	char age[32];

	if (!json_is_true(json_object_get(agent, "seen"))) {
		snprintf(buf, size, "-");
		return;
	}
	cli_fmt_age(num(agent, "age_s"), age, sizeof(age));
	snprintf(buf, size, "%s", age);
}

/* A frequency, where 0 or none means "the host's" (jsonrpc.md). */
static void fmt_guest_freq(json_t *o, const char *key, char *buf, size_t size)
{
	if (num(o, key) > 0)
		cli_fmt_freq(num(o, key), buf, size);
	else
		snprintf(buf, size, "the host's");
}

static const struct cli_col vm_cols[] = {
	{ "NAME", false }, { "STATE", false }, { "CPUS", true },
	{ "MEMORY", true },
	{ "RATE", false }, { "UPTIME", false }, { "AGENT", false },
	{ "ADDRESS", false },
};

void show_vm_list(struct cli_ctx *ctx, json_t *r)
{
	char cpus[16], mem[32], rate[48], up[32], agent[48];
	struct cli_table t;
	json_t *vm;
	size_t i;

	cli_table_init(&t, vm_cols, 8);
	json_array_foreach(r, i, vm) {
		const char *state = cli_jstr(vm, "state");

		cli_fmt_scalar(json_object_get(vm, "cpus"), cpus,
			       sizeof(cpus));
		cli_fmt_mib(json_integer_value(json_object_get(vm,
					"memory_mib")), mem, sizeof(mem));
		short_rate(json_object_get(vm, "clock"), rate, sizeof(rate));
		if (state && !strcmp(state, "running"))
			cli_fmt_duration(num(vm, "uptime_s"), up, sizeof(up));
		else
			snprintf(up, sizeof(up), "-");
		fmt_agent(json_object_get(vm, "agent"), agent, sizeof(agent));
		/* the guest agent's first address, as it last reported */
		cli_table_add(&t, (const char *const[]){ cli_jstr(vm, "name"),
			state, cpus, mem, rate, up, agent,
			cli_jstr(json_object_get(vm, "agent"), "ip") ?: "-" });
	}
	cli_table_print(&t, ctx->out, table_flags(ctx));
	cli_table_free(&t);
}

/* "raw 16 MiB, overlay" of a disk object. */
static void fmt_disk(json_t *d, char *buf, size_t size)
{
	static const char *const modes[] = { "readonly", "snapshot",
					     "overlay" };
	const char *mode = "read-write";
	char sz[32];

	for (size_t i = 0; i < 3; i++)
		if (json_is_true(json_object_get(d, modes[i])))
			mode = modes[i];
	cli_fmt_mib(num(d, "size") / (1 << 20), sz, sizeof(sz));
	if (num(d, "size") < (1 << 20))
		snprintf(sz, sizeof(sz), "%.0f bytes", num(d, "size"));
	snprintf(buf, size, "%s %s, %s", cli_jstr(d, "format") ?: "-", sz,
		 mode);
}

static const struct cli_col disk_cols[] = {
	{ "INDEX", true }, { "DEVICE", false }, { "PATH", false },
	{ "IMAGE", false },
};

void show_disks(struct cli_ctx *ctx, json_t *r)
{
	char idx[24], dev[16], what[96];
	struct cli_table t;
	json_t *d;
	size_t i;

	cli_table_init(&t, disk_cols, 4);
	json_array_foreach(r, i, d) {
		snprintf(idx, sizeof(idx), "%zu", i);
		snprintf(dev, sizeof(dev), "vd%c", (char)('a' + i % 26));
		fmt_disk(d, what, sizeof(what));
		cli_table_add(&t, (const char *const[]){ idx, dev,
			cli_jstr(d, "path"), what });
	}
	cli_table_print(&t, ctx->out, table_flags(ctx));
	cli_table_free(&t);
}

/* One line per disk and per network card. */
static void fmt_devices(json_t *r, struct cli_table *kv)
{
	char buf[600], what[96], label[32];
	json_t *d, *f;
	size_t i, k, n;

	json_array_foreach(json_object_get(r, "disks"), i, d) {
		fmt_disk(d, what, sizeof(what));
		snprintf(label, sizeof(label), "Disk vd%c", (char)('a' + i % 26));
		snprintf(buf, sizeof(buf), "%s (%s)", cli_jstr(d, "path") ?: "-",
			 what);
		kv_add(kv, label, buf);
	}
	json_array_foreach(json_object_get(r, "nics"), i, d) {
		n = (size_t)snprintf(buf, sizeof(buf), "%s, mac %s",
				     cli_jstr(d, "mode") ?: "-",
				     cli_jstr(d, "mac") ?: "-");
		if (cli_jstr(d, "bridge") && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      ", bridge %s",
					      cli_jstr(d, "bridge"));
		json_array_foreach(json_object_get(d, "hostfwd"), k, f)
			if (n < sizeof(buf))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
						      ", hostfwd %s",
						      json_string_value(f) ?: "-");
		snprintf(label, sizeof(label), "NIC %zu", i);
		kv_add(kv, label, buf);
	}
}

/* The jail, its resource group's limits and usage (docs/verged.md). */
static void fmt_isolation(json_t *iso, struct cli_table *kv)
{
	json_t *lim = json_object_get(iso, "limits");
	json_t *use = json_object_get(iso, "usage");
	char buf[200], a[32], b[32];
	size_t n = 0;

	if (!json_is_object(iso))
		return;
	if (json_is_true(json_object_get(iso, "jail")))
		snprintf(buf, sizeof(buf), "jail (uid %lld, cgroup %s)",
			 (long long)num(iso, "uid"), cli_jstr(iso, "cgroup") ?:
			 "-");
	else
		snprintf(buf, sizeof(buf), "off: QEMU runs unjailed as"
			 " verged's user ([jail] isolation = off)");
	kv_add(kv, "Isolation", buf);
	buf[0] = '\0';
	if (num(lim, "cpu_quota_pct") > 0)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "cpu %.0f%% ",
				      num(lim, "cpu_quota_pct"));
	if (num(lim, "cpu_weight") > 0 && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "weight %.0f ", num(lim, "cpu_weight"));
	if (num(lim, "memory_max") > 0 && n < sizeof(buf)) {
		cli_fmt_mib((long long)(num(lim, "memory_max") / 1048576), a,
			    sizeof(a));
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "memory +%s ", a);
	}
	if (num(lim, "pids_max") > 0 && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "pids %.0f",
				      num(lim, "pids_max"));
	kv_add(kv, "Limits", n ? buf : "none");
	if (json_object_size(use)) {
		cli_fmt_mib((long long)(num(use, "memory_bytes") / 1048576), a,
			    sizeof(a));
		snprintf(b, sizeof(b), "%.2f s", num(use, "cpu_usage_s"));
		snprintf(buf, sizeof(buf), "cpu %s, memory %s, pids %.0f", b,
			 a, num(use, "pids"));
		kv_add(kv, "Usage", buf);
	}
}

/* "off", or "30 s watchdog, handed-off, 1 expiry", and ", 2 failed boots
 * in a row" when some failed (docs/bootguard.md). */
static void fmt_bootguard(json_t *r, char *buf, size_t size)
{
	json_t *bg = json_object_get(r, "bootguard");
	json_int_t s = json_integer_value(json_object_get(r, "watchdog_s"));
	json_int_t n = json_integer_value(json_object_get(bg,
							  "watchdog_expiries"));
	json_int_t f = json_integer_value(json_object_get(bg, "failed_boots"));
	const char *stage = cli_jstr(bg, "stage");
	int len;

	if (s <= 0)
		len = snprintf(buf, size, "off");
	else
		len = snprintf(buf, size, "%lld s watchdog, %s, %lld %s",
			       (long long)s, stage ? stage : "no stage yet",
			       (long long)n, n == 1 ? "expiry" : "expiries");
	if (f > 0 && len > 0 && (size_t)len < size)
		snprintf(buf + len, size - (size_t)len, ", %lld failed boot%s in a row",
			 (long long)f, f == 1 ? "" : "s");
}

/* "fp simd sve(2048-bit) ...": the core's features as the hypervisor
 * reported them, or "-" before it has. */
static void fmt_core(json_t *core, char *buf, size_t size)
{
	json_t *f = json_object_get(core, "features"), *v;
	size_t i, len = 0;
	int n;

	snprintf(buf, size, "-");
	json_array_foreach(f, i, v) {
		const char *name = json_string_value(v);
		json_int_t vl = 0;

		if (!name || len >= size)
			continue;
		if (!strcmp(name, "sve") || !strcmp(name, "sme"))
			vl = json_integer_value(json_object_get(core,
					name[1] == 'v' ? "sve_vl" : "sme_vl"));
		if (vl > 0)
			n = snprintf(buf + len, size - len, "%s%s(%lld-bit)",
				     len ? " " : "", name, (long long)vl * 8);
		else
			n = snprintf(buf + len, size - len, "%s%s",
				     len ? " " : "", name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

/* "A committed, B trial (booted), 1 failed in a row of 3, 2 rollbacks"
 * (docs/bootguard.md). */
static void fmt_slots(json_t *r, char *buf, size_t size)
{
	json_t *sl = json_object_get(r, "slots");
	json_t *b = json_object_get(r, "boot");
	const char *good = cli_jstr(sl, "committed"), *trial;
	json_int_t f = json_integer_value(json_object_get(b,
							  "failed_in_a_row"));
	json_int_t k = json_integer_value(json_object_get(b, "attempts"));
	json_int_t rb = json_integer_value(json_object_get(b, "rollbacks"));
	int len;

	trial = cli_jstr(sl, "trial");
	len = snprintf(buf, size, "%s committed", good ? good : "-");
	if (trial && len > 0 && (size_t)len < size)
		len += snprintf(buf + len, size - (size_t)len, ", %s trial%s",
				trial, json_is_true(json_object_get(
					sl, "trial_booted")) ? " (booted)" : "");
	if (len > 0 && (size_t)len < size)
		len += snprintf(buf + len, size - (size_t)len,
				", %lld failed in a row of %lld",
				(long long)f, (long long)k);
	if (rb > 0 && len > 0 && (size_t)len < size)
		snprintf(buf + len, size - (size_t)len, ", %lld rollback%s",
			 (long long)rb, rb == 1 ? "" : "s");
}

void show_vm(struct cli_ctx *ctx, json_t *r)
{
	json_t *clock = json_object_get(r, "clock");
	json_t *agent = json_object_get(r, "agent");
	char buf[160], t[48], age[32];
	struct cli_table kv;

	cli_table_init(&kv, kv_cols, 2);
	kv_addj(&kv, "Name", json_object_get(r, "name"));
	kv_addj(&kv, "UUID", json_object_get(r, "uuid"));
	snprintf(buf, sizeof(buf), "%s (desired: %s)",
		 cli_jstr(r, "state") ?: "-", cli_jstr(r, "desired") ?: "-");
	kv_add(&kv, "State", buf);
	kv_addj(&kv, "PID", json_object_get(r, "pid"));
	kv_addj(&kv, "Boots", json_object_get(r, "boots"));
	if (num(r, "started_at") > 0) {
		/* Last started; "up" only while it runs (uptime_s not null). */
		cli_fmt_time(num(r, "started_at"), t, sizeof(t));
		cli_fmt_duration(num(r, "uptime_s"), age, sizeof(age));
		if (num(r, "uptime_s") >= 0)
			snprintf(buf, sizeof(buf), "%s (up %s)", t, age);
		else
			snprintf(buf, sizeof(buf), "%s", t);
		kv_add(&kv, "Started", buf);
	}
	kv_addj(&kv, "Kernel", json_object_get(r, "kernel"));
	kv_addj(&kv, "Initrd", json_object_get(r, "initrd"));
	kv_addj(&kv, "Cmdline", json_object_get(r, "cmdline"));
	cli_fmt_mib(json_integer_value(json_object_get(r, "memory_mib")), buf,
		    sizeof(buf));
	kv_add(&kv, "Memory", buf);
	kv_addj(&kv, "CPUs", json_object_get(r, "cpus"));
	fmt_core(json_object_get(r, "core"), buf, sizeof(buf));
	kv_add(&kv, "Core", buf);
	snprintf(buf, sizeof(buf), "%s (QEMU %s)", cli_jstr(r, "cpu") ?: "-",
		 cli_jstr(json_object_get(r, "qemu"), "version") ?: "-");
	kv_add(&kv, "CPU model", buf);
	kv_addj(&kv, "Restart", json_object_get(r, "restart"));
	fmt_bootguard(r, buf, sizeof(buf));
	kv_add(&kv, "Boot guard", buf);
	fmt_slots(r, buf, sizeof(buf));
	kv_add(&kv, "Image slots", buf);
	fmt_rate(clock, buf, sizeof(buf));
	kv_add(&kv, "Clock rate", buf);
	fmt_guest_freq(clock, "freq_hz", buf, sizeof(buf));
	kv_add(&kv, "Frequency", buf);
	/* verge-hv's clock and firmware options (verge.ptimer, verge.acpi) */
	kv_add(&kv, "Guest timer", json_is_true(json_object_get(r, "ptimer")) ?
	       "physical only (ptimer)" : "virtual and physical");
	kv_add(&kv, "Firmware", json_is_true(json_object_get(r, "acpi")) ?
	       "ACPI" : "device tree");
	fmt_agent(agent, age, sizeof(age));
	if (json_is_true(json_object_get(agent, "seen")))
		snprintf(buf, sizeof(buf), "%s, %s, detect %s, requests by %s",
			 cli_jstr(agent, "hostname") ?: "-", age,
			 cli_jstr(agent, "detect") ?: "-",
			 cli_jstr(agent, "channel") ?: "-");
	else
		snprintf(buf, sizeof(buf), "not seen");
	kv_add(&kv, "Agent", buf);
	fmt_devices(r, &kv);
	fmt_isolation(json_object_get(r, "isolation"), &kv);
	kv_print(&kv, ctx->out);
}

void show_vm_state(struct cli_ctx *ctx, json_t *r)
{
	json_t *pid = json_object_get(r, "pid");

	cli_safe_fputs(vm_name(ctx, r), ctx->out, 0);
	fputs(": ", ctx->out);
	cli_safe_fputs(cli_jstr(r, "state") ?: "-", ctx->out, 0);
	if (json_is_integer(pid))
		fprintf(ctx->out, " (pid %lld)", (long long)
			json_integer_value(pid));
	fputc('\n', ctx->out);
}

void show_undefined(struct cli_ctx *ctx, json_t *r)
{
	cli_safe_fputs(vm_name(ctx, r), ctx->out, 0);
	fputs(": undefined\n", ctx->out);
}

/*
 * The guest's own output as it was captured. A console is a terminal
 * stream that the guest writes: its controls (C0 but line feeds and tabs,
 * DEL, C1) show as '?', on a terminal or not, since a file or a pipe is
 * read on a terminal too; --json has the exact text.
 */
void show_console(struct cli_ctx *ctx, json_t *r)
{
	const char *text = cli_jstr(r, "text");
	size_t n = text ? strlen(text) : 0;

	cli_safe_fputs(text, ctx->out, CLI_SAFE_LINES);
	if (n && text[n - 1] != '\n')
		fputc('\n', ctx->out);
}

void show_clock(struct cli_ctx *ctx, json_t *r)
{
	static const struct {
		const char *key, *label;
	} counters[] = {
		{ "guest_counter", "Guest counter" },
		{ "host_counter", "Host counter" },
		{ "stalled_ticks", "Stalled ticks" },
		{ "max_error_ticks", "Max error ticks" },
		{ "counter_traps", "Counter traps" },
		{ "timer_traps", "Timer traps" },
	};
	bool live = !json_is_false(json_object_get(r, "live"));
	struct cli_table kv;
	char buf[96];

	cli_table_init(&kv, kv_cols, 2);
	fmt_rate(r, buf, sizeof(buf));
	kv_add(&kv, "Rate", buf);
	fmt_guest_freq(r, "freq_hz", buf, sizeof(buf));
	kv_add(&kv, "Frequency", buf);
	if (cli_jstr(r, "mode"))	/* exact (FEAT_ECV) or dilation */
		kv_add(&kv, "Mode", cli_jstr(r, "mode"));
	if (!live) {
		kv_add(&kv, "Live", "no: the VM is not running; these settings "
		       "apply when it starts");
		kv_print(&kv, ctx->out);
		return;
	}
	if (num(r, "next_freq_hz") > 0 &&
	    num(r, "next_freq_hz") != num(r, "freq_hz")) {
		cli_fmt_freq(num(r, "next_freq_hz"), buf, sizeof(buf));
		kv_add(&kv, "Next boot frequency", buf);
	}
	cli_fmt_freq(num(r, "host_freq_hz"), buf, sizeof(buf));
	kv_add(&kv, "Host frequency", buf);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		kv_addj(&kv, counters[i].label,
			json_object_get(r, counters[i].key));
	kv_print(&kv, ctx->out);
}

void show_agent(struct cli_ctx *ctx, json_t *r)
{
	char t[48], age[32], buf[96];
	struct cli_table kv;

	cli_table_init(&kv, kv_cols, 2);
	cli_fmt_time(num(r, "received_at"), t, sizeof(t));
	cli_fmt_age(num(r, "age_s"), age, sizeof(age));
	snprintf(buf, sizeof(buf), "%s (%s)", t, age);
	kv_add(&kv, "Received", buf);
	kv_addj(&kv, "Reports kept", json_object_get(r, "reports"));
	kv_flatten(&kv, "", json_object_get(r, "report"), 0);
	kv_print(&kv, ctx->out);
}

void show_ping(struct cli_ctx *ctx, json_t *r)
{
	cli_safe_fputs(vm_name(ctx, r), ctx->out, 0);
	fprintf(ctx->out, ": the agent answered in %.3g ms\n",
		num(r, "rtt_ms"));
}

void show_fields(struct cli_ctx *ctx, json_t *r)
{
	struct cli_table kv;
	char buf[512];

	if (!json_is_object(r)) {
		cli_fmt_scalar(r, buf, sizeof(buf));
		cli_safe_fputs(buf, ctx->out, 0);
		fputc('\n', ctx->out);
		return;
	}
	cli_table_init(&kv, kv_cols, 2);
	kv_flatten(&kv, "", r, 0);
	kv_print(&kv, ctx->out);
}

void show_sync_time(struct cli_ctx *ctx, json_t *r)
{
	const char *method = cli_jstr(r, "method");

	cli_safe_fputs(vm_name(ctx, r), ctx->out, 0);
	if (method && !strcmp(method, "none")) {
		fprintf(ctx->out, ": guest clock off by %+.6f s; left alone\n",
			num(r, "offset_ns") / 1e9);
		return;
	}
	fprintf(ctx->out, ": guest clock %s by %+.6f s (now off by %+.6f s)\n",
		method && !strcmp(method, "slew") ? "slewing" : "stepped",
		num(r, "offset_ns") / 1e9, num(r, "after_ns") / 1e9);
}

/* Only the value, for scripts; nothing for a key nobody set. The guest
 * sets values (info-set): on a terminal its control characters show as
 * '?'. */
void show_guestinfo(struct cli_ctx *ctx, json_t *r)
{
	const char *v = cli_jstr(r, "value");

	if (v) {
		cli_safe_fputs(v, ctx->out, 0);
		fputc('\n', ctx->out);
	}
}

void show_nothing(struct cli_ctx *ctx, json_t *r)
{
	(void)ctx;
	(void)r;
}

static const struct cli_col event_cols[] = {
	{ "ID", true }, { "TIME", false }, { "VM", false }, { "TYPE", false },
	{ "CALLER", false },
	{ "DETAIL", false },
};

/* The caller's user name ("root"), or the uid if it has none. */
static void fmt_caller(json_t *uid, char *buf, size_t size)
{
	static long long last = -1;
	static char name[64];
	struct passwd *pw;

	if (!json_is_integer(uid)) {
		snprintf(buf, size, "-");
		return;
	}
	if (json_integer_value(uid) != last) {
		last = json_integer_value(uid);
		pw = getpwuid((uid_t)last);
		if (pw)
			snprintf(name, sizeof(name), "%s", pw->pw_name);
		else
			snprintf(name, sizeof(name), "%lld", last);
	}
	snprintf(buf, size, "%s", name);
}

/* "rate=1/2 old=1/1": strings bare, other values as JSON. */
static void fmt_detail(json_t *d, char *buf, size_t size)
{
	size_t n = 0;
	const char *key;
	char v[256];
	json_t *val;

	buf[0] = '\0';
	if (!json_is_object(d)) {
		if (d && !json_is_null(d))
			cli_fmt_scalar(d, buf, size);
		return;
	}
	json_object_foreach(d, key, val) {
		if (n >= size)
			break;
		if (json_is_string(val))
			snprintf(v, sizeof(v), "%s", json_string_value(val));
		else
			cli_fmt_scalar(val, v, sizeof(v));
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%s",
				      n ? " " : "", key, v);
	}
}

/* An event as a row of the table, or printed at once (now). */
static void event_row(struct cli_table *t, json_t *e, bool now, FILE *f)
{
	char id[24], time[48], caller[64], detail[512];
	const char *cells[] = { id, time, cli_jstr(e, "vm"),
				cli_jstr(e, "type"), caller, detail };

	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(
		json_object_get(e, "id")));
	cli_fmt_time(num(e, "time"), time, sizeof(time));
	fmt_caller(json_object_get(e, "uid"), caller, sizeof(caller));
	if (cli_jstr(e, "source") && !strcmp(cli_jstr(e, "source"), "guest"))
		snprintf(caller, sizeof(caller), "guest");
	fmt_detail(json_object_get(e, "detail"), detail, sizeof(detail));
	if (now)
		cli_table_print_row(t, f, cells);
	else
		cli_table_add(t, cells);
}

void show_events(struct cli_ctx *ctx, json_t *r)
{
	struct cli_table t;
	json_t *e;
	size_t i;

	cli_table_init(&t, event_cols, 6);
	json_array_foreach(r, i, e)
		event_row(&t, e, false, NULL);
	cli_table_print(&t, ctx->out, table_flags(ctx));
	cli_table_free(&t);
}

/* Followed events keep the columns of the first ones, at a minimum width. */
static struct cli_table follow_table;

void events_follow_start(struct cli_ctx *ctx, json_t *list)
{
	static const size_t min[] = { 4, 19, 12, 14, 6, 0 };
	json_t *e;
	size_t i;

	if (ctx->json) {
		json_array_foreach(list, i, e)
			events_follow_one(ctx, e);
		return;
	}
	cli_table_init(&follow_table, event_cols, 6);
	for (i = 0; i < 6; i++)
		follow_table.min_width[i] = min[i];
	json_array_foreach(list, i, e)
		event_row(&follow_table, e, false, NULL);
	cli_table_print(&follow_table, ctx->out, table_flags(ctx));
	fflush(ctx->out);
}

void events_follow_one(struct cli_ctx *ctx, json_t *event)
{
	if (ctx->json) {
		cli_json_dumpf(event, ctx->out, JSON_COMPACT);
		fputc('\n', ctx->out);
	} else {
		event_row(&follow_table, event, true, ctx->out);
	}
	fflush(ctx->out);
}
