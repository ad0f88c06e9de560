// SPDX-License-Identifier: Apache-2.0
/*
 * The MESSAGE channel state machine (core/guestmsg.c) with a fake
 * protocol behind it: a request's reply is "R:" + the request; poll()
 * offers a queued text; delivered() is counted. Register layouts follow
 * open-vm-tools lib/message/message.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bd_fake.h"
#include "../guest/splitmix.h" /* shared with the guest's attacker */

#define S_OK	MSG_STATUS_SUCCESS

static struct gmsg g;
static struct {
	char last[GMSG_MAX_MSG + 1];
	size_t last_len;
	unsigned requests, delivered, closed;
	unsigned last_ch, closed_ch;
	const char *offer;
} proto;

static size_t fake_request(void *ctx, uint32_t p, unsigned ch,
			   const uint8_t *msg, size_t len, uint8_t *out,
			   size_t cap)
{
	(void)ctx;
	(void)p;
	proto.last_ch = ch;
	proto.requests++;
	memcpy(proto.last, msg, len);
	proto.last_len = len;
	if (len + 2 > cap)
		len = cap - 2;
	memcpy(out, "R:", 2);
	memcpy(out + 2, msg, len);
	return len + 2;
}

static size_t fake_poll(void *ctx, uint32_t p, unsigned ch, uint8_t *out,
			size_t cap)
{
	size_t n = proto.offer ? strlen(proto.offer) : 0;

	(void)ctx;
	(void)p;
	(void)ch;
	(void)cap;
	memcpy(out, proto.offer ? proto.offer : "", n);
	return n;
}

static void fake_delivered(void *ctx, uint32_t p, unsigned ch)
{
	(void)ctx;
	(void)p;
	proto.delivered++;
	proto.last_ch = ch;
}

static void fake_closed(void *ctx, uint32_t p, unsigned ch)
{
	(void)ctx;
	(void)p;
	proto.closed++;
	proto.closed_ch = ch;
}

static const struct gmsg_ops ops = { fake_request, fake_poll,
				     fake_delivered, fake_closed };

static const struct sip_key test_key = { 0x0123456789abcdefull,
					 0xfedcba9876543210ull };

static int setup(void **state)
{
	(void)state;
	memset(&proto, 0, sizeof(proto));
	gmsg_init(&g, &ops, NULL, &test_key);
	return 0;
}

struct ch {
	uint16_t id;
	uint32_t hi, lo;
};

/* One low-bandwidth step; returns the status, *r holds the registers. */
static uint16_t step(const struct ch *c, unsigned type, uint32_t ebx,
		     uint64_t r[7], uint64_t now_ms)
{
	struct bd_ctx b = fake_ctx(&g, now_ms);

	r[BD_AX] = BDOOR_MAGIC;
	r[BD_BX] = ebx;
	r[BD_CX] = (uint32_t)type << 16 | BDOOR_CMD_MESSAGE;
	r[BD_DX] = (uint32_t)(c ? c->id : 0) << 16 | BDOOR_PORT;
	r[BD_SI] = c ? c->hi : 0;
	r[BD_DI] = c ? c->lo : 0;
	r[BD_BP] = 0;
	gmsg_call(&g, &b, r);
	assert_int_equal(r[BD_CX] & 0xffff, 0);
	return (uint16_t)(r[BD_CX] >> 16);
}

static uint16_t st(const struct ch *c, unsigned type, uint32_t ebx)
{
	uint64_t r[7];

	return step(c, type, ebx, r, 0);
}

static bool open_ch(uint32_t flags, struct ch *ret, uint64_t now_ms)
{
	uint64_t r[7];
	uint16_t s = step(NULL, MSG_OPEN, RPCI_PROTOCOL | flags, r, now_ms);

	if (!(s & S_OK))
		return false;
	assert_int_equal(r[BD_DX] & 0xffff, BDOOR_PORT);
	ret->id = (uint16_t)(r[BD_DX] >> 16);
	ret->hi = (uint32_t)r[BD_SI];
	ret->lo = (uint32_t)r[BD_DI];
	return true;
}

