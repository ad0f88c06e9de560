// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness: the guest agent's text handling (guest-agent/): the
 * TCLO command parser that reads what the host sends, the JSON writer
 * that builds the answer, and the answer's formatting. The input is the
 * command (up to the first '\n') and then a program of writer calls
 * whose keys and strings come from the input, into a buffer whose size
 * the input picks. Checks: the writer never writes past its buffer
 * (ASan: the buffer is exactly that big); what json_end() accepts is
 * valid JSON (checked by a small validator: jansson cannot share a
 * program with the agent's json_* names) of the length it says.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tclo.h"

#include "fuzz.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* A string of up to 31 input bytes (NUL-terminated copy in buf). */
static const char *str(struct in *in, char *buf, size_t *len)
{
	size_t n = u8(in) % 32;

	if (n > in->n)
		n = in->n;
	memcpy(buf, in->p, n);
	buf[n] = '\0';
	in->p += n;
	in->n -= n;
	if (len)
		*len = n;
	return buf;
}

/* --- a strict JSON validator (RFC 8259) ---------------------------------- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *value(const char *p, int depth);

static const char *string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL; /* raw control character, or the end */
		if (*p++ != '\\')
			continue;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) ||
				    !p[i])
					return NULL;
			p += 5;
		} else if (*p && strchr("\"\\/bfnrt", *p)) {
			p++;
		} else {
			return NULL;
		}
	}
	return p + 1;
}

static const char *digits(const char *p)
{
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

static const char *number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = digits(p)))
		return NULL;
	if (*p == '.' && !(p = digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = digits(p);
	}
	return p;
}

static const char *members(const char *p, int depth, char close, bool keys)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			if (!(p = string(ws(p))))
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = value(p, depth + 1)))
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = ws(p);
	switch (*p) {
	case '{': return members(p, depth, '}', true);
	case '[': return members(p, depth, ']', false);
	case '"': return string(p);
	case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
	default: return number(p);
	}
}

static bool valid_json(const char *text)
{
	const char *end = value(text, 0);

	return end && !*ws(end);
}

/* --- the harness ---------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t clen = nl ? (size_t)(nl - data) : size;
	struct in in = { data + clen, size - clen };
	struct tclo_req req;
	char k[32], v[32], *buf, *reply;
	size_t cap, n, rcap;
	struct json j;
	char stack[JSON_MAX_DEPTH + 4];
	int r, len, depth = 0;
	bool top_done = false;
	double d;

	r = tclo_parse((const char *)data, clen, &req);
	FUZZ_CHECK(r == 0 || (r == -EINVAL && req.error));
	FUZZ_CHECK(req.kind >= TCLO_UNKNOWN && req.kind < TCLO_NKINDS);
	FUZZ_CHECK(memchr(req.key, '\0', sizeof(req.key)));
	u8(&in); /* the newline */
	cap = u8(&in) * 8;
	buf = malloc(cap ? cap : 1);
	if (!buf)
		return 0;
	json_init(&j, buf, cap);
	/* Calls as the agent makes them: keys inside objects only, one
	 * value at the top; the input picks which and what goes in. */
	while (in.n) {
		uint8_t op = u8(&in);
		bool in_obj = depth && stack[depth - 1] == '{';
		const char *key = in_obj ? str(&in, k, NULL) : NULL;

		if (!depth && top_done)
			break;
		switch (op % 12) {
		case 0:
		case 2:
			if (op % 12 == 0)
				json_obj_open(&j, key);
			else
				json_arr_open(&j, key);
			if (depth < (int)sizeof(stack))
				stack[depth++] = op % 12 == 0 ? '{' : '[';
			continue;
		case 1:
		case 3:
			if (!depth)
				continue;
			if (stack[--depth] == '{')
				json_obj_close(&j);
			else
				json_arr_close(&j);
			break;
		case 4:
			json_str(&j, key, op & 0x40 ? NULL : str(&in, v, NULL));
			break;
		case 5:
			str(&in, v, &n);
			json_strn(&j, key, v, n);
			break;
		case 6:
			json_int(&j, key,
				 (int64_t)((uint64_t)u8(&in) << 56 |
					   u8(&in) * 0x10101ull));
			break;
		case 7:
			json_uint(&j, key, (uint64_t)u8(&in) << 56 | u8(&in));
			break;
		case 8:
			memset(&d, u8(&in), sizeof(d));
			((uint8_t *)&d)[0] = u8(&in);
			json_num(&j, key, d, u8(&in) % 20 - 5);
			break;
		case 9:
			json_num(&j, key, op & 0x40 ? NAN : -INFINITY, 3);
			break;
		case 10: json_bool(&j, key, op & 0x40); break;
		case 11: json_null(&j, key); break;
		}
		if (!depth)
			top_done = true;
	}
	while (depth)
		if (stack[--depth] == '{')
			json_obj_close(&j);
		else
			json_arr_close(&j);
	len = json_end(&j);
	FUZZ_CHECK(len >= 0 || len == -ENOSPC || len == -EINVAL);
	if (len > 0) {
		FUZZ_CHECK((size_t)len < cap && strlen(buf) == (size_t)len);
		FUZZ_CHECK(valid_json(buf));
	}
	/* the answer, into a buffer the input sizes too */
	rcap = (size_t)u8(&(struct in){ data, size }) + (len > 0 ? len : 0);
	reply = malloc(rcap ? rcap : 1);
	if (reply) {
		n = (size_t)(r ? tclo_format_error(reply, rcap, &req,
						   req.error) :
				 tclo_format_ok(reply, rcap, &req,
						len >= 0 ? buf : NULL));
		FUZZ_CHECK((int)n == -ENOSPC ||
			   (n < rcap && strlen(reply) == n));
		free(reply);
	}
	free(buf);
	return 0;
}
