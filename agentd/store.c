// SPDX-License-Identifier: Apache-2.0
/*
 * SQLite store (store.h). Statements are prepared once, from one table;
 * the schema is the list of migrations below, applied in order inside one
 * transaction each, with PRAGMA user_version as the schema version.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

/*
 * migrations[i] takes a database from version i to i + 1. Never edit one
 * that has shipped: add a new one. Version 1 was the first daemon's
 * schema (definitions and events only).
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE vms ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  kernel TEXT NOT NULL,"
	"  initrd TEXT,"
	"  cmdline TEXT NOT NULL DEFAULT '',"
	"  memory_mib INTEGER NOT NULL,"
	"  cpus INTEGER NOT NULL,"
	"  desired TEXT NOT NULL DEFAULT 'stopped');"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  time REAL NOT NULL,"
	"  vm TEXT,"
	"  type TEXT NOT NULL,"
	"  uid INTEGER,"
	"  detail TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX events_vm ON events(vm, id);",
	/* 1 -> 2: uuid, restart policy, clock settings, observed state,
	 * agent reports, guestinfo. */
	"ALTER TABLE vms ADD COLUMN uuid TEXT;"
	"UPDATE vms SET uuid = (SELECT lower(substr(h, 1, 8) || '-' ||"
	"  substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a' ||"
	"  substr(h, 18, 3) || '-' || substr(h, 21, 12))"
	"  FROM (SELECT hex(randomblob(16)) AS h));"
	"ALTER TABLE vms ADD COLUMN restart TEXT NOT NULL DEFAULT 'no';"
	"CREATE TABLE clock ("
	"  vm_id INTEGER PRIMARY KEY REFERENCES vms(id) ON DELETE CASCADE,"
	"  rate_num INTEGER NOT NULL DEFAULT 1,"
	"  rate_den INTEGER NOT NULL DEFAULT 1,"
	"  freq_hz INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO clock(vm_id) SELECT id FROM vms;"
	"CREATE TABLE observed ("
	"  vm_id INTEGER PRIMARY KEY REFERENCES vms(id) ON DELETE CASCADE,"
	"  state TEXT NOT NULL DEFAULT 'defined',"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  started_at REAL NOT NULL DEFAULT 0,"
	"  boots INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO observed(vm_id) SELECT id FROM vms;"
	"CREATE TABLE agent_reports ("
	"  id INTEGER PRIMARY KEY,"
	"  vm_id INTEGER NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
	"  received_at REAL NOT NULL,"
	"  report TEXT NOT NULL);"
	"CREATE INDEX agent_reports_vm ON agent_reports(vm_id, id);"
	"CREATE TABLE guestinfo ("
	"  vm_id INTEGER NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  PRIMARY KEY (vm_id, key));",
	/* 2 -> 3: who caused each event; guest events are kept apart. */
	"ALTER TABLE events ADD COLUMN source TEXT NOT NULL"
	"  DEFAULT 'daemon';"
	"UPDATE events SET source = 'operator' WHERE uid IS NOT NULL;"
	"UPDATE events SET source = 'guest' WHERE uid IS NULL AND type IN"
	"  ('agent.hello', 'vm.boot', 'vm.panic', 'vm.reset',"
	"   'vm.watchdog');"
	"CREATE INDEX events_source ON events(source, id);",
	/* 3 -> 4: jails: who defined the VM (their groups as
	 * "g1,g2,..."), the resource-group limits (0: none), partitions. */
	"ALTER TABLE vms ADD COLUMN owner_uid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vms ADD COLUMN owner_gid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vms ADD COLUMN owner_groups TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE vms ADD COLUMN cpu_quota INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vms ADD COLUMN cpu_weight INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vms ADD COLUMN memory_max INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vms ADD COLUMN pids_max INTEGER NOT NULL DEFAULT 0;"
	/* partitions: groups of VMs with limits of their own */
	"ALTER TABLE vms ADD COLUMN partition TEXT;"
	"CREATE TABLE partitions ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  cpu_quota INTEGER NOT NULL DEFAULT 0,"
	"  cpu_weight INTEGER NOT NULL DEFAULT 0,"
	"  memory_max INTEGER NOT NULL DEFAULT 0,"
	"  pids_max INTEGER NOT NULL DEFAULT 0);",
	/* 4 -> 5: the boot guard's watchdog timeout (verge.wdt). */
	"ALTER TABLE vms ADD COLUMN watchdog_s INTEGER NOT NULL DEFAULT 0;",
	/* 5 -> 6: the held-event cursor of the VM's running hypervisor
	 * (verge_proto.h "Held events"): the boot_id and seq of the last
	 * boot or power event recorded in the event log. */
	("ALTER TABLE observed ADD COLUMN hv_boot INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE observed ADD COLUMN hv_seq INTEGER NOT NULL DEFAULT 0;"),
	/* 6 -> 7: verge-hv's clock and firmware options (verge.ptimer,
	 * verge.acpi), 0 or 1. */
	("ALTER TABLE vms ADD COLUMN ptimer INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE vms ADD COLUMN acpi INTEGER NOT NULL DEFAULT 0;"),
	/* 7 -> 8: image slots A/B and boot attempts (bootslots.h). An
	 * existing VM's images become slot A, committed; it counts as
	 * booted if it ever started. */
	("ALTER TABLE vms ADD COLUMN boot_attempts INTEGER NOT NULL"
	 "  DEFAULT 3;"
	 "ALTER TABLE vms ADD COLUMN manual_commit INTEGER NOT NULL"
	 "  DEFAULT 0;"
	 "ALTER TABLE vms ADD COLUMN boot_ok_after_s INTEGER NOT NULL"
	 "  DEFAULT 0;"
	 "ALTER TABLE vms ADD COLUMN boot_deadline_s INTEGER NOT NULL"
	 "  DEFAULT 0;"
	 "CREATE TABLE image_slots ("
	 "  vm_id INTEGER NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
	 "  slot INTEGER NOT NULL CHECK (slot IN (0, 1)),"
	 "  kernel TEXT NOT NULL,"
	 "  initrd TEXT,"
	 "  cmdline TEXT NOT NULL DEFAULT '',"
	 "  set_at REAL NOT NULL DEFAULT 0,"
	 "  PRIMARY KEY (vm_id, slot));"
	 "INSERT INTO image_slots(vm_id, slot, kernel, initrd, cmdline)"
	 "  SELECT id, 0, kernel, initrd, cmdline FROM vms;"
	 "CREATE TABLE boot_state ("
	 "  vm_id INTEGER PRIMARY KEY REFERENCES vms(id) ON DELETE CASCADE,"
	 "  active INTEGER NOT NULL DEFAULT 0,"
	 "  good INTEGER NOT NULL DEFAULT 0,"
	 "  trial_ok INTEGER NOT NULL DEFAULT 0,"
	 "  filled INTEGER NOT NULL DEFAULT 1,"
	 "  booted INTEGER NOT NULL DEFAULT 0,"
	 "  failed INTEGER NOT NULL DEFAULT 0,"
	 "  boots_ok INTEGER NOT NULL DEFAULT 0,"
	 "  boots_failed INTEGER NOT NULL DEFAULT 0,"
	 "  rollbacks INTEGER NOT NULL DEFAULT 0,"
	 "  attempt_pid INTEGER NOT NULL DEFAULT 0,"
	 "  attempt_at REAL NOT NULL DEFAULT 0,"
	 "  fail_reason TEXT,"
	 "  fail_stage INTEGER NOT NULL DEFAULT 0,"
	 "  fail_at REAL NOT NULL DEFAULT 0);"
	 "INSERT INTO boot_state(vm_id, booted) SELECT vm_id,"
	 "  CASE WHEN boots > 0 THEN 1 ELSE 0 END FROM observed;"),
	/* 8 -> 9: disks and network cards (devices.h), as JSON arrays. */
	"CREATE TABLE devices ("
	"  vm_id INTEGER PRIMARY KEY REFERENCES vms(id) ON DELETE CASCADE,"
	"  disks TEXT NOT NULL DEFAULT '[]',"
	"  nics TEXT NOT NULL DEFAULT '[]');",
	/* 9 -> 10: the VM's CPU model (-cpu); NULL: [qemu] cpu. */
	"ALTER TABLE vms ADD COLUMN cpu TEXT;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
	       STORE_SCHEMA_VERSION, "one migration per schema version");

