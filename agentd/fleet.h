/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The body of /v1/fleet and /v1/hosts (docs/rest.md, docs/fleet.md):
 * one writer for the three ways a fleet is known (this host alone, static
 * peers, the etcd registry), the pages of its VMs, and the body kept
 * between requests while nothing it shows changed. No HTTP here: rest.c
 * validates the query and sends what this writes.
 */
#ifndef VERGED_FLEET_H
#define VERGED_FLEET_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "snapshot.h"

/* VMs per page: the default with etcd's ?detail=vms, and the most. */
#define FLEET_PAGE_MAX		1000
/* A cursor longer than this is refused (a host name, '/', a VM name). */
#define FLEET_CURSOR_MAX	448

struct etcd;
struct etcd_view;
struct peers_round;

/* Where a page starts: the first VM at or after (host, vm). */
struct fleet_cursor {
	char host[256];
	char vm[66];
};

/* What one answer is made of. */
struct fleet_src {
	const struct snapshot *s;
	const char *host;		/* this host's name */
	const char *self;		/* its entry as registered (etcd), or
					 * NULL: the snapshot's */
	struct etcd *etcd;		/* with v, the registry */
	const struct etcd_view *v;	/* NULL: no etcd */
	const struct peers_round *round;	/* the VMs of the others */
	bool vms;			/* the answer lists VMs */
	/* paging the VMs: limit 0 is not paged */
	size_t limit;
	const struct fleet_cursor *cursor;	/* NULL: the first page */
};

/* The answer's JSON into b. */
void fleet_write(struct buf *b, const struct fleet_src *f);

/* A cursor from ?cursor= (base64url of HOST/VM); false if it is not one
 * fleet_write() gives. */
bool fleet_cursor_parse(const char *text, struct fleet_cursor *ret);

/*
 * The answer without VMs under etcd, kept: the hosts' entries of 1,000
 * hosts are 400 KB, the same for every request until the membership, the
 * snapshot or this host's record changes. Reference-counted; a request
 * holds it until its response is sent.
 */
struct fleet_kept {
	atomic_int refs;
	struct etcd_view *v;
	uint64_t generation;
	char *self;
	struct rest_body body;
};

struct fleet_cache {
	pthread_mutex_t lock;
	struct fleet_kept *k;
};

void fleet_cache_init(struct fleet_cache *c);
void fleet_cache_destroy(struct fleet_cache *c);
/* The kept answer for f (f->vms false, f->v set), built when what it
 * shows changed; referenced, or NULL when out of memory. */
struct fleet_kept *fleet_kept_get(struct fleet_cache *c,
				  const struct fleet_src *f);
void fleet_kept_unref(struct fleet_kept *k);
#endif
