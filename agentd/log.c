// SPDX-License-Identifier: Apache-2.0
/*
 * verged's log (log.h): one line per message on stderr, escaped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int log_prefix;
static int log_verbose;

void log_init(int verbose)
{
	log_prefix = getenv("JOURNAL_STREAM") != NULL;
	log_verbose = verbose;
}

/* Is s[0..n) one valid UTF-8 character of 2-4 bytes, not a C1 control? */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2, i;
	unsigned cp = s[0] & (0x7f >> len);

	if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < 0xa0 || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)
	    || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

size_t log_escape(const char *in, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	const unsigned char *end = p + strlen(in);
	size_t o = 0, len;
	char esc[5];

	if (!size)
		return 0;
	while (*p) {
		len = *p >= 0x80 ? utf8_char(p, (size_t)(end - p)) : 1;
		if (*p >= 0x20 && *p != 0x7f && len) {
			if (o + len >= size)
				break;
			memcpy(out + o, p, len);
			o += len;
			p += len;
			continue;
		}
		/* a control, DEL, C1 or a byte that is not UTF-8 */
		if (*p == '\n' || *p == '\r' || *p == '\t')
			snprintf(esc, sizeof(esc), "\\%c", *p == '\n' ? 'n' :
				 *p == '\r' ? 'r' : 't');
		else
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
		if (o + strlen(esc) >= size)
			break;
		memcpy(out + o, esc, strlen(esc));
		o += strlen(esc);
		p++;
	}
	out[o] = '\0';
	return o;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {
		[LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning",
		[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
	};
	char line[1024], safe[4 * sizeof(line)];
	va_list ap;

	if (level == LOG_LVL_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One message, one line, whatever a guest put in it: nothing can
	 * start a line of its own, let alone with a priority ("<0>"). */
	log_escape(line, safe, sizeof(safe));
	if (log_prefix)
		fprintf(stderr, "<%d>%s\n", level, safe);
	else
		fprintf(stderr, "verged: %s: %s\n", names[level], safe);
}
