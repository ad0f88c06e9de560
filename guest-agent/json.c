// SPDX-License-Identifier: Apache-2.0
/* Tiny JSON writer (see json.h). Strings are escaped as RFC 8259 asks:
 * quote, backslash and control characters; bytes >= 0x80 pass through, so
 * valid UTF-8 in stays valid UTF-8 out. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
	j->first[0] = true;
	if (cap == 0)
		j->err = -ENOSPC;
	else
		buf[0] = '\0';
}

static void put(struct json *j, const char *s, size_t n)
{
	if (j->err)
		return;
	/* Keep one byte for the terminating NUL. */
	if (n >= j->cap - j->len) {
		j->err = -ENOSPC;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

static void put_escaped(struct json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	put(j, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(j, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\r': puts_(j, "\\r"); break;
		case '\t': puts_(j, "\\t"); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(j, esc, 6);
		}
	}
	put(j, s + run, n - run);
	put(j, "\"", 1);
}

/* Separator and key before a value at the current depth. */
static void member(struct json *j, const char *key)
{
	if (j->err)
		return;
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
	if (key) {
		put_escaped(j, key, strlen(key));
		put(j, ":", 1);
	}
}

static void open_(struct json *j, const char *key, const char *bracket)
{
	member(j, key);
	if (j->err)
		return;
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->err = -EINVAL;
		return;
	}
	puts_(j, bracket);
	j->first[++j->depth] = true;
}

static void close_(struct json *j, const char *bracket)
{
	if (j->err)
		return;
	if (j->depth == 0) {
		j->err = -EINVAL;
		return;
	}
	j->depth--;
	puts_(j, bracket);
}

void json_obj_open(struct json *j, const char *key)
{
	open_(j, key, "{");
}

void json_obj_close(struct json *j)
{
	close_(j, "}");
}

void json_arr_open(struct json *j, const char *key)
{
	open_(j, key, "[");
}

void json_arr_close(struct json *j)
{
	close_(j, "]");
}

void json_strn(struct json *j, const char *key, const char *s, size_t n)
{
	member(j, key);
	put_escaped(j, s, n);
}

void json_str(struct json *j, const char *key, const char *s)
{
	if (!s) {
		json_null(j, key);
		return;
	}
	json_strn(j, key, s, strlen(s));
}

static void put_fmt(struct json *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put_fmt(struct json *j, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		j->err = j->err ? j->err : -EINVAL;
		return;
	}
	put(j, tmp, (size_t)n);
}

void json_int(struct json *j, const char *key, int64_t v)
{
	member(j, key);
	put_fmt(j, "%" PRId64, v);
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	put_fmt(j, "%" PRIu64, v);
}

void json_num(struct json *j, const char *key, double v, int prec)
{
	if (!isfinite(v)) {
		json_null(j, key);
		return;
	}
	if (prec < 0 || prec > 9)
		prec = 6;
	member(j, key);
	put_fmt(j, "%.*f", prec, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	member(j, key);
	puts_(j, v ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	puts_(j, "null");
}

int json_end(struct json *j)
{
	if (j->err)
		return j->err;
	if (j->depth != 0)
		return -EINVAL;
	return (int)j->len;
}
