/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Held events, both ends (the protocol is described in verge_proto.h,
 * "Held events"): the hypervisor's bounded queue (struct vp_evq) and the
 * host's cursor (struct vp_evcursor). Pure logic, no locking, no I/O:
 * the hypervisor calls the queue under its transmit lock, verged calls
 * the cursor from its one loop, and tests/unit/test_evq.c drives both.
 */
#ifndef VERGE_EVQ_H
#define VERGE_EVQ_H
#include <stdbool.h>
#include <stdint.h>

#include <verge_proto.h>

/* Largest payload held: struct vp_ev_watchdog (vp_ev_boot and
 * vp_ev_power are 16 bytes). */
#define VP_EVQ_PAYLOAD	24

struct vp_evq_entry {
	uint32_t seq;
	uint8_t type;
	uint8_t len;
	uint8_t payload[VP_EVQ_PAYLOAD];
};

struct vp_evq {
	struct vp_evq_entry e[VP_EVQ_DEPTH];
	uint64_t boot_id;
	uint64_t lost;		/* dropped unacknowledged (queue full) */
	uint32_t next_seq;	/* the next event's; 1 after init */
	uint32_t head;		/* index of the oldest held entry */
	uint32_t count;		/* entries held */
};

/* An empty queue for this start of the sender; boot_id 0 becomes 1. */
void vp_evq_init(struct vp_evq *q, uint64_t boot_id);
/*
 * Holds a copy of an event of a held type, its last 8 bytes (boot_id)
 * set to q->boot_id, and returns it: its seq (never 0) and payload are
 * what the live frame carries. Returns NULL (nothing held) for another
 * type or a payload of the wrong size. A full queue drops its oldest
 * entry and counts it in q->lost.
 */
const struct vp_evq_entry *vp_evq_push(struct vp_evq *q, uint8_t type,
				       const void *payload, uint32_t len);
/*
 * A host's acknowledgement: when boot_id is q's and seq is held, forgets
 * the entries up to and including seq. Anything else forgets nothing
 * (an event already forgotten, another boot's, or a seq never sent).
 */
void vp_evq_ack(struct vp_evq *q, uint64_t boot_id, uint32_t seq);
void vp_evq_state(const struct vp_evq *q, struct vp_events_state *ret_state);
/* The i-th held entry, oldest first; NULL when i >= count. */
const struct vp_evq_entry *vp_evq_at(const struct vp_evq *q, uint32_t i);

/* What the host does with a held event (vp_evcursor_event). */
enum vp_evc_verdict {
	VP_EVC_TAKE,	/* the next one: record it; the cursor moved */
	VP_EVC_SKIP,	/* waiting for a reply: the replay brings it */
	VP_EVC_RESYNC,	/* out of order: send EVENTS_ACK + VP_ACK_REPLAY */
};

struct vp_evcursor {
	uint64_t boot_id;	/* of the last event taken; 0: none */
	uint32_t seq;		/* last event taken; 0: none */
	bool waiting;		/* a replay was asked for, no reply yet */
};

/* Starts from what the host recorded (0, 0: nothing, a fresh QEMU);
 * waiting until the first reply. */
void vp_evcursor_init(struct vp_evcursor *c, uint64_t boot_id, uint32_t seq);
/* The request to send (flags: VP_ACK_REPLAY or 0). A replay request
 * puts the cursor in waiting. */
void vp_evcursor_ack(struct vp_evcursor *c, uint32_t flags,
		     struct vp_events_ack *ret_ack);
/* A held event arrived: its sender's boot_id (from the payload) and seq. */
enum vp_evc_verdict vp_evcursor_event(struct vp_evcursor *c,
				      uint64_t boot_id, uint32_t seq);
/* The boot_id at the end of a held event's payload (len >= 8). */
uint64_t vp_event_boot_id(const void *payload, uint32_t len);
/*
 * The reply to a replay request: adopts the sender's boot, and returns
 * how many held events of this boot were dropped before the host took
 * them (the replay starts after them). Replies to plain acknowledgements
 * need not be passed here.
 */
uint64_t vp_evcursor_synced(struct vp_evcursor *c,
			    const struct vp_events_state *st);
#endif
