// SPDX-License-Identifier: Apache-2.0
/*
 * Management requests from the host: decoded with proto/frame.c, checked
 * against the payload size of their type, answered with exactly one reply
 * carrying the request's sequence number. Malformed input is counted and
 * dropped (bad frames) or answered with an error frame (valid frames that
 * ask for something wrong); it never stops the hypervisor.
 */
#include <arch/cpufeat.h>
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/backdoor_trap.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/rpci.h>
#include <core/spinlock.h>
#include <core/vgic.h>
#include <core/vtime.h>
#include <drivers/virtio_console.h>
#include <verge_evq.h>
#include <verge_proto.h>

static struct vp_decoder dec;
static struct vp_frame req;	/* with rx_lock held */
static struct vp_evq evq;	/* held events (verge_proto.h) */
static uint8_t txbuf[VP_MAX_FRAME];
static struct spinlock tx_lock;
/* Requests are served on whichever CPU takes the interrupt or ticks
 * first; one at a time (docs/hypervisor.md, "Management channel"). */
static struct spinlock rx_lock;
/* The CPU the interrupt is routed to (moved when it switches off). */
static struct spinlock route_lock;
static unsigned irq, route_cpu;
static bool ready;
static uint64_t rx_frames, tx_frames, tx_dropped;

static void lock_tx(void)
{
	spin_lock(&tx_lock);
}

static void unlock_tx(void)
{
	spin_unlock(&tx_lock);
}

/* With tx_lock held. QEMU discards what it cannot deliver: held events
 * are kept in evq for that. */
static void tx(uint8_t type, uint16_t flags, uint32_t seq,
	       const void *payload, uint32_t len)
{
	size_t n = vp_encode(txbuf, sizeof(txbuf), type, flags, seq, payload,
			     len);

	if (n && vcon_send(txbuf, n) == 0)
		tx_frames++;
	else
		tx_dropped++;
}

static void send(uint8_t type, uint16_t flags, uint32_t seq,
		 const void *payload, uint32_t len)
{
	if (!ready)
		return;
	lock_tx();
	tx(type, flags, seq, payload, len);
	unlock_tx();
}

/* Held events are numbered and kept until a host acknowledges them;
 * the others go out once, with seq 0. */
void mgmt_event(uint8_t type, const void *payload, uint32_t len)
{
	const struct vp_evq_entry *e;

	if (!ready)
		return;
	lock_tx();
	e = vp_event_held(type) ? vp_evq_push(&evq, type, payload, len) : NULL;
	if (e)
		tx(type, VP_F_EVENT, e->seq, e->payload, e->len);
	else
		tx(type, VP_F_EVENT, 0, payload, len);
	unlock_tx();
}

static void reply(const void *payload, uint32_t len)
{
	send(req.hdr.type, VP_F_REPLY, req.hdr.seq, payload, len);
}

static void reply_error(int32_t code, const char *msg)
{
	uint8_t buf[4 + 120];
	size_t n = strnlen(msg, sizeof(buf) - 4);

	memcpy(buf, &code, 4);
	memcpy(buf + 4, msg, n);
	send(req.hdr.type, VP_F_REPLY | VP_F_ERROR, req.hdr.seq, buf,
	     (uint32_t)(4 + n));
}

/* The acknowledgement, then with VP_ACK_REPLAY every event still held,
 * all under one lock: no newer event can come between. */
static void do_events_ack(void)
{
	struct vp_events_ack a;
	struct vp_events_state st;

	memcpy(&a, req.payload, sizeof(a));
	if (a.flags & ~(uint32_t)VP_ACK_REPLAY) {
		reply_error(VP_E_OUT_OF_RANGE, "unknown EVENTS_ACK flags");
		return;
	}
	lock_tx();
	vp_evq_ack(&evq, a.boot_id, a.seq);
	vp_evq_state(&evq, &st);
	tx(req.hdr.type, VP_F_REPLY, req.hdr.seq, &st, sizeof(st));
	for (uint32_t i = 0; (a.flags & VP_ACK_REPLAY) && i < evq.count; i++) {
		const struct vp_evq_entry *e = vp_evq_at(&evq, i);

		tx(e->type, VP_F_EVENT, e->seq, e->payload, e->len);
	}
	unlock_tx();
}

