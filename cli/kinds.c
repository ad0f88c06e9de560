// SPDX-License-Identifier: Apache-2.0
/*
 * Values on the command line: each kind of argument has one parser that
 * turns the text into the JSON value sent to verged, or a sentence that
 * says what was expected. Ranges that verged enforces (memory, vCPUs,
 * rate limits) are left to verged so each limit lives in one place; here
 * only the syntax, overflow and sign are checked.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <verge_rate.h>

#include "cli.h"

#define NS_PER_S	1000000000ull

static const struct cli_unit units_count[] = {
	{ "", 1 }, { NULL, 0 }
};
static const struct cli_unit units_mib[] = {
	{ "", 1 }, { "M", 1 }, { "MiB", 1 }, { "G", 1024 }, { "GiB", 1024 },
	{ NULL, 0 }
};
static const struct cli_unit units_bytes[] = {
	{ "", 1 }, { "K", 1024 }, { "KiB", 1024 }, { "M", 1 << 20 },
	{ "MiB", 1 << 20 }, { NULL, 0 }
};
static const struct cli_unit units_freq[] = {
	{ "", 1 }, { "Hz", 1 }, { "k", 1000 }, { "kHz", 1000 },
	{ "M", 1000000 }, { "MHz", 1000000 }, { "G", 1000000000 },
	{ "GHz", 1000000000 }, { NULL, 0 }
};
/* The first entry is skipped when a bare number is not allowed. */
static const struct cli_unit units_duration[] = {
	{ "", NS_PER_S }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
	{ "s", NS_PER_S }, { "m", 60 * NS_PER_S }, { "min", 60 * NS_PER_S },
	{ "h", 3600 * NS_PER_S }, { "d", 86400 * NS_PER_S }, { NULL, 0 }
};

static const struct cli_unit *find_unit(const struct cli_unit *u,
					const char *suffix)
{
	for (; u->suffix; u++)
		if (!strcasecmp(u->suffix, suffix))
			return u;
	return NULL;
}

/*
 * "D[.F][UNIT]": the value times the unit's scale must be a whole number
 * no larger than max. -EINVAL: not that syntax or an unknown unit;
 * -ERANGE: above max; -EDOM: a fraction finer than the unit allows.
 */
int cli_parse_scaled(const char *s, const struct cli_unit *units,
		     uint64_t max, uint64_t *ret_value)
{
	unsigned __int128 ip = 0, frac = 0, div = 1, v;
	const struct cli_unit *u;
	const char *p = s;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		ip = ip * 10 + (unsigned)(*p - '0');
		if (ip > UINT64_MAX)
			return -ERANGE;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (div >= 1000000000000000000ull)
				return -EDOM;
			frac = frac * 10 + (unsigned)(*p - '0');
			div *= 10;
		}
	}
	if (!digits)
		return -EINVAL;
	u = find_unit(units, p);
	if (!u)
		return -EINVAL;
	if ((frac * u->scale) % div)
		return -EDOM;
	v = ip * u->scale + frac * u->scale / div;
	if (v > max)
		return -ERANGE;
	*ret_value = (uint64_t)v;
	return 0;
}

/* The one rate syntax of verge (proto/verge_rate.h); reduced. */
int cli_parse_rate(const char *s, uint64_t *ret_num, uint64_t *ret_den)
{
	uint32_t num, den;
	int r = verge_rate_parse(s, strlen(s), &num, &den);

	if (r < 0)
		return r;
	*ret_num = num;
	*ret_den = den;
	return 0;
}

/*
 * An existing file's absolute path; symbolic links are kept, so a link
 * to "the current kernel" keeps its meaning for later boots.
 */
static json_t *absolute_path(const char *s, char *why, size_t whysize)
{
	char cwd[PATH_MAX], buf[2 * PATH_MAX];
	struct stat st;

	if (stat(s, &st) < 0) {
		snprintf(why, whysize, "%s", strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, whysize, "%s", strerror(EISDIR));
		return NULL;
	}
	if (s[0] == '/')
		return json_string(s);
	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(why, whysize, "cannot get the current directory: %s",
			 strerror(errno));
		return NULL;
	}
	if (!strncmp(s, "./", 2))
		s += 2;
	snprintf(buf, sizeof(buf), "%s/%s", strcmp(cwd, "/") ? cwd : "", s);
	return json_string(buf);
}

int cli_parse_duration_ns(const char *s, bool bare_seconds, uint64_t *ret_ns)
{
	uint64_t ns;
	int r;

	r = cli_parse_scaled(s, units_duration + (bare_seconds ? 0 : 1),
			     INT64_MAX, &ns);
	if (r < 0)
		return r;
	*ret_ns = ns;
	return 0;
}

static json_t *number_of(const char *s, const struct cli_unit *units,
			 int *ret_err)
{
	uint64_t v;

	*ret_err = cli_parse_scaled(s, units, INT64_MAX, &v);
	return *ret_err ? NULL : json_integer((json_int_t)v);
}

