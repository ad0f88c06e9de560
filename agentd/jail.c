// SPDX-License-Identifier: Apache-2.0
/*
 * Jails (jail.h): the verge-jail command line, the VM's directories, its
 * resource group, and the image check with the caller's credentials.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include "jsonw.h"
#include "log.h"
#include "store.h"
#include "verged.h"
#include "vm.h"

bool jail_enabled(const struct verged_config *c)
{
	return strcmp(c->jail_isolation, "off") != 0;
}

uid_t jail_uid(const struct vm *vm)
{
	return (uid_t)(vm->d->cfg.jail_uid_base + vm->def.id);
}

/* --- the caller's groups ------------------------------------------------- */

int jail_groups_parse(const char *s, gid_t *out, int max)
{
	int n = 0;
	char *end;
	long v;

	while (s && *s) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || end == s || v < 0 || v > INT_MAX || n >= max ||
		    (*end && *end != ','))
			return -EINVAL;
		out[n++] = (gid_t)v;
		s = *end ? end + 1 : end;
	}
	return n;
}

char *jail_groups_format(const gid_t *groups, int n)
{
	char *s = malloc((size_t)n * 12 + 1);
	size_t len = 0;
	int i;

	if (!s)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "%s%u", i ? "," : "",
				       (unsigned)groups[i]);
	return s;
}

/* --- resource groups ------------------------------------------------------ */

/* cgroup v1: one hierarchy per controller; v2: one hierarchy. */
static const char *const v1_controllers[JAIL_CG_MAX] = {
	"cpu", "cpuacct", "memory", "pids",
};

/* The v2 controllers verged enables and limits. */
static const char *const v2_controllers[] = { "cpu", "memory", "pids" };

/* verged's own group in each hierarchy (v2: [0]), below which it makes
 * its groups when delegated (jail_cgroup_init); NULL: the root. */
static char *cg_self[JAIL_CG_MAX];

static bool cg_v2(const struct verged_config *c)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/cgroup.controllers", c->cgroup_root);
	return access(p, F_OK) == 0;
}

/* ROOT[/CONTROLLER][/SELF]: where verged's groups begin. */
static void cg_base(const struct verged_config *c, bool v2, int i, char *buf,
		    size_t n)
{
	snprintf(buf, n, "%s%s%s%s", c->cgroup_root, v2 ? "" : "/",
		 v2 ? "" : v1_controllers[i], cg_self[i] ? cg_self[i] : "");
}

