// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON-RPC methods of docs/jsonrpc.md: one table, each entry with its
 * parameters (jansson formats and bounds, checked by rpc.c before the
 * handler runs) and whether it changes state (then the caller's uid is
 * checked and recorded in the event log).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <verge_rate.h>

#include "ascaller.h"
#include "devices.h"
#include "hvlink.h"
#include "jail.h"
#include "jsonw.h"
#include "log.h"
#include "names.h"
#include "qemu.h"
#include "rpc.h"
#include "server.h"
#include "store.h"
#include "verged.h"
#include "vm.h"

#define NAME_MAX_LEN	VERGED_NAME_MAX
#define PATH_MAX_LEN	4096
#define GI_MAX_VALUE	512	/* verge-hv's limits (docs/backdoor.md) */
#define CONSOLE_MAX	(1024 * 1024)

static struct verged *daemon_of(struct rpc_call *c)
{
	return c->ctx;
}

static int64_t caller_uid(const struct rpc_call *c)
{
	return (int64_t)c->caller.uid;
}

bool verged_allowed(void *ctx, const struct rpc_caller *who)
{
	struct verged *d = ctx;
	struct passwd *pw;
	struct group *g;
	char **m;

	if (who->uid == 0 || who->uid == d->self_uid)
		return true;
	if (!d->has_group)
		return false;
	if (who->gid == d->group)
		return true;
	/* Supplementary membership, as /etc/group lists it. */
	g = getgrgid(d->group);
	pw = getpwuid(who->uid);
	if (!g || !pw)
		return false;
	for (m = g->gr_mem; *m; m++)
		if (!strcmp(*m, pw->pw_name))
			return true;
	return false;
}

/* The VM named by the "name" parameter, or the call fails. */
static struct vm *get_vm(struct rpc_call *c)
{
	const char *name = rpc_str(c, "name");
	struct vm *vm = vm_find(daemon_of(c), name);

	if (!vm)
		rpc_fail(c, RPC_VM_NOT_FOUND, json_pack("{ss}", "vm", name),
			 "no VM named '%s'; see vm.list", name);
	return vm;
}

static void fail_state(struct rpc_call *c, struct vm *vm, const char *what)
{
	rpc_fail(c, RPC_VM_STATE,
		 json_pack("{ss}", "state", vm_state_name(vm->state)),
		 "%s is %s: %s", vm->def.name, vm_state_name(vm->state), what);
}

static void fail_param(struct rpc_call *c, const char *param, const char *fmt,
		       const char *arg)
{
	rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param", param), fmt,
		 arg);
}

/*
 * Commits what the call wrote so far, before the change shows in verged;
 * on failure (the batch is rolled back) the call is answered with
 * store_failed and nothing changed.
 */
static int store_or_fail(struct rpc_call *c)
{
	if (verged_commit(daemon_of(c)) == 0)
		return 0;
	rpc_fail(c, RPC_STORE_FAILED, NULL, "%s: verged could not store the"
		 " change (see its log); nothing changed", c->method->name);
	return -EIO;
}

/* --- validation ----------------------------------------------------------- */

/* The one rate syntax (proto/verge_rate.h); a JSON number is read as the
 * decimal it prints as with 9 fractional digits, so 0.5 and "0.5" agree
 * and 0.3333333 is as fine as "0.3333333" (-EDOM). */
int verged_parse_rate(json_t *v, uint32_t *ret_num, uint32_t *ret_den)
{
	char buf[VERGE_RATE_TEXT];
	int n;

	if (json_is_string(v))
		return verge_rate_parse(json_string_value(v),
					json_string_length(v), ret_num,
					ret_den);
	if (!json_is_number(v))
		return -EINVAL;
	if (json_number_value(v) < 0)
		return -EINVAL;		/* as "-1" */
	n = snprintf(buf, sizeof(buf), "%.9f", json_number_value(v));
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ERANGE;		/* more digits than any rate */
	return verge_rate_parse(buf, (size_t)n, ret_num, ret_den);
}

static const char *rate_error_name(int err)
{
	return err == -ERANGE ? "range" : err == -EDOM ? "precision" :
	       "syntax";
}

static int rate_param(struct rpc_call *c, uint32_t *num, uint32_t *den)
{
	int r = verged_parse_rate(rpc_obj(c, "rate"), num, den);

	if (r == 0)
		return 0;
	rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss ss}", "param", "rate",
		 "error", rate_error_name(r)), "rate: %s; %s",
		 verge_rate_strerror(r), VERGE_RATE_EXPECT);
	return -EINVAL;
}

static int make_uuid(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4, RFC 4122 */
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
		 b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
	return 0;
}

/* The caller's supplementary groups: SO_PEERGROUPS, else none. */
static int caller_groups(const struct rpc_call *c, const gid_t **ret)
{
	*ret = c->caller.groups;
	return c->caller.ngroups > 0 ? c->caller.ngroups : 0;
}

/* An image the caller may read (ascaller.h: opened with their credentials). */
static int file_param(struct rpc_call *c, const char *param)
{
	const char *path = rpc_str(c, param);
	struct as_caller who = { c->caller.uid, c->caller.gid, NULL, 0 };
	struct stat st;
	int e;

	if (!path)
		return 0;
	if (path[0] != '/') {
		fail_param(c, param, "%s must be an absolute path", param);
		return -EINVAL;
	}
	if (stat(path, &st) || !S_ISREG(st.st_mode)) {
		fail_param(c, param, "%s: not a readable file", path);
		return -EINVAL;
	}
	who.ngroups = caller_groups(c, &who.groups);
	e = as_caller_open(&who, path, O_RDONLY, NULL);
	if (e) {
		rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param",
			 param), "%s: %s: uid %u may not read it", path,
			 strerror(-e), (unsigned)c->caller.uid);
		return -EACCES;
	}
	return 0;
}

/* --- daemon and VMs ------------------------------------------------------- */

static void m_version(struct rpc_call *c)
{
	rpc_reply(c, json_pack("{ss si}", "version", VERGED_VERSION, "api",
			       VERGED_API));
}

/* --- partitions (jail.c) -------------------------------------------------- */

struct part_walk {
	struct verged *d;
	const char *only;	/* NULL: all */
	json_t *out;		/* array */
};

static int exists_cb(const struct partition_record *p, void *arg)
{
	return !strcmp(p->name, arg);	/* 1 stops the walk: found */
}

static bool partition_exists(struct verged *d, const char *name)
{
	return store_partition_foreach(d->store, exists_cb,
				       (void *)name) == 1;
}

static int walk_cb(const struct partition_record *p, void *arg)
{
	struct part_walk *w = arg;

	if (!w->only || !strcmp(w->only, p->name))
		json_array_append_new(w->out,
				      jail_partition_json(w->d, p));
	return 0;
}

