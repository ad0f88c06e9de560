// SPDX-License-Identifier: Apache-2.0
/*
 * verged's JSON-RPC core and method table: envelope checks, batches,
 * notifications, parameter validation from the table, permission checks,
 * asynchronous completion in request order; and the real table on a real
 * store (vm.define's parameter checks, define/list/undefine).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "jsonw.h"
#include "rest.h"
#include "rpc.h"
#include "store.h"
#include "verged.h"
#include "vm.h"

/* --- a test table --------------------------------------------------------- */

static struct rpc_call *held;	/* the "later" method's pending call */
static int handler_runs;
static bool allow_state = true;

static void m_echo(struct rpc_call *c)
{
	handler_runs++;
	rpc_reply(c, json_pack("{ss sI}", "a", rpc_str(c, "a"), "n",
			       rpc_int(c, "n", 7)));
}

static void m_later(struct rpc_call *c)
{
	handler_runs++;
	held = c;
}

static void m_change(struct rpc_call *c)
{
	handler_runs++;
	rpc_reply(c, json_string("changed"));
}

/* A 5 MiB result. */
static void m_big(struct rpc_call *c)
{
	size_t n = 5 << 20;
	char *s = malloc(n);

	handler_runs++;
	assert_non_null(s);
	memset(s, 'x', n);
	rpc_reply(c, json_stringn(s, n));
	free(s);
}

static const struct rpc_method test_methods[] = {
	{ "echo", m_echo, 0, {
		{ "a", "s", true, 1, 8 },
		{ "n", "I", false, 1, 10 } } },
	{ "later", m_later, 0, { { 0 } } },
	{ "change", m_change, RPC_CHANGES_STATE, { { 0 } } },
	{ "big", m_big, 0, { { 0 } } },
};

static bool test_allowed(void *ctx, const struct rpc_caller *who)
{
	(void)ctx;
	(void)who;
	return allow_state;
}

static const struct rpc_table table = {
	test_methods, 4, NULL, test_allowed, NULL,
};

static char *reply;		/* the last reply, "" for none */
static int replies;

static void done(void *conn, char *text, size_t len)
{
	(void)conn;
	replies++;
	free(reply);
	if (text) {
		assert_int_equal(text[len - 1], '\n');
		reply = text;
	} else {
		reply = strdup("");
	}
}

/* Runs one message; returns the reply parsed (NULL for no reply). */
static uid_t caller = 1000;

static json_t *call_table(const struct rpc_table *t, const char *msg)
{
	struct rpc_caller who = { .uid = caller, .gid = 1000, .pid = 1 };
	struct rpc_msg *m;
	int before = replies;

	m = rpc_process(t, &who, msg, strlen(msg), done, NULL);
	if (m)
		return NULL;	/* pending: the caller completes it */
	assert_int_equal(replies, before + 1);
	return *reply ? json_loads(reply, 0, NULL) : NULL;
}

static json_t *call(const char *msg)
{
	return call_table(&table, msg);
}

static int err_code(json_t *r)
{
	return (int)json_integer_value(json_object_get(
		json_object_get(r, "error"), "code"));
}

static const char *err_data(json_t *r, const char *key)
{
	return json_string_value(json_object_get(json_object_get(
		json_object_get(r, "error"), "data"), key));
}

static void test_parse_error(void **state)
{
	json_t *r = call("{\"jsonrpc\": \"2.0\", ");

	(void)state;
	assert_int_equal(err_code(r), RPC_PARSE_ERROR);
	assert_true(json_is_null(json_object_get(r, "id")));
	assert_string_equal(err_data(r, "name"), "parse_error");
	json_decref(r);
}

static void test_invalid_requests(void **state)
{
	static const char *const bad[] = {
		"{\"id\": 1, \"method\": \"echo\"}",		/* no jsonrpc */
		"{\"jsonrpc\": \"1.0\", \"id\": 1, \"method\": \"echo\"}",
		"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": 5}",
		"{\"jsonrpc\": \"2.0\", \"id\": [1], \"method\": \"echo\"}",
		"[]",
		"42",
	};
	size_t i;
	json_t *r;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call(bad[i]);
		assert_non_null(r);
		assert_int_equal(err_code(r), RPC_INVALID_REQUEST);
		json_decref(r);
	}
}

