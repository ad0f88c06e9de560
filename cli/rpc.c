// SPDX-License-Identifier: Apache-2.0
/* JSON-RPC 2.0 client (see rpc.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

int cli_rpc_init(struct cli_rpc *rpc, struct cli_transport *t)
{
	memset(rpc, 0, sizeof(*rpc));
	rpc->queued = json_array();
	if (!rpc->queued)
		return -ENOMEM;
	rpc->t = t;
	rpc->next_id = 1;
	return 0;
}

void cli_rpc_close(struct cli_rpc *rpc)
{
	if (rpc->t)
		rpc->t->ops->close(rpc->t);
	json_decref(rpc->queued);
	rpc->t = NULL;
	rpc->queued = NULL;
}

static int bad(struct cli_rpc *rpc, const char *what)
{
	snprintf(rpc->why, sizeof(rpc->why), "%s", what);
	return -EPROTO;
}

static int read_message(struct cli_rpc *rpc, int64_t deadline,
			json_t **ret_msg)
{
	json_error_t jerr;
	size_t len;
	char *text;
	json_t *m;
	int r;

	r = rpc->t->ops->recv(rpc->t, deadline, &text, &len);
	if (r < 0)
		return r;
	m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!m) {
		snprintf(rpc->why, sizeof(rpc->why), "not JSON: %.140s",
			 jerr.text);
		return -EPROTO;
	}
	if (!json_is_object(m) || !json_is_string(json_object_get(m,
							"jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(m, "jsonrpc")), "2.0")) {
		json_decref(m);
		return bad(rpc, "not a JSON-RPC 2.0 object");
	}
	*ret_msg = m;
	return 0;
}

static bool is_notification(json_t *m)
{
	return json_is_string(json_object_get(m, "method")) &&
	       !json_object_get(m, "id");
}

static int check_reply(struct cli_rpc *rpc, json_t *m, json_int_t id)
{
	json_t *jid = json_object_get(m, "id");
	json_t *result = json_object_get(m, "result");
	json_t *error = json_object_get(m, "error");

	if (!!result == !!error)
		return bad(rpc, "a reply needs exactly one of result and error");
	if (error && (!json_is_object(error) ||
		      !json_is_integer(json_object_get(error, "code")) ||
		      !json_is_string(json_object_get(error, "message"))))
		return bad(rpc, "an error needs an integer code and a message");
	/* A parse error's reply may carry a null id; others must match. */
	if (json_is_null(jid) && error)
		return 0;
	if (!json_is_integer(jid) || json_integer_value(jid) != id)
		return bad(rpc, "a reply to another request");
	return 0;
}

/* Compact, so the text holds no raw newline (jsonrpc.md); one write. */
static int send_request(struct cli_rpc *rpc, json_t *req, int64_t deadline)
{
	size_t len = json_dumpb(req, NULL, 0, JSON_COMPACT);
	char *text;
	int r;

	if (!len)
		return -ENOMEM;
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	json_dumpb(req, text, len, JSON_COMPACT);
	text[len] = '\n';
	r = rpc->t->ops->send(rpc->t, text, len + 1, deadline);
	free(text);
	return r;
}

int cli_rpc_call(struct cli_rpc *rpc, const char *method, json_t *params,
		 int64_t deadline, json_t **ret_result, json_t **ret_error)
{
	json_int_t id = rpc->next_id++;
	json_t *req, *m = NULL;
	int r;

	req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
			(json_int_t)id, "method", method, "params",
			params ? json_incref(params) : json_object());
	if (!req)
		return -ENOMEM;
	r = send_request(rpc, req, deadline);
	json_decref(req);
	while (r == 0) {
		r = read_message(rpc, deadline, &m);
		if (r < 0)
			break;
		if (is_notification(m)) {
			json_array_append_new(rpc->queued, m);
			continue;
		}
		r = check_reply(rpc, m, id);
		if (r < 0)
			break;
		if (json_object_get(m, "error"))
			*ret_error = json_incref(json_object_get(m, "error"));
		else
			*ret_result = json_incref(json_object_get(m, "result"));
		break;
	}
	json_decref(m);
	return r;
}

int cli_rpc_next(struct cli_rpc *rpc, int64_t deadline, json_t **ret_msg)
{
	json_t *m;
	int r;

	if (json_array_size(rpc->queued)) {
		*ret_msg = json_incref(json_array_get(rpc->queued, 0));
		json_array_remove(rpc->queued, 0);
		return 0;
	}
	for (;;) {
		r = read_message(rpc, deadline, &m);
		if (r < 0)
			return r;
		if (is_notification(m)) {
			*ret_msg = m;
			return 0;
		}
		/* A reply to nothing we wait for: ignore it. */
		json_decref(m);
	}
}
