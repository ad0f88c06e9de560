// SPDX-License-Identifier: Apache-2.0
/*
 * QMP client (qmp.h). QMP is newline-separated JSON objects: a greeting,
 * then replies ({"return"} or {"error"}) in command order and events
 * ({"event"}) at any time. Commands carry an "id" that we match anyway.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "jail.h"
#include "qmp.h"

#define QMP_RETRY_MS	100
#define QMP_MAX_LINE	(256 * 1024)

struct qmp_cmd {
	struct qmp_cmd *next;
	json_int_t id;
	qmp_reply_fn cb;
	void *arg;
};

struct qmp {
	uv_loop_t *loop;
	uv_pipe_t *pipe;	/* NULL between connections */
	uv_timer_t *retry;
	uv_connect_t connect_req;
	char *path;
	const struct qmp_ops *ops;
	void *arg;
	bool up, closing, connecting;
	long long peer_uid;	/* the server's uid (jails), -1: any */
	json_int_t next_id;
	struct qmp_cmd *cmds, **cmds_tail;
	char *buf;
	size_t len;
	char rbuf[16384];
};

static void free_handle(uv_handle_t *h)
{
	free(h);
}

/* Ends the pending commands; their callbacks run if tell. */
static void fail_cmds(struct qmp *q, bool tell)
{
	struct qmp_cmd *c;

	while ((c = q->cmds)) {
		q->cmds = c->next;
		if (tell && c->cb)
			c->cb(c->arg, NULL, NULL);
		free(c);
	}
	q->cmds_tail = &q->cmds;
}

static void start_connect(struct qmp *q);

static void retry_cb(uv_timer_t *t)
{
	start_connect(t->data);
}

/* The connection ended: tell the owner, and try again unless closing. */
static void disconnect(struct qmp *q)
{
	bool was_up = q->up;

	if (q->pipe) {
		q->pipe->data = NULL;
		uv_close((uv_handle_t *)q->pipe, free_handle);
		q->pipe = NULL;
	}
	q->up = false;
	q->len = 0;
	uv_timer_start(q->retry, retry_cb, QMP_RETRY_MS, 0);
	fail_cmds(q, true);
	/* Last: the owner may close us from here. */
	if (was_up && q->ops->state)
		q->ops->state(q->arg, false);
}



static void caps_done(void *arg, json_t *ret, json_t *err)
{
	struct qmp *q = arg;

	if (!ret) {
		if (err)
			log_warn("%s: qmp_capabilities refused", q->path);
		return;
	}
	q->up = true;
	if (q->ops->state)
		q->ops->state(q->arg, true);
}

static void handle_reply(struct qmp *q, json_t *msg)
{
	struct qmp_cmd *c = q->cmds;
	json_t *id = json_object_get(msg, "id");

	if (!c || !json_is_integer(id) || json_integer_value(id) != c->id) {
		log_warn("%s: unexpected QMP reply", q->path);
		return;
	}
	q->cmds = c->next;
	if (!q->cmds)
		q->cmds_tail = &q->cmds;
	if (c->cb)
		c->cb(c->arg, json_object_get(msg, "return"),
		      json_object_get(msg, "error"));
	free(c);
}

static void handle_line(struct qmp *q, const char *line, size_t n)
{
	json_t *msg = json_loadb(line, n, 0, NULL), *ev;

	if (!json_is_object(msg)) {
		log_warn("%s: QMP sent something that is not a JSON object",
			 q->path);
		json_decref(msg);
		return;
	}
	if (json_object_get(msg, "QMP")) {
		qmp_command(q, "qmp_capabilities", NULL, caps_done, q);
	} else if ((ev = json_object_get(msg, "event"))) {
		if (json_is_string(ev) && q->ops->event)
			q->ops->event(q->arg, json_string_value(ev),
				      json_object_get(msg, "data"));
	} else {
		handle_reply(q, msg);
	}
	json_decref(msg);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct qmp *q = h->data;

	(void)hint;
	b->base = q->rbuf;
	b->len = sizeof(q->rbuf);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct qmp *q = s->data;
	char *nl, *p;

	if (!q)
		return;
	if (n < 0) {
		disconnect(q);
		return;
	}
	if (q->len + (size_t)n > QMP_MAX_LINE) {
		log_warn("%s: QMP line over %d bytes", q->path, QMP_MAX_LINE);
		disconnect(q);
		return;
	}
	p = realloc(q->buf, q->len + (size_t)n + 1);
	if (!p) {
		disconnect(q);
		return;
	}
	q->buf = p;
	memcpy(q->buf + q->len, b->base, (size_t)n);
	q->len += (size_t)n;
	while (q->pipe && (nl = memchr(q->buf, '\n', q->len))) {
		size_t line = (size_t)(nl - q->buf);

		handle_line(q, q->buf, line);
		if (!q->pipe)	/* the handler closed us */
			return;
		memmove(q->buf, nl + 1, q->len - line - 1);
		q->len -= line + 1;
	}
}

