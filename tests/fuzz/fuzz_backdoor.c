// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness: the backdoor as a guest drives it (x7 decoding, the
 * commands, the MESSAGE channels in both bandwidths, RPCI requests and
 * TCLO delivery, guestinfo) and as the host's management requests feed
 * it (guestinfo set, TCLO push). hypervisor/core/backdoor.c, guestmsg.c
 * and rpci.c run over the fake guest memory and time of
 * tests/unit/bd_fake.c; backdoor_trap.c's own part (AT translation,
 * the lock) is hypervisor-only and not here.
 *
 * The input is a program: each step takes an opcode byte and the bytes
 * it needs. After every step the channel and queue invariants hold and
 * every event to the host fits a management frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <core/backdoor.h>
#include <core/guestmsg.h>
#include <core/rpci.h>
#include <verge_proto.h>

#include "bd_fake.h"
#include "fuzz.h"

static struct gmsg g;
static struct rpc_state s;
static struct {
	uint16_t id;
	uint32_t hi, lo;
} opened[GMSG_CHANNELS];
static uint8_t scratch[GMSG_MAX_MSG];

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct in *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)u8(in) << (8 * i);
	return v;
}

static uint16_t u16(struct in *in)
{
	return (uint16_t)(u8(in) | u8(in) << 8);
}

/* Up to max bytes of the input, their count first. */
static size_t bytes(struct in *in, const uint8_t **ret, size_t max)
{
	size_t n = u16(in) % (max + 1);

	if (n > in->n)
		n = in->n;
	*ret = in->p;
	in->p += n;
	in->n -= n;
	return n;
}

/* The fuzzer's clock: advanced by the input (step()). */
static uint64_t clock_ms, ev_second, ev_count;

static uint64_t fuzz_now_ms(void *ctx)
{
	(void)ctx;
	return clock_ms;
}

static void on_event(void *ctx, uint8_t type, const void *p, uint32_t len)
{
	(void)ctx;
	/* guest-made events: at most RPC_EVENTS_PER_S a second */
	if (type != VP_EV_TCLO_REPLY) {
		if (clock_ms / 1000 != ev_second) {
			ev_second = clock_ms / 1000;
			ev_count = 0;
		}
		FUZZ_CHECK(++ev_count <= RPC_EVENTS_PER_S);
	}
	FUZZ_CHECK(type == VP_EV_RPCI || type == VP_EV_TCLO_REPLY ||
		   type == VP_EV_GUESTINFO);
	FUZZ_CHECK(len <= VP_MAX_PAYLOAD);
	FUZZ_CHECK(len == 0 || p);
	if (len) /* the event must be readable in full */
		memcpy(scratch, p, len);
}

static void check_invariants(void)
{
	for (unsigned i = 0; i < GMSG_CHANNELS; i++) {
		const struct gmsg_chan *c = &g.ch[i];

		FUZZ_CHECK(c->state <= CH_RECEIVED);
		FUZZ_CHECK(c->in_len <= GMSG_MAX_MSG);
		FUZZ_CHECK(c->in_got <= c->in_len);
		FUZZ_CHECK(c->out_len <= GMSG_MAX_MSG);
		FUZZ_CHECK(c->out_pos <= c->out_len);
		if (c->state == CH_REPLY || c->state == CH_RECEIVING)
			FUZZ_CHECK(c->out_len > 0);
		if (c->state == CH_SENDING)
			FUZZ_CHECK(c->in_got < c->in_len);
	}
	FUZZ_CHECK(s.q_count <= RPC_TCLO_DEPTH);
	FUZZ_CHECK(s.q_head < RPC_TCLO_DEPTH);
	for (unsigned i = 0; i < RPC_TCLO_DEPTH; i++)
		FUZZ_CHECK(s.q[i].len <= RPC_RELAY_MAX);
	for (unsigned i = 0; i < RPC_ENTRIES; i++) {
		FUZZ_CHECK(s.gi[i].klen <= RPC_KEY_MAX);
		FUZZ_CHECK(s.gi[i].vlen <= RPC_VALUE_MAX);
	}
}

/* Registers of a MESSAGE step on channel ch, with its cookies unless
 * the program says otherwise. */
static void msg_regs(struct in *in, uint64_t r[7], unsigned type, uint32_t ebx)
{
	uint8_t sel = u8(in);
	unsigned ch = sel % (GMSG_CHANNELS + 1);
	bool own = ch < GMSG_CHANNELS && !(sel & 0x80);

	r[BD_AX] = BDOOR_MAGIC;
	r[BD_BX] = ebx;
	r[BD_CX] = (uint32_t)type << 16 | BDOOR_CMD_MESSAGE;
	r[BD_DX] = (uint32_t)(own ? opened[ch].id : ch) << 16;
	r[BD_SI] = own ? opened[ch].hi : u32(in);
	r[BD_DI] = own ? opened[ch].lo : u32(in);
	r[BD_BP] = 0;
}

/* Every call also goes through the fast path first, on a copy: when it
 * takes a call, bd_call() must leave the same registers. */
static void call(uint64_t now_ms, uint64_t x7, uint64_t r[7])
{
	struct bd_ctx b = fake_ctx(&g, now_ms);
	uint64_t fast[7];
	bool took;

	memcpy(fast, r, sizeof(fast));
	took = bd_fast_call(&b, x7, fast);
	FUZZ_CHECK(took || memcmp(fast, r, sizeof(fast)) == 0);
	FUZZ_CHECK(bd_call(&b, x7, r) == BD_DONE ||
		   (x7 >> BD_X7_MAGIC_SHIFT & 0xffff) != BD_X7_MAGIC);
	FUZZ_CHECK(!took || memcmp(fast, r, sizeof(fast)) == 0);
}