enum stmt {
	S_VM_INSERT, S_CLOCK_INSERT, S_OBS_INSERT, S_VM_DELETE, S_VM_DESIRED,
	S_VM_CLOCK, S_VM_OBSERVED, S_VM_HELD, S_VM_ALL, S_EVENT_ADD, S_EVENT_PRUNE_HOST,
	S_EVENT_PRUNE_GUEST, S_EVENTS, S_REPORT_ADD, S_REPORT_PRUNE, S_REPORT_LATEST,
	S_REPORT_COUNT, S_GI_SET, S_GI_DEL, S_GI_GET, S_GI_HOST,
	S_GI_GUEST_SET, S_GI_GUEST_DEL,
	S_PART_INSERT, S_PART_DELETE, S_PART_ALL,
	S_BOOT_INSERT, S_SLOT_SET, S_BOOT_SET,
	S_DEV_SET, S_DEV_GET,
	S_COUNT
};

/*
 * The columns S_VM_ALL selects after v.id (column 0, VC_ID), in order,
 * and the member of struct vm_record each is read into: its SELECT list,
 * the indices (VC_*) and the table read_record() reads them by are made
 * from this one list, so that a column added or moved cannot shift the
 * others.
 */
#define VM_COLUMNS(X) \
	X(NAME, "v.name", name) \
	X(UUID, "v.uuid", uuid) \
	X(KERNEL, "v.kernel", kernel) \
	X(INITRD, "v.initrd", initrd) \
	X(CMDLINE, "v.cmdline", cmdline) \
	X(MEMORY_MIB, "v.memory_mib", memory_mib) \
	X(CPUS, "v.cpus", cpus) \
	X(RESTART, "v.restart", restart) \
	X(DESIRED, "v.desired", desired) \
	X(RATE_NUM, "c.rate_num", rate_num) \
	X(RATE_DEN, "c.rate_den", rate_den) \
	X(FREQ_HZ, "c.freq_hz", freq_hz) \
	X(STATE, "o.state", state) \
	X(PID, "o.pid", pid) \
	X(STARTED_AT, "o.started_at", started_at) \
	X(BOOTS, "o.boots", boots) \
	X(OWNER_UID, "v.owner_uid", owner_uid) \
	X(OWNER_GID, "v.owner_gid", owner_gid) \
	X(OWNER_GROUPS, "v.owner_groups", owner_groups) \
	X(CPU_QUOTA, "v.cpu_quota", cpu_quota) \
	X(CPU_WEIGHT, "v.cpu_weight", cpu_weight) \
	X(MEMORY_MAX, "v.memory_max", memory_max) \
	X(PIDS_MAX, "v.pids_max", pids_max) \
	X(PARTITION, "v.partition", partition) \
	X(WATCHDOG_S, "v.watchdog_s", watchdog_s) \
	X(HV_BOOT, "o.hv_boot", hv_boot) \
	X(HV_SEQ, "o.hv_seq", hv_seq) \
	X(PTIMER, "v.ptimer", ptimer) \
	X(ACPI, "v.acpi", acpi) \
	X(BOOT_ATTEMPTS, "v.boot_attempts", bs.attempts_max) \
	X(MANUAL_COMMIT, "v.manual_commit", bs.manual_commit) \
	X(BOOT_OK_AFTER_S, "v.boot_ok_after_s", boot_ok_after_s) \
	X(BOOT_DEADLINE_S, "v.boot_deadline_s", boot_deadline_s) \
	X(BS_ACTIVE, "b.active", bs.active) \
	X(BS_GOOD, "b.good", bs.good) \
	X(TRIAL_OK, "b.trial_ok", bs.trial_ok) \
	X(BS_FILLED, "b.filled", bs.filled) \
	X(BS_BOOTED, "b.booted", bs.booted) \
	X(BS_FAILED, "b.failed", bs.failed) \
	X(BOOTS_OK, "b.boots_ok", bs.boots_ok) \
	X(BOOTS_FAILED, "b.boots_failed", bs.boots_failed) \
	X(ROLLBACKS, "b.rollbacks", bs.rollbacks) \
	X(ATTEMPT_PID, "b.attempt_pid", attempt_pid) \
	X(ATTEMPT_AT, "b.attempt_at", attempt_at) \
	X(FAIL_REASON, "b.fail_reason", fail_reason) \
	X(FAIL_STAGE, "b.fail_stage", fail_stage) \
	X(FAIL_AT, "b.fail_at", fail_at) \
	X(S0_KERNEL, "s0.kernel", slot[0].kernel) \
	X(S0_INITRD, "s0.initrd", slot[0].initrd) \
	X(S0_CMDLINE, "s0.cmdline", slot[0].cmdline) \
	X(S0_SET_AT, "s0.set_at", slot[0].set_at) \
	X(S1_KERNEL, "s1.kernel", slot[1].kernel) \
	X(S1_INITRD, "s1.initrd", slot[1].initrd) \
	X(S1_CMDLINE, "s1.cmdline", slot[1].cmdline) \
	X(S1_SET_AT, "s1.set_at", slot[1].set_at) \
	X(CPU, "v.cpu", cpu)

