// SPDX-License-Identifier: Apache-2.0
/* Guest time control: the mechanisms of vtime.h on the timeline. */
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/cntfrq.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/dilation.h>
#include <core/ecv.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/sysreg_trap.h>
#include <core/tick.h>
#include <core/timeline.h>
#include <core/trap.h>
#include <core/vgic.h>
#include <core/vtime.h>
#include <verge_proto.h>

#define CNTPCT_EL0	SYSREG_KEY(3, 3, 14, 0, 1)
#define CNTP_TVAL_EL0	SYSREG_KEY(3, 3, 14, 2, 0)
#define CNTP_CTL_EL0	SYSREG_KEY(3, 3, 14, 2, 1)
#define CNTP_CVAL_EL0	SYSREG_KEY(3, 3, 14, 2, 2)
#define CTL_ISTATUS	(1UL << 2)
#define NS_PER_S	1000000000UL

/* Written by management requests (mgmt.c serves one at a time, on
 * whichever CPU gets there first) and corrections, under the sequence
 * count; read anywhere. */
static struct {
	volatile uint32_t seq;
	struct timeline tl;
	uint64_t cntvoff;
	volatile uint32_t gen;	/* bumped when timer deadlines must move */
} clk;

static struct {
	uint64_t stalled, counter_traps, timer_traps, max_error;
} st;

/* ID_AA64PFR0_EL1: with EL3, CNTFRQ_EL0 is never written (core/cntfrq.h). */
static uint64_t pfr0;

/*
 * The frequency to present at the next boot survives a guest reset: QEMU
 * reloads the images but not this page, which is neither image nor BSS.
 */
#define PERSIST_MAGIC	0x76726765746d6521UL
static struct {
	uint64_t magic, next_freq, check;
} persist __attribute__((section(".noinit")));

static bool persist_valid(void)
{
	return persist.magic == PERSIST_MAGIC &&
	       persist.check == (persist.next_freq ^ PERSIST_MAGIC);
}

