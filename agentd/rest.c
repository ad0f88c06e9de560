// SPDX-License-Identifier: Apache-2.0
/*
 * The REST API's handlers (rest.h), called by the HTTP server (http.h)
 * on its threads: requests are routed through one table, and every
 * answer goes through queue(), which counts it for /metrics. Start and
 * stop are at the end; the loop's side (publishing snapshots, sampling
 * exit statistics) is in rest_publish.c.
 *
 * A handler takes a struct req (the route, its {name}, its query
 * parameters) and answers with one of reply_snap() (bytes of a snapshot,
 * whose reference the answer takes), reply_buf()/reply_owned() (a body
 * made for the request), reply_304() or fail() (a JSON error); or it
 * suspends the request (peers_get() does) and is called again later.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <verge_proto.h>

#include "buf.h"
#include "etcd.h"
#include "fleet.h"
#include "hvlink.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "peers.h"
#include "rest.h"
#include "rest_int.h"
#include "snapshot.h"
#include "store.h"
#include "token.h"
#include "verged.h"
#include "vm.h"

#define MAX_PARAMS		4
#define EVENTS_DEFAULT_LIMIT	100
#define EVENTS_MAX_LIMIT	1000
/* --- answers -------------------------------------------------------------- */

struct req;
typedef int (*handler_fn)(struct req *q);

struct route {
	const char *pattern;	/* "{name}" matches one path segment */
	enum rest_ep ep;
	handler_fn fn;
	const char *params[MAX_PARAMS];	/* query parameters allowed */
	bool open;		/* answered without the token; only
				 * /healthz and /metrics (docs/rest.md) */
};

struct req {
	struct rest *r;
	struct http_req *c;
	const struct route *route;
	enum rest_ep ep;
	char name[MAX_NAME + 2];
	const char *param[MAX_PARAMS];
	bool resumed;		/* after waiting for the peers */
	char err[160];
};

#define JSON_TYPE "application/json"

static void free_snapshot(void *cls)
{
	snapshot_unref(cls);
}

static void free_kept(void *cls)
{
	fleet_kept_unref(cls);
}

/* Every answer goes here: body (len bytes) is released by release(arg)
 * once sent; a NULL body with len 0 is an empty one. */
static int queue(struct req *q, unsigned status, const char *type,
		 const char *etag, const void *body, size_t len,
		 void (*release)(void *), void *arg)
{
	if (etag) {
		http_add_header(q->c, "ETag", etag);
		http_add_header(q->c, "Cache-Control", "no-cache");
	}
	http_respond(q->c, status, type, body, len, release, arg);
	metrics_count(&q->r->metrics, q->ep, status);
	return 0;
}

/* Out of memory: the connection is closed without an answer. */
static int queue_nomem(struct req *q)
{
	http_respond(q->c, 0, NULL, NULL, 0, NULL, NULL);
	metrics_count(&q->r->metrics, q->ep, 500);
	return 0;
}

/* HTTP status -> error.code. */
static const struct {
	unsigned status;
	const char *code;
} error_codes[] = {
	{ 400, "bad_request" }, { 401, "unauthorized" },
	{ 404, "not_found" }, { 405, "method_not_allowed" },
	{ 500, "internal_error" }, { 503, "unavailable" },
};

static int fail(struct req *q, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct req *q, unsigned status, const char *fmt, ...)
{
	const char *code = "internal_error";
	struct buf b = { 0 };
	char msg[512];
	va_list ap;
	size_t i, len;
	char *text;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++)
		if (error_codes[i].status == status)
			code = error_codes[i].code;
	buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"status\":%u,"
		   "\"message\":", code, status);
	buf_json_str(&b, msg);
	buf_str(&b, "}}");
	text = buf_steal(&b, &len);
	if (!text)
		return queue_nomem(q);
	if (status == 405)
		http_add_header(q->c, "Allow", "GET, HEAD");
	if (status == 401)
		http_add_header(q->c, "WWW-Authenticate",
				"Bearer realm=\"verged\"");
	return queue(q, status, JSON_TYPE, NULL, text, len, free, text);
}

