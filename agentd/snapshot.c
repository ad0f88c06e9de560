// SPDX-License-Identifier: Apache-2.0
/*
 * Snapshots (snapshot.h): built on the loop from the VM list, each body
 * serialized once; the collection bodies are the per-VM bodies joined, so
 * every VM is serialized once per snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hvlink.h"
#include "config.h"
#include "jsonw.h"
#include "metrics.h"
#include "jail.h"
#include "snapshot.h"
#include "store.h"
#include "verged.h"
#include "vm.h"

/*
 * The ETags and the VM fingerprints: FNV-1a's constants, but a word at a
 * time with a multiply and a shift mixing each word in (bodies of a
 * megabyte are hashed at every publish; byte-wise FNV was the loop's
 * largest cost). Change detection, not cryptography.
 */
#define FNV_OFFSET	0xcbf29ce484222325ull
#define FNV_PRIME	0x100000001b3ull
#define WORD_MIX	0x9e3779b97f4a7c15ull

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t w;

	for (; n >= 8; n -= 8, c += 8) {
		memcpy(&w, c, 8);
		h = (h ^ w) * WORD_MIX;
		h ^= h >> 29;
	}
	while (n--) {
		h ^= *c++;
		h *= FNV_PRIME;
	}
	return h;
}

/* A content hash is a strong ETag for our bytes. */
void rest_body_etag(struct rest_body *b)
{
	snprintf(b->etag, sizeof(b->etag), "\"%016llx\"",
		 (unsigned long long)fnv(FNV_OFFSET, b->data, b->len));
}


static int body_from_buf(struct rest_body *b, struct buf *src)
{
	b->data = buf_steal(src, &b->len);
	if (!b->data)
		return -1;
	rest_body_etag(b);
	return 0;
}

static int body_from_json(struct rest_body *b, json_t *j)
{
	struct buf tmp = { 0 };

	buf_json(&tmp, j);
	json_decref(j);
	return body_from_buf(b, &tmp);
}

/* The fields of the VM object that /v1/fleet shows. */
static json_t *fleet_entry(json_t *vmj, const char *host)
{
	json_t *clock = json_object_get(vmj, "clock");
	json_t *agent = json_object_get(vmj, "agent");
	json_t *age = json_object_get(agent, "age_s");
	json_t *detect = json_object_get(agent, "detect");

	return json_pack("{sO ss sO sO sO s{sO sO sO} sO sO}",
			 "name", json_object_get(vmj, "name"),
			 "host", host,
			 "state", json_object_get(vmj, "state"),
			 "uptime_s", json_object_get(vmj, "uptime_s"),
			 "boots", json_object_get(vmj, "boots"),
			 "clock", "rate", json_object_get(clock, "rate"),
			 "rate_value", json_object_get(clock, "rate_value"),
			 "freq_hz", json_object_get(clock, "freq_hz"),
			 "agent_age_s", age ? age : json_null(),
			 "detect", detect ? detect : json_null());
}

static void self_host(struct buf *b, const char *host, size_t nvms)
{
	buf_str(b, "{\"name\":");
	buf_json_str(b, host);
	buf_printf(b, ",\"url\":null,\"self\":true,\"reachable\":true,"
		   "\"version\":\"%s\",\"api\":%d,\"vms\":%zu,\"error\":null,"
		   "\"latency_ms\":null}", VERGED_VERSION, VERGED_API, nvms);
}

/* --- one VM --------------------------------------------------------------- */

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "", 0) * FNV_PRIME;
}

/*
 * A hash of every field vm_json(), vm_clock_json(NULL) and the metrics
 * lines read: keep it in step with them. A VM whose fingerprint did not
 * change keeps its serialized piece.
 */
