/* SPDX-License-Identifier: Apache-2.0 */
/* The hypervisor tick: the EL2 physical timer (PPI 26) on every CPU, at
 * verge.tick Hz. Later users (time control, watchdog) hang off it. */
#ifndef CORE_TICK_H
#define CORE_TICK_H
#include <stdint.h>

struct cpu;

void tick_init(void);
void tick_start(struct cpu *c);
void tick_handle(struct cpu *c);
/* At the end of every exit from the guest: the tick (or the guest's
 * virtual timer watch) if it is due and its interrupt has not come. */
void tick_check(struct cpu *c);
/* The next tick one period from now (the period may have changed). */
void tick_restart(struct cpu *c);
/* Arms the tick timer again: the next tick, or c->vt.wake if sooner. */
void tick_arm(struct cpu *c);
/* The verge.tick period, in counter ticks. */
uint64_t tick_period(void);
/* Sleeps at EL2 until the counter reaches until; ticks that fall due
 * meanwhile are handled (trap_wait_irq). */
void tick_sleep_until(struct cpu *c, uint64_t until);
/* This CPU's tick rate now (CPU 0's is faster while dilating). */
unsigned tick_hz(const struct cpu *c);
uint64_t tick_now_ms(void);
#endif
