// SPDX-License-Identifier: Apache-2.0
/* TCLO command parsing and answers (see tclo.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tclo.h"

/* One place for the commands: name, whether an ID follows, whether a KEY
 * follows the ID. */
static const struct {
	const char *name;
	bool id;
	bool key;
} cmds[TCLO_NKINDS] = {
	[TCLO_RESET] = { "reset", false, false },
	[TCLO_PING] = { "ping", false, false },
	[TCLO_V_PING] = { "verge.ping", true, false },
	[TCLO_V_DETECT] = { "verge.detect", true, false },
	[TCLO_V_TIMESYNC] = { "verge.timesync", true, false },
	[TCLO_V_REPORT] = { "verge.report", true, false },
	[TCLO_V_GUESTINFO] = { "verge.guestinfo", true, true },
};

const char *tclo_name(enum tclo_kind kind)
{
	if (kind <= TCLO_UNKNOWN || kind >= TCLO_NKINDS)
		return NULL;
	return cmds[kind].name;
}

/* The next space-separated token of [*p, end): start and length. */
static size_t token(const char **p, const char *end, const char **ret_tok)
{
	const char *s = *p, *e;

	while (s < end && *s == ' ')
		s++;
	for (e = s; e < end && *e != ' '; e++)
		;
	*ret_tok = s;
	*p = e;
	return (size_t)(e - s);
}

static int parse_id(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* guestinfo keys: letters, digits, '.', '_', '-'. */
static bool key_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > TCLO_KEY_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static int fail(struct tclo_req *r, const char *why)
{
	r->error = why;
	return -EINVAL;
}

int tclo_parse(const char *msg, size_t len, struct tclo_req *ret)
{
	const char *p = msg, *end = msg + len, *tok;
	size_t n;
	int k;

	memset(ret, 0, sizeof(*ret));
	/* Hosts may NUL-terminate or end with a newline: ignore those. */
	while (end > msg && (end[-1] == '\0' || end[-1] == '\n'))
		end--;
	if (memchr(msg, '\0', (size_t)(end - msg)))
		return fail(ret, "NUL in command");
	n = token(&p, end, &tok);
	for (k = TCLO_UNKNOWN + 1; k < TCLO_NKINDS; k++)
		if (strlen(cmds[k].name) == n && !memcmp(cmds[k].name, tok, n))
			break;
	if (k == TCLO_NKINDS) {
		ret->kind = TCLO_UNKNOWN;
		return 0;
	}
	ret->kind = (enum tclo_kind)k;
	if (cmds[k].id) {
		n = token(&p, end, &tok);
		if (parse_id(tok, n, &ret->id))
			return fail(ret, "missing or bad ID");
		ret->has_id = true;
	}
	if (cmds[k].key) {
		n = token(&p, end, &tok);
		if (!key_ok(tok, n))
			return fail(ret, "missing or bad KEY");
		memcpy(ret->key, tok, n);
		ret->key[n] = '\0';
	}
	n = token(&p, end, &tok);
	if (n)
		return fail(ret, "unexpected argument");
	return 0;
}

static int finish(int n, size_t cap)
{
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int tclo_format_ok(char *buf, size_t cap, const struct tclo_req *req,
		   const char *json)
{
	if (req->kind == TCLO_RESET)
		return finish(snprintf(buf, cap, "OK ATR toolbox"), cap);
	if (req->kind == TCLO_PING || !req->has_id)
		return finish(snprintf(buf, cap, "OK "), cap);
	if (!json)
		return finish(snprintf(buf, cap, "OK %" PRIu64, req->id), cap);
	return finish(snprintf(buf, cap, "OK %" PRIu64 " %s", req->id, json),
		      cap);
}

int tclo_format_error(char *buf, size_t cap, const struct tclo_req *req,
		      const char *msg)
{
	if (!req->has_id)
		return finish(snprintf(buf, cap, "ERROR %s", msg), cap);
	return finish(snprintf(buf, cap, "ERROR %" PRIu64 " %s", req->id, msg),
		      cap);
}
