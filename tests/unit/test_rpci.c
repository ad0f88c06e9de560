// SPDX-License-Identifier: Apache-2.0
/*
 * RPCI requests, TCLO delivery and the guestinfo store (core/rpci.c),
 * through the gmsg_ops hooks that the message channels call. Reply texts
 * are those open-vm-tools expects ("1 ..." / "0 ...").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <core/backdoor.h>
#include <core/guestmsg.h>
#include <core/rpci.h>
#include <verge_proto.h>

static struct rpc_state s;
static struct {
	unsigned n;
	uint8_t type;
	uint8_t payload[2048];
	uint32_t len;
} ev;

static void on_event(void *ctx, uint8_t type, const void *p, uint32_t len)
{
	(void)ctx;
	ev.n++;
	ev.type = type;
	memcpy(ev.payload, p, len);
	ev.len = len;
}

static uint64_t clock_ms;

static uint64_t fake_now_ms(void *ctx)
{
	(void)ctx;
	return clock_ms;
}

static int setup(void **state)
{
	(void)state;
	memset(&ev, 0, sizeof(ev));
	clock_ms = 5000;
	rpc_init(&s, on_event, fake_now_ms, NULL);
	return 0;
}

static char reply[GMSG_MAX_MSG + 1];

static const char *rpci_n(const void *req, size_t n)
{
	size_t r = rpc_gmsg_ops.request(&s, RPCI_PROTOCOL, 0, req, n,
					(uint8_t *)reply, GMSG_MAX_MSG);

	reply[r] = 0;
	return reply;
}

static const char *rpci(const char *req)
{
	return rpci_n(req, strlen(req));
}

static void test_info_get_set(void **state)
{
	static const char host[] = "vm.name\0web-1";

	(void)state;
	assert_string_equal(rpci("info-get guestinfo.vm.name"),
			    "0 No value found");
	assert_int_equal(rpc_guestinfo_set(&s, host, sizeof(host) - 1), 0);
	assert_string_equal(rpci("info-get guestinfo.vm.name"), "1 web-1");
	/* A trailing NUL (C string sent whole) and newline are ignored. */
	assert_string_equal(rpci_n("info-get guestinfo.vm.name\0", 27),
			    "1 web-1");
	assert_string_equal(rpci("info-get guestinfo.vm.name\n"), "1 web-1");
	assert_int_equal(ev.n, 0);
	/* info-set stores and tells the host: "key\0value". */
	assert_string_equal(rpci("info-set guestinfo.k v with spaces"), "1 ");
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.type, VP_EV_GUESTINFO);
	assert_int_equal(ev.len, 15);
	assert_memory_equal(ev.payload, "k\0v with spaces", 15);
	assert_string_equal(rpci("info-get guestinfo.k"), "1 v with spaces");
	/* Overwrite, then delete with an empty value. */
	assert_string_equal(rpci("info-set guestinfo.k w"), "1 ");
	assert_string_equal(rpci("info-get guestinfo.k"), "1 w");
	assert_string_equal(rpci("info-set guestinfo.k "), "1 ");
	assert_string_equal(rpci("info-get guestinfo.k"), "0 No value found");
	/* The host deletes with an empty value too. */
	assert_int_equal(rpc_guestinfo_set(&s, "vm.name", 8), 0);
	assert_string_equal(rpci("info-get guestinfo.vm.name"),
			    "0 No value found");
}

