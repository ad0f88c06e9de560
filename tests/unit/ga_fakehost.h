/* SPDX-License-Identifier: Apache-2.0 */
/* A scripted fake of verge-hv's backdoor for the guest agent's unit
 * tests: the host side of open-vm-tools' message protocol (one channel,
 * RPCI echo, TCLO queue) with injectable faults. fakehost_call() stands
 * where the hypervisor would handle the trapped instruction. */
#ifndef GA_FAKEHOST_H
#define GA_FAKEHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "backdoor.h"

struct fakehost {
	bool present;		/* answer at all */
	bool hb;		/* offer high bandwidth */
	uint32_t cookie_hi, cookie_lo;
	bool open;
	uint32_t proto;
	uint8_t in[8192];
	uint32_t in_len, in_got;
	uint8_t out[8192];
	uint32_t out_len, out_pos;
	bool out_ready;
	/* faults */
	int refuse_type;	/* status 0 for this step type (-1: none) */
	int cpt_count;		/* CPT on the next N payload steps */
	int wrong_type;		/* answer RECVPAYLOAD with this type */
	/* observations */
	unsigned calls, hb_calls, aborts, bad_cookies;
	char tclo_cmd[256];	/* queued host command */
	char tclo_result[256];	/* what the guest last sent on TCLO */
};

extern struct fakehost h;

void fakehost_reset(void);
/* Carries out one backdoor instruction (x7 as on aarch64) on r. */
void fakehost_call(struct bd_regs *r, uint32_t x7);

#endif
