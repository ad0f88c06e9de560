/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON-RPC 2.0 core (docs/jsonrpc.md): one message (a request, a
 * notification or a batch) in, the reply text out, through a table of
 * methods whose parameters are declared as data and checked before the
 * handler runs. No I/O here: server.c moves the bytes.
 *
 * A handler completes its call with rpc_reply() or rpc_fail(), at once or
 * later (e.g. when the hypervisor answers); the message's reply is handed
 * to the done callback when every call in it has completed.
 */
#ifndef VERGED_RPC_H
#define VERGED_RPC_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define RPC_MAX_MESSAGE		(1024 * 1024)
#define RPC_MAX_DEPTH		32
#define RPC_MAX_PARAMS		32
#define RPC_MAX_BATCH		1000
/* The replies to one message, in all (docs/jsonrpc.md, "Limits"). */
#define RPC_MAX_REPLY		(16 * 1024 * 1024)

enum rpc_code {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL_ERROR = -32603,
	RPC_VM_NOT_FOUND = -32001,
	RPC_VM_EXISTS = -32002,
	RPC_VM_STATE = -32003,
	RPC_PERMISSION_DENIED = -32004,
	RPC_AGENT_UNAVAILABLE = -32005,
	RPC_HV_UNAVAILABLE = -32006,
	RPC_TIMEOUT = -32007,
	RPC_TOO_LARGE = -32008,
	RPC_STORE_FAILED = -32009,
};

/* "parse_error" for RPC_PARSE_ERROR, ... (error.data.name). */
const char *rpc_code_name(int code);

/*
 * One parameter: its name, its jansson json_unpack format ("s" string,
 * "I" integer, "F" number (integers accepted), "b" boolean, "o" any), and
 * its bounds: integers and numbers within [min, max], strings of
 * min..max bytes (max 0: no limit).
 */
struct rpc_param {
	const char *name;
	const char *fmt;
	bool required;
	double min, max;
};

struct rpc_call;

enum { RPC_CHANGES_STATE = 1 };

struct rpc_method {
	const char *name;
	void (*handler)(struct rpc_call *c);
	unsigned flags;
	struct rpc_param params[RPC_MAX_PARAMS];	/* up to a NULL name */
};

struct rpc_caller {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	/* supplementary groups (SO_PEERGROUPS); ngroups < 0: unknown */
	int ngroups;
	gid_t groups[64];
	void *conn;		/* the server's connection (may be NULL) */
};

struct rpc_table {
	const struct rpc_method *methods;
	size_t count;
	void *ctx;		/* handed to handlers as c->ctx */
	/* May the caller run a state-changing method? */
	bool (*allowed)(void *ctx, const struct rpc_caller *who);
	/* Stores what a state-changing call changed, before its result is
	 * sent (may be NULL); non-zero: the call fails with store_failed. */
	int (*commit)(void *ctx);
};

union rpc_value {
	const char *s;
	json_int_t i;
	double f;
	int b;
	json_t *o;
};

struct rpc_msg;

struct rpc_call {
	struct rpc_msg *msg;
	const struct rpc_method *method;
	void *ctx;
	struct rpc_caller caller;
	json_t *id;		/* NULL for a notification */
	json_t *params;		/* an object (empty if none was sent) */
	union rpc_value args[RPC_MAX_PARAMS];
	bool present[RPC_MAX_PARAMS];
	size_t slot;
};

/* Parameter values, by name; the defaults apply when absent. */
bool rpc_has(const struct rpc_call *c, const char *name);
const char *rpc_str(const struct rpc_call *c, const char *name);
json_int_t rpc_int(const struct rpc_call *c, const char *name,
		   json_int_t def);
double rpc_num(const struct rpc_call *c, const char *name, double def);
bool rpc_bool(const struct rpc_call *c, const char *name, bool def);
json_t *rpc_obj(const struct rpc_call *c, const char *name);

/* Completes the call with result (reference stolen). */
void rpc_reply(struct rpc_call *c, json_t *result);
/* Completes the call with result as JSON text (taken; free()). */
void rpc_reply_text(struct rpc_call *c, char *result);
/* Completes the call with len bytes of JSON text at result (copied). */
void rpc_reply_json(struct rpc_call *c, const char *result, size_t len);
/* Completes the call with an error; data (stolen, may be NULL) gets
 * "name" added. */
void rpc_fail(struct rpc_call *c, int code, json_t *data, const char *fmt,
	      ...) __attribute__((format(printf, 4, 5)));

/*
 * Called once per message with the reply (NUL-terminated, ending in
 * "\n"), or with NULL when there is nothing to send (notifications only).
 * The callee takes ownership of text (free()).
 */
typedef void (*rpc_done_fn)(void *conn, char *text, size_t len);

/*
 * Processes one message (len bytes, no newline). Returns the message
 * while some call is still pending (then done runs later), NULL when done
 * already ran.
 */
struct rpc_msg *rpc_process(const struct rpc_table *t,
			    const struct rpc_caller *who, const char *text,
			    size_t len, rpc_done_fn done, void *conn);
/* The connection is gone: pending calls complete into the void. */
void rpc_msg_detach(struct rpc_msg *m);

/* 0 if the JSON text nests at most max deep, else -E2BIG. Counts
 * brackets outside strings; the parser checks the rest. */
int rpc_check_depth(const char *text, size_t len, int max);

/* An error reply with id null, for the server's own refusals. */
char *rpc_error_text(int code, const char *message, size_t *ret_len);
#endif
