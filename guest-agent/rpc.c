// SPDX-License-Identifier: Apache-2.0
/* RPCI calls and the TCLO poll (see rpc.h). */
#include <errno.h>
#include <string.h>

#include "rpc.h"

#define RPC_CPT_RETRIES 3

static int rpci_once(const char *req, size_t len, char *reply, size_t cap,
		     size_t *ret_len, bool allow_hb)
{
	struct msg_chan ch;
	size_t n = 0;
	int err, cerr;

	err = msg_open(&ch, RPCI_PROTOCOL, allow_hb);
	if (err)
		return err;
	err = msg_send(&ch, req, len);
	if (!err)
		err = msg_recv(&ch, reply, cap, &n);
	cerr = msg_close(&ch);
	if (err)
		return err;
	if (cerr && cerr != -EIO)
		return cerr;
	*ret_len = n;
	return 0;
}

int rpci_call(const char *req, size_t len, char *reply, size_t cap,
	      size_t *ret_len, bool allow_hb)
{
	size_t n = 0;
	int err, i;

	if (cap < 3)
		return -EMSGSIZE;
	for (i = 0; i < RPC_CPT_RETRIES; i++) {
		err = rpci_once(req, len, reply, cap, &n, allow_hb);
		if (err != -EAGAIN)
			break;
	}
	if (err)
		return err;
	if (n < 2 || (reply[0] != '1' && reply[0] != '0') || reply[1] != ' ') {
		/* A bare "1" or "0" is a reply with no text. */
		if (n == 1 && (reply[0] == '1' || reply[0] == '0')) {
			err = reply[0] == '1' ? 0 : -EREMOTEIO;
			reply[0] = '\0';
			*ret_len = 0;
			return err;
		}
		return -EPROTO;
	}
	err = reply[0] == '1' ? 0 : -EREMOTEIO;
	memmove(reply, reply + 2, n - 2);
	reply[n - 2] = '\0';
	*ret_len = n - 2;
	return err;
}

void tclo_init(struct tclo *t, bool allow_hb)
{
	memset(t, 0, sizeof(*t));
	t->allow_hb = allow_hb;
}

void tclo_set_result(struct tclo *t, const char *s, size_t n)
{
	if (n > sizeof(t->result))
		n = sizeof(t->result);
	memcpy(t->result, s, n);
	t->result_len = n;
}

void tclo_close(struct tclo *t)
{
	msg_close(&t->ch);
}

int tclo_poll(struct tclo *t, char *cmd, size_t cap, size_t *ret_len)
{
	size_t n = 0;
	int err;

	if (!t->ch.open) {
		err = msg_open(&t->ch, TCLO_PROTOCOL, t->allow_hb);
		if (err)
			return err;
	}
	err = msg_send(&t->ch, t->result, t->result_len);
	if (!err) {
		t->result_len = 0;
		err = msg_recv(&t->ch, cmd, cap, &n);
	}
	if (err) {
		msg_close(&t->ch);
		t->ch.open = false;
		return err;
	}
	*ret_len = n;
	return 0;
}

const char *rpc_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -ENODEV: return "no backdoor (GETVERSION not answered)";
	case -EFAULT: return "no backdoor (the instruction faulted)";
	case -EAGAIN: return "interrupted by a checkpoint";
	case -EIO: return "hypervisor refused the message step";
	case -EPROTO: return "reply out of protocol";
	case -EMSGSIZE: return "message too large";
	case -EBADF: return "channel not open";
	case -EREMOTEIO: return "host answered failure";
	default: return strerror(-err);
	}
}
