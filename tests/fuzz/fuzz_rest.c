// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness: verged's REST API (agentd/http.c: the request
 * parser, limits and connection handling; agentd/rest.c: routing, query
 * parameters, the token, conditional requests, the handlers that answer
 * from snapshots and from the store) through the real server, on a
 * verged with two VMs (verged_fixture.c). Each input is sent twice:
 *   1. as the parts of a request, one per line, from which the harness
 *      writes a well-formed request, so that the input reaches the
 *      router and the handlers: line 1: the method; line 2: the target
 *      (path and query; bytes a request line cannot hold are
 *      percent-encoded); then header lines ("Name: value"). Host and
 *      Connection: close are added.
 *   2. as it is, the raw bytes of a connection (one request, several
 *      pipelined, or garbage), the harness then shutting down its write
 *      side: the parser's input.
 * Checks: the first gets an answer; the second one or none (a head that
 * never ends is closed without a word), and always an end (the server
 * closes, never hangs); every status line is HTTP/1.1 with a status the
 * API documents (never a 500); a JSON body parses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "verged_fixture.h"

#include "fuzz.h"

#define TOKEN "fuzz-token"

static struct sockaddr_in addr;

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &n))
		exit(1);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char listen[64];
	int port = free_port();

	(void)argc;
	(void)argv;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	/* with a token: what an operator who turns it on gets */
	fx_start(listen, getenv("FUZZ_REST_NO_TOKEN") ? NULL : TOKEN);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 0;
}

/* One line of the input (without its '\n'). */
static size_t line(const uint8_t **p, const uint8_t *end, const uint8_t **ret)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);

	*ret = *p;
	*p = nl ? nl + 1 : end;
	return n;
}

static void request(struct buf *b, const uint8_t *data, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *p = data, *end = data + size, *l;
	size_t n, i;

	n = line(&p, end, &l);
	for (i = 0; i < n && i < 16; i++) /* a token of tchars */
		if (l[i] > 0x20 && l[i] < 0x7f &&
		    !strchr("()<>@,;:\\\"/[]?={}", l[i]))
			buf_add(b, (const char *)l + i, 1);
	if (!b->len)
		buf_str(b, "GET");
	buf_str(b, " ");
	n = line(&p, end, &l);
	if (!n || l[0] != '/')
		buf_str(b, "/");
	for (i = 0; i < n; i++) {
		if (l[i] <= 0x20 || l[i] >= 0x7f || l[i] == '#')
			buf_printf(b, "%%%c%c", hex[l[i] >> 4], hex[l[i] & 15]);
		else
			buf_add(b, (const char *)l + i, 1);
	}
	buf_str(b, " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n");
	while (p < end) {
		n = line(&p, end, &l);
		if (!memchr(l, ':', n) || l[0] == ':' || l[0] == ' ')
			continue;
		for (i = 0; i < n; i++)
			if (l[i] != '\r' && l[i] != '\0')
				buf_add(b, (const char *)l + i, 1);
		buf_str(b, "\r\n");
	}
	buf_str(b, "\r\n");
}

/* Tries of a connection: 20, 40, 80 ms apart, then every 200 ms,
 * about 10 s in all (as -timeout=10 allows one input). */
#define RETRIES 55

static void retry_pause(int tries)
{
	unsigned us = tries < 4 ? 20000u << (tries - 1) : 200000u;

	usleep(us);
}

static int exchange(const char *req, size_t len, struct buf *resp,
		    bool half_close)
{
	struct timeval tv = { 10, 0 };
	struct linger lg = { 1, 0 }; /* RST: no TIME_WAIT pile-up */
	char chunk[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    (len && send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)) {
		close(fd);
		return -1;
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		buf_add(resp, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* The first answer in resp (NUL-terminated), if any: well-formed. */
static void check_raw_answer(const char *resp, size_t len)
{
	const char *body, *cl;
	unsigned status;
	size_t n;
	json_t *j;

	if (!len)
		return;
	if (sscanf(resp, "HTTP/1.1 %u ", &status) != 1) {
		fprintf(stderr, "no status line in: %.200s\n", resp);
		FUZZ_CHECK(!"a status line");
	}
	FUZZ_CHECK(status != 500);
	body = strstr(resp, "\r\n\r\n");
	FUZZ_CHECK(body);
	cl = strstr(resp, "\r\nContent-Length: ");
	if (status == 304 || !cl || cl > body ||
	    !strstr(resp, "Content-Type: application/json") ||
	    strstr(resp, "Content-Type: application/json") > body)
		return;
	n = strtoul(cl + 18, NULL, 10);
	body += 4;
	/* a HEAD answer has none; else the whole body came */
	if ((size_t)(resp + len - body) < n || !n)
		return;
	j = json_loadb(body, n, 0, NULL);
	if (!j)
		fprintf(stderr, "bad JSON body: %.300s\n", body);
	FUZZ_CHECK(j);
	json_decref(j);
}

/* The input as the bytes of a connection; the server must end it. */
static void raw_request(const uint8_t *data, size_t size)
{
	struct buf resp = { 0 };
	int r = -1;

	for (int tries = 0; tries < RETRIES && r; tries++) {
		if (tries)
			retry_pause(tries);
		resp.len = 0;
		r = exchange((const char *)data, size, &resp, true);
	}
	if (r) {
		fprintf(stderr, "no end to the connection for: %.*s\n",
			(int)(size < 200 ? size : 200), (const char *)data);
		FUZZ_CHECK(!"an end");
	}
	buf_add(&resp, "", 1);
	check_raw_answer(resp.data, resp.len - 1);
	buf_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf req = { 0 }, resp = { 0 };
	const char *body;
	unsigned status;
	json_t *j;

	request(&req, data, size);
	/* A connection refused, reset or closed with no answer is tried
	 * again for about 10 s: the server may still hold the last
	 * connections (the per-IP limit), and a loaded machine (CI runs the
	 * fuzzers two at a time beside everything else) may take a while to
	 * let it go. A request that never gets an answer is a finding. */
	for (int tries = 0; tries < RETRIES; tries++) {
		if (tries)
			retry_pause(tries);
		resp.len = 0;
		if (exchange(req.data, req.len, &resp, false) == 0 &&
		    resp.len)
			break;
	}
	buf_add(&resp, "", 1); /* a C string from here on */
	if (sscanf(resp.data, "HTTP/1.%*1[01] %u ", &status) != 1) {
		fprintf(stderr, "no status line in: %.200s\nfor: %.*s\n",
			resp.data, (int)req.len, req.data);
		FUZZ_CHECK(!"an answer");
	}
	/* 500 is what verged answers when it failed; the parser's own
	 * refusals (400, 411, 413, 414, 431, 505) are fine */
	FUZZ_CHECK(status != 500);
	body = strstr(resp.data, "\r\n\r\n");
	if (body && strstr(resp.data, "Content-Type: application/json") &&
	    body[4]) {
		j = json_loads(body + 4, 0, NULL);
		if (!j)
			fprintf(stderr, "bad JSON body: %.300s\n", body + 4);
		FUZZ_CHECK(j);
		json_decref(j);
	}
	buf_free(&req);
	buf_free(&resp);
	raw_request(data, size);
	return 0;
}