static json_t *partitions(struct verged *d, const char *only)
{
	struct part_walk w = { d, only, json_array() };

	store_partition_foreach(d->store, walk_cb, &w);
	return w.out;
}

static void m_part_show(struct rpc_call *c)
{
	const char *name = rpc_str(c, "name");
	json_t *a = partitions(daemon_of(c), name);

	if (!json_array_size(a)) {
		json_decref(a);
		rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param",
			 "name"), "no partition named '%s'; see"
			 " partition.list", name);
		return;
	}
	rpc_reply(c, json_incref(json_array_get(a, 0)));
	json_decref(a);
}

static void m_part_create(struct rpc_call *c)
{
	struct verged *d = daemon_of(c);
	const char *name = rpc_str(c, "name");
	struct partition_record p = { 0 };
	char why[512];
	int e;

	if (!verged_valid_name(name)) {
		fail_param(c, "name", "%s", "name: 1-64 characters of "
			   "[A-Za-z0-9._-], not starting with '.' or '-'");
		return;
	}
	p.name = (char *)name;
	p.cpu_quota = rpc_int(c, "cpu_quota", 0);
	p.cpu_weight = rpc_int(c, "cpu_weight", 0);
	p.memory_max = rpc_int(c, "memory_max", 0);
	p.pids_max = rpc_int(c, "pids_max", 0);
	e = store_partition_insert(d->store, &p);
	if (e) {
		rpc_fail(c, e == -EEXIST ? RPC_INVALID_PARAMS :
			 RPC_INTERNAL_ERROR, json_pack("{ss}", "param", "name"),
			 "%s: %s", name, e == -EEXIST ?
			 "a partition of that name exists" : "cannot store it");
		return;
	}
	/* its group now, so that its limits hold from the first VM on */
	if (jail_enabled(&d->cfg) &&
	    (e = jail_partition_create(&d->cfg, &p, why, sizeof(why)))) {
		store_partition_delete(d->store, name);
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "%s", why);
		return;
	}
	verged_event(d, NULL, "partition.create", caller_uid(c),
		     json_pack("{ss}", "partition", name));
	m_part_show(c);
}

static void m_part_list(struct rpc_call *c)
{
	rpc_reply(c, partitions(daemon_of(c), NULL));
}

static void m_part_delete(struct rpc_call *c)
{
	struct verged *d = daemon_of(c);
	const char *name = rpc_str(c, "name");
	struct vm *vm;

	for (vm = d->vms; vm; vm = vm->next)
		if (vm->def.partition && !strcmp(vm->def.partition, name)) {
			rpc_fail(c, RPC_VM_STATE, json_pack("{ss}", "vm",
				 vm->def.name), "partition %s holds VM %s;"
				 " undefine its VMs first", name, vm->def.name);
			return;
		}
	if (store_partition_delete(d->store, name)) {
		rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param",
			 "name"), "no partition named '%s'", name);
		return;
	}
	if (jail_enabled(&d->cfg))
		jail_partition_remove(d, name);
	verged_event(d, NULL, "partition.delete", caller_uid(c),
		     json_pack("{ss}", "partition", name));
	rpc_reply(c, json_pack("{ss}", "name", name));
}

/* --- disks and network cards (devices.h) ---------------------------------- */

static void fail_device(struct rpc_call *c, const char *param, int e,
			const char *why)
{
	/* what the caller gave is wrong, or its file is: not verged */
	bool theirs = e == -EINVAL || e == -ENOTSUP || e == -EACCES ||
		      e == -ENOENT || e == -EPERM || e == -EISDIR ||
		      e == -ENOTDIR || e == -EROFS || e == -ELOOP ||
		      e == -ENXIO || e == -ENODEV || e == -ETXTBSY;

	rpc_fail(c, theirs ? RPC_INVALID_PARAMS : RPC_INTERNAL_ERROR,
		 json_pack("{ss}", "param", param), "%s", why);
}

/*
 * Parses what the call gives in param (an array of specs) onto the end of
 * *list: each disk checked with the caller's rights, its overlay made.
 * 0, or the call failed and *list is as it was.
 */
static int add_devices(struct rpc_call *c, const char *param, json_t *in,
		       bool disks, const char *uuid, json_t *list)
{
	json_t *v, *out;
	size_t i, from = json_array_size(list);
	size_t max = disks ? DEV_DISKS_MAX : DEV_NICS_MAX;
	const gid_t *groups;
	int ng = caller_groups(c, &groups);
	char why[512];
	int e;

	if (!in)
		return 0;
	if (!json_is_array(in)) {
		fail_device(c, param, -EINVAL, disks ? "disks is an array of"
			    " \"PATH[,options]\" strings or objects" :
			    "nics is an array of \"user[,options]\" strings"
			    " or objects");
		return -EINVAL;
	}
	if (from + json_array_size(in) > max) {
		snprintf(why, sizeof(why), "a VM has at most %zu %s", max,
			 disks ? "disks" : "network cards");
		fail_device(c, param, -EINVAL, why);
		return -EINVAL;
	}
	json_array_foreach(in, i, v) {
		e = disks ? dev_disk_parse(v, &out, why, sizeof(why)) :
			    dev_nic_parse(v, &out, why, sizeof(why));
		if (e)
			goto fail;
		json_array_append_new(list, out);
	}
	if (disks && (e = dev_disks_prepare(list, from,
					    daemon_of(c)->cfg.state_dir, uuid,
					    c->caller.uid, c->caller.gid,
					    groups, ng, why, sizeof(why))))
		goto fail;
	if (!disks && (e = dev_nics_check(list, from, why, sizeof(why))))
		goto fail;
	return 0;
fail:
	while (json_array_size(list) > from)
		json_array_remove(list, json_array_size(list) - 1);
	fail_device(c, param, e, why);
	return e;
}

/* vm.define's cpu: a model the configured QEMU offers (qemu_probe's
 * list), else [qemu] cpu. */
static int cpu_param(struct rpc_call *c, char **ret_cpu)
{
	const struct verged_config *cfg = &daemon_of(c)->cfg;
	const char *cpu = rpc_str(c, "cpu");
	char hint[256];

	if (!cpu) {
		*ret_cpu = cfg->cpu;
		return 0;
	}
	if (!qemu_cpu_check(cfg, cpu, hint, sizeof(hint))) {
		*ret_cpu = (char *)cpu;
		return 0;
	}
	rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param", "cpu"),
		 "cpu: QEMU %s (%s) has no model '%.64s' for its virt machine;"
		 " it has %s, ... ('%s -M virt -cpu help' lists all)",
		 cfg->qemu_version ? cfg->qemu_version : "?",
		 cfg->qemu_path ? cfg->qemu_path : cfg->qemu, cpu,
		 *hint ? hint : "other models",
		 cfg->qemu_path ? cfg->qemu_path : cfg->qemu);
	return -EINVAL;
}

