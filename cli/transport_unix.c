// SPDX-License-Identifier: Apache-2.0
/* The Unix socket transport: newline-delimited JSON texts (jsonrpc.md). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport.h"

struct unix_transport {
	struct cli_transport t;
	int fd;
	char *buf;		/* received, not yet returned */
	size_t len, cap;
	size_t scanned;		/* bytes of buf known to hold no '\n' */
};

/* Waits for the socket; a signal ends the wait so Ctrl-C is prompt. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left = -1;
	int r;

	if (deadline >= 0) {
		left = deadline - cli_now_ms();
		if (left < 0)
			left = 0;
	}
	r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
	if (r < 0)
		return -errno;
	if (r == 0)
		return deadline >= 0 && cli_now_ms() >= deadline ?
			-ETIMEDOUT : 0;
	return 0;
}

static int unix_send(struct cli_transport *t, const char *msg, size_t len,
		     int64_t deadline)
{
	struct unix_transport *u = (struct unix_transport *)t;
	ssize_t n;
	int r;

	while (len) {
		n = send(u->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			msg += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EPIPE)
			return -ECONNRESET;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		r = wait_fd(u->fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Hands out the first line in the buffer, if there is a whole one. */
static int take_line(struct unix_transport *u, char **ret_msg,
		     size_t *ret_len)
{
	char *nl = memchr(u->buf + u->scanned, '\n', u->len - u->scanned);
	size_t n;
	char *msg;

	if (!nl) {
		u->scanned = u->len;
		return -EAGAIN;
	}
	n = (size_t)(nl - u->buf);
	msg = malloc(n + 1);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, u->buf, n);
	msg[n] = '\0';
	memmove(u->buf, nl + 1, u->len - n - 1);
	u->len -= n + 1;
	u->scanned = 0;
	*ret_msg = msg;
	*ret_len = n;
	return 0;
}

/* Small messages stay in the first buffer; big ones double it. */
#define BUF_START	16384
#define BUF_SPARE	4096

static int fill(struct unix_transport *u)
{
	ssize_t n;
	char *b;

	if (u->cap - u->len < BUF_SPARE) {
		if (u->cap > CLI_MAX_MESSAGE)
			return -EMSGSIZE;
		b = realloc(u->buf, u->cap * 2);
		if (!b)
			return -ENOMEM;
		u->buf = b;
		u->cap *= 2;
	}
	n = recv(u->fd, u->buf + u->len, u->cap - u->len, MSG_DONTWAIT);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN :
			-errno;
	u->len += (size_t)n;
	return 0;
}

static int unix_recv(struct cli_transport *t, int64_t deadline,
		     char **ret_msg, size_t *ret_len)
{
	struct unix_transport *u = (struct unix_transport *)t;
	int r;

	for (;;) {
		r = take_line(u, ret_msg, ret_len);
		if (r != -EAGAIN)
			return r;
		if (u->len > CLI_MAX_MESSAGE)
			return -EMSGSIZE;
		r = fill(u);
		if (r == -EAGAIN)
			r = wait_fd(u->fd, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

static void unix_close(struct cli_transport *t)
{
	struct unix_transport *u = (struct unix_transport *)t;

	if (!u)
		return;
	close(u->fd);
	free(u->buf);
	free(u);
}

static const struct cli_transport_ops unix_ops = {
	.send = unix_send,
	.recv = unix_recv,
	.close = unix_close,
};

int cli_unix_open(const char *path, int64_t deadline,
		  struct cli_transport **ret_t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct unix_transport *u;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A local connect() does not block unless the backlog is full. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		if (r != -EAGAIN || cli_now_ms() >= deadline) {
			close(fd);
			return r == -EAGAIN ? -ETIMEDOUT : r;
		}
		usleep(10000);
	}
	u = calloc(1, sizeof(*u));
	if (u)
		u->buf = malloc(BUF_START);
	if (!u || !u->buf) {
		free(u);
		close(fd);
		return -ENOMEM;
	}
	u->t.ops = &unix_ops;
	u->fd = fd;
	u->cap = BUF_START;
	*ret_t = &u->t;
	return 0;
}