static void test_method_not_found(void **state)
{
	json_t *r = call("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"nope\"}");

	(void)state;
	assert_int_equal(err_code(r), RPC_METHOD_NOT_FOUND);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "x");
	assert_string_equal(err_data(r, "method"), "nope");
	json_decref(r);
}

static void test_params_checked(void **state)
{
	static const struct {
		const char *params, *param;
	} cases[] = {
		{ "{}", "a" },				/* required */
		{ "{\"a\": 5}", "a" },			/* type */
		{ "{\"a\": \"\"}", "a" },		/* too short */
		{ "{\"a\": \"123456789\"}", "a" },	/* too long */
		{ "{\"a\": \"x\", \"n\": 11}", "n" },	/* range */
		{ "{\"a\": \"x\", \"n\": 1.5}", "n" },	/* integer */
		{ "{\"a\": \"x\", \"zz\": 1}", "zz" },	/* unknown */
		{ "{\"a\": \"x\\u0000y\"}", "a" },	/* NUL inside */
	};
	char msg[256];
	size_t i;
	json_t *r;

	(void)state;
	handler_runs = 0;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":%zu,"
			 "\"method\":\"echo\",\"params\":%s}", i,
			 cases[i].params);
		r = call(msg);
		assert_int_equal(err_code(r), RPC_INVALID_PARAMS);
		assert_string_equal(err_data(r, "param"), cases[i].param);
		json_decref(r);
	}
	assert_int_equal(handler_runs, 0);	/* never reached a handler */
	r = call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
		 "\"params\":[\"x\"]}");
	assert_int_equal(err_code(r), RPC_INVALID_PARAMS);
	json_decref(r);
}

static void test_defaults_and_values(void **state)
{
	json_t *r = call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
			 "\"params\":{\"a\":\"hi\"}}"), *res;

	(void)state;
	res = json_object_get(r, "result");
	assert_string_equal(json_string_value(json_object_get(res, "a")), "hi");
	assert_int_equal(json_integer_value(json_object_get(res, "n")), 7);
	json_decref(r);
}

static void test_notification_gets_no_reply(void **state)
{
	json_t *r;

	(void)state;
	handler_runs = 0;
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":\"x\"}}");
	assert_null(r);
	assert_string_equal(reply, "");
	assert_int_equal(handler_runs, 1);
	/* not even an error: unknown method */
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}");
	assert_null(r);
}

static void test_batch(void **state)
{
	json_t *r = call("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
			 "\"params\":{\"a\":\"one\"}},"
			 "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
			 "\"params\":{\"a\":\"note\"}},"
			 "7,"
			 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"}]");

	(void)state;
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 3);	/* no notification */
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(r, 0), "id")), 1);
	assert_int_equal(err_code(json_array_get(r, 1)), RPC_INVALID_REQUEST);
	assert_int_equal(err_code(json_array_get(r, 2)), RPC_METHOD_NOT_FOUND);
	json_decref(r);
	/* a batch of notifications only: nothing at all */
	r = call("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":\"n\"}}]");
	assert_null(r);
	assert_string_equal(reply, "");
}

static void test_batch_limit(void **state)
{
	size_t n = RPC_MAX_BATCH + 1, i;
	char *msg = malloc(n * 2 + 2), *p = msg;
	json_t *r;

	(void)state;
	*p++ = '[';
	for (i = 0; i < n; i++) {
		*p++ = '1';
		*p++ = ',';
	}
	p[-1] = ']';
	*p = '\0';
	r = call(msg);
	assert_int_equal(err_code(r), RPC_INVALID_REQUEST);
	json_decref(r);
	msg[2 * RPC_MAX_BATCH] = ']';	/* exactly the limit */
	msg[2 * RPC_MAX_BATCH + 1] = '\0';
	r = call(msg);
	assert_int_equal(json_array_size(r), RPC_MAX_BATCH);
	json_decref(r);
	free(msg);
}

