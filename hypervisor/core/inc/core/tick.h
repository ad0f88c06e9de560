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
/* This CPU's tick rate now (CPU 0 ticks at 1 kHz while dilating). */
unsigned tick_hz(const struct cpu *c);
uint64_t tick_now_ms(void);
#endif
