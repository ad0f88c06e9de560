// SPDX-License-Identifier: Apache-2.0
/* Terminal-safe text (safe.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "safe.h"

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;	/* continuation byte, 0xc0, 0xc1, 0xf5-0xff */
	if (s[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;	/* above U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static bool kept_control(unsigned char c, unsigned flags)
{
	return (flags & CLI_SAFE_LINES) && (c == '\n' || c == '\t');
}

size_t cli_safe_text(const char *s, size_t n, char *out, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, len;

	while (i < n) {
		len = utf8_len(p + i, n - i);
		if (len == 1 && ((p[i] < 0x20 && !kept_control(p[i], flags)) ||
				 p[i] == 0x7f))
			len = 0;	/* C0 control, DEL */
		if (len == 2 && p[i] == 0xc2 && p[i + 1] <= 0x9f) {
			out[o++] = '?';	/* C1 control */
			i += 2;
			continue;
		}
		if (!len) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, p + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return o;
}

char *cli_safe_dup(const char *s, unsigned flags)
{
	size_t n = s ? strlen(s) : 0;
	char *out = s ? malloc(n + 1) : NULL;

	if (out)
		cli_safe_text(s, n, out, flags);
	return out;
}

void cli_safe_fputs(const char *s, FILE *f, unsigned flags)
{
	char buf[1024];
	size_t n = s ? strlen(s) : 0, k;

	/* by pieces; a piece ends on a character boundary (no byte
	 * 10xxxxxx starts the next one) so no sequence is cut in two */
	while (n) {
		k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
		while (k < n && k > sizeof(buf) - 5 &&
		       ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		fwrite(buf, 1, cli_safe_text(s, k, buf, flags), f);
		s += k;
		n -= k;
	}
}

/* DEL and U+0080-U+009F (0xc2 0x80-0x9f) as \u escapes: in jansson's
 * output they can only be inside strings (its structure is ASCII). */
struct dump {
	FILE *f;
	bool c2;	/* the last byte written was a held-back 0xc2 */
};

static int dump_cb(const char *buf, size_t size, void *data)
{
	struct dump *d = data;
	const unsigned char *p = (const unsigned char *)buf;
	size_t i;

	for (i = 0; i < size; i++) {
		if (p[i] == 0x7f) {	/* DEL: JSON allows it raw */
			if (d->c2)
				fputc(0xc2, d->f);
			d->c2 = false;
			fputs("\\u007F", d->f);
			continue;
		}
		if (d->c2 && p[i] >= 0x80 && p[i] <= 0x9f) {
			fprintf(d->f, "\\u%04X", p[i]);
			d->c2 = false;
			continue;
		}
		if (d->c2)
			fputc(0xc2, d->f);
		d->c2 = p[i] == 0xc2;
		if (!d->c2)
			fputc(p[i], d->f);
	}
	return 0;
}

int cli_json_dumpf(const json_t *v, FILE *f, size_t flags)
{
	struct dump d = { f, false };
	int r = json_dump_callback(v, dump_cb, &d, flags);

	if (d.c2)
		fputc(0xc2, f);
	return r;
}
