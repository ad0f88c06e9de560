/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the guest message channels carry: RPCI (guest requests, answered
 * "1 <result>" or "0 <error>" as open-vm-tools lib/rpcOut expects) and
 * TCLO (host commands queued by the management channel, polled by the
 * guest's tools, answered by the guest's next message). Also the
 * guestinfo key/value store. Pure logic, host-testable; limits are in
 * docs/backdoor.md.
 */
#ifndef CORE_RPCI_H
#define CORE_RPCI_H
#include <core/compat.h>

#define RPC_KEY_MAX		64	/* key bytes, without "guestinfo." */
#define RPC_VALUE_MAX		512	/* value bytes */
#define RPC_ENTRIES		32	/* guestinfo keys of each owner */
#define RPC_TCLO_DEPTH		8	/* queued host commands */
#define RPC_RELAY_MAX		1024	/* text relayed in one event frame */
#define RPC_EVENTS_PER_S	100	/* relayed requests and guestinfo sets
					 * told to the host, per second */

struct rpc_entry {
	uint8_t klen;
	uint16_t vlen;
	char key[RPC_KEY_MAX];
	char value[RPC_VALUE_MAX];
};

struct rpc_tclo {
	uint16_t len;
	uint8_t text[RPC_RELAY_MAX];
};

struct rpc_stats {
	uint64_t requests, relayed, unknown, tclo_pushed, tclo_replies,
		 tclo_delivered, throttled;
};

struct rpc_state {
	/* Guestinfo: the host's keys and the guest's, kept apart. A key
	 * the host set is read-only to the guest and hides (replaces) the
	 * guest's value of it. */
	struct rpc_entry host_gi[RPC_ENTRIES];
	struct rpc_entry gi[RPC_ENTRIES];
	struct rpc_tclo q[RPC_TCLO_DEPTH];
	unsigned q_head, q_count;
	bool inflight;		/* a TCLO command was delivered, no reply yet */
	unsigned inflight_ch;	/* the channel it went to */
	/* Events for the host: VP_EV_RPCI, VP_EV_TCLO_REPLY, VP_EV_GUESTINFO. */
	void (*event)(void *ctx, uint8_t type, const void *payload,
		      uint32_t len);
	uint64_t (*now_ms)(void *ctx);	/* host time, for the rate limit */
	void *ctx;
	uint64_t ev_second;	/* the second ev_count counts in */
	unsigned ev_count;	/* guest-made events to the host in it */
	struct rpc_stats st;
};

struct gmsg_ops;
extern const struct gmsg_ops rpc_gmsg_ops;	/* ctx: struct rpc_state */

/* Guest requests that reach the host (relays as VP_EV_RPCI, info-set as
 * VP_EV_GUESTINFO) get at most RPC_EVENTS_PER_S per second of now_ms;
 * past that the guest gets an error reply and the host nothing. */
void rpc_init(struct rpc_state *s,
	      void (*event)(void *ctx, uint8_t type, const void *payload,
			    uint32_t len),
	      uint64_t (*now_ms)(void *ctx), void *ctx);
/* From the host (VP_GUESTINFO_SET): "key\0value"; an empty value deletes.
 * The guest's own value of that key, if any, is dropped. 0, -EINVAL
 * (malformed, sizes), -ENOSPC (the host's RPC_ENTRIES keys in use). */
int rpc_guestinfo_set(struct rpc_state *s, const void *payload, size_t len);
/* From the host (VP_TCLO_PUSH): 0, -EINVAL (empty, too long), -ENOSPC. */
int rpc_tclo_push(struct rpc_state *s, const void *text, size_t len);
/* The value of guestinfo.<key> (the host's if it set one), or NULL. */
const struct rpc_entry *rpc_guestinfo_get(const struct rpc_state *s,
					  const char *key, size_t klen);
#endif
