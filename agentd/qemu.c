// SPDX-License-Identifier: Apache-2.0
/*
 * The QEMU command line: the machine verge-hv runs on (README.md, "Run it
 * by hand"), the guest Image loaded raw at QEMU_KERNEL_ADDR, and three
 * sockets in the VM's run directory, all served by QEMU so verged can
 * come and go: QMP, the management channel (a virtconsole) and the
 * serial console, which QEMU itself also appends to console.log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jail.h"
#include "devices.h"
#include "qemu.h"
#include "vm.h"

struct argv_buf {
	char **v;
	size_t n, cap;
	bool oom;
};

static void add(struct argv_buf *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL, **p;

	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 48;
		p = realloc(a->v, a->cap * sizeof(*p));
		if (!p) {
			a->oom = true;
			return;
		}
		a->v = p;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		a->oom = true;
		return;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/* QEMU option values separate with ',': a literal comma is doubled. */
static char *opt_escape(const char *s)
{
	size_t n = strlen(s), extra = 0, i, j;
	char *o;

	for (i = 0; i < n; i++)
		extra += s[i] == ',';
	o = malloc(n + extra + 1);
	if (!o)
		return NULL;
	for (i = j = 0; i < n; i++) {
		o[j++] = s[i];
		if (s[i] == ',')
			o[j++] = ',';
	}
	o[j] = '\0';
	return o;
}

static void add_socket(struct argv_buf *a, const char *id, const char *path,
		       const char *log)
{
	char *p = opt_escape(path), *l = log ? opt_escape(log) : NULL;

	if (!p || (log && !l))
		a->oom = true;
	else if (l)
		add(a, "socket,id=%s,path=%s,server=on,wait=off,logfile=%s,"
		    "logappend=on", id, p, l);
	else
		add(a, "socket,id=%s,path=%s,server=on,wait=off", id, p);
	free(p);
	free(l);
}

static int add_cb(void *ctx, const char *arg)
{
	struct argv_buf *a = ctx;

	add(a, "%s", arg);
	return a->oom ? -ENOMEM : 0;
}

/* verge-hv's options, then "--", then the guest's command line. */
static void add_append(struct argv_buf *a, const struct vm *vm)
{
	const struct vm_record *r = &vm->def;
	char rate[40] = "", freq[40] = "", uuid[64] = "", wdt[32] = "";

	/* With verge.freq alone verge-hv runs the guest at host/freq
	 * (docs/hypervisor.md): a stored rate of 1 is passed then too. */
	if (r->rate_num && (r->rate_num != r->rate_den || r->freq_hz))
		snprintf(rate, sizeof(rate), " verge.rate=%u/%u", r->rate_num,
			 r->rate_den);
	if (r->freq_hz)
		snprintf(freq, sizeof(freq), " verge.freq=%llu",
			 (unsigned long long)r->freq_hz);
	/* The guest reads it with the backdoor's GETUUID. */
	snprintf(uuid, sizeof(uuid), " verge.uuid=%s", r->uuid);
	if (r->watchdog_s)	/* the boot guard (docs/bootguard.md) */
		snprintf(wdt, sizeof(wdt), " verge.wdt=%lld",
			 (long long)r->watchdog_s);
	add(a, "verge.kernel=%s%s%s%s%s%s%s -- %s", QEMU_KERNEL_ADDR, uuid, rate,
	    freq, wdt, r->ptimer ? " verge.ptimer=1" : "",
	    r->acpi ? " verge.acpi=1" : "", r->cmdline ? r->cmdline : "");
}

char **qemu_argv(const struct vm *vm, const struct verged_config *cfg)
{
	const struct vm_record *r = &vm->def;
	struct argv_buf a = { 0 };
	char *k = opt_escape(r->kernel);

	add(&a, "%s", cfg->qemu);
	add(&a, "-name");
	add(&a, "guest=%s", r->name);	/* names hold no ',' (methods.c) */
	add(&a, "-uuid");
	add(&a, "%s", r->uuid);
	add(&a, "-M");
	add(&a, "%s", cfg->machine);
	add(&a, "-cpu");
	add(&a, "%s", cfg->cpu);
	add(&a, "-smp");
	add(&a, "%lld", (long long)r->cpus);
	add(&a, "-m");
	add(&a, "%lldM", (long long)r->memory_mib);
	add(&a, "-nodefaults");
	add(&a, "-no-user-config");
	add(&a, "-display");
	add(&a, "none");
	add(&a, "-chardev");
	add_socket(&a, "qmp", vm->qmp_path, NULL);
	add(&a, "-mon");
	add(&a, "chardev=qmp,mode=control");
	add(&a, "-chardev");
	add_socket(&a, "con", vm->con_path, vm->console_log);
	add(&a, "-serial");
	add(&a, "chardev:con");
	add(&a, "-chardev");
	add_socket(&a, "mgmt", vm->mgmt_path, NULL);
	add(&a, "-device");
	add(&a, "virtio-serial-device");
	add(&a, "-device");
	add(&a, "virtconsole,chardev=mgmt");
	if (!jail_enabled(cfg)) {	/* jailed: verge-jail writes it */
		add(&a, "-pidfile");
		add(&a, "%s", vm->pid_path);
	}
	if (strcmp(cfg->jail_sandbox, "off")) {
		/* QEMU's seccomp filter (docs/verged.md, "Jails") */
		add(&a, "-sandbox");
		add(&a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
		    "resourcecontrol=deny");
	}
	add(&a, "-kernel");
	add(&a, "%s", cfg->hv_bin);
	add(&a, "-device");
	add(&a, "loader,file=%s,addr=%s,force-raw=on", k ? k : "",
	    QEMU_KERNEL_ADDR);
	if (r->initrd && *r->initrd) {
		add(&a, "-initrd");
		add(&a, "%s", r->initrd);
	}
	add(&a, "-append");
	add_append(&a, vm);
	free(k);
	/* disks and network cards: QEMU gets the disks' descriptors from
	 * fd 3 on (4 on through verge-jail, whose status line is 3) */
	if (dev_qemu_args(vm->disks, vm->nics, jail_enabled(cfg) ? 4 : 3,
			  add_cb, &a))
		a.oom = true;
	if (a.oom || !k) {
		qemu_argv_free(a.v);
		return NULL;
	}
	return a.v;
}

void qemu_argv_free(char **argv)
{
	char **p;

	if (!argv)
		return;
	for (p = argv; *p; p++)
		free(*p);
	free(argv);
}
