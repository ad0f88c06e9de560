// SPDX-License-Identifier: Apache-2.0
/*
 * The fan-out thread (peers.h). One curl multi handle, woken with
 * curl_multi_wakeup() when a request wants a new round; a round runs every
 * peer's transfer in parallel and ends when the last one has finished or
 * timed out. A peer's answer is untrusted input: size-limited, parsed,
 * every VM entry checked against the fleet schema and re-serialized.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "curlfn.h"
#include "log.h"
#include "http.h"
#include "peers.h"
#include "verged.h"

struct fetch {
	struct peers *p;
	size_t idx;
	CURL *easy;
	struct buf body;
	bool too_big;
	double t0;
};

struct peers {
	pthread_t thread;
	CURLM *multi;
	struct curl_slist *headers;
	int timeout_ms, cache_ms;
	pthread_mutex_t lock;		/* the fields below */
	char **urls;			/* replaced by peers_set_urls() */
	size_t n;
	struct peers_round *cur;
	bool want_round, stopping;
	struct http_req **waiters;
	size_t nwaiters, capwaiters;
};

/* libcurl (curlfn.h), loaded by the first peers_start() */
static const struct curl_fns *cu;

static void free_vms(struct peer_vm *vm, size_t n)
{
	size_t i;

	for (i = 0; vm && i < n; i++)
		free(vm[i].name);
	free(vm);
}

void peers_round_unref(struct peers_round *r)
{
	size_t i;

	if (!r || atomic_fetch_sub_explicit(&r->refs, 1,
					    memory_order_acq_rel) != 1)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->r[i].url);
		free(r->r[i].host_entry);
		free(r->r[i].vms);
		free(r->r[i].host);
		free_vms(r->r[i].vm, r->r[i].nvms);
	}
	free(r);
}

/* --- one peer's answer ---------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch *f = arg;
	size_t n = size * nmemb;

	if (f->body.len + n > PEERS_MAX_BODY) {
		f->too_big = true;
		return 0;	/* aborts the transfer */
	}
	buf_add(&f->body, p, n);
	return f->body.oom ? 0 : n;
}

/*
 * One fleet entry, checked and re-serialized with the peer's host name.
 * Returns NULL and says why in err.
 */
static json_t *check_entry(json_t *e, const char *host, char *err,
			   size_t errsize)
{
	json_t *uptime, *age, *detect, *clock, *out;
	const char *name, *state, *rate;
	json_int_t boots, freq;
	double rate_value;
	json_error_t je;

	if (json_unpack_ex(e, &je, 0,
			   "{s:s s:s s:o s:I s:o s:o s:o}", "name", &name,
			   "state", &state, "uptime_s", &uptime, "boots",
			   &boots, "clock", &clock, "agent_age_s", &age,
			   "detect", &detect) ||
	    json_unpack_ex(clock, &je, 0, "{s:s s:F s:I}", "rate", &rate,
			   "rate_value", &rate_value, "freq_hz", &freq)) {
		snprintf(err, errsize, "%s", je.text);
		return NULL;
	}
	if (strlen(name) > 64 || strlen(state) > 32 || strlen(rate) > 32 ||
	    !(json_is_null(uptime) || json_is_number(uptime)) ||
	    !(json_is_null(age) || json_is_number(age)) ||
	    !(json_is_null(detect) || (json_is_string(detect) &&
				       json_string_length(detect) <= 64))) {
		snprintf(err, errsize, "VM '%.64s': a field out of range",
			 name);
		return NULL;
	}
	out = json_pack("{ss ss ss sO sI s{ss sf sI} sO sO}", "name", name,
			"host", host, "state", state, "uptime_s", uptime,
			"boots", boots, "clock", "rate", rate, "rate_value",
			rate_value, "freq_hz", freq, "agent_age_s", age,
			"detect", detect);
	if (!out)
		snprintf(err, errsize, "out of memory");
	return out;
}

/* The version and API the peer gives for itself in "hosts". */
static void self_version(struct peer_result *r, json_t *hosts)
{
	const char *version;
	json_int_t api;
	json_t *h;
	size_t i;

	json_array_foreach(hosts, i, h) {
		if (!json_is_true(json_object_get(h, "self")) ||
		    json_unpack(h, "{s:s s:I}", "version", &version, "api",
				&api) || strlen(version) >= sizeof(r->version) ||
		    api < 1 || api > 1000)
			continue;
		snprintf(r->version, sizeof(r->version), "%s", version);
		r->api = (int)api;
		return;
	}
}

