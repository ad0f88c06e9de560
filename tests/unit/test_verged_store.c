// SPDX-License-Identifier: Apache-2.0
/*
 * verged's SQLite store: a fresh schema, the in-place upgrade of a
 * version-1 database (the first daemon's schema, with data in it), a
 * database newer than the code, bounded report history, guestinfo and
 * cascades. Real SQLite files in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

static char dir[] = "/tmp/verged-store-XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	if (!dir[0] || strstr(dir, "XXXXXX"))
		assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/verged.db", dir);
	remove(path);
	return 0;
}

static void raw(const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

struct found {
	int count;
	struct vm_record first;
};

static int collect(const struct vm_record *r, void *arg)
{
	struct found *f = arg;

	if (!f->count++) {
		f->first = *r;
		f->first.name = strdup(r->name);
		f->first.uuid = r->uuid ? strdup(r->uuid) : NULL;
		f->first.state = strdup(r->state);
		f->first.restart = strdup(r->restart);
		f->first.desired = strdup(r->desired);
		f->first.kernel = f->first.initrd = f->first.cmdline = NULL;
		for (int i = 0; i < BS_SLOTS; i++) {
			f->first.slot[i].kernel = r->slot[i].kernel ?
				strdup(r->slot[i].kernel) : NULL;
			f->first.slot[i].initrd = r->slot[i].initrd ?
				strdup(r->slot[i].initrd) : NULL;
			f->first.slot[i].cmdline = r->slot[i].cmdline ?
				strdup(r->slot[i].cmdline) : NULL;
		}
		f->first.fail_reason = r->fail_reason ?
				       strdup(r->fail_reason) : NULL;
		f->first.owner_groups = r->owner_groups ?
					strdup(r->owner_groups) : NULL;
		f->first.partition = r->partition ? strdup(r->partition) :
				     NULL;
		f->first.cpu = r->cpu ? strdup(r->cpu) : NULL;
	}
	return 0;
}

static void test_fresh(void **state)
{
	struct store *s;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
	/* opening again changes nothing */
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
}

static void test_upgrade_v1(void **state)
{
	struct found f = { 0 };
	struct store *s;
	json_t *events;

	(void)state;
	assert_int_equal(store_open_upto(path, 1, &s), 0);
	assert_int_equal(store_version(s), 1);
	store_close(s);
	/* What the first daemon left: a VM that was running, two events. */
	raw("INSERT INTO vms(name, kernel, cmdline, memory_mib, cpus, desired)"
	    " VALUES ('old-vm', '/boot/Image', 'quiet', 512, 2, 'running');"
	    "INSERT INTO events(time, vm, type, uid, detail) VALUES"
	    " (1.5, 'old-vm', 'vm.define', 0, '{}'),"
	    " (2.5, 'old-vm', 'vm.start', 1000, '{\"pid\":1}');");
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_vm_foreach(s, collect, &f), 0);
	assert_int_equal(f.count, 1);
	assert_string_equal(f.first.name, "old-vm");
	assert_int_equal(f.first.memory_mib, 512);
	assert_string_equal(f.first.desired, "running");
	/* new columns and tables got their defaults */
	assert_non_null(f.first.uuid);
	assert_int_equal(strlen(f.first.uuid), 36);
	assert_int_equal(f.first.uuid[14], '4');
	assert_int_equal(f.first.rate_num, 1);
	assert_int_equal(f.first.rate_den, 1);
	assert_string_equal(f.first.state, "defined");
	assert_string_equal(f.first.restart, "no");
	/* version 4 (jails): defined by root, no limits */
	assert_int_equal(f.first.owner_uid, 0);
	assert_string_equal(f.first.owner_groups, "");
	assert_int_equal(f.first.cpu_quota, 0);
	assert_int_equal(f.first.pids_max, 0);
	assert_int_equal(f.first.watchdog_s, 0);	/* version 5: boot guard off */
	assert_false(f.first.ptimer);	/* version 7: verge-hv's defaults */
	assert_false(f.first.acpi);
	/* version 8: its images are slot A, committed; never started, so
	 * not marked booted; K = 3, automatic commit, no failure */
	assert_string_equal(f.first.slot[0].kernel, "/boot/Image");
	assert_null(f.first.slot[0].initrd);
	assert_string_equal(f.first.slot[0].cmdline, "quiet");
	assert_null(f.first.slot[1].kernel);
	assert_int_equal(f.first.bs.active, 0);
	assert_int_equal(f.first.bs.good, 0);
	assert_int_equal(f.first.bs.filled, 1);
	assert_int_equal(f.first.bs.booted, 0);
	assert_int_equal(f.first.bs.attempts_max, 3);
	assert_false(f.first.bs.manual_commit);
	assert_int_equal(f.first.bs.failed, 0);
	assert_null(f.first.fail_reason);
	assert_int_equal(bs_check(&f.first.bs), 0);
	assert_null(f.first.cpu);	/* version 10: verged's [qemu] cpu */
	/* the old events are still there, uid and all */
	assert_int_equal(store_events_list(s, "old-vm", 0, 10, &events), 0);
	assert_int_equal(json_array_size(events), 2);
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(events, 1), "uid")), 1000);
	/* uid-stamped: the operators' */
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(events, 1), "source")), "operator");
	json_decref(events);
	/* and the new tables work on the old row */
	assert_int_equal(store_report_add(s, f.first.id, 3.0, "{\"seq\":1}", 5),
			 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	store_record_free(&f.first);
}