#define VC_ENUM(id, sql, field) VC_##id,
enum vm_column { VC_ID, VM_COLUMNS(VC_ENUM) VC_COUNT };
#undef VC_ENUM
#define VC_SQL(id, sql, field) ", " sql

#define VC_NAME(id, sql, field) sql ","

/*
 * The columns of the other reading statements, in order: their readers
 * read them by these indices, and prepare_all() checks every name
 * against the statement (stmt_cols), so that a column added to or moved
 * in the SQL stops verged at open instead of being read as another.
 */
#define EVENT_COLS(X) \
	X(EV_ID, "id") \
	X(EV_TIME, "time") \
	X(EV_VM, "vm") \
	X(EV_TYPE, "type") \
	X(EV_UID, "uid") \
	X(EV_DETAIL, "detail") \
	X(EV_SOURCE, "source")
#define REPORT_COLS(X) \
	X(RP_AT, "received_at") \
	X(RP_REPORT, "report")
#define GI_COLS(X) \
	X(GI_VALUE, "value") \
	X(GI_SOURCE, "source")
#define GI_HOST_COLS(X) \
	X(GH_KEY, "key") \
	X(GH_VALUE, "value")
#define PART_COLS(X) \
	X(PC_ID, "id") \
	X(PC_NAME, "name") \
	X(PC_CPU_QUOTA, "cpu_quota") \
	X(PC_CPU_WEIGHT, "cpu_weight") \
	X(PC_MEMORY_MAX, "memory_max") \
	X(PC_PIDS_MAX, "pids_max")
#define DEV_COLS(X) \
	X(DC_DISKS, "disks") \
	X(DC_NICS, "nics")
#define COL_ENUM(id, name) id,
#define COL_NAME(id, name) name ","
enum { EVENT_COLS(COL_ENUM) };
enum { REPORT_COLS(COL_ENUM) };
enum { GI_COLS(COL_ENUM) };
enum { GI_HOST_COLS(COL_ENUM) };
enum { PART_COLS(COL_ENUM) };
enum { DEV_COLS(COL_ENUM) };

/* What each reading statement selects: names followed by ",", a table
 * alias ("v.") not part of the name. */
static const char *const stmt_cols[S_COUNT] = {
	[S_VM_ALL] = "v.id," VM_COLUMNS(VC_NAME),
	[S_EVENTS] = EVENT_COLS(COL_NAME),
	[S_REPORT_LATEST] = REPORT_COLS(COL_NAME),
	[S_REPORT_COUNT] = "count(*),",
	[S_GI_GET] = GI_COLS(COL_NAME),
	[S_GI_HOST] = GI_HOST_COLS(COL_NAME),
	[S_PART_ALL] = PART_COLS(COL_NAME),
	[S_DEV_GET] = DEV_COLS(COL_NAME),
};