static void test_info_errors(void **state)
{
	char big[RPC_VALUE_MAX + 64];

	(void)state;
	assert_string_equal(rpci("info-set guestinfo.k"),
			    "0 Two and exactly two arguments expected");
	assert_string_equal(rpci("info-set other.k v"), "0 Invalid key");
	assert_string_equal(rpci("info-set guestinfo. v"), "0 Invalid key");
	assert_string_equal(rpci("info-get other.k"), "0 No value found");
	assert_string_equal(rpci("info-get guestinfo."), "0 No value found");
	snprintf(big, sizeof(big), "info-set guestinfo.k %0*d",
		 RPC_VALUE_MAX + 1, 0);
	assert_string_equal(rpci(big), "0 Value too long");
	snprintf(big, sizeof(big), "info-set guestinfo.k %0*d", RPC_VALUE_MAX,
		 0);
	assert_string_equal(rpci(big), "1 ");
	snprintf(big, sizeof(big), "info-set guestinfo.%0*d v",
		 RPC_KEY_MAX + 1, 0);
	assert_string_equal(rpci(big), "0 Invalid key");
	/* The store fills up. */
	for (int i = 0; i < RPC_ENTRIES - 1; i++) {
		snprintf(big, sizeof(big), "info-set guestinfo.k%d v", i);
		assert_string_equal(rpci(big), "1 ");
	}
	assert_string_equal(rpci("info-set guestinfo.one-more v"),
			    "0 Too many keys");
	/* Host payloads: no NUL, bad keys, long values, full store. */
	assert_int_equal(rpc_guestinfo_set(&s, "novalue", 7), -EINVAL);
	assert_int_equal(rpc_guestinfo_set(&s, "\0v", 2), -EINVAL);
	assert_int_equal(rpc_guestinfo_set(&s, "a b\0v", 5), -EINVAL);
	/* The guest's full table does not keep the host out: the host's
	 * keys have their own. */
	assert_int_equal(rpc_guestinfo_set(&s, "new\0v", 5), 0);
	for (int i = 1; i < RPC_ENTRIES; i++) {
		char kv[16];
		int n = snprintf(kv, sizeof(kv), "h%d", i);

		assert_int_equal(rpc_guestinfo_set(&s, kv, (size_t)n + 2), 0);
	}
	assert_int_equal(rpc_guestinfo_set(&s, "newer\0v", 7), -ENOSPC);
	assert_int_equal(rpc_guestinfo_set(&s, "new", 4), 0);
	memset(big, 'x', sizeof(big));
	memcpy(big, "k0\0", 3);
	assert_int_equal(rpc_guestinfo_set(&s, big, 3 + RPC_VALUE_MAX + 1),
			 -EINVAL);
	assert_int_equal(rpc_guestinfo_set(&s, big, 3 + RPC_VALUE_MAX), 0);
}

/* The guest never replaces or deletes a key the host set, and reads the
 * host's value of it; a host set drops the guest's value of that key. */
static void test_guest_cannot_touch_host_keys(void **state)
{
	static const char host[] = "vm.owner\0ops";

	(void)state;
	assert_int_equal(rpc_guestinfo_set(&s, host, sizeof(host) - 1), 0);
	assert_string_equal(rpci("info-set guestinfo.vm.owner mallory"),
			    "0 Key set by the host is read-only");
	assert_string_equal(rpci("info-get guestinfo.vm.owner"), "1 ops");
	assert_string_equal(rpci("info-set guestinfo.vm.owner "),
			    "0 Key set by the host is read-only");
	assert_string_equal(rpci("info-get guestinfo.vm.owner"), "1 ops");
	assert_int_equal(ev.n, 0);	/* nothing told to the host */
	/* A guest key the host then sets: the host's value wins, and the
	 * guest's is gone when the host deletes it again. */
	assert_string_equal(rpci("info-set guestinfo.ip 10.0.0.9"), "1 ");
	assert_int_equal(rpc_guestinfo_set(&s, "ip\0" "192.0.2.1", 12), 0);
	assert_string_equal(rpci("info-get guestinfo.ip"), "1 192.0.2.1");
	assert_string_equal(rpci("info-set guestinfo.ip 10.0.0.9"),
			    "0 Key set by the host is read-only");
	assert_int_equal(rpc_guestinfo_set(&s, "ip", 3), 0);
	assert_string_equal(rpci("info-get guestinfo.ip"), "0 No value found");
	/* Once the host deleted it, the key is the guest's again. */
	assert_string_equal(rpci("info-set guestinfo.ip 10.0.0.9"), "1 ");
	assert_string_equal(rpci("info-get guestinfo.ip"), "1 10.0.0.9");
}

/* At most RPC_EVENTS_PER_S relays and guestinfo sets reach the host per
 * second; the rest get an error reply and send nothing. */
static void test_relay_rate_limit(void **state)
{
	(void)state;
	for (unsigned i = 0; i < RPC_EVENTS_PER_S - 1; i++)
		assert_string_equal(rpci("verge.report 1"), "1 ");
	assert_string_equal(rpci("info-set guestinfo.k v"), "1 ");
	assert_int_equal(ev.n, RPC_EVENTS_PER_S);
	assert_string_equal(rpci("verge.report 1"),
			    "0 Too many requests to the host this second");
	assert_string_equal(rpci("log flood"),
			    "0 Too many requests to the host this second");
	assert_string_equal(rpci("info-set guestinfo.k w"),
			    "0 Too many requests to the host this second");
	assert_int_equal(ev.n, RPC_EVENTS_PER_S);
	/* Reads cost nothing and still work. */
	assert_string_equal(rpci("info-get guestinfo.k"), "1 v");
	clock_ms += 999;	/* still the same second */
	assert_string_equal(rpci("verge.report 1"),
			    "0 Too many requests to the host this second");
	clock_ms += 1;		/* the next one */
	assert_string_equal(rpci("verge.report 2"), "1 ");
	assert_int_equal(ev.n, RPC_EVENTS_PER_S + 1);
	assert_memory_equal(ev.payload, "verge.report 2", 14);
	assert_int_equal(s.st.throttled, 4);
}

