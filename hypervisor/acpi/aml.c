// SPDX-License-Identifier: Apache-2.0
/* AML encoder: ACPI 6.x chapter 20 (grammar) and 6.4 (resources). */
#include <acpi/aml.h>

#define PKGLEN_RESERVE	4

void aml_init(struct aml *a, void *buf, size_t cap)
{
	a->buf = buf;
	a->len = 0;
	a->cap = cap;
	a->err = 0;
	a->depth = 0;
}

static void fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		fail(a, -ENOSPC);
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

void aml_put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * PkgLength counts itself: one byte holds up to 63 in bits 5:0; longer
 * forms put the byte count - 1 in bits 7:6, the low nibble in bits 3:0
 * and the rest in the following bytes (20.2.4).
 */
unsigned aml_pkglength(uint8_t out[4], size_t body)
{
	static const size_t max[] = { 0x3f, 0xfff, 0xfffff, 0xfffffff };
	unsigned n;

	for (n = 1; n <= 4; n++)
		if (body + n <= max[n - 1])
			break;
	if (n > 4)
		return 0;
	body += n;
	if (n == 1) {
		out[0] = (uint8_t)body;
		return 1;
	}
	out[0] = (uint8_t)((n - 1) << 6 | (body & 0xf));
	body >>= 4;
	for (unsigned i = 1; i < n; i++, body >>= 8)
		out[i] = (uint8_t)body;
	return n;
}

static void open_pkg(struct aml *a)
{
	static const uint8_t zero[PKGLEN_RESERVE];

	if (a->depth == AML_MAX_DEPTH) {
		fail(a, -E2BIG);
		return;
	}
	a->open[a->depth++] = a->len;
	aml_bytes(a, zero, sizeof(zero));
}

void aml_close(struct aml *a)
{
	uint8_t pl[4];
	size_t at, body;
	unsigned n;

	if (a->err)
		return;
	if (!a->depth) {
		fail(a, -EINVAL);
		return;
	}
	at = a->open[--a->depth];
	body = a->len - at - PKGLEN_RESERVE;
	n = aml_pkglength(pl, body);
	if (!n) {
		fail(a, -E2BIG);
		return;
	}
	memmove(a->buf + at + n, a->buf + at + PKGLEN_RESERVE, body);
	memcpy(a->buf + at, pl, n);
	a->len -= PKGLEN_RESERVE - n;
}

void aml_int(struct aml *a, uint64_t v)
{
	static const struct { uint64_t max; uint8_t op; unsigned n; } forms[] = {
		{ 0xff, AML_BYTE, 1 }, { 0xffff, AML_WORD, 2 },
		{ 0xffffffff, AML_DWORD, 4 }, { UINT64_MAX, AML_QWORD, 8 },
	};
	uint8_t b[9];

	if (v == 0 || v == 1 || v == UINT64_MAX) {
		aml_byte(a, v == 0 ? AML_ZERO : v == 1 ? AML_ONE : AML_ONES);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++)
		if (v <= forms[i].max) {
			b[0] = forms[i].op;
			aml_put_le(b + 1, v, forms[i].n);
			aml_bytes(a, b, 1 + forms[i].n);
			return;
		}
}

void aml_string(struct aml *a, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] > 0x7f) {	/* AsciiCharList is 0x01-0x7f */
			fail(a, -EINVAL);
			return;
		}
	aml_byte(a, AML_STRING);
	aml_bytes(a, s, n + 1);
}

static bool lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_char(c) || (c >= '0' && c <= '9');
}

/* One NameSeg from s (up to '.' or the end), padded with '_'. */
static int name_seg(const char *s, size_t n, uint8_t out[4])
{
	if (n < 1 || n > 4 || !lead_char(s[0]))
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (i < n && !name_char(s[i]))
			return -EINVAL;
		out[i] = i < n ? (uint8_t)s[i] : '_';
	}
	return 0;
}

