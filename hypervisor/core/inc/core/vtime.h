/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest time control, three mechanisms on one timeline (see timeline.h):
 * - presented frequency: CNTFRQ_EL0 and the DT's /timer clock-frequency
 *   are set before the guest starts (exact, no cost);
 * - trap-and-scale: CNTPCT reads and CNTP_* accesses trap; reads return
 *   G(P), timer deadlines in guest ticks become host deadlines and are
 *   re-armed when the rate changes;
 * - dilation: CNTVOFF_EL2 keeps CNTVCT on G. Slower than natural, all
 *   vCPUs stall together at the tick while CNTVOFF follows P; faster,
 *   CNTVOFF steps down. Every vCPU always has the same CNTVOFF.
 */
#ifndef CORE_VTIME_H
#define CORE_VTIME_H
#include <arch/esr.h>
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
};

int vtime_init(uint64_t fg, uint32_t num, uint32_t den);
uint64_t vtime_guest_freq(void);
void vtime_cpu_init(struct cpu *c);
void vtime_tick(struct cpu *c);
/* True while CNTVCT must be steered (rate not natural, or catching up). */
bool vtime_dilating(void);
void vtime_sgi(struct cpu *c);
bool vtime_sysreg(struct cpu *c, struct trap_frame *f,
		  const struct sysreg_info *s);

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

/* Management operations (CPU 0). 0 or negative errno. */
int vtime_set_rate(uint32_t num, uint32_t den);
int vtime_step_ns(uint64_t ns);
int vtime_set_next_freq(uint64_t hz);
void vtime_get(struct vp_clock *out);
/* The frequency to present at the next boot (0: as configured). */
uint64_t vtime_next_freq(void);
#endif