static void m_define(struct rpc_call *c)
{
	struct verged *d = daemon_of(c);
	const char *name = rpc_str(c, "name"), *restart;
	struct vm_record r = { 0 };
	json_t *disks = NULL, *nics = NULL;
	char uuid[37];
	struct vm *vm;
	int e;

	if (!verged_valid_name(name)) {
		fail_param(c, "name", "%s", "name: 1-64 characters of "
			   "[A-Za-z0-9._-], not starting with '.' or '-'");
		return;
	}
	if (file_param(c, "kernel") || file_param(c, "initrd"))
		return;
	restart = rpc_str(c, "restart");
	if (restart && strcmp(restart, "no") && strcmp(restart, "on-crash")) {
		fail_param(c, "restart", "%s", "restart must be \"no\" or"
			   " \"on-crash\"");
		return;
	}
	r.rate_num = r.rate_den = 1;
	if (rpc_has(c, "rate") && rate_param(c, &r.rate_num, &r.rate_den))
		return;
	if (cpu_param(c, &r.cpu))
		return;
	if (vm_find(d, name)) {
		rpc_fail(c, RPC_VM_EXISTS, json_pack("{ss}", "vm", name),
			 "a VM named '%s' exists; undefine it first or pick"
			 " another name", name);
		return;
	}
	if (make_uuid(uuid)) {
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "no random numbers");
		return;
	}
	disks = json_array();
	nics = json_array();
	if (add_devices(c, "disks", rpc_obj(c, "disks"), true, uuid, disks) ||
	    add_devices(c, "nics", rpc_obj(c, "nics"), false, uuid, nics))
		goto drop_devices;
	r.name = (char *)name;
	r.uuid = uuid;
	r.kernel = (char *)rpc_str(c, "kernel");
	r.initrd = (char *)rpc_str(c, "initrd");
	r.cmdline = (char *)(rpc_str(c, "cmdline") ? rpc_str(c, "cmdline") :
			     "console=ttyAMA0");
	r.memory_mib = rpc_int(c, "memory_mib", 1024);
	r.cpus = rpc_int(c, "cpus", 2);
	r.freq_hz = (uint64_t)rpc_int(c, "freq_hz", 0);
	r.watchdog_s = rpc_int(c, "watchdog_s", 0);
	r.ptimer = rpc_bool(c, "ptimer", false);
	r.acpi = rpc_bool(c, "acpi", false);
	if (r.ptimer && r.acpi) {	/* verge-hv refuses to boot both */
		rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param",
			 "ptimer"), "ptimer and acpi cannot be combined: an"
			 " ACPI guest (GTDT) needs the virtual timer that"
			 " ptimer hides");
		return;
	}
	bs_init(&r.bs, (int)rpc_int(c, "boot_attempts", BS_ATTEMPTS_DEFAULT),
		rpc_bool(c, "manual_commit", false));
	r.boot_ok_after_s = rpc_int(c, "boot_ok_after_s", 0);
	r.boot_deadline_s = rpc_int(c, "boot_deadline_s", 0);
	r.restart = (char *)(restart ? restart : "no");
	r.cpu_quota = rpc_int(c, "cpu_quota", 0);
	r.cpu_weight = rpc_int(c, "cpu_weight", 0);
	r.memory_max = rpc_int(c, "memory_max", 0);
	r.pids_max = rpc_int(c, "pids_max", 0);
	r.partition = (char *)rpc_str(c, "partition");
	if (r.partition && !partition_exists(d, r.partition)) {
		rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param",
			 "partition"), "no partition named '%s'; see"
			 " partition.list", r.partition);
		goto drop_devices;
	}
	r.owner_uid = c->caller.uid;
	r.owner_gid = c->caller.gid;
	{
		const gid_t *groups;
		int ng = caller_groups(c, &groups);

		r.owner_groups = jail_groups_format(groups, ng);
	}
	if (!r.owner_groups) {
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "out of memory");
		goto drop_devices;
	}
	r.desired = "stopped";
	r.state = "defined";
	e = store_vm_insert(d->store, &r);
	if (e == -EEXIST) {
		free(r.owner_groups);
		rpc_fail(c, RPC_VM_EXISTS, NULL, "%s: the name is taken",
			 name);
		goto drop_devices;
	}
	if (!e) {
		char *dt = json_dumps(disks, JSON_COMPACT);
		char *nt = json_dumps(nics, JSON_COMPACT);

		e = dt && nt ? store_devices_set(d->store, r.id, dt, nt) :
			-ENOMEM;
		free(dt);
		free(nt);
	}
	verged_event(d, name, "vm.define", caller_uid(c),
		     json_pack("{ss ss sI sI}", "uuid", uuid,
			       "kernel", r.kernel,
			       "memory_mib", (json_int_t)r.memory_mib,
			       "cpus", (json_int_t)r.cpus));
	if (store_or_fail(c)) {
		free(r.owner_groups);
		goto drop_devices;
	}
	vm = vm_new(d, &r);
	free(r.owner_groups);
	if (!vm || vm_set_devices(vm, disks, nics, false)) {
		disks = nics = NULL;	/* vm_set_devices took them */
		if (vm)
			dev_disks_remove_files(vm->disks, 0);
		vm_free(vm);
		store_vm_delete(d->store, r.id);
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	vm_link(d, vm);
	rpc_reply(c, vm_json(vm));
	return;
drop_devices:
	dev_disks_remove_files(disks, 0);
	json_decref(disks);
	json_decref(nics);
}

static void m_undefine(struct rpc_call *c)
{
	struct verged *d = daemon_of(c);
	struct vm *vm = get_vm(c);

	if (!vm)
		return;
	if (vm_is_active(vm)) {
		fail_state(c, vm, "stop or kill it first");
		return;
	}
	store_vm_delete(d->store, vm->def.id);
	verged_event(d, vm->def.name, "vm.undefine", caller_uid(c),
		     json_pack("{ss}", "uuid", vm->def.uuid));
	if (store_or_fail(c))
		return;
	vm_unlink(d, vm);
	vm_remove_run_dir(vm);
	dev_disks_remove_files(vm->disks, 0);	/* the overlays verged made */
	vm_free(vm);
	rpc_reply(c, json_object());
}

/* vm.disk.*: on a VM that is not running. */
static struct vm *stopped_vm(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);

	if (vm && (vm_is_active(vm) || vm->checking)) {
		fail_state(c, vm, "stop it first: disks change while a VM is"
			   " stopped");
		return NULL;
	}
	return vm;
}

