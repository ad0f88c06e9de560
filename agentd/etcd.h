/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fleet registry in etcd (docs/fleet.md): this host's record under
 * PREFIX/hosts/NAME, bound to a lease kept alive, and the membership of
 * the fleet, read with one range request and then watched.
 *
 * One thread of its own talks to etcd's v3 JSON gateway with libcurl:
 * short requests (grant, put, keepalive, range) synchronously under a
 * timeout, failing over from endpoint to endpoint, and the watch as a
 * long transfer on a curl multi handle it polls in between. The libuv
 * loop never waits for it: it hands over the record text under a mutex
 * (etcd_set_record) and the thread writes it at most once a second. The
 * REST threads read an immutable, reference-counted view of the
 * membership (etcd_view_get), as they read the loop's snapshots.
 */
#ifndef VERGED_ETCD_H
#define VERGED_ETCD_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_MAX_ENDPOINTS	16
/* A registration record larger than this is refused (theirs or ours). */
#define ETCD_MAX_RECORD		16384
/* Answers (a range over the prefix) larger than this are refused. */
#define ETCD_MAX_BODY		(64u << 20)
/* At most one write of the record per this many ms in steady state. */
#define ETCD_WRITE_MS		1000
/* After every endpoint failed, the next try waits this long (ms). */
#define ETCD_RETRY_MS		1000
/* An agent that reported within this many seconds counts as healthy. */
#define ETCD_AGENT_FRESH_S	30.0

struct verged_config;

/* What the registration record says of this host (etcd_record()). */
struct etcd_self {
	const char *name, *url, *version, *site;	/* site may be NULL */
	int api;
	unsigned cpus;
	uint64_t memory_mib;
	/* VM counts: by state (names and counts, nstates of them), agent
	 * health of the running VMs, clock modes of the running VMs */
	size_t nstates;
	const char *const *state_names;
	const unsigned *state_counts;
	unsigned agent_ok, agent_stale, agent_none;
	unsigned clock_exact, clock_dilation, clock_unreported;
};

/* The record's JSON text (malloc'd), or NULL when out of memory. */
char *etcd_record(const struct etcd_self *s);

/*
 * A record read from etcd, checked (the key's host name must be its
 * "name") and serialized again as a /v1/hosts entry (*ret_entry) and a
 * Prometheus HTTP SD target group (*ret_sd); *ret_url is its REST URL.
 * Returns 0, or -EBADMSG with the reason in err.
 */
int etcd_parse_record(const char *key_name, const char *value, size_t len,
		      char **ret_entry, char **ret_sd, char **ret_url,
		      char *err, size_t errsize);
/* The SD target group of a host: {"targets":[...],"labels":{...}}. */
char *etcd_sd_group(const char *url, const char *name, const char *version,
		    const char *site);

/* The membership as the REST threads see it, immutable once published. */
struct etcd_view {
	atomic_int refs;
	bool reachable;		/* the last request to etcd succeeded */
	bool registered;	/* this host's record is in etcd */
	bool synced;		/* the membership was read at least once */
	double since;		/* wall s: reachable or unreachable since */
	char error[256];	/* why unreachable ("" when reachable) */
	size_t n;		/* hosts other than this one */
	char *hosts;		/* their /v1/hosts entries, comma-joined */
	size_t hosts_len;
	char *stale;		/* the same, each with "stale":true */
	size_t stale_len;
	char *sd;		/* their SD target groups, comma-joined */
	size_t sd_len;
};

struct etcd;

/* Called on the etcd thread with the other hosts' REST URLs whenever the
 * membership changes (the fan-out for ?detail=vms). */
typedef void (*etcd_members_fn)(void *arg, char *const *urls, size_t n);

/* Starts the thread when c names etcd endpoints (else *ret = NULL). */
int etcd_start(const struct verged_config *c, const char *host,
	       etcd_members_fn members, void *arg, struct etcd **ret);
/* Revokes the lease (the host leaves at once) and ends the thread. */
void etcd_stop(struct etcd *e);
/* Takes record (malloc'd text); written when it differs from the last. */
void etcd_set_record(struct etcd *e, char *record);
/* This host's /v1/hosts entry, from its latest record ("self": true,
 * its summary); malloc'd, NULL before the first record. */
char *etcd_self_entry(struct etcd *e);
/* The endpoints, as configured, comma-joined (for the fleet view). */
const char *etcd_endpoints(const struct etcd *e);
struct etcd_view *etcd_view_get(struct etcd *e);
void etcd_view_unref(struct etcd_view *v);
/* Writes of the record so far (for /metrics). */
uint64_t etcd_writes(struct etcd *e);
#endif
