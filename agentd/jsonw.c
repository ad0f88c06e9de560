// SPDX-License-Identifier: Apache-2.0
#include <math.h>
#include <string.h>

#include "jsonw.h"

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_raw(struct jw *w, const char *s, size_t n)
{
	buf_add(&w->b, s, n);
}

static void put(struct jw *w, char ch)
{
	if (buf_reserve(&w->b, 1))
		w->b.data[w->b.len++] = ch;
}

char *jw_finish(struct jw *w, size_t *ret_len)
{
	return buf_steal(&w->b, ret_len);
}

void jw_open(struct jw *w, char bracket)
{
	put(w, bracket);
}

void jw_close(struct jw *w, char bracket)
{
	put(w, bracket);
}

void jw_elem(struct jw *w)
{
	char last = w->b.len ? w->b.data[w->b.len - 1] : '[';

	if (last != '[' && last != '{' && last != ':')
		put(w, ',');
}

/* Keys are verged's own identifiers: nothing to escape. */
void jw_key(struct jw *w, const char *key)
{
	size_t n = strlen(key);

	jw_elem(w);
	if (!buf_reserve(&w->b, n + 3))
		return;
	w->b.data[w->b.len++] = '"';
	memcpy(w->b.data + w->b.len, key, n);
	w->b.len += n;
	w->b.data[w->b.len++] = '"';
	w->b.data[w->b.len++] = ':';
}

void jw_str(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run;

	if (!s) {
		jw_null(w);
		return;
	}
	put(w, '"');
	while (*p) {
		/* copy the run of bytes that need no escape in one go */
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		jw_raw(w, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		if (*p == '"' || *p == '\\') {
			put(w, '\\');
			put(w, (char)*p);
		} else {
			jw_raw(w, "\\u00", 4);
			put(w, hex[*p >> 4]);
			put(w, hex[*p & 15]);
		}
		p++;
	}
	put(w, '"');
}

static void put_u64(struct jw *w, uint64_t v, int min_digits)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v || tmp + sizeof(tmp) - p < min_digits);
	jw_raw(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jw_int(struct jw *w, int64_t v)
{
	if (v < 0) {
		put(w, '-');
		put_u64(w, (uint64_t)0 - (uint64_t)v, 1);
	} else {
		put_u64(w, (uint64_t)v, 1);
	}
}

void jw_fixed(struct jw *w, double v, int decimals)
{
	static const double scale[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
					1e8, 1e9 };
	uint64_t whole, frac, unit;
	double r;

	if (!isfinite(v) || fabs(v) >= 9e18 / scale[decimals]) {
		jw_null(w);
		return;
	}
	if (v < 0) {
		put(w, '-');
		v = -v;
	}
	unit = (uint64_t)scale[decimals];
	r = floor(v * scale[decimals] + 0.5);
	whole = (uint64_t)r / unit;
	frac = (uint64_t)r % unit;
	put_u64(w, whole, 1);
	if (decimals) {
		put(w, '.');
		put_u64(w, frac, decimals);
	}
}

void jw_bool(struct jw *w, bool v)
{
	if (v)
		jw_raw(w, "true", 4);
	else
		jw_raw(w, "false", 5);
}

void jw_null(struct jw *w)
{
	jw_raw(w, "null", 4);
}