static int cmp_vm(const void *a, const void *b)
{
	return strcmp(((const struct peer_vm *)a)->name,
		      ((const struct peer_vm *)b)->name);
}

/* The index of the VMs by name, for paging (rest.c); -EBADMSG when a
 * name comes twice. */
static int sort_vms(struct peer_vm *vm, size_t n, char *err, size_t errsize)
{
	size_t i;

	if (n)
		qsort(vm, n, sizeof(*vm), cmp_vm);
	for (i = 1; i < n; i++)
		if (!strcmp(vm[i - 1].name, vm[i].name)) {
			snprintf(err, errsize, "not a verged fleet answer:"
				 " VM '%.64s' listed twice", vm[i].name);
			return -EBADMSG;
		}
	return 0;
}

/* The body of a reachable peer into r (host name, VM entries). */
static int parse_fleet(struct peer_result *r, const char *text, size_t len,
		       char **ret_host, char *err, size_t errsize)
{
	struct buf vms = { 0 };
	struct peer_vm *vm;
	const char *host;
	json_t *root, *list, *e, *ok;
	json_error_t je;
	size_t i;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root || json_unpack_ex(root, &je, 0, "{s:s s:o}", "host", &host,
				    "vms", &list) || !json_is_array(list) ||
	    strlen(host) > 255) {
		snprintf(err, errsize, "not a verged fleet answer: %s",
			 root ? (json_is_array(list) ? je.text :
				 "no vms array") : je.text);
		json_decref(root);
		return -EBADMSG;
	}
	vm = calloc(json_array_size(list) + 1, sizeof(*vm));
	if (!vm) {
		json_decref(root);
		return -ENOMEM;
	}
	json_array_foreach(list, i, e) {
		char why[160];

		ok = check_entry(e, host, why, sizeof(why));
		if (!ok) {
			snprintf(err, errsize, "not a verged fleet answer:"
				 " vms[%zu]: %s", i, why);
			goto fail;
		}
		if (i)
			buf_add(&vms, ",", 1);
		vm[i].off = vms.len;
		buf_json(&vms, ok);
		vm[i].len = vms.len - vm[i].off;
		vm[i].name = strdup(json_string_value(json_object_get(ok,
								     "name")));
		json_decref(ok);
		if (!vm[i].name) {
			snprintf(err, errsize, "out of memory");
			goto fail;
		}
	}
	if (sort_vms(vm, json_array_size(list), err, errsize))
		goto fail;
	buf_add(&vms, "", 0);
	self_version(r, json_object_get(root, "hosts"));
	r->nvms = json_array_size(list);
	r->vm = vm;
	r->vms = buf_steal(&vms, &r->vms_len);
	*ret_host = strdup(host);
	r->host = *ret_host ? strdup(host) : NULL;
	json_decref(root);
	return r->vms && *ret_host && r->host ? 0 : -ENOMEM;
fail:
	free_vms(vm, json_array_size(list));
	buf_free(&vms);
	json_decref(root);
	return -EBADMSG;
}

static void host_entry(struct peer_result *r, const char *host,
		       const char *error)
{
	struct buf b = { 0 };

	buf_str(&b, "{\"name\":");
	if (host)
		buf_json_str(&b, host);
	else
		buf_str(&b, "null");
	buf_str(&b, ",\"url\":");
	buf_json_str(&b, r->url);
	buf_printf(&b, ",\"self\":false,\"reachable\":%s,\"version\":",
		   r->reachable ? "true" : "false");
	if (r->version[0])
		buf_json_str(&b, r->version);
	else
		buf_str(&b, "null");
	if (r->api)
		buf_printf(&b, ",\"api\":%d,\"vms\":", r->api);
	else
		buf_str(&b, ",\"api\":null,\"vms\":");
	if (r->reachable)
		buf_printf(&b, "%zu,\"error\":null", r->nvms);
	else
		buf_str(&b, "null,\"error\":");
	if (!r->reachable)
		buf_json_str(&b, error);
	buf_printf(&b, ",\"latency_ms\":%.1f}", r->latency_ms);
	r->host_entry = buf_steal(&b, &r->host_entry_len);
}

