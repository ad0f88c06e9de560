// SPDX-License-Identifier: Apache-2.0
/*
 * Held events (proto/evq.c): the hypervisor's queue and verged's cursor,
 * alone and together. The simulation at the end runs both ends over a
 * channel that loses frames, with a host that attaches late, crashes
 * between taking and recording an event, and a hypervisor that restarts:
 * the host's record never holds an event twice or out of order, and it
 * misses no event of the last boot that was not reported lost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <verge_evq.h>

static uint32_t push_boot(struct vp_evq *q, uint32_t stage)
{
	struct vp_ev_boot b = { stage, 0, 0 };
	const struct vp_evq_entry *e = vp_evq_push(q, VP_EV_BOOT, &b,
						   sizeof(b));

	return e ? e->seq : 0;
}

static void test_push_numbers_held_events(void **state)
{
	struct vp_evq q;
	struct vp_ev_power p = { VP_POWER_CPU_ON, 1, 0 }, held;
	struct vp_clock clk = { 0 };
	struct vp_events_state st;
	const struct vp_evq_entry *e;

	(void)state;
	vp_evq_init(&q, 77);
	vp_evq_state(&q, &st);
	assert_int_equal(st.boot_id, 77);
	assert_int_equal(st.first_seq, 1);
	assert_int_equal(st.next_seq, 1);
	assert_int_equal(push_boot(&q, 1), 1);
	e = vp_evq_push(&q, VP_EV_POWER, &p, sizeof(p));
	assert_non_null(e);
	assert_int_equal(e->seq, 2);
	/* not held: other types, wrong sizes */
	assert_null(vp_evq_push(&q, VP_EV_CLOCK, &clk, sizeof(clk)));
	assert_null(vp_evq_push(&q, VP_EV_RPCI, "x", 1));
	assert_null(vp_evq_push(&q, VP_EV_BOOT, &p, 8));
	assert_int_equal(q.count, 2);
	assert_ptr_equal(vp_evq_at(&q, 1), e);
	assert_int_equal(e->type, VP_EV_POWER);
	assert_int_equal(e->len, sizeof(held));
	/* the held copy carries the sender's boot_id */
	memcpy(&held, e->payload, sizeof(held));
	assert_int_equal(held.what, VP_POWER_CPU_ON);
	assert_int_equal(held.cpu, 1);
	assert_int_equal(held.boot_id, 77);
	assert_int_equal(vp_event_boot_id(e->payload, e->len), 77);
	assert_null(vp_evq_at(&q, 2));
	vp_evq_state(&q, &st);
	assert_int_equal(st.first_seq, 1);
	assert_int_equal(st.next_seq, 3);
	assert_int_equal(st.lost, 0);
	/* boot_id 0 means "none" on the wire: never a sender's */
	vp_evq_init(&q, 0);
	assert_int_not_equal(q.boot_id, 0);
}

/* The boot guard's stages, WS0 and expiry are held (issue 19): a
 * watchdog event that happens while no host is attached is kept until
 * one acknowledges it, as boot and power events are; the refresh
 * reports are not. */
static void test_watchdog_events_held(void **state)
{
	struct vp_evq q;
	struct vp_ev_watchdog w = { VP_WDT_EXPIRED, VP_WDT_HANDED_OFF, 1,
				    8000, 0 }, held;
	struct vp_ev_wdt_refresh r = { 3, 1, 8000, 0 };
	const struct vp_evq_entry *e;

	(void)state;
	assert_true(vp_event_held(VP_EV_WATCHDOG));
	assert_false(vp_event_held(VP_EV_WDT_REFRESH));
	vp_evq_init(&q, 91);
	assert_int_equal(push_boot(&q, 1), 1);
	e = vp_evq_push(&q, VP_EV_WATCHDOG, &w, sizeof(w));
	assert_non_null(e);
	assert_int_equal(e->seq, 2);
	assert_int_equal(e->len, sizeof(w));
	memcpy(&held, e->payload, sizeof(held));
	assert_int_equal(held.what, VP_WDT_EXPIRED);
	assert_int_equal(held.stage, VP_WDT_HANDED_OFF);
	assert_int_equal(held.timeout_ms, 8000);
	assert_int_equal(held.boot_id, 91);
	/* the old 16-byte layout is not taken */
	assert_null(vp_evq_push(&q, VP_EV_WATCHDOG, &w, 16));
	assert_null(vp_evq_push(&q, VP_EV_WDT_REFRESH, &r, sizeof(r)));
	assert_int_equal(q.count, 2);
	/* kept until acknowledged */
	vp_evq_ack(&q, 91, 1);
	assert_int_equal(q.count, 1);
	assert_int_equal(vp_evq_at(&q, 0)->type, VP_EV_WATCHDOG);
	vp_evq_ack(&q, 91, 2);
	assert_int_equal(q.count, 0);
}

