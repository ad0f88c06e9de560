// SPDX-License-Identifier: Apache-2.0
/*
 * verged: the verge host daemon. One libuv loop; see docs/verged.md and
 * verged(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "qemu.h"
#include "token.h"
#include "verged.h"

/*
 * Tells systemd (Type=notify) how we are, with the documented datagram
 * on $NOTIFY_SOCKET (sd_notify(3)); '@' is an abstract socket. Without
 * the variable, nothing to do.
 */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			  strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, len) < 0)
		log_warn("sd_notify: %s", strerror(errno));
	close(fd);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct verged *d = s->data;

	log_info("signal %d: stopping; the VMs keep running", signum);
	notify("STOPPING=1");
	uv_signal_stop(&d->sig_term);
	uv_signal_stop(&d->sig_int);
	verged_shutdown(d);
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
}

/*
 * Without --foreground: fork, and let the parent exit once the child
 * listens (its status through a pipe), so `verged && verge vm list`
 * works in scripts.
 */
static int daemonize(int *ret_fd)
{
	int p[2], fd;
	char status = 1;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(p[0]);
	setsid();
	/* stdin and stdout go; stderr stays, for the log */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	*ret_fd = p[1];
	return 0;
}

static void report_ready(int fd, char status)
{
	if (fd < 0)
		return;
	if (write(fd, &status, 1) != 1)
		log_warn("cannot tell the parent process");
	close(fd);
}

/* Each client is one descriptor and each VM four: take what we may. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --make-token (the packages' postinst): create [rest] token_file if it
 * is missing, check it, and exit. */
static int make_token(const struct verged_config *c)
{
	struct group *g = getgrnam(c->group);
	char *token = NULL;
	int r = token_load(c->rest_token_file, g ? g->gr_gid : (gid_t)-1,
			   g != NULL, &token);

	if (token)
		memset(token, 0, strlen(token));
	free(token);
	if (r)
		return 1;
	printf("%s\n", c->rest_token_file);
	return 0;
}

/*
 * verged gives memory back itself, when it is idle (after a snapshot
 * publish, 1 s after large replies: rest.c, server.c). malloc's own
 * trimming at every free() of the heap's top, and mmap() per large
 * buffer, made each vm.list of 10 clients at once shrink and regrow the
 * heap (page faults, TLB shootdowns to the REST threads): 70-100 us of
 * verged's CPU per call against 46 with these (docs/verged.md).
 */
static void malloc_policy(void)
{
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

int main(int argc, char **argv)
{
	static struct verged d;
	uv_loop_t *loop;
	int r, ready_fd = -1;

	malloc_policy();
	r = config_parse_args(&d.cfg, argc, argv);
	if (r)
		return r > 0 ? 0 : 2;
	log_init(d.cfg.verbose);
	if (config_load(&d.cfg)) {
		config_free(&d.cfg);
		return 1;
	}
	log_init(d.cfg.verbose);
	/* the QEMU binary and its CPU models, before anything is served */
	if (!d.cfg.make_token && qemu_probe(&d.cfg)) {
		config_free(&d.cfg);
		return 1;
	}
	if (d.cfg.make_token) {
		r = make_token(&d.cfg);
		config_free(&d.cfg);
		return r;
	}
	if (!d.cfg.foreground && daemonize(&ready_fd)) {
		log_err("cannot fork: %s", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit (LimitFSIZE=) fails the write: an error reply
	 * for the change that could not be stored, not a dead daemon. */
	signal(SIGXFSZ, SIG_IGN);
	raise_fd_limit();
	loop = uv_default_loop();
	r = verged_init(&d, loop);
	if (!r)
		r = verged_listen(&d);
	if (r) {
		log_err("cannot start: %s", strerror(-r));
		verged_shutdown(&d);
		uv_run(loop, UV_RUN_DEFAULT);
		report_ready(ready_fd, 1);
		config_free(&d.cfg);
		uv_loop_close(loop);
		return 1;
	}
	uv_signal_init(loop, &d.sig_term);
	uv_signal_init(loop, &d.sig_int);
	d.sig_term.data = d.sig_int.data = &d;
	uv_signal_start(&d.sig_term, on_signal, SIGTERM);
	uv_signal_start(&d.sig_int, on_signal, SIGINT);
	log_info("verged %s listening on %s (state %s, run %s)",
		 VERGED_VERSION, d.cfg.socket_path, d.cfg.state_dir,
		 d.cfg.run_dir);
	notify("READY=1");
	report_ready(ready_fd, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	r = uv_loop_close(loop);
	if (r)
		log_warn("loop closed with handles open: %s", uv_strerror(r));
	config_free(&d.cfg);
	return 0;
}