/* What became of one transfer, into r. */
static void finish(struct fetch *f, CURLcode res, struct peer_result *r)
{
	char err[256] = "", *host = NULL;
	long code = 0;

	r->latency_ms = verged_mono_ms() - f->t0;
	cu->easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
	if (f->too_big)
		snprintf(err, sizeof(err), "answer larger than %u bytes",
			 PEERS_MAX_BODY);
	else if (res != CURLE_OK)
		snprintf(err, sizeof(err), "%s", cu->easy_strerror(res));
	else if (code == 401)
		snprintf(err, sizeof(err), "HTTP status 401: the peer refused"
			 " this host's token (a fleet shares one token)");
	else if (code != 200)
		snprintf(err, sizeof(err), "HTTP status %ld", code);
	else if (parse_fleet(r, f->body.data ? f->body.data : "",
			     f->body.len, &host, err, sizeof(err)) == 0)
		r->reachable = true;
	if (!r->reachable) {
		free(r->vms);
		r->vms = strdup("");
		r->vms_len = 0;
		free_vms(r->vm, r->nvms);
		r->vm = NULL;
		free(r->host);
		r->host = NULL;
		r->nvms = 0;
		log_debug("peer %s: %s", r->url, err);
	}
	host_entry(r, host, err);
	free(host);
}

/* --- a round -------------------------------------------------------------- */

static int add_fetch(struct peers *p, struct fetch *f, size_t idx,
		     const char *base)
{
	char url[2048];

	f->p = p;
	f->idx = idx;
	f->easy = cu->easy_init();
	if (!f->easy)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s/v1/fleet?scope=local", base);
	curl_fns_setup(f->easy, url, p->timeout_ms, p->timeout_ms,
		       p->headers);
	cu->easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
	cu->easy_setopt(f->easy, CURLOPT_PRIVATE, f);
	cu->easy_setopt(f->easy, CURLOPT_ACCEPT_ENCODING, "");
	f->t0 = verged_mono_ms();
	return cu->multi_add_handle(p->multi, f->easy) == CURLM_OK ? 0
								  : -ENOMEM;
}

static bool stopping(struct peers *p)
{
	bool stop;

	pthread_mutex_lock(&p->lock);
	stop = p->stopping;
	pthread_mutex_unlock(&p->lock);
	return stop;
}

/* Transfers still running when verged stops end as errors. */
static void abandon(struct fetch *f, size_t n, struct peers_round *round)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].easy && !round->r[i].host_entry)
			finish(&f[i], CURLE_ABORTED_BY_CALLBACK, &round->r[i]);
}

static struct peers_round *run_round(struct peers *p)
{
	struct peers_round *round;
	struct fetch *f;
	CURLMsg *msg;
	int running = 0, left;
	size_t i, n;

	pthread_mutex_lock(&p->lock);
	n = p->n;
	round = calloc(1, sizeof(*round) + n * sizeof(round->r[0]));
	f = calloc(n ? n : 1, sizeof(*f));
	for (i = 0; round && i < n; i++)
		round->r[i].url = strdup(p->urls[i]);
	pthread_mutex_unlock(&p->lock);
	if (!round || !f) {
		free(round);
		free(f);
		return NULL;
	}
	atomic_init(&round->refs, 1);
	round->n = n;
	for (i = 0; i < n; i++)
		if (!round->r[i].url ||
		    add_fetch(p, &f[i], i, round->r[i].url))
			finish(&f[i], CURLE_OUT_OF_MEMORY, &round->r[i]);
	do {
		cu->multi_perform(p->multi, &running);
		while ((msg = cu->multi_info_read(p->multi, &left))) {
			struct fetch *done;

			if (msg->msg != CURLMSG_DONE)
				continue;
			cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&done);
			finish(done, msg->data.result, &round->r[done->idx]);
		}
		if (running)
			cu->multi_poll(p->multi, NULL, 0, 100, NULL);
	} while (running && !stopping(p));
	abandon(f, n, round);
	for (i = 0; i < n; i++) {
		if (f[i].easy) {
			cu->multi_remove_handle(p->multi, f[i].easy);
			cu->easy_cleanup(f[i].easy);
		}
		buf_free(&f[i].body);
	}
	free(f);
	round->finished_at = verged_now();
	return round;
}

/* Publishes the round and resumes the requests that waited for it. */
static void publish(struct peers *p, struct peers_round *round)
{
	struct http_req **w;
	struct peers_round *old;
	size_t i, n;

	pthread_mutex_lock(&p->lock);
	old = p->cur;
	if (round)
		p->cur = round;
	else
		old = NULL;
	p->want_round = false;
	w = p->waiters;
	n = p->nwaiters;
	p->waiters = NULL;
	p->nwaiters = p->capwaiters = 0;
	pthread_mutex_unlock(&p->lock);
	peers_round_unref(old);
	for (i = 0; i < n; i++)
		http_resume(w[i]);
	free(w);
}