static void write_begin(void)
{
	clk.seq++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void write_end(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	clk.seq++;
}

static uint64_t now(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

/* A consistent copy of the timeline, against a concurrent write. */
static struct timeline snapshot(void)
{
	struct timeline t;
	uint32_t s;

	do {
		while ((s = clk.seq) & 1)
			;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		t = clk.tl;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (s != clk.seq);
	return t;
}

static uint64_t guest_at(uint64_t p)
{
	struct timeline t = snapshot();

	return timeline_guest(&t, p);
}

static uint64_t host_at(uint64_t g)
{
	struct timeline t = snapshot();

	return timeline_host_at(&t, g);
}

int vtime_init(uint64_t fg, uint32_t num, uint32_t den)
{
	uint64_t fh = read_sysreg(cntfrq_el0), p = now();
	int r;

	pfr0 = read_sysreg(id_aa64pfr0_el1);
	if (persist_valid() && persist.next_freq)
		fg = persist.next_freq;	/* set by the host for this boot */
	if (!fg)
		fg = fh;
	/* G(P) = P at boot: CNTVCT needs no offset until the rate changes. */
	r = timeline_init(&clk.tl, p, p, fh, fg);
	if (r == 0 && num)
		r = timeline_set_rate(&clk.tl, p, num, den);
	clk.cntvoff = 0;
	ecv_init(!timeline_is_natural(&clk.tl));	/* FEAT_ECV: exact mode */
	return r;
}

uint64_t vtime_guest_freq(void)
{
	return clk.tl.fg;
}

enum freq_by vtime_freq_by(void)
{
	return freq_mechanism(pfr0, clk.tl.fg, clk.tl.fh);
}

bool vtime_cntfrq_writable(void)
{
	return cntfrq_writable(pfr0);
}

uint64_t vtime_guest_now(void)
{
	return guest_at(now());
}

uint64_t vtime_host_at(uint64_t g)
{
	return host_at(g);
}

uint64_t vtime_cntvoff(void)
{
	return clk.cntvoff;
}

static void arm_ptimer(struct cpu *c)
{
	uint64_t ctl = c->vt.pt.ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK);

	write_sysreg(cntp_cval_el0, host_at(c->vt.pt.cval));
	write_sysreg(cntp_ctl_el0, ctl);
	c->vt.gen = clk.gen;
	isb();
}

void vtime_cpu_init(struct cpu *c)
{
	/* parked: vtime_resume() starts it */
	c->vt = (struct vtime_cpu){ .parked = true, .wake = UINT64_MAX };
	if (cntfrq_writable(pfr0))	/* UNDEFINED at EL2 with EL3 */
		write_sysreg(cntfrq_el0, clk.tl.fg);
	write_sysreg(cntvoff_el2, clk.cntvoff);
	write_sysreg(cnthctl_el2, 0);	/* trap CNTPCT and CNTP_* */
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	ecv_cpu_init(c);	/* FEAT_ECV: CNTVCT and CNTV_* trapped if due */
}

/* --- trap-and-scale ------------------------------------------------ */

/* op2 of CNTP_* and CNTV_* alike: 0 TVAL, 1 CTL, 2 CVAL. */
uint64_t vtime_timer_read(const struct vtime_timer *t, unsigned op2)
{
	uint64_t g = guest_at(now());

	switch (op2) {
	case 2:
		return t->cval;
	case 0:
		return (uint64_t)(uint32_t)(t->cval - g);
	default:	/* CTL */
		return t->ctl | ((t->ctl & CNT_CTL_ENABLE) &&
				 g >= t->cval ? CTL_ISTATUS : 0);
	}
}

void vtime_timer_write(struct vtime_timer *t, unsigned op2, uint64_t v)
{
	switch (op2) {
	case 2:
		t->cval = v;
		break;
	case 0:
		t->cval = guest_at(now()) + (uint64_t)(int64_t)(int32_t)v;
		break;
	default:
		t->ctl = v & (CNT_CTL_ENABLE | CNT_CTL_IMASK);
		break;
	}
}

enum sysreg_result vtime_sysreg(struct cpu *c, struct trap_frame *f,
				uint64_t esr, const struct sysreg_info *s)
{
	unsigned key = sysreg_key(s);

	(void)esr;
	if (ecv_sysreg(c, f, s))	/* FEAT_ECV: CNTVCT(SS), CNTPCTSS, CNTV_* */
		return SYSREG_DONE;
	if (key == CNTPCT_EL0) {
		if (!s->read)
			return SYSREG_NOT_MINE;
		__atomic_fetch_add(&st.counter_traps, 1, __ATOMIC_RELAXED);
		frame_set_reg(f, s->reg, guest_at(now()));
		return SYSREG_DONE;
	}
	if (key != CNTP_CTL_EL0 && key != CNTP_CVAL_EL0 && key != CNTP_TVAL_EL0)
		return SYSREG_NOT_MINE;
	__atomic_fetch_add(&st.timer_traps, 1, __ATOMIC_RELAXED);
	if (s->read) {
		frame_set_reg(f, s->reg, vtime_timer_read(&c->vt.pt, s->op2));
	} else {
		vtime_timer_write(&c->vt.pt, s->op2, frame_reg(f, s->reg));
		arm_ptimer(c);
	}
	return SYSREG_DONE;
}

/* --- dilation ------------------------------------------------------ */

/*
 * docs/hypervisor.md, "Guest time", tells the design. A vCPU is parked
 * while it is at EL2 and cannot return to its guest without taking the
 * dilation lock: waiting for an interrupt after its guest's WFI, or held
 * while another CPU corrects CNTVOFF. A correction (by the lock's holder)
 * needs every online vCPU parked; an idle one already is, so it is never
 * woken for it. Waits sleep in wfi at EL2; nothing spins on the host.
 */
static struct {
	volatile uint32_t lock;		/* 0, or the holder's id + 1 */
	volatile uint32_t gather;	/* a holder waiting for vCPUs: id + 1 */
	uint64_t v_seen;		/* the largest CNTVCT a guest may have read */
	volatile uint64_t last;		/* host counter of the last correction */
} dl;

static void atomic_max(uint64_t *x, uint64_t v)
{
	uint64_t o = __atomic_load_n(x, __ATOMIC_RELAXED);

	while (v > o && !__atomic_compare_exchange_n(x, &o, v, false,
						     __ATOMIC_SEQ_CST,
						     __ATOMIC_RELAXED))
		;
}

/* The error bound the correction period aims at: 0.5 ms of guest time
 * (|V - G| swings between -E and +E), and the shortest period, 250 us. */
static int64_t offset_now(const struct timeline *t)
{
	uint64_t period = dil_period(t, t->fg / 2000, t->fh / 4000,
				     tick_period());

	return dil_offset(t, period);
}

/*
 * QEMU 10 works out when the virtual timer fires as CVAL + CNTVOFF and
 * takes an overflow of that sum for "never" (QEMU 7.2 lets it wrap, as
 * the architecture, which counts modulo 2^64, does). CNTVOFF_EL2 is
 * negative as soon as G is ahead of P (a rate above 1, a step, or rate 1
 * after either; P starts near 0 at power-on, so there is no headroom to
 * take): there the virtual timer fires only when something makes QEMU
 * look at it again (a write of CNTVOFF_EL2, CVAL or CTL.ENABLE), not when
 * it is due. So while CNTVOFF is negative EL2 watches the guest's virtual
 * timer: its tick timer is armed for the host tick at which CNTVCT
 * reaches CNTV_CVAL (c->vt.wake), and there it writes CNTVOFF_EL2 again,
 * unchanged, which makes QEMU see the timer due. An idle vCPU (WFI is
 * trapped meanwhile) is woken exactly; a running one's guest may set a
 * deadline between two looks, so it is looked at every tick, which comes
 * every millisecond at most meanwhile. Harmless where the hardware counts
 * modulo 2^64.
 */
static bool watching(void)
{
	return !ecv_active() && dil_cntvoff_negative(clk.cntvoff);
}

uint64_t vtime_period(uint64_t max_period)
{
	struct timeline t = snapshot();

	if (watching() && max_period > t.fh / 1000)
		max_period = t.fh / 1000;
	else if (!vtime_dilating())
		return max_period;
	return dil_period(&t, t.fg / 2000, t.fh / 4000, max_period);
}

/* A vCPU that runs its guest: when its virtual timer is due (see above). */
static void watch_vtimer(struct cpu *c)
{
	uint64_t off = read_sysreg(cntvoff_el2), ctl, p, at;

	c->vt.wake = UINT64_MAX;
	ctl = read_sysreg(cntv_ctl_el0);
	if (dil_cntvoff_negative(off) &&
	    (ctl & (CNT_CTL_ENABLE | CTL_ISTATUS)) == CNT_CTL_ENABLE) {
		p = now();
		at = dil_vtimer_at(p, off, read_sysreg(cntv_cval_el0));
		if (at <= p) {	/* due: QEMU looks again */
			write_sysreg(cntvoff_el2, off);
			isb();
		} else {
			c->vt.wake = at;
		}
	}
	tick_arm(c);
}

void vtime_wake(struct cpu *c)
{
	c->vt.wake = UINT64_MAX;
	/* parked: vtime_idle() aims its timer again once this returns;
	 * busy: leave() will */
	if (!c->vt.parked && !c->vt.busy)
		watch_vtimer(c);
}

/* What the guest on this CPU may have read up to now: |V - G| into the
 * statistics and V into v_seen. */
static void note_read(uint64_t p, bool seen)
{
	struct timeline t = snapshot();
	uint64_t off = read_sysreg(cntvoff_el2);

	if (ecv_active())	/* exact: the guest reads G, never P - CNTVOFF */
		return;
	atomic_max(&st.max_error, dil_error(&t, p, off));
	if (seen)
		atomic_max(&dl.v_seen, p - off);
}

static unsigned others_online(struct cpu *self)
{
	unsigned n = 0;

	for (unsigned i = 0; i < HV_MAX_CPUS; i++)
		n += hv_cpus[i].online && &hv_cpus[i] != self;
	return n;
}

static bool others_parked(const struct cpu *self)
{
	for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
		const struct cpu *o = &hv_cpus[i];

		if (o != self && o->online && !o->vt.parked)
			return false;
	}
	return true;
}

static void idle_timer(struct cpu *c);

/*
 * This CPU stops running its guest. Its virtual timer is aimed on plan
 * at once, as an idle one's: with the running CNTVOFF it would fire when
 * the V a correction is about to take back reached CVAL (at a rate below
 * 1, during the stall), and the guest would take it before its CNTVCT
 * got there.
 */
static void park(struct cpu *c)
{
	uint32_t g;

	note_read(now(), true);
	if (!ecv_active())
		idle_timer(c);
	c->vt.parked = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	g = dl.gather;
	if (g && g != c->id + 1)
		gic_send_sgi_to(hv_cpus[g - 1].mpidr, INTID_HV_SGI);
}

static void lock(struct cpu *c)
{
	uint32_t free = 0;

	c->vt.waiting = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (!__atomic_compare_exchange_n(&dl.lock, &free, c->id + 1, false,
					    __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST)) {
		trap_wait_irq(c);	/* the holder wakes us */
		free = 0;
	}
	c->vt.waiting = false;
}

static void unlock(struct cpu *c)
{
	__atomic_store_n(&dl.lock, 0, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
		struct cpu *o = &hv_cpus[i];

		if (o != c && o->online && o->vt.waiting)
			gic_send_sgi_to(o->mpidr, INTID_HV_SGI);
	}
}

/* Holding the lock: brings every other online vCPU to EL2. */
static void gather(struct cpu *c)
{
	uint64_t until = now() + clk.tl.fh / 10;

	dl.gather = c->id + 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
		struct cpu *o = &hv_cpus[i];

		if (o != c && o->online && !o->vt.parked)
			gic_send_sgi_to(o->mpidr, INTID_HV_SGI);
	}
	while (!others_parked(c)) {
		if (now() > until) {	/* a CPU went away: carry on */
			hv_log("vtime: cpu%u: a CPU did not stop for the clock correction in 100 ms",
			       c->id);
			break;
		}
		trap_wait_irq(c);	/* each one wakes us as it parks */
	}
	dl.gather = 0;
}

