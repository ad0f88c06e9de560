// SPDX-License-Identifier: Apache-2.0
/*
 * Management-channel client (hvlink.h). One pending list ordered by
 * deadline is enough: every request has the same timeout, so the oldest
 * expires first and a single timer follows the head of the list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <verge_evq.h>

#include "hvlink.h"
#include "jail.h"
#include "log.h"

#define HVLINK_RETRY_MS	200

struct hv_req {
	struct hv_req *next;
	uint32_t seq;
	uint8_t type;
	uint64_t deadline;
	hvlink_reply_fn cb;
	void *arg;
};

struct hvlink {
	uv_loop_t *loop;
	uv_pipe_t *pipe;
	uv_timer_t *timer;	/* reconnect, or the first deadline */
	uv_connect_t connect_req;
	char *path;
	const struct hvlink_ops *ops;
	void *arg;
	int timeout_ms;
	bool up, closing, connecting;
	long long peer_uid;	/* the server's uid (jails), -1: any */
	bool no_held;		/* the hypervisor predates held events */
	bool has_cpu;		/* its HELLO said what the core offers */
	struct vp_hello_cpu cpu;
	uint16_t hello_flags;	/* VP_HELLO_F_* of the last HELLO */
	struct vp_evcursor cur;	/* held events passed on */
	uint32_t seq;
	struct hv_req *reqs, **reqs_tail;
	struct vp_decoder dec;
	struct vp_frame frame;
	char rbuf[4096];
};

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void start_connect(struct hvlink *l);
static void arm_timer(struct hvlink *l);

/*
 * Answers every pending request with err. A callback may start other
 * work (the JSON-RPC client's next message), so each request leaves the
 * list, whole, before its callback runs; callers make hvlink_request()
 * refuse first, so nothing joins the list meanwhile.
 */
static void end_reqs(struct hvlink *l, int err)
{
	struct hv_req *r;

	while ((r = l->reqs)) {
		l->reqs = r->next;
		if (!l->reqs)
			l->reqs_tail = &l->reqs;
		r->cb(r->arg, err, NULL);
		free(r);
	}
}

static void timer_cb(uv_timer_t *t)
{
	struct hvlink *l = t->data;
	uint64_t now = uv_now(l->loop);
	struct hv_req *r;

	if (!l->pipe) {
		start_connect(l);
		return;
	}
	while ((r = l->reqs) && r->deadline <= now) {
		l->reqs = r->next;
		if (!l->reqs)
			l->reqs_tail = &l->reqs;
		log_warn("%s: no reply to %s within %d ms", l->path,
			 vp_type_name(r->type), l->timeout_ms);
		r->cb(r->arg, -ETIMEDOUT, NULL);
		free(r);
	}
	arm_timer(l);
}

static void arm_timer(struct hvlink *l)
{
	uint64_t now = uv_now(l->loop);

	if (!l->pipe)
		uv_timer_start(l->timer, timer_cb, HVLINK_RETRY_MS, 0);
	else if (l->reqs)
		uv_timer_start(l->timer, timer_cb, l->reqs->deadline > now ?
			       l->reqs->deadline - now : 0, 0);
	else
		uv_timer_stop(l->timer);
}

static void disconnect(struct hvlink *l)
{
	bool was_up = l->up;

	if (l->pipe) {
		l->pipe->data = NULL;
		uv_close((uv_handle_t *)l->pipe, free_handle);
		l->pipe = NULL;
	}
	l->up = false;
	l->cur.waiting = true;	/* until the next connection's replay */
	vp_decoder_init(&l->dec);
	arm_timer(l);
	end_reqs(l, -ECONNRESET);
	if (was_up && l->ops->state)
		l->ops->state(l->arg, false);
}

static void ask_replay(struct hvlink *l);

/* The reply to a replay request: the hypervisor's boot and what it
 * dropped; the replay itself follows as events. */
