/* SPDX-License-Identifier: Apache-2.0 */
/* Guest realtime clock against the host's (GETTIMEFULL, anchored by the
 * host with VP_HOST_TIME_SET): step when the error is large, slew with
 * adjtime() when it is small. */
#ifndef VGA_TIMESYNC_H
#define VGA_TIMESYNC_H

#include <stdbool.h>
#include <stdint.h>

#define TIMESYNC_STEP_NS 100000000LL	/* |offset| >= 100 ms: step */

enum ts_action { TS_NONE, TS_STEP, TS_SLEW };

struct ts_result {
	int64_t offset_ns;	/* host - guest, before */
	int64_t after_ns;	/* host - guest, measured again after */
	uint64_t host_ns;	/* the host time read */
	int64_t slew_pending_ns;	/* adjtime() still to apply, after */
	enum ts_action action;
};

/* The pure decision: what to do with an offset. */
enum ts_action timesync_action(int64_t offset_ns);
/* One measurement and correction. 0, or a negative errno (-EAGAIN: the
 * host has not anchored its time; -EPERM: no right to set the clock). */
int timesync_once(struct ts_result *ret);
const char *timesync_action_name(enum ts_action a);

#endif
