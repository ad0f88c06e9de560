// SPDX-License-Identifier: Apache-2.0
/*
 * VM supervision: start QEMU detached (it outlives verged), follow it
 * through QMP and its process (exit status for our children, a pidfd for
 * the ones a previous verged started), stop it with the power button and
 * a deadline, apply the restart policy, and re-attach after a restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ascaller.h"
#include "devices.h"
#include "hvlink.h"
#include "jail.h"
#include "jsonw.h"
#include "log.h"
#include "qemu.h"
#include "qmp.h"
#include "rpc.h"
#include "server.h"
#include "store.h"
#include "verged.h"
#include "vm.h"

/* Restart policy: at most this many crash restarts per window. */
#define VM_CRASH_LIMIT		5
#define VM_CRASH_WINDOW_S	60.0
#define VM_RESTART_DELAY_MS	1000
#define VM_LIVENESS_MS		1000
/*
 * QEMU's power button (virt: gpio-key on the PL061) is a 100 ms pulse of
 * QEMU's virtual clock. A guest that does not run through it (under
 * verge-hv at clock rate < 1 the dilation rendezvous and stalls hold its
 * vCPUs for tens of ms at a time on a loaded host) reads the line low
 * after gpio-keys' debounce and reports nothing. So verged presses again
 * until the guest stops or the deadline passes, as a user would.
 */
#define VM_REPRESS_MS		1000

static const char *const state_names[] = {
	[VM_DEFINED] = "defined", [VM_STARTING] = "starting",
	[VM_RUNNING] = "running", [VM_STOPPING] = "stopping",
	[VM_STOPPED] = "stopped", [VM_CRASHED] = "crashed",
	[VM_OOM] = "oom",
};

const char *vm_state_name(enum vm_state s)
{
	return state_names[s];
}

static enum vm_state state_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (name && !strcmp(state_names[i], name))
			return (enum vm_state)i;
	return VM_DEFINED;
}

bool vm_is_active(const struct vm *vm)
{
	return vm->state == VM_STARTING || vm->state == VM_RUNNING ||
	       vm->state == VM_STOPPING;
}

