// SPDX-License-Identifier: Apache-2.0
/*
 * The VM object of docs/jsonrpc.md (vm.list, vm.get, the REST API), its
 * image slots and its clock, as JSON; vm.c supervises the process.
 */
#include <stdlib.h>
#include <string.h>

#include "bootslots.h"
#include "hvlink.h"
#include "jail.h"
#include "jsonw.h"
#include "verged.h"
#include "vm.h"

static void write_failure(struct jw *w, const struct vm_record *r);

/* The VM object of docs/jsonrpc.md, written as text (vm.list's hot path);
 * times in microseconds, rates to 9 digits. */
/* The members that never change after vm.define, written once. */
char *vm_static_json(const struct vm_record *r,
		     const struct verged_config *c)
{
	struct jw w;

	jw_init(&w);
	jw_open(&w, '{');
	jw_key(&w, "name");
	jw_str(&w, r->name);
	jw_key(&w, "uuid");
	jw_str(&w, r->uuid);
	jw_key(&w, "kernel");
	jw_str(&w, r->kernel);
	jw_key(&w, "initrd");
	jw_str(&w, r->initrd);
	jw_key(&w, "cmdline");
	jw_str(&w, r->cmdline);
	jw_key(&w, "memory_mib");
	jw_int(&w, r->memory_mib);
	jw_key(&w, "cpus");
	jw_int(&w, r->cpus);
	jw_key(&w, "restart");
	jw_str(&w, r->restart);
	jw_key(&w, "watchdog_s");
	jw_int(&w, r->watchdog_s);
	jw_key(&w, "ptimer");	/* verge-hv's clock and firmware options */
	jw_bool(&w, r->ptimer);
	jw_key(&w, "acpi");
	jw_bool(&w, r->acpi);
	/* the CPU model, and the QEMU that runs it (docs/jsonrpc.md) */
	jw_key(&w, "cpu");
	jw_str(&w, r->cpu);
	jw_key(&w, "qemu");
	jw_open(&w, '{');
	jw_key(&w, "version");
	jw_str(&w, c->qemu_version);
	jw_key(&w, "binary");
	jw_str(&w, c->qemu_path ? c->qemu_path : c->qemu);
	jw_close(&w, '}');
	return jw_finish(&w, NULL);	/* "{...", left open */
}

/* "core": what the hypervisor's HELLO said the CPU offers the guest;
 * null before it has said (or from a hypervisor that does not). */
static void write_core_json(struct jw *w, const struct vm *vm)
{
	const struct vp_hello_cpu *cpu = vm_is_active(vm) && vm->hv ?
					 hvlink_cpu(vm->hv) : NULL;

	jw_key(w, "core");
	if (!cpu) {
		jw_null(w);
		return;
	}
	jw_open(w, '{');
	jw_key(w, "features");
	jw_open(w, '[');
	for (unsigned i = 0; i < 64; i++) {
		if (!(cpu->features >> i & 1) || !vp_cpu_feature_name(i))
			continue;
		jw_elem(w);
		jw_str(w, vp_cpu_feature_name(i));
	}
	jw_close(w, ']');
	jw_key(w, "sve_vl");
	jw_int(w, cpu->sve_vl);
	jw_key(w, "sme_vl");
	jw_int(w, cpu->sme_vl);
	jw_close(w, '}');
}

/* The VM object of docs/jsonrpc.md, written as text (vm.list's hot path);
 * times in microseconds, rates to 9 digits. */
