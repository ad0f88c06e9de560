// SPDX-License-Identifier: Apache-2.0
/*
 * Guest message channels. Every step checks the channel id, the cookies
 * and the channel's state; a step out of order or a size out of range
 * answers a status without MSG_STATUS_SUCCESS and leaves the other
 * channels alone. Guest lengths are only ever compared with what the
 * channel expects, never used to size a copy on their own.
 */
#include <core/backdoor.h>
#include <core/guestmsg.h>

typedef uint16_t (*step_fn)(struct gmsg *g, struct gmsg_chan *c,
			    struct bd_ctx *b, uint64_t r[7]);

static uint32_t lo32(uint64_t v)
{
	return (uint32_t)v;
}

static uint16_t hi16(uint64_t v)
{
	return (uint16_t)(v >> 16);
}

/* Cookies: SipHash-2-4 of (open number, entropy) under a key the guest
 * never sees (core/secret.c). Cookies of earlier channels, the guest's
 * own or another process's, say nothing about the next one's. */
static uint64_t next_cookie(struct gmsg *g, uint64_t entropy)
{
	uint64_t in[2] = { ++g->seq, entropy };

	return siphash24(&g->key, in, sizeof(in));
}

void gmsg_init(struct gmsg *g, const struct gmsg_ops *ops, void *ctx,
	       const struct sip_key *key)
{
	memset(g, 0, sizeof(*g));
	g->ops = ops;
	g->ctx = ctx;
	g->key = *key;
}

static void chan_reset(struct gmsg_chan *c, enum gmsg_state s)
{
	c->state = s;
	c->in_len = c->in_got = 0;
	c->out_len = c->out_pos = 0;
}

static unsigned index_of(const struct gmsg *g, const struct gmsg_chan *c)
{
	return (unsigned)(c - g->ch);
}

static void closed(struct gmsg *g, struct gmsg_chan *c)
{
	if (g->ops->closed)
		g->ops->closed(g->ctx, c->proto, index_of(g, c));
}

/* A free channel, or the one idle longest if that is long enough. */
static struct gmsg_chan *chan_alloc(struct gmsg *g, uint64_t now_ms)
{
	struct gmsg_chan *old = NULL;

	for (unsigned i = 0; i < GMSG_CHANNELS; i++) {
		struct gmsg_chan *c = &g->ch[i];

		if (c->state == CH_FREE)
			return c;
		if (!old || c->last_ms < old->last_ms)
			old = c;
	}
	if (now_ms - old->last_ms < GMSG_RECLAIM_MS)
		return NULL;
	g->st.reclaims++;
	closed(g, old);
	return old;
}

/* The guest's message is complete: hand it over, keep the reply. */
static void dispatch(struct gmsg *g, struct gmsg_chan *c)
{
	size_t n = g->ops->request(g->ctx, c->proto, index_of(g, c), c->in,
				   c->in_len, c->out, sizeof(c->out));

	c->in_len = c->in_got = 0;
	c->out_len = (uint32_t)(n < sizeof(c->out) ? n : sizeof(c->out));
	c->out_pos = 0;
	c->state = c->out_len ? CH_REPLY : CH_IDLE;
}

/* --- the steps ----------------------------------------------------- */

static uint16_t step_open(struct gmsg *g, struct gmsg_chan *unused,
			  struct bd_ctx *b, uint64_t r[7])
{
	uint32_t proto = lo32(r[BD_BX]) & ~GUESTMSG_FLAG_COOKIE;
	bool cookie = lo32(r[BD_BX]) & GUESTMSG_FLAG_COOKIE;
	struct gmsg_chan *c;
	uint64_t rnd;

	(void)unused;
	if (proto != RPCI_PROTOCOL && proto != TCLO_PROTOCOL)
		return 0;
	c = chan_alloc(g, b->now_ms);
	if (!c)
		return 0;
	chan_reset(c, CH_IDLE);
	c->proto = proto;
	c->cookie = cookie;
	rnd = cookie ? next_cookie(g, b->entropy) : 0;
	c->cookie_hi = (uint32_t)(rnd >> 32);
	c->cookie_lo = (uint32_t)rnd;
	c->last_ms = b->now_ms;
	g->st.opens++;
	r[BD_DX] = index_of(g, c) << 16 | (uint16_t)r[BD_DX];
	r[BD_SI] = c->cookie_hi;
	r[BD_DI] = c->cookie_lo;
	return MSG_STATUS_SUCCESS;
}

