// SPDX-License-Identifier: Apache-2.0
/*
 * The QEMU command line: the machine verge-hv runs on (README.md, "Run it
 * by hand"), the guest Image loaded raw at QEMU_KERNEL_ADDR, and three
 * sockets in the VM's run directory, all served by QEMU so verged can
 * come and go: QMP, the management channel (a virtconsole) and the
 * serial console, which QEMU itself also appends to console.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "devices.h"
#include "jail.h"
#include "log.h"
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

	add(&a, "%s", cfg->qemu_path ? cfg->qemu_path : cfg->qemu);
	add(&a, "-name");
	add(&a, "guest=%s", r->name);	/* names hold no ',' (methods.c) */
	add(&a, "-uuid");
	add(&a, "%s", r->uuid);
	add(&a, "-M");
	add(&a, "%s", cfg->machine);
	if (cfg->qemu_datadir) {	/* a QEMU outside /usr (qemu_probe) */
		add(&a, "-L");
		add(&a, "%s", cfg->qemu_datadir);
	}
	add(&a, "-cpu");
	add(&a, "%s", r->cpu && *r->cpu ? r->cpu : cfg->cpu);
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

/* --- probing the binary ----------------------------------------------------- */

#define PROBE_TIMEOUT_MS	10000
#define PROBE_MAX_OUT		(256 * 1024)

/* Runs argv (no shell) with stdin and stderr on /dev/null; its stdout, up
 * to PROBE_MAX_OUT bytes, in *ret_out (free it). 0 if it exited 0 within
 * PROBE_TIMEOUT_MS. */