static void connect_cb(uv_connect_t *req, int status)
{
	struct qmp *q = req->data;

	q->connecting = false;
	if (q->closing) {
		if (q->pipe) {
			uv_close((uv_handle_t *)q->pipe, free_handle);
			q->pipe = NULL;
		}
		free(q->buf);
		free(q->path);
		free(q);
		return;
	}
	if (status < 0 || !jail_peer_is(q->pipe, q->peer_uid, q->path)) {
		uv_close((uv_handle_t *)q->pipe, free_handle);
		q->pipe = NULL;
		uv_timer_start(q->retry, retry_cb, QMP_RETRY_MS, 0);
		return;
	}
	uv_read_start((uv_stream_t *)q->pipe, alloc_cb, read_cb);
}

static void start_connect(struct qmp *q)
{
	q->pipe = calloc(1, sizeof(*q->pipe));
	if (!q->pipe) {
		uv_timer_start(q->retry, retry_cb, QMP_RETRY_MS, 0);
		return;
	}
	uv_pipe_init(q->loop, q->pipe, 0);
	q->pipe->data = q;
	q->connect_req.data = q;
	q->connecting = true;
	uv_pipe_connect(&q->connect_req, q->pipe, q->path, connect_cb);
}

int qmp_open(uv_loop_t *loop, const char *path, const struct qmp_ops *ops,
	     void *arg, struct qmp **ret_qmp)
{
	struct qmp *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->retry = calloc(1, sizeof(*q->retry));
	q->path = strdup(path);
	if (!q->retry || !q->path) {
		free(q->retry);
		free(q->path);
		free(q);
		return -ENOMEM;
	}
	q->loop = loop;
	q->peer_uid = -1;
	q->ops = ops;
	q->arg = arg;
	q->cmds_tail = &q->cmds;
	q->next_id = 1;
	uv_timer_init(loop, q->retry);
	q->retry->data = q;
	start_connect(q);
	*ret_qmp = q;
	return 0;
}

struct qmp_write {
	uv_write_t req;
	char *text;
};

static void write_cb(uv_write_t *req, int status)
{
	struct qmp_write *w = (struct qmp_write *)req;

	(void)status;	/* a failed write also ends the read side */
	free(w->text);
	free(w);
}

static int send_json(struct qmp *q, json_t *j)
{
	struct qmp_write *w;
	size_t n;
	uv_buf_t b;
	int r;

	if (!q->pipe || q->connecting)
		return -ENOTCONN;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->text = json_dumps(j, JSON_COMPACT);
	if (!w->text) {
		free(w);
		return -ENOMEM;
	}
	n = strlen(w->text);
	w->text[n] = '\n';
	b = uv_buf_init(w->text, (unsigned)n + 1);
	r = uv_write(&w->req, (uv_stream_t *)q->pipe, &b, 1, write_cb);
	if (r) {
		free(w->text);
		free(w);
	}
	return r;
}

int qmp_command(struct qmp *q, const char *cmd, json_t *args,
		qmp_reply_fn cb, void *arg)
{
	struct qmp_cmd *c = calloc(1, sizeof(*c));
	json_t *j;
	int r;

	if (!c) {
		json_decref(args);
		return -ENOMEM;
	}
	c->id = q->next_id++;
	c->cb = cb;
	c->arg = arg;
	j = json_pack("{ss sI}", "execute", cmd, "id", c->id);
	if (args)
		json_object_set_new(j, "arguments", args);
	r = send_json(q, j);
	json_decref(j);
	if (r) {
		free(c);
		return r;
	}
	*q->cmds_tail = c;
	q->cmds_tail = &c->next;
	return 0;
}

bool qmp_up(const struct qmp *q)
{
	return q && q->up;
}

static void retry_closed(uv_handle_t *h)
{
	free(h);
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	q->closing = true;
	fail_cmds(q, false);
	uv_close((uv_handle_t *)q->retry, retry_closed);
	if (q->connecting)
		return;		/* connect_cb frees */
	if (q->pipe) {
		q->pipe->data = NULL;
		uv_close((uv_handle_t *)q->pipe, free_handle);
	}
	free(q->buf);
	free(q->path);
	free(q);
}

void qmp_expect_peer(struct qmp *q, long long uid)
{
	if (q)
		q->peer_uid = uid;
}
