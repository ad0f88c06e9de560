// SPDX-License-Identifier: Apache-2.0
/*
 * verge-jail: runs one program (a VM's QEMU) in a jail of its own
 * (docs/verged.md, "Jails"). verged runs it as root; it is not setuid.
 *
 *   verge-jail --name NAME --root DIR --uid UID --gid GID
 *              [--ro PATH]... [--rw PATH]... [--cgroup DIR]...
 *              [--pidfile FILE] [--status-fd N] [--nofile N] [--nproc N]
 *              -- PROGRAM [ARG]...
 *
 * The helper joins the cgroups (each DIR/cgroup.procs), enters a new PID
 * namespace and forks. The child, PID 1 of that namespace, makes new
 * mount, IPC, UTS, cgroup and network namespaces (the network one holds
 * only a loopback that is down), sets the hostname to NAME, mounts a
 * tmpfs on DIR and builds the root there: read-only binds of /usr and the
 * /lib* and /bin directories (or their symlinks), /etc/ld.so.cache, each
 * --ro path (a file or a directory, same path inside as outside), each
 * --rw path, a /dev with null, zero, full, random and urandom, and the
 * namespace's own /proc; then pivot_root into it and the old root is
 * detached. Then: rlimits (core 0, nofile, nproc), every fd but 0-2
 * closed, groups cleared, gid and uid set (all capabilities go with uid
 * 0), the bounding and ambient sets emptied, no_new_privs, a parent-death
 * SIGKILL, every --ro path opened once as the new uid (so an image QEMU
 * cannot read is named now), and execve with an empty environment.
 *
 * The parent writes the child's PID (as the host sees it) to --pidfile,
 * then one line on --status-fd: "ok PID" once the program has been
 * exec'd, or "error WHAT: REASON" naming the step the kernel refused. It
 * then waits, passes SIGTERM, SIGINT and SIGHUP on, and ends as the child
 * ended (the same exit code, or the same signal).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#define MAX_PATHS	32

#define MAX_KEEP	32

struct jail {
	const char *name, *root, *pidfile;
	uid_t uid;
	gid_t gid;
	bool have_uid, have_gid;
	const char *ro[MAX_PATHS], *rw[MAX_PATHS], *cg[MAX_PATHS];
	int nro, nrw, ncg;
	int status_fd;
	long nofile, nproc;
	int keep[MAX_KEEP];	/* --keep-fd: QEMU's (the VM's disks) */
	int nkeep;
	bool share_net;		/* --share-net: the host's network */
	char **argv;
};

static int errpipe = -1;	/* the child's report to the parent */
static struct timespec t0;	/* VERGE_JAIL_TRACE: when the helper began */
static bool tracing;
static int status_fd = -1;	/* the parent's report to verged */
static pid_t child;

/* Reports a failed step (from the child: to the parent) and exits. */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n, e = errno;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 64, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 64)
		n = sizeof(msg) - 64;
	snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(e));
	if (errpipe >= 0) {
		if (write(errpipe, msg, strlen(msg)) < 0)
			_exit(126);
		_exit(126);
	}
	if (status_fd >= 0)	/* the parent, before the fork */
		dprintf(status_fd, "error %s\n", msg);
	fprintf(stderr, "verge-jail: %s\n", msg);
	exit(126);
}

static void usage_error(const char *what)
{
	fprintf(stderr, "verge-jail: %s\nusage: verge-jail --name NAME --root"
		" DIR --uid UID --gid GID [--ro PATH]... [--rw PATH]..."
		" [--cgroup DIR]... [--pidfile FILE] [--status-fd N]"
		" [--nofile N] [--nproc N] -- PROGRAM [ARG]...\n", what);
	exit(2);
}

static long number(const char *s, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		usage_error(what);
	return v;
}

static void add_path(const char **v, int *n, const char *p, const char *what)
{
	if (*n >= MAX_PATHS)
		usage_error("too many paths");
	if (p[0] != '/' || strstr(p, "/../") || strstr(p, "/./") ||
	    !strcmp(p, "/"))
		usage_error(what);
	v[(*n)++] = p;
}

