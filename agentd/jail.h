/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Jails (issue 13, docs/verged.md "Jails"): how verged runs a VM's QEMU
 * through verge-jail (agentd/verge-jail.c), the VM's resource group
 * (cgroup v1 or v2), and the check that the caller who defines or starts
 * a VM may read its images.
 */
#ifndef VERGED_JAIL_H
#define VERGED_JAIL_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct vm;
struct jw;
struct verged_config;

#define JAIL_CG_MAX		4
#define JAIL_GROUPS_MAX		64

/* Is [jail] isolation on? */
bool jail_enabled(const struct verged_config *c);
/* The VM's unprivileged uid (and gid): [jail] uid_base + its id. */
uid_t jail_uid(const struct vm *vm);

/* "1,2,3" <-> gids; parse returns the count (at most max) or -EINVAL. */
int jail_groups_parse(const char *s, gid_t *out, int max);
char *jail_groups_format(const gid_t *groups, int n);

/* Partitions: their groups (ROOT[/CONTROLLER]/PARENT/partition:NAME),
 * made with their limits, removed when empty, their usage. */
struct partition_record;
int jail_partition_create(const struct verged_config *c,
			  const struct partition_record *p, char *why,
			  size_t wn);
struct verged;
void jail_partition_remove(struct verged *d, const char *name);
void jail_partition_usage(const struct verged_config *c, const char *name,
			  struct jw *w);
/* {"name", "limits": {...}, "vms": [...], "usage": {...}}: what
 * partition.show and REST /v1/partitions/{name} answer. */
struct verged;
json_t *jail_partition_json(struct verged *d,
			    const struct partition_record *p);

/*
 * Where verged makes its groups: below its own group in each hierarchy
 * when [jail] cgroup_delegate is on (or auto, under systemd); on v2 it
 * then moves itself into a leaf SELF/verged. 0, or -errno (logged).
 */
int jail_cgroup_init(const struct verged_config *c);
/* Fills the VM's resource-group paths (from the config and its name). */
int vmcg_paths(struct vm *vm);
/* Creates the VM's groups and writes its limits; why on failure. */
int vmcg_create(struct vm *vm, char *why, size_t n);
/* Out-of-memory kills in the VM's group since it was made (0: none). */
int64_t vmcg_oom_kills(const struct vm *vm);
/* What the VM's resource group has used, read now: what is "cpu" (CPU
 * seconds), "memory" (bytes) or "pids" (tasks). False when the VM is not
 * jailed, not running, or the file cannot be read. */
bool vmcg_usage(const struct vm *vm, const char *what, double *ret);
/* Removes the groups (retried for 2 s while the last process leaves,
 * even once the VM is gone). */
void vmcg_remove(struct vm *vm);
/* The same object, alone. */
json_t *jail_json(const struct vm *vm);
/* "isolation": {...} of the VM object: jail, uid, cgroup, limits, usage. */
void jail_write_json(struct jw *w, const struct vm *vm);

/*
 * The helper's command line: verge-jail and its options, "--", then
 * qemu_argv (whose strings are copied). NULL when out of memory.
 */
char **jail_argv(const struct vm *vm, char *const *qemu_argv);
/*
 * Is the other end of a connected Unix socket a process of uid? (uid -1:
 * anyone.) A jailed QEMU owns its run directory and could put a link to
 * another VM's socket in place of its own; verged talks only to sockets
 * that the VM's own uid serves. Logs a refusal.
 */
struct uv_pipe_s;
bool jail_peer_is(struct uv_pipe_s *pipe, long long uid, const char *path);
/* name searched in $PATH (as execvp would): a malloc'd path, or NULL. */
char *jail_which(const char *name);
/* Prepares the run and log directories and the jail's root mount point
 * for the VM's uid. */
int jail_prepare(struct vm *vm, char *why, size_t n);
/*
 * Reads the helper's status line from fd (waits at most timeout_ms):
 * 0 and *ret_pid (QEMU's pid as verged sees it), or -EPERM and why.
 */
int jail_read_status(int fd, int timeout_ms, pid_t *ret_pid, char *why,
		     size_t n);
#endif
