/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A VM supervised by verged: its definition (struct vm_record, as
 * stored), its observed state, and the QEMU process that runs verge-hv
 * and the guest, with its QMP and management-channel connections.
 */
#ifndef VERGED_VM_H
#define VERGED_VM_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include <verge_proto.h>

#include "store.h"

struct verged;
struct rpc_call;
struct qmp;
struct hvlink;

enum vm_state {
	VM_DEFINED, VM_STARTING, VM_RUNNING, VM_STOPPING, VM_STOPPED,
	VM_CRASHED,
	VM_OOM,		/* killed by its resource group's memory limit */
};

struct vm_waiter {
	struct vm_waiter *next;
	struct rpc_call *call;
};

struct tclo_req;

/* A token bucket for what a guest causes (agent.c). */
struct vm_guest_bucket {
	double tokens, at;	/* at: uv_now() s of the last refill, 0: new */
	uint64_t dropped;	/* since the last guest.dropped event */
};

struct vm {
	struct vm *next;
	struct verged *d;
	struct vm_record def;	/* definition, desired state, clock */
	enum vm_state state;
	pid_t pid;
	double started_at;
	int64_t boots;
	bool child;		/* started by this verged (uv_process_t) */
	uv_process_t *proc;
	uv_poll_t *pidpoll;	/* re-attached: the pidfd */
	uv_timer_t *liveness;	/* no pidfd: kill(pid, 0) each second */
	int pidfd;
	struct qmp *qmp;
	struct hvlink *hv;
	int clock_mode;		/* enum vp_clock_mode last reported, -1: none */
	uv_timer_t *stop_timer;	/* power button again, then the deadline */
	uint64_t stop_deadline;	/* uv_now() ms: kill from then on */
	uv_timer_t *restart_timer;
	struct vm_waiter *stop_waiters;	/* vm.stop calls to answer */
	/* qemu-img check of its images before a start (devices.h), the
	 * vm.start calls that wait for it, who asked */
	struct dev_check *checking;
	struct vm_waiter *start_waiters;
	int64_t start_uid;
	bool stop_requested;	/* vm.stop or vm.kill: exit is no crash */
	bool guest_shutdown;	/* QMP SHUTDOWN from the guest */
	int crashes;		/* in the current window */
	double crash_window;
	char *json_static;	/* vm_write_json: what define fixed */
	/* disks and network cards (devices.h), and their JSON text */
	json_t *disks, *nics;
	char *disks_text, *nics_text;
	/* paths */
	char *run_dir, *qmp_path, *mgmt_path, *con_path, *pid_path;
	char *log_dir, *console_log, *qemu_log;
	/* guest agent */
	double agent_at;	/* last report, 0: none */
	char *agent_detect, *agent_hostname;
	char *agent_channel;	/* how host requests reach it (report) */
	char *agent_ip;		/* the first address it reported, or NULL */
	uint32_t tclo_id;
	struct tclo_req *tclo;	/* pending TCLO commands */
	/* rate limits of guest events and agent reports */
	struct vm_guest_bucket guest_events, guest_reports;
	/* jail (jail.c): the root's mount point, the resource groups */
	char *jail_root;
	char *cg_dirs[4];	/* JAIL_CG_MAX */
	int ncg, cg_tries;
	bool cg_v2;
	uv_timer_t *cg_timer;	/* rmdir again while the helper leaves */
	/* boot guard (agent.c, docs/bootguard.md), since verged started:
	 * last stage reported, expiries seen. The boot attempt under way,
	 * failures in a row, the slots and the last failure are in def
	 * (stored). */
	uint32_t wdt_stage;
	int64_t wdt_expiries;
	uv_timer_t *boot_timer;	/* the attempt's deadline (boot_deadline_s) */
	double refresh_from;	/* first guest refresh of the attempt, 0: none */
	bool image_restart;	/* killed to boot other images: start again */
	bool reboot;		/* vm.reboot: start again once stopped */
	int64_t reboot_uid;	/* who asked */
};

const char *vm_state_name(enum vm_state s);
/* Takes disks and nics (arrays, references stolen) as the VM's devices,
 * and stores them unless store is false. 0 or a negative errno. */
int vm_set_devices(struct vm *vm, json_t *disks, json_t *nics, bool store);
/* Loads the VM's devices from the store (none stored: none). */
int vm_load_devices(struct vm *vm);
bool vm_is_active(const struct vm *vm);	/* starting, running, stopping */

