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

/* --- the fake host --------------------------------------------------- */

static struct {
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
} h;

static void reset_host(void)
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
	if (h.proto == MSG_PROTO_RPCI) {
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
	uint32_t type = (uint32_t)r->cx >> 16, st = MSG_ST_SUCCESS;

	if ((uint16_t)r->cx == BD_CMD_GETVERSION) {
		r->ax = 6;
		r->bx = BD_MAGIC;
		r->cx = 2;
		return;
	}
	if ((uint16_t)r->cx != BD_CMD_MESSAGE)
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
		st |= MSG_ST_HB;
	switch (type) {
	case MSG_OPEN:
		h.open = true;
		h.proto = (uint32_t)r->bx & ~MSG_FLAG_COOKIE;
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
			status(r, MSG_ST_CPT);
			return;
		}
		for (int k = 0; k < 4 && h.in_got < h.in_len; k++)
			h.in[h.in_got++] = (uint8_t)(r->bx >> (8 * k));
		if (h.in_got == h.in_len)
			host_request();
		break;
	case MSG_RECVSIZE:
		if (h.out_ready) {
			st |= MSG_ST_DORECV;
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
	uint32_t st = MSG_ST_SUCCESS;

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

/* The fake "instruction". Without a host it leaves the registers alone,
 * as an EL0 mdccsr_el0 read does on QEMU without verge. */
void bd_arch_call(struct bd_regs *r, uint32_t x7)
{
	h.calls++;
	if (!h.present)
		return;
	assert_true((uint32_t)r->ax == BD_MAGIC);
	if ((x7 & BD_X7_REP) == BD_X7_REP) {
		assert_int_equal((uint16_t)r->dx, BD_PORT_HB);
		high(r, x7 & BD_X7_IN);
	} else {
		assert_int_equal(x7, BD_X7_DX | BD_X7_IN | BD_X7_SIZE4);
		assert_int_equal((uint16_t)r->dx, BD_PORT);
		low(r);
	}
}

/* --- tests ------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	reset_host();
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
	reset_host();
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
		reset_host();
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
	assert_int_equal(msg_open(&c, MSG_PROTO_RPCI, true), -EIO);
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
		reset_host();
		h.refuse_type = t;
		assert_int_equal(rpci_call("abc", 3, reply, sizeof(reply), &n,
					   false), -EIO);
	}
	reset_host();
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
	reset_host();
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