static void test_async_in_order(void **state)
{
	const char *msg = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"},"
			  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\","
			  "\"params\":{\"a\":\"b\"}}]";
	struct rpc_caller who = { 0 };
	struct rpc_msg *m;
	int before = replies;
	json_t *r;

	(void)state;
	held = NULL;
	m = rpc_process(&table, &who, msg, strlen(msg), done, NULL);
	assert_non_null(m);
	assert_non_null(held);
	assert_int_equal(replies, before);	/* waits for "later" */
	rpc_reply(held, json_string("late"));
	assert_int_equal(replies, before + 1);
	r = json_loads(reply, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(r, 0), "id")), 1);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(r, 0), "result")), "late");
	json_decref(r);
}

static void test_detached_message(void **state)
{
	const char *msg = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}";
	struct rpc_caller who = { 0 };
	struct rpc_msg *m;
	int before = replies;

	(void)state;
	m = rpc_process(&table, &who, msg, strlen(msg), done, NULL);
	assert_non_null(m);
	rpc_msg_detach(m);		/* the client went away */
	rpc_fail(held, RPC_TIMEOUT, NULL, "too late");
	assert_int_equal(replies, before);	/* completes into the void */
}

static void test_permission(void **state)
{
	json_t *r;

	(void)state;
	allow_state = false;
	handler_runs = 0;
	r = call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"change\"}");
	assert_int_equal(err_code(r), RPC_PERMISSION_DENIED);
	assert_int_equal(handler_runs, 0);
	json_decref(r);
	/* a read-only method is still allowed */
	r = call("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\",\"params\":{\"a\":\"x\"}}");
	assert_non_null(json_object_get(r, "result"));
	json_decref(r);
	allow_state = true;
	r = call("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"change\"}");
	assert_string_equal(json_string_value(json_object_get(r, "result")),
			    "changed");
	json_decref(r);
}

static int commits;

static int failing_commit(void *ctx)
{
	(void)ctx;
	commits++;
	return -EIO;
}

/* A state-changing call whose change cannot be stored is an error; a
 * call that changes nothing is not held to the store. */
static void test_store_failed(void **state)
{
	static const struct rpc_table t = {
		test_methods, 4, NULL, test_allowed, failing_commit,
	};
	json_t *r;

	(void)state;
	commits = 0;
	r = call_table(&t, "{\"jsonrpc\":\"2.0\",\"id\":1,"
		       "\"method\":\"change\"}");
	assert_int_equal(err_code(r), RPC_STORE_FAILED);
	assert_string_equal(err_data(r, "name"), "store_failed");
	assert_null(json_object_get(r, "result"));
	json_decref(r);
	r = call_table(&t, "{\"jsonrpc\":\"2.0\",\"id\":2,"
		       "\"method\":\"echo\",\"params\":{\"a\":\"x\"}}");
	assert_non_null(json_object_get(r, "result"));
	json_decref(r);
	assert_int_equal(commits, 1);
}

/* The replies to a batch stop at RPC_MAX_REPLY: 3 results of 5 MiB fit
 * in 16 MiB, the 4th is dropped, the calls after it do not run. */
static void test_batch_reply_bound(void **state)
{
	char msg[1024];
	json_t *r;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 8; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s{\"jsonrpc\":"
				      "\"2.0\",\"id\":%zu,\"method\":\"%s\"}",
				      i ? "," : "[", i, i == 6 ? "change" : "big");
	snprintf(msg + n, sizeof(msg) - n, "]");
	handler_runs = 0;
	r = call(msg);
	assert_int_equal(json_array_size(r), 8);
	for (i = 0; i < 3; i++)
		assert_int_equal(json_string_length(json_object_get(
			json_array_get(r, i), "result")), 5 << 20);
	for (i = 3; i < 8; i++)
		assert_int_equal(err_code(json_array_get(r, i)), RPC_TOO_LARGE);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(
		json_array_get(r, 3), "error"), "message")), "dropped"));
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(
		json_array_get(r, 6), "error"), "message")), "not run"));
	assert_int_equal(handler_runs, 4);	/* "change" did not run */
	assert_true(strlen(reply) < RPC_MAX_REPLY + 4096);
	json_decref(r);
}

