// SPDX-License-Identifier: Apache-2.0
/*
 * The fleet registry in etcd (etcd.h), over etcd's v3 JSON gateway
 * (/v3/kv/put, /v3/kv/range, /v3/lease/grant, /v3/lease/keepalive,
 * /v3/lease/revoke, /v3/watch, /v3/auth/authenticate; keys and values in
 * base64, 64-bit integers as JSON strings). What etcd answers is untrusted
 * input: size-limited, parsed, every record checked and serialized again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "curlfn.h"
#include "etcd.h"
#include "log.h"
#include "verged.h"

/* libcurl, loaded at the first etcd_start() (curlfn.h) */
static const struct curl_fns *cu;

struct member {
	char *name;
	char *entry, *sd, *url;
};

struct etcd {
	pthread_t thread;
	/* settings */
	char **urls;
	size_t nurls, cur;	/* cur: the endpoint that answered last */
	char *endpoints;
	char *host, *key, *range_key, *range_end;	/* keys in base64 */
	char *prefix_hosts;	/* PREFIX/hosts/ in clear */
	char *ca, *cert, *key_file, *user, *password;
	int ttl_s, timeout_ms;
	etcd_members_fn members_fn;
	void *members_arg;
	/* the thread's own */
	CURL *easy;		/* short requests, connection reused */
	CURLM *multi;		/* the watch */
	CURL *watch;
	double watch_at;	/* mono ms: when it was started */
	struct buf watch_buf;
	bool watch_broken;
	char *auth;		/* "Authorization: TOKEN" or NULL */
	char lease[24];		/* "" when none */
	double next_keepalive, next_write;
	char *written;		/* the record etcd has */
	struct member *m;	/* sorted by name */
	size_t nm;
	bool reachable, registered, synced;
	double since;
	int failures;		/* consecutive failed rounds */
	bool warned_twin;	/* another host writes our key */
	double fail_at;		/* wall s: the first of them */
	char error[256];
	/* shared with the loop and the REST threads */
	pthread_mutex_t lock;
	bool stopping;
	char *record;		/* the loop's latest */
	char *self;		/* its /v1/hosts entry (etcd_self_entry) */
	struct etcd_view *view;
	atomic_uint_fast64_t writes;
};

/* --- base64 (RFC 4648, padded) ------------------------------------------- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const void *data, size_t n)
{
	const unsigned char *p = data;
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 63];
	}
	if (i < n) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < n) {
			*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Decoded into a NUL-terminated buffer; NULL if s is not base64. */
static char *b64_decode(const char *s, size_t *ret_len)
{
	size_t n = strlen(s), i, o = 0;
	unsigned acc = 0, bits = 0;
	const char *c;
	char *out;

	if (n % 4)
		return NULL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			/* padding: the last one or two characters only */
			if (i < n - 2 || (i == n - 2 && s[n - 1] != '='))
				break;
			i = n;
			break;
		}
		c = strchr(b64, s[i]);
		if (!c)
			break;
		acc = (acc << 6) | (unsigned)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (i < n) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	*ret_len = o;
	return out;
}

/* --- the record ----------------------------------------------------------- */

char *etcd_record(const struct etcd_self *s)
{
	json_t *states = json_object(), *j;
	unsigned total = 0;
	char *text;
	size_t i;

	if (!states)
		return NULL;
	for (i = 0; i < s->nstates; i++) {
		json_object_set_new(states, s->state_names[i],
				    json_integer(s->state_counts[i]));
		total += s->state_counts[i];
	}
	j = json_pack("{ss ss ss si ss? s{si sI} s{si so s{si si si}"
		      " s{si si si}}}",
		      "name", s->name, "url", s->url, "version", s->version,
		      "api", s->api,
		      "site", s->site && *s->site ? s->site : NULL,
		      "capacity", "cpus", (int)s->cpus, "memory_mib",
		      (json_int_t)s->memory_mib,
		      "summary", "vms", (int)total, "states", states,
		      "agent", "ok", (int)s->agent_ok, "stale",
		      (int)s->agent_stale, "none", (int)s->agent_none,
		      "clock", "exact", (int)s->clock_exact, "dilation",
		      (int)s->clock_dilation, "unreported",
		      (int)s->clock_unreported);
	if (!j)
		return NULL;
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return text;
}

static bool is_url(const char *u)
{
	return (!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) &&
	       strlen(u) <= 512 && !strpbrk(u, " \t\r\n\"\\");
}

char *etcd_sd_group(const char *url, const char *name, const char *version,
		    const char *site)
{
	bool tls = !strncmp(url, "https://", 8);
	const char *host = url + (tls ? 8 : 7);
	size_t len = strcspn(host, "/");
	struct buf b = { 0 };
	char target[520];

	snprintf(target, sizeof(target), "%.*s", (int)len, host);
	buf_str(&b, "{\"targets\":[");
	buf_json_str(&b, target);
	buf_str(&b, "],\"labels\":{\"__scheme__\":");
	buf_json_str(&b, tls ? "https" : "http");
	buf_str(&b, ",\"__metrics_path__\":\"/metrics\",\"host\":");
	buf_json_str(&b, name);
	if (version) {
		buf_str(&b, ",\"version\":");
		buf_json_str(&b, version);
	}
	if (site && *site) {
		buf_str(&b, ",\"site\":");
		buf_json_str(&b, site);
	}
	buf_str(&b, "}}");
	return buf_steal(&b, NULL);
}