static void test_newer_refused(void **state)
{
	struct store *s = NULL;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	store_close(s);
	raw("PRAGMA user_version = 99");
	assert_int_equal(store_open(path, &s), -EPROTONOSUPPORT);
}

static int64_t define(struct store *s, const char *name)
{
	struct vm_record r = {
		.name = (char *)name, .uuid = "u", .kernel = "/k",
		.cmdline = "", .memory_mib = 64, .cpus = 1, .restart = "no",
		.desired = "stopped", .rate_num = 1, .rate_den = 1,
	};

	assert_int_equal(store_vm_insert(s, &r), 0);
	return r.id;
}

/* The boot guard's timeout (vm.define watchdog_s) is stored and read
 * back, across a reopen. */
static void test_watchdog_stored(void **state)
{
	struct vm_record r = {
		.name = "wd", .uuid = "u", .kernel = "/k", .cmdline = "",
		.memory_mib = 64, .cpus = 1, .restart = "no",
		.desired = "stopped", .rate_num = 1, .rate_den = 1,
		.watchdog_s = 45, .ptimer = true, .acpi = true,
	};
	struct found f = { 0 };
	struct store *s;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_insert(s, &r), 0);
	define(s, "zz-off");
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_foreach(s, collect, &f), 0);
	assert_int_equal(f.count, 2);
	assert_string_equal(f.first.name, "wd");
	assert_int_equal(f.first.watchdog_s, 45);
	assert_true(f.first.ptimer);
	assert_true(f.first.acpi);
	store_close(s);
	store_record_free(&f.first);
}

/* Image slots and boot attempts (issue 19): slot B, the trial, the
 * counters, the open attempt and the last failure survive a reopen, as
 * they must across a verged killed mid-way. */