static void reply_clock(void)
{
	struct vp_clock clk;

	vtime_get(&clk);
	reply(&clk, sizeof(clk));
}

static void do_hello(void)
{
	struct vp_hello h;
	struct {
		struct vp_hello_reply r;
		struct vp_hello_cpu cpu;
	} rep = {
		{ VP_VERSION, 0, VERGE_VERSION_NUM },
		{ cpu_feat.mask, cpu_feat.sve_vl, cpu_feat.sme_vl, 0 },
	};

	_Static_assert(sizeof(rep) == sizeof(struct vp_hello_reply) +
				      sizeof(struct vp_hello_cpu),
		       "HELLO reply, packed");
	if (!vtime_cntfrq_writable())
		rep.r.flags |= VP_HELLO_F_FREQ_DT_ONLY;
	memcpy(&h, req.payload, sizeof(h));
	if (h.min_version > VP_VERSION || h.max_version < VP_VERSION) {
		reply_error(VP_E_BAD_VERSION, "the hypervisor speaks version 1 only");
		return;
	}
	reply(&rep, sizeof(rep));
}

/* After a clock change: the new clock as the reply and as an event. */
static void clock_changed(int r, const char *refusal)
{
	struct vp_clock clk;

	if (r < 0) {
		reply_error(VP_E_OUT_OF_RANGE, refusal);
		return;
	}
	vtime_get(&clk);
	reply(&clk, sizeof(clk));
	mgmt_event(VP_EV_CLOCK, &clk, sizeof(clk));
}

static void do_set_rate(void)
{
	struct vp_rate r;

	memcpy(&r, req.payload, sizeof(r));
	clock_changed(vtime_set_rate(r.num, r.den),
		      "rate must be a fraction between 0.01 and 100");
}

static void do_step(void)
{
	struct vp_step s;

	memcpy(&s, req.payload, sizeof(s));
	clock_changed(vtime_step_ns(s.ns),
		      "step must be forward, more than 0 and at most 1 day");
}

static void do_set_freq(void)
{
	struct vp_freq f;

	memcpy(&f, req.payload, sizeof(f));
	if (vtime_set_next_freq(f.hz) < 0) {
		reply_error(VP_E_OUT_OF_RANGE,
			    "frequency must be between 1000 Hz and 4294967295 Hz");
		return;
	}
	reply_clock();
}

static void do_stats(void)
{
	struct vp_stats s = { 0 };

	for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
		s.exits_total += hv_cpus[i].stats.total;
		for (unsigned k = 0; k < EXIT_NCLASSES && k < 10; k++)
			s.exits[k] += hv_cpus[i].stats.by_class[k];
	}
	s.rx_frames = rx_frames;
	s.rx_bad_frames = dec.bad_crc + dec.bad_header;
	s.rx_dropped_bytes = dec.dropped_bytes;
	s.tx_frames = tx_frames;
	s.tx_dropped = tx_dropped;
	reply(&s, sizeof(s));
}

/* The backdoor's guest tools (docs/backdoor.md): empty replies; errors
 * name the limits of rpci.h. */
static void do_guestinfo_set(void)
{
	int r = backdoor_guestinfo_set(req.payload, req.hdr.len);
	char why[120];

	if (r == -ENOSPC)
		snprintf(why, sizeof(why), "guestinfo store full (%u keys)",
			 RPC_ENTRIES);
	else
		snprintf(why, sizeof(why), "want \"key\\0value\": key 1-%u printable bytes without spaces, value at most %u bytes",
			 RPC_KEY_MAX, RPC_VALUE_MAX);
	if (r < 0)
		reply_error(r == -ENOSPC ? VP_E_REFUSED : VP_E_OUT_OF_RANGE, why);
	else
		reply(NULL, 0);
}

static void do_tclo_push(void)
{
	int r = backdoor_tclo_push(req.payload, req.hdr.len);
	char why[80];

	if (r == -ENOSPC)
		snprintf(why, sizeof(why), "TCLO queue full (%u commands)",
			 RPC_TCLO_DEPTH);
	else
		snprintf(why, sizeof(why), "TCLO command must be 1-%u bytes",
			 RPC_RELAY_MAX);
	if (r < 0)
		reply_error(r == -ENOSPC ? VP_E_REFUSED : VP_E_OUT_OF_RANGE, why);
	else
		reply(NULL, 0);
}

