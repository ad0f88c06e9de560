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

#define STORE_SCHEMA_VERSION	3

struct store;

/* One VM as stored: its definition, desired state, clock and observed
 * state. Strings are owned by the record (store_record_free). */
struct vm_record {
	int64_t id;
	char *name, *uuid, *kernel, *initrd, *cmdline, *restart, *desired;
	int64_t memory_mib, cpus;
	uint32_t rate_num, rate_den;
	uint64_t freq_hz;		/* 0: the host's */
	char *state;			/* observed */
	int64_t pid, boots;
	double started_at;
	/* held-event cursor: last boot or power event recorded (0, 0: none
	 * of the running QEMU's) */
	uint64_t hv_boot;
	uint32_t hv_seq;
};

int store_open(const char *path, struct store **ret_store);
/* Opens and migrates only up to version `upto` (tests of migrations). */
int store_open_upto(const char *path, int upto, struct store **ret_store);
void store_close(struct store *s);
/* A read-only connection (query_only) for another thread: only the
 * reading functions below may be used on it. */
int store_open_reader(const char *path, struct store **ret_store);
/* Events kept in all (older ones are pruned as new ones arrive). */
void store_set_event_keep(struct store *s, int64_t keep);
int store_version(struct store *s);

/* Opens a batch (transaction) unless one is open; store_commit ends it.
 * The write functions below call store_begin themselves. */
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
/* Calls fn for every VM, by name; stops at the first non-zero return. */
int store_vm_foreach(struct store *s,
		     int (*fn)(const struct vm_record *r, void *arg),
		     void *arg);
void store_record_free(struct vm_record *r);

/* uid < 0 is stored as NULL; detail may be NULL ({}). */
int store_event_add(struct store *s, double time, const char *vm,
		    const char *type, int64_t uid, json_t *detail,
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

/* An empty value deletes the key. */
int store_guestinfo_set(struct store *s, int64_t vm_id, const char *key,
			const char *value, const char *source);
int store_guestinfo_get(struct store *s, int64_t vm_id, const char *key,
			char **ret_value, char **ret_source);
/* fn(key, value, arg) for every key the host set. */
int store_guestinfo_foreach_host(struct store *s, int64_t vm_id,
				 void (*fn)(const char *k, const char *v,
					    void *arg), void *arg);
#endif