static void replay_done(void *arg, int err, const struct vp_frame *f)
{
	struct hvlink *l = arg;
	struct vp_events_state st;
	char why[128];
	int32_t code = 0;
	uint64_t lost;

	if (l->closing || err == -ECONNRESET)
		return;
	if (err == -EPROTO) {
		hvlink_error_text(f, why, sizeof(why), &code);
		if (code == VP_E_UNKNOWN_TYPE) {
			log_warn("%s: the hypervisor predates held events; "
				 "boot events sent before verged attached "
				 "are lost", l->path);
			l->no_held = true;
			return;
		}
	}
	if (err) {
		log_warn("%s: replay of held events failed (%d); "
			 "reconnecting", l->path, err);
		disconnect(l);
		return;
	}
	memcpy(&st, f->payload, sizeof(st));
	lost = vp_evcursor_synced(&l->cur, &st);
	log_debug("%s: held events: boot %llx, replay %u-%u", l->path,
		  (unsigned long long)st.boot_id, l->cur.seq + 1,
		  st.next_seq - 1);
	if (lost) {
		log_warn("%s: the hypervisor dropped %llu boot or power events"
			 " before verged could record them", l->path,
			 (unsigned long long)lost);
		if (l->ops->lost)
			l->ops->lost(l->arg, lost);
	}
}

static void ask_replay(struct hvlink *l)
{
	struct vp_events_ack a;

	vp_evcursor_ack(&l->cur, VP_ACK_REPLAY, &a);
	if (hvlink_request(l, VP_EVENTS_ACK, &a, sizeof(a), replay_done, l))
		log_warn("%s: cannot ask for held events", l->path);
}

static void ack_done(void *arg, int err, const struct vp_frame *f)
{
	struct hvlink *l = arg;

	(void)f;
	if (err && err != -ECONNRESET && !l->closing)
		log_debug("%s: EVENTS_ACK failed (%d)", l->path, err);
}

void hvlink_ack(struct hvlink *l)
{
	struct vp_events_ack a;

	if (!l || !l->up || l->no_held)
		return;
	vp_evcursor_ack(&l->cur, 0, &a);
	hvlink_request(l, VP_EVENTS_ACK, &a, sizeof(a), ack_done, l);
}

void hvlink_set_cursor(struct hvlink *l, uint64_t boot_id, uint32_t seq)
{
	vp_evcursor_init(&l->cur, boot_id, seq);
}

void hvlink_cursor(const struct hvlink *l, uint64_t *ret_boot_id,
		   uint32_t *ret_seq)
{
	*ret_boot_id = l->cur.boot_id;
	*ret_seq = l->cur.seq;
}

/* A held event: passed on only when it is the next one (proto/evq.c). */
static void held_event(struct hvlink *l, const struct vp_frame *f)
{
	int want = vp_payload_size(f->hdr.type, f->hdr.flags);

	if (want < 0 || f->hdr.len != (uint32_t)want) {
		log_warn("%s: event %s of %u bytes; ignored", l->path,
			 vp_type_name(f->hdr.type), f->hdr.len);
		return;
	}
	switch (vp_evcursor_event(&l->cur, vp_event_boot_id(f->payload,
							    f->hdr.len),
				  f->hdr.seq)) {
	case VP_EVC_TAKE:
		if (l->ops->event)
			l->ops->event(l->arg, f);
		break;
	case VP_EVC_SKIP:
		break;
	case VP_EVC_RESYNC:
		log_debug("%s: held event %u out of order; asking again",
			  l->path, f->hdr.seq);
		ask_replay(l);
		break;
	}
}

/* A HELLO that fails (often: the hypervisor is still booting when the
 * deadline passes) is tried again on a fresh connection. */
