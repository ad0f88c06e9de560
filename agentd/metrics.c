// SPDX-License-Identifier: Apache-2.0
/*
 * /metrics (metrics.h). Families are grouped, as the exposition format
 * requires: one pass over the VMs per family.
 */
#include <math.h>
#include <string.h>

#include <verge_proto.h>

#include "jail.h"
#include "metrics.h"
#include "verged.h"
#include "vm.h"

const char *const metrics_ep_names[EP_COUNT] = {
	[EP_FLEET] = "/v1/fleet", [EP_HOSTS] = "/v1/hosts",
	[EP_VMS] = "/v1/vms", [EP_VM] = "/v1/vms/{name}",
	[EP_VM_CLOCK] = "/v1/vms/{name}/clock",
	[EP_VM_AGENT] = "/v1/vms/{name}/agent", [EP_EVENTS] = "/v1/events",
	[EP_HEALTHZ] = "/healthz", [EP_METRICS] = "/metrics",
	[EP_OTHER] = "other", [EP_PARTITIONS] = "/v1/partitions",
	[EP_PARTITION] = "/v1/partitions/{name}", [EP_SD] = "/v1/sd",
};

static const unsigned codes[METRICS_NCODES] = METRICS_CODES;

/* Order of struct vp_stats.exits (proto/inc/verge_proto.h). */
static const char *const exit_classes[] = {
	"irq", "sgi", "tick", "maint", "hvc", "smc", "sysreg", "dabt",
	"iabt", "other",
};

_Static_assert(sizeof(exit_classes) / sizeof(exit_classes[0]) ==
	       sizeof(((struct vp_stats *)0)->exits) /
	       sizeof(((struct vp_stats *)0)->exits[0]),
	       "one name per exit class");

void metrics_count(struct metrics *m, enum rest_ep ep, unsigned status)
{
	unsigned i;

	/* EP_COUNT: counted already (/metrics counts itself) */
	if (ep >= EP_COUNT)
		return;
	for (i = 0; i < METRICS_NCODES - 1; i++)
		if (codes[i] == status)
			break;
	/* the last slot, 500, takes any code not in the table */
	atomic_fetch_add_explicit(&m->requests[ep][i], 1,
				  memory_order_relaxed);
}

void metrics_label(struct buf *b, const char *key, const char *value)
{
	const char *p;

	buf_printf(b, "%s=\"", key);
	for (p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_str(b, "\\n");
		else
			buf_add(b, p, 1);
	}
	buf_add(b, "\"", 1);
}

