// SPDX-License-Identifier: Apache-2.0
/* The fake hypervisor of the guest agent's unit tests (see
 * ga_fakehost.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ga_fakehost.h"
#include "msgchan.h"

struct fakehost h;

void fakehost_reset(void)
{
	memset(&h, 0, sizeof(h));
	h.present = true;
	h.refuse_type = -1;
	h.wrong_type = -1;
	h.cookie_hi = 0x11223344;
	h.cookie_lo = 0x55667788;
}

static void status(struct bd_regs *r, uint32_t st)
{
	r->cx = (uint64_t)st << 16 | (r->cx & 0xffff);
}

/* The host's answer to a complete guest message. */
static void host_request(void)
{
	if (h.proto == RPCI_PROTOCOL) {
		/* Echo: "1 " + request, or "0 fail" for "fail". */
		if (h.in_len == 4 && !memcmp(h.in, "fail", 4)) {
			memcpy(h.out, "0 fail", 6);
			h.out_len = 6;
		} else if (h.in_len == 3 && !memcmp(h.in, "big", 3)) {
			memset(h.out, 'x', 5000);
			h.out_len = 5000;
		} else {
			memcpy(h.out, "1 ", 2);
			memcpy(h.out + 2, h.in, h.in_len);
			h.out_len = h.in_len + 2;
		}
		h.out_ready = true;
		return;
	}
	/* TCLO: keep the guest's result, offer the queued command. */
	memcpy(h.tclo_result, h.in, h.in_len);
	h.tclo_result[h.in_len] = '\0';
	h.out_len = (uint32_t)strlen(h.tclo_cmd);
	memcpy(h.out, h.tclo_cmd, h.out_len);
	h.out_ready = h.out_len > 0;
	h.tclo_cmd[0] = '\0';
}

static void low(struct bd_regs *r)
{
	uint32_t type = (uint32_t)r->cx >> 16, st = MSG_STATUS_SUCCESS;

	if ((uint16_t)r->cx == BDOOR_CMD_GETVERSION) {
		r->ax = 6;
		r->bx = BDOOR_MAGIC;
		r->cx = 2;
		return;
	}
	if ((uint16_t)r->cx != BDOOR_CMD_MESSAGE)
		return;
	if (type != MSG_OPEN && ((uint32_t)r->si != h.cookie_hi ||
				 (uint32_t)r->di != h.cookie_lo)) {
		h.bad_cookies++;
		status(r, 0);
		return;
	}
	if ((int)type == h.refuse_type) {
		status(r, 0);
		return;
	}
	if (h.hb)
		st |= MSG_STATUS_HB;
	switch (type) {
	case MSG_OPEN:
		h.open = true;
		h.proto = (uint32_t)r->bx & ~GUESTMSG_FLAG_COOKIE;
		r->dx = (uint64_t)3 << 16;	/* channel id 3 */
		r->si = h.cookie_hi;
		r->di = h.cookie_lo;
		break;
	case MSG_SENDSIZE:
		h.in_len = (uint32_t)r->bx;
		h.in_got = 0;
		if (h.in_len == 0)
			host_request();
		break;
	case MSG_SENDPAYLOAD:
		if (h.cpt_count > 0) {
			h.cpt_count--;
			status(r, MSG_STATUS_CPT);
			return;
		}
		for (int k = 0; k < 4 && h.in_got < h.in_len; k++)
			h.in[h.in_got++] = (uint8_t)(r->bx >> (8 * k));
		if (h.in_got == h.in_len)
			host_request();
		break;
	case MSG_RECVSIZE:
		if (h.out_ready) {
			st |= MSG_STATUS_DORECV;
			r->dx = (uint64_t)MSG_SENDSIZE << 16;
			r->bx = h.out_len;
			h.out_pos = 0;
		}
		break;
	case MSG_RECVPAYLOAD:
		if ((uint32_t)r->bx == 0) {	/* the guest gave up */
			h.aborts++;
			h.out_ready = false;
			break;
		}
		r->dx = (uint64_t)(h.wrong_type >= 0 ? (uint32_t)h.wrong_type :
				   MSG_SENDPAYLOAD) << 16;
		r->bx = 0;
		for (int k = 0; k < 4 && h.out_pos < h.out_len; k++)
			r->bx |= (uint64_t)h.out[h.out_pos++] << (8 * k);
		break;
	case MSG_RECVSTATUS:
		if ((uint32_t)r->bx == 0)
			h.aborts++;
		h.out_ready = false;
		break;
	case MSG_CLOSE:
		h.open = false;
		break;
	default:
		st = 0;
	}
	status(r, st);
}

static void high(struct bd_regs *r, bool in)
{
	uint32_t st = MSG_STATUS_SUCCESS;

	h.hb_calls++;
	if (in) {
		/* rep insb: edi buffer, esi/ebp cookie */
		if ((uint32_t)r->si != h.cookie_hi ||
		    (uint32_t)r->bp != h.cookie_lo || r->cx != h.out_len) {
			st = 0;
		} else {
			memcpy((void *)(uintptr_t)r->di, h.out, h.out_len);
			h.out_pos = h.out_len;
		}
	} else {
		/* rep outsb: esi buffer, ebp/edi cookie */
		if ((uint32_t)r->bp != h.cookie_hi ||
		    (uint32_t)r->di != h.cookie_lo || r->cx != h.in_len) {
			st = 0;
		} else {
			memcpy(h.in, (void *)(uintptr_t)r->si, h.in_len);
			h.in_got = h.in_len;
			host_request();
		}
	}
	r->bx = (uint64_t)st << 16 | (r->bx & 0xffff);
}

/* Without a host the registers stay as they are, as an EL0 mdccsr_el0
 * read leaves them on QEMU without verge. */
void fakehost_call(struct bd_regs *r, uint32_t x7)
{
	h.calls++;
	if (!h.present)
		return;
	assert_true((uint32_t)r->ax == BDOOR_MAGIC);
	if ((x7 & BD_X7_HB_OUT) == BD_X7_HB_OUT) {
		assert_int_equal((uint16_t)r->dx, BDOORHB_PORT);
		high(r, x7 & BD_X7_IN);
	} else {
		assert_int_equal(x7, BD_X7_LB_IN);
		assert_int_equal((uint16_t)r->dx, BDOOR_PORT);
		low(r);
	}
}