static void m_disk_list(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);

	if (vm)
		rpc_reply(c, json_deep_copy(vm->disks));
}

static void m_disk_add(struct rpc_call *c)
{
	struct vm *vm = stopped_vm(c);
	json_t *disks, *nics, *one;
	int e;

	if (!vm)
		return;
	disks = json_deep_copy(vm->disks);
	one = json_pack("[O]", rpc_obj(c, "disk"));
	e = add_devices(c, "disk", one, true, vm->def.uuid, disks);
	json_decref(one);
	if (e) {
		json_decref(disks);
		return;
	}
	nics = json_incref(vm->nics);
	if (vm_set_devices(vm, disks, nics, true)) {
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "cannot store the disk");
		return;
	}
	verged_event(daemon_of(c), vm->def.name, "vm.disk.add", caller_uid(c),
		     json_incref(json_array_get(vm->disks,
			     json_array_size(vm->disks) - 1)));
	if (store_or_fail(c))
		return;
	rpc_reply(c, json_deep_copy(vm->disks));
}

static void m_disk_remove(struct rpc_call *c)
{
	struct vm *vm = stopped_vm(c);
	const char *path = rpc_str(c, "path");
	json_t *disks, *d, *gone;
	size_t i, at = SIZE_MAX;

	if (!vm)
		return;
	json_array_foreach(vm->disks, i, d)
		if ((rpc_has(c, "index") && (json_int_t)i == rpc_int(c, "index",
								   -1)) ||
		    (path && !strcmp(path, json_string_value(
				json_object_get(d, "path")))))
			at = i;
	if (at == SIZE_MAX || rpc_has(c, "index") == !!path) {
		rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param",
			 path ? "path" : "index"), "%s", rpc_has(c, "index") ==
			 !!path ? "give the disk's index or its path, one of"
			 " them" : "the VM has no such disk; see vm.disk.list");
		return;
	}
	disks = json_deep_copy(vm->disks);
	gone = json_incref(json_array_get(disks, at));
	json_array_remove(disks, at);
	if (vm_set_devices(vm, disks, json_incref(vm->nics), true)) {
		json_decref(gone);
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "cannot store the change");
		return;
	}
	verged_event(daemon_of(c), vm->def.name, "vm.disk.remove",
		     caller_uid(c), json_incref(gone));
	if (store_or_fail(c)) {
		json_decref(gone);
		return;
	}
	/* its overlay goes once the removal is stored */
	{
		json_t *one = json_pack("[O]", gone);

		dev_disks_remove_files(one, 0);
		json_decref(one);
	}
	json_decref(gone);
	rpc_reply(c, json_deep_copy(vm->disks));
}

static void m_start(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	const char *why = NULL;

	if (!vm)
		return;
	int r;

	if (!vm)
		return;
	if (vm_is_active(vm)) {
		fail_state(c, vm, "it runs already");
		return;
	}
	if (vm->checking) {
		fail_state(c, vm, "it is starting: qemu-img checks its images");
		return;
	}
	r = vm_start(vm, caller_uid(c), &why);
	if (r == 1) {	/* answered once qemu-img has checked its images */
		vm_wait_start(vm, c);
		return;
	}
	if (r) {
		rpc_fail(c, RPC_INTERNAL_ERROR,
			 json_pack("{ss}", "reason", why),
			 "%s: cannot start: %s", vm->def.name, why);
		return;
	}
	rpc_reply(c, vm_json(vm));
}

/* The VM the call names, if it runs; else the call is answered. */
static struct vm *running_vm(struct rpc_call *c, const char *hint)
{
	struct vm *vm = get_vm(c);

	if (vm && !vm_is_active(vm)) {
		fail_state(c, vm, hint);
		return NULL;
	}
	return vm;
}

static void m_stop(struct rpc_call *c)
{
	struct vm *vm = running_vm(c, "it is not running");

	if (!vm)
		return;
	vm->reboot = false;	/* a stop during a reboot's stop: stopped */
	vm_stop(vm, caller_uid(c),
		(int)rpc_int(c, "timeout_s",
			     daemon_of(c)->cfg.stop_timeout_s), c);
}

static void m_reboot(struct rpc_call *c)
{
	struct vm *vm = running_vm(c, "it is not running; start it");

	if (!vm)
		return;
	if (vm->state == VM_STOPPING) {
		fail_state(c, vm, "it is stopping already");
		return;
	}
	vm_reboot(vm, caller_uid(c),
		  (int)rpc_int(c, "timeout_s",
			       daemon_of(c)->cfg.stop_timeout_s), c);
}

static void m_kill(struct rpc_call *c)
{
	struct vm *vm = running_vm(c, "it is not running");

	if (!vm)
		return;
	vm_kill(vm, caller_uid(c), c);
}

/*
 * vm.list's answer, serialized again only after a change (verged_dirty()
 * and every state-changing call mark it stale) or, while it shows
 * uptimes or report ages, once they are VERGED_LIST_AGE_S old. 0 or
 * -ENOMEM.
 */
static int list_current(struct verged *d)
{
	struct verged_list *l = &d->list;
	double now = verged_now();
	bool ages = false;
	struct vm *vm;
	struct jw w;
	char *text;
	size_t len;

	if (l->text && !l->stale && !(l->ages && now - l->at >=
					VERGED_LIST_AGE_S))
		return 0;
	jw_init(&w);
	jw_open(&w, '[');
	for (vm = d->vms; vm; vm = vm->next) {
		jw_elem(&w);
		vm_write_json(&w, vm, now);
		ages |= vm_is_active(vm) || vm->agent_at > 0;
	}
	jw_close(&w, ']');
	text = jw_finish(&w, &len);
	if (!text)
		return -ENOMEM;
	free(l->text);
	l->text = text;
	l->len = len;
	l->at = now;
	l->ages = ages;
	l->stale = false;
	return 0;
}

static void m_list(struct rpc_call *c)
{
	struct verged *d = daemon_of(c);

	if (list_current(d))
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "out of memory");
	else
		rpc_reply_json(c, d->list.text, d->list.len);
}

static void m_show(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);

	if (vm)
		rpc_reply(c, vm_json(vm));
}

/* --- image slots (bootslots.h, docs/bootguard.md) ------------------------ */

static void m_image_show(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);

	if (vm)
		rpc_reply(c, vm_image_json(vm));
}