/*
 * Holding the lock, every vCPU parked: CNTVOFF such that CNTVCT resumes
 * on plan (dilation.h), after a stall if the guest ran ahead of G.
 */
static void correct(struct cpu *c)
{
	for (;;) {
		struct timeline t = snapshot();
		uint64_t p = now();
		struct dil_plan pl = dil_plan(&t, p, dl.v_seen,
					      offset_now(&t));

		if (!pl.stall_until) {
			write_begin();
			clk.cntvoff = p - pl.v;
			write_end();
			dl.v_seen = pl.v;
			dl.last = p;
			return;
		}
		/* The host may change the rate meanwhile: plan again. */
		tick_sleep_until(c, pl.stall_until);
		st.stalled += now() - p;
	}
}

/* Holding the lock: back to the guest with the common CNTVOFF. */
static void leave(struct cpu *c)
{
	uint64_t hcr = read_sysreg(hcr_el2);

	c->vt.parked = false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	write_sysreg(cntvoff_el2, clk.cntvoff);
	hcr = vtime_dilating() || watching() ? hcr | HCR_TWI : hcr & ~HCR_TWI;
	write_sysreg(hcr_el2, hcr);
	isb();
	note_read(now(), true);
	watch_vtimer(c);
}

bool vtime_dilating(void)
{
	uint64_t p = now();

	if (ecv_active())	/* exact: CNTVCT is never steered */
		return false;
	return !timeline_is_natural(&clk.tl) || p - clk.cntvoff != guest_at(p);
}