static void test_boot_state_stored(void **state)
{
	struct vm_record r = {
		.name = "slots", .uuid = "u", .kernel = "/a", .initrd = "/ai",
		.cmdline = "ca", .memory_mib = 64, .cpus = 1,
		.restart = "no", .desired = "stopped", .rate_num = 1,
		.rate_den = 1, .boot_ok_after_s = 5, .boot_deadline_s = 90,
	};
	struct found f = { 0 };
	struct store *s;
	int slot;

	(void)state;
	bs_init(&r.bs, 2, true);
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_insert(s, &r), 0);
	assert_int_equal(store_vm_set_slot(s, r.id, 1, "/b", "", "cb", 7.5),
			 0);
	bs_boot_ok(&r.bs);
	bs_set(&r.bs, &slot);
	bs_boot_failed(&r.bs);
	r.attempt_pid = 4242;
	r.attempt_at = 11.25;
	r.fail_reason = "watchdog";
	r.fail_stage = 3;
	r.fail_at = 12.5;
	assert_int_equal(store_vm_set_boot(s, &r), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	/* a slot number other than 0 and 1 is refused by the schema */
	assert_int_equal(store_open(path, &s), 0);
	assert_int_not_equal(store_vm_set_slot(s, r.id, 2, "/c", NULL, "",
					       0), 0);
	store_commit(s);
	store_close(s);
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_foreach(s, collect, &f), 0);
	assert_int_equal(f.count, 1);
	assert_string_equal(f.first.slot[0].kernel, "/a");
	assert_string_equal(f.first.slot[0].initrd, "/ai");
	assert_string_equal(f.first.slot[0].cmdline, "ca");
	assert_string_equal(f.first.slot[1].kernel, "/b");
	assert_null(f.first.slot[1].initrd);	/* "" is none */
	assert_string_equal(f.first.slot[1].cmdline, "cb");
	assert_true(f.first.slot[1].set_at == 7.5);
	assert_int_equal(f.first.bs.attempts_max, 2);
	assert_true(f.first.bs.manual_commit);
	assert_int_equal(f.first.bs.active, 1);
	assert_int_equal(f.first.bs.good, 0);
	assert_int_equal(f.first.bs.filled, 3);
	assert_int_equal(f.first.bs.booted, 1);
	assert_int_equal(f.first.bs.failed, 1);
	assert_int_equal(f.first.bs.boots_ok, 1);
	assert_int_equal(f.first.bs.boots_failed, 1);
	assert_int_equal(f.first.boot_ok_after_s, 5);
	assert_int_equal(f.first.boot_deadline_s, 90);
	assert_int_equal(f.first.attempt_pid, 4242);
	assert_true(f.first.attempt_at == 11.25);
	assert_string_equal(f.first.fail_reason, "watchdog");
	assert_int_equal(f.first.fail_stage, 3);
	assert_int_equal(bs_check(&f.first.bs), 0);
	/* undefine takes the slots and the state with it */
	assert_int_equal(store_vm_delete(s, f.first.id), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	{
		sqlite3 *db;
		sqlite3_stmt *q;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*)"
			" FROM image_slots) + (SELECT count(*) FROM"
			" boot_state)", -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 0);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	store_record_free(&f.first);
}

/* The CPU model (vm.define cpu) is stored and read back; a VM defined
 * without one reads NULL (verged's [qemu] cpu). */
static void test_cpu_stored(void **state)
{
	struct vm_record r = {
		.name = "a-n2", .uuid = "u", .kernel = "/k", .cmdline = "",
		.memory_mib = 64, .cpus = 1, .restart = "no",
		.desired = "stopped", .rate_num = 1, .rate_den = 1,
		.cpu = "neoverse-n2",
	};
	struct found f = { 0 };
	struct store *s;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_insert(s, &r), 0);
	define(s, "zz-default");
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_foreach(s, collect, &f), 0);
	assert_int_equal(f.count, 2);
	assert_string_equal(f.first.cpu, "neoverse-n2");
	store_close(s);
	store_record_free(&f.first);
}

/* Jails (issue 13): who defined the VM and its limits survive a reopen. */
static void test_owner_and_limits(void **state)
{
	struct vm_record r = {
		.name = "jailed", .uuid = "u", .kernel = "/k", .cmdline = "",
		.memory_mib = 64, .cpus = 1, .restart = "no",
		.desired = "stopped", .rate_num = 1, .rate_den = 1,
		.owner_uid = 1001, .owner_gid = 1002,
		.owner_groups = "1002,27,44", .cpu_quota = 20,
		.cpu_weight = 300, .memory_max = 256 << 20, .pids_max = 64,
	};
	struct found f = { 0 };
	struct store *s;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_insert(s, &r), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_foreach(s, collect, &f), 0);
	assert_int_equal(f.count, 1);
	assert_int_equal(f.first.owner_uid, 1001);
	assert_int_equal(f.first.owner_gid, 1002);
	assert_string_equal(f.first.owner_groups, "1002,27,44");
	assert_int_equal(f.first.cpu_quota, 20);
	assert_int_equal(f.first.cpu_weight, 300);
	assert_int_equal(f.first.memory_max, 256 << 20);
	assert_int_equal(f.first.pids_max, 64);
	store_close(s);
	store_record_free(&f.first);
}

