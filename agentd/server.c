// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON-RPC Unix socket server (server.h). Each connection keeps its
 * unparsed bytes; complete lines are handed to rpc_process() one message
 * at a time, so replies leave in request order. While a message waits for
 * an asynchronous call the connection is not read.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

struct conn {
	uv_pipe_t pipe;
	uv_timer_t stall;
	struct server *srv;
	struct conn *prev, *next;
	char *buf;
	size_t len, cap;
	struct rpc_caller who;
	struct rpc_msg *pending;
	bool closing, reading, close_after_write, subscribed;
	char *sub_vm;
	int handles;		/* open uv handles, freed at 0 */
};

struct server {
	uv_pipe_t listener;
	const struct rpc_table *table;
	server_before_reply_fn before_reply;
	struct conn *conns;
	unsigned nconns;
	char *path;
	char readbuf[65536];
	bool stopping;
	uv_timer_t trim;	/* SERVER_TRIM_MS after a large reply */
	int handles;		/* listener and trim: freed at 0 */
};

static void conn_process(struct conn *c);

static void conn_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->handles)
		return;
	free(c->buf);
	free(c->sub_vm);
	free(c);
}

static void conn_close(struct conn *c)
{
	struct server *s = c->srv;

	if (c->closing)
		return;
	c->closing = true;
	if (c->pending)
		rpc_msg_detach(c->pending);
	c->pending = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	uv_close((uv_handle_t *)&c->pipe, conn_handle_closed);
	uv_close((uv_handle_t *)&c->stall, conn_handle_closed);
}

struct write_req {
	uv_write_t req;
	struct conn *conn;
	char *text;
	size_t len;
};

static void trim_cb(uv_timer_t *t)
{
	(void)t;
	malloc_trim(0);
}

static size_t queued(struct conn *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe);
}

static void set_reading(struct conn *c, bool on);

static void write_done(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct conn *c = w->conn;
	bool large = w->len >= SERVER_TRIM_BYTES;

	free(w->text);
	free(w);
	/* closing: the server may be gone (server_stop()) */
	if (c->closing)
		return;
	if (large)
		uv_timer_start(&c->srv->trim, trim_cb, SERVER_TRIM_MS, 0);
	if (status < 0) {
		log_debug("client %d: write: %s", (int)c->who.pid,
			  uv_strerror(status));
		conn_close(c);
	} else if (c->close_after_write && queued(c) == 0) {
		conn_close(c);
	} else if (!c->pending && queued(c) <= SERVER_RESUME_BYTES) {
		conn_process(c);
	}
}

/* Queues text (taken over) for the client. */
static void conn_write(struct conn *c, char *text, size_t len)
{
	struct write_req *w;
	uv_buf_t b;
	int r;

	if (c->closing || !text) {
		free(text);
		return;
	}
	w = malloc(sizeof(*w));
	if (!w) {
		free(text);
		conn_close(c);
		return;
	}
	w->conn = c;
	w->text = text;
	w->len = len;
	b = uv_buf_init(text, (unsigned)len);
	r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, write_done);
	if (r < 0) {
		free(text);
		free(w);
		conn_close(c);
	}
}

/* Refuses the rest of the connection: an error reply, then close. */
static void conn_refuse(struct conn *c, int code, const char *why)
{
	size_t len;
	char *text = rpc_error_text(code, why, &len);

	log_info("client pid %d uid %u: %s; closing", (int)c->who.pid,
		 (unsigned)c->who.uid, why);
	set_reading(c, false);
	c->len = 0;
	c->close_after_write = true;
	conn_write(c, text, len);
	if (!text)
		conn_close(c);
}

static void reply_done(void *conn, char *text, size_t len)
{
	struct conn *c = conn;
	bool was_pending = c->pending != NULL;

	if (text && c->srv->before_reply)
		c->srv->before_reply(c->srv->table->ctx);
	conn_write(c, text, len);
	c->pending = NULL;
	/* An asynchronous reply: carry on with what is buffered. */
	if (was_pending && !c->closing)
		conn_process(c);
}

static void stall_expired(uv_timer_t *t)
{
	conn_refuse(t->data, RPC_TIMEOUT,
		    "partial message left unfinished for 10 s");
}

static bool blank(const char *p, size_t n)
{
	while (n--)
		if (!strchr(" \t\r", *p++))
			return false;
	return true;
}

/* Runs complete lines until one waits, the client is too far behind, or
 * the buffer holds only a partial message. */
static void conn_process(struct conn *c)
{
	char *nl;
	size_t n;

	while (!c->closing && !c->pending && queued(c) <= SERVER_PAUSE_BYTES &&
	       (nl = memchr(c->buf, '\n', c->len))) {
		n = (size_t)(nl - c->buf);
		if (n > RPC_MAX_MESSAGE) {
			conn_refuse(c, RPC_TOO_LARGE, "message over 1 MiB");
			return;
		}
		if (rpc_check_depth(c->buf, n, RPC_MAX_DEPTH)) {
			conn_refuse(c, RPC_TOO_LARGE,
				    "message nested deeper than 32 levels");
			return;
		}
		if (!blank(c->buf, n)) {
			uv_timer_stop(&c->stall);
			c->pending = rpc_process(c->srv->table, &c->who,
						 c->buf, n, reply_done, c);
		}
		if (c->closing)
			return;
		memmove(c->buf, nl + 1, c->len - n - 1);
		c->len -= n + 1;
	}
	if (c->closing)
		return;
	if (c->len && !uv_is_active((uv_handle_t *)&c->stall))
		uv_timer_start(&c->stall, stall_expired, SERVER_STALL_MS, 0);
	else if (!c->len)
		uv_timer_stop(&c->stall);
	set_reading(c, !c->pending && queued(c) <= SERVER_PAUSE_BYTES);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = h->data;

	(void)hint;
	b->base = c->srv->readbuf;
	b->len = sizeof(c->srv->readbuf);
}