static void send_lb(const struct ch *c, const char *text)
{
	size_t n = strlen(text);

	assert_int_equal(st(c, MSG_SENDSIZE, (uint32_t)n),
			 S_OK | MSG_STATUS_HB);
	for (size_t i = 0; i < n; i += 4) {
		uint32_t w = 0;

		for (size_t j = 0; j < 4 && i + j < n; j++)
			w |= (uint32_t)(uint8_t)text[i + j] << (8 * j);
		assert_int_equal(st(c, MSG_SENDPAYLOAD, w), S_OK);
	}
}

/* Receives with low bandwidth into buf; returns the length. */
static size_t recv_lb(const struct ch *c, char *buf)
{
	uint64_t r[7];
	uint16_t s = step(c, MSG_RECVSIZE, 0, r, 0);
	size_t n = r[BD_BX];

	assert_true(s & S_OK);
	if (!(s & MSG_STATUS_DORECV))
		return 0;
	assert_int_equal(s, S_OK | MSG_STATUS_DORECV | MSG_STATUS_HB);
	assert_int_equal(r[BD_DX] >> 16, MSG_SENDSIZE);
	for (size_t i = 0; i < n; i += 4) {
		assert_int_equal(step(c, MSG_RECVPAYLOAD, S_OK, r, 0), S_OK);
		assert_int_equal(r[BD_DX] >> 16, MSG_SENDPAYLOAD);
		for (size_t j = 0; j < 4 && i + j < n; j++)
			buf[i + j] = (char)(r[BD_BX] >> (8 * j));
	}
	assert_int_equal(st(c, MSG_RECVSTATUS, S_OK), S_OK);
	buf[n] = 0;
	return n;
}

static void test_round_trip(void **state)
{
	struct ch c;
	char buf[64];

	(void)state;
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c, 0));
	assert_true(c.hi || c.lo);
	send_lb(&c, "hello, host");
	assert_int_equal(proto.requests, 1);
	assert_int_equal(proto.last_len, 11);
	assert_memory_equal(proto.last, "hello, host", 11);
	assert_int_equal(recv_lb(&c, buf), 13);
	assert_string_equal(buf, "R:hello, host");
	assert_int_equal(proto.delivered, 1);
	/* Nothing pending now: RECVSIZE succeeds without DORECV. */
	assert_int_equal(recv_lb(&c, buf), 0);
	/* An empty message is a message. */
	send_lb(&c, "");
	assert_int_equal(proto.requests, 2);
	assert_int_equal(recv_lb(&c, buf), 2);
	assert_int_equal(proto.last_ch, c.id);
	assert_int_equal(st(&c, MSG_CLOSE, 0), S_OK);
	assert_int_equal(proto.closed, 1);
	assert_int_equal(proto.closed_ch, c.id);
	assert_int_equal(st(&c, MSG_CLOSE, 0), 0);	/* already closed */
	assert_int_equal(proto.closed, 1);
}

static void test_out_of_order(void **state)
{
	struct ch c;
	char buf[64];

	(void)state;
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c, 0));
	/* Idle: no payload, no receive steps. */
	assert_int_equal(st(&c, MSG_SENDPAYLOAD, 0x41414141), 0);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), 0);
	assert_int_equal(st(&c, MSG_RECVSTATUS, S_OK), 0);
	/* Sending: no receive before the message is complete. */
	assert_int_equal(st(&c, MSG_SENDSIZE, 8), S_OK | MSG_STATUS_HB);
	assert_int_equal(st(&c, MSG_SENDPAYLOAD, 0x64636261), S_OK);
	assert_int_equal(st(&c, MSG_RECVSIZE, 0), 0);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), 0);
	assert_int_equal(st(&c, MSG_RECVSTATUS, S_OK), 0);
	assert_int_equal(proto.requests, 0);
	assert_int_equal(st(&c, MSG_SENDPAYLOAD, 0x68676665), S_OK);
	assert_int_equal(proto.requests, 1);
	/* Complete: more payload is refused. */
	assert_int_equal(st(&c, MSG_SENDPAYLOAD, 0), 0);
	/* Reply pending: RECVSTATUS before RECVSIZE is refused. */
	assert_int_equal(st(&c, MSG_RECVSTATUS, S_OK), 0);
	/* Receiving: RECVSTATUS before all payload is refused, then the
	 * rest works; payload past the end is refused. */
	assert_true(st(&c, MSG_RECVSIZE, 0) & MSG_STATUS_DORECV);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), S_OK);
	assert_int_equal(st(&c, MSG_RECVSTATUS, S_OK), 0);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), S_OK);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), S_OK);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), 0);
	assert_int_equal(st(&c, MSG_RECVSTATUS, S_OK), S_OK);
	assert_int_equal(proto.delivered, 1);
	/* Unknown type. */
	assert_int_equal(st(&c, 7, 0), 0);
	assert_int_equal(st(&c, 0xffff, 0), 0);
	/* A fresh message still works. */
	send_lb(&c, "again");
	assert_int_equal(recv_lb(&c, buf), 7);
}