void metrics_family(struct buf *b, const char *name, const char *type,
		    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_sample(struct buf *b, const char *name, const char *labels,
		    double value)
{
	buf_str(b, name);
	if (labels && *labels)
		buf_printf(b, "{%s}", labels);
	if (value == floor(value) && fabs(value) < 1e15)
		buf_printf(b, " %.0f\n", value);
	else
		buf_printf(b, " %.6g\n", value);
}

static bool uptime(const struct vm *vm, double now, double *ret)
{
	*ret = now - vm->started_at;
	return vm_is_active(vm);
}

static bool boots(const struct vm *vm, double now, double *ret)
{
	(void)now;
	*ret = (double)vm->boots;
	return true;
}

static bool rate(const struct vm *vm, double now, double *ret)
{
	(void)now;
	*ret = vm->def.rate_den ? (double)vm->def.rate_num / vm->def.rate_den
				: 1.0;
	return true;
}

static bool freq(const struct vm *vm, double now, double *ret)
{
	(void)now;
	*ret = (double)vm->def.freq_hz;
	return true;
}

static bool agent_age(const struct vm *vm, double now, double *ret)
{
	*ret = now - vm->agent_at;
	return vm->agent_at > 0;
}

static bool jailed(const struct vm *vm, double now, double *ret)
{
	(void)now;
	*ret = jail_enabled(&vm->d->cfg) ? 1 : 0;
	return true;
}

static bool cg_cpu(const struct vm *vm, double now, double *ret)
{
	(void)now;
	return vmcg_usage(vm, "cpu", ret);
}

static bool cg_memory(const struct vm *vm, double now, double *ret)
{
	(void)now;
	return vmcg_usage(vm, "memory", ret);
}

static bool cg_pids(const struct vm *vm, double now, double *ret)
{
	(void)now;
	return vmcg_usage(vm, "pids", ret);
}

static bool boots_ok(const struct vm *vm, double now, double *ret)
{
	(void)now;
	*ret = (double)vm->def.bs.boots_ok;
	return true;
}

static bool boot_failures(const struct vm *vm, double now, double *ret)
{
	(void)now;
	*ret = (double)vm->def.bs.boots_failed;
	return true;
}

static bool rollbacks(const struct vm *vm, double now, double *ret)
{
	(void)now;
	*ret = (double)vm->def.bs.rollbacks;
	return true;
}

/* Known once the running hypervisor has reported it. */
static bool clock_exact(const struct vm *vm, double now, double *ret)
{
	(void)now;
	*ret = vm->clock_mode == VP_CLOCK_EXACT;
	return vm->clock_mode >= 0;
}

/* The per-VM families, in the order /metrics prints them. */
static const struct {
	const char *name, *type, *help;
	bool (*fn)(const struct vm *vm, double now, double *ret);
} families[MF_COUNT] = {
	[MF_STATE] = { "verge_vm_state", "gauge",
		"1 for the state each VM is in.", NULL },
	[MF_UPTIME] = { "verge_vm_uptime_seconds", "gauge",
		"Seconds since the VM's QEMU started (active VMs only).",
		uptime },
	[MF_BOOTS] = { "verge_vm_boots_total", "counter",
		"Guest boots seen since the VM was defined.", boots },
	[MF_RATE] = { "verge_vm_clock_rate", "gauge",
		"Guest seconds per host second.", rate },
	[MF_FREQ] = { "verge_vm_clock_frequency_hz", "gauge",
		"Counter frequency presented to the guest (0: the host's).",
		freq },
	[MF_AGENT_AGE] = { "verge_vm_agent_report_age_seconds", "gauge",
		"Seconds since the guest agent's last report.", agent_age },
	[MF_EXITS] = { "verge_vm_exits_total", "counter",
		"Exits to verge-hv by class, as last sampled.", NULL },
	[MF_JAILED] = { "verge_vm_jailed", "gauge",
		"1 if the VM's QEMU runs in a jail, 0 with [jail] isolation ="
		" off.", jailed },
	[MF_BOOTS_OK] = { "verge_vm_boots_succeeded_total", "counter",
		"Boot attempts that succeeded (the agent reported, or the"
		" guest kept the watchdog refreshed).", boots_ok },
	[MF_BOOT_FAILURES] = { "verge_vm_boot_failures_total", "counter",
		"Boot attempts that failed (watchdog, reset, deadline).",
		boot_failures },
	[MF_ROLLBACKS] = { "verge_vm_image_rollbacks_total", "counter",
		"Rollbacks to the committed image slot.", rollbacks },
	[MF_CLOCK_EXACT] = { "verge_vm_clock_exact", "gauge",
		"1: the guest's virtual counter is trapped and scaled exactly"
		" (FEAT_ECV); 0: it is dilated.", clock_exact },
	[MF_CG_CPU] = { "verge_vm_cpu_usage_seconds_total", "counter",
		"CPU time used by the jailed VM's resource group (its QEMU).",
		cg_cpu },
	[MF_CG_MEMORY] = { "verge_vm_memory_bytes", "gauge",
		"Memory charged to the jailed VM's resource group.",
		cg_memory },
	[MF_CG_PIDS] = { "verge_vm_pids", "gauge",
		"Tasks in the jailed VM's resource group.", cg_pids },
};

static void vm_label(struct buf *l, const struct vm *vm, const char *key,
		     const char *value)
{
	l->len = 0;
	metrics_label(l, "vm", vm->def.name);
	if (key) {
		buf_add(l, ",", 1);
		metrics_label(l, key, value);
	}
}

void metrics_vm_lines(struct buf out[MF_COUNT], const struct vm *vm,
		      double now, const struct vp_stats *st)
{
	struct buf l = { 0 };
	size_t f, c;
	double v;

	vm_label(&l, vm, "state", vm_state_name(vm->state));
	metrics_sample(&out[MF_STATE], families[MF_STATE].name, l.data, 1);
	for (f = 0; f < MF_COUNT; f++) {
		if (!families[f].fn || !families[f].fn(vm, now, &v))
			continue;
		vm_label(&l, vm, NULL, NULL);
		metrics_sample(&out[f], families[f].name, l.data, v);
	}
	for (c = 0; st && c < sizeof(exit_classes) / sizeof(exit_classes[0]);
	     c++) {
		vm_label(&l, vm, "class", exit_classes[c]);
		metrics_sample(&out[MF_EXITS], families[MF_EXITS].name, l.data,
			       (double)st->exits[c]);
	}
	buf_free(&l);
}

void metrics_vms(struct buf *b, const struct snapshot *s,
		 const unsigned *state_counts)
{
	struct buf l = { 0 };
	size_t f, i;
	unsigned st;

	metrics_family(b, "verge_vms", "gauge", "VMs defined, by state.");
	for (st = 0; st <= VM_OOM; st++) {
		l.len = 0;
		metrics_label(&l, "state", vm_state_name(st));
		metrics_sample(b, "verge_vms", l.data, state_counts[st]);
	}
	buf_free(&l);
	for (f = 0; f < MF_COUNT; f++) {
		metrics_family(b, families[f].name, families[f].type,
			       families[f].help);
		for (i = 0; i < s->nvms; i++)
			buf_add(b, s->vm[i].p->met[f], s->vm[i].p->met_len[f]);
	}
}

void metrics_isolation(struct buf *b, bool jailed)
{
	metrics_family(b, "verge_isolation", "gauge",
		       "1 if VMs run in jails, 0 with [jail] isolation = off.");
	metrics_sample(b, "verge_isolation", NULL, jailed);
}

/* The partition families: one pass over the partitions per family. */
static const struct {
	const char *name, *type, *help;
	const char *obj, *key;	/* the value: list[i][obj][key] */
	const char *resource;	/* verge_partition_limit's label */
} part_families[] = {
	{ "verge_partition_vms", "gauge", "VMs defined in the partition.",
	  NULL, "vms", NULL },
	{ "verge_partition_limit", "gauge", "The partition's limits (0: none)"
	  " by resource: cpu_quota_pct (% of one CPU), cpu_weight,"
	  " memory_max_bytes, pids_max.", "limits", "cpu_quota_pct",
	  "cpu_quota_pct" },
	{ NULL, NULL, NULL, "limits", "cpu_weight", "cpu_weight" },
	{ NULL, NULL, NULL, "limits", "memory_max", "memory_max_bytes" },
	{ NULL, NULL, NULL, "limits", "pids_max", "pids_max" },
	{ "verge_partition_cpu_usage_seconds_total", "counter",
	  "CPU time of the partition's group (its VMs' QEMUs).", "usage",
	  "cpu_usage_s", NULL },
	{ "verge_partition_memory_bytes", "gauge",
	  "Memory charged to the partition's group.", "usage",
	  "memory_bytes", NULL },
	{ "verge_partition_pids", "gauge",
	  "Tasks in the partition's group.", "usage", "pids", NULL },
};

void metrics_partitions(struct buf *b, const json_t *list)
{
	const char *name = NULL;
	struct buf l = { 0 };
	size_t f, i;
	json_t *p, *v;

	for (f = 0; f < sizeof(part_families) / sizeof(part_families[0]);
	     f++) {
		if (part_families[f].name) {
			name = part_families[f].name;
			metrics_family(b, name, part_families[f].type,
				       part_families[f].help);
		}
		json_array_foreach(list, i, p) {
			v = part_families[f].obj ?
			    json_object_get(json_object_get(p,
					part_families[f].obj),
					part_families[f].key) :
			    json_object_get(p, part_families[f].key);
			if (!v)
				continue;	/* no usage: not jailed */
			l.len = 0;
			metrics_label(&l, "partition", json_string_value(
				json_object_get(p, "name")));
			if (part_families[f].resource) {
				buf_add(&l, ",", 1);
				metrics_label(&l, "resource",
					      part_families[f].resource);
			}
			metrics_sample(b, name, l.data, json_is_array(v) ?
				       (double)json_array_size(v) :
				       json_number_value(v));
		}
	}
	buf_free(&l);
}

void metrics_requests(struct buf *b, struct metrics *m)
{
	struct buf l = { 0 };
	unsigned long n;
	size_t ep, c;

	metrics_family(b, "verge_http_requests_total", "counter",
		       "REST requests answered, by endpoint and status.");
	for (ep = 0; ep < EP_COUNT; ep++) {
		for (c = 0; c < METRICS_NCODES; c++) {
			n = atomic_load_explicit(&m->requests[ep][c],
						 memory_order_relaxed);
			if (!n)
				continue;
			l.len = 0;
			metrics_label(&l, "endpoint", metrics_ep_names[ep]);
			buf_printf(&l, ",code=\"%u\"", codes[c]);
			metrics_sample(b, "verge_http_requests_total", l.data,
				       (double)n);
		}
	}
	buf_free(&l);
}
