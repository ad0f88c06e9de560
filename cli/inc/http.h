/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verge over verged's REST API (docs/rest.md) with libcurl: the `--url`
 * transport, which answers the read-only JSON-RPC methods from the REST
 * paths, and parallel GETs for `verge fleet status`. https:// URLs use
 * TLS; the bearer token comes from --token-file, $VERGE_TOKEN or
 * CLI_DEFAULT_TOKEN_FILE, never from the command line (other users could
 * read it in ps).
 */
#ifndef VERGE_CLI_HTTP_H
#define VERGE_CLI_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

/* The REST port verged listens on by default (agentd/rest.h). */
#define CLI_DEFAULT_URL		"http://127.0.0.1:8420"

bool cli_is_url(const char *endpoint);
/* The token the packages install (readable by root and group verge). */
#define CLI_DEFAULT_TOKEN_FILE	"/etc/verge/rest.token"

/* The token file to read (NULL: $VERGE_TOKEN, else the default file). */
void cli_http_set_token_file(const char *path);
/* Why verged answered 401: no token found (and where it was looked
 * for), or which token it refused. After a request. */
void cli_http_explain_401(char *buf, size_t size);

/* A transport whose send() performs the REST request for the method. */
int cli_http_open(const char *url, int64_t deadline,
		  struct cli_transport **ret_t);

struct cli_http_result {
	long status;		/* 0: no HTTP answer */
	char *body;		/* NUL-terminated, the caller's to free() */
	size_t len;
	int err;		/* 0, or -ETIMEDOUT, -ECONNREFUSED, -EIO... */
	char why[256];		/* what went wrong, for humans */
};

/*
 * GETs base[i] + path for every i in parallel, each until deadline (a
 * CLOCK_MONOTONIC ms time, cli_now_ms()). Returns 0 or -ENOMEM; each
 * transfer's outcome is in res[i].
 */
int cli_http_get_many(char *const *bases, size_t n, const char *path,
		      int64_t deadline, struct cli_http_result *res);
void cli_http_result_free(struct cli_http_result *r);

/*
 * One GET of base + path over plain http:// without libcurl
 * (http_plain.c), the token (may be NULL) as a bearer token. 0 with a
 * whole answer in *res; else nothing in *res and the caller asks libcurl
 * (https, a failed connection, a timeout, an answer not read here).
 */
int cli_http_plain_get(const char *base, const char *path,
		       const char *token, int64_t deadline,
		       struct cli_http_result *res);
#endif
