/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backdoor MESSAGE (command 30): guest message channels, the state
 * machine of open-vm-tools lib/message/message.c seen from the host side.
 * Status bits, message types and flags (open-vm-tools
 * lib/include/guest_msg_def.h) are in proto/inc/verge_backdoor.h. Pure
 * logic, host-testable: what a channel carries (RPCI or TCLO) is handled
 * behind struct gmsg_ops.
 */
#ifndef CORE_GUESTMSG_H
#define CORE_GUESTMSG_H
#include <core/compat.h>
#include <core/siphash.h>
#include <verge_backdoor.h>

#define GMSG_CHANNELS		8	/* GUESTMSG_MAX_CHANNEL */
#define GMSG_MAX_MSG		4096	/* bytes per message, each way */
#define GMSG_RECLAIM_MS		5000	/* an idle channel may be taken over */

enum gmsg_state {
	CH_FREE,
	CH_IDLE,	/* open, no transfer in progress */
	CH_SENDING,	/* SENDSIZE given, payload arriving */
	CH_REPLY,	/* a message waits for RECVSIZE */
	CH_RECEIVING,	/* RECVSIZE given, payload leaving */
	CH_RECEIVED,	/* all payload read, RECVSTATUS expected */
};

/* What the channels carry: the RPCI/TCLO layer (rpci.c). ch is the
 * channel's index. */
struct gmsg_ops {
	/* A whole message from the guest; writes the reply into out (cap
	 * bytes) and returns its length (0: nothing to receive). */
	size_t (*request)(void *ctx, uint32_t proto, unsigned ch,
			  const uint8_t *msg, size_t len, uint8_t *out,
			  size_t cap);
	/* Nothing pending at RECVSIZE: a message to offer now, or 0. */
	size_t (*poll)(void *ctx, uint32_t proto, unsigned ch, uint8_t *out,
		       size_t cap);
	/* The guest confirmed it received the message (RECVSTATUS). */
	void (*delivered)(void *ctx, uint32_t proto, unsigned ch);
	/* The channel was closed or taken over. */
	void (*closed)(void *ctx, uint32_t proto, unsigned ch);
};

struct gmsg_chan {
	enum gmsg_state state;
	uint32_t proto;
	bool cookie;		/* cookies checked (GUESTMSG_FLAG_COOKIE) */
	uint32_t cookie_hi, cookie_lo;
	uint64_t last_ms;
	uint32_t in_len, in_got;
	uint32_t out_len, out_pos;
	uint8_t in[GMSG_MAX_MSG];
	uint8_t out[GMSG_MAX_MSG];
};

struct gmsg_stats {
	uint64_t calls, errors, opens, reclaims, bad_cookies;
};

struct gmsg {
	struct gmsg_chan ch[GMSG_CHANNELS];
	const struct gmsg_ops *ops;
	void *ctx;
	struct sip_key key;	/* cookie key: secret from the guest */
	uint64_t seq;		/* channels opened */
	struct gmsg_stats st;
};

struct bd_ctx;

void gmsg_init(struct gmsg *g, const struct gmsg_ops *ops, void *ctx,
	       const struct sip_key *key);
/* A low-bandwidth MESSAGE call; r = x0-x6 (see docs/backdoor.md). */
void gmsg_call(struct gmsg *g, struct bd_ctx *b, uint64_t r[7]);
/* A high-bandwidth transfer on port 0x5659 (in: host to guest). */
void gmsg_hb(struct gmsg *g, struct bd_ctx *b, bool in, uint64_t r[7]);
#endif