/* Every value of o is a non-negative integer below 2^31 (a count). */
static bool counts(json_t *o)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o) || json_object_size(o) > 32)
		return false;
	json_object_foreach(o, k, v)
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 0x7fffffff || strlen(k) > 32)
			return false;
	return true;
}

int etcd_parse_record(const char *key_name, const char *value, size_t len,
		      char **ret_entry, char **ret_sd, char **ret_url,
		      char *err, size_t errsize)
{
	json_t *root, *cap, *sum, *site = NULL, *states, *agent, *clock, *out;
	const char *name, *url, *version;
	json_int_t api, vms, cpus, mem;
	json_error_t je;
	int r = -EBADMSG;

	*ret_entry = *ret_sd = *ret_url = NULL;
	if (len > ETCD_MAX_RECORD) {
		snprintf(err, errsize, "record larger than %d bytes",
			 ETCD_MAX_RECORD);
		return -EBADMSG;
	}
	root = json_loadb(value, len, JSON_REJECT_DUPLICATES, &je);
	if (!root || json_unpack_ex(root, &je, 0,
			"{s:s s:s s:s s:I s?o s:{s:I s:I} s:o}", "name", &name,
			"url", &url, "version", &version, "api", &api, "site",
			&site, "capacity", "cpus", &cpus, "memory_mib", &mem,
			"summary", &sum) ||
	    json_unpack_ex(sum, &je, 0, "{s:I s:o s:o s:o}", "vms", &vms,
			   "states", &states, "agent", &agent, "clock",
			   &clock)) {
		snprintf(err, errsize, "not a verge host record: %s",
			 je.text);
		goto out;
	}
	if (strcmp(name, key_name)) {
		snprintf(err, errsize, "its name '%.64s' is not its key's",
			 name);
		goto out;
	}
	if (!is_url(url) || strlen(version) > 32 || api < 1 || api > 1000 ||
	    vms < 0 || vms > 0x7fffffff || cpus < 0 || cpus > 1000000 ||
	    mem < 0 || mem > ((json_int_t)1 << 40) || !counts(states) ||
	    !counts(agent) || !counts(clock) ||
	    !(!site || json_is_null(site) || (json_is_string(site) &&
					      json_string_length(site) <= 64))) {
		snprintf(err, errsize, "a field out of range");
		goto out;
	}
	cap = json_pack("{sI sI}", "cpus", cpus, "memory_mib", mem);
	out = json_pack("{ss ss sb sb ss sI sI sn sn sO so s{sI sO sO sO}}",
			"name", name, "url", url, "self", 0, "reachable", 1,
			"version", version, "api", api, "vms", vms, "error",
			"latency_ms", "site", site ? site : json_null(),
			"capacity", cap, "summary", "vms", vms, "states",
			states, "agent", agent, "clock", clock);
	if (!out) {
		snprintf(err, errsize, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	*ret_entry = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(out);
	*ret_sd = etcd_sd_group(url, name, version,
				json_is_string(site) ? json_string_value(site)
						     : NULL);
	*ret_url = strdup(url);
	if (*ret_entry && *ret_sd && *ret_url) {
		r = 0;
	} else {
		free(*ret_entry);
		free(*ret_sd);
		free(*ret_url);
		*ret_entry = *ret_sd = *ret_url = NULL;
		snprintf(err, errsize, "out of memory");
		r = -ENOMEM;
	}
out:
	json_decref(root);
	return r;
}

/* --- the membership ------------------------------------------------------- */

static void member_free(struct member *m)
{
	free(m->name);
	free(m->entry);
	free(m->sd);
	free(m->url);
}

static void members_clear(struct etcd *e)
{
	size_t i;

	for (i = 0; i < e->nm; i++)
		member_free(&e->m[i]);
	free(e->m);
	e->m = NULL;
	e->nm = 0;
}

static size_t member_pos(struct etcd *e, const char *name, bool *found)
{
	size_t lo = 0, hi = e->nm;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(e->m[mid].name, name);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void member_del(struct etcd *e, const char *name)
{
	bool found;
	size_t i = member_pos(e, name, &found);

	if (!found)
		return;
	member_free(&e->m[i]);
	memmove(&e->m[i], &e->m[i + 1], (e->nm - i - 1) * sizeof(e->m[0]));
	e->nm--;
}

/* A key of the prefix and its value (base64 both) into the membership. */
static void member_put(struct etcd *e, const char *key64, const char *val64)
{
	struct member nm = { 0 }, *grown;
	char *key = NULL, *val = NULL, err[160];
	size_t klen, vlen, plen = strlen(e->prefix_hosts), i;
	bool found;

	key = b64_decode(key64 ? key64 : "", &klen);
	if (!key || klen <= plen || strncmp(key, e->prefix_hosts, plen) ||
	    strlen(key) != klen || klen - plen > 255) {
		log_debug("etcd: a key under the prefix that is not a host's");
		goto out;
	}
	val = b64_decode(val64 ? val64 : "", &vlen);
	if (!val || etcd_parse_record(key + plen, val, vlen, &nm.entry, &nm.sd,
				      &nm.url, err, sizeof(err))) {
		log_warn("etcd: %s: %s; left out of the fleet", key,
			 val ? err : "value not base64");
		member_del(e, key + plen);
		goto out;
	}
	/* Our key with a record we did not write: two hosts share a name
	 * (etcd keeps the last writer's, bound to its lease). */
	if (!strcmp(key + plen, e->host) && e->written &&
	    strcmp(val, e->written) && !e->warned_twin) {
		log_warn("etcd: another host registers as '%s' (%s): host"
			 " names must be unique in a fleet", e->host, nm.url);
		e->warned_twin = true;
	}
	nm.name = strdup(key + plen);
	if (!nm.name)
		goto out;
	i = member_pos(e, nm.name, &found);
	if (found) {
		member_free(&e->m[i]);
		e->m[i] = nm;
		memset(&nm, 0, sizeof(nm));
		goto out;
	}
	grown = realloc(e->m, (e->nm + 1) * sizeof(*grown));
	if (!grown)
		goto out;
	e->m = grown;
	memmove(&e->m[i + 1], &e->m[i], (e->nm - i) * sizeof(e->m[0]));
	e->m[i] = nm;
	e->nm++;
	memset(&nm, 0, sizeof(nm));
out:
	member_free(&nm);
	free(key);
	free(val);
}

static void member_delete_key(struct etcd *e, const char *key64)
{
	size_t klen, plen = strlen(e->prefix_hosts);
	char *key = b64_decode(key64 ? key64 : "", &klen);

	if (key && klen > plen && !strncmp(key, e->prefix_hosts, plen)) {
		member_del(e, key + plen);
		/* our record deleted under our live lease (by hand, or by a
		 * twin's lease): written again at once */
		if (!strcmp(key + plen, e->host) && e->registered) {
			log_warn("etcd: this host's record was deleted;"
				 " writing it again");
			free(e->written);
			e->written = NULL;
			e->registered = false;
		}
	}
	free(key);
}

void etcd_view_unref(struct etcd_view *v)
{
	if (!v || atomic_fetch_sub_explicit(&v->refs, 1,
					    memory_order_acq_rel) != 1)
		return;
	free(v->hosts);
	free(v->stale);
	free(v->sd);
	free(v);
}

/* A new view of the membership and the connection's state. */
static void publish(struct etcd *e)
{
	struct buf hosts = { 0 }, sd = { 0 }, stale = { 0 };
	struct etcd_view *v = calloc(1, sizeof(*v)), *old;
	char **urls = calloc(e->nm + 1, sizeof(*urls));
	size_t i, n = 0;

	if (!v || !urls) {
		free(v);
		free(urls);
		log_err("etcd: out of memory; the fleet view is stale");
		return;
	}
	atomic_init(&v->refs, 1);
	v->reachable = e->reachable;
	v->registered = e->registered;
	v->synced = e->synced;
	v->since = e->since;
	snprintf(v->error, sizeof(v->error), "%s", e->error);
	for (i = 0; i < e->nm; i++) {
		if (!strcmp(e->m[i].name, e->host))
			continue;
		if (n) {
			buf_add(&hosts, ",", 1);
			buf_add(&sd, ",", 1);
			buf_add(&stale, ",", 1);
		}
		buf_str(&hosts, e->m[i].entry);
		/* an entry is an object: "}" ends it */
		buf_add(&stale, e->m[i].entry, strlen(e->m[i].entry) - 1);
		buf_str(&stale, ",\"stale\":true}");
		buf_str(&sd, e->m[i].sd);
		urls[n++] = e->m[i].url;
	}
	buf_add(&hosts, "", 0);
	buf_add(&sd, "", 0);
	buf_add(&stale, "", 0);
	v->n = n;
	v->hosts = buf_steal(&hosts, &v->hosts_len);
	v->sd = buf_steal(&sd, &v->sd_len);
	v->stale = buf_steal(&stale, &v->stale_len);
	if (!v->hosts || !v->sd || !v->stale) {
		etcd_view_unref(v);
		free(urls);
		return;
	}
	if (e->members_fn)
		e->members_fn(e->members_arg, urls, n);
	free(urls);
	pthread_mutex_lock(&e->lock);
	old = e->view;
	e->view = v;
	pthread_mutex_unlock(&e->lock);
	etcd_view_unref(old);
}

struct etcd_view *etcd_view_get(struct etcd *e)
{
	struct etcd_view *v;

	pthread_mutex_lock(&e->lock);
	v = e->view;
	if (v)
		atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&e->lock);
	return v;
}

/* --- requests ------------------------------------------------------------- */

static bool stopping(struct etcd *e)
{
	bool s;

	pthread_mutex_lock(&e->lock);
	s = e->stopping;
	pthread_mutex_unlock(&e->lock);
	return s;
}

/* Aborts a request in flight when verged stops. */
static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
		       curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	return stopping(arg) ? 1 : 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > ETCD_MAX_BODY)
		return 0;
	buf_add(b, p, n);
	return b->oom ? 0 : n;
}