static void hello_done(void *arg, int err, const struct vp_frame *f)
{
	struct hvlink *l = arg;
	struct vp_hello_reply h;

	if (l->closing || err == -ECONNRESET)
		return;
	if (err) {
		log_debug("%s: HELLO failed (%d); reconnecting", l->path, err);
		disconnect(l);
		return;
	}
	if (!vp_hello_reply_size_ok(f->hdr.len)) {
		log_err("%s: HELLO reply of %u bytes", l->path, f->hdr.len);
		disconnect(l);
		return;
	}
	memcpy(&h, f->payload, sizeof(h));
	l->has_cpu = f->hdr.len > sizeof(h);
	if (l->has_cpu)
		memcpy(&l->cpu, f->payload + sizeof(h), sizeof(l->cpu));
	if (h.version != VP_VERSION) {
		log_err("%s: hypervisor speaks protocol %u, verged %u",
			l->path, h.version, VP_VERSION);
		return;
	}
	log_debug("%s: hypervisor %06x", l->path, h.hv_version);
	l->hello_flags = h.flags;
	l->up = true;
	l->no_held = false;
	ask_replay(l);
	if (l->ops->state)
		l->ops->state(l->arg, true);
}

static void handle_reply(struct hvlink *l, const struct vp_frame *f)
{
	struct hv_req *r = l->reqs, **pp = &l->reqs;
	int want, err = 0;

	for (; r && r->seq != f->hdr.seq; pp = &r->next, r = r->next)
		;
	if (!r) {
		log_debug("%s: reply to no request (seq %u)", l->path,
			  f->hdr.seq);
		return;
	}
	*pp = r->next;
	if (l->reqs_tail == &r->next)
		l->reqs_tail = pp;
	want = vp_payload_size(f->hdr.type, f->hdr.flags);
	if (f->hdr.flags & VP_F_ERROR)
		err = f->hdr.len >= 4 ? -EPROTO : -EBADMSG;
	else if (f->hdr.type != r->type ||
		 (want >= 0 && f->hdr.len != (uint32_t)want))
		err = -EBADMSG;
	r->cb(r->arg, err, err == -EBADMSG ? NULL : f);
	free(r);
	arm_timer(l);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct hvlink *l = h->data;

	(void)hint;
	b->base = l->rbuf;
	b->len = sizeof(l->rbuf);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct hvlink *l = s->data;
	size_t off = 0;

	if (!l)
		return;
	if (n < 0) {
		disconnect(l);
		return;
	}
	while (off < (size_t)n && l->pipe) {
		off += vp_decoder_push(&l->dec, b->base + off, (size_t)n - off);
		while (l->pipe && vp_decoder_next(&l->dec, &l->frame)) {
			if (l->frame.hdr.flags & VP_F_REPLY)
				handle_reply(l, &l->frame);
			else if (!(l->frame.hdr.flags & VP_F_EVENT))
				continue;
			else if (vp_event_held(l->frame.hdr.type) &&
				 !l->no_held)
				held_event(l, &l->frame);
			else if (l->ops->event)
				l->ops->event(l->arg, &l->frame);
		}
	}
}

static void connect_cb(uv_connect_t *req, int status)
{
	struct hvlink *l = req->data;
	struct vp_hello h = { VP_VERSION, VP_VERSION };

	l->connecting = false;
	if (l->closing) {
		uv_close((uv_handle_t *)l->pipe, free_handle);
		free(l->path);
		free(l);
		return;
	}
	if (status < 0 || !jail_peer_is(l->pipe, l->peer_uid, l->path)) {
		uv_close((uv_handle_t *)l->pipe, free_handle);
		l->pipe = NULL;
		arm_timer(l);
		return;
	}
	uv_read_start((uv_stream_t *)l->pipe, alloc_cb, read_cb);
	hvlink_request(l, VP_HELLO, &h, sizeof(h), hello_done, l);
}

static void start_connect(struct hvlink *l)
{
	l->pipe = calloc(1, sizeof(*l->pipe));
	if (!l->pipe) {
		arm_timer(l);
		return;
	}
	uv_pipe_init(l->loop, l->pipe, 0);
	l->pipe->data = l;
	l->connect_req.data = l;
	l->connecting = true;
	uv_pipe_connect(&l->connect_req, l->pipe, l->path, connect_cb);
}