/* Does If-None-Match name etag? (weak comparison, RFC 9110 13.1.2) */
static bool not_modified(struct req *q, const char *etag)
{
	const char *h = http_header(q->c, "If-None-Match");
	size_t n = strlen(etag);
	const char *p;

	if (!h)
		return false;
	for (p = h; *p; ) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (!strncmp(p, etag, n) && (p[n] == ',' || p[n] == ' ' ||
					      p[n] == '\t' || !p[n]))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

static int reply_304(struct req *q, const char *etag)
{
	return queue(q, 304, NULL, etag, NULL, 0, NULL, NULL);
}

/* A body of snapshot s (whose reference the response takes). */
static int reply_snap(struct req *q, struct snapshot *s,
		      const struct rest_body *b)
{
	if (not_modified(q, b->etag)) {
		snapshot_unref(s);
		return reply_304(q, b->etag);
	}
	return queue(q, 200, JSON_TYPE, b->etag, b->data, b->len,
		     free_snapshot, s);
}

/* A body made for this request (freed with the response). */
static int reply_owned(struct req *q, struct rest_body *b, const char *type,
		       bool etag)
{
	if (etag)
		rest_body_etag(b);
	if (etag && not_modified(q, b->etag)) {
		free(b->data);
		return reply_304(q, b->etag);
	}
	return queue(q, 200, type, etag ? b->etag : NULL, b->data, b->len,
		     free, b->data);
}

static int reply_buf(struct req *q, struct buf *src,
				 const char *type, bool etag)
{
	struct rest_body b = { 0 };

	b.data = buf_steal(src, &b.len);
	if (!b.data)
		return fail(q, 500, "out of memory");
	return reply_owned(q, &b, type, etag);
}

/* --- snapshots on the REST side ------------------------------------------- */

/* The current snapshot; asks the loop for a new one when ages are old. */
static struct snapshot *current(struct rest *r)
{
	struct snapshot *s = snapshot_slot_get(&r->slot);

	if (s && s->ages && verged_now() - s->aged_at > SNAPSHOT_AGE_S &&
	    !atomic_exchange(&r->want_refresh, true))
		uv_async_send(&r->wake);
	return s;
}

static struct snapshot *current_or_fail(struct req *q)
{
	struct snapshot *s = current(q->r);

	if (!s)
		fail(q, 503, "verged is starting; try again");
	return s;
}

/* The VM of the {name} segment, or a 404 already queued. */
static const struct snap_vm *find_vm(struct req *q, struct snapshot *s,
				     int *ret)
{
	const struct snap_vm *v = snapshot_find(s, q->name);

	if (!v) {
		*ret = fail(q, 404, "no VM named '%.64s'; see /v1/vms",
			    q->name);
		snapshot_unref(s);
	}
	return v;
}

/* --- handlers ------------------------------------------------------------- */

static int h_healthz(struct req *q)
{
	struct snapshot *s = snapshot_slot_get(&q->r->slot);
	struct buf b = { 0 };

	buf_printf(&b, "{\"status\":\"ok\",\"version\":\"%s\",\"api\":%d,"
		   "\"generation\":%" PRIu64 "}", VERGED_VERSION, VERGED_API,
		   s ? s->generation : 0);
	snapshot_unref(s);
	return reply_buf(q, &b, JSON_TYPE, false);
}

static int h_vms(struct req *q)
{
	struct snapshot *s = current_or_fail(q);

	return s ? reply_snap(q, s, &s->vms) : 0;
}

static int h_vm(struct req *q)
{
	struct snapshot *s = current_or_fail(q);
	int ret = 0;
	const struct snap_vm *v;

	if (!s || !(v = find_vm(q, s, &ret)))
		return ret;
	return reply_snap(q, s, &v->p->vm);
}

static int h_vm_clock(struct req *q)
{
	struct snapshot *s = current_or_fail(q);
	int ret = 0;
	const struct snap_vm *v;

	if (!s || !(v = find_vm(q, s, &ret)))
		return ret;
	return reply_snap(q, s, &v->p->clock);
}

static int h_partitions(struct req *q)
{
	struct snapshot *s = current_or_fail(q);

	return s ? reply_snap(q, s, &s->partitions) : 0;
}

static int h_partition(struct req *q)
{
	struct snapshot *s = current_or_fail(q);
	const struct snap_part *p;

	if (!s)
		return 0;
	p = snapshot_find_part(s, q->name);
	if (!p) {
		snapshot_unref(s);
		return fail(q, 404, "no partition named '%.64s'; see"
			    " /v1/partitions", q->name);
	}
	return reply_snap(q, s, &p->body);
}

static struct store *reader_get(struct rest *r)
{
	struct store *st = NULL;

	pthread_mutex_lock(&r->pool_lock);
	if (r->nreaders)
		st = r->readers[--r->nreaders];
	pthread_mutex_unlock(&r->pool_lock);
	if (!st && store_open_reader(r->db_path, &st))
		return NULL;
	return st;
}

static void reader_put(struct rest *r, struct store *st)
{
	pthread_mutex_lock(&r->pool_lock);
	if (r->nreaders < READERS_MAX) {
		r->readers[r->nreaders++] = st;
		st = NULL;
	}
	pthread_mutex_unlock(&r->pool_lock);
	store_close(st);
}

static int h_vm_agent(struct req *q)
{
	struct snapshot *s = current_or_fail(q);
	int ret = 0;
	const struct snap_vm *v;
	struct store *st;
	struct buf b = { 0 };
	char *text = NULL;
	int64_t count = 0, id;
	double at = 0;
	int r;

	if (!s || !(v = find_vm(q, s, &ret)))
		return ret;
	id = v->id;
	snapshot_unref(s);
	st = reader_get(q->r);
	if (!st)
		return fail(q, 503, "the store cannot be read; see verged's"
			    " log");
	r = store_report_latest(st, id, &at, &text);
	if (!r)
		store_report_count(st, id, &count);
	reader_put(q->r, st);
	if (r == -ENOENT)
		return fail(q, 404, "%s: no guest agent has reported",
			    q->name);
	if (r)
		return fail(q, 503, "the store cannot be read; see verged's"
			    " log");
	buf_printf(&b, "{\"received_at\":%.3f,\"age_s\":%.3f,\"reports\":%"
		   PRId64 ",\"report\":", at, verged_now() - at, count);
	buf_str(&b, text);	/* stored compact by verged, an object */
	buf_str(&b, "}");
	free(text);
	return reply_buf(q, &b, JSON_TYPE, true);
}

/* A decimal integer in [lo, hi], or the request fails. */
static bool int_param(struct req *q, size_t i, int64_t lo, int64_t hi,
		      int64_t def, int64_t *ret)
{
	const char *s = q->param[i];
	char *end;
	long long v;

	if (!s) {
		*ret = def;
		return true;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || *s == '+' || *s == '-' ||
	    v < lo || v > hi) {
		snprintf(q->err, sizeof(q->err), "%s must be an integer from"
			 " %" PRId64 " to %" PRId64, q->route->params[i],
			 lo, hi);
		return false;
	}
	*ret = v;
	return true;
}

static void events_body(struct buf *b, json_t *events, int64_t since,
			int64_t limit, const char *vm)
{
	bool more = (int64_t)json_array_size(events) > limit;
	json_t *last;
	int64_t next = since;

	if (more)
		json_array_remove(events, json_array_size(events) - 1);
	last = json_array_get(events, json_array_size(events) - 1);
	if (last)
		next = json_integer_value(json_object_get(last, "id"));
	buf_str(b, "{\"events\":");
	buf_json(b, events);
	buf_printf(b, ",\"more\":%s,\"next_since\":%" PRId64 ",\"next\":"
		   "\"/v1/events?since=%" PRId64 "&limit=%" PRId64 "%s%s\"}",
		   more ? "true" : "false", next, next, limit,
		   vm ? "&vm=" : "", vm ? vm : "");
}

static int h_events(struct req *q)
{
	const char *vm = q->param[1];
	int64_t since, limit;
	struct store *st;
	json_t *events = NULL;
	struct buf b = { 0 };
	int r;

	if (!int_param(q, 0, 0, INT64_MAX, 0, &since) ||
	    !int_param(q, 2, 1, EVENTS_MAX_LIMIT, EVENTS_DEFAULT_LIMIT,
		       &limit))
		return fail(q, 400, "%s", q->err);
	if (vm && !verged_valid_name(vm))
		return fail(q, 400, "vm must be a VM name: 1-64 characters"
			    " of [A-Za-z0-9._-], not starting with . or -");
	st = reader_get(q->r);
	if (!st)
		return fail(q, 503, "the store cannot be read; see verged's"
			    " log");
	r = store_events_list(st, vm, since, limit + 1, &events);
	reader_put(q->r, st);
	if (r)
		return fail(q, 503, "the event log cannot be read; see"
			    " verged's log");
	events_body(&b, events, since, limit, vm);
	json_decref(events);
	return reply_buf(q, &b, JSON_TYPE, true);
}

/* --- the fleet ------------------------------------------------------------ */

/* The kept body of fleet f (fleet.h), whose reference the response
 * takes. */
static int reply_kept(struct req *q, struct fleet_kept *k)
{
	if (not_modified(q, k->body.etag)) {
		fleet_kept_unref(k);
		return reply_304(q, k->body.etag);
	}
	return queue(q, 200, JSON_TYPE, k->body.etag, k->body.data,
		     k->body.len, free_kept, k);
}

/* The answer of f: kept between requests when it is the hosts' view of
 * the registry (what `verge fleet status` asks), else made for this
 * request. */
static int fleet_reply(struct req *q, const struct fleet_src *f)
{
	struct fleet_kept *k;
	struct buf b = { 0 };

	if (f->v && !f->vms) {
		k = fleet_kept_get(&q->r->fleet_cache, f);
		return k ? reply_kept(q, k) : fail(q, 503, "out of memory");
	}
	fleet_write(&b, f);
	return reply_buf(q, &b, JSON_TYPE, true);
}

/*
 * /v1/fleet and /v1/hosts: this host, and the others unless local (the
 * peers, or the hosts registered in etcd); the VMs when vms, a page of
 * them when page->limit.
 */
static int fleet_or_hosts(struct req *q, bool local, bool vms,
			  const struct fleet_src *page)
{
	struct fleet_src f = { .host = q->r->host, .vms = vms };
	struct peers_round *round = NULL;
	struct etcd_view *v = NULL;
	struct snapshot *s;
	char *self = NULL;
	int ret, r;

	/* with etcd, the others' VMs only when asked for (?detail=vms) */
	bool fan_out = !local && q->r->peers && (!q->r->etcd || vms);

	if (fan_out) {
		r = peers_get(q->r->peers, q->c, !q->resumed, &round);
		if (r == -EAGAIN)	/* suspended: the round resumes it */
			return 0;
		if (r)
			return fail(q, 503, "verged is stopping");
	}
	s = current_or_fail(q);
	if (!s) {
		peers_round_unref(round);
		return 0;
	}
	if (!local && q->r->etcd)
		v = etcd_view_get(q->r->etcd);
	/* this host alone, whole: the snapshot's own body */
	if (!v && vms && !round && !page->limit)
		return reply_snap(q, s, &s->fleet);
	if (v)
		self = etcd_self_entry(q->r->etcd);
	f.s = s;
	f.self = self;
	f.etcd = q->r->etcd;
	f.v = v;
	f.round = round;
	f.limit = page->limit;
	f.cursor = page->cursor;
	ret = fleet_reply(q, &f);
	free(self);
	etcd_view_unref(v);
	peers_round_unref(round);
	snapshot_unref(s);
	return ret;
}

/* ?limit= and ?cursor= into page; false with the reason in q->err. */
static bool page_params(struct req *q, bool vms, struct fleet_src *page,
			struct fleet_cursor *cursor)
{
	const char *text = q->param[3];
	int64_t limit;

	if (!int_param(q, 2, 1, FLEET_PAGE_MAX, 0, &limit))
		return false;
	if ((limit || text) && !vms) {
		snprintf(q->err, sizeof(q->err), "limit and cursor page the"
			 " VMs: they need detail=vms");
		return false;
	}
	if (text && !fleet_cursor_parse(text, cursor)) {
		snprintf(q->err, sizeof(q->err), "cursor must be a"
			 " next_cursor that /v1/fleet gave");
		return false;
	}
	/* with etcd, ?detail=vms is always paged */
	if (!limit && (text || (vms && q->r->etcd)))
		limit = FLEET_PAGE_MAX;
	page->limit = (size_t)limit;
	page->cursor = text ? cursor : NULL;
	return true;
}

static int h_fleet(struct req *q)
{
	const char *scope = q->param[0], *detail = q->param[1];
	struct fleet_src page = { 0 };
	struct fleet_cursor cursor;
	bool local = scope && !strcmp(scope, "local"), vms;

	if (scope && strcmp(scope, "local") && strcmp(scope, "all"))
		return fail(q, 400, "scope must be local or all");
	if (detail && strcmp(detail, "vms") && strcmp(detail, "hosts"))
		return fail(q, 400, "detail must be vms or hosts");
	/* This host's VMs are always there, and without etcd the peers'
	 * too; with etcd, the others' only when asked for. */
	vms = local || !q->r->etcd || (detail && !strcmp(detail, "vms"));
	if (!page_params(q, vms, &page, &cursor))
		return fail(q, 400, "%s", q->err);
	return fleet_or_hosts(q, local, vms, &page);
}

static int h_hosts(struct req *q)
{
	static const struct fleet_src whole;

	return fleet_or_hosts(q, false, false, &whole);
}

/*
 * The static peers' target groups: each configured URL, named as the
 * last round found it (by its URL before any round: Prometheus then
 * finds out itself whether it is up).
 */
static void sd_peers(struct buf *b, const struct peers_round *round,
		     const char *list)
{
	char *copy = strdup(list ? list : ""), *tok, *save = NULL, *g;
	size_t i, len;

	for (tok = copy ? strtok_r(copy, " ,\t", &save) : NULL; tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		const char *name = tok, *version = NULL;
		json_t *h = NULL;

		len = strlen(tok);
		while (len && tok[len - 1] == '/')
			tok[--len] = '\0';
		for (i = 0; round && i < round->n; i++) {
			if (strcmp(round->r[i].url, tok) ||
			    !round->r[i].reachable)
				continue;
			h = json_loadb(round->r[i].host_entry,
				       round->r[i].host_entry_len, 0, NULL);
			if (json_string_value(json_object_get(h, "name")))
				name = json_string_value(
					json_object_get(h, "name"));
			version = round->r[i].version[0] ?
				round->r[i].version : NULL;
			break;
		}
		g = etcd_sd_group(tok, name, version, NULL);
		if (g) {
			buf_add(b, ",", 1);
			buf_str(b, g);
			free(g);
		}
		json_decref(h);
	}
	free(copy);
}

/* Prometheus HTTP service discovery: a target group per live host. */
static int h_sd(struct req *q)
{
	struct rest *r = q->r;
	struct buf b = { 0 };
	char *self;

	self = etcd_sd_group(r->self_url, r->host, VERGED_VERSION,
			     r->d->cfg.fleet_site);
	if (!self)
		return fail(q, 503, "out of memory");
	buf_str(&b, "[");
	buf_str(&b, self);
	free(self);
	if (r->etcd) {
		struct etcd_view *v = etcd_view_get(r->etcd);

		if (v && v->sd_len) {
			buf_add(&b, ",", 1);
			buf_add(&b, v->sd, v->sd_len);
		}
		etcd_view_unref(v);
	} else if (r->peers) {
		struct peers_round *round = peers_last(r->peers);

		sd_peers(&b, round, r->d->cfg.rest_peers);
		peers_round_unref(round);
	}
	buf_str(&b, "]");
	return reply_buf(q, &b, JSON_TYPE, true);
}

/* --- /metrics ------------------------------------------------------------- */

static void peer_metrics(struct buf *b, struct peers *p)
{
	struct peers_round *round = p ? peers_last(p) : NULL;
	struct buf l = { 0 };
	size_t i;

	if (!round)
		return;
	metrics_family(b, "verge_peer_up", "gauge",
		       "1 if the peer answered the last fleet round.");
	for (i = 0; i < round->n; i++) {
		l.len = 0;
		metrics_label(&l, "peer", round->r[i].url);
		metrics_sample(b, "verge_peer_up", l.data,
			       round->r[i].reachable);
	}
	metrics_family(b, "verge_peer_latency_seconds", "gauge",
		       "How long the peer took in the last fleet round.");
	for (i = 0; i < round->n; i++) {
		l.len = 0;
		metrics_label(&l, "peer", round->r[i].url);
		metrics_sample(b, "verge_peer_latency_seconds", l.data,
			       round->r[i].latency_ms / 1e3);
	}
	buf_free(&l);
	peers_round_unref(round);
}

/* The registry's state (docs/fleet.md), for alerts on an outage. */
static void etcd_metrics(struct buf *b, struct etcd *e)
{
	struct etcd_view *v = etcd_view_get(e);

	if (!v)
		return;
	metrics_family(b, "verge_etcd_up", "gauge",
		       "1 if etcd answered verged's last request.");
	metrics_sample(b, "verge_etcd_up", NULL, v->reachable);
	metrics_family(b, "verge_etcd_registered", "gauge",
		       "1 if this host's record is in etcd.");
	metrics_sample(b, "verge_etcd_registered", NULL, v->registered);
	metrics_family(b, "verge_etcd_hosts", "gauge",
		       "Hosts of the fleet as last read, this one included.");
	metrics_sample(b, "verge_etcd_hosts", NULL, (double)(v->n + 1));
	metrics_family(b, "verge_etcd_record_writes_total", "counter",
		       "Writes of this host's record to etcd.");
	metrics_sample(b, "verge_etcd_record_writes_total", NULL,
		       (double)etcd_writes(e));
	etcd_view_unref(v);
}

static int h_metrics(struct req *q)
{
	struct rest *r = q->r;
	struct snapshot *s = current_or_fail(q);
	struct buf b = { 0 };

	if (!s)
		return 0;
	if (verged_now() - atomic_load(&r->stats_at) > REST_STATS_REFRESH_S &&
	    !atomic_exchange(&r->want_stats, true))
		uv_async_send(&r->wake);
	buf_add(&b, s->metrics, s->metrics_len);
	metrics_family(&b, "verge_snapshot_generation", "gauge",
		       "Snapshots published by verged's loop.");
	metrics_sample(&b, "verge_snapshot_generation", NULL,
		       (double)s->generation);
	metrics_family(&b, "verge_snapshot_age_seconds", "gauge",
		       "Age of the snapshot this answer comes from.");
	metrics_sample(&b, "verge_snapshot_age_seconds", NULL,
		       verged_now() - s->generated_at);
	snapshot_unref(s);
	if (r->etcd)
		etcd_metrics(&b, r->etcd);
	else
		peer_metrics(&b, r->peers);
	/* counted before it is printed, so a scrape sees itself */
	metrics_count(&r->metrics, EP_METRICS, 200);
	metrics_requests(&b, &r->metrics);
	q->ep = EP_COUNT;	/* already counted */
	return reply_buf(q, &b, "text/plain; version=0.0.4; charset=utf-8",
			 false);
}

/* --- routing -------------------------------------------------------------- */

static const struct route routes[] = {
	{ "/healthz", EP_HEALTHZ, h_healthz, { NULL }, true },
	{ "/metrics", EP_METRICS, h_metrics, { NULL }, true },
	{ "/v1/fleet", EP_FLEET, h_fleet,
	  { "scope", "detail", "limit", "cursor" }, false },
	{ "/v1/hosts", EP_HOSTS, h_hosts, { NULL }, false },
	{ "/v1/vms", EP_VMS, h_vms, { NULL }, false },
	{ "/v1/vms/{name}", EP_VM, h_vm, { NULL }, false },
	{ "/v1/vms/{name}/clock", EP_VM_CLOCK, h_vm_clock, { NULL }, false },
	{ "/v1/vms/{name}/agent", EP_VM_AGENT, h_vm_agent, { NULL }, false },
	{ "/v1/events", EP_EVENTS, h_events, { "since", "vm", "limit" },
	  false },
	{ "/v1/partitions", EP_PARTITIONS, h_partitions, { NULL }, false },
	{ "/v1/partitions/{name}", EP_PARTITION, h_partition, { NULL },
	  false },
	{ "/v1/sd", EP_SD, h_sd, { NULL }, false },
};

/* Does url match pattern? The {name} segment goes into name. */
static bool match(const char *pattern, const char *url, char *name,
		  size_t size)
{
	static const char var[] = "{name}";
	size_t n;

	while (*pattern) {
		if (!strncmp(pattern, var, sizeof(var) - 1)) {
			n = strcspn(url, "/");
			if (!n || n >= size)
				return false;
			memcpy(name, url, n);
			name[n] = '\0';
			url += n;
			pattern += sizeof(var) - 1;
		} else if (*pattern++ != *url++) {
			return false;
		}
	}
	return !*url;
}

static const struct route *route_of(const char *url, char *name, size_t size)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (match(routes[i].pattern, url, name, size))
			return &routes[i];
	return NULL;
}

