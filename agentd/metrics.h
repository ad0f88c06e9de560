/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus text exposition (format 0.0.4) for /metrics: the VM
 * families, built into each snapshot on the loop, and the request
 * counters, kept by the REST threads with atomics and printed per scrape.
 * docs/rest.md lists every family.
 */
#ifndef VERGED_METRICS_H
#define VERGED_METRICS_H
#include <stdatomic.h>
#include <stdbool.h>

#include <jansson.h>

#include "buf.h"
#include "snapshot.h"

struct verged;

/* The endpoints requests are counted by (rest.c routes to them). */
enum rest_ep {
	EP_FLEET, EP_HOSTS, EP_VMS, EP_VM, EP_VM_CLOCK, EP_VM_AGENT,
	EP_EVENTS, EP_HEALTHZ, EP_METRICS, EP_OTHER, EP_PARTITIONS,
	EP_PARTITION, EP_SD, EP_COUNT
};

/* The status codes verged answers with; anything else counts as the
 * last, 500. */
#define METRICS_CODES	{ 200, 304, 400, 401, 404, 405, 503, 500 }
#define METRICS_NCODES	8

struct metrics {
	atomic_ulong requests[EP_COUNT][METRICS_NCODES];
};

extern const char *const metrics_ep_names[EP_COUNT];

void metrics_count(struct metrics *m, enum rest_ep ep, unsigned status);
struct vm;
struct vp_stats;

/* One VM's lines of each per-VM family, values as of now (loop thread);
 * st: its last exit statistics, or NULL. */
void metrics_vm_lines(struct buf out[MF_COUNT], const struct vm *vm,
		      double now, const struct vp_stats *st);
/* The VM families: the counts by state (VM_OOM + 1 of them), then
 * each family's lines from the snapshot's pieces. */
void metrics_vms(struct buf *b, const struct snapshot *s,
		 const unsigned *state_counts);
/* verge_isolation: 1 when VMs run jailed, 0 with [jail] isolation = off. */
void metrics_isolation(struct buf *b, bool jailed);
/* The partition families, from the partition objects of list (as
 * jail_partition_json() makes them). */
void metrics_partitions(struct buf *b, const json_t *list);
/* verge_http_requests_total. */
void metrics_requests(struct buf *b, struct metrics *m);
/* Appends one sample line: name{labels} value. */
void metrics_sample(struct buf *b, const char *name, const char *labels,
		    double value);
/* Appends the # HELP and # TYPE lines of a family. */
void metrics_family(struct buf *b, const char *name, const char *type,
		    const char *help);
/* Appends key="value" with the exposition format's escapes. */
void metrics_label(struct buf *b, const char *key, const char *value);
#endif
