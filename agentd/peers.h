/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fleet fan-out (docs/rest.md, "Peers"): a thread of its own fetches
 * every peer's /v1/fleet?scope=local in parallel with libcurl's multi
 * interface, each under a timeout, and keeps the results of the last
 * round for peer_cache_ms. A request that finds the results too old is
 * suspended (http_suspend/http_resume, http.h), never blocking a REST thread
 * or the libuv loop, and resumed when the round ends: by then every peer
 * has answered or timed out.
 */
#ifndef VERGED_PEERS_H
#define VERGED_PEERS_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* Bodies larger than this from a peer are refused. */
#define PEERS_MAX_BODY	(64u << 20)

/* One VM of a peer's answer: its name and its entry in vms. */
struct peer_vm {
	char *name;
	size_t off, len;	/* of its entry in peer_result.vms */
};

struct peer_result {
	char *url;		/* base URL, as configured */
	char *host;		/* the host name it gave (NULL: unreachable) */
	bool reachable;
	double latency_ms;
	char version[33];	/* as the peer said of itself ("": unknown) */
	int api;		/* 0: unknown */
	char *host_entry;	/* its "hosts" entry (JSON object text) */
	size_t host_entry_len;
	char *vms;		/* its "vms" entries, comma-joined */
	size_t vms_len;
	size_t nvms;
	struct peer_vm *vm;	/* nvms of them, sorted by name, unique */
};

/* The results of one round, immutable once published. */
struct peers_round {
	atomic_int refs;
	double finished_at;
	size_t n;
	struct peer_result r[];
};

struct peers;

/* urls: n base URLs; token: sent as a bearer token (may be NULL). */
int peers_start(char *const *urls, size_t n, int timeout_ms, int cache_ms,
		const char *token, struct peers **ret_peers);
/* Replaces the URLs (the etcd membership's, etcd.h); the next round
 * fetches these. 0 or -ENOMEM (the old list stays). */
int peers_set_urls(struct peers *p, char *const *urls, size_t n);
/* Ends the thread; suspended requests are resumed (and get 503). */
void peers_stop(struct peers *p);
/* After peers_stop() and once no REST thread runs (http_stop). */
void peers_free(struct peers *p);

/*
 * The results for a request on connection c. Returns 0 with *ret_round
 * (referenced) when they are fresh enough, or when fresh is false (the
 * request was already suspended once); -EAGAIN after suspending c until
 * the next round ends; -ESHUTDOWN while stopping.
 */
int peers_get(struct peers *p, struct http_req *c, bool fresh,
	      struct peers_round **ret_round);
/* The last round's results, referenced, whatever their age (or NULL). */
struct peers_round *peers_last(struct peers *p);
void peers_round_unref(struct peers_round *r);
#endif