/* Any transfer in progress is abandoned: an unreceived message is
 * dropped (and offered again by TCLO, which only pops on delivery). */
static uint16_t step_sendsize(struct gmsg *g, struct gmsg_chan *c,
			      struct bd_ctx *b, uint64_t r[7])
{
	uint32_t size = lo32(r[BD_BX]);

	(void)b;
	chan_reset(c, CH_IDLE);
	if (size > GMSG_MAX_MSG)
		return 0;
	c->in_len = size;
	c->state = CH_SENDING;
	if (!size)
		dispatch(g, c);
	return MSG_STATUS_SUCCESS | MSG_STATUS_HB;
}

static uint16_t step_sendpayload(struct gmsg *g, struct gmsg_chan *c,
				 struct bd_ctx *b, uint64_t r[7])
{
	uint32_t word = lo32(r[BD_BX]);
	uint32_t n = c->in_len - c->in_got;

	(void)b;
	if (c->state != CH_SENDING)
		return 0;
	if (n > 4)
		n = 4;
	for (uint32_t i = 0; i < n; i++)
		c->in[c->in_got++] = (uint8_t)(word >> (8 * i));
	if (c->in_got == c->in_len)
		dispatch(g, c);
	return MSG_STATUS_SUCCESS;
}

static void offer(struct gmsg *g, struct gmsg_chan *c)
{
	size_t n;

	if (c->state != CH_IDLE || !g->ops->poll)
		return;
	n = g->ops->poll(g->ctx, c->proto, index_of(g, c), c->out,
			 sizeof(c->out));
	if (n) {
		c->out_len = (uint32_t)(n < sizeof(c->out) ? n : sizeof(c->out));
		c->state = CH_REPLY;
	}
}

/* Also restarts a receive in progress (a guest retrying from the top). */
static uint16_t step_recvsize(struct gmsg *g, struct gmsg_chan *c,
			      struct bd_ctx *b, uint64_t r[7])
{
	(void)b;
	if (c->state == CH_SENDING)
		return 0;
	offer(g, c);
	if (c->state == CH_IDLE) {
		r[BD_BX] = 0;
		return MSG_STATUS_SUCCESS;
	}
	c->state = CH_RECEIVING;
	c->out_pos = 0;
	r[BD_BX] = c->out_len;
	r[BD_DX] = (uint32_t)MSG_SENDSIZE << 16 | (uint16_t)r[BD_DX];
	return MSG_STATUS_SUCCESS | MSG_STATUS_DORECV | MSG_STATUS_HB;
}

/* The guest gave up receiving (status without SUCCESS). */
static uint16_t abort_receive(struct gmsg_chan *c)
{
	chan_reset(c, CH_IDLE);
	return MSG_STATUS_SUCCESS;
}

static uint16_t step_recvpayload(struct gmsg *g, struct gmsg_chan *c,
				 struct bd_ctx *b, uint64_t r[7])
{
	uint32_t word = 0, n;

	(void)g;
	(void)b;
	if (c->state != CH_RECEIVING && c->state != CH_RECEIVED)
		return 0;
	if (!(lo32(r[BD_BX]) & MSG_STATUS_SUCCESS))
		return abort_receive(c);
	if (c->state != CH_RECEIVING)
		return 0;
	n = c->out_len - c->out_pos;
	if (n > 4)
		n = 4;
	for (uint32_t i = 0; i < n; i++)
		word |= (uint32_t)c->out[c->out_pos++] << (8 * i);
	if (c->out_pos == c->out_len)
		c->state = CH_RECEIVED;
	r[BD_BX] = word;
	r[BD_DX] = (uint32_t)MSG_SENDPAYLOAD << 16 | (uint16_t)r[BD_DX];
	return MSG_STATUS_SUCCESS;
}

static uint16_t step_recvstatus(struct gmsg *g, struct gmsg_chan *c,
				struct bd_ctx *b, uint64_t r[7])
{
	(void)b;
	if (c->state != CH_RECEIVING && c->state != CH_RECEIVED)
		return 0;
	if (!(lo32(r[BD_BX]) & MSG_STATUS_SUCCESS))
		return abort_receive(c);
	if (c->state != CH_RECEIVED)
		return 0;
	chan_reset(c, CH_IDLE);
	if (g->ops->delivered)
		g->ops->delivered(g->ctx, c->proto, index_of(g, c));
	return MSG_STATUS_SUCCESS;
}

