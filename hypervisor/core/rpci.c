// SPDX-License-Identifier: Apache-2.0
/*
 * RPCI requests, the TCLO queue and the guestinfo store. Replies follow
 * open-vm-tools: "1 " and the result on success, "0 " and a reason
 * otherwise (lib/rpcOut/rpcout.c looks only at those first two bytes).
 */
#include <core/guestmsg.h>
#include <core/rpci.h>
#include <verge_proto.h>

#define GI_PREFIX	"guestinfo."
#define GI_PREFIX_LEN	(sizeof(GI_PREFIX) - 1)

struct text {
	const char *p;
	size_t n;
};

typedef size_t (*rpc_fn)(struct rpc_state *s, struct text arg, uint8_t *out,
			 size_t cap);

static size_t put(uint8_t *out, size_t cap, const char *status,
		  const void *extra, size_t n)
{
	size_t sl = strlen(status);

	if (sl > cap)
		sl = cap;
	memcpy(out, status, sl);
	if (n > cap - sl)
		n = cap - sl;
	if (n)
		memcpy(out + sl, extra, n);
	return sl + n;
}

static size_t fail(uint8_t *out, size_t cap, const char *why)
{
	return put(out, cap, "0 ", why, strlen(why));
}

static void emit(struct rpc_state *s, uint8_t type, const void *p,
		 uint32_t len)
{
	if (s->event)
		s->event(s->ctx, type, p, len);
}

/* One more guest-made event to the host this second, or false: a guest
 * process cannot flood the host (and its database) through the relay. */
static bool event_allowed(struct rpc_state *s)
{
	uint64_t sec = s->now_ms(s->ctx) / 1000;

	if (sec != s->ev_second) {
		s->ev_second = sec;
		s->ev_count = 0;
	}
	if (s->ev_count == RPC_EVENTS_PER_S) {
		s->st.throttled++;
		return false;
	}
	s->ev_count++;
	return true;
}

#define THROTTLED	"Too many requests to the host this second"

/* --- guestinfo ----------------------------------------------------- */

static bool key_ok(const char *k, size_t n)
{
	if (!n || n > RPC_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] <= ' ' || k[i] > '~')
			return false;
	return true;
}

static const struct rpc_entry *gi_find(const struct rpc_entry *t,
				       const char *key, size_t klen)
{
	for (unsigned i = 0; i < RPC_ENTRIES; i++)
		if (t[i].klen && t[i].klen == klen &&
		    !memcmp(t[i].key, key, klen))
			return &t[i];
	return NULL;
}

/* A key the host set hides the guest's: the guest cannot replace it. */
const struct rpc_entry *rpc_guestinfo_get(const struct rpc_state *s,
					  const char *key, size_t klen)
{
	const struct rpc_entry *e = gi_find(s->host_gi, key, klen);

	return e ? e : gi_find(s->gi, key, klen);
}

/* Stores (or with vlen 0 deletes) a checked key in one owner's table.
 * 0 or -ENOSPC. */
static int gi_store(struct rpc_entry *t, const char *key, size_t klen,
		    const char *value, size_t vlen)
{
	struct rpc_entry *e = (struct rpc_entry *)gi_find(t, key, klen);

	for (unsigned i = 0; !e && vlen && i < RPC_ENTRIES; i++)
		if (!t[i].klen)
			e = &t[i];
	if (!e)
		return vlen ? -ENOSPC : 0;
	if (!vlen) {
		e->klen = 0;
		return 0;
	}
	e->klen = (uint8_t)klen;
	memcpy(e->key, key, klen);
	e->vlen = (uint16_t)vlen;
	memcpy(e->value, value, vlen);
	return 0;
}

int rpc_guestinfo_set(struct rpc_state *s, const void *payload, size_t len)
{
	const char *p = payload;
	const char *nul = memchr(p, '\0', len);
	size_t klen, vlen;
	int r;

	if (!nul)
		return -EINVAL;
	klen = (size_t)(nul - p);
	vlen = len - klen - 1;
	if (!key_ok(p, klen) || vlen > RPC_VALUE_MAX)
		return -EINVAL;
	r = gi_store(s->host_gi, p, klen, nul + 1, vlen);
	if (r == 0 && vlen)	/* the guest's value of it is gone */
		gi_store(s->gi, p, klen, NULL, 0);
	return r;
}

/* "guestinfo.<key>" -> key, or false. */
static bool gi_key(struct text t, struct text *ret)
{
	if (t.n <= GI_PREFIX_LEN || memcmp(t.p, GI_PREFIX, GI_PREFIX_LEN))
		return false;
	ret->p = t.p + GI_PREFIX_LEN;
	ret->n = t.n - GI_PREFIX_LEN;
	return key_ok(ret->p, ret->n);
}

static size_t rpc_info_get(struct rpc_state *s, struct text arg,
			   uint8_t *out, size_t cap)
{
	const struct rpc_entry *e;
	struct text key;

	while (arg.n && (arg.p[arg.n - 1] == ' ' || arg.p[arg.n - 1] == '\n'))
		arg.n--;
	if (!gi_key(arg, &key) || !(e = rpc_guestinfo_get(s, key.p, key.n)))
		return fail(out, cap, "No value found");
	return put(out, cap, "1 ", e->value, e->vlen);
}

