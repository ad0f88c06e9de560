// SPDX-License-Identifier: Apache-2.0
/*
 * The daemon's lifetime apart from main(): directories, the store, the
 * VMs (loaded and re-attached), the socket, the commit timer and the
 * event log. The unit tests drive these functions without a socket.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jail.h"
#include "log.h"
#include "rest.h"
#include "server.h"
#include "store.h"
#include "verged.h"
#include "vm.h"

double verged_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double verged_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int verged_commit(struct verged *d)
{
	int r;

	if (!store_dirty(d->store))
		return 0;
	uv_timer_stop(&d->commit_timer);
	r = store_commit(d->store);
	if (r)
		log_err("store: commit failed; the last changes are lost");
	return r;
}

static void commit_cb(uv_timer_t *t)
{
	verged_commit(t->data);
}

/* After every state-changing call, before its reply. */
static int commit_call(void *ctx)
{
	struct verged *d = ctx;

	d->list.stale = true;	/* whatever the call changed */
	return verged_commit(d);
}

void verged_dirty(struct verged *d)
{
	d->list.stale = true;	/* vm.list: serialize again */
	rest_changed(d);	/* REST: publish a new snapshot */
	/* Only while a batch is open: an idle daemon has no timer. */
	if (store_dirty(d->store) && !uv_is_active((uv_handle_t *)
						   &d->commit_timer))
		uv_timer_start(&d->commit_timer, commit_cb, VERGED_COMMIT_MS,
			       0);
}

static void add_event(struct verged *d, const char *vm, const char *type,
		      int64_t uid, bool guest, json_t *detail)
{
	json_t *ev = NULL;

	if (store_event_add(d->store, verged_now(), vm, type, uid, guest,
			    detail, &ev) == 0 && ev) {
		if (d->server)
			server_broadcast(d->server, vm, ev);
	}
	json_decref(ev);
	json_decref(detail);
	verged_dirty(d);
}

void verged_event(struct verged *d, const char *vm, const char *type,
		  int64_t uid, json_t *detail)
{
	add_event(d, vm, type, uid, false, detail);
}

void verged_guest_event(struct verged *d, const char *vm, const char *type,
			json_t *detail)
{
	add_event(d, vm, type, -1, true, detail);
}

int verged_mkdir(const char *path, mode_t mode)
{
	char *p = strdup(path), *s;
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; ; s++) {
		if (*s && *s != '/')
			continue;
		char ch = *s;

		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST) {
			r = -errno;
			log_err("%s: %s", p, strerror(errno));
			break;
		}
		*s = ch;
		if (!ch)
			break;
	}
	free(p);
	return r;
}

static int load_vm(const struct vm_record *r, void *arg)
{
	struct verged *d = arg;
	struct vm *vm = vm_new(d, r);

	if (!vm)
		return -ENOMEM;
	if (vm_load_devices(vm)) {
		vm_free(vm);
		return -EIO;
	}
	vm_link(d, vm);
	return 0;
}

static void before_reply(void *ctx)
{
	/* An acknowledged change is a committed change. */
	verged_commit(ctx);
	/* REST: ... and one the REST API already shows. */
	rest_flush(ctx);
}

int verged_init(struct verged *d, uv_loop_t *loop)
{
	struct group *g;
	char *sockdir, *slash;
	int r;

	d->loop = loop;
	uv_timer_init(loop, &d->commit_timer);
	d->commit_timer.data = d;
	d->self_uid = getuid();
	g = getgrnam(d->cfg.group);
	d->has_group = g != NULL;
	d->group = g ? g->gr_gid : (gid_t)-1;
	if ((r = verged_mkdir(d->cfg.state_dir, 0750)) ||
	    (r = verged_mkdir(d->cfg.run_dir, 0755)))
		return r;
	sockdir = strdup(d->cfg.socket_path);
	if (!sockdir)
		return -ENOMEM;
	slash = strrchr(sockdir, '/');
	if (slash && slash != sockdir) {
		*slash = '\0';
		r = verged_mkdir(sockdir, 0755);
	}
	free(sockdir);
	if (r)
		return r;
	if (asprintf(&d->state_db, "%s/verged.db", d->cfg.state_dir) < 0)
		return -ENOMEM;
	r = store_open(d->state_db, &d->store);
	if (r)
		return r;
	store_set_event_keep(d->store, d->cfg.event_history);
	d->rpc.methods = verged_methods;
	d->rpc.count = verged_method_count;
	d->rpc.ctx = d;
	d->rpc.allowed = verged_allowed;
	d->rpc.commit = commit_call;
	if (jail_enabled(&d->cfg) && (r = jail_cgroup_init(&d->cfg)))
		return r;
	r = store_vm_foreach(d->store, load_vm, d);
	if (r)
		return r;
	return 0;
}

int verged_listen(struct verged *d)
{
	struct vm *vm;
	int r;

	r = server_start(d->loop, d->cfg.socket_path, d->group, d->has_group,
			 &d->rpc, before_reply, &d->server);
	if (r)
		return r;
	verged_event(d, NULL, "daemon.start", -1,
		     json_pack("{ss si}", "version", VERGED_VERSION, "pid",
			       (int)getpid()));
	for (vm = d->vms; vm; vm = vm->next)
		vm_reattach(vm);
	verged_commit(d);
	/* REST: after the socket, so a REST failure leaves no VM behind */
	return rest_start(d);
}

void verged_shutdown(struct verged *d)
{
	struct vm *vm;

	d->stopping = true;
	/* QEMU keeps running: the next verged re-attaches to it. */
	while ((vm = d->vms)) {
		vm_detach(vm);
		vm_unlink(d, vm);
		vm_free(vm);
	}
	rest_stop(d);	/* REST: after the VMs, whose replies it awaits */
	server_stop(d->server);
	d->server = NULL;
	if (d->store)
		verged_commit(d);
	store_close(d->store);
	d->store = NULL;
	if (d->loop && !uv_is_closing((uv_handle_t *)&d->commit_timer))
		uv_close((uv_handle_t *)&d->commit_timer, NULL);
	free(d->state_db);
	d->state_db = NULL;
	free(d->list.text);
	memset(&d->list, 0, sizeof(d->list));
}
