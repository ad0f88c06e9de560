// SPDX-License-Identifier: Apache-2.0
/*
 * Every verge command, as data: name, arguments (each with the JSON-RPC
 * parameter it fills), help text, the verged method and the printer of
 * its result. args.c parses against this table, help.c prints it, and
 * complete.c completes from it.
 */
#include "http.h"
#include "run.h"

#define END	{ 0 }
#define VM_OPERAND(what) \
	{ NULL, "NAME", CLI_STRING, CLI_POSITIONAL | CLI_REQUIRED | CLI_VM, \
	  "name", what, NULL }

/* A VM's images: vm define and vm image set (the same parameters,
 * checked alike by verged). */
#define IMAGE_ARGS(kernel_help, cmdline_help) \
	{ "kernel", "IMAGE", CLI_PATH, CLI_REQUIRED, "kernel", kernel_help, \
	  NULL }, \
	{ "initrd", "FILE", CLI_PATH, 0, "initrd", "its initramfs", NULL }, \
	{ "cmdline", "STR", CLI_TEXT, 0, "cmdline", cmdline_help, NULL }
/* The limits of a resource group: a VM's (vm define) and a partition's
 * (partition create), the same parameters, each with its own help. */
#define LIMIT_ARGS(quota_help, weight_help, memory_help, pids_help) \
	{ "cpu-quota", "PCT", CLI_COUNT, 0, "cpu_quota", quota_help, NULL }, \
	{ "cpu-weight", "W", CLI_COUNT, 0, "cpu_weight", weight_help, NULL }, \
	{ "memory-max", "BYTES", CLI_BYTES, 0, "memory_max", memory_help, \
	  NULL }, \
	{ "pids-max", "N", CLI_COUNT, 0, "pids_max", pids_help, NULL }

static const char *const restart_choices[] = { "no", "on-crash", NULL };

const struct cli_arg cli_global_args[] = {
	{ "socket", "PATH", CLI_STRING, CLI_LOCAL, "socket",
	  "verged's socket (default $VERGE_SOCKET, else "
	  CLI_DEFAULT_SOCKET ")", NULL },
	{ "json", NULL, CLI_FLAG, CLI_LOCAL, "json",
	  "print verged's result as JSON (errors as JSON on stderr)", NULL },
	{ "timeout", "S", CLI_SECONDS, CLI_LOCAL, "timeout",
	  "give up waiting for verged after S seconds, or with a unit: "
	  "500ms (default 60; 0: never)", NULL },
	{ "help", NULL, CLI_FLAG, CLI_LOCAL, "help", "show help", NULL },
	/* REST: read-only commands through verged's REST API */
	{ "url", "URL", CLI_STRING, CLI_LOCAL, "url",
	  "talk to verged's REST API at URL (http:// or https://) instead "
	  "of its socket: read-only commands only", NULL },
	{ "token-file", "FILE", CLI_PATH, CLI_LOCAL, "token_file",
	  "the REST API's bearer token, from FILE (default $VERGE_TOKEN, "
	  "else " CLI_DEFAULT_TOKEN_FILE ")",
	  NULL },
	END
};

static const struct cli_arg vm_args[] = { VM_OPERAND("the VM"), END };