static void setup(struct etcd *e, CURL *h, const char *url,
		  struct curl_slist *headers, long timeout_ms)
{
	curl_fns_setup(h, url, e->timeout_ms, timeout_ms, headers);
	cu->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	cu->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	cu->easy_setopt(h, CURLOPT_XFERINFODATA, e);
	if (e->ca)
		cu->easy_setopt(h, CURLOPT_CAINFO, e->ca);
	if (e->cert) {
		cu->easy_setopt(h, CURLOPT_SSLCERT, e->cert);
		cu->easy_setopt(h, CURLOPT_SSLKEY, e->key_file);
	}
}

static struct curl_slist *headers_of(struct etcd *e)
{
	struct curl_slist *h = cu->slist_append(NULL,
					"Content-Type: application/json");

	if (h && e->auth)
		h = cu->slist_append(h, e->auth);
	return h;
}

/* The gateway's error: {"error":"...","code":N} (or "result" wrapped). */
static const char *error_of(json_t *j)
{
	json_t *err = json_object_get(j, "error");

	if (json_is_object(err))
		err = json_object_get(err, "message");
	return json_is_string(err) ? json_string_value(err) : NULL;
}

enum { ONE_TRY = 1 };

/*
 * POSTs body to path on the endpoints, from the one that answered last,
 * until one answers: a transport error or a 5xx moves on to the next.
 * Returns 0 with *ret (the parsed answer), or -EIO (no endpoint
 * answered), -EPROTO (etcd refused; its message in e->error), -EACCES
 * (the auth token is no longer valid).
 */
