// SPDX-License-Identifier: Apache-2.0
/* Exact scaling of CNTVCT and the virtual timer with FEAT_ECV (ecv.h). */
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/ecv.h>
#include <core/hv.h>
#include <core/vgic.h>
#include <core/vtime.h>

#define CNTPCTSS_EL0	SYSREG_KEY(3, 3, 14, 0, 5)
#define CNTVCT_EL0	SYSREG_KEY(3, 3, 14, 0, 2)
#define CNTVCTSS_EL0	SYSREG_KEY(3, 3, 14, 0, 6)
#define CNTV_TIMER	SYSREG_KEY(3, 3, 14, 3, 0)	/* op2: TVAL CTL CVAL */
#define TRAP_BITS	(CNTHCTL_EL1TVT | CNTHCTL_EL1TVCT)

static struct {
	bool active;
	volatile uint32_t trap;		/* wanted on every vCPU */
	volatile uint32_t epoch;	/* bumped with every change of trap */
	volatile uint32_t seen[HV_MAX_CPUS];	/* epoch each CPU applied */
	uint64_t counter_traps, timer_traps;
} ecv;

void ecv_init(bool trap)
{
	uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);

	ecv.active = (mmfr0 >> MMFR0_ECV_SHIFT & 0xf) >= 1 && !hv.cfg.dilate;
	ecv.trap = ecv.active && trap;
	if (ecv.active)
		hv_log("vtime: FEAT_ECV: the virtual counter and timer are scaled exactly (trapped when G is not natural)");
}

bool ecv_active(void)
{
	return ecv.active;
}

static bool trapping(void)
{
	return read_sysreg(cnthctl_el2) & CNTHCTL_EL1TVCT;
}

/* The guest's CNTV_CVAL as a host deadline, in CNTVCT terms (a deadline
 * already passed: 0, met at once). */
static void arm_vtimer(struct cpu *c)
{
	uint64_t off = read_sysreg(cntvoff_el2);
	uint64_t p = vtime_host_at(c->vt.vt.cval);

	write_sysreg(cntv_cval_el0, p > off ? p - off : 0);
	write_sysreg(cntv_ctl_el0, c->vt.vt.ctl);
	isb();
}

/*
 * This CPU takes the traps CPU 0 wants. Trapping starts from the timer
 * the guest left in hardware (in G terms while G was natural); it stops
 * with CNTVOFF = P - G written first and the guest's own CVAL put back.
 */
static void apply(struct cpu *c)
{
	uint32_t epoch = ecv.epoch;
	uint64_t hctl = read_sysreg(cnthctl_el2);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (ecv.trap && !(hctl & CNTHCTL_EL1TVCT)) {
		c->vt.vt.cval = read_sysreg(cntv_cval_el0);
		c->vt.vt.ctl = read_sysreg(cntv_ctl_el0) &
			       (CNT_CTL_ENABLE | CNT_CTL_IMASK);
		write_sysreg(cnthctl_el2, hctl | TRAP_BITS);
		write_sysreg(cntvoff_el2, 0);	/* trapped: armed in P */
		isb();
		arm_vtimer(c);
	} else if (!ecv.trap && (hctl & CNTHCTL_EL1TVCT)) {
		write_sysreg(cntvoff_el2, vtime_cntvoff());
		write_sysreg(cntv_cval_el0, c->vt.vt.cval);
		write_sysreg(cntv_ctl_el0, c->vt.vt.ctl);
		write_sysreg(cnthctl_el2, hctl & ~TRAP_BITS);
		isb();
	} else if (ecv.trap) {
		arm_vtimer(c);	/* G changed: a new host deadline */
	}
	__atomic_store_n(&ecv.seen[c->id], epoch, __ATOMIC_RELEASE);
}

void ecv_cpu_init(struct cpu *c)
{
	c->vt.vt = (struct vtime_timer){ 0 };
	if (!ecv.active)
		return;
	write_sysreg(cntv_ctl_el0, 0);
	apply(c);
}

static void set_trap(struct cpu *c, bool trap)
{
	ecv.trap = trap;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ecv.epoch++;
	apply(c);
}