static const struct cli_arg define_args[] = {
	{ NULL, "NAME", CLI_STRING, CLI_POSITIONAL | CLI_REQUIRED, "name",
	  "a new VM name: 1-64 of A-Z a-z 0-9 . _ -", NULL },
	IMAGE_ARGS("the guest's kernel image",
		   "the guest kernel's command line"),
	{ "memory", "MIB", CLI_MIB, 0, "memory_mib",
	  "guest memory in MiB, or 2G (256-65536 MiB; default 1024)", NULL },
	{ "cpus", "N", CLI_COUNT, 0, "cpus", "vCPUs, 1-8 (default 2)",
	  NULL },
	{ "cpu", "MODEL", CLI_STRING, 0, "cpu",
	  "QEMU CPU model: cortex-a57, cortex-a76, neoverse-n1, max, ... "
	  "(one verged's QEMU offers; default verged's [qemu] cpu, "
	  "cortex-a57)", NULL },
	{ "rate", "R", CLI_RATE, 0, "rate",
	  "guest clock rate: 0.5, 2 or 1/3 (0.01-100; default 1)",
	  NULL },
	{ "freq", "HZ", CLI_FREQ, 0, "freq_hz",
	  "counter frequency the guest sees: 62500000 or 62.5MHz "
	  "(1 MHz-4 GHz)", NULL },
	{ "restart", NULL, CLI_CHOICE, 0, "restart",
	  "restart the VM when it crashes (default no)", restart_choices },
	/* resource group of the jail */
	LIMIT_ARGS("CPU time cap in % of one CPU, 1-6400 (default none)",
		   "CPU share against other VMs, 1-10000 (default the "
		   "kernel's)",
		   "memory for QEMU itself on top of the guest's: 256M "
		   "(default none)",
		   "processes and threads in the jail, 1-4194304 (default "
		   "none)"),
	{ "partition", "P", CLI_STRING, 0, "partition",
	  "put the VM in partition P, whose limits bound its own", NULL },
	{ "watchdog", "S", CLI_SECONDS, 0, "watchdog_s",
	  "boot guard: reset the guest S seconds (1-3600) after hand-off "
	  "unless its OS refreshes the watchdog (default off)", NULL },
	/* verge-hv's clock and firmware options */
	{ "ptimer", NULL, CLI_FLAG, 0, "ptimer",
	  "the guest gets only the physical timer, which verge-hv traps "
	  "and scales exactly (verge.ptimer=1; not with --acpi)", NULL },
	{ "acpi", NULL, CLI_FLAG, 0, "acpi",
	  "boot the guest with ACPI tables instead of a device tree "
	  "(verge.acpi=1)", NULL },
	/* boot attempts and image slots (docs/bootguard.md) */
	{ "boot-attempts", "K", CLI_COUNT, 0, "boot_attempts",
	  "roll a trial image back after K failed boots in a row, 1-100 "
	  "(default 3)", NULL },
	{ "manual-commit", NULL, CLI_FLAG, 0, "manual_commit",
	  "a trial image that boots waits for 'verge vm image commit'",
	  NULL },
	{ "boot-ok-after", "S", CLI_SECONDS, 0, "boot_ok_after_s",
	  "a boot also succeeds when the guest has refreshed the watchdog "
	  "for S seconds after hand-off (for guests without the agent)",
	  NULL },
	{ "boot-deadline", "S", CLI_SECONDS, 0, "boot_deadline_s",
	  "a boot fails (and the guest is reset) if it has not succeeded "
	  "S seconds after verge-hv started (default none)", NULL },
	/* disks and network cards */
	{ "disk", "PATH[,OPT]", CLI_DISK, CLI_MULTI, "disks",
	  "a virtio disk (repeat for more; the first is /dev/vda); options "
	  "format=raw|qcow2, readonly, snapshot (writes dropped at each "
	  "stop), overlay (writes kept in a qcow2 of verged's over PATH, "
	  "which stays unchanged)", NULL },
	{ "net", "user|tap[,OPT]", CLI_STRING, CLI_MULTI, "nics",
	  "a virtio network card: user (QEMU's user-mode networking; "
	  "options hostfwd=tcp:127.0.0.1:2222-:22 (repeatable), restrict "
	  "(no way out but the forwarded ports)) or tap,bridge=NAME (a tap "
	  "device verged puts on an existing Linux bridge); both take "
	  "mac=52:54:00:..", NULL },
	END
};

/* image slots (issue 19) */
static const struct cli_arg image_slot_args[] = {
	VM_OPERAND("the VM"),
	{ "slot", "A|B", CLI_STRING, 0, "slot",
	  "fail unless this is the slot the command acts on", NULL },
	END
};