static json_t *value_of(const struct cli_arg *a, const char *s, int *err,
			char *why, size_t whysize)
{
	uint64_t num, den, ns;
	json_t *v;

	*err = 0;
	switch (a->kind) {
	case CLI_FLAG:
		return json_true();
	case CLI_TEXT:
		return json_string(s);
	case CLI_STRING:
		if (!*s) {
			*err = -EINVAL;
			snprintf(why, whysize, "it must not be empty");
			return NULL;
		}
		return json_string(s);
	case CLI_PATH:
		v = absolute_path(s, why, whysize);
		if (!v)
			*err = -ENOENT;
		return v;
	case CLI_DISK: {
		const char *opts = strchr(s, ',');
		char *path = strndup(s, opts ? (size_t)(opts - s) : strlen(s));
		char *t = NULL;

		v = path ? absolute_path(path, why, whysize) : NULL;
		free(path);
		if (!v) {
			*err = -ENOENT;
			return NULL;
		}
		if (opts) {	/* verged checks the options */
			size_t tn = strlen(json_string_value(v)) +
				    strlen(opts) + 1;

			t = malloc(tn);
			if (t)
				snprintf(t, tn, "%s%s", json_string_value(v),
					 opts);
			json_decref(v);
			v = t ? json_string(t) : NULL;
			free(t);
			if (!v)
				*err = -ENOMEM;
		}
		return v;
	}
	case CLI_COUNT:
		return number_of(s, units_count, err);
	case CLI_MIB:
		return number_of(s, units_mib, err);
	case CLI_BYTES:
		return number_of(s, units_bytes, err);
	case CLI_FREQ:
		return number_of(s, units_freq, err);
	case CLI_RATE:
		*err = cli_parse_rate(s, &num, &den);
		return *err ? NULL : json_string(s);
	case CLI_SECONDS:
		/* verged takes whole seconds; verge's own --timeout takes ms. */
		*err = cli_parse_duration_ns(s, true, &ns);
		if (!*err && !(a->flags & CLI_LOCAL) && ns % NS_PER_S)
			*err = -EDOM;
		if (*err)
			return NULL;
		if (ns % NS_PER_S == 0)
			return json_integer((json_int_t)(ns / NS_PER_S));
		return json_real((double)ns / NS_PER_S);
	case CLI_NANOS:
		*err = cli_parse_duration_ns(s, false, &ns);
		return *err ? NULL : json_integer((json_int_t)ns);
	case CLI_CHOICE:
		for (const char *const *c = a->choices; *c; c++)
			if (!strcmp(*c, s))
				return json_string(s);
		*err = -EINVAL;
		return NULL;
	case CLI_KIND_COUNT:
		break;
	}
	*err = -EINVAL;
	return NULL;
}

/* What a value of each kind looks like, for error messages and help. */
static const char *const examples[CLI_KIND_COUNT] = {
	[CLI_STRING] = "a non-empty string",
	[CLI_TEXT] = "text",
	[CLI_PATH] = "an existing file",
	[CLI_DISK] = "an existing image and options, e.g. "
		     "disk.qcow2,overlay",
	[CLI_COUNT] = "a whole number such as 4",
	[CLI_MIB] = "MiB such as 1024, 512M or 2G",
	[CLI_BYTES] = "bytes such as 4096, 64K or 1M",
	[CLI_FREQ] = "Hz such as 62500000, 62.5MHz or 1GHz",
	[CLI_RATE] = "a rate such as 0.5, 2 or 1/3",
	[CLI_SECONDS] = "seconds such as 30, 1.5 or 500ms",
	[CLI_NANOS] = "a duration such as 1.5s, 200ms or 3000000ns",
};

static void choices_of(const struct cli_arg *a, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const char *const *c = a->choices; *c && n < size; c++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      c == a->choices ? "" : ", ", *c);
}

/* The finest step of a value, for "'1.5ns' is finer than 1 ns". */
static const char *resolution(const struct cli_arg *a)
{
	switch (a->kind) {
	case CLI_NANOS:
		return "1 ns";
	case CLI_SECONDS:
		return a->flags & CLI_LOCAL ? "1 ns" : "whole seconds";
	case CLI_MIB:
		return "whole MiB";
	case CLI_FREQ:
		return "whole Hz";
	case CLI_BYTES:
		return "whole bytes";
	default:
		return "its unit allows";
	}
}

/*
 * The JSON value of s for argument a, or NULL with err set to
 * "--memory: '12x' is not MiB such as 1024, 512M or 2G".
 */
json_t *cli_kind_value(const struct cli_arg *a, const char *s, char *err,
		       size_t errsize)
{
	char why[160] = "", label[64];
	json_t *v;
	int r;

	v = value_of(a, s, &r, why, sizeof(why));
	if (v)
		return v;
	if (a->name)
		snprintf(label, sizeof(label), "--%s", a->name);
	else
		snprintf(label, sizeof(label), "%s", a->meta);
	if (a->kind == CLI_CHOICE) {
		choices_of(a, why, sizeof(why));
		snprintf(err, errsize, "%s: '%s' is not one of %s", label, s,
			 why);
	} else if (why[0]) {
		snprintf(err, errsize, "%s: '%s': %s", label, s, why);
	} else if (a->kind == CLI_RATE) {	/* verged's and verge-hv's words */
		snprintf(err, errsize, "%s: '%s' is %s", label, s,
			 verge_rate_strerror(r));
	} else if (r == -ERANGE) {
		snprintf(err, errsize, "%s: '%s' is out of range (%s)", label,
			 s, examples[a->kind]);
	} else if (r == -EDOM) {
		snprintf(err, errsize, "%s: '%s' is finer than %s", label, s,
			 resolution(a));
	} else {
		snprintf(err, errsize, "%s: '%s' is not %s", label, s,
			 examples[a->kind]);
	}
	return NULL;
}
