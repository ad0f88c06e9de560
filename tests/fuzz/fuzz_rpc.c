// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness: verged's JSON-RPC core and its method table
 * (agentd/rpc.c, methods.c) on a real store (verged_fixture.c). The
 * input is one message as a client sends it (one line, without the
 * newline); its first byte says who sends it: verged's own user (may
 * change state) or another (reads only). vm.start is the one method
 * replaced, by a handler that refuses: a fuzzer must not spawn QEMU.
 * Checks: every message is answered (or is a notification) with one
 * line of JSON that is a JSON-RPC 2.0 response or a batch of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verged_fixture.h"

#include "fuzz.h"

static struct rpc_method methods[64];

static void no_start(struct rpc_call *c)
{
	rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "not started by the fuzzer");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fx_start("off", NULL);
	FUZZ_CHECK(verged_method_count <= sizeof(methods) / sizeof(methods[0]));
	memcpy(methods, verged_methods,
	       verged_method_count * sizeof(methods[0]));
	for (size_t i = 0; i < verged_method_count; i++)
		if (!strcmp(methods[i].name, "vm.start"))
			methods[i].handler = no_start;
	fx_d.rpc.methods = methods;
	return 0;
}

static void check_response(json_t *r)
{
	json_t *id = json_object_get(r, "id");
	json_t *err = json_object_get(r, "error");

	FUZZ_CHECK(json_is_object(r));
	FUZZ_CHECK(!strcmp(json_string_value(json_object_get(r, "jsonrpc")),
			   "2.0"));
	FUZZ_CHECK(id && (json_is_null(id) || json_is_string(id) ||
			  json_is_integer(id) || json_is_real(id)));
	FUZZ_CHECK(!json_object_get(r, "result") != !err);
	if (err) {
		FUZZ_CHECK(json_is_integer(json_object_get(err, "code")));
		FUZZ_CHECK(json_is_string(json_object_get(err, "message")));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *reply;
	json_t *r;
	size_t i;

	if (!size)
		return 0;
	fx_rpc((const char *)data + 1, size - 1,
	       data[0] & 1 ? getuid() : getuid() + 1, &reply);
	if (!reply)
		return 0; /* pending, detached */
	if (*reply) {
		size_t n = strlen(reply);

		FUZZ_CHECK(n && reply[n - 1] == '\n');
		FUZZ_CHECK(!memchr(reply, '\n', n - 1));
		r = json_loads(reply, 0, NULL);
		FUZZ_CHECK(r);
		if (json_is_array(r)) {
			FUZZ_CHECK(json_array_size(r) > 0);
			for (i = 0; i < json_array_size(r); i++)
				check_response(json_array_get(r, i));
		} else {
			check_response(r);
		}
		json_decref(r);
	}
	free(reply);
	return 0;
}