static const struct cli_arg image_set_args[] = {
	VM_OPERAND("the VM"),
	IMAGE_ARGS("the new kernel image",
		   "its command line (default console=ttyAMA0)"),
	{ "slot", "A|B", CLI_STRING, 0, "slot",
	  "fail unless this is the slot the images go to", NULL },
	END
};

static const struct cli_arg disk_add_args[] = {
	VM_OPERAND("the VM (stopped)"),
	{ NULL, "PATH[,OPT]", CLI_DISK, CLI_POSITIONAL | CLI_REQUIRED, "disk",
	  "the image and its options, as for vm define --disk", NULL },
	END
};

static const struct cli_arg disk_remove_args[] = {
	VM_OPERAND("the VM (stopped)"),
	{ "index", "N", CLI_COUNT, 0, "index",
	  "the disk's place in vm disk list, from 0", NULL },
	{ "path", "PATH", CLI_STRING, 0, "path", "the disk's image", NULL },
	END
};

/* partitions */
static const struct cli_arg part_args[] = {
	{ NULL, "NAME", CLI_STRING, CLI_POSITIONAL | CLI_REQUIRED, "name",
	  "the partition", NULL },
	END
};

static const struct cli_arg part_create_args[] = {
	{ NULL, "NAME", CLI_STRING, CLI_POSITIONAL | CLI_REQUIRED, "name",
	  "a new partition name: 1-64 of A-Z a-z 0-9 . _ -", NULL },
	LIMIT_ARGS("CPU time cap of all its VMs, in % of one CPU, 1-6400",
		   "its CPU share against other partitions and VMs, 1-10000",
		   "memory of all its VMs' QEMUs together: 4G",
		   "processes and threads of all its VMs, 1-4194304"),
	END
};

static const struct cli_arg stop_args[] = {
	VM_OPERAND("the VM"),
	{ "timeout", "S", CLI_SECONDS, 0, "timeout_s",
	  "kill the VM if it has not shut down after S seconds "
	  "(default 30)", NULL },
	END
};

static const struct cli_arg console_args[] = {
	VM_OPERAND("the VM"),
	{ "bytes", "N", CLI_BYTES, 0, "bytes",
	  "print the last N bytes: 4096 or 64K (default 64K)", NULL },
	END
};

static const struct cli_arg set_rate_args[] = {
	VM_OPERAND("the VM"),
	{ NULL, "RATE", CLI_RATE, CLI_POSITIONAL | CLI_REQUIRED, "rate",
	  "guest seconds per host second, 0.01-100, e.g. 0.5 or 1/3",
	  NULL },
	END
};

static const struct cli_arg set_freq_args[] = {
	VM_OPERAND("the VM"),
	{ NULL, "HZ", CLI_FREQ, CLI_POSITIONAL | CLI_REQUIRED, "freq_hz",
	  "the counter frequency from the next boot on: 62500000 or "
	  "62.5MHz", NULL },
	END
};

static const struct cli_arg step_args[] = {
	VM_OPERAND("the VM"),
	{ NULL, "DURATION", CLI_NANOS, CLI_POSITIONAL | CLI_REQUIRED, "ns",
	  "how far to move the guest clock forward: 1.5s, 200ms, "
	  "3000000ns (at most 1 day)", NULL },
	END
};

static const struct cli_arg gi_get_args[] = {
	VM_OPERAND("the VM"),
	{ NULL, "KEY", CLI_STRING, CLI_POSITIONAL | CLI_REQUIRED, "key",
	  "the guestinfo key", NULL },
	END
};

static const struct cli_arg gi_set_args[] = {
	VM_OPERAND("the VM"),
	{ NULL, "KEY", CLI_STRING, CLI_POSITIONAL | CLI_REQUIRED, "key",
	  "the guestinfo key", NULL },
	{ NULL, "VALUE", CLI_TEXT, CLI_POSITIONAL | CLI_REQUIRED, "value",
	  "its new value; empty deletes the key", NULL },
	END
};

