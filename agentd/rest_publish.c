// SPDX-License-Identifier: Apache-2.0
/*
 * The REST server's loop side (rest_int.h): after any change the loop
 * builds an immutable snapshot of every REST body and publishes it with
 * one pointer swap (snapshot.h), at most once per loop iteration; it
 * samples the VMs' exit statistics when /metrics finds them old, and
 * keeps this host's registration record in etcd up to date. Runs on
 * verged's libuv loop only; the HTTP threads ask for work through
 * r->wake.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <verge_proto.h>

#include "etcd.h"
#include "hvlink.h"
#include "log.h"
#include "rest.h"
#include "rest_int.h"
#include "snapshot.h"
#include "verged.h"
#include "vm.h"

static int cmp_stat(const void *key, const void *elem)
{
	return strcmp(key, ((const struct stat_entry *)elem)->name);
}

/* bsearch() must not be given NULL, which r->stats is while empty. */
static struct stat_entry *find_stat(struct rest *r, const char *vm)
{
	return r->nstats ? bsearch(vm, r->stats, r->nstats,
				   sizeof(*r->stats), cmp_stat) : NULL;
}

static const struct vp_stats *stats_of(void *arg, const char *vm)
{
	struct stat_entry *e = find_stat(arg, vm);

	return e ? &e->st : NULL;
}

void rest_publish(struct rest *r)
{
	struct snap_stats_fn stats = { stats_of, r };
	struct snapshot *s, *prev;

	r->dirty = false;
	uv_timer_stop(&r->publish_timer);
	prev = snapshot_slot_get(&r->slot);
	s = snapshot_build(r->d, r->host, ++r->generation, &stats, prev);
	snapshot_unref(prev);
	if (!s) {
		log_err("rest: out of memory; the REST answers are stale");
		return;
	}
	snapshot_slot_publish(&r->slot, s);
	rest_register_self(r);
	/* The bodies just replaced leave holes below the heap's top, which
	 * free() does not give back: about 0.7 MB of resident memory with
	 * 100 VMs (docs/verged.md, "Memory"). */
	malloc_trim(0);
}

static void publish_cb(uv_timer_t *t)
{
	rest_publish(t->data);
}

/* This host's registration record, from the loop's VMs (etcd.h). */
void rest_register_self(struct rest *r)
{
	static const enum vm_state states[] = { VM_DEFINED, VM_STARTING,
		VM_RUNNING, VM_STOPPING, VM_STOPPED, VM_CRASHED, VM_OOM };
	const char *names[sizeof(states) / sizeof(states[0])];
	unsigned counts[sizeof(states) / sizeof(states[0])] = { 0 };
	struct etcd_self es = {
		.name = r->host, .url = r->self_url, .version = VERGED_VERSION,
		.site = r->d->cfg.fleet_site, .api = VERGED_API,
		.cpus = r->cpus, .memory_mib = r->memory_mib,
		.nstates = sizeof(states) / sizeof(states[0]),
		.state_names = names, .state_counts = counts,
	};
	double now = verged_now();
	struct vm *vm;
	size_t i;

	if (!r->etcd)
		return;
	for (i = 0; i < es.nstates; i++)
		names[i] = vm_state_name(states[i]);
	for (vm = r->d->vms; vm; vm = vm->next) {
		if ((size_t)vm->state < es.nstates)
			counts[vm->state]++;
		if (vm->state != VM_RUNNING)
			continue;
		if (!vm->agent_at)
			es.agent_none++;
		else if (now - vm->agent_at <= ETCD_AGENT_FRESH_S)
			es.agent_ok++;
		else
			es.agent_stale++;
		if (vm->clock_mode == VP_CLOCK_EXACT)
			es.clock_exact++;
		else if (vm->clock_mode == VP_CLOCK_DILATION)
			es.clock_dilation++;
		else
			es.clock_unreported++;
	}
	etcd_set_record(r->etcd, etcd_record(&es));
}

/* An agent's report ages without an event: looked at again every 5 s. */
void rest_record_cb(uv_timer_t *t)
{
	rest_register_self(t->data);
}

void rest_changed(struct verged *d)
{
	struct rest *r = d->rest;

	if (!r || r->dirty)
		return;
	/* Once per loop iteration, however many changes it makes. */
	r->dirty = true;
	uv_timer_start(&r->publish_timer, publish_cb, 0, 0);
}

void rest_flush(struct verged *d)
{
	if (d->rest && d->rest->dirty)
		rest_publish(d->rest);
}

/* Keeps the exits of a VM (sorted insert; VMs come and go rarely). */
static void keep_stats(struct rest *r, const char *name,
		       const struct vp_stats *st)
{
	struct stat_entry *e = find_stat(r, name), *n;
	size_t i;

	if (e) {
		e->st = *st;
		return;
	}
	n = realloc(r->stats, (r->nstats + 1) * sizeof(*n));
	if (!n)
		return;
	r->stats = n;
	for (i = 0; i < r->nstats && strcmp(n[i].name, name) < 0; i++)
		;
	memmove(&n[i + 1], &n[i], (r->nstats - i) * sizeof(*n));
	n[i].name = strdup(name);
	n[i].st = *st;
	if (!n[i].name) {
		memmove(&n[i], &n[i + 1], (r->nstats - i) * sizeof(*n));
		return;
	}
	r->nstats++;
}

struct stats_call {
	struct rest *r;
	char name[MAX_NAME + 1];
};

static void stats_done(void *arg, int err, const struct vp_frame *f)
{
	struct stats_call *sc = arg;
	struct vp_stats st;

	if (!err && f->hdr.len == sizeof(st)) {
		memcpy(&st, f->payload, sizeof(st));
		keep_stats(sc->r, sc->name, &st);
		rest_changed(sc->r->d);
	}
	free(sc);
}

/* Forgets the exits of VMs that were undefined since. */
static void prune_stats(struct rest *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nstats; i++) {
		if (vm_find(r->d, r->stats[i].name))
			r->stats[n++] = r->stats[i];
		else
			free(r->stats[i].name);
	}
	r->nstats = n;
}

static void sample_stats(struct rest *r)
{
	struct stats_call *sc;
	struct vm *vm;

	atomic_store(&r->stats_at, verged_now());
	prune_stats(r);
	for (vm = r->d->vms; vm; vm = vm->next) {
		if (!hvlink_up(vm->hv) || !(sc = calloc(1, sizeof(*sc))))
			continue;
		sc->r = r;
		snprintf(sc->name, sizeof(sc->name), "%s", vm->def.name);
		if (hvlink_request(vm->hv, VP_STATS_GET, NULL, 0, stats_done,
				   sc))
			free(sc);
	}
}

void rest_wake_cb(uv_async_t *a)
{
	struct rest *r = a->data;

	if (atomic_exchange(&r->want_stats, false))
		sample_stats(r);
	if (atomic_exchange(&r->want_refresh, false))
		rest_changed(r->d);
}