static void test_relay_and_unknown(void **state)
{
	char big[RPC_RELAY_MAX + 2];

	(void)state;
	assert_string_equal(rpci("log hello"), "1 ");
	assert_int_equal(ev.type, VP_EV_RPCI);
	assert_int_equal(ev.len, 9);
	assert_memory_equal(ev.payload, "log hello", 9);
	assert_string_equal(rpci("verge.report up=1"), "1 ");
	assert_string_equal(rpci("tools.set.version 12345"), "1 ");
	assert_int_equal(ev.n, 3);
	assert_string_equal(rpci("vmx.capability.unified_loop x"),
			    "0 Unknown command");
	assert_string_equal(rpci(""), "0 Unknown command");
	assert_string_equal(rpci("log"), "0 Unknown command");
	memset(big, 'x', sizeof(big));
	memcpy(big, "log ", 4);
	big[RPC_RELAY_MAX + 1] = 0;
	assert_string_equal(rpci(big), "0 Message too long to relay");
	big[RPC_RELAY_MAX] = 0;
	assert_string_equal(rpci(big), "1 ");
	assert_int_equal(ev.len, RPC_RELAY_MAX);
}

static size_t poll(char *buf)
{
	size_t n = rpc_gmsg_ops.poll(&s, TCLO_PROTOCOL, 1, (uint8_t *)buf,
				     GMSG_MAX_MSG);

	buf[n] = 0;
	return n;
}

/* A message on TCLO channel ch. */
static size_t tclo_send_on(unsigned ch, const char *text)
{
	return rpc_gmsg_ops.request(&s, TCLO_PROTOCOL, ch,
				    (const uint8_t *)text, strlen(text),
				    (uint8_t *)reply, GMSG_MAX_MSG);
}

static size_t tclo_send(const char *text)
{
	return tclo_send_on(1, text);
}

static void test_tclo(void **state)
{
	char buf[GMSG_MAX_MSG + 1];

	(void)state;
	assert_int_equal(poll(buf), 0);
	/* RPCI channels are never offered TCLO commands. */
	assert_int_equal(rpc_tclo_push(&s, "ping", 4), 0);
	assert_int_equal(rpc_gmsg_ops.poll(&s, RPCI_PROTOCOL, 0, (uint8_t *)buf,
					   sizeof(buf)), 0);
	assert_int_equal(rpc_tclo_push(&s, "time.sync", 9), 0);
	/* Offered until delivered, in order. */
	assert_int_equal(poll(buf), 4);
	assert_string_equal(buf, "ping");
	assert_int_equal(poll(buf), 4);
	/* A reply before any delivery is dropped. */
	assert_int_equal(tclo_send("stray"), 0);
	assert_int_equal(ev.n, 0);
	rpc_gmsg_ops.delivered(&s, TCLO_PROTOCOL, 1);
	/* In flight: nothing more offered, empty sends change nothing. */
	assert_int_equal(poll(buf), 0);
	assert_int_equal(tclo_send(""), 0);
	assert_int_equal(ev.n, 0);
	/* Only the channel that got it answers it. */
	assert_int_equal(tclo_send_on(2, "OK from elsewhere"), 0);
	assert_int_equal(ev.n, 0);
	assert_int_equal(tclo_send("OK pong"), 0);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.type, VP_EV_TCLO_REPLY);
	assert_memory_equal(ev.payload, "OK pong", 7);
	assert_int_equal(poll(buf), 9);
	assert_string_equal(buf, "time.sync");
	rpc_gmsg_ops.delivered(&s, TCLO_PROTOCOL, 1);
	assert_int_equal(tclo_send("OK synced"), 0);
	assert_int_equal(ev.n, 2);
	assert_int_equal(poll(buf), 0);
	/* The tools close their channel without answering: the next
	 * command goes out; closing another channel changes nothing. */
	assert_int_equal(rpc_tclo_push(&s, "a", 1), 0);
	assert_int_equal(rpc_tclo_push(&s, "b", 1), 0);
	rpc_gmsg_ops.delivered(&s, TCLO_PROTOCOL, 1);
	rpc_gmsg_ops.closed(&s, TCLO_PROTOCOL, 2);
	rpc_gmsg_ops.closed(&s, RPCI_PROTOCOL, 1);
	assert_int_equal(poll(buf), 0);
	rpc_gmsg_ops.closed(&s, TCLO_PROTOCOL, 1);
	assert_int_equal(poll(buf), 1);
	assert_string_equal(buf, "b");
	assert_int_equal(ev.n, 2);
}