static const struct cli_arg events_args[] = {
	{ NULL, "VM", CLI_STRING, CLI_POSITIONAL | CLI_VM, "vm",
	  "only this VM's events", NULL },
	{ "follow", NULL, CLI_FLAG, CLI_LOCAL, "follow",
	  "keep printing new events until interrupted", NULL },
	{ "limit", "N", CLI_COUNT, 0, "limit",
	  "the N latest events, 1-1000 (default 100)", NULL },
	{ "since", "ID", CLI_COUNT, 0, "since",
	  "instead, the first N events after event ID", NULL },
	END
};

static const struct cli_arg fleet_args[] = {
	{ "url", "URL", CLI_STRING, CLI_LOCAL | CLI_MULTI, "urls",
	  "a verged REST URL; repeat for several hosts (default: --url, "
	  "else http://127.0.0.1:8420)", NULL },
	{ "vms", NULL, CLI_FLAG, CLI_LOCAL, "vms",
	  "with etcd, every VM too, fetched from each host's REST "
	  "(/v1/fleet?detail=vms)", NULL },
	{ "page-size", "N", CLI_COUNT, CLI_LOCAL, "page_size",
	  "with --vms, VMs per request, 1-1000 (default: verged's, 1000 "
	  "with etcd); verge follows every page", NULL },
	END
};

#define CALL(n, m, a, s, sum) \
	{ .name = n, .summary = sum, .args = a, .method = m, \
	  .run = run_call, .show = s }

static const struct cli_cmd image_cmds[] = {
	CALL("show", "vm.image.show", vm_args, show_fields,
	     "Show a VM's image slots, boot attempts and last failure"),
	CALL("set", "vm.image.set", image_set_args, show_fields,
	     "Put new images in the slot that is not committed: the trial"),
	CALL("commit", "vm.image.commit", image_slot_args, show_fields,
	     "Commit a trial slot that has booted"),
	CALL("rollback", "vm.image.rollback", image_slot_args, show_fields,
	     "Boot the committed slot again (or the other slot that booted)"),
	{ 0 }
};

static const struct cli_cmd disk_cmds[] = {
	CALL("list", "vm.disk.list", vm_args, show_disks,
	     "List a VM's disks"),
	CALL("add", "vm.disk.add", disk_add_args, show_disks,
	     "Give a stopped VM one more disk"),
	CALL("remove", "vm.disk.remove", disk_remove_args, show_disks,
	     "Take a disk from a stopped VM (an overlay of verged's goes "
	     "with it; the image stays)"),
	{ 0 }
};

static const struct cli_cmd vm_cmds[] = {
	CALL("define", "vm.define", define_args, show_vm,
	     "Define a new VM"),
	CALL("start", "vm.start", vm_args, show_vm_state, "Start a VM"),
	{ .name = "stop", .summary = "Shut a VM down through its power "
	  "button, killing it at the deadline", .args = stop_args,
	  .method = "vm.stop", .run = run_stop, .show = show_vm_state },
	{ .name = "reboot", .summary = "Stop a VM as stop does, then start "
	  "it again", .args = stop_args, .method = "vm.reboot",
	  .run = run_stop, .show = show_vm_state },
	CALL("kill", "vm.kill", vm_args, show_vm_state,
	     "Stop a VM at once"),
	CALL("undefine", "vm.undefine", vm_args, show_undefined,
	     "Forget a VM that is not running"),
	CALL("list", "vm.list", NULL, show_vm_list, "List the VMs"),
	CALL("show", "vm.show", vm_args, show_vm, "Show one VM in detail"),
	CALL("console", "vm.console", console_args, show_console,
	     "Print the end of a VM's console log"),
	CALL("stats", "vm.stats", vm_args, show_fields,
	     "Show verge-hv's exit and channel counters of a running VM"),
	{ .name = "image", .summary = "Image slots A and B: set a trial, "
	  "commit it, roll back", .sub = image_cmds },
	{ .name = "disk", .summary = "List, add and remove a VM's disks",
	  .sub = disk_cmds },
	{ 0 }
};

