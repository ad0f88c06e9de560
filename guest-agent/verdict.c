// SPDX-License-Identifier: Apache-2.0
/* Exclusive-monitor detection rule (see verdict.h). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "verdict.h"

double wilson_lower(uint32_t k, uint32_t n)
{
	const double z = 1.959964;
	double p, d, c, r;

	if (n == 0 || k > n)
		return 0.0;
	p = (double)k / n;
	d = 1 + z * z / n;
	c = p + z * z / (2.0 * n);
	r = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n));
	return (c - r) / d > 0 ? (c - r) / d : 0.0;
}

static enum excl_class classify(const struct excl_cand *c)
{
	double fail;

	if (c->trials == 0)
		return EXCL_MIXED;
	fail = (double)c->failed / c->trials;
	if (fail <= EXCL_LO)
		return EXCL_NO_TRAP;
	if (fail < EXCL_HI)
		return EXCL_MIXED;
	/* A signal means the kernel took the trap and gave up on it. */
	if (c->signalled)
		return c->signalled == c->trials ? EXCL_TRAP_KERNEL : EXCL_MIXED;
	/* No signal: the kernel emulated it (KERNEL) or never saw it. */
	return c->role == EXCL_PROBE ? EXCL_TRAP_ABOVE : EXCL_TRAP_KERNEL;
}

/* The lower bound of the rate behind a candidate's class. */
static double support(const struct excl_cand *c)
{
	if (c->cls == EXCL_NO_TRAP)
		return wilson_lower(c->trials - c->failed, c->trials);
	if (c->cls == EXCL_MIXED)
		return 0.0;
	return wilson_lower(c->failed, c->trials);
}

static void settle(struct excl_verdict *v, bool conclusive, bool above,
		   double conf, const char *reason)
{
	v->conclusive = conclusive;
	v->above = above;
	v->confidence = conclusive ? conf : 0.0;
	v->reason = reason;
}

void excl_verdict(struct excl_cand *c, unsigned n, struct excl_verdict *v)
{
	double conf = 1.0;
	bool have[4] = { false }, above = false, mixed = false;
	unsigned i;

	for (i = 0; i < n; i++) {
		c[i].cls = classify(&c[i]);
		have[c[i].role] = true;
	}
	if (!have[EXCL_CONTROL] || !have[EXCL_KERNEL] || !have[EXCL_PROBE]) {
		settle(v, false, false, 0, "needs a control, a kernel-trapped "
		       "and a probe candidate");
		return;
	}
	for (i = 0; i < n; i++) {
		switch (c[i].role) {
		case EXCL_CONTROL:
		case EXCL_NOTRAP:
			if (c[i].cls != EXCL_NO_TRAP) {
				settle(v, false, false, 0, "a control store "
				       "failed: something else clears the "
				       "monitor");
				return;
			}
			break;
		case EXCL_KERNEL:
			if (c[i].cls != EXCL_TRAP_KERNEL) {
				settle(v, false, false, 0, "a known kernel "
				       "trap left the monitor set: traps are "
				       "not visible here");
				return;
			}
			break;
		case EXCL_PROBE:
			if (c[i].cls == EXCL_TRAP_ABOVE)
				above = true;
			if (c[i].cls == EXCL_MIXED)
				mixed = true;
			break;
		}
	}
	/* The conclusion rests on every control and the deciding probes. */
	for (i = 0; i < n; i++) {
		double s = support(&c[i]);

		if (c[i].role == EXCL_PROBE && above &&
		    c[i].cls != EXCL_TRAP_ABOVE)
			continue;
		if (c[i].role == EXCL_PROBE && !above && c[i].cls == EXCL_MIXED)
			continue;
		if (s < conf)
			conf = s;
	}
	if (above)
		settle(v, true, true, conf, "a debug-register access trapped "
		       "with no signal: taken above the kernel (EL2)");
	else if (mixed)
		settle(v, false, false, 0, "a probe failed the store only "
		       "sometimes");
	else
		settle(v, true, false, conf, "no probe trapped above the "
		       "kernel");
}

const char *excl_class_name(enum excl_class cls)
{
	static const char *const names[] = {
		[EXCL_NO_TRAP] = "no-trap",
		[EXCL_TRAP_KERNEL] = "trap-el1",
		[EXCL_TRAP_ABOVE] = "trap-el2",
		[EXCL_MIXED] = "mixed",
	};

	return (unsigned)cls < 4 ? names[cls] : "?";
}

const char *excl_role_name(enum excl_role role)
{
	static const char *const names[] = {
		[EXCL_CONTROL] = "control",
		[EXCL_NOTRAP] = "no-trap",
		[EXCL_KERNEL] = "kernel-trap",
		[EXCL_PROBE] = "probe",
	};

	return (unsigned)role < 4 ? names[role] : "?";
}

/*
 * The backdoor answering with its magic is decisive: a VMware-style
 * hypervisor is there. verge and VMware answer GETVERSION alike (verge
 * must, for open-vm-tools), so the name comes from the platform: VMware
 * says so in DMI/CPUID, verge (aarch64, no firmware tables) does not.
 * Without a backdoor, a hint that names a hypervisor decides; then an
 * exclusive-monitor trap above the kernel with nobody named gives
 * "vm-other"; else "none". The confidence is the exclusive-monitor
 * method's when it reached a conclusion that agrees.
 */
void detect_decide(const struct detect_inputs *in, struct detect_answer *r)
{
	const struct excl_verdict *e = in->excl;

	r->virtualized = true;
	if (in->backdoor) {
		bool vmware = in->hint && !strcmp(in->hint, "vmware");

		r->name = vmware || !in->arm64 ? "vmware" : "verge";
		r->basis = "backdoor";
	} else if (in->hint) {
		r->name = in->hint;
		r->basis = in->hint_by ? in->hint_by : "hint";
	} else if (e && e->conclusive && e->above) {
		r->name = "vm-other";
		r->basis = "exclusive-monitor";
	} else {
		r->name = "none";
		r->basis = e && e->conclusive ? "exclusive-monitor" : "no evidence";
		r->virtualized = false;
	}
	r->have_confidence = e && e->conclusive && e->above == r->virtualized;
	r->confidence = r->have_confidence ? e->confidence : 0.0;
}