static int call_once(struct etcd *e, const char *path, const char *body,
		     long timeout_ms, int flags, json_t **ret)
{
	struct buf b = { 0 };
	struct curl_slist *h = headers_of(e);
	char url[640], why[200] = "";
	size_t i, tries = flags & ONE_TRY ? 1 : e->nurls;
	int r = -EIO;

	*ret = NULL;
	for (i = 0; i < tries && !stopping(e); i++) {
		size_t ep = (e->cur + i) % e->nurls;
		CURLcode res;
		json_error_t je;
		const char *msg;
		long code = 0;

		b.len = 0;
		snprintf(url, sizeof(url), "%s%s", e->urls[ep], path);
		cu->easy_reset(e->easy);
		setup(e, e->easy, url, h, timeout_ms);
		cu->easy_setopt(e->easy, CURLOPT_POSTFIELDS, body);
		cu->easy_setopt(e->easy, CURLOPT_WRITEFUNCTION, on_body);
		cu->easy_setopt(e->easy, CURLOPT_WRITEDATA, &b);
		res = cu->easy_perform(e->easy);
		cu->easy_getinfo(e->easy, CURLINFO_RESPONSE_CODE, &code);
		if (res != CURLE_OK || code >= 500 || code == 0) {
			json_t *j = json_loadb(b.data ? b.data : "", b.len, 0,
					       NULL);

			msg = error_of(j);
			snprintf(why, sizeof(why), "%s: %s", e->urls[ep],
				 res != CURLE_OK ? cu->easy_strerror(res) :
				 msg ? msg : "HTTP status 5xx");
			json_decref(j);
			log_debug("etcd: %s%s: %s", e->urls[ep], path, why);
			continue;
		}
		e->cur = ep;
		*ret = json_loadb(b.data ? b.data : "", b.len, 0, &je);
		msg = error_of(*ret);
		if (!*ret) {
			snprintf(why, sizeof(why), "%s: not JSON: %s",
				 e->urls[ep], je.text);
			r = -EPROTO;
		} else if (msg && (strstr(msg, "invalid auth token") ||
				   strstr(msg, "user name is empty"))) {
			snprintf(why, sizeof(why), "%s: %s", e->urls[ep], msg);
			r = -EACCES;
		} else if (msg || code != 200) {
			snprintf(why, sizeof(why), "%s: %s", e->urls[ep],
				 msg ? msg : "unexpected HTTP status");
			r = -EPROTO;
		} else {
			r = 0;
		}
		if (r) {
			json_decref(*ret);
			*ret = NULL;
		}
		break;
	}
	if (r)
		snprintf(e->error, sizeof(e->error), "%s", why[0] ? why :
			 "stopping");
	cu->slist_free_all(h);
	buf_free(&b);
	return r;
}

static int authenticate(struct etcd *e)
{
	json_t *req, *ans;
	char *body, *hdr;
	const char *token;
	int r;

	free(e->auth);
	e->auth = NULL;
	req = json_pack("{ss ss}", "name", e->user, "password", e->password);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		return -ENOMEM;
	r = call_once(e, "/v3/auth/authenticate", body, e->timeout_ms, 0,
		      &ans);
	free(body);
	if (r)
		return r == -EACCES ? -EPROTO : r;
	token = json_string_value(json_object_get(ans, "token"));
	if (!token || strlen(token) > 4096 || strpbrk(token, "\r\n")) {
		snprintf(e->error, sizeof(e->error), "etcd authentication:"
			 " no token in the answer");
		json_decref(ans);
		return -EPROTO;
	}
	r = asprintf(&hdr, "Authorization: %s", token) < 0 ? -ENOMEM : 0;
	if (!r)
		e->auth = hdr;
	json_decref(ans);
	return r;
}