static int write_file(const char *dir, const char *file, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

/* Does list[0..n) ("a,b" of a v1 /proc/self/cgroup line, or v2's
 * "a b" cgroup.controllers) name controller ctl? */
static bool names_controller(const char *list, size_t n, const char *ctl)
{
	size_t k = strlen(ctl), len;
	const char *s = list, *e = list + n;

	while (s < e) {
		len = 0;
		while (s + len < e && !strchr(", \n", s[len]))
			len++;
		if (len == k && !strncmp(s, ctl, k))
			return true;
		s += len + 1;
	}
	return false;
}

int jail_cgroup_init(const struct verged_config *c)
{
	bool v2 = cg_v2(c), on;
	char line[PATH_MAX + 64], dir[PATH_MAX];
	const char *inv = getenv("INVOCATION_ID");
	FILE *f;
	int i, e;

	on = !strcmp(c->cgroup_delegate, "on") ||
	     (!strcmp(c->cgroup_delegate, "auto") && inv && *inv);
	for (i = 0; i < JAIL_CG_MAX; i++) {
		free(cg_self[i]);
		cg_self[i] = NULL;
	}
	if (!on)
		return 0;
	f = fopen("/proc/self/cgroup", "re");
	if (!f) {
		log_err("jail: /proc/self/cgroup: %s", strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') :
			   NULL;
		char *path = c2 ? c2 + 1 : NULL;

		if (!path)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (!strcmp(path, "/"))
			continue;
		for (i = 0; i < (v2 ? 1 : JAIL_CG_MAX); i++) {
			if (v2 ? strncmp(line, "0::", 3) :
			    !names_controller(c1 + 1, (size_t)(c2 - c1 - 1),
					      v1_controllers[i]))
				continue;
			free(cg_self[i]);
			cg_self[i] = strdup(path);
		}
	}
	fclose(f);
	if (!v2 || !cg_self[0])
		goto done;
	/* v2: a group with children holds no process, so verged moves to
	 * a leaf of its own, SELF/verged (already there after a restart
	 * that kept it: SELF is its parent then). */
	i = (int)strlen(cg_self[0]);
	if (i > 7 && !strcmp(cg_self[0] + i - 7, "/verged"))
		cg_self[0][i - 7] = '\0';
	snprintf(dir, sizeof(dir), "%s%s/verged", c->cgroup_root, cg_self[0]);
	if (mkdir(dir, 0755) && errno != EEXIST)
		e = -errno;
	else
		e = write_file(dir, "cgroup.procs", "%d", (int)getpid());
	if (e) {
		log_err("jail: cannot move verged into %s: %s (is its cgroup"
			" delegated? set [jail] cgroup_delegate = off to make"
			" groups below %s/%s)", dir, strerror(-e),
			c->cgroup_root, c->cgroup_parent);
		return e;
	}
done:
	for (i = 0; i < JAIL_CG_MAX; i++)
		if (cg_self[i]) {
			cg_base(c, v2, i, dir, sizeof(dir));
			log_info("jail: resource groups below %s/%s (delegated)",
				 dir, c->cgroup_parent);
		}
	return 0;
}

int vmcg_paths(struct vm *vm)
{
	const struct verged_config *c = &vm->d->cfg;
	const char *part = vm->def.partition;
	char base[PATH_MAX];
	int i;

	for (i = 0; i < vm->ncg; i++)
		free(vm->cg_dirs[i]);
	vm->ncg = 0;
	vm->cg_v2 = cg_v2(c);
	for (i = 0; i < (vm->cg_v2 ? 1 : JAIL_CG_MAX); i++) {
		/* BASE/PARENT[/partition:P]/NAME */
		cg_base(c, vm->cg_v2, i, base, sizeof(base));
		if (asprintf(&vm->cg_dirs[i], "%s/%s%s%s/%s", base,
			     c->cgroup_parent, part ? "/partition:" : "",
			     part ? part : "", vm->def.name) < 0)
			return -ENOMEM;
		vm->ncg = i + 1;
	}
	return 0;
}

static int write_file(const char *dir, const char *file, const char *fmt, ...)
{
	char p[PATH_MAX], v[128];
	va_list ap;
	int fd, n, r = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, v, (size_t)n) != n)
		r = -errno;
	close(fd);
	return r;
}