/*
 * Every column of the VM query lands in its own field: each is given a
 * value no other has, and each is read back as it was written (the
 * query's columns and read_record() are made from one list, VM_COLUMNS).
 */
static void test_every_column_read_back(void **state)
{
	struct vm_record r = {
		.name = "every", .uuid = "u-1", .kernel = "/k0",
		.initrd = "/i0", .cmdline = "c0", .memory_mib = 101, .cpus = 2,
		.restart = "on-crash", .desired = "running", .rate_num = 3,
		.rate_den = 7, .freq_hz = 105, .owner_uid = 106,
		.owner_gid = 107, .owner_groups = "108,109", .cpu_quota = 110,
		.cpu_weight = 111, .memory_max = 112, .pids_max = 113,
		.partition = "p114", .watchdog_s = 115, .ptimer = true,
		.acpi = true, .boot_ok_after_s = 116, .boot_deadline_s = 117,
		.cpu = "cortex-a118",
	};
	const struct vm_record *g;
	struct found f = { 0 };
	struct store *s;

	(void)state;
	r.bs = (struct bootslots){
		.attempts_max = 4, .manual_commit = true, .active = 1,
		.good = 0, .trial_ok = true, .filled = 3, .booted = 2,
		.failed = 119, .boots_ok = 120, .boots_failed = 121,
		.rollbacks = 122,
	};
	r.attempt_pid = 123;
	r.attempt_at = 124.5;
	r.fail_reason = "deadline";
	r.fail_stage = 2;
	r.fail_at = 125.5;
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_vm_insert(s, &r), 0);
	assert_int_equal(store_vm_set_observed(s, r.id, "running", 126, 127.5,
					       128), 0);
	assert_int_equal(store_vm_set_held(s, r.id, 129, 130), 0);
	assert_int_equal(store_vm_set_slot(s, r.id, 1, "/k1", "/i1", "c1",
					   131.5), 0);
	assert_int_equal(store_vm_set_boot(s, &r), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_vm_foreach(s, collect, &f), 0);
	store_close(s);
	assert_int_equal(f.count, 1);
	g = &f.first;
	assert_int_equal(g->id, r.id);
	assert_string_equal(g->name, "every");
	assert_string_equal(g->uuid, "u-1");
	assert_int_equal(g->memory_mib, 101);
	assert_int_equal(g->cpus, 2);
	assert_string_equal(g->restart, "on-crash");
	assert_string_equal(g->desired, "running");
	assert_int_equal(g->rate_num, 3);
	assert_int_equal(g->rate_den, 7);
	assert_int_equal(g->freq_hz, 105);
	assert_string_equal(g->state, "running");
	assert_int_equal(g->pid, 126);
	assert_true(g->started_at == 127.5);
	assert_int_equal(g->boots, 128);
	assert_int_equal(g->owner_uid, 106);
	assert_int_equal(g->owner_gid, 107);
	assert_string_equal(g->owner_groups, "108,109");
	assert_int_equal(g->cpu_quota, 110);
	assert_int_equal(g->cpu_weight, 111);
	assert_int_equal(g->memory_max, 112);
	assert_int_equal(g->pids_max, 113);
	assert_string_equal(g->partition, "p114");
	assert_int_equal(g->watchdog_s, 115);
	assert_int_equal(g->hv_boot, 129);
	assert_int_equal(g->hv_seq, 130);
	assert_true(g->ptimer);
	assert_true(g->acpi);
	assert_int_equal(g->bs.attempts_max, 4);
	assert_true(g->bs.manual_commit);
	assert_int_equal(g->boot_ok_after_s, 116);
	assert_int_equal(g->boot_deadline_s, 117);
	assert_int_equal(g->bs.active, 1);
	assert_int_equal(g->bs.good, 0);
	assert_true(g->bs.trial_ok);
	assert_int_equal(g->bs.filled, 3);
	assert_int_equal(g->bs.booted, 2);
	assert_int_equal(g->bs.failed, 119);
	assert_int_equal(g->bs.boots_ok, 120);
	assert_int_equal(g->bs.boots_failed, 121);
	assert_int_equal(g->bs.rollbacks, 122);
	assert_int_equal(g->attempt_pid, 123);
	assert_true(g->attempt_at == 124.5);
	assert_string_equal(g->fail_reason, "deadline");
	assert_int_equal(g->fail_stage, 2);
	assert_true(g->fail_at == 125.5);
	assert_string_equal(g->slot[0].kernel, "/k0");
	assert_string_equal(g->slot[0].initrd, "/i0");
	assert_string_equal(g->slot[0].cmdline, "c0");
	assert_true(g->slot[0].set_at == 0);
	assert_string_equal(g->slot[1].kernel, "/k1");
	assert_string_equal(g->slot[1].initrd, "/i1");
	assert_string_equal(g->slot[1].cmdline, "c1");
	assert_true(g->slot[1].set_at == 131.5);
	assert_string_equal(g->cpu, "cortex-a118");
	store_record_free(&f.first);
}

