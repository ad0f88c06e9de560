/*
 * Snapshots (snapshot.h): built on the loop from the VM list, each body
 * serialized once; the collection bodies are the per-VM bodies joined, so
 * every VM is serialized once per snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "metrics.h"
#include "snapshot.h"
#include "verged.h"
#include "vm.h"

/* FNV-1a, 64 bits: a content hash is a strong ETag for our bytes. */
void rest_body_etag(struct rest_body *b)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < b->len; i++) {
		h ^= (unsigned char)b->data[i];
		h *= 0x100000001b3ull;
	}
	snprintf(b->etag, sizeof(b->etag), "\"%016llx\"",
		 (unsigned long long)h);
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

/* One VM: its bodies, its fleet entry (appended to fleet). */
static int add_vm(struct snap_vm *sv, const struct vm *vm, const char *host,
		  struct buf *fleet)
{
	json_t *j = vm_json(vm), *e;

	if (!j)
		return -1;
	e = fleet_entry(j, host);
	if (fleet->len)
		buf_add(fleet, ",", 1);
	buf_json(fleet, e);
	json_decref(e);
	sv->name = strdup(vm->def.name);
	sv->id = vm->def.id;
	if (!sv->name || body_from_json(&sv->vm, j) ||
	    body_from_json(&sv->clock, vm_clock_json(vm, NULL)))
		return -1;
	return 0;
}

/* {"generated_at":T,"host":H,<rest>} around the joined pieces. */
static void head(struct buf *b, double at, const char *host)
{
	buf_printf(b, "{\"generated_at\":%.3f,\"host\":", at);
	buf_json_str(b, host);
}

static int build_bodies(struct snapshot *s, const char *host)
{
	struct buf b = { 0 };
	size_t i;

	head(&b, s->generated_at, host);
	buf_str(&b, ",\"vms\":[");
	for (i = 0; i < s->nvms; i++) {
		if (i)
			buf_add(&b, ",", 1);
		buf_add(&b, s->vm[i].vm.data, s->vm[i].vm.len);
	}
	buf_str(&b, "]}");
	if (body_from_buf(&s->vms, &b))
		return -1;
	head(&b, s->generated_at, host);
	buf_str(&b, ",\"hosts\":[");
	buf_add(&b, s->self_host, s->self_host_len);
	buf_str(&b, "],\"vms\":[");
	buf_add(&b, s->fleet_vms, s->fleet_vms_len);
	buf_str(&b, "]}");
	return body_from_buf(&s->fleet, &b);
}

struct snapshot *snapshot_build(struct verged *d, const char *host,
				uint64_t generation,
				const struct snap_stats_fn *stats)
{
	struct snapshot *s;
	struct buf fleet = { 0 }, self = { 0 }, met = { 0 };
	const struct vm *vm;
	size_t i = 0;

	s = calloc(1, sizeof(*s) + d->nvms * sizeof(s->vm[0]));
	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->generation = generation;
	s->generated_at = verged_now();
	for (vm = d->vms; vm && i < d->nvms; vm = vm->next, i++) {
		s->nvms = i + 1;
		if (add_vm(&s->vm[i], vm, host, &fleet))
			goto fail;
		s->ages |= vm_is_active(vm) || vm->agent_at > 0;
	}
	self_host(&self, host, s->nvms);
	metrics_vms(&met, d, s->generated_at, stats);
	buf_add(&fleet, "", 0);	/* no VMs: still a string */
	s->fleet_vms = buf_steal(&fleet, &s->fleet_vms_len);
	s->self_host = buf_steal(&self, &s->self_host_len);
	s->metrics = buf_steal(&met, &s->metrics_len);
	if (!s->fleet_vms || !s->self_host || !s->metrics ||
	    build_bodies(s, host))
		goto fail;
	return s;
fail:
	buf_free(&fleet);
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
		free(s->vm[i].vm.data);
		free(s->vm[i].clock.data);
	}
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