/*
 * Whether the common CNTVOFF is older than the dilation period: a tick
 * was missed (its interrupt late, or taken while this CPU waited at EL2
 * for the lock), and every running vCPU reads a CNTVCT drifting from G.
 */
bool vtime_stale(void)
{
	struct timeline t;

	if (!vtime_dilating())
		return false;
	t = snapshot();
	return now() - dl.last >
	       dil_period(&t, t.fg / 2000, t.fh / 4000, tick_period());
}

void vtime_resume(struct cpu *c)
{
	c->vt.busy = true;
	lock(c);
	/* No vCPU runs: nobody corrected while they were idle. (Others
	 * running on a stale CNTVOFF correct at their next exit.) */
	if (vtime_dilating() && others_parked(c))
		correct(c);
	leave(c);
	unlock(c);
	c->vt.busy = false;
}

/* For a parked vCPU: its virtual timer fires when G + d reaches it; by
 * EL2's hand (c->vt.wake) where that needs a negative CNTVOFF. */
static void idle_timer(struct cpu *c)
{
	uint64_t ctl = read_sysreg(cntv_ctl_el0), off = clk.cntvoff;
	uint64_t p = now();

	c->vt.wake = UINT64_MAX;
	if ((ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE) {
		struct timeline t = snapshot();
		uint64_t cval = read_sysreg(cntv_cval_el0);
		int64_t d = offset_now(&t);

		off = dil_idle_cntvoff(&t, cval, d);
		/* A deadline so far off that its host time does not fit: not
		 * due for 2^62 ticks. */
		if (cval + off < p &&
		    (int64_t)(timeline_guest(&t, p) - cval) + d < 0)
			off = p - cval + (1UL << 62);
		else if (dil_cntvoff_negative(off) &&
			 dil_vtimer_at(p, off, cval) > p)
			c->vt.wake = dil_vtimer_at(p, off, cval);
	}
	write_sysreg(cntvoff_el2, off);	/* due: QEMU sees it now */
	isb();
	tick_arm(c);
}

void vtime_idle(struct cpu *c)
{
	park(c);
	do {
		idle_timer(c);
		trap_wait_irq(c);
	} while (!vgic_pending(c));
	vtime_resume(c);
}

/*
 * Every vCPU that runs its guest corrects at its own tick, so one whose
 * host thread waits for a core does not hold the others' error up; CPU 0
 * also corrects from its idle wait while another runs.
 */
void vtime_tick(struct cpu *c)
{
	bool running = !c->vt.parked;

	if (c->vt.busy)
		return;
	if (!vtime_dilating()) {
		if (running)
			watch_vtimer(c);
		return;
	}
	if (!running && (c->id != 0 || others_parked(c)))
		return;		/* no guest runs: the next to resume corrects */
	c->vt.busy = true;
	if (running)
		park(c);
	lock(c);
	gather(c);
	correct(c);
	if (running)
		leave(c);
	unlock(c);
	c->vt.busy = false;
}

/* Another CPU's side of a correction, and timer re-arming. */
void vtime_sgi(struct cpu *c)
{
	if (!c->vt.parked) {	/* from its guest */
		park(c);
		vtime_resume(c);
	} else if (!c->vt.busy) {
		idle_timer(c);	/* in vtime_idle(): the timeline may have moved */
	}
	if (c->vt.gen != clk.gen)
		arm_ptimer(c);
	ecv_sync(c);	/* FEAT_ECV: traps as they were set, vtimer re-armed */
}

/* --- management ---------------------------------------------------- */

/*
 * FEAT_ECV: the traps can be off when G is natural and not ahead of P;
 * then CNTVOFF = P - G keeps the untrapped CNTVCT on G. Not ahead: a
 * CNTVOFF that wraps (G > P) is fine for the architecture, but QEMU's
 * virtual timer then never fires (it takes CVAL + CNTVOFF without the
 * wrap). Trapped, CNTVOFF is 0 and the timer is armed in P.
 */
static bool ecv_untrap_ok(void)
{
	return timeline_is_natural(&clk.tl) && clk.tl.p0 >= clk.tl.g0;
}

static void natural_cntvoff(void)
{
	if (ecv_active())
		clk.cntvoff = ecv_untrap_ok() ? clk.tl.p0 - clk.tl.g0 : 0;
}

static void changed(struct cpu *c)
{
	clk.gen++;
	arm_ptimer(c);
	ecv_changed(c, ecv_untrap_ok());
	if (others_online(c))
		gic_send_sgi_others(INTID_HV_SGI);
}

int vtime_set_rate(uint32_t num, uint32_t den)
{
	int r;

	ecv_trap_all(this_cpu());	/* FEAT_ECV: before G changes */
	write_begin();
	r = timeline_set_rate(&clk.tl, now(), num, den);
	natural_cntvoff();
	write_end();
	if (r == 0) {
		__atomic_store_n(&st.max_error, 0, __ATOMIC_SEQ_CST);
		changed(this_cpu());
		vtime_tick(this_cpu());	/* on the new plan at once */
		tick_restart(this_cpu());
	} else {	/* nothing changed: traps as they were due */
		ecv_changed(this_cpu(), ecv_untrap_ok());
	}
	return r;
}

int vtime_step_ns(uint64_t ns)
{
	uint64_t ticks;
	int r;

	if (ns == 0 || ns > 86400 * NS_PER_S)
		return -ERANGE;
	ticks = (uint64_t)((unsigned __int128)ns * clk.tl.fg / NS_PER_S);
	ecv_trap_all(this_cpu());	/* FEAT_ECV: before G changes */
	write_begin();
	r = timeline_step(&clk.tl, now(), ticks);
	natural_cntvoff();
	write_end();
	if (r == 0)
		changed(this_cpu());
	else	/* nothing changed: traps as they were due */
		ecv_changed(this_cpu(), ecv_untrap_ok());
	return r;
}

int vtime_set_next_freq(uint64_t hz)
{
	if (hz < 1000 || hz > UINT32_MAX)
		return -ERANGE;
	persist.magic = PERSIST_MAGIC;
	persist.next_freq = hz;
	persist.check = hz ^ PERSIST_MAGIC;
	return 0;
}

uint64_t vtime_next_freq(void)
{
	return persist_valid() ? persist.next_freq : 0;
}

void vtime_get(struct vp_clock *out)
{
	uint64_t p = now();

	*out = (struct vp_clock){
		.host_counter = p,
		.host_freq = clk.tl.fh,
		.guest_counter = guest_at(p),
		.guest_freq = clk.tl.fg,
		.next_freq = vtime_next_freq(),
		.rate_num = clk.tl.num,
		.rate_den = clk.tl.den,
		.cntvoff = clk.cntvoff,
		.stalled_ticks = st.stalled,
		.counter_traps = st.counter_traps,
		.timer_traps = st.timer_traps,
		.max_error_ticks = st.max_error,
		.mode = ecv_active() ? VP_CLOCK_EXACT : VP_CLOCK_DILATION,
	};
	ecv_stats(&out->counter_traps, &out->timer_traps);
}