/* call_once() with a login first, and again when the token expired. */
static int call(struct etcd *e, const char *path, const char *body,
		json_t **ret)
{
	int r;

	if (e->user && !e->auth && (r = authenticate(e)))
		return r;
	r = call_once(e, path, body, e->timeout_ms, 0, ret);
	if (r == -EACCES && e->user) {
		if ((r = authenticate(e)))
			return r;
		r = call_once(e, path, body, e->timeout_ms, 0, ret);
	}
	return r;
}

/* --- registration --------------------------------------------------------- */

static int grant(struct etcd *e)
{
	char body[64];
	const char *id;
	json_t *ans;
	int r;

	snprintf(body, sizeof(body), "{\"TTL\":%d}", e->ttl_s);
	if ((r = call(e, "/v3/lease/grant", body, &ans)))
		return r;
	id = json_string_value(json_object_get(ans, "ID"));
	if (!id || !*id || strlen(id) >= sizeof(e->lease) ||
	    strspn(id, "0123456789") != strlen(id)) {
		snprintf(e->error, sizeof(e->error), "lease grant: no ID in"
			 " the answer");
		json_decref(ans);
		return -EPROTO;
	}
	snprintf(e->lease, sizeof(e->lease), "%s", id);
	json_decref(ans);
	free(e->written);	/* the new lease needs the record again */
	e->written = NULL;
	e->registered = false;
	e->next_keepalive = verged_mono_ms() + e->ttl_s * 1000.0 / 3;
	log_info("etcd: lease %s granted (TTL %d s)", e->lease, e->ttl_s);
	return 0;
}

/* Writes the loop's record when it differs from what etcd has. */
static int put_record(struct etcd *e)
{
	char *rec, *val, *body;
	json_t *ans;
	int r;

	pthread_mutex_lock(&e->lock);
	rec = e->record ? strdup(e->record) : NULL;
	pthread_mutex_unlock(&e->lock);
	if (!rec || (e->written && !strcmp(rec, e->written))) {
		free(rec);
		return 0;
	}
	val = b64_encode(rec, strlen(rec));
	if (!val || asprintf(&body, "{\"key\":\"%s\",\"value\":\"%s\","
			     "\"lease\":\"%s\"}", e->key, val, e->lease) < 0) {
		free(val);
		free(rec);
		return -ENOMEM;
	}
	free(val);
	r = call(e, "/v3/kv/put", body, &ans);
	free(body);
	if (r) {
		free(rec);
		return r;
	}
	json_decref(ans);
	free(e->written);
	e->written = rec;
	e->next_write = verged_mono_ms() + ETCD_WRITE_MS;
	atomic_fetch_add(&e->writes, 1);
	if (!e->registered)
		log_info("etcd: registered as %s%s", e->prefix_hosts, e->host);
	e->registered = true;
	return 0;
}

/* 0, -EIO or -EPROTO; -ENOENT when etcd no longer knows the lease. */
static int keepalive(struct etcd *e)
{
	char body[64];
	json_t *ans, *res;
	const char *ttl;
	int r;

	snprintf(body, sizeof(body), "{\"ID\":\"%s\"}", e->lease);
	if ((r = call(e, "/v3/lease/keepalive", body, &ans)))
		return r;
	res = json_object_get(ans, "result");
	ttl = json_string_value(json_object_get(res, "TTL"));
	if (!ttl || atoi(ttl) <= 0) {
		log_warn("etcd: lease %s expired; registering again",
			 e->lease);
		json_decref(ans);
		e->lease[0] = '\0';
		return -ENOENT;
	}
	json_decref(ans);
	e->next_keepalive = verged_mono_ms() + e->ttl_s * 1000.0 / 3;
	return 0;
}

/* --- membership: a range, then a watch from the revision after it -------- */

static void stop_watch(struct etcd *e)
{
	if (!e->watch)
		return;
	cu->multi_remove_handle(e->multi, e->watch);
	cu->easy_cleanup(e->watch);
	e->watch = NULL;
	e->watch_buf.len = 0;
}

/* One message of the watch stream. */
static void watch_message(struct etcd *e, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, 0, NULL), *res, *events, *ev;
	const char *type;
	size_t i;

	res = json_object_get(j, "result");
	if (!res) {
		log_warn("etcd: the watch ended: %s", error_of(j) ?:
			 "not a watch message");
		e->watch_broken = true;
		json_decref(j);
		return;
	}
	if (json_is_true(json_object_get(res, "canceled")) ||
	    json_object_get(res, "compact_revision")) {
		log_warn("etcd: the watch was canceled; reading again");
		e->watch_broken = true;
		json_decref(j);
		return;
	}
	events = json_object_get(res, "events");
	json_array_foreach(events, i, ev) {
		json_t *kv = json_object_get(ev, "kv");
		const char *key = json_string_value(json_object_get(kv, "key"));

		type = json_string_value(json_object_get(ev, "type"));
		if (!key)
			continue;
		if (type && !strcmp(type, "DELETE"))
			member_delete_key(e, key);
		else
			member_put(e, key, json_string_value(
					   json_object_get(kv, "value")));
	}
	if (json_array_size(events))
		publish(e);
	json_decref(j);
}

