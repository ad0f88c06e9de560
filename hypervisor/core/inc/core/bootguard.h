/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot guard's stages and its pre-hand-off API (docs/bootguard.md),
 * over one SBSA watchdog register file. Pure code: the caller passes the
 * watchdog counter ("now", in ticks of freq Hz) and acts on the results.
 * Host-tested.
 *
 *   power-on     the service is installed; the watchdog is off.
 *   os-loading   armed with the boot timeout (verge.wdt), if any.
 *   handed-off   one last refresh, then the API is sealed: every call
 *                fails with -EPERM and the watchdog keeps running; the
 *                guest OS owns it through the emulated device.
 *
 * A timeout of T seconds means a reset T seconds after the last refresh:
 * WOR is T/2, WS0 comes at half time and WS1 at T (as Linux's sbsa_gwdt
 * programs it when it does not take the WS0 interrupt).
 */
#ifndef CORE_BOOTGUARD_H
#define CORE_BOOTGUARD_H
#include <core/sbsa_wdt.h>

#define BG_TIMEOUT_MAX_S	3600

enum bg_stage {
	BG_POWER_ON = 1,
	BG_OS_LOADING = 2,
	BG_HANDED_OFF = 3,
};

enum bg_call {
	BG_CALL_QUERY,
	BG_CALL_ENABLE,		/* arg: 1 enable, 0 disable */
	BG_CALL_REFRESH,
	BG_CALL_SET_TIMEOUT,	/* arg: seconds, 1..BG_TIMEOUT_MAX_S */
	BG_CALL_HANDOFF,	/* last refresh, then sealed */
};

struct bootguard {
	enum bg_stage stage;
	uint64_t freq;		/* watchdog ticks per second */
	struct sbsa_wdt wdt;
	/* WS0 reports to the host (bg_ws0_report) */
	bool ws0_reported;
	uint64_t ws0_reported_at;
	uint32_t ws0_unreported;
};

struct bg_status {
	enum bg_stage stage;
	bool enabled;
	uint32_t timeout_ms;	/* last refresh to reset */
	uint32_t left_ms;	/* now to reset, 0 when disabled or due */
};

/* Power-on: the watchdog off, the API open. */
void bg_init(struct bootguard *b, uint64_t freq);
/* Power-on to OS loading; armed for timeout_s seconds unless 0.
 * -EINVAL for a timeout above BG_TIMEOUT_MAX_S, -EPERM out of order. */
int bg_os_loading(struct bootguard *b, unsigned timeout_s, uint64_t now);
/* One API call: 0 or -EPERM (sealed) / -EINVAL (bad argument). */
int bg_call(struct bootguard *b, enum bg_call call, uint64_t arg,
	    uint64_t now, struct bg_status *ret_status);
/* The state as the API's QUERY reports it (also after the seal). */
void bg_status(const struct bootguard *b, uint64_t now,
	       struct bg_status *ret);
/*
 * Whether the WS0 raised at now is reported to the host: at most one a
 * second. A guest that refreshes on its WS0 interrupt and writes WCV back
 * into the past raises one at every check of the timeout, and each report
 * is an event the host stores. The guest still gets every interrupt. On
 * true, *ret_unreported is how many WS0 went unreported since the last
 * report.
 */
bool bg_ws0_report(struct bootguard *b, uint64_t now,
		   uint32_t *ret_unreported);
const char *bg_stage_name(enum bg_stage s);
#endif
