// SPDX-License-Identifier: Apache-2.0
/* Backdoor message channel (see msgchan.h).
 *
 * Register use, from open-vm-tools' lib/message/messageBackdoor.c
 * (facts of the protocol, not code):
 *   low bandwidth: ecx = type << 16 | MESSAGE, edx = id << 16 | port,
 *     esi/edi = cookie high/low, ebx = size, payload word or status;
 *     out: ecx[31:16] status, edx[31:16] id (open) or type (receive),
 *     ebx size or payload word, esi/edi the cookie (open).
 *   high bandwidth: ebx = SUCCESS << 16 | HB MESSAGE, ecx = size,
 *     edx = id << 16 | port; out (rep outsb): esi = buffer, ebp/edi =
 *     cookie high/low; in (rep insb): edi = buffer, esi/ebp = cookie
 *     high/low; out: ebx[31:16] status.
 * High-bandwidth buffers are read and written by the hypervisor through
 * the guest's page tables, so every page is touched (written, for a
 * receive) before the call: an unfaulted or copy-on-write page would not
 * translate. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "backdoor.h"
#include "msgchan.h"

static int status_err(uint32_t st)
{
	if (st & MSG_STATUS_SUCCESS)
		return 0;
	return st & MSG_STATUS_CPT ? -EAGAIN : -EIO;
}

/* One low-bandwidth step; *r holds the reply registers. */
static int step(struct msg_chan *c, enum msg_type t, uint32_t bx,
		struct bd_regs *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->bx = bx;
	r->cx = (uint32_t)t << 16 | BDOOR_CMD_MESSAGE;
	r->dx = (uint32_t)c->id << 16;
	r->si = c->cookie_hi;
	r->di = c->cookie_lo;
	err = bd_in(r);
	if (err)
		return err;
	c->last_status = (uint32_t)r->cx >> 16;
	return status_err(c->last_status);
}

int msg_open(struct msg_chan *c, uint32_t proto, bool allow_hb)
{
	uint32_t flags = GUESTMSG_FLAG_COOKIE;
	struct bd_regs r;
	int err;

	memset(c, 0, sizeof(*c));
	if (!bd_present())
		return -ENODEV;
	for (;;) {
		/* Type OPEN is 0: an untouched ecx keeps status 0 (failure),
		 * so a silent no-op never looks like an open channel. */
		err = step(c, MSG_OPEN, proto | flags, &r);
		if (err != -EIO || !flags)
			break;
		flags = 0;	/* no cookie support: try without */
	}
	if (err)
		return err;
	c->id = (uint16_t)(r.dx >> 16);
	c->cookie_hi = flags ? (uint32_t)r.si : 0;
	c->cookie_lo = flags ? (uint32_t)r.di : 0;
	c->open = true;
	c->allow_hb = allow_hb;
	return 0;
}

static void touch_read(const void *buf, size_t len)
{
	const volatile char *p = buf;
	long pg = sysconf(_SC_PAGESIZE);
	size_t step_ = pg > 0 ? (size_t)pg : 4096, i;

	for (i = 0; i < len; i += step_)
		(void)p[i];
	if (len)
		(void)p[len - 1];
}

static int send_hb(struct msg_chan *c, const void *buf, size_t len)
{
	struct bd_regs r = {
		.bx = (uint32_t)MSG_STATUS_SUCCESS << 16 | BDOORHB_CMD_MESSAGE,
		.cx = len,
		.dx = (uint32_t)c->id << 16,
		.si = (uintptr_t)buf,
		.di = c->cookie_lo,
		.bp = c->cookie_hi,
	};
	int err;

	touch_read(buf, len);
	err = bd_hb_out(&r);
	if (err)
		return err;
	c->last_status = (uint32_t)r.bx >> 16;
	return status_err(c->last_status);
}