static int run_capture(char *const argv[], char **ret_out)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	int fds[2], st, r = 0, nul;
	struct timespec t0, t1;
	pid_t pid;

	if (!out)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC)) {
		free(out);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		free(out);
		return r;
	}
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 2);
		}
		dup2(fds[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		long ms;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = PROBE_TIMEOUT_MS - ((t1.tv_sec - t0.tv_sec) * 1000 +
					 (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0 || poll(&p, 1, (int)ms) == 0) {
			r = -ETIMEDOUT;
			kill(pid, SIGKILL);
			break;
		}
		if (len + 1 >= cap) {
			char *q = cap < PROBE_MAX_OUT ? realloc(out, cap * 2)
						      : NULL;

			if (!q) {
				r = -E2BIG;
				kill(pid, SIGKILL);
				break;
			}
			out = q;
			cap *= 2;
		}
		n = read(fds[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	out[len] = '\0';
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!r && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		r = -ENOEXEC;
	if (r) {
		free(out);
		return r;
	}
	*ret_out = out;
	return 0;
}

/* "QEMU emulator version 10.0.2 (Debian ...)" -> "10.0.2" */
static char *parse_version(const char *out)
{
	static const char tag[] = "QEMU emulator version ";
	const char *v = strstr(out, tag);
	size_t n;

	if (!v)
		return NULL;
	v += sizeof(tag) - 1;
	n = strspn(v, "0123456789.");
	if (n == 0 || v[0] == '.')
		return NULL;
	return strndup(v, n);
}

/* "Available CPUs:\n  a64fx\n  cortex-a57 ...\n": the first word of each
 * indented line. */
static char **parse_cpus(char *out)
{
	size_t n = 0, cap = 0;
	char **v = NULL, *line, *save = NULL;

	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t k;
		char **q;

		if (line[0] != ' ' && line[0] != '\t')
			continue;
		line += strspn(line, " \t");
		k = strcspn(line, " \t");
		if (!k)
			continue;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 64;
			q = realloc(v, cap * sizeof(*v));
			if (!q)
				goto oom;
			v = q;
		}
		v[n] = strndup(line, k);
		if (!v[n])
			goto oom;
		v[++n] = NULL;
	}
	return v;
oom:
	while (n)
		free(v[--n]);
	free(v);
	return NULL;
}

/* ../share/qemu beside the bin directory of a QEMU outside /usr, if it
 * holds QEMU's data files (scripts/fetch-qemu10.sh unpacks one so). */
static char *find_datadir(const char *path)
{
	char *d, *slash;
	struct stat st;
	int i;

	if (!strncmp(path, "/usr/", 5) || !strncmp(path, "/bin/", 5))
		return NULL;
	d = malloc(strlen(path) + sizeof("/share/qemu"));
	if (!d)
		return NULL;
	strcpy(d, path);
	for (i = 0; i < 2; i++) {	/* .../usr/bin/qemu -> .../usr */
		slash = strrchr(d, '/');
		if (!slash || slash == d) {
			free(d);
			return NULL;
		}
		*slash = '\0';
	}
	strcat(d, "/share/qemu");
	if (stat(d, &st) || !S_ISDIR(st.st_mode)) {
		free(d);
		return NULL;
	}
	return d;
}

int qemu_probe(struct verged_config *c)
{
	char *path, *out = NULL, real[PATH_MAX];
	char *vargv[] = { NULL, "-version", NULL };
	char *hargv[] = { NULL, "-M", "virt", "-cpu", "help", NULL, NULL,
			  NULL };
	int r;

	path = strchr(c->qemu, '/') ? strdup(c->qemu) : jail_which(c->qemu);
	if (!path) {
		log_err("[qemu] binary %s: not found in PATH; set it (or "
			"--qemu) to QEMU's path", c->qemu);
		return -ENOENT;
	}
	if (access(path, X_OK)) {
		r = -errno;
		log_err("[qemu] binary %s: %s", path, strerror(errno));
		free(path);
		return r;
	}
	/* absolute, so the jail can bind it and -L can be found */
	if (!realpath(path, real)) {
		r = -errno;
		log_err("[qemu] binary %s: %s", path, strerror(errno));
		free(path);
		return r;
	}
	free(path);
	free(c->qemu_path);
	c->qemu_path = strdup(real);
	free(c->qemu_datadir);
	c->qemu_datadir = find_datadir(real);
	if (!c->qemu_path)
		return -ENOMEM;
	vargv[0] = c->qemu_path;
	r = run_capture(vargv, &out);
	free(c->qemu_version);
	c->qemu_version = r ? NULL : parse_version(out);
	free(out);
	out = NULL;
	if (!c->qemu_version) {
		log_err("[qemu] binary %s: '%s -version' %s", c->qemu_path,
			c->qemu_path, r ? strerror(-r) :
			"does not say 'QEMU emulator version X.Y.Z'");
		return r ? r : -ENOEXEC;
	}
	hargv[0] = c->qemu_path;
	if (c->qemu_datadir) {
		hargv[5] = "-L";
		hargv[6] = c->qemu_datadir;
	}
	r = run_capture(hargv, &out);
	c->qemu_cpus = r ? NULL : parse_cpus(out);
	free(out);
	if (!c->qemu_cpus || !c->qemu_cpus[0]) {
		log_err("[qemu] binary %s: '-M virt -cpu help' %s",
			c->qemu_path, r ? strerror(-r) : "lists no CPU model");
		return r ? r : -ENOEXEC;
	}
	log_info("QEMU %s (%s)%s%s", c->qemu_version, c->qemu_path,
		 c->qemu_datadir ? ", data files in " : "",
		 c->qemu_datadir ? c->qemu_datadir : "");
	if (qemu_cpu_check(c, c->cpu, NULL, 0)) {
		log_err("[qemu] cpu %s: QEMU %s (%s) has no such model for "
			"its virt machine", c->cpu, c->qemu_version,
			c->qemu_path);
		return -EINVAL;
	}
	return 0;
}

int qemu_cpu_check(const struct verged_config *c, const char *model,
		   char *hint, size_t n)
{
	/* the models verge-hv is tested on first (docs/testing.md) */
	static const char *const known[] = {
		"cortex-a57", "cortex-a72", "cortex-a76", "neoverse-n1",
		"neoverse-v1", "neoverse-n2", "max",
	};
	size_t i, k, len = 0;
	bool found = false;

	for (i = 0; c->qemu_cpus && c->qemu_cpus[i]; i++)
		if (!strcmp(c->qemu_cpus[i], model))
			return 0;
	if (!hint)
		return -EINVAL;
	hint[0] = '\0';
	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		found = false;
		for (i = 0; c->qemu_cpus && c->qemu_cpus[i]; i++)
			found |= !strcmp(c->qemu_cpus[i], known[k]);
		if (found && len < n)
			len += (size_t)snprintf(hint + len, n - len, "%s%s",
						len ? ", " : "", known[k]);
	}
	return -EINVAL;
}