static uint64_t fingerprint(const struct vm *vm, const char *host,
			    const struct vp_stats *st)
{
	const struct vm_record *r = &vm->def;
	/* json_static: the members define fixed, as vm_write_json() writes
	 * them */
	const char *strs[] = { host, vm->json_static, r->desired,
			       vm->agent_detect, vm->agent_hostname,
			       r->fail_reason, r->slot[0].kernel,
			       r->slot[0].initrd, r->slot[0].cmdline,
			       r->slot[1].kernel, r->slot[1].initrd,
			       r->slot[1].cmdline, vm->agent_ip,
			       vm->agent_channel,
			       vm->disks_text, vm->nics_text,
			       /* isolation (jail_write_json) */
			       r->partition };
	/* "core": what the hypervisor's HELLO reported, while it runs */
	const struct vp_hello_cpu *cpu = vm_is_active(vm) && vm->hv ?
					 hvlink_cpu(vm->hv) : NULL;
	int64_t nums[] = { vm->state, vm->pid, vm->boots, r->id,
			   r->rate_num, r->rate_den, (int64_t)r->freq_hz,
			   /* boot attempts and slots (vm_write_slots) */
			   vm->wdt_stage, vm->wdt_expiries, r->bs.active,
			   r->bs.good, r->bs.trial_ok, r->bs.filled,
			   r->bs.booted, r->bs.failed, r->bs.boots_ok,
			   r->bs.boots_failed, r->bs.rollbacks,
			   r->attempt_pid, r->fail_stage, vm->clock_mode,
			   /* the boot settings (vm_write_slots) */
			   r->bs.attempts_max, r->bs.manual_commit,
			   r->boot_ok_after_s, r->boot_deadline_s,
			   /* isolation (jail_write_json); its usage ages */
			   r->cpu_quota, r->cpu_weight, r->memory_max,
			   r->pids_max, vm->ncg, vm->cg_v2,
			   cpu != NULL };
	double times[] = { vm->started_at, vm->agent_at, r->fail_at,
			   r->slot[0].set_at, r->slot[1].set_at };
	uint64_t h = FNV_OFFSET;
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		h = fnv_str(h, strs[i]);
	h = fnv(h, nums, sizeof(nums));
	h = fnv(h, times, sizeof(times));
	if (cpu)
		h = fnv(h, cpu, sizeof(*cpu));
	if (st)
		h = fnv(h, st, sizeof(*st));
	return h;
}

static void piece_free(struct snap_piece *p)
{
	size_t f;

	free(p->vm.data);
	free(p->clock.data);
	free(p->fleet);
	for (f = 0; f < MF_COUNT; f++)
		free(p->met[f]);
	free(p);
}

static void piece_unref(struct snap_piece *p)
{
	if (p && atomic_fetch_sub_explicit(&p->refs, 1,
					   memory_order_acq_rel) == 1)
		piece_free(p);
}

static struct snap_piece *piece_build(const struct vm *vm, const char *host,
				      double now, const struct vp_stats *st,
				      uint64_t fp)
{
	struct snap_piece *p = calloc(1, sizeof(*p));
	struct buf fleet = { 0 }, met[MF_COUNT] = { { 0 } };
	json_t *j = NULL, *e = NULL;
	bool ok = true;
	struct jw w;
	size_t f;

	if (!p)
		return NULL;
	/* the bytes vm.show answers with; parsed again for the fleet */
	jw_init(&w);
	vm_write_json(&w, vm, now);
	p->vm.data = jw_finish(&w, &p->vm.len);
	if (!p->vm.data ||
	    !(j = json_loadb(p->vm.data, p->vm.len, 0, NULL)))
		goto fail;
	rest_body_etag(&p->vm);
	atomic_init(&p->refs, 1);
	p->fp = fp;
	p->built_at = now;
	p->ages = vm_is_active(vm) || vm->agent_at > 0;
	e = fleet_entry(j, host);
	buf_json(&fleet, e);
	json_decref(e);
	metrics_vm_lines(met, vm, now, st);
	for (f = 0; f < MF_COUNT; f++) {
		buf_add(&met[f], "", 0);
		p->met[f] = buf_steal(&met[f], &p->met_len[f]);
		ok &= p->met[f] != NULL;
	}
	p->fleet = buf_steal(&fleet, &p->fleet_len);
	json_decref(j);
	j = NULL;
	if (!ok || !p->fleet || body_from_json(&p->clock,
						vm_clock_json(vm, NULL)))
		goto fail;
	return p;
fail:
	json_decref(j);
	buf_free(&fleet);
	for (f = 0; f < MF_COUNT; f++)
		buf_free(&met[f]);
	if (p)
		piece_free(p);
	return NULL;
}