static int send_lb(struct msg_chan *c, const unsigned char *p, size_t len)
{
	struct bd_regs r;
	size_t i, k;
	uint32_t w;
	int err;

	for (i = 0; i < len; i += 4) {
		/* Never read past the end: assemble the last word. */
		for (w = 0, k = 0; k < 4 && i + k < len; k++)
			w |= (uint32_t)p[i + k] << (8 * k);
		err = step(c, MSG_SENDPAYLOAD, w, &r);
		if (err)
			return err;
	}
	return 0;
}

int msg_send(struct msg_chan *c, const void *buf, size_t len)
{
	struct bd_regs r;
	int err;

	if (!c->open)
		return -EBADF;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	err = step(c, MSG_SENDSIZE, (uint32_t)len, &r);
	if (err || len == 0)
		return err;
	if (c->allow_hb && (c->last_status & MSG_STATUS_HB))
		return send_hb(c, buf, len);
	return send_lb(c, buf, len);
}

static int recv_hb(struct msg_chan *c, void *buf, size_t len)
{
	struct bd_regs r = {
		.bx = (uint32_t)MSG_STATUS_SUCCESS << 16 | BDOORHB_CMD_MESSAGE,
		.cx = len,
		.dx = (uint32_t)c->id << 16,
		.si = c->cookie_hi,
		.di = (uintptr_t)buf,
		.bp = c->cookie_lo,
	};
	int err;

	memset(buf, 0, len);	/* fault the pages in, writable */
	err = bd_hb_in(&r);
	if (err)
		return err;
	c->last_status = (uint32_t)r.bx >> 16;
	return status_err(c->last_status);
}

/* Receives len bytes 4 at a time; *ret_done counts those received. */
static int recv_lb(struct msg_chan *c, unsigned char *p, size_t len,
		   size_t *ret_done)
{
	struct bd_regs r;
	size_t i, k;
	int err;

	for (i = 0; i < len; i += 4) {
		err = step(c, MSG_RECVPAYLOAD, MSG_STATUS_SUCCESS, &r);
		if (err)
			return err;
		if ((uint32_t)r.dx >> 16 != MSG_SENDPAYLOAD)
			return -EPROTO;
		for (k = 0; k < 4 && i + k < len; k++)
			p[i + k] = (unsigned char)(r.bx >> (8 * k));
		*ret_done = i + k;
	}
	return 0;
}

/* Tells the hypervisor we give up on the message (status 0), as the
 * protocol asks, so the channel stays usable. */
static void recv_abort(struct msg_chan *c, size_t left)
{
	struct bd_regs r;

	step(c, left ? MSG_RECVPAYLOAD : MSG_RECVSTATUS, 0, &r);
}

int msg_recv(struct msg_chan *c, void *buf, size_t cap, size_t *ret_len)
{
	struct bd_regs r;
	size_t len, done = 0;
	int err;

	if (!c->open)
		return -EBADF;
	err = step(c, MSG_RECVSIZE, 0, &r);
	if (err)
		return err;
	if (!(c->last_status & MSG_STATUS_DORECV)) {
		*ret_len = 0;
		return 0;
	}
	if ((uint32_t)r.dx >> 16 != MSG_SENDSIZE)
		return -EPROTO;
	len = (uint32_t)r.bx;
	if (cap == 0 || len > cap - 1) {
		recv_abort(c, len);
		return -EMSGSIZE;
	}
	if (len && c->allow_hb && (c->last_status & MSG_STATUS_HB)) {
		err = recv_hb(c, buf, len);
		done = err ? 0 : len;
	} else {
		err = recv_lb(c, buf, len, &done);
	}
	if (err) {
		if (err != -EFAULT)
			recv_abort(c, len - done);
		return err;
	}
	((char *)buf)[len] = '\0';
	err = step(c, MSG_RECVSTATUS, MSG_STATUS_SUCCESS, &r);
	if (err)
		return err;
	*ret_len = len;
	return 0;
}

int msg_close(struct msg_chan *c)
{
	struct bd_regs r;
	int err;

	if (!c->open)
		return 0;
	err = step(c, MSG_CLOSE, 0, &r);
	c->open = false;
	return err;
}