void vm_write_json(struct jw *w, const struct vm *vm, double now)
{
	const struct vm_record *r = &vm->def;
	bool active = vm_is_active(vm);

	jw_raw(w, vm->json_static, strlen(vm->json_static));
	jw_key(w, "state");
	jw_str(w, vm_state_name(vm->state));
	jw_key(w, "desired");
	jw_str(w, r->desired);
	jw_key(w, "pid");
	if (active && vm->pid)
		jw_int(w, vm->pid);
	else
		jw_null(w);
	jw_key(w, "boots");
	jw_int(w, vm->boots);
	jw_key(w, "started_at");
	jw_fixed(w, vm->started_at, 6);
	jw_key(w, "uptime_s");
	if (active)
		jw_fixed(w, now - vm->started_at, 3);
	else
		jw_null(w);
	jw_key(w, "clock");
	jw_open(w, '{');
	jw_key(w, "rate");
	jw_raw(w, "\"", 1);
	jw_int(w, r->rate_num);
	jw_raw(w, "/", 1);
	jw_int(w, r->rate_den);
	jw_raw(w, "\"", 1);
	jw_key(w, "rate_value");
	jw_fixed(w, (double)r->rate_num / r->rate_den, 9);
	jw_key(w, "freq_hz");
	jw_int(w, (int64_t)r->freq_hz);
	jw_close(w, '}');
	jw_key(w, "disks");
	jw_raw(w, vm->disks_text, strlen(vm->disks_text));
	jw_key(w, "nics");
	jw_raw(w, vm->nics_text, strlen(vm->nics_text));
	jw_key(w, "agent");
	jw_open(w, '{');
	jw_key(w, "seen");
	jw_bool(w, vm->agent_at > 0);
	if (vm->agent_at > 0) {
		jw_key(w, "age_s");
		jw_fixed(w, now - vm->agent_at, 3);
		jw_key(w, "detect");
		jw_str(w, vm->agent_detect);
		jw_key(w, "hostname");
		jw_str(w, vm->agent_hostname);
		jw_key(w, "channel");
		jw_str(w, vm->agent_channel);
		jw_key(w, "ip");
		jw_str(w, vm->agent_ip);
	}
	jw_close(w, '}');
	write_core_json(w, vm);
	jail_write_json(w, vm);
	jw_key(w, "bootguard");	/* stage, expiries: since verged started */
	jw_open(w, '{');
	jw_key(w, "stage");
	if (vm_wdt_stage_name(vm->wdt_stage))
		jw_str(w, vm_wdt_stage_name(vm->wdt_stage));
	else
		jw_null(w);
	jw_key(w, "watchdog_expiries");
	jw_int(w, vm->wdt_expiries);
	jw_key(w, "failed_boots");
	jw_int(w, r->bs.failed);
	jw_key(w, "last_failure");
	write_failure(w, r);
	jw_close(w, '}');
	vm_write_slots(w, vm);
	jw_close(w, '}');
}

/* --- image slots and boot attempts (bootslots.h) -------------------------- */

static void write_failure(struct jw *w, const struct vm_record *r)
{
	if (!r->fail_reason) {
		jw_null(w);
		return;
	}
	jw_open(w, '{');
	jw_key(w, "reason");
	jw_str(w, r->fail_reason);
	jw_key(w, "stage");
	if (vm_wdt_stage_name((uint32_t)r->fail_stage))
		jw_str(w, vm_wdt_stage_name((uint32_t)r->fail_stage));
	else
		jw_null(w);
	jw_key(w, "time");
	jw_fixed(w, r->fail_at, 6);
	jw_close(w, '}');
}

static void write_slot_name(struct jw *w, int slot)
{
	if (bs_slot_name(slot))
		jw_str(w, bs_slot_name(slot));
	else
		jw_null(w);
}

/* "slots": {"active", "committed", "trial", "trial_booted", "A", "B"},
 * "boot": the outcome settings, the attempt, the counters. */