static void test_depth_limit(void **state)
{
	char deep[200], *p = deep;
	int i;
	json_t *r;

	(void)state;
	for (i = 0; i < 40; i++)
		*p++ = '[';
	for (i = 0; i < 40; i++)
		*p++ = ']';
	*p = '\0';
	assert_int_not_equal(rpc_check_depth(deep, strlen(deep), 32), 0);
	assert_int_equal(rpc_check_depth(deep + 8, strlen(deep) - 16, 32), 0);
	/* brackets inside strings do not count */
	assert_int_equal(rpc_check_depth("[\"[[[[[[\\\"[[[[\"]", 16, 2), 0);
	r = call(deep);
	assert_int_equal(err_code(r), RPC_TOO_LARGE);
	json_decref(r);
}

/* --- the real table, on a real store ------------------------------------- */

static struct verged d;
static uv_loop_t loop;
static char dir[] = "/tmp/verged-unit-XXXXXX";
static char kernel[256];

static int setup_daemon(void **state)
{
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&d, 0, sizeof(d));
	assert_int_equal(config_parse_args(&d.cfg, 1,
					   (char *[]){ "verged", NULL }), 0);
	assert_int_equal(asprintf(&d.cfg.config_path, "%s/none.conf", dir) > 0, 1);
	assert_int_equal(asprintf(&d.cfg.state_dir, "%s/state", dir) > 0, 1);
	assert_int_equal(asprintf(&d.cfg.run_dir, "%s/run", dir) > 0, 1);
	assert_int_equal(asprintf(&d.cfg.socket_path, "%s/s.sock", dir) > 0, 1);
	assert_int_equal(config_load(&d.cfg), 0);
	snprintf(kernel, sizeof(kernel), "%s/Image", dir);
	f = fopen(kernel, "w");
	assert_non_null(f);
	fputs("not really a kernel", f);
	fclose(f);
	uv_loop_init(&loop);
	assert_int_equal(verged_init(&d, &loop), 0);
	caller = getuid();	/* verged's own user may change state */
	return 0;
}

static int teardown_daemon(void **state)
{
	char cmd[512];

	(void)state;
	verged_shutdown(&d);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	config_free(&d.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static json_t *real(const char *method, const char *params)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":1,"
		 "\"method\":\"%s\",\"params\":%s}", method, params);
	return call_table(&d.rpc, msg);
}

static void test_table_unique(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < verged_method_count; i++) {
		assert_non_null(verged_methods[i].handler);
		for (j = i + 1; j < verged_method_count; j++)
			assert_string_not_equal(verged_methods[i].name,
						verged_methods[j].name);
	}
}

static void test_define_params(void **state)
{
	static const struct {
		const char *extra, *param;
	} cases[] = {
		{ "\"name\":\"-bad\"", "name" },
		{ "\"name\":\"a b\"", "name" },
		{ "\"name\":\"x\",\"memory_mib\":32", "memory_mib" },
		{ "\"name\":\"x\",\"cpus\":9", "cpus" },
		{ "\"name\":\"x\",\"rate\":\"1/1000\"", "rate" },
		{ "\"name\":\"x\",\"rate\":\"fast\"", "rate" },
		{ "\"name\":\"x\",\"rate\":[1]", "rate" },
		{ "\"name\":\"x\",\"freq_hz\":5", "freq_hz" },
		{ "\"name\":\"x\",\"restart\":\"always\"", "restart" },
		{ "\"name\":\"x\",\"initrd\":\"relative/path\"", "initrd" },
		{ "\"name\":\"x\",\"initrd\":\"/no/such/file\"", "initrd" },
	};
	char params[512];
	size_t i;
	json_t *r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(params, sizeof(params), "{\"kernel\":\"%s\",%s}",
			 kernel, cases[i].extra);
		r = real("vm.define", params);
		assert_int_equal(err_code(r), RPC_INVALID_PARAMS);
		assert_string_equal(err_data(r, "param"), cases[i].param);
		json_decref(r);
	}
	assert_null(d.vms);		/* nothing was defined */
}