/* The slot parameter, if given, must name the slot the call acts on. */
static int slot_param(struct rpc_call *c, int want, const char *what)
{
	const char *name = rpc_str(c, "slot");
	int slot;

	if (!name)
		return 0;
	slot = bs_slot_parse(name);
	if (slot < 0) {
		fail_param(c, "slot", "slot '%s': there are slots A and B",
			   name);
		return -EINVAL;
	}
	if (slot != want) {
		rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss ss}", "param",
			 "slot", "expected", bs_slot_name(want)),
			 "slot %s is not the one %s (%s)", bs_slot_name(slot),
			 what, bs_slot_name(want));
		return -EINVAL;
	}
	return 0;
}

/* New images go to the slot that is not committed; they are the trial
 * from the next start. The images are checked as vm.define checks them:
 * the caller must be able to read them. */
static void m_image_set(struct rpc_call *c)
{
	struct verged *d = daemon_of(c);
	struct vm *vm = get_vm(c);
	struct vm_record *r;
	struct bootslots next;
	const char *kernel, *initrd, *cmdline;
	int slot;

	if (!vm)
		return;
	r = &vm->def;
	if (vm_is_active(vm) || vm->checking) {
		fail_state(c, vm, "stop it first: new images take effect"
			   " when its QEMU starts");
		return;
	}
	next = r->bs;
	bs_set(&next, &slot);
	if (slot_param(c, slot, "new images go to") ||
	    file_param(c, "kernel") || file_param(c, "initrd"))
		return;
	kernel = rpc_str(c, "kernel");
	initrd = rpc_str(c, "initrd");
	cmdline = rpc_str(c, "cmdline");
	if (!cmdline)	/* as vm.define */
		cmdline = "console=ttyAMA0";
	if (store_vm_set_slot(d->store, r->id, slot, kernel, initrd, cmdline,
			      verged_now()))
		goto fail;
	{
		struct vm_slot *sl = &r->slot[slot];
		char *k = strdup(kernel), *i = initrd ? strdup(initrd) : NULL;
		char *cl = strdup(cmdline);

		if (!k || !cl || (initrd && !i)) {
			free(k);
			free(i);
			free(cl);
			rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "out of memory");
			return;
		}
		free(sl->kernel);
		free(sl->initrd);
		free(sl->cmdline);
		sl->kernel = k;
		sl->initrd = i;
		sl->cmdline = cl;
		sl->set_at = verged_now();
	}
	r->bs = next;
	if (vm_apply_slot(vm) || store_vm_set_boot(d->store, r))
		goto fail;
	verged_event(d, r->name, "vm.image.set", caller_uid(c),
		     json_pack("{ss ss ss? ss sI}", "slot", bs_slot_name(slot),
			       "kernel", kernel, "initrd", initrd,
			       "cmdline", cmdline, "attempts",
			       (json_int_t)r->bs.attempts_max));
	if (store_or_fail(c))
		return;
	rpc_reply(c, vm_image_json(vm));
	return;
fail:
	rpc_fail(c, RPC_STORE_FAILED, NULL, "vm.image.set: verged could not"
		 " store the images (see its log)");
}

static void m_image_commit(struct rpc_call *c)
{
	struct verged *d = daemon_of(c);
	struct vm *vm = get_vm(c);
	struct bootslots next;
	int e;

	if (!vm)
		return;
	next = vm->def.bs;
	if (slot_param(c, next.active, "the VM boots"))
		return;
	e = bs_commit(&next);
	if (e == -ENOENT) {
		rpc_fail(c, RPC_VM_STATE, json_pack("{ss}", "committed",
			 bs_slot_name(next.good)), "%s: no trial slot to"
			 " commit: slot %s is committed", vm->def.name,
			 bs_slot_name(next.good));
		return;
	}
	if (e == -EAGAIN) {
		rpc_fail(c, RPC_VM_STATE, json_pack("{ss}", "trial",
			 bs_slot_name(next.active)), "%s: trial slot %s has"
			 " not booted successfully yet", vm->def.name,
			 bs_slot_name(next.active));
		return;
	}
	vm->def.bs = next;
	store_vm_set_boot(d->store, &vm->def);
	verged_event(d, vm->def.name, "vm.image.commit", caller_uid(c),
		     json_pack("{ss ss}", "slot", bs_slot_name(next.good),
			       "by", "operator"));
	if (store_or_fail(c))
		return;
	rpc_reply(c, vm_image_json(vm));
}

static void m_image_rollback(struct rpc_call *c)
{
	struct verged *d = daemon_of(c);
	struct vm *vm = get_vm(c);
	struct bootslots next;
	int from, slot;

	if (!vm)
		return;
	if (vm_is_active(vm) || vm->checking) {
		fail_state(c, vm, "stop it first: the images take effect"
			   " when its QEMU starts");
		return;
	}
	next = vm->def.bs;
	from = next.active;
	if (bs_rollback(&next, &slot)) {
		rpc_fail(c, RPC_VM_STATE, json_pack("{ss}", "active",
			 bs_slot_name(from)), "%s: nothing to roll back to:"
			 " no trial, and slot %s has never booted",
			 vm->def.name, bs_slot_name(1 - from));
		return;
	}
	if (slot_param(c, slot, "a rollback goes to"))
		return;
	vm->def.bs = next;
	if (vm_apply_slot(vm)) {
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	store_vm_set_boot(d->store, &vm->def);
	verged_event(d, vm->def.name, "vm.image.rollback", caller_uid(c),
		     json_pack("{ss ss ss}", "from", bs_slot_name(from),
			       "to", bs_slot_name(slot), "why", "operator"));
	if (store_or_fail(c))
		return;
	rpc_reply(c, vm_image_json(vm));
}

static void m_console(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	size_t want = (size_t)rpc_int(c, "bytes", 65536);
	struct stat st;
	char *buf;
	ssize_t n = 0;
	int fd;

	if (!vm)
		return;
	fd = open(vm->console_log, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		rpc_reply(c, json_pack("{ss sI}", "text", "", "size", 0));
		return;
	}
	if ((size_t)st.st_size < want)
		want = (size_t)st.st_size;
	buf = malloc(want + 1);
	if (buf)
		n = pread(fd, buf, want, st.st_size - (off_t)want);
	close(fd);
	if (!buf || n < 0) {
		free(buf);
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "%s: cannot read",
			 vm->console_log);
		return;
	}
	rpc_reply(c, json_pack("{so sI}", "text", vm_text_json(buf, (size_t)n),
			       "size", (json_int_t)st.st_size));
	free(buf);
}

/* --- clock ---------------------------------------------------------------- */

/* A management-channel request on behalf of a call. */
struct hv_call {
	struct rpc_call *call;
	struct vm *vm;
	const char *event;	/* recorded on success, or NULL */
	json_t *detail;
	uint32_t num, den;	/* rate to store, 0: none */
	uint64_t freq;		/* frequency to store, 0: none */
	bool store_freq;
};