static void do_host_time_set(void)
{
	struct vp_host_time t;

	memcpy(&t, req.payload, sizeof(t));
	backdoor_host_time_set(t.unix_ns);
	reply(NULL, 0);
}

static void handle(void)
{
	int want = vp_payload_size(req.hdr.type, 0);

	rx_frames++;
	if (req.hdr.flags & (VP_F_REPLY | VP_F_EVENT)) {
		reply_error(VP_E_BAD_FRAME, "the hypervisor takes requests only");
		return;
	}
	if (want >= 0 && (uint32_t)want != req.hdr.len) {
		reply_error(VP_E_BAD_LENGTH, "payload size does not match the type");
		return;
	}
	switch (req.hdr.type) {
	case VP_HELLO: do_hello(); break;
	case VP_PING: reply(req.payload, req.hdr.len); break;
	case VP_EVENTS_ACK: do_events_ack(); break;
	case VP_CLOCK_GET: reply_clock(); break;
	case VP_CLOCK_SET_RATE: do_set_rate(); break;
	case VP_CLOCK_STEP: do_step(); break;
	case VP_CLOCK_SET_FREQ: do_set_freq(); break;
	case VP_STATS_GET: do_stats(); break;
	case VP_GUESTINFO_SET: do_guestinfo_set(); break;
	case VP_TCLO_PUSH: do_tclo_push(); break;
	case VP_HOST_TIME_SET: do_host_time_set(); break;
	default: reply_error(VP_E_UNKNOWN_TYPE, "unknown request type"); break;
	}
}

static void sink(void *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	(void)ctx;
	while (len) {
		size_t n = vp_decoder_push(&dec, p, len);

		p += n;
		len -= n;
		while (vp_decoder_next(&dec, &req) == 1)
			handle();
		if (n == 0)	/* cannot happen: next() always makes room */
			break;
	}
}

/*
 * Any online CPU: the one that holds rx_lock drains the queue; another
 * that comes meanwhile (its tick, the interrupt, or the holder itself
 * re-entered from a wait inside a request) leaves, and the holder's
 * loop picks up what arrived after its last look.
 */
void mgmt_poll(void)
{
	if (!ready)
		return;
	while (spin_trylock(&rx_lock)) {
		vcon_receive(sink, NULL);
		spin_unlock(&rx_lock);
		/* not the used index read before the unlock: a CPU that
		 * found the lock taken left that frame to us */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!vcon_rx_pending())
			break;
	}
}

/* A CPU switches off (PSCI CPU_OFF, c->online already false): the
 * interrupt it would have taken goes to an online CPU. */
void mgmt_cpu_off(const struct cpu *c)
{
	if (!ready || irq < 32 || irq >= GIC_MAX_INTID)
		return;
	spin_lock(&route_lock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; route_cpu == c->id && i < hv.plat.ncpus &&
			     i < HV_MAX_CPUS; i++) {
		if (i == c->id || !hv_cpus[i].online)
			continue;
		route_cpu = i;
		gic_route_spi(hv.plat.gicd, irq, hv.plat.cpu_mpidr[i]);
	}
	spin_unlock(&route_lock);
}

bool mgmt_is_irq(unsigned intid)
{
	return ready && irq && intid == irq;
}

void mgmt_irq(void)
{
	vcon_irq_ack();
	mgmt_poll();
}

void mgmt_init(const struct platform *p)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct region *r = &p->regions[i];

		if (r->kind != REGION_HV_DEVICE || vcon_init(r->base) < 0)
			continue;
		vp_decoder_init(&dec);
		/* The counter never goes back while QEMU runs: a boot_id no
		 * earlier start of this VM's hypervisor had. */
		vp_evq_init(&evq, read_sysreg(cntpct_el0));
		irq = r->irq;
		ready = true;
		if (irq >= 32 && irq < GIC_MAX_INTID) {
			vgic_hv_owned[irq / 32] |= 1u << (irq % 32);
			route_cpu = 0;
			gic_enable_spi(p->gicd, irq, p->cpu_mpidr[0]);
		}
		hv_log("mgmt channel on virtio-mmio 0x%lx, IRQ %u", r->base, irq);
		return;
	}
	hv_log("no management channel (no virtio console on virtio-mmio)");
}
