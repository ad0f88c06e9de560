/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A JSON-RPC 2.0 client over a cli_transport. Replies are checked
 * (version, id, exactly one of result and error, an error's code and
 * message) before anyone reads them; notifications that arrive while a
 * reply is awaited are queued for cli_rpc_next().
 */
#ifndef VERGE_CLI_RPC_H
#define VERGE_CLI_RPC_H
#include <jansson.h>

#include "transport.h"

struct cli_rpc {
	struct cli_transport *t;
	json_int_t next_id;
	json_t *queued;		/* notifications not yet taken */
	char why[160];		/* what was wrong with a bad message */
};

int cli_rpc_init(struct cli_rpc *rpc, struct cli_transport *t);
void cli_rpc_close(struct cli_rpc *rpc);
/*
 * Calls method with params (a reference is taken). 0: *ret_result or
 * *ret_error (verged's error object) is set, the caller's to decref;
 * -EPROTO: a malformed reply (rpc->why says how); else a transport error.
 */
int cli_rpc_call(struct cli_rpc *rpc, const char *method, json_t *params,
		 int64_t deadline, json_t **ret_result, json_t **ret_error);
/* The next notification's params and method (borrowed until freed). */
int cli_rpc_next(struct cli_rpc *rpc, int64_t deadline, json_t **ret_msg);
#endif