static size_t on_watch(char *p, size_t size, size_t nmemb, void *arg)
{
	struct etcd *e = arg;
	size_t n = size * nmemb, start = 0, i;
	struct buf *b = &e->watch_buf;

	if (b->len + n > ETCD_MAX_BODY)
		return 0;
	buf_add(b, p, n);
	if (b->oom)
		return 0;
	for (i = 0; i < b->len; i++) {
		if (b->data[i] != '\n')
			continue;
		if (i > start)
			watch_message(e, b->data + start, i - start);
		start = i + 1;
	}
	memmove(b->data, b->data + start, b->len - start);
	b->len -= start;
	return n;
}

static int start_watch(struct etcd *e, const char *revision)
{
	struct curl_slist *h;
	char url[640], *body;
	long long rev = atoll(revision);

	if (asprintf(&body, "{\"create_request\":{\"key\":\"%s\",\"range_end\":"
		     "\"%s\",\"start_revision\":\"%lld\"}}", e->range_key,
		     e->range_end, rev + 1) < 0)
		return -ENOMEM;
	e->watch = cu->easy_init();
	h = headers_of(e);
	if (!e->watch || !h) {
		free(body);
		cu->slist_free_all(h);
		if (e->watch)
			cu->easy_cleanup(e->watch);
		e->watch = NULL;
		return -ENOMEM;
	}
	snprintf(url, sizeof(url), "%s/v3/watch", e->urls[e->cur]);
	setup(e, e->watch, url, h, 0);
	cu->easy_setopt(e->watch, CURLOPT_COPYPOSTFIELDS, body);
	cu->easy_setopt(e->watch, CURLOPT_WRITEFUNCTION, on_watch);
	cu->easy_setopt(e->watch, CURLOPT_WRITEDATA, e);
	cu->easy_setopt(e->watch, CURLOPT_PRIVATE, h);
	/* a dead peer on a silent connection is found by TCP keepalives */
	cu->easy_setopt(e->watch, CURLOPT_TCP_KEEPALIVE, 1L);
	cu->easy_setopt(e->watch, CURLOPT_TCP_KEEPIDLE, 5L);
	cu->easy_setopt(e->watch, CURLOPT_TCP_KEEPINTVL, 2L);
	free(body);
	e->watch_broken = false;
	e->watch_buf.len = 0;
	e->watch_at = verged_mono_ms();
	cu->multi_add_handle(e->multi, e->watch);
	return 0;
}

static void free_watch_headers(struct etcd *e)
{
	struct curl_slist *h = NULL;

	if (!e->watch)
		return;
	cu->easy_getinfo(e->watch, CURLINFO_PRIVATE, (char **)&h);
	cu->slist_free_all(h);
}

static void end_watch(struct etcd *e)
{
	free_watch_headers(e);
	stop_watch(e);
}

/* The whole membership with one range request, then a watch after it. */
static int sync_members(struct etcd *e)
{
	json_t *ans, *kvs, *kv;
	char *body, rev[24];
	const char *r64;
	size_t i;
	int r;

	end_watch(e);
	if (asprintf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\"}",
		     e->range_key, e->range_end) < 0)
		return -ENOMEM;
	r = call(e, "/v3/kv/range", body, &ans);
	free(body);
	if (r)
		return r;
	r64 = json_string_value(json_object_get(json_object_get(ans, "header"),
						"revision"));
	if (!r64 || strspn(r64, "0123456789") != strlen(r64) ||
	    strlen(r64) >= sizeof(rev)) {
		snprintf(e->error, sizeof(e->error), "range: no revision in"
			 " the answer");
		json_decref(ans);
		return -EPROTO;
	}
	snprintf(rev, sizeof(rev), "%s", r64);
	members_clear(e);
	kvs = json_object_get(ans, "kvs");
	json_array_foreach(kvs, i, kv)
		member_put(e, json_string_value(json_object_get(kv, "key")),
			   json_string_value(json_object_get(kv, "value")));
	json_decref(ans);
	e->synced = true;
	return start_watch(e, rev);
}

/* --- the thread ----------------------------------------------------------- */

static void set_reachable(struct etcd *e, bool up)
{
	if (e->reachable == up && e->since)
		return;
	e->reachable = up;
	e->since = up || !e->fail_at ? verged_now() : e->fail_at;
	if (up) {
		log_info("etcd: reachable at %s", e->urls[e->cur]);
		e->error[0] = '\0';
	} else {
		log_warn("etcd: unreachable: %s", e->error);
	}
}