static void *thread_main(void *arg)
{
	struct peers *p = arg;
	bool go, stop;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		go = p->want_round;
		stop = p->stopping;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		if (go)
			publish(p, run_round(p));
		else
			/* woken by curl_multi_wakeup(); no idle ticks */
			cu->multi_poll(p->multi, NULL, 0, 3600 * 1000, NULL);
	}
	publish(p, NULL);
	return NULL;
}

/* --- the REST threads' side ----------------------------------------------- */

static bool fresh_enough(const struct peers *p)
{
	return p->cur && (verged_now() - p->cur->finished_at) * 1e3 <
		p->cache_ms;
}

static int add_waiter(struct peers *p, struct http_req *c)
{
	struct http_req **w;
	size_t cap;

	if (p->nwaiters == p->capwaiters) {
		cap = p->capwaiters ? 2 * p->capwaiters : 16;
		w = realloc(p->waiters, cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		p->waiters = w;
		p->capwaiters = cap;
	}
	p->waiters[p->nwaiters++] = c;
	return 0;
}

int peers_get(struct peers *p, struct http_req *c, bool fresh,
	      struct peers_round **ret_round)
{
	int r = -EAGAIN;

	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		r = -ESHUTDOWN;
	} else if (p->cur && (!fresh || fresh_enough(p))) {
		atomic_fetch_add_explicit(&p->cur->refs, 1,
					  memory_order_relaxed);
		*ret_round = p->cur;
		r = 0;
	} else if (add_waiter(p, c)) {
		r = -ENOMEM;
	} else {
		/* Under the lock, so the round cannot resume c before it
		 * is suspended. */
		http_suspend(c);
		if (!p->want_round) {
			p->want_round = true;
			cu->multi_wakeup(p->multi);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

struct peers_round *peers_last(struct peers *p)
{
	struct peers_round *r;

	pthread_mutex_lock(&p->lock);
	r = p->cur;
	if (r)
		atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* --- lifetime ------------------------------------------------------------- */

static void free_urls(char **urls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

/* "http://h:1/" and "http://h:1" are the same base. */
static char **copy_urls(char *const *urls, size_t n)
{
	char **out = calloc(n ? n : 1, sizeof(*out));
	size_t i;

	for (i = 0; out && i < n; i++) {
		size_t len = strlen(urls[i]);

		while (len && urls[i][len - 1] == '/')
			len--;
		out[i] = strndup(urls[i], len);
		if (!out[i]) {
			free_urls(out, i);
			return NULL;
		}
	}
	return out;
}

int peers_set_urls(struct peers *p, char *const *urls, size_t n)
{
	char **copy = copy_urls(urls, n), **old;
	size_t oldn;

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	old = p->urls;
	oldn = p->n;
	p->urls = copy;
	p->n = n;
	pthread_mutex_unlock(&p->lock);
	free_urls(old, oldn);
	return 0;
}

static void free_peers(struct peers *p)
{
	if (p->multi)
		cu->multi_cleanup(p->multi);
	cu->slist_free_all(p->headers);
	free_urls(p->urls, p->n);
	peers_round_unref(p->cur);
	pthread_mutex_destroy(&p->lock);
	free(p);
	cu->global_cleanup();
}

int peers_start(char *const *urls, size_t n, int timeout_ms, int cache_ms,
		const char *token, struct peers **ret_peers)
{
	struct peers *p;
	const char *why = NULL;
	char auth[1024];

	if (!cu && !(cu = curl_fns_load(&why))) {
		log_err("rest: peers need libcurl (%s): %s", CURLFN_SONAME,
			why ? why : "not loaded");
		return -ENOPKG;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* before any thread of ours uses libcurl (not thread-safe) */
	cu->global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&p->lock, NULL);
	p->timeout_ms = timeout_ms;
	p->cache_ms = cache_ms;
	p->urls = copy_urls(urls, n);
	if (p->urls)
		p->n = n;
	p->multi = cu->multi_init();
	if (!p->urls || !p->multi)
		goto fail;
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
			 token);
		p->headers = cu->slist_append(NULL, auth);
	}
	if (pthread_create(&p->thread, NULL, thread_main, p))
		goto fail;
	*ret_peers = p;
	return 0;
fail:
	free_peers(p);
	return -ENOMEM;
}

void peers_stop(struct peers *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	cu->multi_wakeup(p->multi);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
}

void peers_free(struct peers *p)
{
	if (p)
		free_peers(p);
}
