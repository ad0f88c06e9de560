/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The board's own SBSA Generic Watchdog, which verge-hv keeps for itself
 * as a backstop (docs/bootguard.md, "The board's SBSA watchdog"): armed
 * when the boot guard arms, refreshed from the EL2 tick while every
 * online CPU ticks, never again once the emulated watchdog expired or
 * the hypervisor panicked, so that a hang of verge-hv or a reset that
 * does not happen ends in the board's reset.
 *
 * Pure code: the registers are reached through gwdt_io (MMIO in the
 * hypervisor; in the host tests the emulated register file of
 * core/sbsa_wdt.h, as a model of the part). Callable from any CPU.
 */
#ifndef DRIVERS_SBSA_GWDT_H
#define DRIVERS_SBSA_GWDT_H
#include <core/sbsa_wdt.h>

/* Above the boot guard's timeout: the emulated watchdog acts first. */
#define GWDT_MARGIN_MS		2000
/* From the emulated watchdog's expiry to the board's reset, if the
 * guest's reset (PSCI SYSTEM_RESET) does not happen. */
#define GWDT_LAST_MS		1000

struct gwdt_io {
	uint32_t (*read)(void *ctx, enum sbsa_wdt_frame f, uint32_t off);
	void (*write)(void *ctx, enum sbsa_wdt_frame f, uint32_t off,
		      uint32_t val);
	void *ctx;
};

struct gwdt {
	const struct gwdt_io *io;
	uint64_t freq;		/* the system counter's, Hz */
	unsigned version;	/* W_IIDR architecture version: 0 = 32-bit WOR */
	uint32_t timeout_ms;	/* last refresh to WS1, as programmed */
	bool armed;
	volatile bool stopped;	/* never refreshed again */
	uint32_t ticked;	/* CPUs that ticked since the last refresh */
	uint32_t refreshes;	/* written to WRR (the part ignores the value) */
};

/* Takes the part as the firmware left it: reads W_IIDR and WCS. Returns
 * whether it was enabled. */
bool gwdt_init(struct gwdt *w, const struct gwdt_io *io, uint64_t freq);
/* Off (WCS = 0): the power-on state without verge.wdt. */
void gwdt_disable(struct gwdt *w);
/* Armed: WS1 timeout_ms after the last refresh (WOR = half of it, at most
 * 32 bits on version 0). Returns the timeout in effect, in ms; nothing
 * once stopped. */
uint32_t gwdt_arm(struct gwdt *w, uint32_t timeout_ms);
/* The EL2 tick of CPU cpu (< 32); online: the mask of online CPUs. The
 * tick that completes online refreshes (WRR) and starts a new round. */
void gwdt_tick(struct gwdt *w, unsigned cpu, uint32_t online);
/* The emulated watchdog expired: armed (if it was off too) for a reset
 * in GWDT_LAST_MS, and never refreshed again. */
void gwdt_expire(struct gwdt *w);
/* The hypervisor panics: no refresh ever again; no register access. */
void gwdt_stop(struct gwdt *w);
#endif
