// SPDX-License-Identifier: Apache-2.0
/*
 * Held events (verge_evq.h): the sender's queue and the receiver's
 * cursor. Freestanding C11 like frame.c; built into verge-hv and verged.
 */
#include <string.h>

#include <verge_evq.h>

/* Serial-number order for 32-bit seqs: is a after b, by less than 2^31? */
static bool seq_after(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	return d != 0 && d < 0x80000000u;
}

void vp_evq_init(struct vp_evq *q, uint64_t boot_id)
{
	memset(q, 0, sizeof(*q));
	q->boot_id = boot_id ? boot_id : 1;
	q->next_seq = 1;
}

const struct vp_evq_entry *vp_evq_at(const struct vp_evq *q, uint32_t i)
{
	return i < q->count ? &q->e[(q->head + i) % VP_EVQ_DEPTH] : NULL;
}

const struct vp_evq_entry *vp_evq_push(struct vp_evq *q, uint8_t type,
				       const void *payload, uint32_t len)
{
	int want = vp_payload_size(type, 0);
	struct vp_evq_entry *e;

	if (!vp_event_held(type) || want < 8 || len != (uint32_t)want ||
	    len > VP_EVQ_PAYLOAD || !payload)
		return NULL;
	if (q->count == VP_EVQ_DEPTH) {
		q->head = (q->head + 1) % VP_EVQ_DEPTH;
		q->count--;
		q->lost++;
	}
	e = &q->e[(q->head + q->count) % VP_EVQ_DEPTH];
	e->seq = q->next_seq;
	e->type = type;
	e->len = (uint8_t)len;
	memcpy(e->payload, payload, len - 8);
	memcpy(e->payload + len - 8, &q->boot_id, 8);
	q->count++;
	/* seq 0 means "not held": skipped when the counter wraps */
	q->next_seq = q->next_seq + 1 ? q->next_seq + 1 : 1;
	return e;
}

uint64_t vp_event_boot_id(const void *payload, uint32_t len)
{
	uint64_t id = 0;

	if (len >= 8)
		memcpy(&id, (const uint8_t *)payload + len - 8, 8);
	return id;
}

void vp_evq_ack(struct vp_evq *q, uint64_t boot_id, uint32_t seq)
{
	uint32_t i;

	if (boot_id != q->boot_id)
		return;
	for (i = 0; i < q->count; i++) {
		if (vp_evq_at(q, i)->seq == seq) {
			q->head = (q->head + i + 1) % VP_EVQ_DEPTH;
			q->count -= i + 1;
			return;
		}
	}
}

void vp_evq_state(const struct vp_evq *q, struct vp_events_state *ret_state)
{
	struct vp_events_state st = {
		.boot_id = q->boot_id,
		.first_seq = q->count ? vp_evq_at(q, 0)->seq : q->next_seq,
		.next_seq = q->next_seq,
		.lost = q->lost,
	};

	*ret_state = st;
}

void vp_evcursor_init(struct vp_evcursor *c, uint64_t boot_id, uint32_t seq)
{
	c->boot_id = boot_id;
	c->seq = seq;
	c->waiting = true;
}

void vp_evcursor_ack(struct vp_evcursor *c, uint32_t flags,
		     struct vp_events_ack *ret_ack)
{
	struct vp_events_ack a = { c->boot_id, c->seq, flags };

	if (flags & VP_ACK_REPLAY)
		c->waiting = true;
	*ret_ack = a;
}

enum vp_evc_verdict vp_evcursor_event(struct vp_evcursor *c,
				      uint64_t boot_id, uint32_t seq)
{
	uint32_t next = c->seq + 1 ? c->seq + 1 : 1;

	if (c->waiting)
		return VP_EVC_SKIP;
	if (boot_id != c->boot_id || seq != next)
		return VP_EVC_RESYNC;
	c->seq = seq;
	return VP_EVC_TAKE;
}

uint64_t vp_evcursor_synced(struct vp_evcursor *c,
			    const struct vp_events_state *st)
{
	uint32_t before = st->first_seq - 1;	/* last seq not replayed */
	uint64_t lost = 0;

	c->waiting = false;
	if (st->boot_id != c->boot_id) {
		c->boot_id = st->boot_id;
		c->seq = 0;
	}
	if (seq_after(before, c->seq)) {
		/* dropped (queue full), or acknowledged by another host */
		lost = before - c->seq;
		c->seq = before;
	} else if (seq_after(c->seq, st->next_seq - 1)) {
		/* a cursor beyond anything sent: take the replay whole */
		c->seq = before;
	}
	return lost;
}