void vm_write_slots(struct jw *w, const struct vm *vm)
{
	const struct vm_record *r = &vm->def;
	const struct bootslots *b = &r->bs;
	int i;

	jw_key(w, "slots");
	jw_open(w, '{');
	jw_key(w, "active");
	write_slot_name(w, b->active);
	jw_key(w, "committed");
	write_slot_name(w, b->good);
	jw_key(w, "trial");
	write_slot_name(w, bs_trial(b) ? b->active : -1);
	jw_key(w, "trial_booted");
	jw_bool(w, b->trial_ok);
	for (i = 0; i < BS_SLOTS; i++) {
		const struct vm_slot *sl = &r->slot[i];

		jw_key(w, bs_slot_name(i));
		if (!sl->kernel) {
			jw_null(w);
			continue;
		}
		jw_open(w, '{');
		jw_key(w, "kernel");
		jw_str(w, sl->kernel);
		jw_key(w, "initrd");
		jw_str(w, sl->initrd);
		jw_key(w, "cmdline");
		jw_str(w, sl->cmdline ? sl->cmdline : "");
		jw_key(w, "booted");
		jw_bool(w, (b->booted >> i) & 1);
		jw_key(w, "set_at");
		jw_fixed(w, sl->set_at, 6);
		jw_close(w, '}');
	}
	jw_close(w, '}');
	jw_key(w, "boot");
	jw_open(w, '{');
	jw_key(w, "attempts");
	jw_int(w, b->attempts_max);
	jw_key(w, "manual_commit");
	jw_bool(w, b->manual_commit);
	jw_key(w, "ok_after_s");
	jw_int(w, r->boot_ok_after_s);
	jw_key(w, "deadline_s");
	jw_int(w, r->boot_deadline_s);
	jw_key(w, "attempt_open");
	jw_bool(w, r->attempt_pid != 0 && r->attempt_pid == vm->pid &&
		   vm_is_active(vm));
	jw_key(w, "failed_in_a_row");
	jw_int(w, b->failed);
	jw_key(w, "boots_ok");
	jw_int(w, b->boots_ok);
	jw_key(w, "boots_failed");
	jw_int(w, b->boots_failed);
	jw_key(w, "rollbacks");
	jw_int(w, b->rollbacks);
	jw_key(w, "last_failure");
	write_failure(w, r);
	jw_close(w, '}');
}

json_t *vm_image_json(const struct vm *vm)
{
	struct jw w;
	char *text;
	json_t *j;

	jw_init(&w);
	jw_open(&w, '{');
	jw_key(&w, "name");
	jw_str(&w, vm->def.name);
	vm_write_slots(&w, vm);
	jw_close(&w, '}');
	text = jw_finish(&w, NULL);
	j = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return j;
}

json_t *vm_json(const struct vm *vm)
{
	struct jw w;
	char *text;
	json_t *j;

	jw_init(&w);
	vm_write_json(&w, vm, verged_now());
	text = jw_finish(&w, NULL);
	j = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return j;
}

json_t *vm_clock_json(const struct vm *vm, const void *clock)
{
	const struct vp_clock *c = clock;
	uint32_t num = c ? c->rate_num : vm->def.rate_num;
	uint32_t den = c ? c->rate_den : vm->def.rate_den;
	json_t *j;

	if (!den)
		den = 1;
	j = json_pack("{so sf}", "rate", json_sprintf("%u/%u", num, den),
		      "rate_value", (double)num / den);
	if (!c) {
		json_object_set_new(j, "freq_hz",
				    json_integer((json_int_t)vm->def.freq_hz));
		json_object_set_new(j, "live", json_false());
		if (vm->clock_mode >= 0)	/* the running hypervisor's */
			json_object_set_new(j, "mode", json_string(
				vp_clock_mode_name((uint32_t)vm->clock_mode)));
		return j;
	}
	json_object_set_new(j, "mode", json_string(vp_clock_mode_name(c->mode)));
#define SET(k, v) json_object_set_new(j, k, json_integer((json_int_t)(v)))
	SET("freq_hz", c->guest_freq);
	SET("next_freq_hz", c->next_freq);
	SET("guest_counter", c->guest_counter);
	SET("host_counter", c->host_counter);
	SET("host_freq_hz", c->host_freq);
	SET("stalled_ticks", c->stalled_ticks);
	SET("max_error_ticks", c->max_error_ticks);
	SET("cntvoff", c->cntvoff);
	SET("counter_traps", c->counter_traps);
	SET("timer_traps", c->timer_traps);
#undef SET
	/* how the guest is told freq_hz (docs/hypervisor.md, "Guest time") */
	json_object_set_new(j, "freq_by", json_string(
		hvlink_hello_flags(vm->hv) & VP_HELLO_F_FREQ_DT_ONLY ? "dt" :
		"cntfrq"));
	json_object_set_new(j, "live", json_true());
	return j;
}