static void test_abort_and_restart(void **state)
{
	struct ch c;
	char buf[64];

	(void)state;
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c, 0));
	/* The guest gives up mid-receive (status 0): not delivered. */
	send_lb(&c, "abc");
	assert_true(st(&c, MSG_RECVSIZE, 0) & MSG_STATUS_DORECV);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, 0), S_OK);
	assert_int_equal(proto.delivered, 0);
	assert_int_equal(recv_lb(&c, buf), 0);
	/* Gives up at RECVSTATUS: not delivered either. */
	send_lb(&c, "abc");
	assert_true(st(&c, MSG_RECVSIZE, 0) & MSG_STATUS_DORECV);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), S_OK);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), S_OK);
	assert_int_equal(st(&c, MSG_RECVSTATUS, 0), S_OK);
	assert_int_equal(proto.delivered, 0);
	/* SENDSIZE mid-send restarts the message. */
	assert_true(st(&c, MSG_SENDSIZE, 100) & S_OK);
	assert_int_equal(st(&c, MSG_SENDPAYLOAD, 0x78787878), S_OK);
	send_lb(&c, "xyz");
	assert_int_equal(proto.last_len, 3);
	/* RECVSIZE again mid-receive starts the reply over. */
	assert_true(st(&c, MSG_RECVSIZE, 0) & MSG_STATUS_DORECV);
	assert_int_equal(st(&c, MSG_RECVPAYLOAD, S_OK), S_OK);
	assert_int_equal(recv_lb(&c, buf), 5);
	assert_string_equal(buf, "R:xyz");
}

static void test_bad_sizes(void **state)
{
	struct ch c;

	(void)state;
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c, 0));
	assert_int_equal(st(&c, MSG_SENDSIZE, GMSG_MAX_MSG + 1), 0);
	assert_int_equal(st(&c, MSG_SENDSIZE, 0xffffffff), 0);
	assert_int_equal(st(&c, MSG_SENDPAYLOAD, 0), 0);	/* nothing open */
	assert_int_equal(st(&c, MSG_SENDSIZE, GMSG_MAX_MSG),
			 S_OK | MSG_STATUS_HB);
}

static void test_cookies(void **state)
{
	struct ch c, d, bad;
	char buf[64];

	(void)state;
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c, 0));
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &d, 0));
	assert_int_not_equal(c.id, d.id);
	assert_false(c.hi == d.hi && c.lo == d.lo);
	bad = c;
	bad.lo ^= 0x100;
	for (unsigned t = MSG_SENDSIZE; t <= MSG_CLOSE; t++)
		assert_int_equal(st(&bad, t, 4), 0);
	bad = c;
	bad.hi = d.hi;
	bad.lo = d.lo;		/* d's cookies on c's id */
	assert_int_equal(st(&bad, MSG_SENDSIZE, 4), 0);
	bad.id = GMSG_CHANNELS;
	assert_int_equal(st(&bad, MSG_SENDSIZE, 4), 0);
	bad.id = 0xffff;
	assert_int_equal(st(&bad, MSG_SENDSIZE, 4), 0);
	assert_int_equal(g.st.bad_cookies, 7);
	/* The channels themselves are unharmed. */
	send_lb(&c, "c");
	send_lb(&d, "d");
	assert_int_equal(recv_lb(&c, buf), 3);
	assert_string_equal(buf, "R:c");
	assert_int_equal(recv_lb(&d, buf), 3);
	assert_string_equal(buf, "R:d");
	/* Without the cookie flag: cookies zero, not checked. */
	assert_true(open_ch(0, &c, 0));
	assert_int_equal(c.hi | c.lo, 0);
	c.hi = 1234;
	send_lb(&c, "x");
	/* Unknown protocols and flags are refused. */
	{
		uint64_t r[7];

		assert_int_equal(step(NULL, MSG_OPEN, 0x12345678, r, 0), 0);
		assert_int_equal(step(NULL, MSG_OPEN, RPCI_PROTOCOL | 0x20000000,
				      r, 0), 0);
	}
}

