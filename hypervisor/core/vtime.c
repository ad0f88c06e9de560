// SPDX-License-Identifier: Apache-2.0
/* Guest time control: the mechanisms of vtime.h on the timeline. */
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/cntfrq.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/sysreg_trap.h>
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

static void arm_ptimer(struct cpu *c)
{
	uint64_t ctl = c->vt.ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK);

	write_sysreg(cntp_cval_el0, host_at(c->vt.cval));
	write_sysreg(cntp_ctl_el0, ctl);
	c->vt.gen = clk.gen;
	isb();
}

void vtime_cpu_init(struct cpu *c)
{
	c->vt = (struct vtime_cpu){ 0 };
	if (cntfrq_writable(pfr0))	/* UNDEFINED at EL2 with EL3 */
		write_sysreg(cntfrq_el0, clk.tl.fg);
	write_sysreg(cntvoff_el2, clk.cntvoff);
	write_sysreg(cnthctl_el2, 0);	/* trap CNTPCT and CNTP_* */
	write_sysreg(cntp_ctl_el0, 0);
	isb();
}

/* --- trap-and-scale ------------------------------------------------ */

static uint64_t ptimer_read(struct cpu *c, unsigned key)
{
	uint64_t g = guest_at(now());

	switch (key) {
	case CNTP_CVAL_EL0:
		return c->vt.cval;
	case CNTP_TVAL_EL0:
		return (uint64_t)(uint32_t)(c->vt.cval - g);
	default:	/* CTL */
		return c->vt.ctl | ((c->vt.ctl & CNT_CTL_ENABLE) &&
				    g >= c->vt.cval ? CTL_ISTATUS : 0);
	}
}

static void ptimer_write(struct cpu *c, unsigned key, uint64_t v)
{
	switch (key) {
	case CNTP_CVAL_EL0:
		c->vt.cval = v;
		break;
	case CNTP_TVAL_EL0:
		c->vt.cval = guest_at(now()) + (uint64_t)(int64_t)(int32_t)v;
		break;
	default:
		c->vt.ctl = v & (CNT_CTL_ENABLE | CNT_CTL_IMASK);
		break;
	}
	arm_ptimer(c);
}

enum sysreg_result vtime_sysreg(struct cpu *c, struct trap_frame *f,
				uint64_t esr, const struct sysreg_info *s)
{
	unsigned key = sysreg_key(s);

	(void)esr;
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
	if (s->read)
		frame_set_reg(f, s->reg, ptimer_read(c, key));
	else
		ptimer_write(c, key, frame_reg(f, s->reg));
	return SYSREG_DONE;
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

	return !timeline_is_natural(&clk.tl) || p - clk.cntvoff != guest_at(p);
}

void vtime_tick(struct cpu *c)
{
	uint64_t p = now();

	if (c->id != 0)
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
}

/* --- management ---------------------------------------------------- */

static void changed(struct cpu *c)
{
	clk.gen++;
	arm_ptimer(c);
	if (others_online(c))
		gic_send_sgi_others(INTID_HV_SGI);
}

int vtime_set_rate(uint32_t num, uint32_t den)
{
	int r;

	write_begin();
	r = timeline_set_rate(&clk.tl, now(), num, den);
	write_end();
	if (r == 0)
		changed(this_cpu());
	return r;
}

int vtime_step_ns(uint64_t ns)
{
	uint64_t ticks;
	int r;

	if (ns == 0 || ns > 86400 * NS_PER_S)
		return -ERANGE;
	ticks = (uint64_t)((unsigned __int128)ns * clk.tl.fg / NS_PER_S);
	write_begin();
	r = timeline_step(&clk.tl, now(), ticks);
	write_end();
	if (r == 0)
		changed(this_cpu());
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
	};
}