static const char *const stmt_sql[S_COUNT] = {
	[S_VM_INSERT] = "INSERT INTO vms(name, uuid, kernel, initrd, cmdline,"
		" memory_mib, cpus, restart, desired, owner_uid, owner_gid,"
		" owner_groups, cpu_quota, cpu_weight, memory_max, pids_max,"
		" partition, watchdog_s, ptimer, acpi, boot_attempts,"
		" manual_commit, boot_ok_after_s, boot_deadline_s, cpu)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		" ?, ?, ?, ?, ?, ?, ?)",
	[S_CLOCK_INSERT] = "INSERT INTO clock(vm_id, rate_num, rate_den,"
		" freq_hz) VALUES (?, ?, ?, ?)",
	[S_OBS_INSERT] = "INSERT INTO observed(vm_id) VALUES (?)",
	[S_VM_DELETE] = "DELETE FROM vms WHERE id = ?",
	[S_VM_DESIRED] = "UPDATE vms SET desired = ? WHERE id = ?",
	[S_VM_CLOCK] = "UPDATE clock SET rate_num = ?, rate_den = ?,"
		" freq_hz = ? WHERE vm_id = ?",
	[S_VM_OBSERVED] = "UPDATE observed SET state = ?, pid = ?,"
		" started_at = ?, boots = ? WHERE vm_id = ?",
	[S_VM_HELD] = "UPDATE observed SET hv_boot = ?, hv_seq = ?"
		" WHERE vm_id = ?",
	[S_VM_ALL] = "SELECT v.id" VM_COLUMNS(VC_SQL) " FROM vms v"
		" JOIN clock c ON c.vm_id = v.id"
		" JOIN observed o ON o.vm_id = v.id"
		" JOIN boot_state b ON b.vm_id = v.id"
		" LEFT JOIN image_slots s0 ON s0.vm_id = v.id AND s0.slot = 0"
		" LEFT JOIN image_slots s1 ON s1.vm_id = v.id AND s1.slot = 1"
		" ORDER BY v.name",
	[S_BOOT_INSERT] = "INSERT INTO boot_state(vm_id) VALUES (?)",
	[S_SLOT_SET] = "INSERT OR REPLACE INTO image_slots(vm_id, slot,"
		" kernel, initrd, cmdline, set_at) VALUES (?, ?, ?, ?, ?, ?)",
	[S_BOOT_SET] = "UPDATE boot_state SET active = ?, good = ?,"
		" trial_ok = ?, filled = ?, booted = ?, failed = ?,"
		" boots_ok = ?, boots_failed = ?, rollbacks = ?,"
		" attempt_pid = ?, attempt_at = ?, fail_reason = ?,"
		" fail_stage = ?, fail_at = ? WHERE vm_id = ?",
	[S_EVENT_ADD] = "INSERT INTO events(time, vm, type, uid, detail,"
		" source) VALUES (?, ?, ?, ?, ?, ?)",
	/* Each class keeps its newest ?1: a guest never prunes the
	 * operators' and verged's events, nor they the guests'. */
	[S_EVENT_PRUNE_HOST] = "DELETE FROM events WHERE source != 'guest'"
		" AND id <= (SELECT id FROM events WHERE source != 'guest'"
		" ORDER BY id DESC LIMIT 1 OFFSET ?1)",
	[S_EVENT_PRUNE_GUEST] = "DELETE FROM events WHERE source = 'guest'"
		" AND id <= (SELECT id FROM events WHERE source = 'guest'"
		" ORDER BY id DESC LIMIT 1 OFFSET ?1)",
	[S_EVENTS] = "SELECT id, time, vm, type, uid, detail, source"
		" FROM events"
		" WHERE id > ?1 AND (?2 IS NULL OR vm = ?2)"
		" ORDER BY id LIMIT ?3",
	[S_REPORT_ADD] = "INSERT INTO agent_reports(vm_id, received_at,"
		" report) VALUES (?, ?, ?)",
	[S_REPORT_PRUNE] = "DELETE FROM agent_reports WHERE vm_id = ?1 AND"
		" id <= (SELECT id FROM agent_reports WHERE vm_id = ?1"
		" ORDER BY id DESC LIMIT 1 OFFSET ?2)",
	[S_REPORT_LATEST] = "SELECT received_at, report FROM agent_reports"
		" WHERE vm_id = ? ORDER BY id DESC LIMIT 1",
	[S_REPORT_COUNT] = "SELECT count(*) FROM agent_reports WHERE vm_id = ?",
	[S_GI_SET] = "INSERT OR REPLACE INTO guestinfo(vm_id, key, value,"
		" source) VALUES (?, ?, ?, ?)",
	[S_GI_DEL] = "DELETE FROM guestinfo WHERE vm_id = ? AND key = ?",
	[S_GI_GET] = "SELECT value, source FROM guestinfo"
		" WHERE vm_id = ? AND key = ?",
	[S_PART_INSERT] = "INSERT INTO partitions(name, cpu_quota, cpu_weight,"
		" memory_max, pids_max) VALUES (?, ?, ?, ?, ?)",
	[S_PART_DELETE] = "DELETE FROM partitions WHERE name = ?",
	[S_PART_ALL] = "SELECT id, name, cpu_quota, cpu_weight, memory_max,"
		" pids_max FROM partitions ORDER BY name",
	[S_GI_HOST] = "SELECT key, value FROM guestinfo"
		" WHERE vm_id = ? AND source = 'host' ORDER BY key",
	/* What the guest sets never replaces or deletes a host key. */
	[S_GI_GUEST_SET] = "INSERT INTO guestinfo(vm_id, key, value, source)"
		" VALUES (?, ?, ?, ?) ON CONFLICT(vm_id, key) DO UPDATE"
		" SET value = excluded.value, source = excluded.source"
		" WHERE source <> 'host'",
	[S_GI_GUEST_DEL] = "DELETE FROM guestinfo WHERE vm_id = ? AND key = ?"
		" AND source <> 'host'",
	[S_DEV_SET] = "INSERT OR REPLACE INTO devices(vm_id, disks, nics)"
		" VALUES (?, ?, ?)",
	[S_DEV_GET] = "SELECT disks, nics FROM devices WHERE vm_id = ?",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	bool in_tx;
	bool failed;		/* a write of this batch failed */
	int64_t event_keep;
	unsigned events_since_prune[2];	/* host, guest */
};

