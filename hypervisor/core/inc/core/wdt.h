/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot guard on the machine (docs/bootguard.md): the emulated SBSA
 * Generic Watchdog the guest sees, counting in host time on every
 * online CPU's tick, its boot stages reported over the management channel, and the
 * pre-hand-off API as hypercalls.
 *
 * The frames sit in an IPA hole of QEMU's virt machine that stage-2
 * leaves unmapped, so every access traps; WS0 makes the guest's SPI
 * pending through vgic_spi_set_pending() (nothing else drives it: the
 * guest's own enable, priority and routing of it apply as for any SPI,
 * and it is injected on the CPU it is routed to); WS1 resets
 * the machine through PSCI SYSTEM_RESET, as a guest reset does.
 *
 * A board's own SBSA watchdog (an arm,sbsa-gwdt node in the machine DT)
 * is verge-hv's: hidden from the guest, armed with the boot guard and
 * refreshed on the ticks while verge-hv is healthy (drivers/sbsa_gwdt.h).
 */
#ifndef CORE_WDT_H
#define CORE_WDT_H
#include <core/compat.h>

#define WDT_CTRL_IPA	0x0b000000UL	/* control frame */
#define WDT_REFRESH_IPA	0x0b010000UL	/* refresh frame */
#define WDT_SPI		14		/* GIC SPI 14, INTID 46 */

struct cpu;
struct dabt_info;
struct platform;
struct trap_frame;

/* Whether the frames fit this machine (no DT region in their way) and
 * the SPI is free (no device the hypervisor keeps uses it). */
bool wdt_fits(const struct platform *p);
/* Power-on: the service installed (after the management channel). */
void wdt_init(void);
/* OS loading: armed for timeout_s seconds (0: stays off). */
void wdt_os_loading(unsigned timeout_s);
/* Hand-off: the last refresh, the API sealed. */
void wdt_handoff(void);
/* Every online CPU's tick: timeouts, WS0, WS1. */
void wdt_tick(void);
/* A trapped access to the frames; false if not theirs or refused. */
bool wdt_mmio(struct cpu *c, uint64_t ipa, const struct dabt_info *d,
	      uint64_t *reg);
/* The hypervisor panics: the board's watchdog is never refreshed again. */
void wdt_panic(void);
/* VERGE_HC_WDT_*: true if f->x[0] is one of them (then answered). */
bool wdt_hypercall(struct trap_frame *f);
#endif
