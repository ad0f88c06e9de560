// SPDX-License-Identifier: Apache-2.0
/* Virtualization detection: evidence and output (see detect.h; the rule
 * is in verdict.c, the reasoning in docs/guest-agent.md). */
#include <errno.h>
#include <string.h>

#include "detect.h"

#if defined(__aarch64__)
#define ARCH_ARM64 true
#else
#define ARCH_ARM64 false
#endif

int detect_run(struct detect *d, unsigned trials)
{
	struct detect_inputs in;

	memset(d, 0, sizeof(*d));
	d->bd_err = bd_probe(&d->bd);
	hints_read(&d->hints);
	d->ncand = trials ? excl_run(d->cand, trials) : -ECANCELED;
	if (d->ncand > 0)
		excl_verdict(d->cand, (unsigned)d->ncand, &d->excl);

	memset(&in, 0, sizeof(in));
	in.backdoor = d->bd_err == 0;
	in.arm64 = ARCH_ARM64;
	in.hint = d->hints.named;
	in.hint_by = d->hints.named_by;
	in.excl = d->ncand > 0 ? &d->excl : NULL;
	detect_decide(&in, &d->answer);
	return 0;
}

static const char *bd_state(int err)
{
	switch (err) {
	case 0: return "answered";
	case -EFAULT: return "faulted";
	default: return "no-answer";
	}
}

static void excl_json(const struct detect *d, struct json *j)
{
	int i;

	json_obj_open(j, "exclusive_monitor");
	if (d->ncand <= 0) {
		json_bool(j, "available", false);
		json_str(j, "reason", d->ncand == -ENOTSUP ?
			 "no load/store-exclusive pair on this architecture" :
			 d->ncand == -ECANCELED ? "skipped (--trials 0)" :
			 strerror(-d->ncand));
		json_obj_close(j);
		return;
	}
	json_bool(j, "available", true);
	json_bool(j, "conclusive", d->excl.conclusive);
	json_bool(j, "trap_above_kernel", d->excl.above);
	json_num(j, "confidence", d->excl.confidence, 4);
	json_str(j, "reason", d->excl.reason);
	json_arr_open(j, "candidates");
	for (i = 0; i < d->ncand; i++) {
		const struct excl_cand *c = &d->cand[i];

		json_obj_open(j, NULL);
		json_str(j, "name", c->name);
		json_str(j, "insn", c->insn);
		json_str(j, "role", excl_role_name(c->role));
		json_uint(j, "trials", c->trials);
		json_uint(j, "store_failed", c->failed);
		json_uint(j, "signalled", c->signalled);
		json_num(j, "fail_rate", c->trials ?
			 (double)c->failed / c->trials : 0, 4);
		json_uint(j, "median_ticks", c->median_ticks);
		json_str(j, "class", excl_class_name(c->cls));
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}

static void hints_json(const struct hints *h, struct json *j)
{
	json_obj_open(j, "hints");
	json_str(j, "dt_hypervisor", h->dt_hypervisor);
	json_str(j, "dt_compatible", h->dt_compatible);
	json_str(j, "dt_model", h->dt_model);
	json_str(j, "dmi_sys_vendor", h->dmi_sys_vendor);
	json_str(j, "dmi_product_name", h->dmi_product_name);
	json_str(j, "dmi_bios_vendor", h->dmi_bios_vendor);
	json_str(j, "cpuid_vendor", h->cpuid_vendor);
	json_bool(j, "cpuid_hypervisor_bit", h->cpuid_hv_bit);
	json_bool(j, "dev_kvm", h->kvm_dev);
	json_str(j, "named", h->named);
	json_obj_close(j);
}

void detect_json(const struct detect *d, struct json *j, const char *key,
		 bool full)
{
	json_obj_open(j, key);
	json_str(j, "verdict", d->answer.name);
	json_bool(j, "virtualized", d->answer.virtualized);
	json_str(j, "basis", d->answer.basis);
	if (d->answer.have_confidence)
		json_num(j, "confidence", d->answer.confidence, 4);
	else
		json_null(j, "confidence");
	json_obj_open(j, "backdoor");
	json_str(j, "state", bd_state(d->bd_err));
	if (d->bd_err == 0) {
		json_uint(j, "version", d->bd.version);
		json_uint(j, "product", d->bd.product);
	}
	json_obj_close(j);
	if (full) {
		excl_json(d, j);
		hints_json(&d->hints, j);
	} else if (d->ncand > 0) {
		json_bool(j, "trap_above_kernel", d->excl.above);
	}
	json_obj_close(j);
}

void detect_print(const struct detect *d, FILE *f)
{
	int i;

	fprintf(f, "backdoor: %s", bd_state(d->bd_err));
	if (d->bd_err == 0)
		fprintf(f, " (version %u, product %u)", d->bd.version,
			d->bd.product);
	fputc('\n', f);
	if (d->ncand <= 0) {
		fprintf(f, "exclusive monitor: not available\n");
	} else {
		fprintf(f, "exclusive monitor: %s (confidence %.4f): %s\n",
			d->excl.conclusive ? (d->excl.above ?
			"trap above the kernel" : "no trap above the kernel") :
			"inconclusive", d->excl.confidence, d->excl.reason);
		for (i = 0; i < d->ncand; i++) {
			const struct excl_cand *c = &d->cand[i];

			fprintf(f, "  %-10s %-11s %6u/%u stores failed, %u "
				"signalled, median %u ticks: %s  [%s]\n",
				c->name, excl_role_name(c->role), c->failed,
				c->trials, c->signalled, c->median_ticks,
				excl_class_name(c->cls), c->insn);
		}
	}
	fprintf(f, "hints: dt-hypervisor '%s' dt-compatible '%s' dmi '%s' "
		"'%s' cpuid '%s'%s%s\n", d->hints.dt_hypervisor,
		d->hints.dt_compatible, d->hints.dmi_sys_vendor,
		d->hints.dmi_product_name, d->hints.cpuid_vendor,
		d->hints.kvm_dev ? " /dev/kvm" : "",
		d->hints.named ? " (names a hypervisor)" : "");
	fprintf(f, "verdict: %s (by %s", d->answer.name, d->answer.basis);
	if (d->answer.have_confidence)
		fprintf(f, ", confidence %.4f", d->answer.confidence);
	fprintf(f, ")\n");
}