static int db_fail(struct store *s, const char *what)
{
	log_err("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -EIO;
}

static int exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_err("store: %.60s...: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int read_version(struct store *s, int *ret)
{
	sqlite3_stmt *st;
	int r = -EIO;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(s, "user_version");
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ret = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

/* Applies migrations[from..upto-1], each in its own transaction. */
static int migrate(struct store *s, int upto)
{
	char sql[64];
	int v, r;

	r = read_version(s, &v);
	if (r)
		return r;
	if (v > STORE_SCHEMA_VERSION) {
		log_err("store: schema version %d is newer than this verged's"
			" (%d); use a newer verged", v, STORE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	for (; v < upto; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(s, "BEGIN IMMEDIATE") || exec(s, migrations[v]) ||
		    exec(s, sql) || exec(s, "COMMIT")) {
			exec(s, "ROLLBACK");
			return -EIO;
		}
		log_info("store: schema upgraded to version %d", v + 1);
	}
	return 0;
}

/* Checks that statement i selects the columns stmt_cols[i] names. */
static int check_columns(struct store *s, int i)
{
	sqlite3_stmt *q = s->stmt[i];
	const char *p = stmt_cols[i], *end, *want, *got;
	int n;

	for (n = 0; p && *p; n++, p = end + 1) {
		end = strchr(p, ',');
		want = memchr(p, '.', (size_t)(end - p));
		want = want ? want + 1 : p;
		got = n < sqlite3_column_count(q) ?
		      sqlite3_column_name(q, n) : NULL;
		if (!got || strlen(got) != (size_t)(end - want) ||
		    strncmp(got, want, (size_t)(end - want))) {
			log_err("store: column %d of '%.40s...' is %s, not %.*s",
				n, stmt_sql[i], got ? got : "missing",
				(int)(end - want), want);
			return -EIO;
		}
	}
	if (p && n != sqlite3_column_count(q)) {
		log_err("store: '%.40s...' has %d columns, not %d",
			stmt_sql[i], sqlite3_column_count(q), n);
		return -EIO;
	}
	return 0;
}

static int prepare_all(struct store *s)
{
	int i;

	for (i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
				       NULL) != SQLITE_OK)
			return db_fail(s, stmt_sql[i]);
		else if (check_columns(s, i))
			return -EIO;
	return 0;
}

int store_open_upto(const char *path, int upto, struct store **ret_store)
{
	struct store *s = calloc(1, sizeof(*s));
	int r = -EIO;

	if (!s)
		return -ENOMEM;
	s->event_keep = 100000;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		log_err("store: %s: %s", path, s->db ? sqlite3_errmsg(s->db) :
			"cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 2000);
	/* WAL with synchronous=NORMAL: a commit is in the WAL file when
	 * sqlite3_step returns, so it survives a crash of verged (not
	 * necessarily of the machine; FULL would fsync every commit). */
	if (exec(s, "PRAGMA journal_mode = WAL") ||
	    exec(s, "PRAGMA synchronous = NORMAL") ||
	    exec(s, "PRAGMA foreign_keys = ON"))
		goto fail;
	r = migrate(s, upto);
	if (r)
		goto fail;
	if (upto == STORE_SCHEMA_VERSION && (r = prepare_all(s)))
		goto fail;
	*ret_store = s;
	return 0;
fail:
	store_close(s);
	return r;
}

/* --- read-only connections (REST threads, rest.c) ------------------------- */

int store_open_reader(const char *path, struct store **ret_store)
{
	struct store *s = calloc(1, sizeof(*s));
	int v, r = -EIO;

	if (!s)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("store: %s: %s", path, s->db ? sqlite3_errmsg(s->db) :
			"cannot open");
		goto fail;
	}
	/* WAL readers do not wait for the writer; a checkpoint may hold
	 * them briefly. */
	sqlite3_busy_timeout(s->db, 200);
	if (exec(s, "PRAGMA query_only = 1") || (r = read_version(s, &v)))
		goto fail;
	if (v != STORE_SCHEMA_VERSION) {
		log_err("store: %s: schema version %d, expected %d", path, v,
			STORE_SCHEMA_VERSION);
		r = -EPROTONOSUPPORT;
		goto fail;
	}
	if ((r = prepare_all(s)))
		goto fail;
	*ret_store = s;
	return 0;
fail:
	store_close(s);
	return r;
}
/* --- end of read-only connections ------------------------------------------- */

int store_open(const char *path, struct store **ret_store)
{
	return store_open_upto(path, STORE_SCHEMA_VERSION, ret_store);
}

void store_close(struct store *s)
{
	int i;

	if (!s)
		return;
	if (s->in_tx)
		store_commit(s);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

void store_set_event_keep(struct store *s, int64_t keep)
{
	s->event_keep = keep;
}

int store_version(struct store *s)
{
	int v = -1;

	read_version(s, &v);
	return v;
}

int store_begin(struct store *s)
{
	if (s->in_tx)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE")) {
		s->failed = true;
		return -EIO;
	}
	s->in_tx = true;
	return 0;
}

/* A batch in which a write failed is rolled back whole: what was
 * acknowledged on the strength of it must not half survive. */
int store_commit(struct store *s)
{
	bool failed = s->failed;

	s->failed = false;
	if (!s->in_tx)
		return failed ? -EIO : 0;
	s->in_tx = false;
	if (failed || exec(s, "COMMIT")) {
		exec(s, "ROLLBACK");
		return -EIO;
	}
	return 0;
}

bool store_dirty(const struct store *s)
{
	return s->in_tx || s->failed;
}

/* --- binding helpers ------------------------------------------------------ */

static sqlite3_stmt *st(struct store *s, enum stmt i)
{
	sqlite3_reset(s->stmt[i]);
	sqlite3_clear_bindings(s->stmt[i]);
	return s->stmt[i];
}

static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, i);
}

/* Runs a write statement inside the current batch. */
static int step_write(struct store *s, sqlite3_stmt *q, const char *what)
{
	int rc;

	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	if (rc != SQLITE_DONE) {
		s->failed = true;
		return db_fail(s, what);
	}
	return 0;
}

static char *col_dup(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t ? strdup((const char *)t) : NULL;
}

/* --- VMs ------------------------------------------------------------------ */

int store_vm_insert(struct store *s, struct vm_record *r)
{
	sqlite3_stmt *q;
	int64_t id;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_VM_INSERT);
	bind_text(q, 1, r->name);
	bind_text(q, 2, r->uuid);
	bind_text(q, 3, r->kernel);
	bind_text(q, 4, r->initrd);
	bind_text(q, 5, r->cmdline ? r->cmdline : "");
	sqlite3_bind_int64(q, 6, r->memory_mib);
	sqlite3_bind_int64(q, 7, r->cpus);
	bind_text(q, 8, r->restart);
	bind_text(q, 9, r->desired);
	sqlite3_bind_int64(q, 10, r->owner_uid);
	sqlite3_bind_int64(q, 11, r->owner_gid);
	bind_text(q, 12, r->owner_groups ? r->owner_groups : "");
	sqlite3_bind_int64(q, 13, r->cpu_quota);
	sqlite3_bind_int64(q, 14, r->cpu_weight);
	sqlite3_bind_int64(q, 15, r->memory_max);
	sqlite3_bind_int64(q, 16, r->pids_max);
	bind_text(q, 17, r->partition);
	sqlite3_bind_int64(q, 18, r->watchdog_s);
	sqlite3_bind_int64(q, 19, r->ptimer);
	sqlite3_bind_int64(q, 20, r->acpi);
	sqlite3_bind_int64(q, 21, r->bs.attempts_max);
	sqlite3_bind_int64(q, 22, r->bs.manual_commit);
	sqlite3_bind_int64(q, 23, r->boot_ok_after_s);
	sqlite3_bind_int64(q, 24, r->boot_deadline_s);
	bind_text(q, 25, r->cpu);
	if ((e = step_write(s, q, "insert vm")))
		return e;
	id = sqlite3_last_insert_rowid(s->db);
	q = st(s, S_BOOT_INSERT);
	sqlite3_bind_int64(q, 1, id);
	if ((e = step_write(s, q, "insert boot state")))
		return e;
	if ((e = store_vm_set_slot(s, id, 0, r->kernel, r->initrd,
				   r->cmdline ? r->cmdline : "", 0)))
		return e;
	q = st(s, S_CLOCK_INSERT);
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, r->rate_num);
	sqlite3_bind_int64(q, 3, r->rate_den);
	sqlite3_bind_int64(q, 4, (int64_t)r->freq_hz);
	if ((e = step_write(s, q, "insert clock")))
		return e;
	q = st(s, S_OBS_INSERT);
	sqlite3_bind_int64(q, 1, id);
	if ((e = step_write(s, q, "insert observed")))
		return e;
	r->id = id;
	return 0;
}