static const struct cli_cmd clock_cmds[] = {
	CALL("show", "clock.show", vm_args, show_clock,
	     "Show a VM's clock: rate, frequency, counters"),
	CALL("set-rate", "clock.set_rate", set_rate_args, show_clock,
	     "Change how fast a running VM's clock goes"),
	CALL("set-frequency", "clock.set_frequency", set_freq_args,
	     show_clock, "Set the counter frequency for the next boot"),
	CALL("step", "clock.step", step_args, show_clock,
	     "Move a VM's clock forward"),
	{ 0 }
};

static const struct cli_cmd agent_cmds[] = {
	CALL("show", "agent.show", vm_args, show_agent,
	     "Show the guest agent's latest report"),
	CALL("ping", "agent.ping", vm_args, show_ping,
	     "Check that the guest agent answers"),
	CALL("detect", "agent.detect", vm_args, show_fields,
	     "Show what the guest detects about its platform"),
	CALL("sync-time", "agent.sync_time", vm_args, show_sync_time,
	     "Set the guest's clock from the host's"),
	{ 0 }
};

static const struct cli_cmd guestinfo_cmds[] = {
	CALL("get", "guestinfo.get", gi_get_args, show_guestinfo,
	     "Print a guestinfo value"),
	CALL("set", "guestinfo.set", gi_set_args, show_nothing,
	     "Set a guestinfo value the guest can read"),
	{ 0 }
};

static const struct cli_cmd partition_cmds[] = {
	CALL("create", "partition.create", part_create_args, show_fields,
	     "Create a partition: a resource group for several VMs"),
	CALL("list", "partition.list", NULL, show_fields,
	     "List the partitions, their limits and VMs"),
	CALL("show", "partition.show", part_args, show_fields,
	     "Show a partition, its limits, VMs and usage"),
	CALL("delete", "partition.delete", part_args, show_fields,
	     "Delete a partition that holds no VM"),
	{ 0 }
};

static const struct cli_cmd fleet_cmds[] = {
	{ .name = "status", .summary = "Every VM of the fleet: this host's "
	  "and its peers', through the REST API", .args = fleet_args,
	  .method = "GET /v1/fleet", .run = run_fleet_status,
	  .show = show_fleet,
	  .notes = "Hosts that do not answer are listed as unreachable; verge "
	  "fails (status 3) only when none answers." },
	{ 0 }
};

static const struct cli_cmd root_cmds[] = {
	{ .name = "vm", .summary = "Define, start, stop and inspect VMs",
	  .sub = vm_cmds },
	{ .name = "clock", .summary = "Control a VM's guest clock",
	  .sub = clock_cmds },
	{ .name = "agent", .summary = "Talk to a VM's guest agent",
	  .sub = agent_cmds },
	{ .name = "guestinfo", .summary = "Get and set guestinfo keys",
	  .sub = guestinfo_cmds },
	{ .name = "partition", .summary = "Group VMs under common resource "
	  "limits", .sub = partition_cmds },
	{ .name = "fleet", .summary = "The VMs of several hosts, through "
	  "verged's REST API", .sub = fleet_cmds },
	{ .name = "events", .summary = "List the event log: who changed "
	  "what, boots, crashes", .args = events_args,
	  .method = "events.list", .run = run_events, .show = show_events,
	  .notes = "With --follow, the latest events are followed by each "
	  "new one as it happens (with --json, one JSON object per line); "
	  "Ctrl-C ends it." },
	{ .name = "version", .summary = "Show the versions of verge and "
	  "verged", .method = "daemon.version", .run = run_version },
	{ .name = "help", .summary = "Show the help of a command",
	  .args = (const struct cli_arg[]){
		{ NULL, "COMMAND", CLI_STRING, CLI_POSITIONAL, "command",
		  "a command or group, e.g. 'vm define'", NULL }, END } },
	{ 0 }
};

const struct cli_cmd cli_root = {
	.name = "verge",
	.summary = "Manage verge VMs, their guest clocks and guest agents "
		   "through verged.",
	.sub = root_cmds,
};