static void test_define_list_undefine(void **state)
{
	char params[512];
	json_t *r, *vm;

	(void)state;
	snprintf(params, sizeof(params), "{\"name\":\"web-1\",\"kernel\":"
		 "\"%s\",\"rate\":\"0.25\",\"memory_mib\":256}", kernel);
	r = real("vm.define", params);
	vm = json_object_get(r, "result");
	assert_string_equal(json_string_value(json_object_get(vm, "state")),
			    "defined");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(vm, "clock"), "rate")), "1/4");
	json_decref(r);
	r = real("vm.define", params);
	assert_int_equal(err_code(r), RPC_VM_EXISTS);
	json_decref(r);
	r = real("vm.list", "{}");
	assert_int_equal(json_array_size(json_object_get(r, "result")), 1);
	json_decref(r);
	r = real("vm.show", "{\"name\":\"nope\"}");
	assert_int_equal(err_code(r), RPC_VM_NOT_FOUND);
	json_decref(r);
	r = real("vm.stop", "{\"name\":\"web-1\"}");
	assert_int_equal(err_code(r), RPC_VM_STATE);
	assert_string_equal(err_data(r, "state"), "defined");
	json_decref(r);
	r = real("vm.undefine", "{\"name\":\"web-1\"}");
	assert_non_null(json_object_get(r, "result"));
	json_decref(r);
	r = real("events.list", "{\"vm\":\"web-1\"}");
	vm = json_object_get(r, "result");
	assert_int_equal(json_array_size(vm), 2);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(vm, 1), "type")), "vm.undefine");
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(vm, 1), "uid")), getuid());
	json_decref(r);
}

static void test_other_uid_denied(void **state)
{
	char params[512];
	json_t *r;

	(void)state;
	if (getuid() == 1000)
		skip();
	caller = 1000;		/* neither root nor verged's user */
	snprintf(params, sizeof(params), "{\"name\":\"x\",\"kernel\":"
		 "\"%s\"}", kernel);
	r = real("vm.define", params);
	assert_int_equal(err_code(r), RPC_PERMISSION_DENIED);
	json_decref(r);
	r = real("vm.list", "{}");		/* reading is fine */
	assert_int_equal(json_array_size(json_object_get(r, "result")), 0);
	json_decref(r);
	caller = getuid();
}

/*
 * The REST side publishes a snapshot of defined VMs before any exit
 * statistics were sampled: the empty statistics table (NULL) must not
 * reach bsearch(), whose arguments may not be NULL (found by
 * tests/fuzz/fuzz_rest; UBSan, as the unit-asan tier builds, reports
 * it).
 */