/* Builds the VM from a stored record (fields copied). */
struct vm *vm_new(struct verged *d, const struct vm_record *r);
/* Removes the run directory of a VM that runs no QEMU (undefine). */
void vm_remove_run_dir(struct vm *vm);
/* Frees a VM that runs no QEMU (undefine, shutdown). */
void vm_free(struct vm *vm);
struct vm *vm_find(struct verged *d, const char *name);
/* Inserts into the daemon's list (sorted by name). */
void vm_link(struct verged *d, struct vm *vm);
void vm_unlink(struct verged *d, struct vm *vm);

struct jw;
json_t *vm_json(const struct vm *vm);
void vm_write_json(struct jw *w, const struct vm *vm, double now);
json_t *vm_clock_json(const struct vm *vm, const void *vp_clock);
struct verged_config;
/* The members that never change after vm.define, as "{..." left open
 * (vm->json_static); NULL when out of memory. */
char *vm_static_json(const struct vm_record *r,
		     const struct verged_config *c);

/*
 * Starts QEMU. 0, or a negative errno with *ret_why saying why, or 1: its
 * qcow2 images are being checked first (devices.h, dev_check_images), and
 * QEMU starts, or not, once that is over; the calls given to
 * vm_wait_start() and vm.reboot's waiting calls are answered then.
 */
int vm_start(struct vm *vm, int64_t uid, const char **ret_why);
void vm_wait_start(struct vm *vm, struct rpc_call *call);
/* Power button, then kill at the deadline; call (may be NULL) is
 * answered with the VM once QEMU has exited. */
int vm_stop(struct vm *vm, int64_t uid, int timeout_s, struct rpc_call *call);
int vm_kill(struct vm *vm, int64_t uid, struct rpc_call *call);
/* vm_stop, then a start (fresh devices and jail) 1 s after QEMU exits;
 * call is answered with the VM once it starts again, or why it did not. */
int vm_reboot(struct vm *vm, int64_t uid, int timeout_s,
	      struct rpc_call *call);
/* At daemon start: re-attach to the QEMU that still runs, or reconcile. */
void vm_reattach(struct vm *vm);
/* At daemon stop: drop the connections, leave QEMU running. */
void vm_detach(struct vm *vm);
void vm_set_state(struct vm *vm, enum vm_state s);

/* Management channel (agent.c). */
void vm_hv_event(void *arg, const struct vp_frame *f);
void vm_hv_state(void *arg, bool up);
/* "power-on", "os-loading", "handed-off" (enum vp_wdt_stage), else NULL. */
const char *vm_wdt_stage_name(uint32_t stage);
/* The guest agent reported: a boot attempt under way succeeded. */
void vm_boot_succeeded(struct vm *vm);
/* Re-attached to a running QEMU: the deadline of its open attempt. */
void vm_boot_resume(struct vm *vm);
/* The active slot's images into def.kernel, initrd, cmdline (and the
 * JSON written once); 0 or -ENOMEM. */
int vm_apply_slot(struct vm *vm);
/* Stops QEMU to boot the active slot's images: it is started again. */
void vm_restart_images(struct vm *vm);
/* "slots" and "boot" of vm.show, also vm.image.show's answer. */
void vm_write_slots(struct jw *w, const struct vm *vm);
json_t *vm_image_json(const struct vm *vm);
void vm_hv_lost(void *arg, uint64_t n);
/* A new QEMU: no held event of its hypervisor recorded yet. */
void vm_held_reset(struct vm *vm);
/* Sends a TCLO command "verb ID[ arg]" and answers call with the reply,
 * or an error after timeout_factor x the configured agent timeout. */
void vm_tclo(struct vm *vm, const char *verb, const char *arg,
	     unsigned timeout_factor,
	     struct rpc_call *call,
	     void (*done)(struct rpc_call *call, struct vm *vm, json_t *reply,
			  double rtt_ms));
void vm_tclo_cancel_all(struct vm *vm, const char *why);
void vm_guestinfo_push(struct vm *vm, const char *key, const char *value);
/* Records an event the guest caused (detail stolen), within the VM's
 * rate limit; what the limit drops is counted in a guest.dropped event. */
void vm_guest_event(struct vm *vm, const char *type, json_t *detail);
/* Writes the guest.dropped event now if anything was dropped. */
void vm_guest_flush(struct vm *vm);
/* UTF-8 text with control characters other than \n and \t replaced. */
json_t *vm_text_json(const char *p, size_t n);
#endif
