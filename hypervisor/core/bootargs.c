/* Parsing of the hypervisor's options from /chosen/bootargs. */
#include <core/bootargs.h>

struct option {
	const char *name;
	uint64_t min, max;
	size_t offset;		/* of the field in struct hv_config */
	bool is_u64;
	bool required;
};

#define OPT(n, field, lo, hi, req) { n, lo, hi, \
	offsetof(struct hv_config, field), \
	sizeof(((struct hv_config *)0)->field) == 8, req }

static const struct option options[] = {
	OPT("verge.kernel", kernel, 0x1000, UINT64_MAX, true),
	OPT("verge.tick", tick_hz, 1, 1000, false),
	OPT("verge.stats", stats_s, 0, 3600, false),
};

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
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*ret = v;
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

static int apply(struct hv_config *cfg, unsigned *seen, const char *tok,
		 size_t len, struct hv_err *err)
{
	const char *eq = memchr(tok, '=', len);
	size_t nlen = eq ? (size_t)(eq - tok) : len;
	const struct option *o = find_option(tok, nlen);
	uint64_t v;

	if (!o) {
		hv_err_set(err, "unknown option '%.*s' (guest options go after --)",
			   (int)len, tok);
		return -EINVAL;
	}
	if (!eq || parse_u64(eq + 1, len - nlen - 1, &v) < 0 ||
	    v < o->min || v > o->max) {
		hv_err_set(err, "%s: bad value '%.*s' (expected a number in %llu..%llu)",
			   o->name, eq ? (int)(len - nlen - 1) : 0,
			   eq ? eq + 1 : "", (unsigned long long)o->min,
			   (unsigned long long)o->max);
		return -EINVAL;
	}
	if (*seen & (1u << (o - options))) {
		hv_err_set(err, "%s given twice", o->name);
		return -EINVAL;
	}
	*seen |= 1u << (o - options);
	if (o->is_u64)
		*(uint64_t *)((char *)cfg + o->offset) = v;
	else
		*(unsigned *)((char *)cfg + o->offset) = (unsigned)v;
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