static void hv_call_done(void *arg, int err, const struct vp_frame *f)
{
	struct hv_call *h = arg;
	struct vm *vm = h->vm;
	struct vp_clock clk;
	char why[128];
	int32_t code = 0;

	if (err) {
		if (err == -EPROTO)
			rpc_fail(h->call, RPC_INVALID_PARAMS, json_pack("{si}",
				 "hv_error", 0), "the hypervisor refused: %s",
				 hvlink_error_text(f, why, sizeof(why), &code));
		else
			rpc_fail(h->call, err == -ETIMEDOUT ? RPC_TIMEOUT :
				 RPC_HV_UNAVAILABLE, NULL, "%s: %s",
				 vm->def.name, err == -ETIMEDOUT ?
				 "the hypervisor did not answer in time" :
				 "the management channel went away");
		json_decref(h->detail);
		free(h);
		return;
	}
	memcpy(&clk, f->payload, sizeof(clk));
	vm->clock_mode = (int)clk.mode;
	if (h->num || h->store_freq) {
		if (h->num) {
			vm->def.rate_num = h->num;
			vm->def.rate_den = h->den;
		}
		if (h->store_freq)
			vm->def.freq_hz = h->freq;
		store_vm_set_clock(vm->d->store, vm->def.id, vm->def.rate_num,
				   vm->def.rate_den, vm->def.freq_hz);
	}
	if (h->event)
		verged_event(vm->d, vm->def.name, h->event,
			     caller_uid(h->call), h->detail);
	else
		json_decref(h->detail);
	rpc_reply(h->call, vm_clock_json(vm, &clk));
	free(h);
}

/* Sends type/payload for the call; the reply answers it as clock.show. */
static void hv_clock(struct rpc_call *c, struct vm *vm, uint8_t type,
		     const void *payload, uint32_t len, struct hv_call *tmpl)
{
	struct hv_call *h;

	if (!hvlink_up(vm->hv)) {
		json_decref(tmpl->detail);
		rpc_fail(c, RPC_HV_UNAVAILABLE, json_pack("{ss}", "state",
			 vm_state_name(vm->state)), "%s: the management channel"
			 " is not connected (%s)", vm->def.name,
			 vm_state_name(vm->state));
		return;
	}
	h = malloc(sizeof(*h));
	if (!h) {
		json_decref(tmpl->detail);
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	*h = *tmpl;
	h->call = c;
	h->vm = vm;
	if (hvlink_request(vm->hv, type, payload, len, hv_call_done, h)) {
		json_decref(h->detail);
		free(h);
		rpc_fail(c, RPC_HV_UNAVAILABLE, NULL, "%s: cannot send",
			 vm->def.name);
	}
}

static void m_clock_show(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	struct hv_call t = { 0 };

	if (!vm)
		return;
	if (!vm_is_active(vm)) {
		rpc_reply(c, vm_clock_json(vm, NULL));
		return;
	}
	hv_clock(c, vm, VP_CLOCK_GET, NULL, 0, &t);
}

/* A VM that is not running keeps the setting (num/den, freq) for its
 * next start. */
static void clock_offline(struct rpc_call *c, struct vm *vm, const char *event,
			  json_t *detail, uint32_t num, uint32_t den,
			  uint64_t freq)
{
	store_vm_set_clock(daemon_of(c)->store, vm->def.id, num, den, freq);
	json_object_set_new(detail, "live", json_false());
	verged_event(daemon_of(c), vm->def.name, event, caller_uid(c), detail);
	if (store_or_fail(c))
		return;
	vm->def.rate_num = num;
	vm->def.rate_den = den;
	vm->def.freq_hz = freq;
	rpc_reply(c, vm_clock_json(vm, NULL));
}

static void m_set_rate(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	struct hv_call t = { .event = "clock.rate" };
	struct vp_rate r;

	if (!vm || rate_param(c, &r.num, &r.den))
		return;
	t.detail = json_pack("{so so sf}", "from", json_sprintf("%u/%u",
			     vm->def.rate_num, vm->def.rate_den), "rate",
			     json_sprintf("%u/%u", r.num, r.den),
			     "rate_value", (double)r.num / r.den);
	if (!vm_is_active(vm)) {
		clock_offline(c, vm, t.event, t.detail, r.num, r.den,
			      vm->def.freq_hz);
		return;
	}
	t.num = r.num;
	t.den = r.den;
	hv_clock(c, vm, VP_CLOCK_SET_RATE, &r, sizeof(r), &t);
}

static void m_set_freq(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	struct hv_call t = { .event = "clock.frequency", .store_freq = true };
	struct vp_freq f;

	if (!vm)
		return;
	f.hz = (uint64_t)rpc_int(c, "freq_hz", 0);
	t.freq = f.hz;
	t.detail = json_pack("{sI sI}", "from", (json_int_t)vm->def.freq_hz,
			     "freq_hz", (json_int_t)f.hz);
	if (!vm_is_active(vm)) {
		clock_offline(c, vm, t.event, t.detail, vm->def.rate_num,
			      vm->def.rate_den, f.hz);
		return;
	}
	hv_clock(c, vm, VP_CLOCK_SET_FREQ, &f, sizeof(f), &t);
}

static void m_step(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	struct hv_call t = { .event = "clock.step" };
	struct vp_step s;

	if (!vm)
		return;
	s.ns = (uint64_t)rpc_int(c, "ns", 0);
	t.detail = json_pack("{sI}", "ns", (json_int_t)s.ns);
	hv_clock(c, vm, VP_CLOCK_STEP, &s, sizeof(s), &t);
}

/* --- hypervisor statistics ------------------------------------------------ */

static void stats_done(void *arg, int err, const struct vp_frame *f)
{
	static const char *const exit_names[] = {
		"irq", "sgi", "tick", "maint", "hvc", "smc", "sysreg", "dabt",
		"iabt", "other",
	};
	struct rpc_call *c = arg;
	struct vp_stats st;
	json_t *exits, *r;
	struct vm *vm;
	size_t i;

	if (err) {
		rpc_fail(c, err == -ETIMEDOUT ? RPC_TIMEOUT :
			 RPC_HV_UNAVAILABLE, NULL,
			 "the hypervisor did not answer STATS_GET (%d)", err);
		return;
	}
	memcpy(&st, f->payload, sizeof(st));
	vm = vm_find(daemon_of(c), rpc_str(c, "name"));
	exits = json_object();
	for (i = 0; i < sizeof(exit_names) / sizeof(exit_names[0]); i++)
		json_object_set_new(exits, exit_names[i],
				    json_integer((json_int_t)st.exits[i]));
	r = json_pack("{sI so sI sI sI sI sI}",
		      "exits_total", (json_int_t)st.exits_total,
		      "exits", exits,
		      "rx_frames", (json_int_t)st.rx_frames,
		      "rx_bad_frames", (json_int_t)st.rx_bad_frames,
		      "rx_dropped_bytes",
		      (json_int_t)st.rx_dropped_bytes,
		      "tx_frames", (json_int_t)st.tx_frames,
		      "tx_dropped", (json_int_t)st.tx_dropped);
	/* the jail's resource group: limits and usage (jail.c) */
	if (r && vm)
		json_object_set_new(r, "isolation", jail_json(vm));
	rpc_reply(c, r);
}

static void m_stats(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);

	if (!vm)
		return;
	if (!hvlink_up(vm->hv)) {
		rpc_fail(c, RPC_HV_UNAVAILABLE, json_pack("{ss}", "state",
			 vm_state_name(vm->state)), "%s: the management channel"
			 " is not connected (%s)", vm->def.name,
			 vm_state_name(vm->state));
		return;
	}
	if (hvlink_request(vm->hv, VP_STATS_GET, NULL, 0, stats_done, c))
		rpc_fail(c, RPC_HV_UNAVAILABLE, NULL, "%s: cannot send",
			 vm->def.name);
}