static bool on_param(void *cls, const char *key, const char *value)
{
	struct req *q = cls;
	size_t i;

	for (i = 0; i < MAX_PARAMS && q->route->params[i]; i++) {
		if (strcmp(key, q->route->params[i]))
			continue;
		if (q->param[i]) {
			snprintf(q->err, sizeof(q->err),
				 "query parameter '%s' given twice", key);
			return false;
		}
		q->param[i] = value ? value : "";
		return true;
	}
	snprintf(q->err, sizeof(q->err), "unknown query parameter '%.64s'%s",
		 key, q->route->params[0] ? "" : "; this path takes none");
	return false;
}

/* The bearer token, compared in constant time (token_equal). */
static bool authorized(struct req *q)
{
	const char *h = http_header(q->c, "Authorization");

	return h && !strncmp(h, "Bearer ", 7) &&
	       token_equal(q->r->token, h + 7);
}

/* Only /healthz and /metrics are open, and /metrics only by default. */
static bool needs_token(const struct req *q)
{
	if (q->ep == EP_METRICS && q->r->metrics_token)
		return true;
	return !q->route->open;
}

static void on_request(void *cls, struct http_req *c)
{
	struct req q = { .r = cls, .c = c, .ep = EP_OTHER };
	const char *method = http_method(c);

	q.resumed = http_resumed(c);
	q.route = route_of(http_path(c), q.name, sizeof(q.name));
	if (!q.route) {
		fail(&q, 404, "no such path; see docs/openapi.yaml");
		return;
	}
	q.ep = q.route->ep;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		fail(&q, 405, "%.16s is not allowed: the REST API is"
		     " read-only (GET, HEAD)", method);
		return;
	}
	if (needs_token(&q) && !authorized(&q)) {
		fail(&q, 401, "a bearer token is required"
		     " (Authorization: Bearer TOKEN)");
		return;
	}
	if (!http_query_each(c, on_param, &q) || q.err[0]) {
		fail(&q, 400, "%s", q.err);
		return;
	}
	q.route->fn(&q);
}