static char *join(const char *dir, const char *name, const char *file)
{
	char *p;

	if (asprintf(&p, "%s/vms/%s%s%s", dir, name, file ? "/" : "",
		     file ? file : "") < 0)
		return NULL;
	return p;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void send_kill(struct vm *vm);

struct vm *vm_new(struct verged *d, const struct vm_record *r)
{
	const struct verged_config *c = &d->cfg;
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->d = d;
	vm->pidfd = -1;
	vm->clock_mode = -1;
	vm->def = *r;
	vm->def.name = dup_or_null(r->name);
	vm->def.uuid = dup_or_null(r->uuid);
	vm->def.kernel = dup_or_null(r->kernel);
	vm->def.initrd = dup_or_null(r->initrd);
	vm->def.cmdline = dup_or_null(r->cmdline ? r->cmdline : "");
	vm->def.restart = dup_or_null(r->restart ? r->restart : "no");
	vm->def.desired = dup_or_null(r->desired ? r->desired : "stopped");
	vm->def.owner_groups = dup_or_null(r->owner_groups ?
					   r->owner_groups : "");
	vm->def.partition = dup_or_null(r->partition);
	vm->def.fail_reason = dup_or_null(r->fail_reason);
	if (!r->slot[0].kernel && !r->slot[1].kernel) {
		/* vm.define: its images are slot A */
		vm->def.slot[0].kernel = dup_or_null(r->kernel);
		vm->def.slot[0].initrd = dup_or_null(r->initrd);
		vm->def.slot[0].cmdline = dup_or_null(vm->def.cmdline);
	} else {
		for (int i = 0; i < BS_SLOTS; i++) {
			vm->def.slot[i].kernel = dup_or_null(r->slot[i].kernel);
			vm->def.slot[i].initrd = dup_or_null(r->slot[i].initrd);
			vm->def.slot[i].cmdline =
				dup_or_null(r->slot[i].cmdline);
		}
	}
	vm->def.cpu = dup_or_null(r->cpu ? r->cpu : c->cpu);
	vm->def.state = NULL;
	vm->state = state_from_name(r->state);
	vm->pid = (pid_t)r->pid;
	vm->started_at = r->started_at;
	vm->boots = r->boots;
	vm->run_dir = join(c->run_dir, r->name, NULL);
	vm->qmp_path = join(c->run_dir, r->name, "qmp.sock");
	vm->mgmt_path = join(c->run_dir, r->name, "mgmt.sock");
	vm->con_path = join(c->run_dir, r->name, "console.sock");
	vm->pid_path = join(c->run_dir, r->name, "qemu.pid");
	vm->log_dir = join(c->state_dir, r->name, NULL);
	vm->console_log = join(c->state_dir, r->name, "console.log");
	vm->qemu_log = join(c->state_dir, r->name, "qemu.log");
	if (bs_check(&vm->def.bs) || !vm->def.slot[vm->def.bs.active].kernel) {
		log_err("%s: stored image slots are inconsistent; booting"
			" slot A", r->name);
		vm->def.bs.active = vm->def.bs.good = 0;
		vm->def.bs.filled |= 1;
		vm->def.bs.trial_ok = false;
		if (vm->def.bs.attempts_max < 1 ||
		    vm->def.bs.attempts_max > BS_ATTEMPTS_MAX)
			vm->def.bs.attempts_max = BS_ATTEMPTS_DEFAULT;
	}
	if (vm->def.slot[vm->def.bs.active].kernel && vm_apply_slot(vm)) {
		vm_free(vm);
		return NULL;
	}
	if (!vm->json_static)
		vm->json_static = vm_static_json(&vm->def, c);
	if (vm_set_devices(vm, json_array(), json_array(), false)) {
		vm_free(vm);
		return NULL;
	}
	if (asprintf(&vm->jail_root, "%s/jails/%s", c->run_dir,
		     r->name) < 0)
		vm->jail_root = NULL;
	if (!vm->jail_root || !vm->def.owner_groups || vmcg_paths(vm)) {
		vm_free(vm);
		return NULL;
	}
	if (!vm->json_static || !vm->def.name || !vm->def.uuid || !vm->def.kernel ||
	    !vm->def.cmdline || !vm->def.restart || !vm->def.desired ||
	    !vm->run_dir || !vm->qmp_path || !vm->mgmt_path ||
	    !vm->con_path || !vm->pid_path || !vm->log_dir ||
	    !vm->console_log || !vm->qemu_log) {
		vm_free(vm);
		return NULL;
	}
	return vm;
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void close_handle(void *hp)
{
	uv_handle_t **h = hp;

	if (!*h)
		return;
	(*h)->data = NULL;
	uv_close(*h, free_handle);
	*h = NULL;
}

/* Answers the vm.stop and vm.kill calls waiting for the exit. */
static void answer_waiters(struct vm *vm, bool ok)
{
	struct vm_waiter *w;

	while ((w = vm->stop_waiters)) {
		vm->stop_waiters = w->next;
		if (ok)
			rpc_reply(w->call, vm_json(vm));
		else
			rpc_fail(w->call, RPC_INTERNAL_ERROR, NULL,
				 "verged is stopping; the VM may still stop");
		free(w);
	}
}

/* Answers the waiting calls (vm.reboot's) with why the start failed. */
static void fail_waiters(struct vm *vm, const char *why)
{
	struct vm_waiter *w;

	while ((w = vm->stop_waiters)) {
		vm->stop_waiters = w->next;
		rpc_fail(w->call, RPC_INTERNAL_ERROR,
			 json_pack("{ss}", "reason", why),
			 "%s: stopped, but cannot start again: %s",
			 vm->def.name, why);
		free(w);
	}
}

/* Drops what follows the process, not the process. */
static void drop_links(struct vm *vm)
{
	qmp_close(vm->qmp);
	vm->qmp = NULL;
	hvlink_close(vm->hv);
	vm->hv = NULL;
	close_handle(&vm->proc);
	close_handle(&vm->pidpoll);
	close_handle(&vm->liveness);
	close_handle(&vm->stop_timer);
	close_handle(&vm->boot_timer);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	vm->pidfd = -1;
	vm_tclo_cancel_all(vm, "the VM's hypervisor went away");
	vm_guest_flush(vm);	/* what the rate limit dropped */
}

static void answer_starts(struct vm *vm, int e, const char *why);

void vm_free(struct vm *vm)
{
	if (!vm)
		return;
	drop_links(vm);
	close_handle(&vm->restart_timer);
	dev_check_cancel(vm);
	answer_starts(vm, -ECANCELED, "the VM was undefined, or verged stops");
	answer_waiters(vm, false);
	free(vm->agent_detect);
	free(vm->agent_hostname);
	free(vm->agent_channel);
	free(vm->agent_ip);
	free(vm->run_dir);
	free(vm->qmp_path);
	free(vm->mgmt_path);
	free(vm->con_path);
	free(vm->pid_path);
	free(vm->log_dir);
	free(vm->console_log);
	free(vm->qemu_log);
	free(vm->json_static);
	json_decref(vm->disks);
	json_decref(vm->nics);
	free(vm->disks_text);
	free(vm->nics_text);
	free(vm->jail_root);
	while (vm->ncg > 0)
		free(vm->cg_dirs[--vm->ncg]);
	close_handle(&vm->cg_timer);
	store_record_free(&vm->def);
	free(vm);
}

void vm_remove_run_dir(struct vm *vm)
{
	unlink(vm->qmp_path);
	unlink(vm->mgmt_path);
	unlink(vm->con_path);
	unlink(vm->pid_path);
	rmdir(vm->run_dir);	/* the logs in the state directory stay */
	rmdir(vm->jail_root);
}

void vm_detach(struct vm *vm)
{
	drop_links(vm);
	close_handle(&vm->restart_timer);
	answer_waiters(vm, false);
}

struct vm *vm_find(struct verged *d, const char *name)
{
	struct vm *vm;

	for (vm = d->vms; vm; vm = vm->next)
		if (!strcmp(vm->def.name, name))
			return vm;
	return NULL;
}

void vm_link(struct verged *d, struct vm *vm)
{
	struct vm **pp = &d->vms;

	while (*pp && strcmp((*pp)->def.name, vm->def.name) < 0)
		pp = &(*pp)->next;
	vm->next = *pp;
	*pp = vm;
	d->nvms++;
	d->list.stale = true;
}

void vm_unlink(struct verged *d, struct vm *vm)
{
	struct vm **pp = &d->vms;

	while (*pp && *pp != vm)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = vm->next;
		d->nvms--;
	}
	d->list.stale = true;
}

static void save_observed(struct vm *vm)
{
	if (store_vm_set_observed(vm->d->store, vm->def.id,
				  vm_state_name(vm->state), vm->pid,
				  vm->started_at, vm->boots) == 0)
		verged_dirty(vm->d);
}

void vm_set_state(struct vm *vm, enum vm_state s)
{
	if (vm->state == s)
		return;
	log_info("%s: %s -> %s", vm->def.name, vm_state_name(vm->state),
		 vm_state_name(s));
	vm->state = s;
	save_observed(vm);
}

static void set_desired(struct vm *vm, const char *desired)
{
	char *p;

	if (!strcmp(vm->def.desired, desired))
		return;
	p = strdup(desired);
	if (!p)
		return;
	free(vm->def.desired);
	vm->def.desired = p;
	store_vm_set_desired(vm->d->store, vm->def.id, desired);
	verged_dirty(vm->d);
}

/* --- devices and image slots ------------------------------------------- */

int vm_set_devices(struct vm *vm, json_t *disks, json_t *nics, bool store)
{
	char *d = json_dumps(disks, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *n = json_dumps(nics, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int e = d && n ? 0 : -ENOMEM;

	if (!e && store)
		e = store_devices_set(vm->d->store, vm->def.id, d, n);
	if (e) {
		free(d);
		free(n);
		json_decref(disks);
		json_decref(nics);
		return e;
	}
	json_decref(vm->disks);
	json_decref(vm->nics);
	free(vm->disks_text);
	free(vm->nics_text);
	vm->disks = disks;
	vm->nics = nics;
	vm->disks_text = d;
	vm->nics_text = n;
	return 0;
}

int vm_load_devices(struct vm *vm)
{
	char *d = NULL, *n = NULL;
	json_t *dj, *nj;
	int e;

	e = store_devices_get(vm->d->store, vm->def.id, &d, &n);
	if (e == -ENOENT)
		return 0;
	if (e)
		return e;
	dj = json_loads(d, 0, NULL);
	nj = json_loads(n, 0, NULL);
	free(d);
	free(n);
	if (!json_is_array(dj) || !json_is_array(nj)) {
		log_err("%s: unreadable devices in the store; the VM has"
			" none until they are defined again", vm->def.name);
		json_decref(dj);
		json_decref(nj);
		return 0;
	}
	return vm_set_devices(vm, dj, nj, false);
}

int vm_apply_slot(struct vm *vm)
{
	const struct vm_slot *sl = &vm->def.slot[vm->def.bs.active];
	char *k = dup_or_null(sl->kernel), *i = dup_or_null(sl->initrd);
	char *c = strdup(sl->cmdline ? sl->cmdline : ""), *js;

	if (!k || !c || (sl->initrd && !i)) {
		free(k);
		free(i);
		free(c);
		return -ENOMEM;
	}
	free(vm->def.kernel);
	free(vm->def.initrd);
	free(vm->def.cmdline);
	vm->def.kernel = k;
	vm->def.initrd = i;
	vm->def.cmdline = c;
	js = vm_static_json(&vm->def, &vm->d->cfg);
	if (!js)
		return -ENOMEM;
	free(vm->json_static);
	vm->json_static = js;
	return 0;
}

void vm_restart_images(struct vm *vm)
{
	log_info("%s: stopping QEMU pid %d to boot slot %s", vm->def.name,
		 (int)vm->pid, bs_slot_name(vm->def.bs.active));
	vm->image_restart = true;
	send_kill(vm);
}

/* --- process exit --------------------------------------------------------- */

static void restart_cb(uv_timer_t *t)
{
	struct vm *vm = t->data;
	const char *why;
	bool reboot;
	int r;

	if (!vm)
		return;
	close_handle(&vm->restart_timer);
	reboot = vm->reboot;
	vm->reboot = false;
	if (vm_is_active(vm) || strcmp(vm->def.desired, "running")) {
		if (reboot)	/* started or stopped meanwhile */
			answer_waiters(vm, true);
		return;
	}
	r = vm_start(vm, reboot ? vm->reboot_uid : -1, &why);
	if (r == 1)	/* its images are being checked: start_checked() */
		return;
	if (r) {
		log_err("%s: restart failed: %s", vm->def.name, why);
		if (reboot)
			fail_waiters(vm, why);
	} else if (reboot) {
		answer_waiters(vm, true);
	}
	verged_commit(vm->d);
}

static void restart_soon(struct vm *vm);

static void apply_restart_policy(struct vm *vm)
{
	double now = verged_now();

	if (strcmp(vm->def.restart, "on-crash") ||
	    strcmp(vm->def.desired, "running") || vm->d->stopping)
		return;
	if (now - vm->crash_window > VM_CRASH_WINDOW_S) {
		vm->crash_window = now;
		vm->crashes = 0;
	}
	if (++vm->crashes > VM_CRASH_LIMIT) {
		log_err("%s: crashed %d times in %.0f s; not restarting",
			vm->def.name, vm->crashes - 1, VM_CRASH_WINDOW_S);
		return;
	}
	restart_soon(vm);
}

/* Starts the VM again after VM_RESTART_DELAY_MS if it is still meant to
 * run then. */
static void restart_soon(struct vm *vm)
{
	/* One restart timer per VM: a crash while a restart is pending
	 * (a manual start that exited at once) re-arms it; a second handle
	 * would outlive vm_free() with vm in its data. */
	if (!vm->restart_timer) {
		vm->restart_timer = calloc(1, sizeof(*vm->restart_timer));
		if (!vm->restart_timer)
			return;
		uv_timer_init(vm->d->loop, vm->restart_timer);
		vm->restart_timer->data = vm;
	}
	uv_timer_start(vm->restart_timer, restart_cb, VM_RESTART_DELAY_MS, 0);
}

/* QEMU is gone: how says what we know of its end (a JSON detail). */
static void vm_exited(struct vm *vm, json_t *how)
{
	bool clean = vm->stop_requested || vm->guest_shutdown;
	/* the memory limit of its resource group killed it (jail.c) */
	bool oom = !clean && jail_enabled(&vm->d->cfg) &&
		   vmcg_oom_kills(vm) > 0;

	log_info("%s: QEMU pid %d exited", vm->def.name, (int)vm->pid);
	drop_links(vm);
	unlink(vm->pid_path);
	if (vm->image_restart && !vm->stop_requested) {
		/* killed to boot the other slot (agent.c): start again */
		json_decref(how);
		vm->image_restart = false;
		vm->pid = 0;
		vm_set_state(vm, VM_STOPPED);
		vm->cg_tries = 0;
		if (jail_enabled(&vm->d->cfg))
			vmcg_remove(vm);
		vm->guest_shutdown = false;
		answer_waiters(vm, true);
		restart_soon(vm);
		return;
	}
	vm->image_restart = false;
	if (clean) {
		if (!vm->guest_shutdown)
			verged_event(vm->d, vm->def.name, "vm.shutdown", -1,
				     how);
		else
			json_decref(how);
		if (vm->guest_shutdown && !vm->stop_requested)
			set_desired(vm, "stopped");
	} else if (oom) {
		json_object_set_new(how, "memory_limit",
				    json_integer((json_int_t)
						 ((vm->def.memory_mib << 20) +
						  vm->def.memory_max)));
		verged_event(vm->d, vm->def.name, "vm.oom", -1, how);
	} else {
		verged_event(vm->d, vm->def.name, "vm.crash", -1, how);
	}
	vm->pid = 0;
	vm_set_state(vm, clean ? VM_STOPPED : oom ? VM_OOM : VM_CRASHED);
	vm->cg_tries = 0;
	if (jail_enabled(&vm->d->cfg))
		vmcg_remove(vm);
	vm->stop_requested = vm->guest_shutdown = false;
	if (clean && vm->reboot && !vm->d->stopping) {
		/* vm.reboot: its call is answered once the VM starts */
		set_desired(vm, "running");
		restart_soon(vm);
		return;
	}
	vm->reboot = false;
	answer_waiters(vm, true);
	if (!clean)
		apply_restart_policy(vm);
}

static void exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct vm *vm = p->data;

	if (!vm)
		return;
	vm_exited(vm, json_pack("{sI si}", "exit_status", (json_int_t)status,
				"signal", sig));
}

static void pidfd_cb(uv_poll_t *h, int status, int events)
{
	struct vm *vm = h->data;

	(void)status;
	(void)events;
	if (vm)
		vm_exited(vm, json_pack("{ss}", "seen", "pidfd"));
}

static void liveness_cb(uv_timer_t *t)
{
	struct vm *vm = t->data;

	if (vm && kill(vm->pid, 0) && errno == ESRCH)
		vm_exited(vm, json_pack("{ss}", "seen", "kill(0)"));
}

/* Follows a process that is not our child: a pidfd wakes us only when it
 * exits; without pidfd_open (Linux < 5.3), a check every second. */
static int watch_pid(struct vm *vm)
{
	vm->pidfd = (int)syscall(SYS_pidfd_open, vm->pid, 0);
	if (vm->pidfd >= 0) {
		vm->pidpoll = calloc(1, sizeof(*vm->pidpoll));
		if (!vm->pidpoll)
			return -ENOMEM;
		uv_poll_init(vm->d->loop, vm->pidpoll, vm->pidfd);
		vm->pidpoll->data = vm;
		return uv_poll_start(vm->pidpoll, UV_READABLE, pidfd_cb);
	}
	vm->liveness = calloc(1, sizeof(*vm->liveness));
	if (!vm->liveness)
		return -ENOMEM;
	uv_timer_init(vm->d->loop, vm->liveness);
	vm->liveness->data = vm;
	return uv_timer_start(vm->liveness, liveness_cb, VM_LIVENESS_MS,
			      VM_LIVENESS_MS);
}

/* --- QMP ------------------------------------------------------------------ */

static void qmp_event(void *arg, const char *name, json_t *data)
{
	struct vm *vm = arg;
	json_t *detail = json_is_object(data) ? json_deep_copy(data) : NULL;

	vm->d->list.stale = true;	/* e.g. boots */
	if (!strcmp(name, "SHUTDOWN")) {
		vm->guest_shutdown = json_is_true(json_object_get(data,
								  "guest"));
		if (vm->guest_shutdown || vm->stop_requested) {
			vm->guest_shutdown = true;
			if (vm->stop_requested)
				verged_event(vm->d, vm->def.name,
					     "vm.shutdown", -1, detail);
			else	/* the guest's own idea */
				vm_guest_event(vm, "vm.shutdown", detail);
			return;
		}
	} else if (!strcmp(name, "RESET")) {
		vm->boots++;
		save_observed(vm);
		vm_guest_event(vm, "vm.reset", detail);
		return;
	} else if (!strcmp(name, "POWERDOWN")) {
		verged_event(vm->d, vm->def.name, "vm.powerdown", -1, detail);
		return;
	} else if (!strcmp(name, "WATCHDOG")) {
		vm_guest_event(vm, "vm.watchdog", detail);
		return;
	}
	log_debug("%s: QMP event %s", vm->def.name, name);
	json_decref(detail);
}

static void qmp_state(void *arg, bool up)
{
	struct vm *vm = arg;

	if (up && vm->state == VM_STARTING)
		vm_set_state(vm, VM_RUNNING);
	log_debug("%s: QMP %s", vm->def.name, up ? "up" : "down");
}

static const struct qmp_ops vm_qmp_ops = {
	.event = qmp_event,
	.state = qmp_state,
};

static const struct hvlink_ops vm_hv_ops = {
	.event = vm_hv_event,
	.state = vm_hv_state,
	.lost = vm_hv_lost,
};

static int open_links(struct vm *vm)
{
	int r;

	r = qmp_open(vm->d->loop, vm->qmp_path, &vm_qmp_ops, vm, &vm->qmp);
	if (!r)
		r = hvlink_open(vm->d->loop, vm->mgmt_path,
				vm->d->cfg.mgmt_timeout_ms, &vm_hv_ops, vm,
				&vm->hv);
	if (!r && jail_enabled(&vm->d->cfg)) {	/* only its own QEMU */
		qmp_expect_peer(vm->qmp, jail_uid(vm));
		hvlink_expect_peer(vm->hv, jail_uid(vm));
	}
	if (!r)	/* held events resume after the last one recorded */
		hvlink_set_cursor(vm->hv, vm->def.hv_boot, vm->def.hv_seq);
	return r;
}

/* --- start ---------------------------------------------------------------- */

/* The images are read with the rights of the caller who defined the VM. */
static int owner_can_read(const struct vm *vm, const char *path)
{
	gid_t groups[JAIL_GROUPS_MAX];
	int n = jail_groups_parse(vm->def.owner_groups, groups,
				  JAIL_GROUPS_MAX);

	struct as_caller who = { (uid_t)vm->def.owner_uid,
				 (gid_t)vm->def.owner_gid, groups, n };

	if (n < 0)
		return n;
	return as_caller_open(&who, path, O_RDONLY, NULL);
}

static const char *check_start(struct vm *vm)
{
	static char why[512];
	const struct verged_config *c = &vm->d->cfg;
	int e;

	if (vm->checking)
		return "qemu-img checks its images for a start already";
	if (strlen(vm->qmp_path) >= 108 || strlen(vm->con_path) >= 108 ||
	    strlen(vm->mgmt_path) >= 108) {
		snprintf(why, sizeof(why), "socket path %s is too long for a"
			 " Unix socket; use a shorter run_dir", vm->con_path);
		return why;
	}
	if (access(c->hv_bin, R_OK)) {
		snprintf(why, sizeof(why), "hypervisor %s: %s; set [qemu]"
			 " hypervisor in verged.conf", c->hv_bin,
			 strerror(errno));
		return why;
	}
	/* defined under another [qemu] binary, which had the model */
	if (c->qemu_cpus && vm->def.cpu &&
	    qemu_cpu_check(c, vm->def.cpu, NULL, 0)) {
		snprintf(why, sizeof(why), "cpu %s: QEMU %s (%s) has no such"
			 " model; define the VM again with another --cpu",
			 vm->def.cpu, c->qemu_version ? c->qemu_version : "?",
			 c->qemu_path ? c->qemu_path : c->qemu);
		return why;
	}
	if ((e = owner_can_read(vm, vm->def.kernel))) {
		snprintf(why, sizeof(why), "kernel %s: %s for uid %lld, who"
			 " defined the VM", vm->def.kernel, strerror(-e),
			 (long long)vm->def.owner_uid);
		return why;
	}
	if (vm->def.initrd && *vm->def.initrd &&
	    (e = owner_can_read(vm, vm->def.initrd))) {
		snprintf(why, sizeof(why), "initrd %s: %s for uid %lld, who"
			 " defined the VM", vm->def.initrd, strerror(-e),
			 (long long)vm->def.owner_uid);
		return why;
	}
	if (verged_mkdir(vm->run_dir, 0750) ||
	    verged_mkdir(vm->log_dir, 0750)) {
		snprintf(why, sizeof(why), "%s: %s", vm->run_dir,
			 strerror(errno));
		return why;
	}
	return NULL;
}

/* QEMU, or verge-jail with status_fd as its fd 3; fds (the disks', may be
 * NULL) follow as 3, 4, ... (4, 5, ... after a status fd). */
static int spawn(struct vm *vm, char **argv, int status_fd,
		 const struct dev_fds *fds)
{
	uv_process_options_t o = { 0 };
	uv_stdio_container_t io[4 + DEV_FDS_MAX];
	int logfd, r, i;

	logfd = open(vm->qemu_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		     O_NOFOLLOW, 0640);
	if (logfd < 0)
		return -errno;
	io[0].flags = UV_IGNORE;
	io[1].flags = io[2].flags = UV_INHERIT_FD;
	io[1].data.fd = io[2].data.fd = logfd;
	o.file = argv[0];
	o.args = argv;
	o.exit_cb = exit_cb;
	o.flags = UV_PROCESS_DETACHED;	/* own session: outlives verged */
	o.stdio = io;
	o.stdio_count = 3;
	if (status_fd >= 0) {	/* verge-jail's status line */
		io[3].flags = UV_INHERIT_FD;
		io[3].data.fd = status_fd;
		o.stdio_count = 4;
	}
	for (i = 0; fds && i < fds->n; i++) {
		io[o.stdio_count].flags = UV_INHERIT_FD;
		io[o.stdio_count++].data.fd = fds->fd[i];
	}
	vm->proc = calloc(1, sizeof(*vm->proc));
	if (!vm->proc) {
		close(logfd);
		return -ENOMEM;
	}
	vm->proc->data = vm;
	r = uv_spawn(vm->d->loop, vm->proc, &o);
	close(logfd);
	if (r) {
		/* A handle whose spawn failed must still be closed. */
		uv_close((uv_handle_t *)vm->proc, free_handle);
		vm->proc = NULL;
		return r;
	}
	vm->pid = vm->proc->pid;
	vm->child = true;
	return 0;
}

/* Waits for the helper that has already failed, and forgets it. */
static void reap_helper(struct vm *vm)
{
	int st;

	vm->proc->data = NULL;
	while (waitpid(vm->proc->pid, &st, 0) < 0 && errno == EINTR)
		;
	uv_close((uv_handle_t *)vm->proc, free_handle);
	vm->proc = NULL;
}

/*
 * QEMU through verge-jail (jail.c): its resource group first, then the
 * helper, whose status line (read here, in a few ms) gives QEMU's pid or
 * the step the kernel refused.
 */
static int spawn_jailed(struct vm *vm, char **qemu,
			const struct dev_fds *fds, char *why, size_t n)
{
	char **argv;
	pid_t pid;
	int p[2], r;

	if ((r = jail_prepare(vm, why, n)) || (r = vmcg_create(vm, why, n)))
		goto fail;
	if (!strchr(qemu[0], '/')) {	/* the jail has no PATH: resolve */
		char *abs = jail_which(qemu[0]);

		if (!abs) {
			r = -ENOENT;
			snprintf(why, n, "%s: not found in PATH", qemu[0]);
			goto fail;
		}
		free(qemu[0]);
		qemu[0] = abs;
	}
	argv = jail_argv(vm, qemu);
	if (!argv) {
		snprintf(why, n, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	if (pipe2(p, O_CLOEXEC)) {
		r = -errno;
		snprintf(why, n, "pipe: %s", strerror(errno));
		qemu_argv_free(argv);
		goto fail;
	}
	r = spawn(vm, argv, p[1], fds);
	close(p[1]);
	qemu_argv_free(argv);
	if (r) {
		snprintf(why, n, "cannot run %s: %s", vm->d->cfg.jail_helper,
			 uv_strerror(r));
		close(p[0]);
		goto fail;
	}
	r = jail_read_status(p[0], 10000, &pid, why, n);
	close(p[0]);
	if (r) {
		if (vm->proc->pid > 0)
			kill(vm->proc->pid, SIGKILL);
		reap_helper(vm);
		goto fail;
	}
	vm->pid = pid;	/* QEMU, not the helper that waits for it */
	return 0;
fail:
	vm->cg_tries = 0;
	vmcg_remove(vm);
	if (!strstr(why, "isolation = off") && strlen(why) + 60 < n)
		strcat(why, " (set [jail] isolation = off to run VMs unjailed)");
	return r;
}

/* QEMU, on the devices of fds (closed here). */
static int start_spawn(struct vm *vm, struct dev_fds *fds, int64_t uid,
		       const char **ret_why)
{
	static char why[1024];
	char **argv;
	int r;

	argv = qemu_argv(vm, &vm->d->cfg);
	if (!argv) {
		dev_close_all(fds);
		*ret_why = "out of memory";
		return -ENOMEM;
	}
	unlink(vm->qmp_path);
	unlink(vm->mgmt_path);
	unlink(vm->con_path);
	unlink(vm->pid_path);
	if (jail_enabled(&vm->d->cfg))
		r = spawn_jailed(vm, argv, fds, why, sizeof(why));
	else if ((r = spawn(vm, argv, -1, fds)))
		snprintf(why, sizeof(why), "cannot run %s: %s",
			 vm->d->cfg.qemu, uv_strerror(r));
	qemu_argv_free(argv);
	dev_close_all(fds);	/* QEMU has its own copies */
	if (r) {
		*ret_why = why;
		return r;
	}
	vm->started_at = verged_now();
	vm->boots++;
	vm_held_reset(vm);
	vm->stop_requested = vm->guest_shutdown = false;
	set_desired(vm, "running");
	verged_event(vm->d, vm->def.name, "vm.start", uid,
		     json_pack("{si}", "pid", (int)vm->pid));
	vm_set_state(vm, VM_STARTING);
	save_observed(vm);	/* the pid, before anyone is told */
	if (open_links(vm))
		log_err("%s: cannot follow QMP or the management channel",
			vm->def.name);
	return 0;
}

/* Answers the vm.start calls waiting for the check: e, or the VM. */
static void answer_starts(struct vm *vm, int e, const char *why)
{
	struct vm_waiter *w;

	while ((w = vm->start_waiters)) {
		vm->start_waiters = w->next;
		if (e)
			rpc_fail(w->call, RPC_INTERNAL_ERROR,
				 json_pack("{ss}", "reason", why),
				 "%s: cannot start: %s", vm->def.name, why);
		else
			rpc_reply(w->call, vm_json(vm));
		free(w);
	}
}

/* The qemu-img check of vm's images is over (dev_check_images). */
static void start_checked(struct vm *vm, struct dev_fds *fds, int e,
			  const char *why)
{
	if (e)
		dev_close_all(fds);
	else
		e = start_spawn(vm, fds, vm->start_uid, &why);
	answer_starts(vm, e, why);
	if (e) {
		log_err("%s: cannot start: %s", vm->def.name, why);
		fail_waiters(vm, why);	/* vm.reboot's */
	} else {
		answer_waiters(vm, true);
	}
	verged_commit(vm->d);
}

int vm_start(struct vm *vm, int64_t uid, const char **ret_why)
{
	static char why[1024];
	struct dev_fds fds;
	const char *bad;
	int r;

	if ((bad = check_start(vm))) {
		*ret_why = bad;
		return -EINVAL;
	}
	/* the disks, opened with the rights of who defined the VM */
	if ((r = dev_open_all(vm, &fds, why, sizeof(why)))) {
		*ret_why = why;
		return r;
	}
	/* qcow2 images are checked first, by qemu-img, off the loop */
	r = dev_check_images(vm, &fds, start_checked, why, sizeof(why));
	if (r < 0)
		*ret_why = why;
	if (r)
		vm->start_uid = uid;
	return r ? r : start_spawn(vm, &fds, uid, ret_why);
}

void vm_wait_start(struct vm *vm, struct rpc_call *call)
{
	struct vm_waiter *w = calloc(1, sizeof(*w));

	if (!w) {
		rpc_fail(call, RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	w->call = call;
	w->next = vm->start_waiters;
	vm->start_waiters = w;
}

/* --- stop and kill -------------------------------------------------------- */

static void add_waiter(struct vm *vm, struct rpc_call *call)
{
	struct vm_waiter *w;

	if (!call)
		return;
	w = calloc(1, sizeof(*w));
	if (!w) {
		rpc_fail(call, RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	w->call = call;
	w->next = vm->stop_waiters;
	vm->stop_waiters = w;
}

static void send_kill(struct vm *vm)
{
	if (vm->pid > 0 && kill(vm->pid, SIGKILL) && errno != ESRCH)
		log_err("%s: kill %d: %s", vm->def.name, (int)vm->pid,
			strerror(errno));
}

static void press_button(struct vm *vm)
{
	qmp_command(vm->qmp, "system_powerdown", NULL, NULL, NULL);
}

/* Every VM_REPRESS_MS until the deadline: press again; then kill. */
static void stop_tick(uv_timer_t *t)
{
	struct vm *vm = t->data;
	uint64_t now;

	if (!vm)
		return;
	now = uv_now(vm->d->loop);
	if (now >= vm->stop_deadline) {
		log_info("%s: still running at the stop deadline; killing",
			 vm->def.name);
		send_kill(vm);
		return;
	}
	if (qmp_up(vm->qmp)) {
		log_info("%s: still running; pressing the power button again",
			 vm->def.name);
		press_button(vm);
	}
	uv_timer_start(t, stop_tick, vm->stop_deadline - now < VM_REPRESS_MS ?
		       vm->stop_deadline - now : VM_REPRESS_MS, 0);
}

int vm_stop(struct vm *vm, int64_t uid, int timeout_s, struct rpc_call *call)
{
	bool button = qmp_up(vm->qmp);
	uint64_t wait = button ? (uint64_t)timeout_s * 1000 : 0;

	vm->stop_requested = true;
	set_desired(vm, "stopped");
	verged_event(vm->d, vm->def.name, "vm.stop", uid,
		     json_pack("{si sb}", "timeout_s", timeout_s,
			       "power_button", button));
	vm_set_state(vm, VM_STOPPING);
	add_waiter(vm, call);
	if (button)
		press_button(vm);
	if (!vm->stop_timer) {
		vm->stop_timer = calloc(1, sizeof(*vm->stop_timer));
		if (!vm->stop_timer) {
			send_kill(vm);
			return 0;
		}
		uv_timer_init(vm->d->loop, vm->stop_timer);
		vm->stop_timer->data = vm;
	}
	vm->stop_deadline = uv_now(vm->d->loop) + wait;
	uv_timer_start(vm->stop_timer, stop_tick,
		       wait < VM_REPRESS_MS ? wait : VM_REPRESS_MS, 0);
	return 0;
}

int vm_reboot(struct vm *vm, int64_t uid, int timeout_s,
	      struct rpc_call *call)
{
	verged_event(vm->d, vm->def.name, "vm.reboot", uid,
		     json_pack("{si}", "timeout_s", timeout_s));
	vm->reboot = true;
	vm->reboot_uid = uid;
	return vm_stop(vm, uid, timeout_s, call);
}

int vm_kill(struct vm *vm, int64_t uid, struct rpc_call *call)
{
	vm->reboot = false;	/* a kill is the last word */
	vm->stop_requested = true;
	set_desired(vm, "stopped");
	verged_event(vm->d, vm->def.name, "vm.kill", uid, NULL);
	vm_set_state(vm, VM_STOPPING);
	add_waiter(vm, call);
	send_kill(vm);
	return 0;
}

/* --- re-attach ------------------------------------------------------------ */

static pid_t read_pid_file(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long v;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v > 0 && v < (1L << 30) ? (pid_t)v : 0;
}

/* Is pid a QEMU running this VM? Its command line names our QMP socket. */
static bool is_our_qemu(const struct vm *vm, pid_t pid)
{
	char path[64], buf[8192];
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return false;
	return memmem(buf, (size_t)n, vm->qmp_path,
		      strlen(vm->qmp_path)) != NULL;
}

void vm_reattach(struct vm *vm)
{
	pid_t pid;

	if (!vm_is_active(vm))
		return;
	pid = read_pid_file(vm->pid_path);
	if (!is_our_qemu(vm, pid))
		pid = vm->pid;
	if (!is_our_qemu(vm, pid)) {
		log_warn("%s: was %s, but its QEMU is gone", vm->def.name,
			 vm_state_name(vm->state));
		vm_exited(vm, json_pack("{ss}", "seen",
					"gone at daemon start"));
		return;
	}
	vm->pid = pid;
	vm->child = false;
	if (watch_pid(vm) || open_links(vm))
		log_err("%s: cannot follow pid %d", vm->def.name, (int)pid);
	if (vm->state == VM_STOPPING) {
		/* The stop was asked of the previous verged: finish it. */
		vm->stop_requested = true;
		vm_stop(vm, -1, vm->d->cfg.stop_timeout_s, NULL);
	} else {
		vm_set_state(vm, VM_RUNNING);
	}
	save_observed(vm);
	vm_boot_resume(vm);
	verged_event(vm->d, vm->def.name, "daemon.attach", -1,
		     json_pack("{si}", "pid", (int)pid));
	log_info("%s: re-attached to QEMU pid %d", vm->def.name, (int)pid);
}