static void test_exhaustion_and_reclaim(void **state)
{
	struct ch c[GMSG_CHANNELS + 1];

	(void)state;
	for (unsigned i = 0; i < GMSG_CHANNELS; i++)
		assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c[i], i));
	assert_false(open_ch(GUESTMSG_FLAG_COOKIE, &c[8], GMSG_RECLAIM_MS - 1));
	/* Closing one frees it. */
	assert_int_equal(st(&c[3], MSG_CLOSE, 0), S_OK);
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c[3], 10));
	assert_false(open_ch(GUESTMSG_FLAG_COOKIE, &c[8], 10));
	/* Idle long enough: the oldest (channel 0, last used at 0) is
	 * taken over; its old owner's cookies stop working. */
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c[8], GMSG_RECLAIM_MS));
	assert_int_equal(c[8].id, c[0].id);
	assert_int_equal(st(&c[0], MSG_SENDSIZE, 1), 0);
	assert_int_equal(g.st.reclaims, 1);
	assert_int_equal(proto.closed, 2);	/* closed c[3], reclaimed c[0] */
	assert_int_equal(proto.closed_ch, c[0].id);
}

/* High bandwidth through the fake guest memory. */
static uint16_t hb(const struct ch *c, bool in, uint64_t va, uint32_t n,
		   unsigned df)
{
	struct bd_ctx b = fake_ctx(&g, 0);
	uint64_t r[7] = { BDOOR_MAGIC, (uint32_t)S_OK << 16, n,
			  (uint32_t)c->id << 16 | BDOORHB_PORT };
	uint64_t x7 = 0x86ull << 32 | 0x18 | (in ? 4 : 0) | df;

	if (in) {
		r[BD_SI] = c->hi;
		r[BD_BP] = c->lo;
		r[BD_DI] = va;
	} else {
		r[BD_BP] = c->hi;
		r[BD_DI] = c->lo;
		r[BD_SI] = va;
	}
	assert_int_equal(bd_call(&b, x7, r), BD_DONE);
	assert_int_equal(r[BD_BX] & 0xffff, 0);
	return (uint16_t)(r[BD_BX] >> 16);
}

