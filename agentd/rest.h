/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The read-only REST API (docs/rest.md, docs/openapi.yaml): HTTP/1.1 on
 * threads of its own (http.h), answering from the snapshots the
 * loop publishes (snapshot.h), from read-only SQLite connections (event
 * history, agent reports) and, for the fleet, from the peers (peers.h).
 *
 * The loop's side is three calls: rest_changed() after any change
 * (verged_dirty() makes it), rest_flush() before a JSON-RPC reply leaves
 * (an acknowledged change is visible over REST), and start/stop.
 */
#ifndef VERGED_REST_H
#define VERGED_REST_H

struct verged;

/* The documented default: loopback only, a fixed port. */
#define REST_DEFAULT_LISTEN	"127.0.0.1:8420"
/* The token file in the state directory, unless [rest] token_file. */
#define REST_TOKEN_NAME		"rest.token"
#define REST_THREADS		2
/* Connections the kernel queues while verged is at its limit. */
#define REST_BACKLOG		128
/* Exit statistics are sampled when /metrics finds them older (s). */
#define REST_STATS_REFRESH_S	5.0

/* Starts the server unless the configuration says "off". 0 or -errno. */
int rest_start(struct verged *d);
void rest_stop(struct verged *d);
void rest_changed(struct verged *d);
void rest_flush(struct verged *d);
#endif
