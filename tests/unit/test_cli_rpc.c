// SPDX-License-Identifier: Apache-2.0
/*
 * verge's JSON-RPC client over an in-memory transport (the transport
 * interface is what an HTTP transport will implement too): the request
 * it writes, and every way a reply can be wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

/* Replies queued by a test, handed out one by one; what verge sent. */
struct mem_transport {
	struct cli_transport t;
	const char *replies[8];
	int next, count;
	char sent[4096];
	size_t sent_len;
};

static int mem_send(struct cli_transport *t, const char *msg, size_t len,
		    int64_t deadline)
{
	struct mem_transport *m = (struct mem_transport *)t;

	(void)deadline;
	assert_true(m->sent_len + len < sizeof(m->sent));
	memcpy(m->sent + m->sent_len, msg, len);
	m->sent_len += len;
	return 0;
}

static int mem_recv(struct cli_transport *t, int64_t deadline, char **ret_msg,
		    size_t *ret_len)
{
	struct mem_transport *m = (struct mem_transport *)t;

	(void)deadline;
	if (m->next == m->count)
		return -ECONNRESET;
	*ret_msg = strdup(m->replies[m->next++]);
	*ret_len = strlen(*ret_msg);
	return 0;
}

static void mem_close(struct cli_transport *t)
{
	(void)t;
}

static const struct cli_transport_ops mem_ops = {
	.send = mem_send, .recv = mem_recv, .close = mem_close,
};

static struct mem_transport mem;
static struct cli_rpc rpc;

static void start(int n, ...)
{
	va_list ap;

	memset(&mem, 0, sizeof(mem));
	mem.t.ops = &mem_ops;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		mem.replies[i] = va_arg(ap, const char *);
	va_end(ap);
	mem.count = n;
	assert_int_equal(cli_rpc_init(&rpc, &mem.t), 0);
}

static int call(json_t **res, json_t **err)
{
	json_t *params = json_pack("{s:s}", "name", "web-1");
	int r;

	*res = *err = NULL;
	r = cli_rpc_call(&rpc, "vm.show", params, -1, res, err);
	json_decref(params);
	return r;
}

static int teardown(void **state)
{
	(void)state;
	cli_rpc_close(&rpc);
	return 0;
}

/* One compact line, with the id the reply must carry. */
static void test_request_text(void **state)
{
	json_t *res, *err;

	(void)state;
	start(1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"name\":\"web-1\"}}");
	assert_int_equal(call(&res, &err), 0);
	assert_string_equal(mem.sent, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			    "\"vm.show\",\"params\":{\"name\":\"web-1\"}}\n");
	assert_null(err);
	assert_string_equal(json_string_value(json_object_get(res, "name")),
			    "web-1");
	json_decref(res);
}

static void test_error_reply(void **state)
{
	json_t *res, *err;

	(void)state;
	start(1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,"
	      "\"message\":\"no VM named web-1\",\"data\":{\"name\":"
	      "\"vm_not_found\"}}}");
	assert_int_equal(call(&res, &err), 0);
	assert_null(res);
	assert_int_equal(json_integer_value(json_object_get(err, "code")),
			 -32001);
	json_decref(err);
	cli_rpc_close(&rpc);
	/* A parse error's reply has a null id: still the answer. */
	start(1, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
	      "\"message\":\"not JSON\"}}");
	assert_int_equal(call(&res, &err), 0);
	assert_non_null(err);
	json_decref(err);
}

static void test_bad_replies(void **state)
{
	static const struct {
		const char *reply, *why;
	} bad[] = {
		{ "not json", "not JSON" },
		{ "[1,2]", "not a JSON-RPC 2.0 object" },
		{ "{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":1}",
		  "not a JSON-RPC 2.0 object" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1}", "exactly one" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}",
		  "exactly one" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\","
		  "\"message\":\"m\"}}", "integer code" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"bad\"}",
		  "integer code" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":1}", "another" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":1}", "another" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}", "another" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":1,\"result\":1}",
		  "not JSON" },
	};
	json_t *res, *err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		start(1, bad[i].reply);
		if (call(&res, &err) != -EPROTO)
			fail_msg("accepted: %s", bad[i].reply);
		assert_null(res);
		assert_null(err);
		if (!strstr(rpc.why, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].reply,
				 rpc.why, bad[i].why);
		cli_rpc_close(&rpc);
	}
	start(0);
	assert_int_equal(call(&res, &err), -ECONNRESET);
}

/* Notifications that arrive before the reply wait for cli_rpc_next(). */
static void test_notifications_queued(void **state)
{
	json_t *res, *err, *n;

	(void)state;
	start(3, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"id\":7}}",
	      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
	      "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"id\":8}}");
	assert_int_equal(call(&res, &err), 0);
	assert_non_null(res);
	json_decref(res);
	for (int id = 7; id <= 8; id++) {
		assert_int_equal(cli_rpc_next(&rpc, -1, &n), 0);
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(n, "params"), "id")), id);
		json_decref(n);
	}
	assert_int_equal(cli_rpc_next(&rpc, -1, &n), -ECONNRESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_request_text, teardown),
		cmocka_unit_test_teardown(test_error_reply, teardown),
		cmocka_unit_test_teardown(test_bad_replies, teardown),
		cmocka_unit_test_teardown(test_notifications_queued, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