static void test_high_bandwidth(void **state)
{
	struct ch c, bad;
	uint64_t r[7];

	(void)state;
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c, 0));
	memcpy(fake.mem + 0x100, "high bandwidth", 14);
	/* Not sending yet, then wrong lengths, then bad addresses. */
	assert_int_equal(hb(&c, false, FAKE_VA + 0x100, 14, 0), 0);
	assert_true(st(&c, MSG_SENDSIZE, 14) & MSG_STATUS_HB);
	assert_int_equal(hb(&c, false, FAKE_VA + 0x100, 15, 0), 0);
	assert_true(st(&c, MSG_SENDSIZE, 14) & S_OK);
	assert_int_equal(hb(&c, false, FAKE_VA + 0x100, 0xffffffff, 0), 0);
	assert_true(st(&c, MSG_SENDSIZE, 14) & S_OK);
	assert_int_equal(hb(&c, false, FAKE_VA + FAKE_SIZE - 7, 14, 0), 0);
	assert_int_equal(proto.requests, 0);
	/* A failed copy loses the message: payload is refused after it. */
	assert_int_equal(st(&c, MSG_SENDPAYLOAD, 0), 0);
	/* Direction flag and bad cookies are refused. */
	assert_true(st(&c, MSG_SENDSIZE, 14) & S_OK);
	assert_int_equal(hb(&c, false, FAKE_VA + 0x100, 14, 0x20), 0);
	bad = c;
	bad.hi ^= 1;
	assert_int_equal(hb(&bad, false, FAKE_VA + 0x100, 14, 0), 0);
	/* The right one. */
	assert_int_equal(hb(&c, false, FAKE_VA + 0x100, 14, 0), S_OK);
	assert_int_equal(proto.last_len, 14);
	assert_memory_equal(proto.last, "high bandwidth", 14);
	/* Receive: only after RECVSIZE, only the exact remaining length. */
	assert_int_equal(hb(&c, true, FAKE_VA + 0x200, 16, 0), 0);
	assert_true(step(&c, MSG_RECVSIZE, 0, r, 0) & MSG_STATUS_DORECV);
	assert_int_equal(r[BD_BX], 16);
	assert_int_equal(hb(&c, true, FAKE_VA + 0x200, 17, 0), 0);
	assert_int_equal(hb(&c, true, FAKE_VA + FAKE_SIZE, 16, 0), 0);
	assert_int_equal(hb(&c, true, FAKE_VA + 0x200, 16, 0), S_OK);
	assert_memory_equal(fake.mem + 0x200, "R:high bandwidth", 16);
	assert_int_equal(hb(&c, true, FAKE_VA + 0x200, 16, 0), 0);
	assert_int_equal(st(&c, MSG_RECVSTATUS, S_OK), S_OK);
	assert_int_equal(proto.delivered, 1);
}

static void test_poll_offer(void **state)
{
	struct ch c;
	char buf[64];

	(void)state;
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c, 0));
	proto.offer = "reset";
	assert_int_equal(recv_lb(&c, buf), 5);
	assert_string_equal(buf, "reset");
	assert_int_equal(proto.delivered, 1);
}

/* Every channel is in a state it can be in, with lengths in range. */
static void check_invariants(void)
{
	for (unsigned i = 0; i < GMSG_CHANNELS; i++) {
		const struct gmsg_chan *c = &g.ch[i];

		assert_true(c->state <= CH_RECEIVED);
		assert_true(c->in_len <= GMSG_MAX_MSG);
		assert_true(c->in_got <= c->in_len);
		assert_true(c->out_len <= GMSG_MAX_MSG);
		assert_true(c->out_pos <= c->out_len);
		if (c->state == CH_REPLY || c->state == CH_RECEIVING)
			assert_true(c->out_len > 0);
		if (c->state == CH_SENDING)
			assert_true(c->in_got < c->in_len);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Registers for one random call on channel k: mostly well-formed, each
 * field wrong now and then. Returns x7. */
static uint64_t random_call(const struct ch *k, uint64_t r[7])
{
	static const uint64_t x7s[] = {
		0x86ull << 32 | 0xe,	/* in eax, dx */
		0x86ull << 32 | 0x18,	/* rep outsb */
		0x86ull << 32 | 0x1c,	/* rep insb */
	};

	for (int j = 0; j < 7; j++)
		r[j] = rnd();
	r[BD_AX] = rnd() % 16 ? BDOOR_MAGIC : r[BD_AX];
	r[BD_CX] = rnd() % 8 << 16 | (rnd() % 16 ? 30 : rnd() & 0xffff);
	r[BD_DX] = (uint64_t)(rnd() % 8 ? k->id : rnd() % 12) << 16;
	if (rnd() % 4) {
		bool hb_in = rnd() % 2;

		r[BD_SI] = rnd() % 16 ? k->hi : r[BD_SI];
		r[BD_DI] = rnd() % 16 ? k->lo : r[BD_DI];
		r[BD_BP] = hb_in ? k->lo : k->hi;
	}
	/* A size (mostly short, so messages complete), or a status. */
	if (rnd() % 2)
		r[BD_BX] = rnd() % 4 ? rnd() % 9 : rnd() % (GMSG_MAX_MSG + 8);
	else
		r[BD_BX] = rnd() % 8 ? MSG_STATUS_SUCCESS : 0;
	if (rnd() % 3 == 0) {
		r[BD_CX] = rnd() % 12;	/* an HB length */
		r[BD_SI] = rnd() % 2 ? FAKE_VA + rnd() % (FAKE_SIZE + 64) : r[BD_SI];
		r[BD_DI] = rnd() % 2 ? FAKE_VA + rnd() % (FAKE_SIZE + 64) : r[BD_DI];
		r[BD_BX] = rnd() % 8 ? (uint64_t)MSG_STATUS_SUCCESS << 16 : rnd();
		r[BD_DX] |= BDOORHB_PORT;
		return rnd() % 8 ? x7s[1 + rnd() % 2] : 0x86ull << 32 | rnd() % 64;
	}
	r[BD_DX] |= BDOOR_PORT;
	return rnd() % 8 ? x7s[0] : 0x86ull << 32 | rnd() % 64;
}

/* Random calls, biased to open channels and their cookies: nothing
 * crashes (run it under SANITIZE=address,undefined too) and the
 * channel invariants hold after every call. */
static void test_random_calls(void **state)
{
	struct ch c[2];

	(void)state;
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &c[0], 0));
	assert_true(open_ch(0, &c[1], 0));
	for (int i = 0; i < 300000; i++) {
		struct bd_ctx b = fake_ctx(&g, (uint64_t)i / 10);
		uint64_t r[7], x7 = random_call(&c[i & 1], r);

		bd_call(&b, x7, r);
		check_invariants();
		if (i % 1000 == 0) {	/* reopen what random CLOSEs took */
			open_ch(GUESTMSG_FLAG_COOKIE, &c[0], (uint64_t)i / 10);
			open_ch(0, &c[1], (uint64_t)i / 10);
		}
	}
	/* The random calls reached every kind of outcome. */
	print_message("calls %lu errors %lu opens %lu requests %u delivered %u\n",
		      (unsigned long)g.st.calls, (unsigned long)g.st.errors,
		      (unsigned long)g.st.opens, proto.requests, proto.delivered);
	assert_true(g.st.calls - g.st.errors > 1000);
	assert_true(proto.requests > 100);
	assert_true(proto.delivered > 0);
}