static uint16_t step_close(struct gmsg *g, struct gmsg_chan *c,
			   struct bd_ctx *b, uint64_t r[7])
{
	(void)b;
	(void)r;
	closed(g, c);
	chan_reset(c, CH_FREE);
	return MSG_STATUS_SUCCESS;
}

static const step_fn steps[MSG_NTYPES] = {
	[MSG_OPEN] = step_open,
	[MSG_SENDSIZE] = step_sendsize,
	[MSG_SENDPAYLOAD] = step_sendpayload,
	[MSG_RECVSIZE] = step_recvsize,
	[MSG_RECVPAYLOAD] = step_recvpayload,
	[MSG_RECVSTATUS] = step_recvstatus,
	[MSG_CLOSE] = step_close,
};

/* The open channel that id and cookies name, or NULL. */
static struct gmsg_chan *lookup(struct gmsg *g, unsigned id, uint32_t hi,
				uint32_t lo)
{
	struct gmsg_chan *c;

	if (id >= GMSG_CHANNELS)
		return NULL;
	c = &g->ch[id];
	if (c->state == CH_FREE)
		return NULL;
	if (c->cookie && (c->cookie_hi != hi || c->cookie_lo != lo)) {
		g->st.bad_cookies++;
		return NULL;
	}
	return c;
}

static uint16_t run_step(struct gmsg *g, struct bd_ctx *b, uint64_t r[7])
{
	unsigned type = hi16(r[BD_CX]);
	struct gmsg_chan *c = NULL;
	uint16_t status;

	if (type >= MSG_NTYPES)
		return 0;
	if (type != MSG_OPEN) {
		c = lookup(g, hi16(r[BD_DX]), lo32(r[BD_SI]), lo32(r[BD_DI]));
		if (!c)
			return 0;
	}
	status = steps[type](g, c, b, r);
	if (c && c->state != CH_FREE)
		c->last_ms = b->now_ms;
	return status;
}

void gmsg_call(struct gmsg *g, struct bd_ctx *b, uint64_t r[7])
{
	uint16_t status;

	g->st.calls++;
	status = run_step(g, b, r);
	if (!(status & MSG_STATUS_SUCCESS))
		g->st.errors++;
	r[BD_CX] = (uint32_t)status << 16;
}

/* --- high bandwidth ------------------------------------------------ */

static uint16_t hb_send(struct gmsg *g, struct bd_ctx *b, uint64_t r[7])
{
	struct gmsg_chan *c = lookup(g, hi16(r[BD_DX]), lo32(r[BD_BP]),
				     lo32(r[BD_DI]));
	uint32_t n = lo32(r[BD_CX]);

	if (!c || c->state != CH_SENDING || !n ||
	    n != c->in_len - c->in_got)
		return 0;
	c->last_ms = b->now_ms;
	if (!b->ops->read_guest ||
	    b->ops->read_guest(b->ctx, c->in + c->in_got, r[BD_SI], n) < 0) {
		chan_reset(c, CH_IDLE);	/* the message is lost */
		return 0;
	}
	c->in_got += n;
	dispatch(g, c);
	return MSG_STATUS_SUCCESS;
}

static uint16_t hb_recv(struct gmsg *g, struct bd_ctx *b, uint64_t r[7])
{
	struct gmsg_chan *c = lookup(g, hi16(r[BD_DX]), lo32(r[BD_SI]),
				     lo32(r[BD_BP]));
	uint32_t n = lo32(r[BD_CX]);

	if (!c || c->state != CH_RECEIVING || !n ||
	    n != c->out_len - c->out_pos)
		return 0;
	c->last_ms = b->now_ms;
	/* On failure the guest signals it (RECVPAYLOAD, status 0). */
	if (!b->ops->write_guest ||
	    b->ops->write_guest(b->ctx, r[BD_DI], c->out + c->out_pos, n) < 0)
		return 0;
	c->out_pos += n;
	c->state = CH_RECEIVED;
	return MSG_STATUS_SUCCESS;
}

void gmsg_hb(struct gmsg *g, struct bd_ctx *b, bool in, uint64_t r[7])
{
	uint16_t status;

	g->st.calls++;
	status = in ? hb_recv(g, b, r) : hb_send(g, b, r);
	if (!(status & MSG_STATUS_SUCCESS))
		g->st.errors++;
	r[BD_BX] = (uint32_t)status << 16;
}
