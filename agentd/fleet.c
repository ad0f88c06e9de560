// SPDX-License-Identifier: Apache-2.0
/*
 * The /v1/fleet body (fleet.h). The pages of VMs are ordered by host name,
 * then VM name; a cursor names the first VM of the next page, so a page
 * never repeats or skips a VM that exists while both pages are read,
 * whatever comes and goes before the cursor.
 */
#include <stdlib.h>
#include <string.h>

#include "etcd.h"
#include "fleet.h"
#include "names.h"
#include "peers.h"

/* --- the cursor: base64url (RFC 4648 section 5, unpadded) of HOST/VM ----- */

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void cursor_write(struct buf *b, const char *host, const char *vm)
{
	unsigned char in[sizeof(((struct fleet_cursor *)0)->host) +
			 sizeof(((struct fleet_cursor *)0)->vm)];
	char out[FLEET_CURSOR_MAX + 4];
	size_t n, i, o = 0;
	unsigned acc = 0, bits = 0;

	n = (size_t)snprintf((char *)in, sizeof(in), "%s/%s", host, vm);
	for (i = 0; i < n && i < sizeof(in) - 1; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64u[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = b64u[(acc << (6 - bits)) & 63];
	buf_add(b, "\"", 1);
	buf_add(b, out, o);
	buf_add(b, "\"", 1);
}

bool fleet_cursor_parse(const char *text, struct fleet_cursor *ret)
{
	char plain[FLEET_CURSOR_MAX], *slash;
	size_t n = strlen(text), i, o = 0;
	unsigned acc = 0, bits = 0;
	const char *c;

	if (!n || n > FLEET_CURSOR_MAX || n % 4 == 1)
		return false;
	for (i = 0; i < n; i++) {
		c = strchr(b64u, text[i]);
		if (!c)
			return false;
		acc = (acc << 6) | (unsigned)(c - b64u);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			plain[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* the bits left over are zero in a cursor we wrote */
	if (acc & ((1u << bits) - 1))
		return false;
	plain[o] = '\0';
	slash = strrchr(plain, '/');
	if (strlen(plain) != o || !slash || slash == plain ||
	    (size_t)(slash - plain) >= sizeof(ret->host) ||
	    !verged_valid_name(slash + 1))
		return false;
	*slash = '\0';
	snprintf(ret->host, sizeof(ret->host), "%s", plain);
	snprintf(ret->vm, sizeof(ret->vm), "%s", slash + 1);
	return true;
}

/* --- the pages ----------------------------------------------------------- */

struct vm_ref {
	const char *host, *name;
	const char *text;
	size_t len;
	size_t src;		/* 0: this host, else 1 + its peer's index */
};

static int cmp_key(const char *host_a, const char *name_a,
		   const char *host_b, const char *name_b)
{
	int c = strcmp(host_a, host_b);

	return c ? c : strcmp(name_a, name_b);
}

static int cmp_ref(const void *a, const void *b)
{
	const struct vm_ref *x = a, *y = b;
	int c = cmp_key(x->host, x->name, y->host, y->name);

	return c ? c : (x->src > y->src) - (x->src < y->src);
}

/* Every VM of the answer, sorted by (host, name), a (host, name) listed
 * by two sources once. NULL when out of memory. */
static struct vm_ref *all_vms(const struct fleet_src *f, size_t *ret_n)
{
	const struct peers_round *round = f->round;
	size_t n = f->s->nvms, i, j, k = 0;
	struct vm_ref *refs;

	for (i = 0; round && i < round->n; i++)
		if (round->r[i].host)
			n += round->r[i].nvms;
	refs = malloc((n ? n : 1) * sizeof(*refs));
	if (!refs)
		return NULL;
	for (i = 0; i < f->s->nvms; i++)
		refs[k++] = (struct vm_ref){ f->host, f->s->vm[i].name,
			f->s->vm[i].p->fleet, f->s->vm[i].p->fleet_len, 0 };
	for (i = 0; round && i < round->n; i++) {
		const struct peer_result *p = &round->r[i];

		for (j = 0; p->host && j < p->nvms; j++)
			refs[k++] = (struct vm_ref){ p->host, p->vm[j].name,
				p->vms + p->vm[j].off, p->vm[j].len, i + 1 };
	}
	/* of a (host, VM) that two sources list, the first source's: this
	 * host's, else the first peer's */
	if (k)
		qsort(refs, k, sizeof(*refs), cmp_ref);
	for (i = j = 0; i < k; i++)
		if (!j || cmp_key(refs[j - 1].host, refs[j - 1].name,
				  refs[i].host, refs[i].name))
			refs[j++] = refs[i];
	*ret_n = j;
	return refs;
}

/* The VMs of one page, then ,"limit":N,"next_cursor":... after "]". */
static void write_page(struct buf *b, const struct fleet_src *f,
		       struct buf *tail)
{
	size_t n = 0, lo = 0, hi, i, end;
	struct vm_ref *refs = all_vms(f, &n);

	if (!refs) {
		b->oom = true;
		return;
	}
	hi = n;
	while (f->cursor && lo < hi) {	/* the first at or after it */
		size_t mid = (lo + hi) / 2;

		if (cmp_key(refs[mid].host, refs[mid].name, f->cursor->host,
			    f->cursor->vm) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	end = lo + f->limit < n ? lo + f->limit : n;
	for (i = lo; i < end; i++) {
		if (i > lo)
			buf_add(b, ",", 1);
		buf_add(b, refs[i].text, refs[i].len);
	}
	buf_printf(tail, ",\"limit\":%zu,\"next_cursor\":", f->limit);
	if (end < n)
		cursor_write(tail, refs[end].host, refs[end].name);
	else
		buf_str(tail, "null");
	free(refs);
}

/* --- the answer ---------------------------------------------------------- */

/* The registry's state: "etcd":{endpoints, reachable, since, ...}. */
static void etcd_status(struct buf *b, struct etcd *e,
			const struct etcd_view *v)
{
	buf_str(b, ",\"etcd\":{\"endpoints\":");
	buf_json_str(b, etcd_endpoints(e));
	buf_printf(b, ",\"reachable\":%s,\"registered\":%s,\"synced\":%s,"
		   "\"since\":", v->reachable ? "true" : "false",
		   v->registered ? "true" : "false",
		   v->synced ? "true" : "false");
	if (v->since)
		buf_printf(b, "%.3f", v->since);
	else
		buf_str(b, "null");
	buf_str(b, ",\"error\":");
	if (v->reachable)
		buf_str(b, "null");
	else
		buf_json_str(b, v->error[0] ? v->error :
			     "no answer from etcd yet");
	buf_printf(b, ",\"hosts\":%zu}", v->n + 1);
}

/*
 * This host, then the others: every registered host with its summary
 * (etcd; while etcd cannot be reached, those last seen, each "stale"),
 * or each peer of the last round.
 */
static void write_hosts(struct buf *b, const struct fleet_src *f)
{
	const struct etcd_view *v = f->v;
	size_t i;

	if (f->self)
		buf_str(b, f->self);
	else
		buf_add(b, f->s->self_host, f->s->self_host_len);
	if (v && v->hosts_len) {
		buf_add(b, ",", 1);
		if (v->reachable)
			buf_add(b, v->hosts, v->hosts_len);
		else
			buf_add(b, v->stale, v->stale_len);
	}
	for (i = 0; !v && f->round && i < f->round->n; i++) {
		if (!f->round->r[i].host_entry)
			continue;
		buf_add(b, ",", 1);
		buf_add(b, f->round->r[i].host_entry,
			f->round->r[i].host_entry_len);
	}
}

/* Every VM, this host's first, then each peer's in its order. */
static void write_vms(struct buf *b, const struct fleet_src *f)
{
	bool first = f->s->fleet_vms_len == 0;
	size_t i;

	buf_add(b, f->s->fleet_vms, f->s->fleet_vms_len);
	for (i = 0; f->round && i < f->round->n; i++) {
		if (!f->round->r[i].vms_len)
			continue;
		if (!first)
			buf_add(b, ",", 1);
		first = false;
		buf_add(b, f->round->r[i].vms, f->round->r[i].vms_len);
	}
}

/* With etcd: the hosts whose VMs could not be fetched, and why. */
static void write_detail_errors(struct buf *b, const struct fleet_src *f)
{
	bool first = true;
	size_t i;

	for (i = 0; f->round && i < f->round->n; i++) {
		if (f->round->r[i].reachable || !f->round->r[i].host_entry)
			continue;
		if (!first)
			buf_add(b, ",", 1);
		first = false;
		buf_add(b, f->round->r[i].host_entry,
			f->round->r[i].host_entry_len);
	}
}

void fleet_write(struct buf *b, const struct fleet_src *f)
{
	/* the hosts and detail_errors on the first page only */
	bool later = f->limit && f->cursor;
	struct buf tail = { 0 };

	buf_printf(b, "{\"generated_at\":%.3f,\"host\":", f->s->generated_at);
	buf_json_str(b, f->host);
	if (f->v) {
		buf_str(b, ",\"source\":\"etcd\"");
		etcd_status(b, f->etcd, f->v);
	}
	buf_str(b, ",\"hosts\":[");
	if (!later)
		write_hosts(b, f);
	buf_str(b, "]");
	if (f->v && !f->vms) {
		buf_str(b, ",\"detail\":\"hosts\",\"vms\":[]}");
		return;
	}
	if (!f->vms) {
		buf_str(b, "}");
		return;
	}
	if (f->v)
		buf_str(b, ",\"detail\":\"vms\"");
	buf_str(b, ",\"vms\":[");
	if (f->limit)
		write_page(b, f, &tail);
	else
		write_vms(b, f);
	buf_str(b, "]");
	if (f->v) {
		buf_str(b, ",\"detail_errors\":[");
		if (!later)
			write_detail_errors(b, f);
		buf_str(b, "]");
	}
	if (tail.len)
		buf_add(b, tail.data, tail.len);
	if (tail.oom)
		b->oom = true;
	buf_free(&tail);
	buf_str(b, "}");
}

/* --- the kept answer ------------------------------------------------------ */

void fleet_cache_init(struct fleet_cache *c)
{
	pthread_mutex_init(&c->lock, NULL);
	c->k = NULL;
}

void fleet_cache_destroy(struct fleet_cache *c)
{
	fleet_kept_unref(c->k);
	c->k = NULL;
	pthread_mutex_destroy(&c->lock);
}

void fleet_kept_unref(struct fleet_kept *k)
{
	if (!k || atomic_fetch_sub_explicit(&k->refs, 1,
					    memory_order_acq_rel) != 1)
		return;
	etcd_view_unref(k->v);
	free(k->self);
	free(k->body.data);
	free(k);
}

static bool shows(const struct fleet_kept *k, const struct fleet_src *f)
{
	return k && k->v == f->v && k->generation == f->s->generation &&
	       !strcmp(k->self ? k->self : "", f->self ? f->self : "");
}

static struct fleet_kept *ref(struct fleet_kept *k)
{
	atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
	return k;
}

struct fleet_kept *fleet_kept_get(struct fleet_cache *c,
				  const struct fleet_src *f)
{
	struct fleet_kept *k, *old;
	struct buf b = { 0 };

	pthread_mutex_lock(&c->lock);
	k = shows(c->k, f) ? ref(c->k) : NULL;
	pthread_mutex_unlock(&c->lock);
	if (k)
		return k;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	atomic_init(&k->refs, 2);	/* the cache's and the caller's */
	k->v = (struct etcd_view *)f->v;
	atomic_fetch_add_explicit(&k->v->refs, 1, memory_order_relaxed);
	k->generation = f->s->generation;
	k->self = f->self ? strdup(f->self) : NULL;
	fleet_write(&b, f);
	k->body.data = buf_steal(&b, &k->body.len);
	if (!k->body.data || (f->self && !k->self)) {
		fleet_kept_unref(k);
		fleet_kept_unref(k);
		return NULL;
	}
	rest_body_etag(&k->body);
	pthread_mutex_lock(&c->lock);
	old = c->k;
	c->k = k;
	pthread_mutex_unlock(&c->lock);
	fleet_kept_unref(old);
	return k;
}
