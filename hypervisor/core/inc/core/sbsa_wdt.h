/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SBSA Generic Watchdog's register file (Arm SBSA, "Generic
 * Watchdog", architecture version 1): a refresh frame (WRR) and a control
 * frame (WCS, WOR, WCV, W_IIDR), each one 4 KiB page. Pure code, no
 * hardware: time enters as "now", a counter value in the watchdog's
 * ticks, and the signals leave as actions. Host-tested.
 *
 * Behaviour:
 * - An explicit refresh (any write to WRR, WOR or WCS) sets
 *   WCV = now + WOR and clears WS0 and WS1.
 * - While enabled, the first time now > WCV raises WS0 and refreshes
 *   (WCV = now + WOR); the second raises WS1.
 * - Registers are 32 bits; WOR (48 bits) and WCV may also be accessed
 *   with 64 bits at their low address. Other sizes, unaligned accesses
 *   and 64-bit accesses anywhere else are refused (the caller aborts the
 *   access); aligned 32-bit accesses to reserved offsets read as zero and
 *   ignore writes.
 */
#ifndef CORE_SBSA_WDT_H
#define CORE_SBSA_WDT_H
#include <core/compat.h>

#define SBSA_WDT_FRAME_SIZE	0x1000
/* Refresh frame */
#define SBSA_WDT_WRR		0x000
/* Control frame */
#define SBSA_WDT_WCS		0x000
#define SBSA_WDT_WOR		0x008
#define SBSA_WDT_WORU		0x00c
#define SBSA_WDT_WCV		0x010
#define SBSA_WDT_WCVU		0x014
/* Both frames */
#define SBSA_WDT_W_IIDR		0xfcc

#define SBSA_WDT_WCS_EN		(1u << 0)
#define SBSA_WDT_WCS_WS0	(1u << 1)
#define SBSA_WDT_WCS_WS1	(1u << 2)
#define SBSA_WDT_WOR_MASK	((1ULL << 48) - 1)
/* Architecture version 1 (48-bit WOR), implementer 0, revision 0. */
#define SBSA_WDT_IIDR		0x00010000u

enum sbsa_wdt_frame { SBSA_WDT_REFRESH, SBSA_WDT_CONTROL };

/* What advancing time asks of the caller. */
enum sbsa_wdt_action {
	SBSA_WDT_ACT_NONE = 0,
	SBSA_WDT_ACT_WS0 = 1,	/* raise the watchdog interrupt */
	SBSA_WDT_ACT_WS1 = 2,	/* reset the system */
};

struct sbsa_wdt {
	uint32_t wcs;		/* EN, WS0, WS1 */
	uint64_t wor;		/* 48 bits */
	uint64_t wcv;
};

/* Disabled, WOR and WCV zero, no signal raised: the reset state. */
void sbsa_wdt_reset(struct sbsa_wdt *w);

/* An access at off of frame f. 0, or -EINVAL when the access must abort
 * (bad size, unaligned, 64 bits where only 32 are allowed, off outside
 * the frame). A read leaves *ret_val untouched on error. */
int sbsa_wdt_read(const struct sbsa_wdt *w, enum sbsa_wdt_frame f,
		  uint64_t off, unsigned size, uint64_t *ret_val);
int sbsa_wdt_write(struct sbsa_wdt *w, enum sbsa_wdt_frame f, uint64_t off,
		   unsigned size, uint64_t val, uint64_t now);

/* Brings the watchdog to time now; returns at most one action (call
 * again: WS1 needs a second timeout after WS0). */
enum sbsa_wdt_action sbsa_wdt_advance(struct sbsa_wdt *w, uint64_t now);

/* The explicit refresh that a WRR write makes. */
void sbsa_wdt_refresh(struct sbsa_wdt *w, uint64_t now);

/* The counter value of the next timeout, UINT64_MAX when none is due
 * (disabled, or WS1 already raised). */
uint64_t sbsa_wdt_deadline(const struct sbsa_wdt *w);

static inline bool sbsa_wdt_ws0(const struct sbsa_wdt *w)
{
	return w->wcs & SBSA_WDT_WCS_WS0;
}
#endif