static void test_reports_bounded(void **state)
{
	struct store *s;
	int64_t id, n = 0;
	char text[32], *latest = NULL;
	double at = 0;
	int i;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	id = define(s, "vm");
	for (i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "{\"seq\":%d}", i);
		assert_int_equal(store_report_add(s, id, i, text, 3), 0);
	}
	assert_int_equal(store_report_count(s, id, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_report_latest(s, id, &at, &latest), 0);
	assert_string_equal(latest, "{\"seq\":10}");
	assert_true(at == 10.0);
	free(latest);
	/* a name is unique */
	{
		struct vm_record r = { .name = "vm", .uuid = "u", .kernel = "/k",
			.cmdline = "", .memory_mib = 64, .cpus = 1,
			.restart = "no", .desired = "stopped",
			.rate_num = 1, .rate_den = 1 };

		assert_int_equal(store_vm_insert(s, &r), -EEXIST);
	}
	/* deleting the VM deletes its reports (foreign key cascade) */
	assert_int_equal(store_vm_delete(s, id), 0);
	assert_int_equal(store_report_count(s, id, &n), 0);
	assert_int_equal(n, 0);
	store_close(s);
}

static void seen(const char *k, const char *v, void *arg)
{
	char *out = arg;

	strcat(out, k);
	strcat(out, "=");
	strcat(out, v);
	strcat(out, ";");
}

static void test_guestinfo(void **state)
{
	struct store *s;
	char *value = NULL, *source = NULL, host[128] = "";
	int64_t id;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	id = define(s, "gi");
	assert_int_equal(store_guestinfo_set(s, id, "role", "web", "host"), 0);
	assert_int_equal(store_guestinfo_set(s, id, "ip", "10.0.0.2", "guest"),
			 0);
	assert_int_equal(store_guestinfo_get(s, id, "ip", &value, &source), 0);
	assert_string_equal(value, "10.0.0.2");
	assert_string_equal(source, "guest");
	free(value);
	free(source);
	assert_int_equal(store_guestinfo_foreach_host(s, id, seen, host), 0);
	assert_string_equal(host, "role=web;");	/* only the host's keys */
	/* The guest can neither replace nor delete the host's key. */
	assert_int_equal(store_guestinfo_set(s, id, "role", "db", "guest"), 0);
	assert_int_equal(store_guestinfo_set(s, id, "role", "", "guest"), 0);
	assert_int_equal(store_guestinfo_get(s, id, "role", &value, &source), 0);
	assert_string_equal(value, "web");
	assert_string_equal(source, "host");
	free(value);
	free(source);
	host[0] = 0;
	assert_int_equal(store_guestinfo_foreach_host(s, id, seen, host), 0);
	assert_string_equal(host, "role=web;");
	/* Its own keys it changes and deletes; the host takes any key. */
	assert_int_equal(store_guestinfo_set(s, id, "ip", "10.0.0.3", "guest"),
			 0);
	assert_int_equal(store_guestinfo_get(s, id, "ip", &value, &source), 0);
	assert_string_equal(value, "10.0.0.3");
	free(value);
	free(source);
	assert_int_equal(store_guestinfo_set(s, id, "ip", "", "guest"), 0);
	assert_int_equal(store_guestinfo_get(s, id, "ip", &value, &source),
			 -ENOENT);
	assert_int_equal(store_guestinfo_set(s, id, "ip", "10.0.0.4", "guest"),
			 0);
	assert_int_equal(store_guestinfo_set(s, id, "ip", "10.0.0.5", "host"),
			 0);
	assert_int_equal(store_guestinfo_get(s, id, "ip", &value, &source), 0);
	assert_string_equal(source, "host");
	free(value);
	free(source);
	assert_int_equal(store_guestinfo_set(s, id, "role", "", "host"), 0);
	assert_int_equal(store_guestinfo_get(s, id, "role", &value, &source),
			 -ENOENT);
	store_close(s);
}

