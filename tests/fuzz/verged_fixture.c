// SPDX-License-Identifier: Apache-2.0
/* The verged of verged_fixture.h. */
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rest.h"
#include "store.h"
#include "verged_fixture.h"
#include "vm.h"

#include "fuzz.h"

struct verged fx_d;
char fx_kernel[256];
static uv_loop_t loop;
static char dir[] = "/tmp/verge-fuzz-XXXXXX";
static char *last;
static bool answered;

static void cleanup(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "fuzz: cannot remove %s\n", dir);
}

static void done(void *conn, char *text, size_t len)
{
	(void)conn;
	(void)len;
	free(last);
	last = text ? text : strdup("");
	answered = true;
}

void fx_rpc(const char *msg, size_t len, uid_t uid, char **ret_reply)
{
	struct rpc_caller who = { .uid = uid, .gid = 12345, .pid = 1 };
	struct rpc_msg *m;

	answered = false;
	last = NULL;
	m = rpc_process(&fx_d.rpc, &who, msg, len, done, NULL);
	if (m) {
		/* pending on a VM that never answers: drop it, as a client
		 * that goes away does */
		FUZZ_CHECK(!answered);
		rpc_msg_detach(m);
	} else {
		FUZZ_CHECK(answered);
		/* what server.c does before the reply leaves */
		verged_commit(&fx_d);
		rest_flush(&fx_d);
	}
	*ret_reply = last;
}

static void must_ok(const char *msg)
{
	char *r;

	fx_rpc(msg, strlen(msg), getuid(), &r);
	if (!r || !strstr(r, "\"result\"")) {
		fprintf(stderr, "fuzz: setup call failed: %s -> %s\n", msg,
			r ? r : "(pending)");
		exit(1);
	}
	free(r);
}

void fx_start(const char *rest_listen, const char *token)
{
	char msg[512], *tok = NULL;
	FILE *f;

	if (!mkdtemp(dir) || atexit(cleanup))
		exit(1);
	if (config_parse_args(&fx_d.cfg, 1, (char *[]){ "verged", NULL }) ||
	    asprintf(&fx_d.cfg.config_path, "%s/none.conf", dir) < 0 ||
	    asprintf(&fx_d.cfg.state_dir, "%s/state", dir) < 0 ||
	    asprintf(&fx_d.cfg.run_dir, "%s/run", dir) < 0 ||
	    asprintf(&fx_d.cfg.socket_path, "%s/s.sock", dir) < 0 ||
	    config_load(&fx_d.cfg))
		exit(1);
	snprintf(fx_kernel, 256, "%s/Image", dir);
	f = fopen(fx_kernel, "w");
	if (!f || fputs("not really a kernel", f) < 0 || fclose(f))
		exit(1);
	if (token) {
		if (asprintf(&tok, "%s/token", dir) < 0 ||
		    !(f = fopen(tok, "w")))
			exit(1);
		fputs(token, f);
		if (fclose(f) || chmod(tok, 0640))	/* verged refuses 0644 */
			exit(1);
		free(fx_d.cfg.rest_token_file);	/* config_load's default */
		fx_d.cfg.rest_token_file = tok;
	}
	free(fx_d.cfg.rest_listen);
	fx_d.cfg.rest_listen = strdup(rest_listen);
	fx_d.cfg.rest_explicit = strcmp(rest_listen, "off") != 0;
	fx_d.cfg.rest_host = strdup("fuzz-host");
	uv_loop_init(&loop);
	if (verged_init(&fx_d, &loop) || rest_start(&fx_d)) {
		fprintf(stderr, "fuzz: verged_init or rest_start failed\n");
		exit(1);
	}
	snprintf(msg, sizeof(msg),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		 "\"vm.define\",\"params\":{\"name\":\"web-1\",\"kernel\":"
		 "\"%s\",\"rate\":\"1/4\",\"memory_mib\":256}}",
		 fx_kernel);
	must_ok(msg);
	snprintf(msg, sizeof(msg),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		 "\"vm.define\",\"params\":{\"name\":\"db.2\",\"kernel\":"
		 "\"%s\",\"cpus\":4,\"freq_hz\":125000000}}",
		 fx_kernel);
	must_ok(msg);
	if (store_report_add(fx_d.store, vm_find(&fx_d, "web-1")->def.id, 1.7e9,
			     "{\"os\":\"Linux\",\"hv\":{\"detected\":true}}",
			     10) ||
	    store_report_add(
		    fx_d.store, vm_find(&fx_d, "web-1")->def.id, 1.7e9 + 5,
		    "{\"os\":\"Linux \\u001b[31m\",\"n\":[1,2.5]}", 10))
		exit(1);
	verged_event(&fx_d, "web-1", "vm.boot", -1,
		     json_pack("{si}", "stage", 2));
	verged_commit(&fx_d);
	rest_flush(&fx_d);
}
