// SPDX-License-Identifier: Apache-2.0
/* Human-readable values: durations, ages, sizes, frequencies, times. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "safe.h"

const char *cli_jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "45s", "3m 20s", "2h 03m", "4d 02h": two units at most, like ps(1). */
void cli_fmt_duration(double s, char *buf, size_t size)
{
	unsigned long long t;

	if (!(s >= 0) || s > 1e12) {
		snprintf(buf, size, "-");
		return;
	}
	t = (unsigned long long)s;
	if (t < 60)
		snprintf(buf, size, "%llus", t);
	else if (t < 3600)
		snprintf(buf, size, "%llum %02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, size, "%lluh %02llum", t / 3600, t / 60 % 60);
	else
		snprintf(buf, size, "%llud %02lluh", t / 86400, t / 3600 % 24);
}

void cli_fmt_age(double s, char *buf, size_t size)
{
	char d[32];

	if (!(s >= 0)) {
		snprintf(buf, size, "-");
		return;
	}
	cli_fmt_duration(s, d, sizeof(d));
	snprintf(buf, size, "%s ago", d);
}

void cli_fmt_freq(double hz, char *buf, size_t size)
{
	static const struct {
		double scale;
		const char *unit;
	} u[] = { { 1e9, "GHz" }, { 1e6, "MHz" }, { 1e3, "kHz" }, { 1, "Hz" } };
	size_t i;

	if (!(hz > 0)) {
		snprintf(buf, size, "-");
		return;
	}
	for (i = 0; i < 3 && hz < u[i].scale; i++)
		;
	snprintf(buf, size, "%.9g %s", hz / u[i].scale, u[i].unit);
}

void cli_fmt_mib(json_int_t mib, char *buf, size_t size)
{
	if (mib > 0 && mib % 1024 == 0)
		snprintf(buf, size, "%lld GiB", (long long)(mib / 1024));
	else if (mib > 0)
		snprintf(buf, size, "%lld MiB", (long long)mib);
	else
		snprintf(buf, size, "-");
}

/* Before the year 10000: beyond it (or beyond time_t, where the
 * conversion is undefined) a reply's time is no time. */
#define TIME_MAX_EPOCH	253402300800.0

void cli_fmt_time(double epoch, char *buf, size_t size)
{
	struct tm tm;
	time_t t;

	if (!(epoch > 0 && epoch < TIME_MAX_EPOCH)) {
		snprintf(buf, size, "-");
		return;
	}
	t = (time_t)epoch;
	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "-");
}

struct cut {
	char *buf;
	size_t size, len;
};

/* Keeps what fits of the dump (json_dumpb() leaves the buffer undefined
 * when the text does not fit, and verge printed that). */
static int cut_cb(const char *p, size_t n, void *arg)
{
	struct cut *c = arg;
	size_t room = c->size - 1 - c->len;

	if (n > room)
		n = room;
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return 0;
}

/* A JSON value as one line of text; "-" for none. */
void cli_fmt_scalar(json_t *v, char *buf, size_t size)
{
	struct cut cut;

	if (!v) {
		snprintf(buf, size, "-");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, size, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.6g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, size, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "no");
		break;
	case JSON_NULL:
		snprintf(buf, size, "-");
		break;
	default:
		/* Into buf, cut to fit: no allocation. */
		cut.buf = buf;
		cut.size = size;
		cut.len = 0;
		buf[0] = '\0';
		json_dump_callback(v, cut_cb, &cut, JSON_COMPACT);
	}
}

/* On a terminal indented for reading; in a pipe one line per document. */
void cli_print_json(struct cli_ctx *ctx, FILE *f, json_t *v)
{
	size_t flags = JSON_ENCODE_ANY | (ctx->tty ? JSON_INDENT(2) :
					  JSON_COMPACT);

	if (v)
		cli_json_dumpf(v, f, flags);
	else
		fputs("null", f);
	fputc('\n', f);
}