static void test_ack_forgets_up_to_seq_of_own_boot(void **state)
{
	struct vp_evq q;
	struct vp_events_state st;

	(void)state;
	vp_evq_init(&q, 5);
	for (uint32_t i = 1; i <= 6; i++)
		assert_int_equal(push_boot(&q, i), i);
	vp_evq_ack(&q, 4, 3);		/* another boot's: nothing */
	vp_evq_ack(&q, 5, 9);		/* never sent: nothing */
	assert_int_equal(q.count, 6);
	vp_evq_ack(&q, 5, 3);
	vp_evq_state(&q, &st);
	assert_int_equal(st.first_seq, 4);
	assert_int_equal(q.count, 3);
	vp_evq_ack(&q, 5, 2);		/* already forgotten: nothing */
	assert_int_equal(q.count, 3);
	vp_evq_ack(&q, 5, 6);
	vp_evq_state(&q, &st);
	assert_int_equal(q.count, 0);
	assert_int_equal(st.first_seq, 7);
	assert_int_equal(st.next_seq, 7);
}

static void test_full_queue_drops_oldest_and_counts(void **state)
{
	struct vp_evq q;
	struct vp_events_state st;

	(void)state;
	vp_evq_init(&q, 5);
	for (uint32_t i = 1; i <= VP_EVQ_DEPTH + 5; i++)
		assert_int_equal(push_boot(&q, i), i);
	vp_evq_state(&q, &st);
	assert_int_equal(q.count, VP_EVQ_DEPTH);
	assert_int_equal(st.lost, 5);
	assert_int_equal(st.first_seq, 6);
	for (uint32_t i = 0; i < VP_EVQ_DEPTH; i++)
		assert_int_equal(vp_evq_at(&q, i)->seq, 6 + i);
}

static void test_cursor_takes_only_the_next(void **state)
{
	struct vp_evcursor c;
	struct vp_events_ack a;
	struct vp_events_state st = { 9, 1, 4, 0 };

	(void)state;
	vp_evcursor_init(&c, 0, 0);
	/* before the first reply: everything waits for the replay */
	assert_int_equal(vp_evcursor_event(&c, 9, 1), VP_EVC_SKIP);
	vp_evcursor_ack(&c, VP_ACK_REPLAY, &a);
	assert_int_equal(a.boot_id, 0);
	assert_int_equal(a.seq, 0);
	assert_int_equal(a.flags, VP_ACK_REPLAY);
	assert_int_equal(vp_evcursor_synced(&c, &st), 0);
	assert_int_equal(c.boot_id, 9);
	/* the replay of 1-3 was lost and the sender restarted: its seq 1
	 * is not boot 9's */
	assert_int_equal(vp_evcursor_event(&c, 11, 1), VP_EVC_RESYNC);
	assert_int_equal(vp_evcursor_event(&c, 9, 1), VP_EVC_TAKE);
	assert_int_equal(vp_evcursor_event(&c, 9, 2), VP_EVC_TAKE);
	/* a duplicate, a gap, a restarted sender: ask again */
	assert_int_equal(vp_evcursor_event(&c, 9, 2), VP_EVC_RESYNC);
	assert_int_equal(vp_evcursor_event(&c, 9, 4), VP_EVC_RESYNC);
	assert_int_equal(vp_evcursor_event(&c, 11, 1), VP_EVC_RESYNC);
	assert_int_equal(vp_evcursor_event(&c, 11, 3), VP_EVC_RESYNC);
	assert_int_equal(c.seq, 2);
	vp_evcursor_ack(&c, 0, &a);	/* a plain ack does not wait */
	assert_int_equal(a.boot_id, 9);
	assert_int_equal(a.seq, 2);
	assert_int_equal(vp_evcursor_event(&c, 9, 3), VP_EVC_TAKE);
}

static void test_cursor_sync_counts_lost_and_new_boots(void **state)
{
	struct vp_evcursor c;
	struct vp_events_state same = { 9, 8, 12, 3 };
	struct vp_events_state other = { 10, 1, 3, 0 };
	struct vp_events_state behind = { 9, 3, 5, 0 };

	(void)state;
	vp_evcursor_init(&c, 9, 4);
	/* 5, 6, 7 were dropped before this host took them */
	assert_int_equal(vp_evcursor_synced(&c, &same), 3);
	assert_int_equal(c.seq, 7);
	assert_int_equal(vp_evcursor_event(&c, 9, 8), VP_EVC_TAKE);
	/* another start of the hypervisor: from its first event */
	vp_evcursor_init(&c, 9, 4);
	assert_int_equal(vp_evcursor_synced(&c, &other), 0);
	assert_int_equal(c.boot_id, 10);
	assert_int_equal(vp_evcursor_event(&c, 10, 1), VP_EVC_TAKE);
	/* a cursor beyond anything sent takes the replay whole */
	vp_evcursor_init(&c, 9, 40);
	assert_int_equal(vp_evcursor_synced(&c, &behind), 0);
	assert_int_equal(vp_evcursor_event(&c, 9, 3), VP_EVC_TAKE);
}

