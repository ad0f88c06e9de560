// SPDX-License-Identifier: Apache-2.0
/* The backdoor calls the tests make (bdoor.h). */
#include "bdoor.h"

#define MSG_TYPE(t)	((uint32_t)(t) << 16 | BDOOR_CMD_MESSAGE)

bool bd_raw(struct bd_regs *b, uint64_t x7, enum bd_via via)
{
	struct fault f;

	probe_arm();
	if (via == VIA_HVC)
		bd_call_hvc(b->r, x7);
	else
		bd_call_mdccsr(b->r, x7);
	return !probe_result(&f);
}

bool bd_cmd(struct bd_regs *b, uint16_t cmd, enum bd_via via)
{
	b->r[AX] = BDOOR_MAGIC;
	b->r[CX] = (b->r[CX] & ~0xffffull) | cmd;
	b->r[DX] = (b->r[DX] & ~0xffffull) | BDOOR_PORT;
	return bd_raw(b, BD_X7(BD_X7_LB_IN), via);
}

bool msg_open(uint32_t proto, struct bd_chan *ret)
{
	struct bd_regs b = { { 0, proto | GUESTMSG_FLAG_COOKIE,
			       MSG_TYPE(MSG_OPEN) } };

	if (!bd_cmd(&b, BDOOR_CMD_MESSAGE, VIA_HVC) ||
	    !((b.r[CX] >> 16) & MSG_STATUS_SUCCESS))
		return false;
	ret->id = (uint16_t)(b.r[DX] >> 16);
	ret->cookie_hi = (uint32_t)b.r[SI];
	ret->cookie_lo = (uint32_t)b.r[DI];
	return true;
}

uint16_t msg_step(const struct bd_chan *c, unsigned type, uint32_t ebx,
		  struct bd_regs *out)
{
	struct bd_regs b = { { 0, ebx, MSG_TYPE(type), (uint32_t)c->id << 16,
			       c->cookie_hi, c->cookie_lo } };

	if (!bd_cmd(&b, BDOOR_CMD_MESSAGE, VIA_HVC))
		return 0;
	if (out)
		*out = b;
	return (uint16_t)(b.r[CX] >> 16);
}

uint16_t msg_hb(const struct bd_chan *c, bool in, uint64_t addr, uint32_t n)
{
	struct bd_regs b = { { BDOOR_MAGIC,
			       (uint32_t)MSG_STATUS_SUCCESS << 16, n,
			       (uint32_t)c->id << 16 | BDOORHB_PORT } };

	if (in) {
		b.r[SI] = c->cookie_hi;
		b.r[BP] = c->cookie_lo;
		b.r[DI] = addr;
	} else {
		b.r[BP] = c->cookie_hi;
		b.r[DI] = c->cookie_lo;
		b.r[SI] = addr;
	}
	if (!bd_raw(&b, in ? BD_X7(BD_X7_HB_IN) : BD_X7(BD_X7_HB_OUT), VIA_HVC))
		return 0;
	return (uint16_t)(b.r[BX] >> 16);
}

bool msg_send(const struct bd_chan *c, const void *buf, uint32_t n, bool hb)
{
	const uint8_t *p = buf;
	uint16_t st = msg_step(c, MSG_SENDSIZE, n, NULL);

	if (!(st & MSG_STATUS_SUCCESS))
		return false;
	if (hb && n)
		return msg_hb(c, false, (uintptr_t)buf, n) & MSG_STATUS_SUCCESS;
	for (uint32_t i = 0; i < n; i += 4) {
		uint32_t w = 0;

		for (uint32_t j = 0; j < 4 && i + j < n; j++)
			w |= (uint32_t)p[i + j] << (8 * j);
		st = msg_step(c, MSG_SENDPAYLOAD, w, NULL);
		if (!(st & MSG_STATUS_SUCCESS))
			return false;
	}
	return true;
}

long msg_recv(const struct bd_chan *c, void *buf, uint32_t cap, bool hb)
{
	struct bd_regs b;
	uint8_t *p = buf;
	uint16_t st = msg_step(c, MSG_RECVSIZE, 0, &b);
	uint32_t n = (uint32_t)b.r[BX];

	if (!(st & MSG_STATUS_SUCCESS))
		return -1;
	if (!(st & MSG_STATUS_DORECV))
		return 0;
	if (n > cap) {
		msg_step(c, MSG_RECVPAYLOAD, 0, NULL);	/* give up: status 0 */
		return -1;
	}
	if (hb) {
		if (!(msg_hb(c, true, (uintptr_t)buf, n) & MSG_STATUS_SUCCESS))
			return -1;
	} else {
		for (uint32_t i = 0; i < n; i += 4) {
			st = msg_step(c, MSG_RECVPAYLOAD, MSG_STATUS_SUCCESS,
				      &b);
			if (!(st & MSG_STATUS_SUCCESS))
				return -1;
			for (uint32_t j = 0; j < 4 && i + j < n; j++)
				p[i + j] = (uint8_t)(b.r[BX] >> (8 * j));
		}
	}
	st = msg_step(c, MSG_RECVSTATUS, MSG_STATUS_SUCCESS, NULL);
	if (!(st & MSG_STATUS_SUCCESS))
		return -1;
	return n;
}

bool msg_close(const struct bd_chan *c)
{
	return msg_step(c, MSG_CLOSE, 0, NULL) & MSG_STATUS_SUCCESS;
}

/* exceptions.c: EL0 took an exception; el0_run returns next. */
void el0_exit(const uint64_t x[8], uint64_t esr, uint64_t elr)
{
	struct el0_ctx *c = el0_cur;

	for (int i = 0; i < 8; i++)
		c->x[i] = x[i];
	c->esr = esr;
	c->elr = elr;
	el0_cur = NULL;
}