/*
 * Cookies are keyed: from the cookies of earlier channels and the
 * entropy (42 in fake_ctx, a counter value in the hypervisor) nobody
 * predicts the next one, as one could when they were splitmix64 steps.
 * Another key gives other cookies for the same inputs.
 */
static void test_cookies_unpredictable(void **state)
{
	static const struct sip_key other = { 1, 2 };
	uint64_t c[16];
	struct ch ch;

	(void)state;
	assert_int_equal(splitmix_state(splitmix_out(12345)), 12345);
	for (unsigned i = 0; i < 16; i++) {
		assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &ch, 0));
		c[i] = (uint64_t)ch.hi << 32 | ch.lo;
		assert_int_equal(st(&ch, MSG_CLOSE, 0), S_OK);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(c[i], c[j]);
		if (!i)
			continue;
		/* The splitmix64 prediction of c[i] from c[i - 1]. */
		assert_int_not_equal(splitmix_out(splitmix_state(c[i - 1]) +
						  (0x9e3779b97f4a7c15ull ^ 42)),
				     c[i]);
	}
	gmsg_init(&g, &ops, NULL, &other);
	assert_true(open_ch(GUESTMSG_FLAG_COOKIE, &ch, 0));
	assert_int_not_equal((uint64_t)ch.hi << 32 | ch.lo, c[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_round_trip, setup),
		cmocka_unit_test_setup(test_cookies_unpredictable, setup),
		cmocka_unit_test_setup(test_out_of_order, setup),
		cmocka_unit_test_setup(test_abort_and_restart, setup),
		cmocka_unit_test_setup(test_bad_sizes, setup),
		cmocka_unit_test_setup(test_cookies, setup),
		cmocka_unit_test_setup(test_exhaustion_and_reclaim, setup),
		cmocka_unit_test_setup(test_high_bandwidth, setup),
		cmocka_unit_test_setup(test_poll_offer, setup),
		cmocka_unit_test_setup(test_random_calls, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