int hvlink_open(uv_loop_t *loop, const char *path, int timeout_ms,
		const struct hvlink_ops *ops, void *arg,
		struct hvlink **ret_link)
{
	struct hvlink *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->timer = calloc(1, sizeof(*l->timer));
	l->path = strdup(path);
	if (!l->timer || !l->path) {
		free(l->timer);
		free(l->path);
		free(l);
		return -ENOMEM;
	}
	l->loop = loop;
	l->peer_uid = -1;
	l->ops = ops;
	l->arg = arg;
	l->timeout_ms = timeout_ms;
	l->reqs_tail = &l->reqs;
	vp_decoder_init(&l->dec);
	vp_evcursor_init(&l->cur, 0, 0);
	uv_timer_init(loop, l->timer);
	l->timer->data = l;
	start_connect(l);
	*ret_link = l;
	return 0;
}

struct hv_write {
	uv_write_t req;
	uint8_t buf[VP_MAX_FRAME];
};

static void write_cb(uv_write_t *req, int status)
{
	(void)status;	/* a broken connection shows on the read side */
	free(req);
}

int hvlink_request(struct hvlink *l, uint8_t type, const void *payload,
		   uint32_t len, hvlink_reply_fn cb, void *arg)
{
	struct hv_write *w;
	struct hv_req *r;
	uv_buf_t b;
	size_t n;

	if (!l->pipe || l->connecting || l->closing)
		return -ENOTCONN;
	w = malloc(sizeof(*w));
	r = calloc(1, sizeof(*r));
	if (!w || !r) {
		free(w);
		free(r);
		return -ENOMEM;
	}
	r->seq = ++l->seq;
	r->type = type;
	r->cb = cb;
	r->arg = arg;
	r->deadline = uv_now(l->loop) + (uint64_t)l->timeout_ms;
	n = vp_encode(w->buf, sizeof(w->buf), type, 0, r->seq, payload, len);
	b = uv_buf_init((char *)w->buf, (unsigned)n);
	if (!n || uv_write(&w->req, (uv_stream_t *)l->pipe, &b, 1,
			   write_cb)) {
		free(w);
		free(r);
		return n ? -EIO : -EMSGSIZE;
	}
	*l->reqs_tail = r;
	l->reqs_tail = &r->next;
	if (l->reqs == r)
		arm_timer(l);
	return 0;
}

const struct vp_hello_cpu *hvlink_cpu(const struct hvlink *l)
{
	return l && l->has_cpu ? &l->cpu : NULL;
}

uint16_t hvlink_hello_flags(const struct hvlink *l)
{
	return l ? l->hello_flags : 0;
}

bool hvlink_up(const struct hvlink *l)
{
	return l && l->up;
}

void hvlink_close(struct hvlink *l)
{
	if (!l)
		return;
	l->closing = true;	/* hvlink_request refuses from here on */
	l->up = false;
	end_reqs(l, -ECONNRESET);
	uv_close((uv_handle_t *)l->timer, free_handle);
	if (l->connecting)
		return;		/* connect_cb frees */
	if (l->pipe) {
		l->pipe->data = NULL;
		uv_close((uv_handle_t *)l->pipe, free_handle);
	}
	free(l->path);
	free(l);
}

const char *hvlink_error_text(const struct vp_frame *f, char *buf, size_t n,
			      int32_t *ret_code)
{
	size_t i, m = 0;

	if (!f || f->hdr.len < 4) {
		snprintf(buf, n, "malformed error reply");
		return buf;
	}
	memcpy(ret_code, f->payload, 4);
	for (i = 4; i < f->hdr.len && m + 1 < n; i++) {
		char ch = (char)f->payload[i];

		buf[m++] = (ch >= 0x20 && ch < 0x7f) ? ch : '?';
	}
	buf[m] = '\0';
	return buf;
}

void hvlink_expect_peer(struct hvlink *l, long long uid)
{
	if (l)
		l->peer_uid = uid;
}