/* --- both ends over a lossy channel ---------------------------------- */

#define WIRE_MAX	4096
#define EVENTS_MAX	20000

struct msg {
	int kind;		/* 0 event, 1 reply to a replay request */
	uint32_t seq;
	uint64_t boot_id;
	uint32_t id;		/* the event's global number */
	struct vp_events_state st;
};

struct wire {
	struct msg m[WIRE_MAX];
	unsigned n;
};

struct sim {
	bool lossless;
	/* hypervisor */
	struct vp_evq q;
	uint64_t boots;
	uint32_t emitted_boot[EVENTS_MAX];	/* id -> boot number */
	uint32_t next_id;
	bool connected;
	/* host: its durable record and cursor, and its cursor in memory */
	uint32_t record[EVENTS_MAX];
	unsigned nrecord;
	uint64_t rec_boot;
	uint32_t rec_seq;
	struct vp_evcursor c;
	uint64_t lost_in[256];			/* reported, by boot number */
	/* host -> hypervisor: requests; hypervisor -> host: frames */
	struct vp_events_ack acks[WIRE_MAX];
	unsigned nacks;
	struct wire down;
};

static void put(struct wire *w, struct msg m)
{
	assert_true(w->n < WIRE_MAX);
	w->m[w->n++] = m;
}

static struct msg take(struct wire *w)
{
	struct msg m = w->m[0];

	memmove(w->m, w->m + 1, (w->n - 1) * sizeof(w->m[0]));
	w->n--;
	return m;
}

/* QEMU: a frame written while no host is connected is gone; and one in
 * ten is lost while connected (virtconsole drops what a full socket does
 * not take). */
static void hv_send(struct sim *s, struct msg m)
{
	if (s->connected && (s->lossless || rand() % 10))
		put(&s->down, m);
}

static struct msg held_msg(const struct vp_evq_entry *e)
{
	struct msg m = { .kind = 0, .seq = e->seq };
	struct vp_ev_boot b;

	memcpy(&b, e->payload, sizeof(b));
	m.id = b.stage;
	m.boot_id = vp_event_boot_id(e->payload, e->len);
	return m;
}

static void hv_emit(struct sim *s)
{
	uint32_t id = s->next_id++;
	struct vp_ev_boot b = { id, 0, 0 };
	const struct vp_evq_entry *e;

	assert_true(id < EVENTS_MAX);
	s->emitted_boot[id] = (uint32_t)s->boots;
	e = vp_evq_push(&s->q, VP_EV_BOOT, &b, sizeof(b));
	assert_non_null(e);
	hv_send(s, held_msg(e));
}

static void hv_restart(struct sim *s)
{
	s->boots++;
	assert_true(s->boots < 256);
	vp_evq_init(&s->q, 1000 + s->boots);
	hv_emit(s);		/* every start: HV_UP at once */
}

static void hv_serve(struct sim *s)
{
	struct vp_events_ack a = s->acks[0];
	struct msg r = { .kind = 1 };

	memmove(s->acks, s->acks + 1, (s->nacks - 1) * sizeof(s->acks[0]));
	s->nacks--;
	vp_evq_ack(&s->q, a.boot_id, a.seq);
	if (!(a.flags & VP_ACK_REPLAY))
		return;		/* its reply: nothing the host needs */
	vp_evq_state(&s->q, &r.st);
	hv_send(s, r);
	for (uint32_t i = 0; i < s->q.count; i++)
		hv_send(s, held_msg(vp_evq_at(&s->q, i)));
}

static void host_ask(struct sim *s, uint32_t flags)
{
	assert_true(s->nacks < WIRE_MAX);
	vp_evcursor_ack(&s->c, flags, &s->acks[s->nacks++]);
}

/* verged connects: after a restart, from its durable cursor. */
static void host_connect(struct sim *s, bool restart)
{
	s->connected = true;
	s->down.n = 0;
	s->nacks = 0;
	if (restart)
		vp_evcursor_init(&s->c, s->rec_boot, s->rec_seq);
	host_ask(s, VP_ACK_REPLAY);
}

/* Records the cursor (with the event taken, or the loss counted), as
 * verged does in one transaction. */
static void host_commit(struct sim *s)
{
	s->rec_boot = s->c.boot_id;
	s->rec_seq = s->c.seq;
}

