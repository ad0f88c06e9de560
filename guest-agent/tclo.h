/* SPDX-License-Identifier: Apache-2.0 */
/* TCLO commands the agent understands, parsed from the host's text, and
 * the answers it sends back (docs/jsonrpc.md, "Guest agent messages"):
 *   verge.ping ID | verge.detect ID | verge.timesync ID | verge.report ID
 *   verge.guestinfo ID KEY
 * answered "OK ID {json}" or "ERROR ID message"; VMware's own "reset" and
 * "ping" are answered as open-vm-tools does ("OK ATR toolbox", "OK ").
 * Pure string handling: unit tested on the host. */
#ifndef VGA_TCLO_H
#define VGA_TCLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tclo_kind {
	TCLO_UNKNOWN,
	TCLO_RESET,		/* VMware: channel reset */
	TCLO_PING,		/* VMware: liveness */
	TCLO_V_PING,
	TCLO_V_DETECT,
	TCLO_V_TIMESYNC,
	TCLO_V_REPORT,
	TCLO_V_GUESTINFO,
	TCLO_NKINDS,
};

#define TCLO_KEY_MAX 64

struct tclo_req {
	enum tclo_kind kind;
	bool has_id;		/* the verge.* commands carry one */
	uint64_t id;
	char key[TCLO_KEY_MAX + 1];	/* verge.guestinfo's KEY */
	const char *error;	/* why parsing failed, else NULL */
};

/* The command name of a kind ("verge.ping"), NULL for TCLO_UNKNOWN. */
const char *tclo_name(enum tclo_kind kind);
/* Parses one command (len bytes, need not be NUL-terminated). 0, or
 * -EINVAL with ret->error set (ret->has_id tells whether the reply can
 * carry the ID); an unknown command gives kind TCLO_UNKNOWN. */
int tclo_parse(const char *msg, size_t len, struct tclo_req *ret);
/* The answer: "OK ID json" (json may be NULL: "OK ID"), or for the VMware
 * commands their fixed answers. Length, or -ENOSPC. */
int tclo_format_ok(char *buf, size_t cap, const struct tclo_req *req,
		   const char *json);
/* "ERROR ID message", or "ERROR message" without an ID. */
int tclo_format_error(char *buf, size_t cap, const struct tclo_req *req,
		      const char *msg);

#endif