/* Runs the watch transfer until deadline (mono ms) or a wake-up. */
static void poll_watch(struct etcd *e, double deadline)
{
	int running, left, wait = (int)(deadline - verged_mono_ms());
	CURLMsg *msg;

	if (wait < 0)
		wait = 0;
	if (wait > 1000)
		wait = 1000;
	cu->multi_perform(e->multi, &running);
	while ((msg = cu->multi_info_read(e->multi, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == e->watch) {
			log_debug("etcd: the watch ended: %s",
				  cu->easy_strerror(msg->data.result));
			e->watch_broken = true;
		}
	if (!e->watch_broken)
		cu->multi_poll(e->multi, NULL, 0, wait, NULL);
}

/* One round of what the registration needs; 0 or the failure. */
static int step(struct etcd *e)
{
	double now = verged_mono_ms(), next;
	bool dirty;
	int r;

	if (!e->lease[0] && (r = grant(e)))
		return r;
	pthread_mutex_lock(&e->lock);
	dirty = e->record && (!e->written || strcmp(e->record, e->written));
	pthread_mutex_unlock(&e->lock);
	if (dirty && (!e->registered || now >= e->next_write) &&
	    (r = put_record(e)))
		return r;
	if (e->watch && e->watch_broken &&
	    verged_mono_ms() - e->watch_at < ETCD_RETRY_MS) {
		/* a watch that ends at once is not read again at once */
		cu->multi_poll(e->multi, NULL, 0, (int)(ETCD_RETRY_MS -
					(verged_mono_ms() - e->watch_at)), NULL);
		return 0;
	}
	if (!e->watch || e->watch_broken) {
		if ((r = sync_members(e)))
			return r;
		set_reachable(e, true);
		publish(e);
	}
	if (verged_mono_ms() >= e->next_keepalive) {
		r = keepalive(e);
		if (r == -ENOENT) {
			e->registered = false;
			publish(e);
			return 0;	/* granted again at once */
		}
		if (r)
			return r;
	}
	if (!e->reachable) {
		set_reachable(e, true);
		publish(e);
	}
	next = e->next_keepalive;
	if (dirty && e->next_write < next)
		next = e->next_write;
	poll_watch(e, next);
	return 0;
}

static void *thread_main(void *arg)
{
	struct etcd *e = arg;
	char body[64];
	json_t *ans;
	int r;

	while (!stopping(e)) {
		r = step(e);
		if (!r)
			e->failures = 0;
		if (!r || stopping(e))
			continue;
		if (r == -ENOMEM)
			snprintf(e->error, sizeof(e->error), "out of memory");
		/* Whatever failed, the membership is read again (a watch
		 * on a member that lost its quorum stays silent). */
		end_watch(e);
		/* One failed round may be an election after a member left:
		 * the second in a row is an outage. */
		if (++e->failures == 1)
			e->fail_at = verged_now();
		if (e->failures >= 2 && (e->reachable || !e->since))
			set_reachable(e, false);
		else
			log_debug("etcd: %s", e->error);
		publish(e);
		cu->multi_poll(e->multi, NULL, 0, ETCD_RETRY_MS, NULL);
	}
	end_watch(e);
	if (e->lease[0]) {
		/* leave at once rather than when the TTL runs out */
		snprintf(body, sizeof(body), "{\"ID\":\"%s\"}", e->lease);
		pthread_mutex_lock(&e->lock);
		e->stopping = false;	/* let the one request through */
		pthread_mutex_unlock(&e->lock);
		if (!call_once(e, "/v3/lease/revoke", body, 500, ONE_TRY,
			       &ans))
			log_info("etcd: lease revoked; left the fleet");
		json_decref(ans);
	}
	return NULL;
}

/* --- lifetime ------------------------------------------------------------- */

static void etcd_free(struct etcd *e)
{
	size_t i;

	for (i = 0; i < e->nurls; i++)
		free(e->urls[i]);
	free(e->urls);
	free(e->endpoints);
	free(e->host);
	free(e->key);
	free(e->range_key);
	free(e->range_end);
	free(e->prefix_hosts);
	free(e->ca);
	free(e->cert);
	free(e->key_file);
	free(e->user);
	if (e->password)
		explicit_bzero(e->password, strlen(e->password));
	free(e->password);
	free(e->auth);
	free(e->written);
	free(e->record);
	free(e->self);
	members_clear(e);
	buf_free(&e->watch_buf);
	etcd_view_unref(e->view);
	if (e->easy)
		cu->easy_cleanup(e->easy);
	if (e->multi)
		cu->multi_cleanup(e->multi);
	pthread_mutex_destroy(&e->lock);
	free(e);
	cu->global_cleanup();
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* The password file: one line, the trailing newline dropped. */
static int read_password(const char *path, char **ret)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		int err = -errno;

		log_err("[fleet] etcd_password_file %s: %s", path,
			strerror(-err));
		return err;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (!n) {
		log_err("[fleet] etcd_password_file %s: empty", path);
		return -EINVAL;
	}
	*ret = strdup(line);
	explicit_bzero(line, sizeof(line));
	return *ret ? 0 : -ENOMEM;
}

int etcd_start(const struct verged_config *c, const char *host,
	       etcd_members_fn members, void *arg, struct etcd **ret)
{
	struct etcd *e;
	char *list, *tok, *save = NULL, *k, *end;
	struct buf eps = { 0 };
	const char *why = NULL;
	int err = -ENOMEM;

	*ret = NULL;
	if (!c->fleet_etcd || !*c->fleet_etcd)
		return 0;
	if (strlen(host) > 255 || strchr(host, '/') || !*host) {
		log_err("[fleet] this host's name '%s' cannot be a key: at most"
			" 255 characters, no '/'", host);
		return -EINVAL;
	}
	if (!cu && !(cu = curl_fns_load(&why))) {
		log_err("[fleet] etcd needs libcurl (%s): %s", CURLFN_SONAME,
			why ? why : "not loaded");
		return -ENOPKG;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	cu->global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&e->lock, NULL);
	e->ttl_s = c->fleet_ttl_s;
	e->timeout_ms = c->fleet_timeout_ms;
	e->members_fn = members;
	e->members_arg = arg;
	e->urls = calloc(ETCD_MAX_ENDPOINTS, sizeof(*e->urls));
	list = strdup(c->fleet_etcd);
	if (!e->urls || !list)
		goto fail;
	for (tok = strtok_r(list, " ,\t", &save); tok &&
	     e->nurls < ETCD_MAX_ENDPOINTS; tok = strtok_r(NULL, " ,\t",
							    &save)) {
		size_t len = strlen(tok);

		while (len && tok[len - 1] == '/')
			len--;
		if (!(e->urls[e->nurls] = strndup(tok, len)))
			break;
		if (e->nurls)
			buf_add(&eps, ",", 1);
		buf_str(&eps, e->urls[e->nurls++]);
	}
	free(list);
	buf_add(&eps, "", 0);
	e->endpoints = buf_steal(&eps, NULL);
	e->host = strdup(host);
	if (!e->endpoints || !e->host || !e->nurls ||
	    asprintf(&e->prefix_hosts, "%s/hosts/", c->fleet_prefix) < 0)
		goto fail;
	if (asprintf(&k, "%s%s", e->prefix_hosts, host) < 0)
		goto fail;
	e->key = b64_encode(k, strlen(k));
	free(k);
	e->range_key = b64_encode(e->prefix_hosts, strlen(e->prefix_hosts));
	/* the range's end: the prefix with its last byte plus one */
	end = strdup(e->prefix_hosts);
	if (end) {
		end[strlen(end) - 1]++;
		e->range_end = b64_encode(end, strlen(end));
		free(end);
	}
	e->ca = dup_or_null(c->fleet_ca);
	e->cert = dup_or_null(c->fleet_cert);
	e->key_file = dup_or_null(c->fleet_key);
	e->user = dup_or_null(c->fleet_user);
	if (!e->key || !e->range_key || !e->range_end)
		goto fail;
	if (e->user && (err = read_password(c->fleet_password_file,
					    &e->password)))
		goto fail;
	err = -ENOMEM;
	e->easy = cu->easy_init();
	e->multi = cu->multi_init();
	if (!e->easy || !e->multi)
		goto fail;
	publish(e);	/* "not yet reachable" until the first answer */
	if (pthread_create(&e->thread, NULL, thread_main, e))
		goto fail;
	log_info("etcd: registering as %s%s at %s (TTL %d s)",
		 e->prefix_hosts, host, e->endpoints, e->ttl_s);
	*ret = e;
	return 0;
fail:
	etcd_free(e);
	return err;
}

void etcd_stop(struct etcd *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	cu->multi_wakeup(e->multi);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	etcd_free(e);
}

/* This host's /v1/hosts entry from its record: "self" true. */
static char *self_entry(const char *host, const char *record)
{
	char *entry = NULL, *sd = NULL, *url = NULL, err[160], *p;

	if (etcd_parse_record(host, record, strlen(record), &entry, &sd, &url,
			      err, sizeof(err))) {
		log_err("etcd: this host's own record: %s", err);
		return NULL;
	}
	free(sd);
	free(url);
	/* the entry is ours: "self":false once, in front */
	p = strstr(entry, "\"self\":false");
	if (p) {
		memcpy(p, "\"self\":true,", 12);
		memmove(p + 12, p + 13, strlen(p + 13) + 1);
	}
	return entry;
}

void etcd_set_record(struct etcd *e, char *record)
{
	char *entry;

	if (!e || !record) {
		free(record);
		return;
	}
	pthread_mutex_lock(&e->lock);
	if (e->record && !strcmp(e->record, record)) {
		pthread_mutex_unlock(&e->lock);
		free(record);
		return;
	}
	pthread_mutex_unlock(&e->lock);
	entry = self_entry(e->host, record);
	pthread_mutex_lock(&e->lock);
	free(e->record);
	e->record = record;
	free(e->self);
	e->self = entry;
	cu->multi_wakeup(e->multi);
	pthread_mutex_unlock(&e->lock);
}

char *etcd_self_entry(struct etcd *e)
{
	char *s;

	pthread_mutex_lock(&e->lock);
	s = e->self ? strdup(e->self) : NULL;
	pthread_mutex_unlock(&e->lock);
	return s;
}

const char *etcd_endpoints(const struct etcd *e)
{
	return e->endpoints;
}

uint64_t etcd_writes(struct etcd *e)
{
	return atomic_load(&e->writes);
}
