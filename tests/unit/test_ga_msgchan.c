// SPDX-License-Identifier: Apache-2.0
/* verge-guest-agent's message channel, RPCI and TCLO layers against a
 * scripted fake hypervisor (the real one cannot be told to fail a given
 * step): the fake replaces bd_arch_call(), the one function that executes
 * the backdoor instruction, and plays the host side of open-vm-tools'
 * message protocol with injectable faults. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "backdoor.h"
#include "msgchan.h"
#include "rpc.h"
#include "ga_fakehost.h"

/* The fake "instruction": the fake host handles it. */
void bd_arch_call(struct bd_regs *r, uint32_t x7)
{
	fakehost_call(r, x7);
}

/* --- tests ------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	fakehost_reset();
	return 0;
}

static void rpci_roundtrip(bool hb, bool allow_hb)
{
	char reply[RPC_MAX_REPLY];
	size_t n = 0;

	h.hb = hb;
	assert_int_equal(rpci_call("info-get guestinfo.k", 20, reply,
				   sizeof(reply), &n, allow_hb), 0);
	assert_int_equal(n, 20);
	assert_string_equal(reply, "info-get guestinfo.k");
	assert_false(h.open);			/* closed again */
	assert_int_equal(h.bad_cookies, 0);
}

static void test_rpci_lb(void **state)
{
	(void)state;
	rpci_roundtrip(false, true);
	assert_int_equal(h.hb_calls, 0);
}

static void test_rpci_hb(void **state)
{
	(void)state;
	rpci_roundtrip(true, true);
	assert_int_equal(h.hb_calls, 2);	/* one out, one in */
	fakehost_reset();
	rpci_roundtrip(true, false);		/* --lb: never the HB port */
	assert_int_equal(h.hb_calls, 0);
}

/* Odd lengths: payload words never read or write past the buffers. */
static void test_rpci_lengths(void **state)
{
	char req[16], reply[RPC_MAX_REPLY];
	size_t len, n;

	(void)state;
	for (len = 0; len < sizeof(req); len++) {
		memset(req, 'a' + (int)len, len);
		fakehost_reset();
		n = 99;
		assert_int_equal(rpci_call(req, len, reply, sizeof(reply), &n,
					   false), 0);
		assert_int_equal(n, len);
		assert_memory_equal(reply, req, len);
		assert_int_equal(reply[len], '\0');
	}
}

static void test_rpci_host_failure(void **state)
{
	char reply[64];
	size_t n;

	(void)state;
	assert_int_equal(rpci_call("fail", 4, reply, sizeof(reply), &n, true),
			 -EREMOTEIO);
	assert_string_equal(reply, "fail");
}

/* A host that does not answer: the probe fails, and even with the probe
 * result cached from earlier tests (bd_present() asks once per process)
 * an OPEN left untouched reads status 0, so no channel ever opens. */
static void test_no_backdoor(void **state)
{
	struct msg_chan c;
	char reply[64];
	size_t n;

	(void)state;
	h.present = false;
	assert_int_equal(bd_probe(NULL), -ENODEV);
	assert_true(bd_present());
	assert_int_equal(msg_open(&c, RPCI_PROTOCOL, true), -EIO);
	assert_false(c.open);
	assert_int_equal(rpci_call("x", 1, reply, sizeof(reply), &n, true),
			 -EIO);
	assert_int_equal(msg_send(&c, "x", 1), -EBADF);
}

static void test_refused_steps(void **state)
{
	char reply[64];
	size_t n;
	int t;

	(void)state;
	for (t = MSG_SENDSIZE; t <= MSG_RECVSTATUS; t++) {
		fakehost_reset();
		h.refuse_type = t;
		assert_int_equal(rpci_call("abc", 3, reply, sizeof(reply), &n,
					   false), -EIO);
	}
	fakehost_reset();
	h.refuse_type = MSG_OPEN;
	assert_int_equal(rpci_call("abc", 3, reply, sizeof(reply), &n, false),
			 -EIO);
}

static void test_checkpoint_retried(void **state)
{
	char reply[64];
	size_t n;

	(void)state;
	h.cpt_count = 2;
	assert_int_equal(rpci_call("abcdefgh", 8, reply, sizeof(reply), &n,
				   false), 0);
	assert_string_equal(reply, "abcdefgh");
	fakehost_reset();
	h.cpt_count = 100;		/* gives up after a few tries */
	assert_int_equal(rpci_call("abcd", 4, reply, sizeof(reply), &n, false),
			 -EAGAIN);
}

static void test_out_of_protocol(void **state)
{
	char reply[64];
	size_t n;

	(void)state;
	h.wrong_type = MSG_RECVSIZE;
	assert_int_equal(rpci_call("abcd", 4, reply, sizeof(reply), &n, false),
			 -EPROTO);
	assert_int_equal(h.aborts, 1);	/* the host was told */
}

static void test_too_big(void **state)
{
	char reply[RPC_MAX_REPLY];
	size_t n = 7;

	(void)state;
	assert_int_equal(rpci_call("big", 3, reply, sizeof(reply), &n, true),
			 -EMSGSIZE);
	assert_int_equal(h.aborts, 1);
	assert_int_equal(n, 7);		/* untouched on failure */
}

static void test_tclo_poll(void **state)
{
	struct tclo t;
	char cmd[256];
	size_t n = 99;

	(void)state;
	tclo_init(&t, true);
	assert_int_equal(tclo_poll(&t, cmd, sizeof(cmd), &n), 0);
	assert_int_equal(n, 0);				/* nothing yet */
	strcpy(h.tclo_cmd, "verge.ping 5");
	assert_int_equal(tclo_poll(&t, cmd, sizeof(cmd), &n), 0);
	assert_int_equal(n, 12);
	assert_string_equal(cmd, "verge.ping 5");
	tclo_set_result(&t, "OK 5 {}", 7);
	assert_int_equal(tclo_poll(&t, cmd, sizeof(cmd), &n), 0);
	assert_string_equal(h.tclo_result, "OK 5 {}");	/* delivered */
	assert_int_equal(t.result_len, 0);
	/* A failed poll closes the channel; the next one reopens it and
	 * still delivers a pending result. */
	tclo_set_result(&t, "OK 6", 4);
	h.refuse_type = MSG_SENDSIZE;
	assert_int_equal(tclo_poll(&t, cmd, sizeof(cmd), &n), -EIO);
	assert_false(t.ch.open);
	h.refuse_type = -1;
	assert_int_equal(tclo_poll(&t, cmd, sizeof(cmd), &n), 0);
	assert_string_equal(h.tclo_result, "OK 6");
	tclo_close(&t);
	assert_false(h.open);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rpci_lb, setup),
		cmocka_unit_test_setup(test_rpci_hb, setup),
		cmocka_unit_test_setup(test_rpci_lengths, setup),
		cmocka_unit_test_setup(test_rpci_host_failure, setup),
		cmocka_unit_test_setup(test_refused_steps, setup),
		cmocka_unit_test_setup(test_checkpoint_retried, setup),
		cmocka_unit_test_setup(test_out_of_protocol, setup),
		cmocka_unit_test_setup(test_too_big, setup),
		cmocka_unit_test_setup(test_tclo_poll, setup),
		cmocka_unit_test_setup(test_no_backdoor, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
