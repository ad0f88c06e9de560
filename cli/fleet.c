// SPDX-License-Identifier: Apache-2.0
/*
 * `verge fleet status`: GET /v1/fleet from one verged (which adds its
 * peers) or from several at once (--url, repeated), merged: a host or VM
 * that two answers both list is shown once. A host that does not answer
 * is listed as unreachable; verge fails only when none answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "run.h"
#include "table.h"

static void add_unique(json_t *arr, json_t *seen, const char *key, json_t *v)
{
	if (json_object_get(seen, key))
		return;
	json_object_set_new(seen, key, json_true());
	json_array_append(arr, v);
}

static void add_unreachable(json_t *fleet, const char *url, const char *why)
{
	json_array_append_new(json_object_get(fleet, "hosts"), json_pack(
		"{sn ss sb sb sn sn sn ss sn}", "name", "url", url, "self", 0,
		"reachable", 0, "version", "api", "vms", "error", why,
		"latency_ms"));
}

/* One verged's answer (a page) into fleet; false if it is not a fleet.
 * The next page's cursor into cursor ("" after the last page). */
static bool merge(json_t *fleet, json_t *seen, const char *url,
		  const struct cli_http_result *r, char *cursor, size_t size)
{
	json_t *body = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	json_t *hosts = json_object_get(body, "hosts");
	json_t *vms = json_object_get(body, "vms"), *v;
	char key[600];
	size_t i;

	const char *next = cli_jstr(body, "next_cursor");

	if (!json_is_array(hosts) || !json_is_array(vms)) {
		json_decref(body);
		return false;
	}
	/* a cursor is base64url (docs/rest.md): safe in a query as it is */
	if (next && strlen(next) < size &&
	    strspn(next, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789-_") == strlen(next))
		snprintf(cursor, size, "%s", next);
	else
		cursor[0] = '\0';
	json_array_foreach(hosts, i, v) {
		if (json_is_true(json_object_get(v, "self")))
			json_object_set_new(v, "url", json_string(url));
		snprintf(key, sizeof(key), "h %s %s",
			 cli_jstr(v, "name") ?: "", cli_jstr(v, "url") ?: "");
		if (cli_jstr(v, "name"))
			snprintf(key, sizeof(key), "h %s", cli_jstr(v, "name"));
		add_unique(json_object_get(fleet, "hosts"), seen, key, v);
	}
	json_array_foreach(vms, i, v) {
		snprintf(key, sizeof(key), "v %s/%s", cli_jstr(v, "host") ?: "",
			 cli_jstr(v, "name") ?: "");
		add_unique(json_object_get(fleet, "vms"), seen, key, v);
	}
	/* the registry's state as the first host that has one saw it */
	if (json_is_object(json_object_get(body, "etcd")) &&
	    !json_object_get(fleet, "etcd"))
		json_object_set(fleet, "etcd", json_object_get(body, "etcd"));
	json_decref(body);
	return true;
}

static const char *error_message(const struct cli_http_result *r,
				 char *buf, size_t size)
{
	json_t *body, *msg;

	if (r->err)
		return r->why;
	if (r->status == 401) {
		cli_http_explain_401(buf, size);
		return buf;
	}
	body = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	msg = json_object_get(json_object_get(body, "error"), "message");
	snprintf(buf, size, "HTTP %ld%s%s", r->status, msg ? ": " : "",
		 msg ? json_string_value(msg) : "");
	json_decref(body);
	return buf;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

static unsigned flags(struct cli_ctx *ctx)
{
	return ctx->tty && !getenv("NO_COLOR") ? CLI_TABLE_BOLD : 0;
}

static void show_vms(struct cli_ctx *ctx, json_t *vms)
{
	static const struct cli_col cols[] = {
		{ "HOST", false }, { "VM", false }, { "STATE", false },
		{ "UPTIME", true }, { "RATE", true }, { "AGENT", true },
		{ "DETECT", false }, { "BOOTS", true },
	};
	char up[32], age[32], boots[24];
	struct cli_table t;
	const char *rate;
	json_t *v;
	size_t i;

	cli_table_init(&t, cols, 8);
	json_array_foreach(vms, i, v) {
		rate = cli_jstr(json_object_get(v, "clock"), "rate");
		cli_fmt_duration(num(v, "uptime_s"), up, sizeof(up));
		cli_fmt_age(num(v, "agent_age_s"), age, sizeof(age));
		cli_fmt_scalar(json_object_get(v, "boots"), boots,
			       sizeof(boots));
		cli_table_add(&t, (const char *const[]){ cli_jstr(v, "host"),
			cli_jstr(v, "name"), cli_jstr(v, "state"), up,
			rate && strcmp(rate, "1/1") ? rate : "1", age,
			cli_jstr(v, "detect"), boots });
	}
	cli_table_print(&t, ctx->out, flags(ctx));
	cli_table_free(&t);
}

/* With etcd (docs/fleet.md): where the membership comes from, and since
 * when it cannot be read. */
static void show_etcd(struct cli_ctx *ctx, json_t *etcd)
{
	char since[32];

	if (!json_is_object(etcd))
		return;
	cli_fmt_time(num(etcd, "since"), since, sizeof(since));
	if (json_is_true(json_object_get(etcd, "reachable")))
		fprintf(ctx->out, "\netcd %s: reachable since %s, %.0f hosts"
			" registered%s\n", cli_jstr(etcd, "endpoints") ?: "-",
			since, num(etcd, "hosts"),
			json_is_true(json_object_get(etcd, "registered")) ?
			"" : " (this host not yet)");
	else
		fprintf(ctx->out, "\netcd %s: unreachable since %s: %s\n"
			"the hosts below are as last seen (stale)\n",
			cli_jstr(etcd, "endpoints") ?: "-", since,
			cli_jstr(etcd, "error") ?: "-");
}

static const char *host_state(json_t *h)
{
	if (json_is_true(json_object_get(h, "stale")))
		return "stale";
	return json_is_true(json_object_get(h, "reachable")) ? "reachable"
							      : "unreachable";
}

/* The hosts, one row each as row() adds it, under cols. */
static void show_host_table(struct cli_ctx *ctx, const struct cli_col *cols,
			    size_t ncols, json_t *hosts,
			    void (*row)(struct cli_table *t, json_t *h))
{
	struct cli_table t;
	json_t *h;
	size_t i;

	cli_table_init(&t, cols, ncols);
	json_array_foreach(hosts, i, h)
		row(&t, h);
	fputc('\n', ctx->out);
	cli_table_print(&t, ctx->out, flags(ctx));
	cli_table_free(&t);
}

static void host_row(struct cli_table *t, json_t *h)
{
	char vms[24], lat[32];

	cli_fmt_scalar(json_object_get(h, "vms"), vms, sizeof(vms));
	if (num(h, "latency_ms") >= 0)
		snprintf(lat, sizeof(lat), "%.1f ms", num(h, "latency_ms"));
	else
		snprintf(lat, sizeof(lat), "-");
	cli_table_add(t, (const char *const[]){ cli_jstr(h, "name"),
		cli_jstr(h, "url"), host_state(h),
		vms, lat, cli_jstr(h, "error") });
}

static void show_hosts(struct cli_ctx *ctx, json_t *hosts)
{
	static const struct cli_col cols[] = {
		{ "HOST", false }, { "URL", false }, { "STATE", false },
		{ "VMS", true }, { "LATENCY", true }, { "ERROR", false },
	};

	show_host_table(ctx, cols, 6, hosts, host_row);
}

/* A count of a host's summary (with etcd), "-" when absent. */
static void count(json_t *h, const char *group, const char *key, char *buf,
		  size_t size)
{
	json_t *sum = json_object_get(h, "summary");
	json_t *v = json_object_get(group ? json_object_get(sum, group) : sum,
				    key);

	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, size, "-");
}

static void registered_row(struct cli_table *t, json_t *h)
{
	char vms[24], run[24], ok[24], stale[24], none[24], agents[80];

	cli_fmt_scalar(json_object_get(h, "vms"), vms, sizeof(vms));
	count(h, "states", "running", run, sizeof(run));
	count(h, "agent", "ok", ok, sizeof(ok));
	count(h, "agent", "stale", stale, sizeof(stale));
	count(h, "agent", "none", none, sizeof(none));
	/* of the running VMs: ok/stale/none */
	snprintf(agents, sizeof(agents), "%s/%s/%s", ok, stale, none);
	cli_table_add(t, (const char *const[]){ cli_jstr(h, "name"),
		cli_jstr(h, "url"), host_state(h), cli_jstr(h, "site"), vms,
		run, strcmp(ok, "-") ? agents : "-" });
}

/* With etcd: the registered hosts and their summaries. */
static void show_registered(struct cli_ctx *ctx, json_t *hosts)
{
	static const struct cli_col cols[] = {
		{ "HOST", false }, { "URL", false }, { "STATE", false },
		{ "SITE", false }, { "VMS", true }, { "RUNNING", true },
		{ "AGENTS", true },
	};

	show_host_table(ctx, cols, 7, hosts, registered_row);
}

void show_fleet(struct cli_ctx *ctx, json_t *r)
{
	json_t *etcd = json_object_get(r, "etcd");

	/* with etcd and no --vms, the hosts' summaries only */
	if (!etcd || json_array_size(json_object_get(r, "vms")))
		show_vms(ctx, json_object_get(r, "vms"));
	show_etcd(ctx, etcd);
	if (etcd)
		show_registered(ctx, json_object_get(r, "hosts"));
	else
		show_hosts(ctx, json_object_get(r, "hosts"));
}

/* The URLs asked: fleet status --url..., else verge --url, else local. */
static size_t fleet_urls(struct cli_ctx *ctx, char **urls, size_t max)
{
	json_t *list = json_object_get(ctx->inv.local, "urls"), *u;
	const char *one = cli_jstr(ctx->inv.local, "url");
	size_t i, n = 0;

	json_array_foreach(list, i, u)
		if (n < max)
			urls[n++] = (char *)json_string_value(u);
	if (!n)
		urls[n++] = (char *)(one ? one : CLI_DEFAULT_URL);
	return n;
}

/*
 * The pages after the first of url's VMs, into fleet, one request each.
 * A sweep that takes more than a second says how far it is on stderr
 * (a terminal). false with why when a page cannot be read.
 */
static bool follow_pages(struct cli_ctx *ctx, json_t *fleet, json_t *seen,
			 char *url, long limit, char *cursor, size_t size,
			 char *why, size_t whysize)
{
	char path[600];
	struct cli_http_result res;
	int64_t t0 = cli_now_ms();
	bool ok = true, told = false;
	size_t pages = 1;
	int r;

	while (ok && cursor[0]) {
		snprintf(path, sizeof(path), "/v1/fleet?detail=vms&cursor=%s",
			 cursor);
		if (limit)
			snprintf(path + strlen(path), sizeof(path) -
				 strlen(path), "&limit=%ld", limit);
		r = cli_http_get_many(&url, 1, path,
				      cli_now_ms() + ctx->timeout_ms, &res);
		if (r) {
			snprintf(why, whysize, "out of memory");
			return false;
		}
		ok = !res.err && res.status == 200 &&
		     merge(fleet, seen, url, &res, cursor, size);
		if (!ok)
			snprintf(why, whysize, "page %zu of the VMs: %s",
				 pages + 1, res.err || res.status != 200 ?
				 error_message(&res, path, sizeof(path)) :
				 "not a verged fleet answer");
		cli_http_result_free(&res);
		pages++;
		if (cli_now_ms() - t0 > 1000 && isatty(STDERR_FILENO)) {
			fprintf(stderr, "\rverge: %zu pages, %zu VMs from %s",
				pages, json_array_size(json_object_get(fleet,
								"vms")), url);
			told = true;
		}
	}
	if (told)
		fputc('\n', stderr);
	return ok;
}

int run_fleet_status(struct cli_ctx *ctx)
{
	char *urls[64], why[300], cursor[512];
	struct cli_http_result res[64];
	json_t *fleet, *seen;
	size_t i, n = fleet_urls(ctx, urls, 64), answered = 0, refused = 0;
	bool detail = json_is_true(json_object_get(ctx->inv.local, "vms"));
	json_t *page = json_object_get(ctx->inv.local, "page_size");
	/* without --page-size, verged's own page (1000 with etcd; a verged
	 * without etcd answers whole unless asked, as one before paging) */
	long limit = page ? (long)json_integer_value(page) : 0;
	char first[64];
	int r;

	for (i = 0; i < n; i++)
		if (!cli_is_url(urls[i]))
			return cli_fail(ctx, CLI_EXIT_USAGE, "usage", NULL,
					"'%s' is not an http:// or https:// "
					"URL",
					urls[i]);
	if (page && (!detail || limit < 1 || limit > 1000))
		return cli_fail(ctx, CLI_EXIT_USAGE, "usage", NULL,
				"--page-size is 1-1000 VMs, with --vms");
	snprintf(first, sizeof(first), "/v1/fleet?detail=vms");
	if (limit)
		snprintf(first + strlen(first), sizeof(first) - strlen(first),
			 "&limit=%ld", limit);
	r = cli_http_get_many(urls, n, detail ? first : "/v1/fleet",
			      cli_now_ms() + ctx->timeout_ms, res);
	if (r)
		return cli_fail(ctx, CLI_EXIT_ERROR, "error", NULL, "%s",
				r == -ENOPKG ? "libcurl (libcurl.so.4) cannot"
				" be loaded; install libcurl4" :
				"out of memory");
	fleet = json_pack("{s[] s[]}", "hosts", "vms");
	seen = json_object();
	for (i = 0; i < n; i++) {
		refused += !res[i].err && res[i].status == 401;
		if (!res[i].err && res[i].status == 200 &&
		    merge(fleet, seen, urls[i], &res[i], cursor,
			  sizeof(cursor))) {
			answered++;
			/* with --vms, every page (docs/fleet.md) */
			if (detail && cursor[0] &&
			    !follow_pages(ctx, fleet, seen, urls[i], limit,
					  cursor, sizeof(cursor), why,
					  sizeof(why)))
				add_unreachable(fleet, urls[i], why);
		} else
			add_unreachable(fleet, urls[i],
					res[i].err || res[i].status != 200 ?
					error_message(&res[i], why, sizeof(why))
					: "not a verged fleet answer");
		cli_http_result_free(&res[i]);
	}
	json_decref(seen);
	if (ctx->json)
		cli_print_json(ctx, ctx->out, fleet);
	else
		ctx->inv.cmd->show(ctx, fleet);
	json_decref(fleet);
	if (!answered && refused) {
		cli_http_explain_401(why, sizeof(why));
		return cli_fail(ctx, CLI_EXIT_DENIED, "permission_denied", NULL,
				"%s (HTTP 401 from %s%s)", why, urls[0],
				n > 1 ? " or the other URLs" : "");
	}
	if (!answered)
		return cli_fail(ctx, CLI_EXIT_UNREACHABLE, "unreachable", NULL,
				"no verged answered at %s%s", urls[0],
				n > 1 ? " or the other URLs" : "");
	return CLI_EXIT_OK;
}
