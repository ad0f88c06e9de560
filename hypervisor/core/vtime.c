// SPDX-License-Identifier: Apache-2.0
/* Guest time control: the mechanisms of vtime.h on the timeline. */
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/ecv.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/timeline.h>
#include <core/vgic.h>
#include <core/vtime.h>
#include <verge_proto.h>

#define CNTPCT_EL0	SYSREG_KEY(3, 3, 14, 0, 1)
#define CNTP_TVAL_EL0	SYSREG_KEY(3, 3, 14, 2, 0)
#define CNTP_CTL_EL0	SYSREG_KEY(3, 3, 14, 2, 1)
#define CNTP_CVAL_EL0	SYSREG_KEY(3, 3, 14, 2, 2)
#define CTL_ISTATUS	(1UL << 2)
#define NS_PER_S	1000000000UL

/* Written by CPU 0 only, under the sequence count; read anywhere. */
static struct {
	volatile uint32_t seq;
	struct timeline tl;
	uint64_t cntvoff;
	volatile uint32_t gen;	/* bumped when timer deadlines must move */
} clk;

static struct {
	uint64_t stalled, counter_traps, timer_traps, max_error;
} st;

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

/* Dilation rendezvous: CPU 0 leads, the others wait in vtime_sgi(). */
static struct {
	volatile uint32_t round, arrived, released;
} rv;

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
	c->vt = (struct vtime_cpu){ 0 };
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

bool vtime_sysreg(struct cpu *c, struct trap_frame *f,
		  const struct sysreg_info *s)
{
	unsigned key = sysreg_key(s);
	uint64_t *reg = s->reg == 31 ? NULL : &f->x[s->reg];

	if (ecv_sysreg(c, f, s))	/* FEAT_ECV: CNTVCT(SS), CNTPCTSS, CNTV_* */
		return true;
	if (key == CNTPCT_EL0) {
		if (!s->read)
			return false;
		__atomic_fetch_add(&st.counter_traps, 1, __ATOMIC_RELAXED);
		if (reg)
			*reg = guest_at(now());
		return true;
	}
	if (key != CNTP_CTL_EL0 && key != CNTP_CVAL_EL0 && key != CNTP_TVAL_EL0)
		return false;
	__atomic_fetch_add(&st.timer_traps, 1, __ATOMIC_RELAXED);
	if (s->read) {
		if (reg)
			*reg = vtime_timer_read(&c->vt.pt, s->op2);
	} else {
		vtime_timer_write(&c->vt.pt, s->op2, reg ? *reg : 0);
		arm_ptimer(c);
	}
	return true;
}

/* --- dilation ------------------------------------------------------ */

static unsigned others_online(struct cpu *self)
{
	unsigned n = 0;

	for (unsigned i = 0; i < HV_MAX_CPUS; i++)
		n += hv_cpus[i].online && &hv_cpus[i] != self;
	return n;
}

static void rendezvous_begin(struct cpu *c, unsigned others)
{
	(void)c;
	rv.arrived = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rv.round++;
	if (others)
		gic_send_sgi_others(INTID_HV_SGI);
	for (uint64_t until = now() + clk.tl.fh / 10; rv.arrived < others;)
		if (now() > until) {	/* a CPU went away: carry on */
			hv_log("vtime: %u of %u CPUs joined the clock rendezvous",
			       rv.arrived, others);
			break;
		}
}

static void rendezvous_end(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rv.released = rv.round;
}

/* Guest ahead of G: hold every vCPU until G catches up with CNTVCT. */
static void stall_until_caught_up(uint64_t v)
{
	uint64_t t0 = now(), p;

	while (guest_at(p = now()) < v)
		mgmt_poll();	/* the host may change the rate meanwhile */
	st.stalled += p - t0;
	write_begin();
	clk.cntvoff = p - v;
	write_end();
}

static void correct(uint64_t p)
{
	uint64_t g = guest_at(p), v = p - clk.cntvoff;
	uint64_t err = v > g ? v - g : g - v;

	if (err > st.max_error)
		st.max_error = err;
	if (v > g) {
		stall_until_caught_up(v);
	} else {
		write_begin();
		clk.cntvoff = p - g;	/* a jump forward: allowed */
		write_end();
	}
	write_sysreg(cntvoff_el2, clk.cntvoff);
	isb();
}

bool vtime_dilating(void)
{
	uint64_t p = now();

	if (ecv_active())	/* exact: CNTVCT is never steered */
		return false;
	return !timeline_is_natural(&clk.tl) || p - clk.cntvoff != guest_at(p);
}

void vtime_tick(struct cpu *c)
{
	uint64_t p = now();

	if (c->id != 0 || ecv_active())	/* exact mode: no dilation */
		return;
	if (timeline_is_natural(&clk.tl) && p - clk.cntvoff == guest_at(p))
		return;		/* on G already: nothing to do */
	rendezvous_begin(c, others_online(c));
	correct(now());
	rendezvous_end();
}

/* Another CPU's side of the rendezvous, and timer re-arming. */
void vtime_sgi(struct cpu *c)
{
	uint32_t round = rv.round;

	if (round != rv.released) {
		__atomic_fetch_add(&rv.arrived, 1, __ATOMIC_SEQ_CST);
		while (rv.released != round)
			;
	}
	write_sysreg(cntvoff_el2, clk.cntvoff);	/* also if we came late */
	isb();
	if (c->vt.gen != clk.gen)
		arm_ptimer(c);
	ecv_sync(c);	/* FEAT_ECV: traps as CPU 0 set them, vtimer re-armed */
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
	if (r == 0)
		changed(this_cpu());
	else	/* nothing changed: traps as they were due */
		ecv_changed(this_cpu(), ecv_untrap_ok());
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
