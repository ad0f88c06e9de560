/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The REST server's state, shared by its two halves: rest.c (the
 * handlers, on the HTTP threads, and start/stop) and rest_publish.c (the
 * loop's side: publishing snapshots, sampling exit statistics, this
 * host's registration record). Nothing outside these two includes it.
 */
#ifndef VERGED_REST_INT_H
#define VERGED_REST_INT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>
#include <verge_proto.h>

#include "fleet.h"
#include "metrics.h"
#include "names.h"
#include "rest.h"
#include "snapshot.h"
#include "verged.h"

#define MAX_NAME    VERGED_NAME_MAX
#define READERS_MAX (REST_THREADS + 2)

struct stat_entry {
	char *name;
	struct vp_stats st;
};

struct rest {
	struct verged *d;
	struct http_server *http;
	struct snapshot_slot slot;
	struct metrics metrics;
	struct peers *peers;
	struct etcd *etcd; /* [fleet] etcd: the registry (etcd.h) */
	struct fleet_cache fleet_cache; /* its hosts' view, kept */
	char *self_url;	   /* this host's REST URL, as registered */
	unsigned cpus;
	uint64_t memory_mib;
	char *token;
	bool metrics_token; /* [rest] metrics_token: /metrics closed */
	char *host;
	char *db_path;
	/* read-only store connections, shared by the REST threads */
	pthread_mutex_t pool_lock;
	struct store *readers[READERS_MAX];
	size_t nreaders;
	/* the loop's side */
	uv_timer_t publish_timer, record_timer;
	uv_async_t wake;
	int handles; /* open of the three above */
	bool dirty;
	uint64_t generation;
	atomic_bool want_refresh, want_stats;
	_Atomic double stats_at;  /* when exits were last sampled */
	struct stat_entry *stats; /* sorted by name */
	size_t nstats;
};

/* --- rest_publish.c: on the loop ------------------------------------------ */

/* Builds and publishes a snapshot now (rest_changed() defers to this). */
void rest_publish(struct rest *r);
/* This host's registration record in etcd, from the loop's VMs. */
void rest_register_self(struct rest *r);
/* r->record_timer: the record again, as agents' reports age. */
void rest_record_cb(uv_timer_t *t);
/* r->wake: a REST thread asked for a fresh snapshot or statistics. */
void rest_wake_cb(uv_async_t *a);
#endif
