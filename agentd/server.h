/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON-RPC socket: a Unix stream socket, newline-delimited messages,
 * one rpc_process() per message, replies in request order, limits per
 * connection (size, nesting, a 10 s stall), backpressure on writes, and
 * event subscribers.
 */
#ifndef VERGED_SERVER_H
#define VERGED_SERVER_H
#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "rpc.h"

#define SERVER_STALL_MS		10000
/* A client that leaves this much unread stops being read (requests);
 * a subscriber this far behind is disconnected. */
#define SERVER_PAUSE_BYTES	(4u << 20)
#define SERVER_RESUME_BYTES	(1u << 20)
#define SERVER_DROP_BYTES	(16u << 20)
/* After replies of this size or more, the heap is trimmed once no such
 * reply has been sent for SERVER_TRIM_MS: a burst of large replies
 * (vm.list from many clients at once) does not stay resident. */
#define SERVER_TRIM_BYTES	(64u << 10)
#define SERVER_TRIM_MS		1000

struct server;

/* Called before any reply is written (verged commits its batch there). */
typedef void (*server_before_reply_fn)(void *ctx);

int server_start(uv_loop_t *loop, const char *path, gid_t group,
		 bool has_group, const struct rpc_table *table,
		 server_before_reply_fn before_reply,
		 struct server **ret_server);
/* Closes the listener and every connection; frees when the loop has run. */
void server_stop(struct server *s);

/* Subscribes the caller's connection to events (of vm, or all if NULL). */
int server_subscribe(struct server *s, void *conn, const char *vm);
/* Sends {"jsonrpc":"2.0","method":"event","params":event} to subscribers. */
void server_broadcast(struct server *s, const char *vm, json_t *event);
unsigned server_connections(const struct server *s);
#endif