void aml_name(struct aml *a, const char *path)
{
	uint8_t segs[AML_MAX_SEGS][4];
	size_t nsegs = 0;
	const char *p = path;

	if (*p == '\\')
		aml_byte(a, *p++);
	else
		while (*p == '^')
			aml_byte(a, *p++);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (nsegs == ARRAY_SIZE(segs) || name_seg(p, n, segs[nsegs])) {
			fail(a, -EINVAL);
			return;
		}
		nsegs++;
		p += n;
		if (*p == '.' && !*++p) {	/* a trailing dot */
			fail(a, -EINVAL);
			return;
		}
	}
	if (nsegs == 0)
		aml_byte(a, 0x00);	/* NullName */
	else if (nsegs == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (nsegs > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)nsegs);
	}
	aml_bytes(a, segs, nsegs * 4);
}

void aml_name_decl(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME);
	aml_name(a, name);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "PNP0A08": three letters of 5 bits each, then 4 hex digits; stored as
 * the big-endian bytes of that 32-bit value (6.1.5). */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7) {
		fail(a, -EINVAL);
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			fail(a, -EINVAL);
			return;
		}
		v = v << 5 | (uint32_t)(id[i] - 0x40);
	}
	for (int i = 3; i < 7; i++) {
		int d = hexval(id[i]);

		if (d < 0) {
			fail(a, -EINVAL);
			return;
		}
		v = v << 4 | (uint32_t)d;
	}
	aml_int(a, (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) |
		   (v << 24));
}

void aml_buffer(struct aml *a, const void *p, size_t n)
{
	aml_byte(a, AML_BUFFER);
	open_pkg(a);
	aml_int(a, n);
	aml_bytes(a, p, n);
	aml_close(a);
}

/* The first three fields little-endian, the last two as written. */
void aml_uuid(struct aml *a, const char *s)
{
	static const uint8_t order[16] = {
		3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15,
	};
	uint8_t raw[16], out[16];
	unsigned n = 0;

	for (size_t i = 0; s[i] && n < 16; i++) {
		int hi, lo;

		if (s[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23))
			continue;
		hi = hexval(s[i]);
		lo = s[i + 1] ? hexval(s[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			break;
		raw[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (n != 16 || strlen(s) != 36) {
		fail(a, -EINVAL);
		return;
	}
	for (int i = 0; i < 16; i++)
		out[i] = raw[order[i]];
	aml_buffer(a, out, sizeof(out));
}

void aml_scope(struct aml *a, const char *name)
{
	aml_byte(a, AML_SCOPE);
	open_pkg(a);
	aml_name(a, name);
}

void aml_device(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	open_pkg(a);
	aml_name(a, name);
}

void aml_method(struct aml *a, const char *name, unsigned nargs,
		bool serialized)
{
	if (nargs > 7) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, AML_METHOD);
	open_pkg(a);
	aml_name(a, name);
	aml_byte(a, (uint8_t)(nargs | (serialized ? 0x08 : 0)));
}

void aml_package(struct aml *a, unsigned nelems)
{
	if (nelems > 255) {	/* VarPackage is not needed here */
		fail(a, -E2BIG);
		return;
	}
	aml_byte(a, AML_PACKAGE);
	open_pkg(a);
	aml_byte(a, (uint8_t)nelems);
}

void aml_arg(struct aml *a, unsigned n)
{
	if (n > 6) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, (uint8_t)(AML_ARG0 + n));
}

void aml_local(struct aml *a, unsigned n)
{
	if (n > 7) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, (uint8_t)(AML_LOCAL0 + n));
}

void aml_op(struct aml *a, uint8_t opcode)
{
	aml_byte(a, opcode);
}

void aml_if(struct aml *a)
{
	aml_byte(a, AML_IF);
	open_pkg(a);
}

void aml_else(struct aml *a)
{
	aml_byte(a, AML_ELSE);
	open_pkg(a);
}

void aml_create_dword_field(struct aml *a, unsigned arg, unsigned index,
			    const char *name)
{
	aml_byte(a, AML_CREATE_DWORD_FIELD);
	aml_arg(a, arg);
	aml_int(a, index);
	aml_name(a, name);
}

void aml_notify(struct aml *a, const char *target, uint64_t value)
{
	aml_byte(a, AML_NOTIFY);
	aml_name(a, target);
	aml_int(a, value);
}

void aml_return(struct aml *a)
{
	aml_byte(a, AML_RETURN);
}
