/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest time control, three mechanisms on one timeline (see timeline.h):
 * - presented frequency: CNTFRQ_EL0 and the DT's /timer clock-frequency
 *   are set before the guest starts (exact, no cost);
 * - trap-and-scale: CNTPCT reads and CNTP_* accesses trap; reads return
 *   G(P), timer deadlines in guest ticks become host deadlines and are
 *   re-armed when the rate changes;
 * - dilation: CNTVOFF_EL2 keeps CNTVCT on G. Slower than natural, the
 *   running vCPUs stall together at a correction while G catches up;
 *   faster, CNTVOFF steps down. Every vCPU that runs its guest has the
 *   same CNTVOFF; idle ones wait at EL2 (WFI trapped) and are left out.
 */
#ifndef CORE_VTIME_H
#define CORE_VTIME_H
#include <arch/esr.h>
#include <core/cntfrq.h>
#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct trap_frame;
struct vp_clock;

/* A timer the guest programs in guest ticks: its CTL and CVAL. */
struct vtime_timer {
	uint64_t ctl;		/* ENABLE, IMASK */
	uint64_t cval;		/* guest ticks */
};

struct vtime_cpu {
	struct vtime_timer pt;	/* the guest's CNTP_* (trap-and-scale) */
	struct vtime_timer vt;	/* its CNTV_* while ECV traps them (ecv.c) */
	uint32_t gen;		/* timeline generation last armed for */
	/* Dilation (vtime.c): at EL2 and not back without the lock; waiting
	 * for the lock; inside a correction or a resume. */
	volatile bool parked, waiting;
	bool busy;
	/* Host tick at which EL2 must make its virtual timer fire, which
	 * QEMU 10 does not with CNTVOFF_EL2 negative (vtime.c); the tick
	 * timer is armed for it. UINT64_MAX: none. */
	uint64_t wake;
};

int vtime_init(uint64_t fg, uint32_t num, uint32_t den);
uint64_t vtime_guest_freq(void);
/* How the guest is told vtime_guest_freq() (core/cntfrq.h), and whether
 * this core lets EL2 write CNTFRQ_EL0 at all (no EL3). */
enum freq_by vtime_freq_by(void);
bool vtime_cntfrq_writable(void);
void vtime_cpu_init(struct cpu *c);
void vtime_tick(struct cpu *c);
/* Dilating, and the last correction is older than its period (a tick
 * missed): the next exit of a running vCPU corrects (tick_check()). */
bool vtime_stale(void);
/* True while CNTVCT must be steered (rate not natural, or catching up). */
bool vtime_dilating(void);
/* CPU 0's tick period while dilating, at most max_period counter ticks. */
uint64_t vtime_period(uint64_t max_period);
/* The guest executed WFI (trapped while dilating): waits at EL2 for an
 * interrupt for it, out of the corrections' way, then resumes. */
void vtime_idle(struct cpu *c);
/* Every entry into the guest from a parked state (boot, CPU_ON, idle,
 * correction) goes through here: CNTVOFF, and WFI traps while dilating. */
void vtime_resume(struct cpu *c);
void vtime_sgi(struct cpu *c);
/* The tick timer fired before the tick for c->vt.wake. */
void vtime_wake(struct cpu *c);
/* Its trap handler, vtime_sysreg, is in core/sysreg_trap.h. */

/*
 * Shared by the trapped timers: G now, the first host tick at which G
 * reaches g, and a trapped CTL/CVAL/TVAL access (op2 2/1/0 of
 * CNTP_* and CNTV_*) emulated on t in guest ticks.
 */
uint64_t vtime_guest_now(void);
uint64_t vtime_host_at(uint64_t g);
uint64_t vtime_cntvoff(void);
uint64_t vtime_timer_read(const struct vtime_timer *t, unsigned op2);
void vtime_timer_write(struct vtime_timer *t, unsigned op2, uint64_t v);

/* Management operations (one at a time, on the CPU serving the request).
 * 0 or negative errno. */
int vtime_set_rate(uint32_t num, uint32_t den);
int vtime_step_ns(uint64_t ns);
int vtime_set_next_freq(uint64_t hz);
void vtime_get(struct vp_clock *out);
/* The frequency to present at the next boot (0: as configured). */
uint64_t vtime_next_freq(void);
#endif