static void step(struct in *in, uint64_t *now_ms)
{
	uint8_t op = u8(in);
	uint64_t r[7];
	const uint8_t *p;
	size_t n;

	switch (op % 10) {
	case 0: { /* open a channel; remember what it got */
		uint32_t proto = op & 0x10 ? TCLO_PROTOCOL : RPCI_PROTOCOL;

		msg_regs(in, r, MSG_OPEN,
			 proto | (op & 0x20 ? GUESTMSG_FLAG_COOKIE : 0));
		call(*now_ms, BD_X7(BD_X7_LB_IN), r);
		if (r[BD_CX] >> 16 & MSG_STATUS_SUCCESS) {
			unsigned id = (uint16_t)(r[BD_DX] >> 16);

			FUZZ_CHECK(id < GMSG_CHANNELS);
			opened[id].id = (uint16_t)id;
			opened[id].hi = (uint32_t)r[BD_SI];
			opened[id].lo = (uint32_t)r[BD_DI];
		}
		break;
	}
	case 1: /* any low-bandwidth MESSAGE step */
	case 2: {
		unsigned type = u8(in) % (MSG_NTYPES + 1);

		msg_regs(in, r, type, u32(in));
		r[BD_DX] |= BDOOR_PORT;
		call(*now_ms, BD_X7(BD_X7_LB_IN), r);
		break;
	}
	case 3: { /* a whole message sent with SENDSIZE/SENDPAYLOAD */
		uint64_t save[7];

		msg_regs(in, r, MSG_SENDSIZE, 0);
		n = bytes(in, &p, GMSG_MAX_MSG + 8);
		r[BD_BX] = n;
		memcpy(save, r, sizeof(save));
		r[BD_DX] |= BDOOR_PORT;
		call(*now_ms, BD_X7(BD_X7_LB_IN), r);
		for (size_t i = 0; i < n; i += 4) {
			uint32_t w = 0;

			for (size_t j = 0; j < 4 && i + j < n; j++)
				w |= (uint32_t)p[i + j] << (8 * j);
			memcpy(r, save, sizeof(save));
			r[BD_BX] = w;
			r[BD_CX] = (uint32_t)MSG_SENDPAYLOAD << 16 |
				   BDOOR_CMD_MESSAGE;
			r[BD_DX] |= BDOOR_PORT;
			call(*now_ms, BD_X7(BD_X7_LB_IN), r);
		}
		break;
	}
	case 4: { /* a high-bandwidth transfer, either way */
		bool dir_in = op & 0x10;

		msg_regs(in, r, 0, (uint32_t)MSG_STATUS_SUCCESS << 16);
		r[BD_BX] = op & 0x20 ? u32(in) :
				       (uint32_t)MSG_STATUS_SUCCESS << 16;
		r[BD_CX] = u16(in) % (FAKE_SIZE + 64);
		r[BD_DX] |= BDOORHB_PORT;
		r[BD_SI] = op & 0x40 ? u32(in) : FAKE_VA + u16(in);
		r[BD_DI] = op & 0x40 ? u32(in) : FAKE_VA + u16(in);
		call(*now_ms,
		     BD_X7(dir_in ? BD_X7_HB_IN : BD_X7_HB_OUT) |
			     (op & 0x80 ? BD_X7_DF : 0),
		     r);
		break;
	}
	case 5: /* the other commands, and any x7 at all */
		for (int i = 0; i < 7; i++)
			r[i] = u32(in) | (uint64_t)(op & 0x80 ? u32(in) : 0)
						 << 32;
		if (op & 0x10)
			r[BD_AX] = BDOOR_MAGIC;
		if (op & 0x20)
			r[BD_DX] = (r[BD_DX] & ~0xffffull) | BDOOR_PORT;
		call(*now_ms,
		     op & 0x40 ? BD_X7(BD_X7_LB_IN) :
				 (uint64_t)BD_X7_MAGIC << BD_X7_MAGIC_SHIFT |
					 u16(in),
		     r);
		break;
	case 6: /* the host: guestinfo.set */
		n = bytes(in, &p, VP_MAX_PAYLOAD);
		(void)rpc_guestinfo_set(&s, p, n);
		break;
	case 7: /* the host: a TCLO command */
		n = bytes(in, &p, VP_MAX_PAYLOAD);
		(void)rpc_tclo_push(&s, p, n);
		break;
	case 8: /* guest memory the HB transfers read */
		n = bytes(in, &p, 512);
		memcpy(fake.mem + u16(in) % (FAKE_SIZE - 512), p, n);
		break;
	case 9: /* time passes (idle channels can be taken over) */
		*now_ms += u16(in) * 10ull;
		fake.time_valid = op & 0x10;
		fake.time_ns = *now_ms * 1000000ull;
		break;
	}
	check_invariants();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sip_key key = { 0x0123456789abcdefull,
					    0xfedcba9876543210ull };
	struct in in = { data, size };

	memset(&fake, 0, sizeof(fake));
	memset(opened, 0, sizeof(opened));
	clock_ms = ev_second = ev_count = 0;
	rpc_init(&s, on_event, fuzz_now_ms, NULL);
	gmsg_init(&g, &rpc_gmsg_ops, &s, &key);
	while (in.n)
		step(&in, &clock_ms);
	return 0;
}