static int conn_append(struct conn *c, const char *data, size_t n)
{
	size_t cap = c->cap ? c->cap : 4096;
	char *p;

	while (cap < c->len + n)
		cap *= 2;
	if (cap != c->cap) {
		p = realloc(c->buf, cap);
		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	return 0;
}

static void read_cb(uv_stream_t *stream, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = stream->data;

	if (n < 0) {
		/* EOF or error: pending replies are dropped */
		conn_close(c);
		return;
	}
	if (!n)
		return;
	/* The limit is checked before buffering: a client can make verged
	 * hold at most 1 MiB plus one read. */
	if (!memchr(b->base, '\n', (size_t)n) &&
	    c->len + (size_t)n > RPC_MAX_MESSAGE) {
		conn_refuse(c, RPC_TOO_LARGE, "message over 1 MiB");
		return;
	}
	if (conn_append(c, b->base, (size_t)n)) {
		conn_refuse(c, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	conn_process(c);
}

static void set_reading(struct conn *c, bool on)
{
	if (c->closing || on == c->reading)
		return;
	c->reading = on;
	if (on)
		uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
	else
		uv_read_stop((uv_stream_t *)&c->pipe);
}

static void peer_creds(struct conn *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	c->who.uid = (uid_t)-1;
	c->who.gid = (gid_t)-1;
	c->who.pid = 0;
	c->who.ngroups = -1;
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->who.uid = cred.uid;
		c->who.gid = cred.gid;
		c->who.pid = cred.pid;
		len = sizeof(c->who.groups);
		c->who.ngroups = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS,
					    c->who.groups, &len) ? -1 :
				 (int)(len / sizeof(gid_t));
	}
	c->who.conn = c;
}

/* The listener's and the trim timer's close callback: frees at the
 * second. */
static void listener_closed(uv_handle_t *h)
{
	struct server *s = h->data;

	if (--s->handles)
		return;
	free(s->path);
	free(s);
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct server *s = listener->data;
	struct conn *c;

	if (status < 0) {
		log_warn("accept: %s", uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = s;
	uv_pipe_init(listener->loop, &c->pipe, 0);
	uv_timer_init(listener->loop, &c->stall);
	c->pipe.data = c->stall.data = c;
	c->handles = 2;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	if (uv_accept(listener, (uv_stream_t *)&c->pipe)) {
		conn_close(c);
		return;
	}
	peer_creds(c);
	set_reading(c, true);
}

/* Another verged answering on path? Then do not steal its socket. */
static bool socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0;
}

int server_start(uv_loop_t *loop, const char *path, gid_t group,
		 bool has_group, const struct rpc_table *table,
		 server_before_reply_fn before_reply,
		 struct server **ret_server)
{
	struct server *s;
	int r;

	if (socket_in_use(path)) {
		log_err("%s: another verged is listening there", path);
		return -EADDRINUSE;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->table = table;
	s->before_reply = before_reply;
	s->path = strdup(path);
	uv_pipe_init(loop, &s->listener, 0);
	uv_timer_init(loop, &s->trim);
	s->listener.data = s->trim.data = s;
	s->handles = 2;
	unlink(path);
	r = uv_pipe_bind(&s->listener, path);
	if (!r)
		r = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
	if (r) {
		log_err("%s: %s", path, uv_strerror(r));
		s->stopping = true;
		uv_close((uv_handle_t *)&s->listener, listener_closed);
		uv_close((uv_handle_t *)&s->trim, listener_closed);
		return r;
	}
	if (chmod(path, 0660))
		log_warn("%s: chmod: %s", path, strerror(errno));
	if (has_group && chown(path, (uid_t)-1, group))
		log_warn("%s: chown: %s", path, strerror(errno));
	*ret_server = s;
	return 0;
}


void server_stop(struct server *s)
{
	if (!s)
		return;
	s->stopping = true;
	while (s->conns)
		conn_close(s->conns);
	unlink(s->path);
	uv_close((uv_handle_t *)&s->listener, listener_closed);
	uv_close((uv_handle_t *)&s->trim, listener_closed);
}

int server_subscribe(struct server *s, void *conn, const char *vm)
{
	struct conn *c = conn;

	(void)s;
	if (!c)
		return -EINVAL;
	free(c->sub_vm);
	c->sub_vm = vm ? strdup(vm) : NULL;
	c->subscribed = true;
	return 0;
}

void server_broadcast(struct server *s, const char *vm, json_t *event)
{
	struct conn *c, *next;
	json_t *note = NULL;
	char *text = NULL, *copy;
	size_t len = 0;

	for (c = s->conns; c; c = next) {
		next = c->next;
		if (!c->subscribed || c->closing ||
		    (c->sub_vm && (!vm || strcmp(c->sub_vm, vm))))
			continue;
		if (queued(c) > SERVER_DROP_BYTES) {
			log_warn("subscriber pid %d reads no events; closing",
				 (int)c->who.pid);
			conn_close(c);
			continue;
		}
		if (!note) {
			note = json_pack("{ss ss sO}", "jsonrpc", "2.0",
					 "method", "event", "params", event);
			text = json_dumps(note, JSON_COMPACT);
			if (!text)
				break;
			len = strlen(text);
			/* overwrites the NUL: len + 1 bytes to send */
			text[len] = '\n';
		}
		copy = malloc(len + 1);
		if (copy)
			memcpy(copy, text, len + 1);
		conn_write(c, copy, len + 1);
	}
	json_decref(note);
	free(text);
}

unsigned server_connections(const struct server *s)
{
	return s->nconns;
}