int store_vm_delete(struct store *s, int64_t id)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_VM_DELETE);
	sqlite3_bind_int64(q, 1, id);
	return step_write(s, q, "delete vm");
}

int store_vm_set_desired(struct store *s, int64_t id, const char *desired)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_VM_DESIRED);
	bind_text(q, 1, desired);
	sqlite3_bind_int64(q, 2, id);
	return step_write(s, q, "update desired");
}

int store_vm_set_clock(struct store *s, int64_t id, uint32_t num,
		       uint32_t den, uint64_t freq_hz)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_VM_CLOCK);
	sqlite3_bind_int64(q, 1, num);
	sqlite3_bind_int64(q, 2, den);
	sqlite3_bind_int64(q, 3, (int64_t)freq_hz);
	sqlite3_bind_int64(q, 4, id);
	return step_write(s, q, "update clock");
}

int store_vm_set_observed(struct store *s, int64_t id, const char *state,
			  int64_t pid, double started_at, int64_t boots)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_VM_OBSERVED);
	bind_text(q, 1, state);
	sqlite3_bind_int64(q, 2, pid);
	sqlite3_bind_double(q, 3, started_at);
	sqlite3_bind_int64(q, 4, boots);
	sqlite3_bind_int64(q, 5, id);
	return step_write(s, q, "update observed");
}

int store_vm_set_held(struct store *s, int64_t id, uint64_t boot_id,
		      uint32_t seq)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_VM_HELD);
	sqlite3_bind_int64(q, 1, (int64_t)boot_id);
	sqlite3_bind_int64(q, 2, seq);
	sqlite3_bind_int64(q, 3, id);
	return step_write(s, q, "update held-event cursor");
}

int store_vm_set_slot(struct store *s, int64_t id, int slot,
		      const char *kernel, const char *initrd,
		      const char *cmdline, double at)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_SLOT_SET);
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, slot);
	bind_text(q, 3, kernel);
	bind_text(q, 4, initrd && *initrd ? initrd : NULL);
	bind_text(q, 5, cmdline ? cmdline : "");
	sqlite3_bind_double(q, 6, at);
	return step_write(s, q, "set image slot");
}

int store_vm_set_boot(struct store *s, const struct vm_record *r)
{
	const struct bootslots *b = &r->bs;
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_BOOT_SET);
	sqlite3_bind_int64(q, 1, b->active);
	sqlite3_bind_int64(q, 2, b->good);
	sqlite3_bind_int64(q, 3, b->trial_ok);
	sqlite3_bind_int64(q, 4, b->filled);
	sqlite3_bind_int64(q, 5, b->booted);
	sqlite3_bind_int64(q, 6, b->failed);
	sqlite3_bind_int64(q, 7, b->boots_ok);
	sqlite3_bind_int64(q, 8, b->boots_failed);
	sqlite3_bind_int64(q, 9, b->rollbacks);
	sqlite3_bind_int64(q, 10, r->attempt_pid);
	sqlite3_bind_double(q, 11, r->attempt_at);
	bind_text(q, 12, r->fail_reason);
	sqlite3_bind_int64(q, 13, r->fail_stage);
	sqlite3_bind_double(q, 14, r->fail_at);
	sqlite3_bind_int64(q, 15, r->id);
	return step_write(s, q, "update boot state");
}

void store_record_free(struct vm_record *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < BS_SLOTS; i++) {
		free(r->slot[i].kernel);
		free(r->slot[i].initrd);
		free(r->slot[i].cmdline);
	}
	free(r->fail_reason);
	free(r->name);
	free(r->uuid);
	free(r->kernel);
	free(r->initrd);
	free(r->cmdline);
	free(r->restart);
	free(r->desired);
	free(r->state);
	free(r->owner_groups);
	free(r->partition);
	free(r->cpu);
	memset(r, 0, sizeof(*r));
}