/* --- start and stop ------------------------------------------------------- */

/* "ADDR:PORT" or "[ADDR6]:PORT" into ss. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;
	size_t n;

	if (!colon || colon == spec)
		return -EINVAL;
	n = (size_t)(colon - spec);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535 ||
	    n >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ?
			0 : -EINVAL;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &in4->sin_addr) == 1 ? 0 : -EINVAL;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in4 = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/* The peers' base URLs: separated by spaces or commas, http(s) only. */
static int start_peers(struct rest *r, const struct verged_config *c)
{
	char *list, *tok, *save = NULL, *urls[64];
	size_t n = 0;
	int err = 0;

	if (!c->rest_peers || !*c->rest_peers)
		return 0;
	list = strdup(c->rest_peers);
	if (!list)
		return -ENOMEM;
	for (tok = strtok_r(list, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		if ((strncmp(tok, "http://", 7) && strncmp(tok, "https://", 8))
		    || n == sizeof(urls) / sizeof(urls[0])) {
			log_err("rest: peer '%s': expected an http:// or"
				" https:// base URL (at most 64 peers)", tok);
			err = -EINVAL;
			break;
		}
		urls[n++] = tok;
	}
	if (!err && n)
		err = peers_start(urls, n, c->rest_peer_timeout_ms,
				  c->rest_peer_cache_ms, r->token, &r->peers);
	free(list);
	return err;
}

static int start_http(struct rest *r, const struct verged_config *c,
		      const struct sockaddr_storage *ss)
{
	struct http_config hc = {
		.addr = ss,
		.threads = REST_THREADS,
		.max_conns = (unsigned)c->rest_max_connections,
		.max_per_ip = (unsigned)c->rest_max_per_ip,
		.timeout_s = (unsigned)c->rest_timeout_s,
		.backlog = REST_BACKLOG,
		.handler = on_request,
		.arg = r,
	};

	return http_start(&hc, &r->http);
}

static char *host_name(const struct verged_config *c)
{
	char h[256];

	if (c->rest_host && *c->rest_host)
		return strdup(c->rest_host);
	if (gethostname(h, sizeof(h)))
		snprintf(h, sizeof(h), "localhost");
	h[sizeof(h) - 1] = '\0';
	return strdup(h);
}

static void rest_free(struct rest *r)
{
	size_t i;

	for (i = 0; i < r->nreaders; i++)
		store_close(r->readers[i]);
	for (i = 0; i < r->nstats; i++)
		free(r->stats[i].name);
	free(r->stats);
	snapshot_slot_destroy(&r->slot);
	fleet_cache_destroy(&r->fleet_cache);
	pthread_mutex_destroy(&r->pool_lock);
	free(r->token);
	free(r->host);
	free(r->self_url);
	free(r->db_path);
	free(r);
}

static void handle_closed(uv_handle_t *h)
{
	struct rest *r = h->data;

	/* the last of the handles frees */
	if (--r->handles == 0)
		rest_free(r);
}

/* The etcd thread's membership, as the fan-out's URLs (?detail=vms). */
static void members_changed(void *arg, char *const *urls, size_t n)
{
	struct rest *r = arg;

	if (r->peers && peers_set_urls(r->peers, urls, n))
		log_err("rest: out of memory; ?detail=vms uses the old"
			" membership");
}

/* [fleet] url, else http:// and the listen address (the host name for
 * an unspecified address: others cannot reach 0.0.0.0). */
static char *self_url(const struct verged_config *c, const char *host,
		      const struct sockaddr_storage *ss)
{
	const char *colon = strrchr(c->rest_listen, ':');
	const struct sockaddr_in *in4 = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;
	bool any = ss->ss_family == AF_INET ?
		in4->sin_addr.s_addr == htonl(INADDR_ANY) :
		IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	char *u;

	if (c->fleet_url && *c->fleet_url) {
		size_t len = strlen(c->fleet_url);

		while (len && c->fleet_url[len - 1] == '/')
			len--;
		return strndup(c->fleet_url, len);
	}
	if (any) {
		if (asprintf(&u, "http://%s%s", host, colon) < 0)
			return NULL;
		return u;
	}
	if (asprintf(&u, "http://%s", c->rest_listen) < 0)
		return NULL;
	return u;
}

static int start_etcd(struct rest *r, const struct verged_config *c)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	if (!c->fleet_etcd || !*c->fleet_etcd)
		return 0;
	r->cpus = cpus > 0 ? (unsigned)cpus : 0;
	r->memory_mib = pages > 0 && psize > 0 ?
		(uint64_t)pages * (uint64_t)psize >> 20 : 0;
	/* the fan-out of ?detail=vms, to whoever is registered */
	err = peers_start(NULL, 0, c->rest_peer_timeout_ms,
			  c->rest_peer_cache_ms, r->token, &r->peers);
	if (err)
		return err;
	err = etcd_start(c, r->host, members_changed, r, &r->etcd);
	if (!err)
		rest_register_self(r);
	return err;
}

