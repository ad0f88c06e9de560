// SPDX-License-Identifier: Apache-2.0
/* Time sync (see timesync.h). The guest clock is read just before and
 * just after the GETTIMEFULL trap and the midpoint is compared with the
 * host's answer, so the trap's own cost does not bias the offset. */
#include <errno.h>
#include <sys/time.h>
#include <time.h>

#include "backdoor.h"
#include "timesync.h"

#define NS 1000000000LL

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

enum ts_action timesync_action(int64_t offset_ns)
{
	int64_t mag = offset_ns < 0 ? -offset_ns : offset_ns;

	if (mag >= TIMESYNC_STEP_NS)
		return TS_STEP;
	/* Below a microsecond GETTIMEFULL cannot tell. */
	return mag >= 1000 ? TS_SLEW : TS_NONE;
}

/* host - guest now, and the host time read. */
static int measure(int64_t *ret_off, uint64_t *ret_host)
{
	struct bd_time t;
	int64_t g0, g1, host;
	int err;

	g0 = realtime_ns();
	err = bd_gettime(&t);
	g1 = realtime_ns();
	if (err)
		return err;
	if (t.sec > (uint64_t)(INT64_MAX / NS) - 1)
		return -EPROTO;
	host = (int64_t)t.sec * NS + (int64_t)t.usec * 1000;
	*ret_off = host - (g0 + (g1 - g0) / 2);
	*ret_host = (uint64_t)host;
	return 0;
}

static int step(int64_t off)
{
	struct timespec ts;
	int64_t now = realtime_ns() + off;

	ts.tv_sec = now / NS;
	ts.tv_nsec = now % NS;
	if (ts.tv_nsec < 0) {
		ts.tv_nsec += NS;
		ts.tv_sec--;
	}
	return clock_settime(CLOCK_REALTIME, &ts) ? -errno : 0;
}

static int slew(int64_t off)
{
	struct timeval tv;
	int64_t us = off / 1000;

	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	if (tv.tv_usec < 0) {
		tv.tv_usec += 1000000;
		tv.tv_sec--;
	}
	return adjtime(&tv, NULL) ? -errno : 0;
}

/* What adjtime() has yet to apply (0 if it cannot say). */
static int64_t slew_pending(void)
{
	struct timeval old;

	if (adjtime(NULL, &old))
		return 0;
	return ((int64_t)old.tv_sec * 1000000 + old.tv_usec) * 1000;
}

int timesync_once(struct ts_result *r)
{
	uint64_t host2;
	int err;

	err = measure(&r->offset_ns, &r->host_ns);
	if (err)
		return err;
	r->action = timesync_action(r->offset_ns);
	if (r->action == TS_STEP)
		err = step(r->offset_ns);
	else if (r->action == TS_SLEW)
		err = slew(r->offset_ns);
	if (err)
		return err;
	r->after_ns = r->offset_ns;
	err = measure(&r->after_ns, &host2);
	if (err)
		return err;
	r->slew_pending_ns = slew_pending();
	return 0;
}

const char *timesync_action_name(enum ts_action a)
{
	static const char *const names[] = {
		[TS_NONE] = "none", [TS_STEP] = "step", [TS_SLEW] = "slew",
	};

	return (unsigned)a < 3 ? names[a] : "?";
}