/* What read_record() stores a column as: the member's type. */
enum col_type { CT_TEXT, CT_I64, CT_U64, CT_UINT, CT_INT, CT_BOOL, CT_DOUBLE };
#define CT_OF(field) _Generic(((struct vm_record *)0)->field, \
	char *: CT_TEXT, int64_t: CT_I64, uint64_t: CT_U64, \
	unsigned: CT_UINT, int: CT_INT, bool: CT_BOOL, double: CT_DOUBLE)

/* S_VM_ALL's columns, by VC_*: the type and place of each member. */
static const struct vm_col {
	unsigned char type;
	size_t off;
} vm_cols[VC_COUNT] = {
	[VC_ID] = { CT_I64, offsetof(struct vm_record, id) },
#define VC_READ(id, sql, field) \
	[VC_##id] = { CT_OF(field), offsetof(struct vm_record, field) },
	VM_COLUMNS(VC_READ)
#undef VC_READ
};

static void read_record(sqlite3_stmt *q, struct vm_record *r)
{
	int i;

	for (i = 0; i < VC_COUNT; i++) {
		void *f = (char *)r + vm_cols[i].off;

		switch (vm_cols[i].type) {
		case CT_TEXT:
			*(char **)f = col_dup(q, i);
			break;
		case CT_I64:
			*(int64_t *)f = sqlite3_column_int64(q, i);
			break;
		case CT_U64:
			*(uint64_t *)f = (uint64_t)sqlite3_column_int64(q, i);
			break;
		case CT_UINT:
			*(unsigned *)f = (unsigned)sqlite3_column_int64(q, i);
			break;
		case CT_INT:
			*(int *)f = (int)sqlite3_column_int64(q, i);
			break;
		case CT_BOOL:
			*(bool *)f = sqlite3_column_int64(q, i) != 0;
			break;
		case CT_DOUBLE:
			*(double *)f = sqlite3_column_double(q, i);
			break;
		}
	}
}

int store_vm_foreach(struct store *s,
		     int (*fn)(const struct vm_record *r, void *arg), void *arg)
{
	sqlite3_stmt *q = st(s, S_VM_ALL);
	struct vm_record r;
	int rc = SQLITE_DONE, e = 0;

	while (!e && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		read_record(q, &r);
		e = fn(&r, arg);
		store_record_free(&r);
	}
	sqlite3_reset(q);
	if (!e && rc != SQLITE_DONE)
		return db_fail(s, "list vms");
	return e;
}

/* --- events --------------------------------------------------------------- */

static const char *source_of(int64_t uid, bool guest)
{
	return guest ? "guest" : uid >= 0 ? "operator" : "daemon";
}

static json_t *event_json(int64_t id, double time, const char *vm,
			  const char *type, int64_t uid, const char *source,
			  json_t *detail)
{
	return json_pack("{sI sf ss? ss so ss sO}", "id", (json_int_t)id,
			 "time", time, "vm", vm,
			 "type", type, "uid",
			 uid < 0 ? json_null() : json_integer(uid),
			 "source", source ? source : "daemon",
			 "detail", detail);
}

/* Every 256 events of a class, that class is cut to event_keep. */
static void prune_events(struct store *s, int64_t newest, bool guest)
{
	sqlite3_stmt *q;

	if (++s->events_since_prune[guest] < 256 || newest <= s->event_keep)
		return;
	s->events_since_prune[guest] = 0;
	q = st(s, guest ? S_EVENT_PRUNE_GUEST : S_EVENT_PRUNE_HOST);
	sqlite3_bind_int64(q, 1, s->event_keep);
	step_write(s, q, "prune events");
}

int store_event_add(struct store *s, double time, const char *vm,
		    const char *type, int64_t uid, bool guest, json_t *detail,
		    json_t **ret_event)
{
	json_t *empty = NULL;
	sqlite3_stmt *q;
	char *text;
	int64_t id;
	int e;

	if (!detail)
		detail = empty = json_object();
	text = json_dumps(detail, JSON_COMPACT);
	if (!text) {
		json_decref(empty);
		return -ENOMEM;
	}
	if ((e = store_begin(s)))
		goto out;
	q = st(s, S_EVENT_ADD);
	sqlite3_bind_double(q, 1, time);
	bind_text(q, 2, vm);
	bind_text(q, 3, type);
	if (uid >= 0)
		sqlite3_bind_int64(q, 4, uid);
	bind_text(q, 5, text);
	bind_text(q, 6, source_of(uid, guest));
	if ((e = step_write(s, q, "add event")))
		goto out;
	id = sqlite3_last_insert_rowid(s->db);
	prune_events(s, id, guest);
	if (ret_event)
		*ret_event = event_json(id, time, vm, type, uid,
					source_of(uid, guest), detail);
out:
	free(text);
	json_decref(empty);
	return e;
}

int store_events_list(struct store *s, const char *vm, int64_t since,
		      int64_t limit, json_t **ret_array)
{
	sqlite3_stmt *q = st(s, S_EVENTS);
	json_t *a = json_array(), *detail;
	int rc;

	sqlite3_bind_int64(q, 1, since);
	bind_text(q, 2, vm);
	sqlite3_bind_int64(q, 3, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(q, EV_DETAIL);

		detail = json_loads(text ? text : "{}", 0, NULL);
		json_array_append_new(a, event_json(
			sqlite3_column_int64(q, EV_ID),
			sqlite3_column_double(q, EV_TIME),
			(const char *)sqlite3_column_text(q, EV_VM),
			(const char *)sqlite3_column_text(q, EV_TYPE),
			sqlite3_column_type(q, EV_UID) == SQLITE_NULL ? -1 :
			sqlite3_column_int64(q, EV_UID),
			(const char *)sqlite3_column_text(q, EV_SOURCE),
			detail ? detail : json_object()));
		json_decref(detail);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return db_fail(s, "list events");
	}
	*ret_array = a;
	return 0;
}

/* --- agent reports -------------------------------------------------------- */

int store_report_add(struct store *s, int64_t vm_id, double at,
		     const char *json_text, int keep)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_REPORT_ADD);
	sqlite3_bind_int64(q, 1, vm_id);
	sqlite3_bind_double(q, 2, at);
	bind_text(q, 3, json_text);
	if ((e = step_write(s, q, "add report")))
		return e;
	q = st(s, S_REPORT_PRUNE);
	sqlite3_bind_int64(q, 1, vm_id);
	sqlite3_bind_int64(q, 2, keep);
	return step_write(s, q, "prune reports");
}