int rest_start(struct verged *d)
{
	const struct verged_config *c = &d->cfg;
	struct sockaddr_storage ss;
	struct rest *r;
	int err;

	if (!strcmp(c->rest_listen, "off"))
		return 0;
	if (parse_listen(c->rest_listen, &ss)) {
		log_err("rest: '%s': expected ADDR:PORT, [ADDR6]:PORT or off",
			c->rest_listen);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->d = d;
	snapshot_slot_init(&r->slot);
	fleet_cache_init(&r->fleet_cache);
	pthread_mutex_init(&r->pool_lock, NULL);
	r->host = host_name(c);
	r->db_path = strdup(d->state_db);
	r->self_url = r->host ? self_url(c, r->host, &ss) : NULL;
	if (!r->host || !r->db_path || !r->self_url) {
		rest_free(r);
		return -ENOMEM;
	}
	/* Every path but /healthz and /metrics needs the token, on
	 * loopback too: the socket's group is the boundary. */
	r->metrics_token = c->rest_metrics_token;
	err = token_load(c->rest_token_file, d->group, d->has_group,
			 &r->token);
	if (err) {
		rest_free(r);
		return err;
	}
	if (!is_loopback(&ss))
		log_info("rest: %s is not loopback: the bearer token travels"
			 " in clear text over http", c->rest_listen);
	uv_timer_init(d->loop, &r->publish_timer);
	uv_timer_init(d->loop, &r->record_timer);
	uv_async_init(d->loop, &r->wake, rest_wake_cb);
	r->publish_timer.data = r->record_timer.data = r->wake.data = r;
	r->handles = 3;
	d->rest = r;
	rest_publish(r);
	err = start_peers(r, c);
	if (!err)
		err = start_etcd(r, c);
	if (!err && r->etcd)
		uv_timer_start(&r->record_timer, rest_record_cb, 5000,
			       5000);
	if (!err && (err = start_http(r, c, &ss)))
		log_msg(c->rest_explicit ? LOG_LVL_ERR : LOG_LVL_WARN,
			"rest: cannot listen on %s (in use, or not an address"
			" of this host?)%s", c->rest_listen, c->rest_explicit ?
			"" : "; the REST API is off (set [rest] listen)");
	if (err) {
		rest_stop(d);
		/* The default address is a convenience, not a promise: a
		 * second verged on the host runs without REST. */
		return c->rest_explicit || err != -EADDRNOTAVAIL ? err : 0;
	}
	log_info("rest: listening on http://%s/ as host '%s' (token in %s)",
		 c->rest_listen, r->host, c->rest_token_file);
	return 0;
}

void rest_stop(struct verged *d)
{
	struct rest *r = d->rest;

	if (!r)
		return;
	d->rest = NULL;
	/* The peers first: they resume the requests waiting for them,
	 * which then answer 503; freed once no REST thread can use them. */
	peers_stop(r->peers);
	http_stop(r->http);
	r->http = NULL;
	/* no REST thread reads its view now; it revokes the lease */
	etcd_stop(r->etcd);
	r->etcd = NULL;
	peers_free(r->peers);
	r->peers = NULL;
	uv_close((uv_handle_t *)&r->publish_timer, handle_closed);
	uv_close((uv_handle_t *)&r->record_timer, handle_closed);
	uv_close((uv_handle_t *)&r->wake, handle_closed);
}