static size_t rpc_info_set(struct rpc_state *s, struct text arg,
			   uint8_t *out, size_t cap)
{
	const char *sp = memchr(arg.p, ' ', arg.n);
	struct text key, name = { arg.p, sp ? (size_t)(sp - arg.p) : arg.n };
	const char *value = sp ? sp + 1 : "";
	size_t vlen = sp ? arg.n - name.n - 1 : 0;
	uint8_t ev[RPC_KEY_MAX + 1 + RPC_VALUE_MAX];

	if (!sp)
		return fail(out, cap, "Two and exactly two arguments expected");
	if (!gi_key(name, &key))
		return fail(out, cap, "Invalid key");
	if (vlen > RPC_VALUE_MAX)
		return fail(out, cap, "Value too long");
	if (gi_find(s->host_gi, key.p, key.n))
		return fail(out, cap, "Key set by the host is read-only");
	if (!event_allowed(s))
		return fail(out, cap, THROTTLED);
	if (gi_store(s->gi, key.p, key.n, value, vlen) < 0)
		return fail(out, cap, "Too many keys");
	memcpy(ev, key.p, key.n);
	ev[key.n] = '\0';
	memcpy(ev + key.n + 1, value, vlen);
	emit(s, VP_EV_GUESTINFO, ev, (uint32_t)(key.n + 1 + vlen));
	return put(out, cap, "1 ", NULL, 0);
}

/* --- relayed requests and the table -------------------------------- */

static size_t rpc_relay(struct rpc_state *s, struct text all, uint8_t *out,
			size_t cap)
{
	if (all.n > RPC_RELAY_MAX)
		return fail(out, cap, "Message too long to relay");
	if (!event_allowed(s))
		return fail(out, cap, THROTTLED);
	s->st.relayed++;
	emit(s, VP_EV_RPCI, all.p, (uint32_t)all.n);
	return put(out, cap, "1 ", NULL, 0);
}

static const struct {
	const char *prefix;
	bool whole;		/* the handler gets the whole request */
	rpc_fn fn;
} requests[] = {
	{ "info-get ", false, rpc_info_get },
	{ "info-set ", false, rpc_info_set },
	{ "log ", true, rpc_relay },
	{ "verge.", true, rpc_relay },
	{ "tools.", true, rpc_relay },
};

static size_t rpci_request(struct rpc_state *s, struct text t, uint8_t *out,
			   size_t cap)
{
	s->st.requests++;
	for (size_t i = 0; i < ARRAY_SIZE(requests); i++) {
		size_t pl = strlen(requests[i].prefix);
		struct text arg = { t.p + pl, t.n - pl };

		if (t.n < pl || memcmp(t.p, requests[i].prefix, pl))
			continue;
		return requests[i].fn(s, requests[i].whole ? t : arg, out, cap);
	}
	s->st.unknown++;
	return fail(out, cap, "Unknown command");
}

/* --- TCLO ---------------------------------------------------------- */

int rpc_tclo_push(struct rpc_state *s, const void *text, size_t len)
{
	struct rpc_tclo *q;

	if (!len || len > RPC_RELAY_MAX)
		return -EINVAL;
	if (s->q_count == RPC_TCLO_DEPTH)
		return -ENOSPC;
	q = &s->q[(s->q_head + s->q_count++) % RPC_TCLO_DEPTH];
	memcpy(q->text, text, len);
	q->len = (uint16_t)len;
	s->st.tclo_pushed++;
	return 0;
}

/* A non-empty message on the channel that got the command is its reply. */
static size_t tclo_request(struct rpc_state *s, unsigned ch, struct text t)
{
	if (!t.n || !s->inflight || ch != s->inflight_ch)
		return 0;
	s->inflight = false;
	s->st.tclo_replies++;
	emit(s, VP_EV_TCLO_REPLY, t.p,
	     (uint32_t)(t.n < RPC_RELAY_MAX ? t.n : RPC_RELAY_MAX));
	return 0;
}

/* --- the channel hooks --------------------------------------------- */

static size_t hook_request(void *ctx, uint32_t proto, unsigned ch,
			   const uint8_t *msg, size_t len, uint8_t *out,
			   size_t cap)
{
	struct text t = { (const char *)msg, len };

	while (t.n && t.p[t.n - 1] == '\0')	/* C strings sent whole */
		t.n--;
	if (proto == TCLO_PROTOCOL)
		return tclo_request(ctx, ch, t);
	return rpci_request(ctx, t, out, cap);
}

static size_t hook_poll(void *ctx, uint32_t proto, unsigned ch,
			uint8_t *out, size_t cap)
{
	struct rpc_state *s = ctx;
	const struct rpc_tclo *q = &s->q[s->q_head];

	(void)ch;
	if (proto != TCLO_PROTOCOL || s->inflight || !s->q_count)
		return 0;
	return put(out, cap, "", q->text, q->len);
}

static void hook_delivered(void *ctx, uint32_t proto, unsigned ch)
{
	struct rpc_state *s = ctx;

	if (proto != TCLO_PROTOCOL || s->inflight || !s->q_count)
		return;
	s->q_head = (s->q_head + 1) % RPC_TCLO_DEPTH;
	s->q_count--;
	s->inflight = true;
	s->inflight_ch = ch;
	s->st.tclo_delivered++;
}

/* The tools that got the command went away without answering: its reply
 * is lost, the next command may go out. */
static void hook_closed(void *ctx, uint32_t proto, unsigned ch)
{
	struct rpc_state *s = ctx;

	if (proto == TCLO_PROTOCOL && s->inflight && ch == s->inflight_ch)
		s->inflight = false;
}

const struct gmsg_ops rpc_gmsg_ops = {
	.request = hook_request,
	.poll = hook_poll,
	.delivered = hook_delivered,
	.closed = hook_closed,
};

void rpc_init(struct rpc_state *s,
	      void (*event)(void *ctx, uint8_t type, const void *payload,
			    uint32_t len),
	      uint64_t (*now_ms)(void *ctx), void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->event = event;
	s->now_ms = now_ms;
	s->ctx = ctx;
}