static void parse(struct jail *j, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "root", required_argument, NULL, 'r' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "ro", required_argument, NULL, 'R' },
		{ "rw", required_argument, NULL, 'W' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "status-fd", required_argument, NULL, 's' },
		{ "nofile", required_argument, NULL, 'f' },
		{ "nproc", required_argument, NULL, 'P' },
		{ "keep-fd", required_argument, NULL, 'k' },
		{ "share-net", no_argument, NULL, 'N' },
		{ 0 }
	};
	int c;

	j->status_fd = -1;
	j->nofile = 4096;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'n': j->name = optarg; break;
		case 'r': j->root = optarg; break;
		case 'u':
			j->uid = (uid_t)number(optarg, INT_MAX, "bad --uid");
			j->have_uid = true;
			break;
		case 'g':
			j->gid = (gid_t)number(optarg, INT_MAX, "bad --gid");
			j->have_gid = true;
			break;
		case 'R': add_path(j->ro, &j->nro, optarg, "bad --ro"); break;
		case 'W': add_path(j->rw, &j->nrw, optarg, "bad --rw"); break;
		case 'c': add_path(j->cg, &j->ncg, optarg, "bad --cgroup");
			break;
		case 'p': j->pidfile = optarg; break;
		case 's':
			j->status_fd = (int)number(optarg, INT_MAX,
						   "bad --status-fd");
			break;
		case 'f':
			j->nofile = number(optarg, 1 << 20, "bad --nofile");
			break;
		case 'P':
			j->nproc = number(optarg, 1 << 22, "bad --nproc");
			break;
		case 'k':
			if (j->nkeep >= MAX_KEEP)
				usage_error("too many --keep-fd");
			j->keep[j->nkeep++] = (int)number(optarg, 1023,
							  "bad --keep-fd");
			break;
		case 'N': j->share_net = true; break;
		default: usage_error("unknown option");
		}
	}
	if (!j->name || !j->root || !j->have_uid || !j->have_gid ||
	    optind >= argc)
		usage_error("--name, --root, --uid, --gid and a program are"
			    " required");
	if (j->uid == 0 || j->gid == 0)
		usage_error("the jail's uid and gid must not be 0");
	for (c = 0; c < j->nkeep; c++)
		if (j->keep[c] < 3 || j->keep[c] == j->status_fd ||
		    fcntl(j->keep[c], F_GETFD) < 0)
			usage_error("--keep-fd: not an open descriptor above"
				    " 2 other than --status-fd");
	if (j->root[0] != '/' || strlen(j->name) > 64)
		usage_error("bad --root or --name");
	j->argv = argv + optind;
}

/* With VERGE_JAIL_TRACE=1 in its environment (verged's, which it inherits),
 * the helper writes the time of each step to its stderr, QEMU's log. */
static void trace(const char *step)
{
	struct timespec t;

	if (!tracing)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	dprintf(2, "verge-jail: %8.3f ms %s\n", (double)(t.tv_sec - t0.tv_sec)
		* 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6, step);
}

/* --- the root ------------------------------------------------------------- */

static void mkdirs(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(p))
		die("%s: path too long", path);
	memcpy(p, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			die("mkdir %s", p);
		p[i] = i < n ? '/' : '\0';
	}
}

/* Binds src on the same path under root: read-only unless rw; device
 * nodes only under /dev. */
static void bind(const char *root, const char *src, bool rw, bool optional)
{
	char dst[PATH_MAX], *slash;
	unsigned long fl = MS_BIND | MS_REMOUNT | MS_NOSUID;
	struct stat st, st2;
	int fd;

	if (lstat(src, &st)) {
		if (optional && errno == ENOENT)
			return;
		die("%s", src);
	}
	if (snprintf(dst, sizeof(dst), "%s%s", root, src) >= (int)sizeof(dst))
		die("%s: path too long", src);
	if (!lstat(dst, &st2)) {
		/* Already there: under a read-only bind (/usr/bin/qemu-...). */
		if (!rw)
			return;
		goto mount;
	}
	slash = strrchr(dst, '/');
	*slash = '\0';
	mkdirs(dst, 0755);
	*slash = '/';
	/* A symlink to a file (a kernel at /boot/vmlinuz): the file is
	 * bound at the link's path, mount(2) following the link. */
	if (S_ISLNK(st.st_mode) && !stat(src, &st2) && S_ISREG(st2.st_mode))
		st = st2;
	if (S_ISLNK(st.st_mode)) {	/* /lib -> usr/lib: a symlink too */
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			die("readlink %s", src);
		target[n] = '\0';
		if (symlink(target, dst) && errno != EEXIST)
			die("symlink %s", dst);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, 0755) && errno != EEXIST)
			die("mkdir %s", dst);
	} else {
		fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			die("create %s", dst);
		close(fd);
	}