static void test_rest_publish_before_stats(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t n = sizeof(a);
	char params[512], listen[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	json_t *r;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	close(fd);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(params, sizeof(params), "{\"name\":\"pub-1\",\"kernel\":"
		 "\"%s\"}", kernel);
	r = real("vm.define", params);
	assert_non_null(json_object_get(r, "result"));
	json_decref(r);
	free(d.cfg.rest_listen);
	d.cfg.rest_listen = strdup(listen);
	d.cfg.rest_explicit = true;
	assert_int_equal(rest_start(&d), 0);	/* publishes pub-1 */
	assert_non_null(d.rest);
	r = real("vm.undefine", "{\"name\":\"pub-1\"}");	/* and again */
	assert_non_null(json_object_get(r, "result"));
	json_decref(r);
	rest_stop(&d);
}

static void test_rates(void **state)
{
	static const struct {
		const char *json;
		uint32_t num, den;
	} ok[] = {
		{ "\"1/2\"", 1, 2 }, { "\"0.5\"", 1, 2 }, { "0.5", 1, 2 },
		{ "2", 2, 1 }, { "\"100\"", 100, 1 }, { "\"0.01\"", 1, 100 },
		{ "\"3/9\"", 1, 3 }, { "\"0.123456\"", 1929, 15625 },
		{ "0.123456", 1929, 15625 }, { "0.01", 1, 100 }, { "100", 100, 1 },
		{ "1e2", 100, 1 },	/* a JSON number: its value */
	};
	static const struct {
		const char *json;
		int err;
	} bad[] = {	/* the one parser's errors (proto/rate.c) */
		{ "\"0.009\"", -ERANGE }, { "\"101\"", -ERANGE },
		{ "\"1/0\"", -ERANGE }, { "\"-1\"", -EINVAL },
		{ "\"1/2/3\"", -EINVAL }, { "\"0.5x\"", -EINVAL },
		{ "\"\"", -EINVAL }, { "null", -EINVAL }, { "1e9", -ERANGE },
		{ "\"0.123456789\"", -EDOM }, { "0.1234567", -EDOM },
		{ "-1", -EINVAL }, { "0", -ERANGE }, { "0.009", -ERANGE },
		{ "1e300", -ERANGE }, { "\"1e2\"", -EINVAL },
		{ "\" 0.5\"", -EINVAL }, { "true", -EINVAL },
	};
	uint32_t num, den;
	size_t i;
	json_t *j;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		j = json_loads(ok[i].json, JSON_DECODE_ANY, NULL);
		assert_int_equal(verged_parse_rate(j, &num, &den), 0);
		assert_int_equal(num, ok[i].num);
		assert_int_equal(den, ok[i].den);
		json_decref(j);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		j = json_loads(bad[i].json, JSON_DECODE_ANY, NULL);
		r = verged_parse_rate(j, &num, &den);
		if (r != bad[i].err)
			fail_msg("rate %s: %d, want %d", bad[i].json, r,
				 bad[i].err);
		json_decref(j);
	}
}

/* The text writer's output is JSON that jansson reads back unchanged. */
static void test_jsonw(void **state)
{
	static const char odd[] = "a\"b\\c\n\x01\x1f \xc3\xa9/";
	struct jw w;
	char *text;
	json_t *j;

	(void)state;
	jw_init(&w);
	jw_open(&w, '{');
	jw_key(&w, "s");
	jw_str(&w, odd);
	jw_key(&w, "n");
	jw_str(&w, NULL);
	jw_key(&w, "a");
	jw_open(&w, '[');
	jw_elem(&w);
	jw_int(&w, INT64_MIN);
	jw_elem(&w);
	jw_fixed(&w, 1796029842.5002003, 6);
	jw_elem(&w);
	jw_fixed(&w, -0.0004, 3);
	jw_elem(&w);
	jw_fixed(&w, 1.0 / 3, 9);
	jw_elem(&w);
	jw_bool(&w, false);
	jw_close(&w, ']');
	jw_close(&w, '}');
	text = jw_finish(&w, NULL);
	assert_non_null(text);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "s")), odd);
	assert_true(json_is_null(json_object_get(j, "n")));
	assert_true(json_integer_value(json_array_get(json_object_get(j, "a"),
						      0)) == INT64_MIN);
	assert_non_null(strstr(text, "1796029842.500200,"));
	assert_non_null(strstr(text, "-0.000,"));
	assert_non_null(strstr(text, "0.333333333,"));
	json_decref(j);
	free(text);
}

int main(void)
{
	const struct CMUnitTest core[] = {
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_method_not_found),
		cmocka_unit_test(test_params_checked),
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_notification_gets_no_reply),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_limit),
		cmocka_unit_test(test_async_in_order),
		cmocka_unit_test(test_detached_message),
		cmocka_unit_test(test_permission),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_store_failed),
		cmocka_unit_test(test_batch_reply_bound),
		cmocka_unit_test(test_table_unique),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_jsonw),
	};
	const struct CMUnitTest daemon[] = {
		cmocka_unit_test(test_define_params),
		cmocka_unit_test(test_define_list_undefine),
		cmocka_unit_test(test_other_uid_denied),
		cmocka_unit_test(test_rest_publish_before_stats),
	};
	int failed = cmocka_run_group_tests_name("verged_rpc", core, NULL,
						 NULL);

	failed += cmocka_run_group_tests_name("verged_methods", daemon,
					      setup_daemon, teardown_daemon);
	free(reply);
	return failed;
}