static int read_u64(const char *dir, const char *file, const char *key,
		    int64_t *ret)
{
	char p[PATH_MAX], buf[4096], *s;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	s = buf;
	if (key) {	/* "key value" lines */
		size_t kl = strlen(key);

		for (s = buf; s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
			if (!strncmp(s, key, kl) && s[kl] == ' ')
				break;
		if (!s)
			return -ENOENT;
		s += kl + 1;
	}
	if (!strncmp(s, "max", 3)) {
		*ret = -1;
		return 0;
	}
	*ret = strtoll(s, NULL, 10);
	return 0;
}

static void write_usage_of(struct jw *w, char *const *dirs, int n, bool v2)
{
	int64_t v;
	int i;

	for (i = 0; i < n; i++) {
		const char *d = dirs[i];
		const char *ctl = v2 ? "" : v1_controllers[i];

		if ((v2 || !strcmp(ctl, "cpuacct")) &&
		    !(v2 ? read_u64(d, "cpu.stat", "usage_usec", &v) :
		      read_u64(d, "cpuacct.usage", NULL, &v))) {
			jw_key(w, "cpu_usage_s");
			jw_fixed(w, v2 ? v / 1e6 : v / 1e9, 6);
		}
		if ((v2 || !strcmp(ctl, "memory")) &&
		    !read_u64(d, v2 ? "memory.current" :
			      "memory.usage_in_bytes", NULL, &v)) {
			jw_key(w, "memory_bytes");
			jw_int(w, v);
		}
		if ((v2 || !strcmp(ctl, "pids")) &&
		    !read_u64(d, "pids.current", NULL, &v)) {
			jw_key(w, "pids");
			jw_int(w, v);
		}
	}
}

static void write_usage(struct jw *w, const struct vm *vm)
{
	write_usage_of(w, vm->cg_dirs, vm->ncg, vm->cg_v2);
}

/* What a group is limited to (0: no limit; mem in bytes, absolute). */
struct cg_limits {
	int64_t cpu_quota, cpu_weight, mem, pids;
};

/* v2: enables in dir's children the controllers dir has (one at a time:
 * a host may have bound some of them to v1 hierarchies). */
static void cg_enable(const char *dir)
{
	char p[PATH_MAX], have[512];
	size_t i;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/cgroup.controllers", dir);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, have, sizeof(have) - 2);
	close(fd);
	if (n < 0)
		return;
	have[n] = '\0';
	for (i = 0; i < sizeof(v2_controllers) / sizeof(v2_controllers[0]);
	     i++)
		if (names_controller(have, (size_t)n, v2_controllers[i]))
			write_file(dir, "cgroup.subtree_control", "+%s",
				   v2_controllers[i]);
}

/* Makes dir (hierarchy i) and its parents below verged's base, with the
 * controllers enabled above it. */
static int cg_mkdir(const struct verged_config *c, bool v2, int i,
		    const char *dir)
{
	char p[PATH_MAX], base[PATH_MAX], *s;
	size_t start;

	cg_base(c, v2, i, base, sizeof(base));
	start = strlen(base);
	if (strlen(dir) >= sizeof(p) || strncmp(dir, base, start) ||
	    dir[start] != '/')
		return -ENAMETOOLONG;
	strcpy(p, dir);
	for (s = p + start + 1; ; s++) {
		char ch;

		if (*s && *s != '/')
			continue;
		ch = *s;
		*s = '\0';
		if (v2) {	/* enable them in the parent */
			char *slash = strrchr(p, '/');

			*slash = '\0';
			cg_enable(p);
			*slash = '/';
		}
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*s = ch;
		if (!ch)
			return 0;
	}
}

static int cg_limits_v1(const char *dir, const char *ctl,
			const struct cg_limits *l, const char **what)
{
	int e = 0;

	if (!strcmp(ctl, "cpu")) {
		*what = "cpu.cfs_quota_us";
		e = write_file(dir, "cpu.cfs_period_us", "100000");
		if (!e)
			e = write_file(dir, "cpu.cfs_quota_us", "%lld",
				       l->cpu_quota ?
				       (long long)l->cpu_quota * 1000 : -1LL);
		if (!e && l->cpu_weight) {
			*what = "cpu.shares";
			e = write_file(dir, "cpu.shares", "%lld",
				       (long long)l->cpu_weight * 1024 / 100 +
				       2);
		}
	} else if (!strcmp(ctl, "memory")) {
		*what = "memory.limit_in_bytes";
		if (l->mem)
			e = write_file(dir, "memory.limit_in_bytes", "%lld",
				       (long long)l->mem);
		else
			e = write_file(dir, "memory.limit_in_bytes", "-1");
	} else if (!strcmp(ctl, "pids")) {
		*what = "pids.max";
		if (l->pids)
			e = write_file(dir, "pids.max", "%lld",
				       (long long)l->pids);
		else
			e = write_file(dir, "pids.max", "max");
	}
	return e;
}

/* v2: one limit file: its value, or "max" (reset) if limit is 0. A
 * limit the group cannot take, its controller missing, is -ENOTSUP. */
static int cg_set_v2(const char *dir, const char *file, int64_t limit,
		     const char *fmt, const char *unlimited)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (access(p, F_OK))	/* no controller: fine while unlimited */
		return limit ? -ENOTSUP : 0;
	if (!limit)
		return write_file(dir, file, "%s", unlimited);
	return write_file(dir, file, fmt, (long long)limit);
}

static int cg_limits_v2(const char *dir, const struct cg_limits *l,
			const char **what)
{
	int e;

	*what = "cpu.max";
	e = cg_set_v2(dir, "cpu.max", l->cpu_quota * 1000, "%lld 100000",
		      "max 100000");
	if (!e) {
		*what = "cpu.weight";
		e = cg_set_v2(dir, "cpu.weight", l->cpu_weight, "%lld",
			      "100");
	}
	if (!e) {
		*what = "memory.max";
		e = cg_set_v2(dir, "memory.max", l->mem, "%lld", "max");
	}
	if (!e) {
		*what = "pids.max";
		e = cg_set_v2(dir, "pids.max", l->pids, "%lld", "max");
	}
	return e;
}

/*
 * Groups removed once their last task has left them (rmdir is EBUSY until
 * then): retried every 100 ms for 2 s, whatever becomes of their VM in the
 * meantime (undefined, its partition deleted). A group made again while
 * its removal is pending is no longer removed.
 */
