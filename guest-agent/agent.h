/* SPDX-License-Identifier: Apache-2.0 */
/* `verge-guest-agent run`: the service loop. */
#ifndef VGA_AGENT_H
#define VGA_AGENT_H

#include <stdbool.h>

#ifndef VERGE_VERSION
#error "VERGE_VERSION comes from the top-level VERSION file (Makefile)"
#endif
#define AGENT_VERSION VERGE_VERSION
#define REPORT_MAX 1000		/* bytes of JSON, docs/jsonrpc.md */

struct agent_opts {
	unsigned interval_s;	/* periodic report, seconds */
	unsigned poll_max_ms;	/* idle TCLO poll period, at most */
	unsigned doorbell_poll_s; /* TCLO poll period with the doorbell */
	bool no_doorbell;	/* poll even when there is a doorbell */
	unsigned trials;	/* exclusive-monitor trials for the verdict */
	bool once;		/* hello, one report, one poll, exit */
	bool allow_hb;
	bool verbose;
	const char *watchdog;	/* --watchdog DEV: refresh it (wdog.h) */
};

/* Exit status: 0, or 1 when there is no backdoor (or --once failed). */
int agent_run(const struct agent_opts *o);

#endif
