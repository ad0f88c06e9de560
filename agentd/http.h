/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small HTTP/1.1 server for the read-only REST API (docs/rest.md,
 * "How a request is answered"): GET and HEAD only, no request bodies.
 *
 * Threads: a fixed pool (http_config.threads), each an epoll loop of its
 * own over the connections it accepted from the one listening socket
 * (EPOLLEXCLUSIVE: a new connection wakes one thread). Handlers run on
 * these threads and must not block for long; none of them ever runs on,
 * or waits for, verged's libuv loop, so REST cannot delay JSON-RPC. A
 * handler that must wait (the peers' fan-out) suspends its request and
 * another thread resumes it (http_suspend, http_resume).
 *
 * A connection answers one request at a time, in order: a pipelined
 * request is parsed once the answer before it has been sent. Limits: the
 * request line and headers fit in HTTP_HEAD_MAX bytes (414 for a long
 * request line, 431 else), at most HTTP_HEADERS_MAX header fields (431),
 * no body (Content-Length > 0: 413; Transfer-Encoding: 411); the whole
 * request must arrive within timeout_s of the connection's last answer
 * (or its accept), and an answer that makes no progress for timeout_s is
 * abandoned: the connection is closed without a word. Errors found by
 * the parser close the connection after their answer.
 */
#ifndef VERGED_HTTP_H
#define VERGED_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The request line and headers must fit in this (431 or 414 if not). */
#define HTTP_HEAD_MAX (16 * 1024)
/* The request line alone (414 if longer). */
#define HTTP_LINE_MAX (8 * 1024)
/* Header fields per request (431 if more). */
#define HTTP_HEADERS_MAX 64

struct http_server;
struct http_req;

/* Called for every parsed request; answers it with http_respond() or
 * suspends it with http_suspend(). */
typedef void (*http_handler_fn)(void *arg, struct http_req *q);

struct http_config {
	const struct sockaddr_storage *addr;
	unsigned threads;
	unsigned max_conns;  /* held at once; the rest wait in the backlog */
	unsigned max_per_ip; /* from one address; beyond: closed at once */
	unsigned timeout_s;  /* see above */
	int backlog;
	http_handler_fn handler;
	void *arg;
};

/* Listens and starts the threads. 0, -EADDRNOTAVAIL (cannot listen) or
 * -errno. */
int http_start(const struct http_config *c, struct http_server **ret);
/* Joins the threads and closes every connection, suspended ones too. */
void http_stop(struct http_server *s);

/* --- the request (valid until it is answered) ----------------------------- */

/* "GET", "HEAD" or any other token the client sent. */
const char *http_method(const struct http_req *q);
/* The path, percent-decoded (a %00 is refused with 400 before this). */
const char *http_path(const struct http_req *q);
/* The value of the first header field named name (case-insensitive),
 * without surrounding whitespace, or NULL. */
const char *http_header(const struct http_req *q, const char *name);
/*
 * Calls fn for every key=value of the query, both percent-decoded (and
 * '+' as a space); value is NULL for a key without '='. Stops when fn
 * returns false and returns false then.
 */
bool http_query_each(struct http_req *q,
		     bool (*fn)(void *arg, const char *key, const char *value),
		     void *arg);
/* true when the handler runs again after http_resume(). */
bool http_resumed(const struct http_req *q);

/* --- the answer ----------------------------------------------------------- */

/* Adds "name: value" to the answer's header (before http_respond()). A
 * header that does not fit (2 KiB in all) is dropped, and logged. */
void http_add_header(struct http_req *q, const char *name, const char *value);
/*
 * Answers with status and body (len bytes; none is sent for HEAD or 304,
 * Content-Length is). release(arg), when given, is called once the bytes
 * are no longer needed: after the answer is sent, or could not be. A
 * status of 0 closes the connection without an answer.
 */
void http_respond(struct http_req *q, unsigned status, const char *type,
		  const void *body, size_t len, void (*release)(void *),
		  void *arg);

/*
 * The handler keeps q to answer later: it returns without answering, and
 * whoever holds q calls http_resume(q) (from any thread), after which the
 * handler is called again for q (http_resumed() true). q stays valid
 * until then, whatever the client does.
 */
void http_suspend(struct http_req *q);
void http_resume(struct http_req *q);

#endif