static void test_tclo_queue_bounds(void **state)
{
	char big[RPC_RELAY_MAX + 1];

	(void)state;
	memset(big, 'c', sizeof(big));
	assert_int_equal(rpc_tclo_push(&s, big, 0), -EINVAL);
	assert_int_equal(rpc_tclo_push(&s, big, RPC_RELAY_MAX + 1), -EINVAL);
	for (int i = 0; i < RPC_TCLO_DEPTH; i++)
		assert_int_equal(rpc_tclo_push(&s, big, RPC_RELAY_MAX), 0);
	assert_int_equal(rpc_tclo_push(&s, "x", 1), -ENOSPC);
	/* Delivering one makes room; the ring wraps. */
	rpc_gmsg_ops.delivered(&s, TCLO_PROTOCOL, 1);
	tclo_send("done");
	assert_int_equal(rpc_tclo_push(&s, "last", 4), 0);
	for (int i = 0; i < RPC_TCLO_DEPTH - 1; i++) {
		rpc_gmsg_ops.delivered(&s, TCLO_PROTOCOL, 1);
		tclo_send("done");
	}
	assert_int_equal(poll(big), 4);
	assert_memory_equal(big, "last", 4);
}

/* The whole path: channels over the real RPCI layer. */
static void test_through_channels(void **state)
{
	static const struct sip_key key = { 7, 7 };
	struct gmsg g;
	struct bd_ctx b = { NULL, NULL, 0, NULL, &g, 0, 0 };
	uint64_t r[7] = { 0, RPCI_PROTOCOL | GUESTMSG_FLAG_COOKIE, 0 };
	const char *req = "info-get guestinfo.x";
	uint16_t id;
	uint32_t hi, lo;

	(void)state;
	gmsg_init(&g, &rpc_gmsg_ops, &s, &key);
	assert_int_equal(rpc_guestinfo_set(&s, "x\0yz", 4), 0);
	gmsg_call(&g, &b, r);
	assert_true(r[2] >> 16 & MSG_STATUS_SUCCESS);
	id = (uint16_t)(r[3] >> 16);
	hi = (uint32_t)r[4];
	lo = (uint32_t)r[5];
	uint64_t q[7] = { 0, strlen(req), MSG_SENDSIZE << 16, id << 16, hi, lo };
	gmsg_call(&g, &b, q);
	for (size_t i = 0; i < strlen(req); i += 4) {
		uint64_t p[7] = { 0, 0, MSG_SENDPAYLOAD << 16, id << 16, hi, lo };

		memcpy(&p[1], req + i, strlen(req) - i < 4 ? strlen(req) - i : 4);
		gmsg_call(&g, &b, p);
		assert_true(p[2] >> 16 & MSG_STATUS_SUCCESS);
	}
	uint64_t z[7] = { 0, 0, MSG_RECVSIZE << 16, id << 16, hi, lo };
	gmsg_call(&g, &b, z);
	assert_true(z[2] >> 16 & MSG_STATUS_DORECV);
	assert_int_equal(z[1], 4);		/* "1 yz" */
	uint64_t y[7] = { 0, MSG_STATUS_SUCCESS, MSG_RECVPAYLOAD << 16,
			  id << 16, hi, lo };
	gmsg_call(&g, &b, y);
	assert_memory_equal(&y[1], "1 yz", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_info_get_set, setup),
		cmocka_unit_test_setup(test_info_errors, setup),
		cmocka_unit_test_setup(test_guest_cannot_touch_host_keys, setup),
		cmocka_unit_test_setup(test_relay_rate_limit, setup),
		cmocka_unit_test_setup(test_relay_and_unknown, setup),
		cmocka_unit_test_setup(test_tclo, setup),
		cmocka_unit_test_setup(test_tclo_queue_bounds, setup),
		cmocka_unit_test_setup(test_through_channels, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