struct cg_later {
	uv_timer_t t;
	struct cg_later *next;
	int n, tries;
	char *dirs[JAIL_CG_MAX];
};

static struct cg_later *cg_pending;

static void later_closed(uv_handle_t *h)
{
	struct cg_later *l = h->data;

	while (l->n > 0)
		free(l->dirs[--l->n]);
	free(l);
}

static void later_done(struct cg_later *l)
{
	struct cg_later **p;

	for (p = &cg_pending; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	uv_timer_stop(&l->t);
	uv_close((uv_handle_t *)&l->t, later_closed);
}

static void later_cb(uv_timer_t *t)
{
	struct cg_later *l = t->data;
	bool busy = false;
	int i;

	for (i = 0; i < l->n; i++)
		if (rmdir(l->dirs[i]) && errno != ENOENT) {
			if (errno == EBUSY)
				busy = true;
			else
				log_warn("rmdir %s: %s", l->dirs[i],
					 strerror(errno));
		}
	if (busy && ++l->tries < 20) {
		uv_timer_start(t, later_cb, 100, 0);
		return;
	}
	if (busy)
		log_warn("resource group %s still busy; left in place",
			 l->dirs[0]);
	later_done(l);
}

static void cg_remove_later(uv_loop_t *loop, char *const *dirs, int n)
{
	struct cg_later *l = calloc(1, sizeof(*l));
	int i;

	if (!l)
		return;
	for (i = 0; i < n; i++)
		if ((l->dirs[i] = strdup(dirs[i])))
			l->n++;
	uv_timer_init(loop, &l->t);
	l->t.data = l;
	l->next = cg_pending;
	cg_pending = l;
	later_cb(&l->t);
}

/* A group made again: no pending removal of it any more. */
static void cg_keep(const char *dir)
{
	struct cg_later *l, *next;

	for (l = cg_pending; l; l = next) {
		next = l->next;
		if (l->n && !strcmp(l->dirs[0], dir))
			later_done(l);
	}
}

/* Makes the groups dirs[0..n) (one per v1 controller, or the v2 one)
 * and writes the limits. */
static int cg_make(const struct verged_config *c, bool v2, char **dirs,
		   int n, const struct cg_limits *l, char *why, size_t wn)
{
	const char *what = "";
	int i, e;

	if (n > 0)
		cg_keep(dirs[0]);
	for (i = 0; i < n; i++) {
		e = cg_mkdir(c, v2, i, dirs[i]);
		if (e) {
			snprintf(why, wn, "resource group %s: %s%s", dirs[i],
				 strerror(-e), v2 ? "" :
				 " (is this cgroup v1 controller mounted?)");
			return e;
		}
		e = v2 ? cg_limits_v2(dirs[i], l, &what) :
			 cg_limits_v1(dirs[i], v1_controllers[i], l, &what);
		if (e == -ENOTSUP) {
			snprintf(why, wn, "resource group %s: no %s: the %.*s"
				 " controller is not enabled in this cgroup v2"
				 " hierarchy (bound to a v1 one, or not"
				 " delegated); a limit on it cannot hold",
				 dirs[i], what, (int)strcspn(what, "."), what);
			return e;
		}
		if (e) {
			snprintf(why, wn, "resource group %s: cannot set %s:"
				 " %s", dirs[i], what, strerror(-e));
			return e;
		}
	}
	return 0;
}

/* A partition's groups: BASE/PARENT/partition:NAME. */
static int part_dirs(const struct verged_config *c, const char *name,
		     char **dirs, bool *ret_v2)
{
	bool v2 = cg_v2(c);
	int i, n = v2 ? 1 : JAIL_CG_MAX;
	char base[PATH_MAX];

	*ret_v2 = v2;
	for (i = 0; i < n; i++) {
		cg_base(c, v2, i, base, sizeof(base));
		if (asprintf(&dirs[i], "%s/%s/partition:%s", base,
			     c->cgroup_parent, name) < 0) {
			while (i > 0)
				free(dirs[--i]);
			return -ENOMEM;
		}
	}
	return n;
}

static void free_dirs(char **dirs, int n)
{
	while (n > 0)
		free(dirs[--n]);
}

int jail_partition_create(const struct verged_config *c,
			  const struct partition_record *p, char *why,
			  size_t wn)
{
	struct cg_limits l = { p->cpu_quota, p->cpu_weight, p->memory_max,
			       p->pids_max };
	char *dirs[JAIL_CG_MAX];
	bool v2;
	int n = part_dirs(c, p->name, dirs, &v2), e;

	if (n < 0) {
		snprintf(why, wn, "out of memory");
		return n;
	}
	e = cg_make(c, v2, dirs, n, &l, why, wn);
	free_dirs(dirs, n);
	return e;
}

void jail_partition_remove(struct verged *d, const char *name)
{
	char *dirs[JAIL_CG_MAX];
	bool v2;
	int n = part_dirs(&d->cfg, name, dirs, &v2);

	if (n <= 0)
		return;
	/* after its VMs' groups, whose removal may still be pending */
	cg_remove_later(d->loop, dirs, n);
	free_dirs(dirs, n);
}

void jail_partition_usage(const struct verged_config *c, const char *name,
			  struct jw *w)
{
	char *dirs[JAIL_CG_MAX];
	bool v2;
	int n = part_dirs(c, name, dirs, &v2);

	if (n < 0)
		return;
	write_usage_of(w, dirs, n, v2);
	free_dirs(dirs, n);
}

json_t *jail_partition_json(struct verged *d,
			    const struct partition_record *p)
{
	json_t *vms = json_array(), *j;
	struct vm *vm;
	struct jw w;
	char *text;

	for (vm = d->vms; vm; vm = vm->next)
		if (vm->def.partition && !strcmp(vm->def.partition, p->name))
			json_array_append_new(vms, json_string(vm->def.name));
	jw_init(&w);
	jw_open(&w, '{');
	if (jail_enabled(&d->cfg))
		jail_partition_usage(&d->cfg, p->name, &w);
	jw_close(&w, '}');
	text = jw_finish(&w, NULL);
	j = json_pack("{ss s{sI sI sI sI} so so}", "name", p->name, "limits",
		      "cpu_quota_pct", (json_int_t)p->cpu_quota,
		      "cpu_weight", (json_int_t)p->cpu_weight,
		      "memory_max", (json_int_t)p->memory_max,
		      "pids_max", (json_int_t)p->pids_max, "vms", vms,
		      "usage", text ? json_loads(text, 0, NULL) : json_object());
	free(text);
	return j;
}

struct part_find {
	const char *name;
	struct partition_record *out;
	bool found;
};

static int part_find_cb(const struct partition_record *p, void *arg)
{
	struct part_find *f = arg;

	if (strcmp(p->name, f->name))
		return 0;
	*f->out = *p;
	f->out->name = NULL;
	f->found = true;
	return 1;
}

int vmcg_create(struct vm *vm, char *why, size_t n)
{
	const struct vm_record *r = &vm->def;
	struct cg_limits l = {
		r->cpu_quota, r->cpu_weight,
		r->memory_max ? (r->memory_mib << 20) + r->memory_max : 0,
		r->pids_max,
	};
	int e = vmcg_paths(vm);

	if (e) {
		snprintf(why, n, "out of memory");
		return e;
	}
	if (r->partition) {	/* its partition's group first */
		struct partition_record p;
		struct part_find f = { r->partition, &p, false };

		store_partition_foreach(vm->d->store, part_find_cb, &f);
		if (!f.found) {
			snprintf(why, n, "partition %s does not exist",
				 r->partition);
			return -ENOENT;
		}
		p.name = r->partition;
		if ((e = jail_partition_create(&vm->d->cfg, &p, why, n)))
			return e;
	}
	return cg_make(&vm->d->cfg, vm->cg_v2, vm->cg_dirs, vm->ncg, &l, why,
		       n);
}

int64_t vmcg_oom_kills(const struct vm *vm)
{
	int64_t v;
	int i;

	for (i = 0; i < vm->ncg; i++) {
		if (vm->cg_v2)
			return read_u64(vm->cg_dirs[i], "memory.events",
					"oom_kill", &v) ? 0 : v;
		if (!strcmp(v1_controllers[i], "memory"))
			return read_u64(vm->cg_dirs[i], "memory.oom_control",
					"oom_kill", &v) ? 0 : v;
	}
	return 0;
}

bool vmcg_usage(const struct vm *vm, const char *what, double *ret)
{
	bool cpu = !strcmp(what, "cpu"), mem = !strcmp(what, "memory");
	const char *ctl = cpu ? "cpuacct" : what;
	int64_t v;
	int i;

	if (!jail_enabled(&vm->d->cfg) || !vm_is_active(vm))
		return false;
	for (i = 0; i < vm->ncg; i++) {
		if (!vm->cg_v2 && strcmp(v1_controllers[i], ctl))
			continue;
		if (vm->cg_v2 ? (cpu ? read_u64(vm->cg_dirs[i], "cpu.stat",
						"usage_usec", &v) :
				 read_u64(vm->cg_dirs[i], mem ?
					  "memory.current" : "pids.current",
					  NULL, &v)) :
		    read_u64(vm->cg_dirs[i], cpu ? "cpuacct.usage" : mem ?
			     "memory.usage_in_bytes" : "pids.current", NULL,
			     &v))
			return false;
		*ret = cpu ? (double)v / (vm->cg_v2 ? 1e6 : 1e9) : (double)v;
		return true;
	}
	return false;
}

void vmcg_remove(struct vm *vm)
{
	cg_remove_later(vm->d->loop, vm->cg_dirs, vm->ncg);
}

void jail_write_json(struct jw *w, const struct vm *vm)
{
	const struct vm_record *r = &vm->def;
	bool on = jail_enabled(&vm->d->cfg);

	jw_key(w, "isolation");
	jw_open(w, '{');
	jw_key(w, "jail");
	jw_bool(w, on);
	jw_key(w, "uid");
	if (on)
		jw_int(w, jail_uid(vm));
	else
		jw_null(w);
	jw_key(w, "cgroup");
	if (on && vm->ncg)
		jw_str(w, vm->cg_v2 ? "v2" : "v1");
	else
		jw_null(w);
	jw_key(w, "partition");
	jw_str(w, r->partition);
	jw_key(w, "limits");
	jw_open(w, '{');
	jw_key(w, "cpu_quota_pct");
	jw_int(w, r->cpu_quota);
	jw_key(w, "cpu_weight");
	jw_int(w, r->cpu_weight);
	jw_key(w, "memory_max");
	jw_int(w, r->memory_max);
	jw_key(w, "pids_max");
	jw_int(w, r->pids_max);
	jw_close(w, '}');
	jw_key(w, "usage");
	jw_open(w, '{');
	if (on && vm_is_active(vm))
		write_usage(w, vm);
	jw_close(w, '}');
	jw_close(w, '}');
}

json_t *jail_json(const struct vm *vm)
{
	struct jw w;
	json_t *j, *iso;
	char *text;

	jw_init(&w);
	jw_open(&w, '{');
	jail_write_json(&w, vm);
	jw_close(&w, '}');
	text = jw_finish(&w, NULL);
	j = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	iso = json_incref(json_object_get(j, "isolation"));
	json_decref(j);
	return iso;
}

/* --- the helper ----------------------------------------------------------- */

struct args {
	char **v;
	size_t n, cap;
	bool oom;
};

static void add(struct args *a, const char *s)
{
	char **p;

	if (a->oom)
		return;
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		p = realloc(a->v, a->cap * sizeof(*p));
		if (!p) {
			a->oom = true;
			return;
		}
		a->v = p;
	}
	a->v[a->n] = strdup(s ? s : "");
	if (!a->v[a->n]) {
		a->oom = true;
		return;
	}
	a->v[++a->n] = NULL;
}