static void host_receive(struct sim *s, bool crash_before_commit)
{
	struct msg m = take(&s->down);

	if (m.kind == 1) {
		uint64_t n = vp_evcursor_synced(&s->c, &m.st);

		if (n) {
			s->lost_in[m.st.boot_id - 1000] += n;
			host_commit(s);
		}
		return;
	}
	switch (vp_evcursor_event(&s->c, m.boot_id, m.seq)) {
	case VP_EVC_SKIP:
		return;
	case VP_EVC_RESYNC:
		host_ask(s, VP_ACK_REPLAY);
		return;
	case VP_EVC_TAKE:
		break;
	}
	if (crash_before_commit) {
		s->connected = false;	/* verged died: taken, not recorded */
		return;
	}
	assert_true(s->nrecord < EVENTS_MAX);
	s->record[s->nrecord++] = m.id;
	host_commit(s);
	host_ask(s, 0);		/* recorded: the hypervisor may forget it */
}

static void check_record(const struct sim *s)
{
	unsigned i, last_boot_recorded = 0, last_boot_emitted = 0;

	/* ids grow with time: a strictly growing record has no duplicate
	 * and no event out of order */
	for (i = 1; i < s->nrecord; i++)
		assert_true(s->record[i] > s->record[i - 1]);
	for (i = 0; i < s->nrecord; i++)
		if (s->emitted_boot[s->record[i]] == s->boots)
			last_boot_recorded++;
	for (i = 0; i < s->next_id; i++)
		if (s->emitted_boot[i] == s->boots)
			last_boot_emitted++;
	assert_int_equal(last_boot_recorded + s->lost_in[s->boots],
			 last_boot_emitted);
	/* and the only loss is to a full queue */
	assert_true(s->lost_in[s->boots] <= s->q.lost);
}

static void run_sim(unsigned seed, unsigned steps, bool restarts)
{
	struct sim *s = calloc(1, sizeof(*s));
	unsigned i;

	assert_non_null(s);
	srand(seed);
	hv_restart(s);			/* nobody attached yet */
	hv_emit(s);
	for (i = 0; i < steps; i++) {
		int r = rand() % 100;

		if (!s->connected) {
			if (r < 10)
				host_connect(s, true);
			else if (r < 40)
				hv_emit(s);
			continue;
		}
		if (r < 15)
			hv_emit(s);
		else if (r < 40 && s->nacks)
			hv_serve(s);
		else if (r < 85 && s->down.n)
			host_receive(s, r == 84);
		else if (r < 86)
			s->connected = false;		/* verged restarts */
		else if (r < 87 && restarts)
			hv_restart(s);
		else if (r < 88)
			host_connect(s, false);		/* reconnects */
	}
	/* a quiet end: attach, lose nothing more, drain */
	s->lossless = true;
	host_connect(s, true);
	for (i = 0; i < 100000 && (s->nacks || s->down.n); i++) {
		if (s->nacks)
			hv_serve(s);
		while (s->down.n)
			host_receive(s, false);
	}
	check_record(s);
	/* the run exercised what it claims to */
	assert_true(s->nrecord > 50);
	free(s);
}

static void test_sim_late_attach_crashes_and_loss(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 200; seed++)
		run_sim(seed, 3000, false);
}

static void test_sim_with_hypervisor_restarts(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 200; seed++)
		run_sim(seed, 3000, true);
}

/* Nothing lost at all: a host that attaches after every event was sent
 * (to nobody) records all of them, once, in order. */
static void test_late_attach_records_everything(void **state)
{
	struct sim *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	s->lossless = true;
	hv_restart(s);
	for (int i = 0; i < 5; i++)
		hv_emit(s);
	host_connect(s, true);
	hv_serve(s);
	while (s->down.n) {
		struct msg m = take(&s->down);

		if (m.kind == 1) {
			assert_int_equal(vp_evcursor_synced(&s->c, &m.st), 0);
			continue;
		}
		assert_int_equal(vp_evcursor_event(&s->c, m.boot_id, m.seq),
				 VP_EVC_TAKE);
		s->record[s->nrecord++] = m.id;
	}
	assert_int_equal(s->nrecord, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(s->record[i], i);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_numbers_held_events),
		cmocka_unit_test(test_watchdog_events_held),
		cmocka_unit_test(test_ack_forgets_up_to_seq_of_own_boot),
		cmocka_unit_test(test_full_queue_drops_oldest_and_counts),
		cmocka_unit_test(test_cursor_takes_only_the_next),
		cmocka_unit_test(test_cursor_sync_counts_lost_and_new_boots),
		cmocka_unit_test(test_late_attach_records_everything),
		cmocka_unit_test(test_sim_late_attach_crashes_and_loss),
		cmocka_unit_test(test_sim_with_hypervisor_restarts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