mount:
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL))
		die("bind %s", src);
	if (!rw)
		fl |= MS_RDONLY;
	if (strncmp(src, "/dev/", 5))
		fl |= MS_NODEV;
	if (mount(NULL, dst, NULL, fl, NULL))
		die("remount %s read-only", dst);
}

static void make_dev(const char *root)
{
	static const char *const nodes[] = {
		"null", "zero", "full", "random", "urandom",
	};
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(p, sizeof(p), "/dev/%s", nodes[i]);
		bind(root, p, true, false);
	}
}

static void build_root(const struct jail *j)
{
	static const char *const sys[] = {
		"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
		"/libx32", "/etc/ld.so.cache",
	};
	char p[PATH_MAX];
	size_t i;
	int k;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("make / private");
	if (mount("verge-jail", j->root, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755,size=1m,nr_inodes=4096"))
		die("mount tmpfs on %s", j->root);
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		bind(j->root, sys[i], false, true);
	for (k = 0; k < j->nro; k++)
		bind(j->root, j->ro[k], false, false);
	for (k = 0; k < j->nrw; k++)
		bind(j->root, j->rw[k], true, false);
	make_dev(j->root);
	snprintf(p, sizeof(p), "%s/proc", j->root);
	if (mkdir(p, 0555))
		die("mkdir %s", p);
	if (chdir(j->root))
		die("chdir %s", j->root);
	if (syscall(SYS_pivot_root, ".", "."))
		die("pivot_root %s", j->root);
	if (umount2(".", MNT_DETACH))
		die("detach the old root");
	if (chdir("/"))
		die("chdir /");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL))
		die("mount /proc");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
		  MS_NOSUID | MS_NODEV, NULL))
		die("remount / read-only");
}

/* --- credentials ---------------------------------------------------------- */

static void drop_privileges(const struct jail *j)
{
	struct rlimit rl;
	int cap, k;

	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl))
		die("setrlimit(RLIMIT_CORE)");
	rl.rlim_cur = rl.rlim_max = (rlim_t)j->nofile;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE)");
	if (j->nproc) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)j->nproc;
		if (setrlimit(RLIMIT_NPROC, &rl))
			die("setrlimit(RLIMIT_NPROC)");
	}
	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			die("drop capability %d from the bounding set", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		die("clear the ambient capabilities");
	if (setgroups(0, NULL))
		die("setgroups");
	if (setresgid(j->gid, j->gid, j->gid))
		die("setresgid %u", (unsigned)j->gid);
	if (setresuid(j->uid, j->uid, j->uid))
		die("setresuid %u", (unsigned)j->uid);
	/* uid 0 -> non-zero with all three ids cleared every capability. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		die("prctl(PR_SET_PDEATHSIG)");
	for (k = 0; k < j->nro; k++) {
		struct stat st;
		int fd;

		if (stat(j->ro[k], &st) || S_ISDIR(st.st_mode))
			continue;
		fd = open(j->ro[k], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s is not readable by the jail's uid %u",
			    j->ro[k], (unsigned)j->uid);
		close(fd);
	}
}

static bool kept(const struct jail *j, int fd)
{
	for (int k = 0; k < j->nkeep; k++)
		if (j->keep[k] == fd)
			return true;
	return false;
}

/* Every descriptor but 0-2, the --keep-fd ones (left open across execve)
 * and errpipe (close-on-exec: it closes at execve). */
static void close_fds(const struct jail *j)
{
	int fd, top = errpipe;

	for (int k = 0; k < j->nkeep; k++) {
		if (fcntl(j->keep[k], F_SETFD, 0))
			die("--keep-fd %d", j->keep[k]);
		if (j->keep[k] > top)
			top = j->keep[k];
	}
	for (fd = 3; fd <= top; fd++)
		if (fd != errpipe && !kept(j, fd))
			close(fd);
	if (syscall(SYS_close_range, top + 1, ~0U, 0) == 0)
		return;
	for (fd = top + 1; fd < 65536; fd++)
		close(fd);
}

static void __attribute__((noreturn)) run_child(const struct jail *j)
{
	static const struct { int flag; const char *name; } ns[] = {
		{ CLONE_NEWNS, "mount" }, { CLONE_NEWIPC, "ipc" },
		{ CLONE_NEWUTS, "uts" }, { CLONE_NEWNET, "network" },
		{ CLONE_NEWCGROUP, "cgroup" },
	};
	char *envp[] = { NULL };
	int all = 0;
	size_t i;

	trace("forked");
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (!(ns[i].flag == CLONE_NEWNET && j->share_net))
			all |= ns[i].flag;
	/* all at once; one at a time only to name the one refused (or to
	 * make them all if only the combination was refused) */
	if (unshare(all))
		for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
			if ((all & ns[i].flag) && unshare(ns[i].flag))
				die("unshare(%s namespace)", ns[i].name);
	trace("namespaces made");
	if (sethostname(j->name, strlen(j->name)))
		die("sethostname");
	build_root(j);
	trace("root built");
	close_fds(j);
	drop_privileges(j);
	trace("privileges dropped; execve");
	execve(j->argv[0], j->argv, envp);
	die("execve %s", j->argv[0]);
}

/* --- the parent ----------------------------------------------------------- */

/*
 * Joins each group. The helper has one thread, so moving that thread moves
 * the process: on a cgroup v1 hierarchy it writes "0" (itself) to the
 * group's "tasks", which spares the kernel the global write lock (and its
 * RCU grace period, 5-15 ms on a loaded host) that cgroup.procs takes; v2
 * has no such file for a domain group and gets cgroup.procs.
 */
static void join_cgroups(const struct jail *j)
{
	char p[PATH_MAX], pid[32];
	int k, fd, n;

	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	for (k = 0; k < j->ncg; k++) {
		snprintf(p, sizeof(p), "%s/tasks", j->cg[k]);
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "0\n", 2) != 2)
				die("join cgroup %s", j->cg[k]);
			close(fd);
			continue;
		}
		snprintf(p, sizeof(p), "%s/cgroup.procs", j->cg[k]);
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pid, (size_t)n) != n)
			die("join cgroup %s", j->cg[k]);
		close(fd);
	}
}

