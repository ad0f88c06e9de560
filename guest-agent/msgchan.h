/* SPDX-License-Identifier: Apache-2.0 */
/* The backdoor message channel (BDOOR_CMD_MESSAGE): open, send, receive,
 * close, with cookies, over the low-bandwidth port 4 bytes per call or the
 * high-bandwidth port in one call when the hypervisor offers it. Steps and
 * status bits follow open-vm-tools' lib/include/guest_msg_def.h.
 *
 * Use only after bd_probe() succeeded: without a hypervisor an arm64
 * backdoor call may leave the registers untouched, and an untouched ecx of
 * a SENDSIZE or RECVSIZE call reads like a success status. */
#ifndef VGA_MSGCHAN_H
#define VGA_MSGCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <verge_backdoor.h>

struct msg_chan {
	uint16_t id;
	uint32_t cookie_hi, cookie_lo;
	bool open;
	bool allow_hb;		/* use the HB port when offered */
	uint32_t last_status;	/* of the last step, for error messages */
};

/* Each returns 0 or a negative errno: -ENODEV no backdoor, -EFAULT the
 * call faulted, -EAGAIN a checkpoint interrupted it (retry), -EIO the
 * hypervisor refused (status without SUCCESS), -EPROTO an answer out of
 * protocol, -EMSGSIZE a message larger than the buffer (discarded), -EBADF
 * a closed channel. */
int msg_open(struct msg_chan *c, uint32_t proto, bool allow_hb);
int msg_send(struct msg_chan *c, const void *buf, size_t len);
/* Receives the pending message, if any, into buf (cap bytes, a NUL is
 * added after it, so at most cap - 1): *ret_len 0 when none. */
int msg_recv(struct msg_chan *c, void *buf, size_t cap, size_t *ret_len);
int msg_close(struct msg_chan *c);

#endif
