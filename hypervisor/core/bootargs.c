// SPDX-License-Identifier: Apache-2.0
/* Parsing of the hypervisor's options from /chosen/bootargs. */
#include <core/bootargs.h>
#include <verge_rate.h>

struct option;
typedef int (*parse_fn)(const struct option *o, const char *s, size_t len,
			struct hv_config *cfg);

struct option {
	const char *name;
	parse_fn parse;
	uint64_t min, max;	/* for numbers */
	size_t offset;		/* of the field in struct hv_config */
	size_t size;
	bool required;
	const char *expect;	/* for the error message */
};

static int parse_number(const struct option *o, const char *s, size_t len,
			struct hv_config *cfg);
static int parse_rate(const struct option *o, const char *s, size_t len,
		      struct hv_config *cfg);
static int parse_uuid(const struct option *o, const char *s, size_t len,
		      struct hv_config *cfg);

#define NUM(n, field, lo, hi, req) { n, parse_number, lo, hi, \
	offsetof(struct hv_config, field), \
	sizeof(((struct hv_config *)0)->field), req, NULL }

static const struct option options[] = {
	NUM("verge.kernel", kernel, 0x1000, UINT64_MAX, true),
	NUM("verge.tick", tick_hz, 1, 1000, false),
	NUM("verge.stats", stats_s, 0, 3600, false),
	NUM("verge.freq", freq, 1000, UINT32_MAX, false),
	NUM("verge.ptimer", ptimer, 0, 1, false),
	NUM("verge.acpi", acpi, 0, 1, false),
	NUM("verge.dilate", dilate, 0, 1, false),
	NUM("verge.wdt", wdt_s, 0, 3600, false),
	NUM("verge.wdt_loader", wdt_loader, 0, 1, false),
	NUM("verge.doorbell", doorbell, 0, 1, false),
	{ "verge.rate", parse_rate, 0, 0, 0, 0, false, NULL },
	{ "verge.uuid", parse_uuid, 0, 0, 0, 0, false,
	  "a UUID, 8-4-4-4-12 hex digits" },
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static int parse_u64(const char *s, size_t len, uint64_t *ret)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		int d = hex_digit(s[i]);

		if (d < 0 || (unsigned)d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*ret = v;
	return 0;
}

static int parse_number(const struct option *o, const char *s, size_t len,
			struct hv_config *cfg)
{
	uint64_t v;
	char *field = (char *)cfg + o->offset;

	if (parse_u64(s, len, &v) < 0 || v < o->min || v > o->max)
		return -EINVAL;
	if (o->size == 8)
		*(uint64_t *)field = v;
	else
		*(unsigned *)field = (unsigned)v;
	return 0;
}

/* The one rate syntax of verge (proto/verge_rate.h). */
static int parse_rate(const struct option *o, const char *s, size_t len,
		      struct hv_config *cfg)
{
	uint32_t num, den;
	int r;

	(void)o;
	r = verge_rate_parse(s, len, &num, &den);
	if (r < 0)
		return r;
	cfg->rate_num = num;
	cfg->rate_den = den;
	return 0;
}

/* The canonical text form (RFC 4122): 36 characters, dashes at 8, 13,
 * 18 and 23; 16 bytes in text order. */
static int parse_uuid(const struct option *o, const char *s, size_t len,
		      struct hv_config *cfg)
{
	uint8_t b[16];
	unsigned n = 0;

	(void)o;
	if (len != 36)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		hi = hex_digit(s[i++]);
		lo = hex_digit(s[i]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		b[n++] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(cfg->uuid, b, sizeof(b));
	cfg->has_uuid = true;
	return 0;
}

static const struct option *find_option(const char *tok, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strlen(options[i].name) == len &&
		    !strncmp(options[i].name, tok, len))
			return &options[i];
	return NULL;
}

static void bad_value(const struct option *o, const char *v, size_t len,
		      int why, struct hv_err *err)
{
	if (o->parse == parse_rate)	/* the words every part uses */
		hv_err_set(err, "%s: bad value '%.*s' (%s)", o->name, (int)len,
			   v, verge_rate_strerror(why));
	else if (o->expect)
		hv_err_set(err, "%s: bad value '%.*s' (expected %s)", o->name,
			   (int)len, v, o->expect);
	else
		hv_err_set(err, "%s: bad value '%.*s' (expected a number in %llu..%llu)",
			   o->name, (int)len, v, (unsigned long long)o->min,
			   (unsigned long long)o->max);
}

static int apply(struct hv_config *cfg, unsigned *seen, const char *tok,
		 size_t len, struct hv_err *err)
{
	const char *eq = memchr(tok, '=', len);
	size_t nlen = eq ? (size_t)(eq - tok) : len;
	const struct option *o = find_option(tok, nlen);
	const char *val = eq ? eq + 1 : "";
	size_t vlen = eq ? len - nlen - 1 : 0;
	int r;

	if (!o) {
		hv_err_set(err, "unknown option '%.*s' (guest options go after --)",
			   (int)len, tok);
		return -EINVAL;
	}
	if (*seen & (1u << (o - options))) {
		hv_err_set(err, "%s given twice", o->name);
		return -EINVAL;
	}
	r = eq ? o->parse(o, val, vlen, cfg) : -EINVAL;
	if (r < 0) {
		bad_value(o, val, vlen, r, err);
		return -EINVAL;
	}
	*seen |= 1u << (o - options);
	return 0;
}

static int check_required(unsigned seen, struct hv_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].required && !(seen & (1u << i))) {
			hv_err_set(err, "%s=ADDRESS is required", options[i].name);
			return -EINVAL;
		}
	return 0;
}

static int set_guest_cmdline(struct hv_config *cfg, const char *s,
			     struct hv_err *err)
{
	size_t n = strlen(s);

	if (n >= sizeof(cfg->guest_cmdline)) {
		hv_err_set(err, "guest command line too long (%zu bytes, max %zu)",
			   n, sizeof(cfg->guest_cmdline) - 1);
		return -E2BIG;
	}
	memcpy(cfg->guest_cmdline, s, n + 1);
	return 0;
}

int bootargs_parse(const char *args, struct hv_config *ret,
		   struct hv_err *err)
{
	struct hv_config cfg;
	const char *p = args;
	unsigned seen = 0;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.tick_hz = 100;
	cfg.doorbell = 1;
	for (;;) {
		const char *tok;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		len = p - tok;
		if (len == 2 && tok[0] == '-' && tok[1] == '-') {
			while (*p == ' ' || *p == '\t' || *p == '\n')
				p++;
			r = set_guest_cmdline(&cfg, p, err);
			if (r < 0)
				return r;
			break;
		}
		r = apply(&cfg, &seen, tok, len, err);
		if (r < 0)
			return r;
	}
	r = check_required(seen, err);
	if (r < 0)
		return r;
	*ret = cfg;
	return 0;
}
