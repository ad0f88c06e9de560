/* Growable buffer (buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static bool reserve(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static int dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

void buf_json(struct buf *b, const json_t *j)
{
	if (!j || json_dump_callback(j, dump_cb, b,
				     JSON_COMPACT | JSON_ENCODE_ANY))
		b->oom = true;
}

void buf_json_str(struct buf *b, const char *s)
{
	json_t *j = json_string(s);

	buf_json(b, j);
	json_decref(j);
}

char *buf_steal(struct buf *b, size_t *ret_len)
{
	char *p;

	if (!reserve(b, 0)) {
		buf_free(b);
		return NULL;
	}
	p = b->data;
	*ret_len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