/* prev's piece for vm, if still good: same fields, ages young enough.
 * *cursor walks prev's VMs, sorted by name like d's. */
static struct snap_piece *reuse(const struct snapshot *prev, size_t *cursor,
				const char *name, uint64_t fp, double now)
{
	const struct snap_vm *v;
	int c = 1;

	while (prev && *cursor < prev->nvms &&
	       (c = strcmp(prev->vm[*cursor].name, name)) < 0)
		(*cursor)++;
	if (!prev || *cursor >= prev->nvms || c)
		return NULL;
	v = &prev->vm[*cursor];
	if (v->p->fp != fp ||
	    (v->p->ages && now - v->p->built_at >= SNAPSHOT_AGE_S))
		return NULL;
	atomic_fetch_add_explicit(&v->p->refs, 1, memory_order_relaxed);
	return v->p;
}

/* --- the collections ------------------------------------------------------ */

/* {"generated_at":T,"host":H, ... */
static void head(struct buf *b, double at, const char *host)
{
	buf_printf(b, "{\"generated_at\":%.3f,\"host\":", at);
	buf_json_str(b, host);
}

static int build_bodies(struct snapshot *s, const char *host)
{
	struct buf b = { 0 }, fleet = { 0 };
	size_t i;

	head(&b, s->generated_at, host);
	buf_str(&b, ",\"vms\":[");
	for (i = 0; i < s->nvms; i++) {
		if (i) {
			buf_add(&b, ",", 1);
			buf_add(&fleet, ",", 1);
		}
		buf_add(&b, s->vm[i].p->vm.data, s->vm[i].p->vm.len);
		buf_add(&fleet, s->vm[i].p->fleet, s->vm[i].p->fleet_len);
	}
	buf_str(&b, "]}");
	buf_add(&fleet, "", 0);	/* no VMs: still a string */
	s->fleet_vms = buf_steal(&fleet, &s->fleet_vms_len);
	if (!s->fleet_vms || body_from_buf(&s->vms, &b))
		return -1;
	head(&b, s->generated_at, host);
	buf_str(&b, ",\"hosts\":[");
	buf_add(&b, s->self_host, s->self_host_len);
	buf_str(&b, "],\"vms\":[");
	buf_add(&b, s->fleet_vms, s->fleet_vms_len);
	buf_str(&b, "]}");
	return body_from_buf(&s->fleet, &b);
}

/* --- the partitions ------------------------------------------------------- */

static int part_cb(const struct partition_record *p, void *arg)
{
	struct verged *d = ((void **)arg)[0];
	json_t *list = ((void **)arg)[1];

	return json_array_append_new(list, jail_partition_json(d, p)) ? -1 : 0;
}

/* /v1/partitions, each partition's body and their /metrics lines. */
static int build_partitions(struct snapshot *s, struct verged *d,
			    const char *host, struct buf *met)
{
	json_t *list = json_array(), *j;
	void *arg[2] = { d, list };
	struct buf b = { 0 }, one = { 0 };
	size_t i, n;

	if (!list || store_partition_foreach(d->store, part_cb, arg) < 0)
		goto fail;
	n = json_array_size(list);
	s->part = calloc(n ? n : 1, sizeof(*s->part));
	if (!s->part)
		goto fail;
	head(&b, s->generated_at, host);
	buf_str(&b, ",\"partitions\":[");
	json_array_foreach(list, i, j) {
		struct snap_part *sp = &s->part[i];

		s->nparts = i + 1;
		sp->name = strdup(json_string_value(json_object_get(j,
								   "name")));
		buf_json(&one, j);
		if (!sp->name || body_from_buf(&sp->body, &one))
			goto fail;
		if (i)
			buf_add(&b, ",", 1);
		buf_add(&b, sp->body.data, sp->body.len);
	}
	buf_str(&b, "]}");
	metrics_partitions(met, list);
	json_decref(list);
	/* their usage grows old like an uptime */
	if (n && jail_enabled(&d->cfg)) {
		if (!s->ages || s->generated_at < s->aged_at)
			s->aged_at = s->generated_at;
		s->ages = true;
	}
	return body_from_buf(&s->partitions, &b);
fail:
	buf_free(&b);
	buf_free(&one);
	json_decref(list);
	return -1;
}