static void status(const struct jail *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void status(const struct jail *j, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (j->status_fd >= 0) {
		if (write(j->status_fd, line, (size_t)n) < 0)
			n = 0;
		close(j->status_fd);
	} else if (strncmp(line, "ok ", 3)) {
		fprintf(stderr, "verge-jail: %.*s", n, line);
	}
}

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static void write_pidfile(const char *path, pid_t pid)
{
	char tmp[PATH_MAX], buf[32];
	int fd, n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die("%s: path too long", path);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	/* The directory is the VM's: whatever it left there is replaced,
	 * never followed. */
	if (unlink(tmp) && errno != ENOENT)
		die("unlink %s", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd) ||
	    rename(tmp, path))
		die("write %s", path);
}

int main(int argc, char **argv)
{
	struct jail j = { 0 };
	struct sigaction sa = { 0 };
	char msg[1024];
	int p[2], st;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	tracing = getenv("VERGE_JAIL_TRACE") &&
		  !strcmp(getenv("VERGE_JAIL_TRACE"), "1");
	parse(&j, argc, argv);
	if (j.status_fd >= 0 && fcntl(j.status_fd, F_SETFD, FD_CLOEXEC)) {
		perror("verge-jail: --status-fd");
		return 2;
	}
	status_fd = j.status_fd;
	join_cgroups(&j);
	trace("resource groups joined");
	if (unshare(CLONE_NEWPID)) {
		status(&j, "error unshare(pid namespace): %s",
		       strerror(errno));
		return 126;
	}
	if (pipe2(p, O_CLOEXEC)) {
		status(&j, "error pipe: %s", strerror(errno));
		return 126;
	}
	child = fork();
	if (child < 0) {
		status(&j, "error fork: %s", strerror(errno));
		return 126;
	}
	if (child == 0) {
		close(p[0]);
		errpipe = p[1];
		run_child(&j);
	}
	close(p[1]);
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	do
		n = read(p[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n > 0) {
		msg[n] = '\0';
		status(&j, "error %s", msg);
	} else {
		if (j.pidfile)
			write_pidfile(j.pidfile, child);
		status(&j, "ok %d", (int)child);
	}
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return 126;
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);	/* no core of ours */
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}
