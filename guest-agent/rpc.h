/* SPDX-License-Identifier: Apache-2.0 */
/* RPCI (guest -> host requests) and TCLO (host -> guest commands) on top
 * of the message channel, as open-vm-tools' rpcout.c / rpcin.c use them:
 * an RPCI reply starts with "1 " (success) or "0 " (failure); a TCLO
 * channel is polled by sending the previous command's result (empty the
 * first time) and receiving the next command (empty when none). */
#ifndef VGA_RPC_H
#define VGA_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include "msgchan.h"

/* The largest message verge-hv carries (4096 bytes) and a NUL. */
#define RPC_MAX_REPLY 4097

/* Sends req over a fresh RPCI channel and reads the reply, without its
 * "1 "/"0 " prefix, into reply (NUL-terminated). 0 on "1 ", -EREMOTEIO on
 * "0 " (reply holds the host's reason), -EPROTO on anything else, or a
 * msgchan error. A checkpoint (-EAGAIN) is retried a few times here. */
int rpci_call(const char *req, size_t len, char *reply, size_t cap,
	      size_t *ret_len, bool allow_hb);

struct tclo {
	struct msg_chan ch;
	char result[1024];	/* the answer to send with the next poll */
	size_t result_len;
	bool allow_hb;
};

void tclo_init(struct tclo *t, bool allow_hb);
/* One poll: (re)opens the channel if needed, sends the pending result
 * (cleared once sent), receives the next command into cmd (*ret_len 0
 * when none). On an error the channel is closed, to be reopened by the
 * next poll; the pending result is kept. */
int tclo_poll(struct tclo *t, char *cmd, size_t cap, size_t *ret_len);
/* Sets the result sent by the next poll; truncated to fit. */
void tclo_set_result(struct tclo *t, const char *s, size_t n);
void tclo_close(struct tclo *t);

/* A human name for the errors above. */
const char *rpc_strerror(int err);

#endif