struct snapshot *snapshot_build(struct verged *d, const char *host,
				uint64_t generation,
				const struct snap_stats_fn *stats,
				const struct snapshot *prev)
{
	unsigned counts[VM_OOM + 1] = { 0 };
	struct buf self = { 0 }, met = { 0 };
	const struct vp_stats *st;
	struct snapshot *s;
	const struct vm *vm;
	size_t i = 0, cursor = 0;
	uint64_t fp;

	s = calloc(1, sizeof(*s) + d->nvms * sizeof(s->vm[0]));
	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->generation = generation;
	s->generated_at = verged_now();
	for (vm = d->vms; vm && i < d->nvms; vm = vm->next, i++) {
		struct snap_vm *sv = &s->vm[i];

		st = stats ? stats->get(stats->arg, vm->def.name) : NULL;
		fp = fingerprint(vm, host, st);
		s->nvms = i + 1;
		sv->name = strdup(vm->def.name);
		sv->id = vm->def.id;
		sv->p = reuse(prev, &cursor, vm->def.name, fp, s->generated_at);
		if (!sv->p)
			sv->p = piece_build(vm, host, s->generated_at, st, fp);
		if (!sv->name || !sv->p)
			goto fail;
		if (sv->p->ages && (!s->ages || sv->p->built_at < s->aged_at))
			s->aged_at = sv->p->built_at;
		s->ages |= sv->p->ages;
		counts[vm->state]++;
	}
	self_host(&self, host, s->nvms);
	s->self_host = buf_steal(&self, &s->self_host_len);
	metrics_vms(&met, s, counts);
	metrics_isolation(&met, jail_enabled(&d->cfg));
	if (build_partitions(s, d, host, &met))
		goto fail;
	s->metrics = buf_steal(&met, &s->metrics_len);
	if (!s->self_host || !s->metrics || build_bodies(s, host))
		goto fail;
	return s;
fail:
	buf_free(&self);
	buf_free(&met);
	snapshot_unref(s);
	return NULL;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

static void snapshot_free(struct snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nvms; i++) {
		free(s->vm[i].name);
		piece_unref(s->vm[i].p);
	}
	for (i = 0; i < s->nparts; i++) {
		free(s->part[i].name);
		free(s->part[i].body.data);
	}
	free(s->part);
	free(s->partitions.data);
	free(s->vms.data);
	free(s->fleet.data);
	free(s->self_host);
	free(s->fleet_vms);
	free(s->metrics);
	free(s);
}

void snapshot_unref(struct snapshot *s)
{
	if (s && atomic_fetch_sub_explicit(&s->refs, 1,
					   memory_order_acq_rel) == 1)
		snapshot_free(s);
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct snap_vm *)elem)->name);
}

const struct snap_vm *snapshot_find(const struct snapshot *s,
				    const char *name)
{
	return bsearch(name, s->vm, s->nvms, sizeof(s->vm[0]), cmp_name);
}

static int cmp_part(const void *key, const void *elem)
{
	return strcmp(key, ((const struct snap_part *)elem)->name);
}

const struct snap_part *snapshot_find_part(const struct snapshot *s,
					   const char *name)
{
	return s->nparts ? bsearch(name, s->part, s->nparts,
				   sizeof(s->part[0]), cmp_part) : NULL;
}

void snapshot_slot_init(struct snapshot_slot *slot)
{
	pthread_mutex_init(&slot->lock, NULL);
	slot->cur = NULL;
}

void snapshot_slot_publish(struct snapshot_slot *slot, struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->cur;
	slot->cur = s;
	pthread_mutex_unlock(&slot->lock);
	snapshot_unref(old);
}

struct snapshot *snapshot_slot_get(struct snapshot_slot *slot)
{
	struct snapshot *s;

	pthread_mutex_lock(&slot->lock);
	s = slot->cur ? snapshot_ref(slot->cur) : NULL;
	pthread_mutex_unlock(&slot->lock);
	return s;
}

void snapshot_slot_destroy(struct snapshot_slot *slot)
{
	snapshot_slot_publish(slot, NULL);
	pthread_mutex_destroy(&slot->lock);
}
