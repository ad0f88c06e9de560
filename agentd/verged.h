/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's state, shared by the parts that run on its one libuv loop:
 * the RPC server, the store, the VM supervisors.
 */
#ifndef VERGED_H
#define VERGED_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "config.h"
#include "rpc.h"

struct store;
struct server;
struct rest;
struct vm;

/* Commit the guest-caused batch at most this long after its first write. */
#define VERGED_COMMIT_MS	200
/* vm.list's answer is serialized again when an uptime or report age in it
 * is this old (s), as the REST snapshots are (SNAPSHOT_AGE_S). */
#define VERGED_LIST_AGE_S	1.0

/* vm.list's answer (methods.c), serialized at the first call after a
 * change and shared by the calls that follow. */
struct verged_list {
	char *text;		/* "[...]", NULL: none yet */
	size_t len;
	double at;		/* verged_now() when serialized */
	bool ages;		/* shows uptimes or report ages */
	bool stale;		/* verged_dirty() since */
};

struct verged {
	uv_loop_t *loop;
	struct verged_config cfg;
	struct store *store;
	struct server *server;
	struct rest *rest;	/* REST API (rest.c); NULL when off */
	struct rpc_table rpc;
	struct vm *vms;		/* sorted by name */
	unsigned nvms;
	uid_t self_uid;
	gid_t group;
	bool has_group;
	bool stopping;
	uv_timer_t commit_timer;
	uv_signal_t sig_term, sig_int;
	char *state_db;		/* state_dir/verged.db */
	struct verged_list list;
};

/* mkdir -p; logs and returns a negative errno on failure. */
int verged_mkdir(const char *path, mode_t mode);
/* Wall-clock seconds, as events and VMs report them. */
double verged_now(void);
/* Monotonic milliseconds, for timeouts and latencies. */
double verged_mono_ms(void);
/* Commits the store's batch now (before a reply leaves); 0 or -EIO (the
 * batch is lost, and logged). */
int verged_commit(struct verged *d);
/* Something vm.list or the REST API shows changed: they serialize it
 * again; arms the commit timer after a write nobody waits for. */
void verged_dirty(struct verged *d);
/*
 * Records an event (uid < 0: caused by verged or the guest), tells the
 * subscribers, and leaves it in the batch. detail is stolen (may be NULL).
 */
void verged_event(struct verged *d, const char *vm, const char *type,
		  int64_t uid, json_t *detail);
/* The same for an event the guest caused: kept apart (source "guest",
 * its own bound). Not rate limited: see vm_guest_event(). */
void verged_guest_event(struct verged *d, const char *vm, const char *type,
			json_t *detail);

/*
 * A rate: a string in the syntax of proto/verge_rate.h ("0.5", "1/3") or
 * a JSON number (0.5); reduced. Returns 0 or verge_rate_parse()'s -EINVAL,
 * -EDOM or -ERANGE.
 */
int verged_parse_rate(json_t *v, uint32_t *ret_num, uint32_t *ret_den);

/* The RPC methods (methods.c). */
extern const struct rpc_method verged_methods[];
extern const size_t verged_method_count;
bool verged_allowed(void *ctx, const struct rpc_caller *who);

/* Daemon lifetime (daemon.c), separate from main() for the unit tests. */
int verged_init(struct verged *d, uv_loop_t *loop);
int verged_listen(struct verged *d);
void verged_shutdown(struct verged *d);
#endif
