/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Immutable, pre-serialized views of verged's state for the REST threads
 * (docs/rest.md). The libuv loop builds a snapshot after every change and
 * publishes it with one pointer swap; an HTTP handler takes a reference,
 * hands the bytes to the HTTP server (http_respond(), which sends them
 * without a copy) and drops the reference when the response has been
 * sent. A reader never waits for the loop and never sees half an update.
 */
#ifndef VERGED_SNAPSHOT_H
#define VERGED_SNAPSHOT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct verged;
struct vp_stats;

/* A VM's uptime and report age are rebuilt when older than this (s). */
#define SNAPSHOT_AGE_S	1.0

/* A response body and its strong ETag (a hash of the bytes, quoted). */
struct rest_body {
	char *data;
	size_t len;
	char etag[20];
};

/* The per-VM families of /metrics (metrics.c prints them in order). */
enum { MF_STATE, MF_UPTIME, MF_BOOTS, MF_RATE, MF_FREQ, MF_AGENT_AGE,
       MF_EXITS, MF_JAILED,
       MF_BOOTS_OK, MF_BOOT_FAILURES, MF_ROLLBACKS,	/* issue 19 */
       MF_CLOCK_EXACT,
       MF_CG_CPU, MF_CG_MEMORY, MF_CG_PIDS,	/* the jail's group, issue 13 */
       MF_COUNT };

/*
 * Everything serialized for one VM. Shared by the snapshots that follow
 * while the VM's fingerprint (a hash of the fields its JSON shows) stays
 * the same, so a change to one VM of a thousand serializes one VM.
 */
struct snap_piece {
	atomic_int refs;
	uint64_t fp;
	double built_at;
	bool ages;		/* shows an uptime or a report age */
	struct rest_body vm;	/* /v1/vms/{name} */
	struct rest_body clock;	/* /v1/vms/{name}/clock */
	char *fleet;		/* its /v1/fleet entry */
	size_t fleet_len;
	char *met[MF_COUNT];	/* its /metrics lines, by family */
	size_t met_len[MF_COUNT];
};

/* A partition (jail.c): its object, /v1/partitions/{name}. */
struct snap_part {
	char *name;
	struct rest_body body;
};

struct snap_vm {
	char *name;
	int64_t id;		/* the store's row id (agent reports) */
	struct snap_piece *p;
};

struct snapshot {
	atomic_int refs;
	uint64_t generation;
	double generated_at;
	/* Holds uptimes or report ages, which grow old: worth rebuilding
	 * when read more than SNAPSHOT_AGE_S after aged_at, when the
	 * oldest of them was computed. */
	bool ages;
	double aged_at;
	struct rest_body vms;		/* /v1/vms */
	struct rest_body fleet;		/* /v1/fleet?scope=local */
	/* The pieces /v1/fleet merges with its peers': this host's entry
	 * of "hosts" and its "vms" entries, comma-joined. */
	char *self_host;
	size_t self_host_len;
	char *fleet_vms;
	size_t fleet_vms_len;
	/* /v1/partitions, and each partition's body (sorted by name).
	 * Their usage is read from the groups when the snapshot is built
	 * and ages like an uptime. */
	struct rest_body partitions;
	struct snap_part *part;
	size_t nparts;
	/* The VM and partition families of /metrics (the rest is made per
	 * request). */
	char *metrics;
	size_t metrics_len;
	size_t nvms;
	struct snap_vm vm[];		/* sorted by name */
};

/* Exits by class, as the last VP_STATS_GET of a VM returned. */
struct snap_stats_fn {
	const struct vp_stats *(*get)(void *arg, const char *vm);
	void *arg;
};

/*
 * Builds the snapshot of d's VMs (loop thread), reusing what prev (may be
 * NULL) serialized for VMs that did not change. NULL: out of memory.
 */
struct snapshot *snapshot_build(struct verged *d, const char *host,
				uint64_t generation,
				const struct snap_stats_fn *stats,
				const struct snapshot *prev);
struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);
const struct snap_vm *snapshot_find(const struct snapshot *s,
				    const char *name);
const struct snap_part *snapshot_find_part(const struct snapshot *s,
					   const char *name);

/* Fills b->etag from b->data. */
void rest_body_etag(struct rest_body *b);

/*
 * The published snapshot. A mutex, not a bare atomic pointer: taking a
 * reference must not race with the last unref of the snapshot being
 * replaced, and the critical section is a load and an increment.
 */
struct snapshot_slot {
	pthread_mutex_t lock;
	struct snapshot *cur;
};

void snapshot_slot_init(struct snapshot_slot *slot);
/* Publishes s (the slot takes the caller's reference). */
void snapshot_slot_publish(struct snapshot_slot *slot, struct snapshot *s);
/* The current snapshot, referenced (NULL before the first publish). */
struct snapshot *snapshot_slot_get(struct snapshot_slot *slot);
void snapshot_slot_destroy(struct snapshot_slot *slot);
#endif