static void add2(struct args *a, const char *opt, const char *s)
{
	add(a, opt);
	add(a, s);
}

/* Bound into every jail by verge-jail (build_root()): what lies below
 * them needs no bind of its own. */
static bool in_system_dirs(const char *p)
{
	static const char *const sys[] = {
		"/usr/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/",
		"/libx32/",
	};
	size_t i;

	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (!strncmp(p, sys[i], strlen(sys[i])))
			return true;
	return false;
}

/* The libraries ldd found for the last QEMU binary, while that binary
 * (path, device, inode, size, mtime) stays the same: ldd runs once, not
 * at every start (a fork, a shell and the loader: 50-140 ms for QEMU 10
 * on a loaded 2-core host). */
static struct {
	char *bin;
	struct stat st;
	struct args libs;
} lib_cache;

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void args_free(struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/*
 * The shared libraries of bin that lie outside the system directories, as
 * the dynamic loader resolves them with the jail's empty environment: ldd
 * (the loader's trace mode) run with no environment but PATH. A static
 * binary, or one ldd cannot read, has none: QEMU then says in qemu.log
 * what it misses.
 */
static void find_libs(struct args *a, const char *bin)
{
	char *const argv[] = { "ldd", (char *)bin, NULL };
	char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	char line[PATH_MAX + 64], *s, *e;
	int fds[2], st;
	pid_t pid;
	FILE *f;

	if (pipe2(fds, O_CLOEXEC))
		return;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		execve("/usr/bin/ldd", argv, envp);
		_exit(127);
	}
	close(fds[1]);
	f = pid > 0 ? fdopen(fds[0], "r") : NULL;
	if (!f)
		close(fds[0]);
	while (f && fgets(line, sizeof(line), f)) {
		/* "\tlibx.so.1 => /path/libx.so.1 (0x...)" or
		 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)" */
		s = strstr(line, "=> ");
		s = s ? s + 3 : line + strspn(line, " \t");
		if (*s != '/')
			continue;
		e = s + strcspn(s, " \n");
		*e = '\0';
		if (!in_system_dirs(s))
			add(a, s);
	}
	if (f)
		fclose(f);
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

/* --ro for each of bin's libraries outside the system directories. */
static void add_libs(struct args *a, const char *bin)
{
	struct stat st;
	size_t i;

	if (stat(bin, &st))
		return;
	if (!lib_cache.bin || strcmp(lib_cache.bin, bin) ||
	    !same_file(&lib_cache.st, &st)) {
		free(lib_cache.bin);
		args_free(&lib_cache.libs);
		lib_cache.bin = strdup(bin);
		lib_cache.st = st;
		find_libs(&lib_cache.libs, bin);
		if (!lib_cache.bin || lib_cache.libs.oom) {
			free(lib_cache.bin);
			lib_cache.bin = NULL;
			args_free(&lib_cache.libs);
			a->oom = true;
			return;
		}
	}
	for (i = 0; i < lib_cache.libs.n; i++)
		add2(a, "--ro", lib_cache.libs.v[i]);
}

char **jail_argv(const struct vm *vm, char *const *qemu_argv)
{
	const struct verged_config *c = &vm->d->cfg;
	struct args a = { 0 };
	char num[32];
	int i;

	add(&a, c->jail_helper);
	add2(&a, "--name", vm->def.name);
	add2(&a, "--root", vm->jail_root);
	snprintf(num, sizeof(num), "%u", (unsigned)jail_uid(vm));
	add2(&a, "--uid", num);
	add2(&a, "--gid", num);
	if (qemu_argv[0][0] == '/' && !in_system_dirs(qemu_argv[0])) {
		/* a QEMU of its own prefix: it and its libraries */
		add2(&a, "--ro", qemu_argv[0]);
		add_libs(&a, qemu_argv[0]);
	}
	for (i = 1; qemu_argv[i]; i++)	/* -L DIR: QEMU's data files */
		if (!strcmp(qemu_argv[i], "-L") && qemu_argv[i + 1] &&
		    qemu_argv[i + 1][0] == '/')
			add2(&a, "--ro", qemu_argv[++i]);
	add2(&a, "--ro", c->hv_bin);
	add2(&a, "--ro", vm->def.kernel);
	if (vm->def.initrd && *vm->def.initrd)
		add2(&a, "--ro", vm->def.initrd);
	add2(&a, "--rw", vm->run_dir);
	add2(&a, "--rw", vm->console_log);
	for (i = 0; i < vm->ncg; i++)
		add2(&a, "--cgroup", vm->cg_dirs[i]);
	add2(&a, "--pidfile", vm->pid_path);
	add2(&a, "--status-fd", "3");
	/* the disks' and taps' descriptors follow the status fd (vm.c) */
	for (i = 0; i < dev_fd_count(vm->disks, vm->nics); i++) {
		snprintf(num, sizeof(num), "%d", 4 + i);
		add2(&a, "--keep-fd", num);
	}
	if (dev_needs_host_net(vm->nics))	/* QEMU's user networking */
		add(&a, "--share-net");
	add(&a, "--");
	for (i = 0; qemu_argv[i]; i++)
		add(&a, qemu_argv[i]);
	if (a.oom) {
		for (i = 0; a.v && a.v[i]; i++)
			free(a.v[i]);
		free(a.v);
		return NULL;
	}
	return a.v;
}

bool jail_peer_is(uv_pipe_t *pipe, long long uid, const char *path)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (uid < 0)
		return true;
	if (uv_fileno((uv_handle_t *)pipe, &fd) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		log_err("%s: cannot read the server's credentials", path);
		return false;
	}
	if ((long long)cred.uid == uid)
		return true;
	log_err("%s: served by uid %u, not the VM's uid %lld: not talking to"
		" it", path, (unsigned)cred.uid, uid);
	return false;
}