/* --- guest agent ---------------------------------------------------------- */

static void m_agent_show(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	char *text = NULL;
	double at = 0;
	int64_t count = 0;
	json_t *rep;

	if (!vm)
		return;
	if (store_report_latest(daemon_of(c)->store, vm->def.id, &at, &text)) {
		rpc_fail(c, RPC_AGENT_UNAVAILABLE, NULL, "%s: no guest agent"
			 " has reported; is verge-guest-agent running in the"
			 " guest?", vm->def.name);
		return;
	}
	store_report_count(daemon_of(c)->store, vm->def.id, &count);
	rep = json_loads(text, 0, NULL);
	free(text);
	rpc_reply(c, json_pack("{sf sf so sI}", "received_at", at, "age_s",
			       verged_now() - at, "report",
			       rep ? rep : json_object(), "reports",
			       (json_int_t)count));
}

static void ping_done(struct rpc_call *c, struct vm *vm, json_t *reply,
		      double rtt_ms)
{
	(void)vm;
	(void)reply;
	rpc_reply(c, json_pack("{sf}", "rtt_ms", rtt_ms));
}

static void detect_done(struct rpc_call *c, struct vm *vm, json_t *reply,
			double rtt_ms)
{
	(void)vm;
	(void)rtt_ms;
	rpc_reply(c, json_incref(reply));
}

static void sync_done(struct rpc_call *c, struct vm *vm, json_t *reply,
		      double rtt_ms)
{
	json_t *off = json_object_get(reply, "offset_ns");
	json_t *after = json_object_get(reply, "after_ns");
	json_t *action = json_object_get(reply, "action");
	json_t *res;

	(void)rtt_ms;
	/* docs/jsonrpc.md, "Guest agent messages": the agent's answer. */
	if (!json_is_integer(off) || !json_is_integer(after) ||
	    !json_is_string(action) || json_string_length(action) > 16) {
		rpc_fail(c, RPC_AGENT_UNAVAILABLE, NULL, "%s: the agent's"
			 " time-sync reply lacks offset_ns, after_ns or action",
			 vm->def.name);
		return;
	}
	res = json_pack("{sO sO sO}", "offset_ns", off, "after_ns", after,
			"method", action);
	verged_event(vm->d, vm->def.name, "agent.sync_time", caller_uid(c),
		     json_deep_copy(res));
	rpc_reply(c, res);
}

static void m_agent_ping(struct rpc_call *c)
{
	struct vm *vm = running_vm(c, "start it first");

	if (vm)
		vm_tclo(vm, "verge.ping", NULL, 1, c, ping_done);
}

static void m_agent_detect(struct rpc_call *c)
{
	struct vm *vm = running_vm(c, "start it first");

	if (vm)
		/* thousands of trapping trials per candidate: a few
		 * seconds on a loaded TCG host, longer at a slow rate */
		vm_tclo(vm, "verge.detect", NULL, 6, c, detect_done);
}

static void time_anchored(void *arg, int err, const struct vp_frame *f)
{
	(void)f;
	if (err)
		log_warn("%s: HOST_TIME_SET failed (%d)", (char *)arg, err);
}

static void m_sync_time(struct rpc_call *c)
{
	struct vm *vm = running_vm(c, "start it first");
	struct vp_host_time t;
	struct timespec ts;

	if (!vm)
		return;
	if (hvlink_up(vm->hv)) {
		/* Anchor GETTIMEFULL first; the push goes after it on the
		 * same channel, so the hypervisor has the time by then. */
		clock_gettime(CLOCK_REALTIME, &ts);
		t.unix_ns = (uint64_t)ts.tv_sec * 1000000000ull +
			    (uint64_t)ts.tv_nsec;
		hvlink_request(vm->hv, VP_HOST_TIME_SET, &t, sizeof(t),
			       time_anchored, vm->def.name);
	}
	vm_tclo(vm, "verge.timesync", NULL, 1, c, sync_done);
}

/* --- guestinfo ------------------------------------------------------------ */

static bool valid_gi_key(const char *k)
{
	for (; *k; k++)
		if (*k <= 0x20 || *k >= 0x7f)
			return false;
	return true;
}

static void m_gi_get(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	const char *key = rpc_str(c, "key");
	char *value = NULL, *source = NULL;
	int e;

	if (!vm)
		return;
	e = store_guestinfo_get(daemon_of(c)->store, vm->def.id, key, &value,
				&source);
	if (e && e != -ENOENT) {
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "cannot read guestinfo");
		return;
	}
	rpc_reply(c, json_pack("{ss ss? ss?}", "key", key, "value", value,
			       "source", source));
	free(value);
	free(source);
}

static void m_gi_set(struct rpc_call *c)
{
	struct vm *vm = get_vm(c);
	const char *key = rpc_str(c, "key"), *value = rpc_str(c, "value");

	if (!vm)
		return;
	if (!valid_gi_key(key)) {
		fail_param(c, "key", "%s", "key: printable ASCII, no spaces");
		return;
	}
	store_guestinfo_set(daemon_of(c)->store, vm->def.id, key, value,
			    "host");
	verged_event(daemon_of(c), vm->def.name, "guestinfo.set", caller_uid(c),
		     json_pack("{ss si}", "key", key, "bytes",
			       (int)strlen(value)));
	if (store_or_fail(c))
		return;
	vm_guestinfo_push(vm, key, value);
	rpc_reply(c, json_object());
}