int store_report_latest(struct store *s, int64_t vm_id, double *ret_at,
			char **ret_text)
{
	sqlite3_stmt *q = st(s, S_REPORT_LATEST);
	int rc, e = -ENOENT;

	sqlite3_bind_int64(q, 1, vm_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*ret_at = sqlite3_column_double(q, RP_AT);
		*ret_text = col_dup(q, RP_REPORT);
		e = *ret_text ? 0 : -ENOMEM;
	} else if (rc != SQLITE_DONE) {
		e = db_fail(s, "latest report");
	}
	sqlite3_reset(q);
	return e;
}

int store_report_count(struct store *s, int64_t vm_id, int64_t *ret_count)
{
	sqlite3_stmt *q = st(s, S_REPORT_COUNT);
	int e = 0;

	sqlite3_bind_int64(q, 1, vm_id);
	if (sqlite3_step(q) == SQLITE_ROW)
		*ret_count = sqlite3_column_int64(q, 0);
	else
		e = db_fail(s, "count reports");
	sqlite3_reset(q);
	return e;
}

/* --- guestinfo ------------------------------------------------------------ */

int store_guestinfo_set(struct store *s, int64_t vm_id, const char *key,
			const char *value, const char *source)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	if (strcmp(source, "host"))
		q = st(s, *value ? S_GI_GUEST_SET : S_GI_GUEST_DEL);
	else
		q = st(s, *value ? S_GI_SET : S_GI_DEL);
	sqlite3_bind_int64(q, 1, vm_id);
	bind_text(q, 2, key);
	if (*value) {
		bind_text(q, 3, value);
		bind_text(q, 4, source);
	}
	return step_write(s, q, "set guestinfo");
}

int store_guestinfo_get(struct store *s, int64_t vm_id, const char *key,
			char **ret_value, char **ret_source)
{
	sqlite3_stmt *q = st(s, S_GI_GET);
	int rc, e = -ENOENT;

	sqlite3_bind_int64(q, 1, vm_id);
	bind_text(q, 2, key);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*ret_value = col_dup(q, GI_VALUE);
		*ret_source = col_dup(q, GI_SOURCE);
		e = 0;
	} else if (rc != SQLITE_DONE) {
		e = db_fail(s, "get guestinfo");
	}
	sqlite3_reset(q);
	return e;
}

int store_guestinfo_foreach_host(struct store *s, int64_t vm_id,
				 void (*fn)(const char *k, const char *v,
					    void *arg), void *arg)
{
	sqlite3_stmt *q = st(s, S_GI_HOST);
	int rc;

	sqlite3_bind_int64(q, 1, vm_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(q, GH_KEY),
		   (const char *)sqlite3_column_text(q, GH_VALUE), arg);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : db_fail(s, "host guestinfo");
}

/* --- partitions ----------------------------------------------------------- */

int store_partition_insert(struct store *s, const struct partition_record *p)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_PART_INSERT);
	bind_text(q, 1, p->name);
	sqlite3_bind_int64(q, 2, p->cpu_quota);
	sqlite3_bind_int64(q, 3, p->cpu_weight);
	sqlite3_bind_int64(q, 4, p->memory_max);
	sqlite3_bind_int64(q, 5, p->pids_max);
	return step_write(s, q, "insert partition");
}

int store_partition_delete(struct store *s, const char *name)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_PART_DELETE);
	bind_text(q, 1, name);
	if ((e = step_write(s, q, "delete partition")))
		return e;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int store_partition_foreach(struct store *s,
			    int (*fn)(const struct partition_record *p,
				      void *arg), void *arg)
{
	sqlite3_stmt *q = st(s, S_PART_ALL);
	struct partition_record p;
	int rc, e = 0;

	while (!e && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		p.id = sqlite3_column_int64(q, PC_ID);
		p.name = (char *)sqlite3_column_text(q, PC_NAME);
		p.cpu_quota = sqlite3_column_int64(q, PC_CPU_QUOTA);
		p.cpu_weight = sqlite3_column_int64(q, PC_CPU_WEIGHT);
		p.memory_max = sqlite3_column_int64(q, PC_MEMORY_MAX);
		p.pids_max = sqlite3_column_int64(q, PC_PIDS_MAX);
		e = fn(&p, arg);
	}
	sqlite3_reset(q);
	return e;
}

/* --- devices -------------------------------------------------------------- */

int store_devices_set(struct store *s, int64_t vm_id, const char *disks,
		      const char *nics)
{
	sqlite3_stmt *q;
	int e;

	if ((e = store_begin(s)))
		return e;
	q = st(s, S_DEV_SET);
	sqlite3_bind_int64(q, 1, vm_id);
	bind_text(q, 2, disks);
	bind_text(q, 3, nics);
	return step_write(s, q, "set devices");
}

int store_devices_get(struct store *s, int64_t vm_id, char **ret_disks,
		      char **ret_nics)
{
	sqlite3_stmt *q = st(s, S_DEV_GET);
	int rc, e = -ENOENT;

	sqlite3_bind_int64(q, 1, vm_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*ret_disks = col_dup(q, DC_DISKS);
		*ret_nics = col_dup(q, DC_NICS);
		e = *ret_disks && *ret_nics ? 0 : -ENOMEM;
		if (e) {
			free(*ret_disks);
			free(*ret_nics);
		}
	} else if (rc != SQLITE_DONE) {
		e = db_fail(s, "get devices");
	}
	sqlite3_reset(q);
	return e;
}
