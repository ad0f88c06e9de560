/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verged's SQLite store: VM definitions and desired state, observed state,
 * clock settings, agent reports (latest and a bounded history), guestinfo
 * and the event log. WAL journal, foreign keys on, schema upgraded in
 * place by a table of migrations (store.c).
 *
 * Writes are batched: the first write opens a transaction and
 * store_commit() ends it. verged commits before it replies to a
 * state-changing request, and a timer commits what the guests cause, so an
 * acknowledged change survives kill -9. Functions return 0 or a negative
 * errno (-EEXIST for a taken name, -ENOENT for a missing row, -EIO for
 * anything SQLite reports, which is logged).
 */
#ifndef VERGED_STORE_H
#define VERGED_STORE_H
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "bootslots.h"

#define STORE_SCHEMA_VERSION	10

struct store;

/* One VM as stored: its definition, desired state, clock and observed
 * state. Strings are owned by the record (store_record_free). */
struct vm_record {
	int64_t id;
	char *name, *uuid, *kernel, *initrd, *cmdline, *restart, *desired;
	int64_t memory_mib, cpus;
	uint32_t rate_num, rate_den;
	uint64_t freq_hz;		/* 0: the host's */
	int64_t watchdog_s;		/* boot guard timeout, 0: off */
	bool ptimer;			/* verge.ptimer=1: no virtual timer */
	bool acpi;			/* verge.acpi=1: boot with ACPI */
	char *state;			/* observed */
	int64_t pid, boots;
	double started_at;
	/* Jails (issue 13): the caller who defined it, and the limits of
	 * its resource group (0: none; memory_max in bytes on top of the
	 * guest's RAM, cpu_quota in % of one CPU, cpu_weight 1-10000). */
	int64_t owner_uid, owner_gid;
	char *owner_groups;		/* "g1,g2,..." */
	int64_t cpu_quota, cpu_weight, memory_max, pids_max;
	char *partition;		/* NULL: none */
	/* held-event cursor: last boot or power event recorded (0, 0: none
	 * of the running QEMU's) */
	uint64_t hv_boot;
	uint32_t hv_seq;
	/* Image slots and boot attempts (issue 19, bootslots.h): the
	 * slots' images (kernel NULL: empty), the boot outcome settings
	 * (0: off), the slots' state and counters, the attempt under way
	 * (the QEMU pid it runs in, 0: none; when it began) and the last
	 * failure (reason NULL: none; stage enum vp_wdt_stage). kernel,
	 * initrd and cmdline above are the active slot's. */
	struct vm_slot {
		char *kernel, *initrd, *cmdline;
		double set_at;
	} slot[BS_SLOTS];
	int64_t boot_ok_after_s, boot_deadline_s;
	struct bootslots bs;
	int64_t attempt_pid;
	double attempt_at;
	char *fail_reason;
	int64_t fail_stage;
	double fail_at;
	char *cpu;			/* -cpu model; NULL: [qemu] cpu */
};

/* A partition: a group of VMs whose resource group bounds theirs
 * (memory_max in bytes for all of them; otherwise as in vm_record). */
struct partition_record {
	int64_t id;
	char *name;
	int64_t cpu_quota, cpu_weight, memory_max, pids_max;
};

int store_open(const char *path, struct store **ret_store);
/* Opens and migrates only up to version `upto` (tests of migrations). */
int store_open_upto(const char *path, int upto, struct store **ret_store);
void store_close(struct store *s);
/* A read-only connection (query_only) for another thread: only the
 * reading functions below may be used on it. */
int store_open_reader(const char *path, struct store **ret_store);
/* Events kept of each class, the guests' and the others' (operators' and
 * verged's): older ones are pruned as new ones of the class arrive. */
void store_set_event_keep(struct store *s, int64_t keep);
int store_version(struct store *s);

/* Opens a batch (transaction) unless one is open; store_commit ends it.
 * The write functions below call store_begin themselves. store_commit
 * fails (-EIO, the batch rolled back) if COMMIT fails or if any write
 * since the last commit failed (other than -EEXIST). */
int store_begin(struct store *s);
int store_commit(struct store *s);
bool store_dirty(const struct store *s);

/* Sets r->id. */
int store_vm_insert(struct store *s, struct vm_record *r);
int store_vm_delete(struct store *s, int64_t id);
int store_vm_set_desired(struct store *s, int64_t id, const char *desired);
int store_vm_set_clock(struct store *s, int64_t id, uint32_t num,
		       uint32_t den, uint64_t freq_hz);
int store_vm_set_observed(struct store *s, int64_t id, const char *state,
			  int64_t pid, double started_at, int64_t boots);
int store_vm_set_held(struct store *s, int64_t id, uint64_t boot_id,
		      uint32_t seq);
/* Writes image slot `slot` (0 A, 1 B) of VM id; initrd NULL or "": none. */
int store_vm_set_slot(struct store *s, int64_t id, int slot,
		      const char *kernel, const char *initrd,
		      const char *cmdline, double at);
/* Stores r->bs and the attempt and failure fields of VM r->id. */
int store_vm_set_boot(struct store *s, const struct vm_record *r);
/* Calls fn for every VM, by name; stops at the first non-zero return. */
int store_vm_foreach(struct store *s,
		     int (*fn)(const struct vm_record *r, void *arg),
		     void *arg);
void store_record_free(struct vm_record *r);

/* -EEXIST for a taken name; delete: -ENOENT for none. */
int store_partition_insert(struct store *s, const struct partition_record *p);
int store_partition_delete(struct store *s, const char *name);
/* fn for every partition, by name (strings valid during the call). */
int store_partition_foreach(struct store *s,
			    int (*fn)(const struct partition_record *p,
				      void *arg), void *arg);

/* A VM's disks and network cards as JSON arrays (devices.h); get:
 * -ENOENT when none were ever set (a VM defined before version 7). */
int store_devices_set(struct store *s, int64_t vm_id, const char *disks,
		      const char *nics);
int store_devices_get(struct store *s, int64_t vm_id, char **ret_disks,
		      char **ret_nics);

/* uid < 0 is stored as NULL; detail may be NULL ({}). The source
 * column (and the event's "source") is "guest" if guest, else
 * "operator" with a uid, else "daemon". */
int store_event_add(struct store *s, double time, const char *vm,
		    const char *type, int64_t uid, bool guest, json_t *detail,
		    json_t **ret_event);
/* Events with id > since, of vm if not NULL, oldest first. */
int store_events_list(struct store *s, const char *vm, int64_t since,
		      int64_t limit, json_t **ret_array);

/* Keeps the newest `keep` reports of the VM. */
int store_report_add(struct store *s, int64_t vm_id, double at,
		     const char *json_text, int keep);
int store_report_latest(struct store *s, int64_t vm_id, double *ret_at,
			char **ret_text);
int store_report_count(struct store *s, int64_t vm_id, int64_t *ret_count);

/* An empty value deletes the key. A source other than "host" (the guest)
 * never replaces or deletes a key the host set: such a write is dropped. */
int store_guestinfo_set(struct store *s, int64_t vm_id, const char *key,
			const char *value, const char *source);
int store_guestinfo_get(struct store *s, int64_t vm_id, const char *key,
			char **ret_value, char **ret_source);
/* fn(key, value, arg) for every key the host set. */
int store_guestinfo_foreach_host(struct store *s, int64_t vm_id,
				 void (*fn)(const char *k, const char *v,
					    void *arg), void *arg);
#endif