/* --- events --------------------------------------------------------------- */

static void m_events_list(struct rpc_call *c)
{
	json_t *a;

	if (store_events_list(daemon_of(c)->store, rpc_str(c, "vm"),
			      rpc_int(c, "since", 0), rpc_int(c, "limit", 100),
			      &a)) {
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "cannot read events");
		return;
	}
	rpc_reply(c, a);
}

static void m_subscribe(struct rpc_call *c)
{
	if (server_subscribe(daemon_of(c)->server, c->caller.conn,
			     rpc_str(c, "vm"))) {
		rpc_fail(c, RPC_INVALID_REQUEST, NULL,
			 "events.subscribe needs a connection");
		return;
	}
	rpc_reply(c, json_object());
}

/* --- the table ------------------------------------------------------------ */

#define NAME	{ "name", "s", true, 1, NAME_MAX_LEN }
#define STATE	RPC_CHANGES_STATE

const struct rpc_method verged_methods[] = {
	{ "daemon.version", m_version, 0, { { 0 } } },
	{ "vm.define", m_define, STATE, {
		NAME,
		{ "kernel", "s", true, 1, PATH_MAX_LEN },
		{ "initrd", "s", false, 1, PATH_MAX_LEN },
		{ "cmdline", "s", false, 0, 4000 },
		{ "memory_mib", "I", false, 256, 65536 },
		{ "cpus", "I", false, 1, 8 },
		{ "rate", "o", false, 0, 0 },
		{ "freq_hz", "I", false, 1e6, 4e9 },
		{ "restart", "s", false, 1, 16 },
		/* resource group (jail.c): % of one CPU, 1-10000, bytes on
		 * top of the guest's RAM, processes and threads */
		{ "cpu_quota", "I", false, 1, 6400 },
		{ "cpu_weight", "I", false, 1, 10000 },
		{ "memory_max", "I", false, 1 << 20, 1e12 },
		{ "pids_max", "I", false, 1, 4194304 },
		{ "partition", "s", false, 1, NAME_MAX_LEN },
		{ "watchdog_s", "I", false, 1, 3600 },
		/* verge-hv's clock and firmware options */
		{ "ptimer", "b", false, 0, 0 },
		{ "acpi", "b", false, 0, 0 },
		/* boot attempts and image slots (docs/bootguard.md) */
		{ "boot_attempts", "I", false, 1, BS_ATTEMPTS_MAX },
		{ "manual_commit", "b", false, 0, 0 },
		{ "boot_ok_after_s", "I", false, 1, 3600 },
		{ "boot_deadline_s", "I", false, 1, 86400 },
		/* devices.h: arrays of specs or objects */
		{ "disks", "o", false, 0, 0 },
		{ "nics", "o", false, 0, 0 },
		{ "cpu", "s", false, 1, 64 },
	} },
	{ "vm.image.show", m_image_show, 0, { NAME } },
	{ "vm.image.set", m_image_set, STATE, { NAME,
		{ "kernel", "s", true, 1, PATH_MAX_LEN },
		{ "initrd", "s", false, 1, PATH_MAX_LEN },
		{ "cmdline", "s", false, 0, 4000 },
		{ "slot", "s", false, 1, 1 } } },
	{ "vm.image.commit", m_image_commit, STATE, { NAME,
		{ "slot", "s", false, 1, 1 } } },
	{ "vm.image.rollback", m_image_rollback, STATE, { NAME,
		{ "slot", "s", false, 1, 1 } } },
	{ "vm.disk.list", m_disk_list, 0, { NAME } },
	{ "vm.disk.add", m_disk_add, STATE, { NAME,
		{ "disk", "o", true, 0, 0 } } },
	{ "vm.disk.remove", m_disk_remove, STATE, { NAME,
		{ "index", "I", false, 0, DEV_DISKS_MAX - 1 },
		{ "path", "s", false, 1, PATH_MAX_LEN } } },
	{ "partition.create", m_part_create, STATE, {
		NAME,
		{ "cpu_quota", "I", false, 1, 6400 },
		{ "cpu_weight", "I", false, 1, 10000 },
		{ "memory_max", "I", false, 1 << 20, 1e12 },
		{ "pids_max", "I", false, 1, 4194304 },
	} },
	{ "partition.list", m_part_list, 0, { { 0 } } },
	{ "partition.show", m_part_show, 0, { NAME } },
	{ "partition.delete", m_part_delete, STATE, { NAME } },
	{ "vm.undefine", m_undefine, STATE, { NAME } },
	{ "vm.start", m_start, STATE, { NAME } },
	{ "vm.stop", m_stop, STATE, { NAME,
		{ "timeout_s", "I", false, 1, 3600 } } },
	{ "vm.reboot", m_reboot, STATE, { NAME,
		{ "timeout_s", "I", false, 1, 3600 } } },
	{ "vm.kill", m_kill, STATE, { NAME } },
	{ "vm.list", m_list, 0, { { 0 } } },
	{ "vm.show", m_show, 0, { NAME } },
	{ "vm.console", m_console, 0, { NAME,
		{ "bytes", "I", false, 1, CONSOLE_MAX } } },
	{ "vm.stats", m_stats, 0, { NAME } },
	{ "clock.show", m_clock_show, 0, { NAME } },
	{ "clock.set_rate", m_set_rate, STATE, { NAME,
		{ "rate", "o", true, 0, 0 } } },
	{ "clock.set_frequency", m_set_freq, STATE, { NAME,
		{ "freq_hz", "I", true, 1e6, 4e9 } } },
	{ "clock.step", m_step, STATE, { NAME,
		{ "ns", "I", true, 1, 86400e9 } } },
	{ "agent.show", m_agent_show, 0, { NAME } },
	{ "agent.ping", m_agent_ping, 0, { NAME } },
	{ "agent.detect", m_agent_detect, 0, { NAME } },
	{ "agent.sync_time", m_sync_time, STATE, { NAME } },
	{ "guestinfo.get", m_gi_get, 0, { NAME,
		{ "key", "s", true, 1, 64 } } },
	{ "guestinfo.set", m_gi_set, STATE, { NAME,
		{ "key", "s", true, 1, 64 },
		{ "value", "s", true, 0, GI_MAX_VALUE } } },
	{ "events.list", m_events_list, 0, {
		{ "vm", "s", false, 1, NAME_MAX_LEN },
		{ "since", "I", false, 0, 9.2e18 },
		{ "limit", "I", false, 1, 1000 } } },
	{ "events.subscribe", m_subscribe, 0, {
		{ "vm", "s", false, 1, NAME_MAX_LEN } } },
};

const size_t verged_method_count = sizeof(verged_methods) /
				   sizeof(verged_methods[0]);