/* Every online vCPU traps before G changes: none reads ahead of it. */
void ecv_trap_all(struct cpu *c)
{
	uint64_t until = read_sysreg(cntpct_el0) + hv.cntfrq / 10;
	unsigned i;

	if (!ecv.active || ecv.trap)
		return;
	set_trap(c, true);
	gic_send_sgi_others(INTID_HV_SGI);
	for (i = 0; i < HV_MAX_CPUS; i++) {
		struct cpu *o = &hv_cpus[i];

		while (o != c && o->online &&
		       __atomic_load_n(&ecv.seen[i], __ATOMIC_ACQUIRE) !=
		       ecv.epoch) {
			if (read_sysreg(cntpct_el0) > until) {	/* went away */
				hv_log("vtime: cpu%u did not take the ECV traps",
				       i);
				break;
			}
		}
	}
}

/* G changed (the CPU serving the request): traps off if natural (G natural and not ahead of
 * P, vtime.c); the caller sends the SGI after which the other CPUs
 * follow (ecv_sync). */
void ecv_changed(struct cpu *c, bool natural)
{
	if (!ecv.active)
		return;
	if (ecv.trap && natural)
		set_trap(c, false);
	else
		apply(c);
}

void ecv_sync(struct cpu *c)
{
	if (ecv.active)
		apply(c);
}

static void count(uint64_t *n)
{
	__atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
}

bool ecv_sysreg(struct cpu *c, struct trap_frame *f,
		const struct sysreg_info *s)
{
	unsigned key = sysreg_key(s);
	uint64_t *reg = s->reg == 31 ? NULL : &f->x[s->reg];

	if (key == CNTVCT_EL0 || key == CNTVCTSS_EL0 || key == CNTPCTSS_EL0) {
		if (!s->read)
			return false;
		count(&ecv.counter_traps);
		if (reg)	/* no guest hypervisor: CNTVCT = CNTPCT = G */
			*reg = vtime_guest_now();
		return true;
	}
	if ((key & ~7u) != CNTV_TIMER || s->op2 > 2 || !trapping())
		return false;
	count(&ecv.timer_traps);
	if (s->read) {
		if (reg)
			*reg = vtime_timer_read(&c->vt.vt, s->op2);
	} else {
		vtime_timer_write(&c->vt.vt, s->op2, reg ? *reg : 0);
		arm_vtimer(c);
	}
	return true;
}

/* AArch32 condition codes against SPSR.NZCV. */
static bool cond_holds(unsigned cond, uint64_t spsr)
{
	bool n = spsr >> 31 & 1, z = spsr >> 30 & 1, cf = spsr >> 29 & 1,
	     v = spsr >> 28 & 1, r;

	switch (cond >> 1) {
	case 0: r = z; break;
	case 1: r = cf; break;
	case 2: r = n; break;
	case 3: r = v; break;
	case 4: r = cf && !z; break;
	case 5: r = n == v; break;
	case 6: r = n == v && !z; break;
	default: return true;	/* AL */
	}
	return (cond & 1) ? !r : r;
}

/* MRRC p15, opc1, Rt, Rt2, c14 from AArch32 EL0: opc1 1 CNTVCT, 9
 * CNTVCTSS, and 0 CNTPCT, 8 CNTPCTSS (trapped by CNTHCTL_EL2.EL1PCTEN
 * where the guest lets EL0 read them): all read G. */
bool ecv_cp15_64(struct cpu *c, struct trap_frame *f, uint64_t esr)
{
	uint32_t iss = esr_iss(esr);
	unsigned opc1 = iss >> 16 & 0xf, rt2 = iss >> 10 & 0x1f,
		 rt = iss >> 5 & 0x1f, crm = iss >> 1 & 0xf;
	uint64_t g;

	(void)c;
	if (esr_ec(esr) != EC_CP15_64 || !(iss & 1) || crm != 14 ||
	    (opc1 & 7) > 1 || rt > 14 || rt2 > 14)
		return false;
	if (!(iss >> 24 & 1) || cond_holds(iss >> 20 & 0xf, f->spsr)) {
		count(&ecv.counter_traps);
		g = vtime_guest_now();
		f->x[rt] = (uint32_t)g;
		f->x[rt2] = g >> 32;
	}
	f->elr += 4;	/* MRRC is 32 bits in A32 and T32 */
	return true;
}

void ecv_stats(uint64_t *counter_traps, uint64_t *timer_traps)
{
	*counter_traps += ecv.counter_traps;
	*timer_traps += ecv.timer_traps;
}
