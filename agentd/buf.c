// SPDX-License-Identifier: Apache-2.0
/* Growable buffer (buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

bool buf_reserve(struct buf *b, size_t n)
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
	if (!buf_reserve(b, n))
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
	if (n < 0 || !buf_reserve(b, (size_t)n))
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

/* Length of the UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Bytes that are not UTF-8 (from a URL, say) become '?': jansson takes
 * only UTF-8, and an error message must not be lost for one bad byte. */
void buf_json_str(struct buf *b, const char *s)
{
	size_t i, n, len = strlen(s);
	char *clean = malloc(len + 1);
	json_t *j;

	if (!clean) {
		b->oom = true;
		return;
	}
	for (i = 0; i < len; i += n) {
		n = utf8_len((const unsigned char *)s + i);
		if (n)
			memcpy(clean + i, s + i, n);
		else
			clean[i] = '?', n = 1;
	}
	clean[len] = '\0';
	j = json_string(clean);
	buf_json(b, j);
	json_decref(j);
	free(clean);
}

char *buf_steal(struct buf *b, size_t *ret_len)
{
	char *p;

	if (!buf_reserve(b, 0)) {
		buf_free(b);
		return NULL;
	}
	b->data[b->len] = '\0';	/* writers may have stored bytes themselves */
	p = b->data;
	/* What is kept (snapshot pieces, vm.list's answer) holds its bytes,
	 * not the doubling's slack: up to half of it otherwise. */
	if (b->cap - b->len > 64 && (p = realloc(b->data, b->len + 1)) == NULL)
		p = b->data;
	if (ret_len)
		*ret_len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