char *jail_which(const char *name)
{
	const char *path = getenv("PATH"), *s, *e;
	char *p;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (s = path; *s; s = *e ? e + 1 : e) {
		e = strchrnul(s, ':');
		if (e == s)
			continue;
		if (asprintf(&p, "%.*s/%s", (int)(e - s), s, name) < 0)
			return NULL;
		if (p[0] == '/' && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

static int own(const char *path, uid_t uid, mode_t mode)
{
	if (chown(path, uid, uid) || chmod(path, mode))
		return -errno;
	return 0;
}

/* An existing or new regular file, owned by uid; never a link. */
static int own_file(const char *path, uid_t uid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
		      O_CLOEXEC | O_NONBLOCK, 0640);
	struct stat st;
	int e = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		e = -EINVAL;
	else if (fchown(fd, uid, uid) || fchmod(fd, 0640))
		e = -errno;
	close(fd);
	return e;
}

int jail_prepare(struct vm *vm, char *why, size_t n)
{
	uid_t uid = jail_uid(vm);
	char *jails;
	int e;

	if (geteuid() != 0) {
		snprintf(why, n, "jail: verged runs as uid %u, not root, and"
			 " cannot make namespaces or change uid",
			 (unsigned)geteuid());
		return -EPERM;
	}
	if (vm->def.id <= 0 || vm->def.id >= vm->d->cfg.jail_uid_count) {
		snprintf(why, n, "jail: VM id %lld is outside [jail] uid_count"
			 " %d", (long long)vm->def.id,
			 vm->d->cfg.jail_uid_count);
		return -ERANGE;
	}
	if (access(vm->d->cfg.jail_helper, X_OK)) {
		snprintf(why, n, "jail: helper %s: %s; set [jail] helper",
			 vm->d->cfg.jail_helper, strerror(errno));
		return -ENOENT;
	}
	/* Only the VM's uid (and root) may enter its run directory: no
	 * VM opens another's sockets. The log directory stays root's; QEMU
	 * gets its console.log, made here, and nothing else of it. */
	if ((e = own(vm->run_dir, uid, 0700)) ||
	    (e = own(vm->log_dir, 0, 0750)) ||
	    (e = own_file(vm->console_log, uid))) {
		snprintf(why, n, "jail: cannot give %s to uid %u: %s",
			 e == -ELOOP ? vm->console_log : vm->run_dir,
			 (unsigned)uid, strerror(-e));
		return e;
	}
	if (asprintf(&jails, "%s/jails", vm->d->cfg.run_dir) < 0)
		return -ENOMEM;
	e = verged_mkdir(jails, 0700);
	free(jails);
	if (!e)
		e = verged_mkdir(vm->jail_root, 0700);
	if (e) {
		snprintf(why, n, "jail: %s: %s", vm->jail_root, strerror(-e));
		return e;
	}
	return 0;
}

int jail_read_status(int fd, int timeout_ms, pid_t *ret_pid, char *why,
		     size_t n)
{
	char line[1300];
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec t0, t;
	ssize_t k;
	long left, v;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			snprintf(why, n, "jail: no word from verge-jail in"
				 " %d ms", timeout_ms);
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, n, "jail: poll: %s", strerror(errno));
			return -errno;
		}
		k = read(fd, line + len, sizeof(line) - 1 - len);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0 || (len += (size_t)k) == sizeof(line) - 1 ||
		    memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, "ok ", 3)) {
		v = strtol(line + 3, NULL, 10);
		if (v > 0 && v < INT_MAX) {
			*ret_pid = (pid_t)v;
			return 0;
		}
	}
	if (!strncmp(line, "error ", 6))
		snprintf(why, n, "jail: %s; the kernel or the configuration"
			 " refuses it (set [jail] isolation = off to run VMs"
			 " unjailed)", line + 6);
	else
		snprintf(why, n, "jail: verge-jail said '%s'",
			 len ? line : "nothing");
	return -EPERM;
}