static void test_commit_survives_close(void **state)
{
	struct store *s;
	json_t *ev;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	assert_int_equal(store_event_add(s, 1.0, NULL, "daemon.start", -1,
					 false, NULL, NULL), 0);
	assert_true(store_dirty(s));
	assert_int_equal(store_commit(s), 0);
	assert_false(store_dirty(s));
	/* another connection sees the committed event at once (WAL) */
	{
		sqlite3 *db;
		sqlite3_stmt *q;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM"
			" events", -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 1);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	assert_int_equal(store_events_list(s, NULL, 0, 10, &ev), 0);
	assert_true(json_is_null(json_object_get(json_array_get(ev, 0), "uid")));
	json_decref(ev);
	store_close(s);
}

/* A flood of guest events prunes guest events only. */
static void test_guest_events_kept_apart(void **state)
{
	struct store *s;
	json_t *ev, *e;
	int i, operator = 0, guest = 0;
	size_t j;
	int64_t since = 0;

	(void)state;
	assert_int_equal(store_open(path, &s), 0);
	store_set_event_keep(s, 100);
	for (i = 0; i < 50; i++)
		assert_int_equal(store_event_add(s, i, "v", "guestinfo.set", 0,
						 false, NULL, NULL), 0);
	for (i = 0; i < 3000; i++)
		assert_int_equal(store_event_add(s, i, "v", "agent.hello", -1,
						 true, NULL, NULL), 0);
	assert_int_equal(store_commit(s), 0);
	do {
		assert_int_equal(store_events_list(s, NULL, since, 1000, &ev),
				 0);
		json_array_foreach(ev, j, e) {
			const char *src = json_string_value(json_object_get(e,
							     "source"));

			operator += !strcmp(src, "operator");
			guest += !strcmp(src, "guest");
			since = json_integer_value(json_object_get(e, "id"));
		}
		i = (int)json_array_size(ev);
		json_decref(ev);
	} while (i);
	assert_int_equal(operator, 50);
	assert_true(guest >= 100 && guest < 100 + 256);
	store_close(s);
}

static int teardown_all(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fresh, setup),
		cmocka_unit_test_setup(test_upgrade_v1, setup),
		cmocka_unit_test_setup(test_newer_refused, setup),
		cmocka_unit_test_setup(test_reports_bounded, setup),
		cmocka_unit_test_setup(test_watchdog_stored, setup),
		cmocka_unit_test_setup(test_boot_state_stored, setup),
		cmocka_unit_test_setup(test_cpu_stored, setup),
		cmocka_unit_test_setup(test_guestinfo, setup),
		cmocka_unit_test_setup(test_commit_survives_close, setup),
		cmocka_unit_test_setup(test_guest_events_kept_apart, setup),
		cmocka_unit_test_setup(test_owner_and_limits, setup),
		cmocka_unit_test_setup(test_every_column_read_back, setup),
	};

	return cmocka_run_group_tests_name("verged_store", tests, NULL,
					   teardown_all);
}
