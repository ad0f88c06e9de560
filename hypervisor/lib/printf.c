// SPDX-License-Identifier: Apache-2.0
/* A small vsnprintf: enough for the hypervisor's console and errors. */
#include <printf.h>
#include <stdint.h>
#include <string.h>

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
		       char pad, int left)
{
	int fill = width > (int)n ? width - (int)n : 0;

	if (!left)
		while (fill-- > 0)
			put(o, pad);
	while (n--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

static void put_number(struct out *o, uint64_t v, int neg, unsigned base,
		       int upper, int width, char pad, int left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v);
	if (neg) {
		if (pad == '0' && width > 0) {
			put(o, '-');
			width--;
		} else {
			tmp[--i] = '-';
		}
	}
	put_padded(o, tmp + i, sizeof(tmp) - i, width, pad, left);
}

static uint64_t take_unsigned(va_list *ap, int lng)
{
	if (lng >= 2)
		return va_arg(*ap, unsigned long long);
	if (lng == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t take_signed(va_list *ap, int lng)
{
	if (lng >= 2)
		return va_arg(*ap, long long);
	if (lng == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static const char *conv(struct out *o, const char *f, va_list *ap)
{
	int width = 0, lng = 0, left = 0, prec = -1;
	char pad = ' ';

	for (; *f == '0' || *f == '-'; f++)
		if (*f == '0')
			pad = '0';
		else
			left = 1;
	for (; *f >= '0' && *f <= '9'; f++)
		width = width * 10 + (*f - '0');
	if (*f == '.') {
		f++;
		if (*f == '*') {
			prec = va_arg(*ap, int);
			f++;
		}
		for (prec = prec < 0 ? 0 : prec; *f >= '0' && *f <= '9'; f++)
			prec = prec * 10 + (*f - '0');
	}
	for (; *f == 'l' || *f == 'z'; f++)
		lng += *f == 'z' ? 2 : 1;

	switch (*f) {
	case 'c':
		put(o, (char)va_arg(*ap, int));
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		put_padded(o, s, prec >= 0 ? strnlen(s, prec) : strlen(s),
			   width, ' ', left);
		break;
	}
	case 'd':
	case 'i': {
		int64_t v = take_signed(ap, lng);
		put_number(o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, 0,
			   width, pad, left);
		break;
	}
	case 'u':
		put_number(o, take_unsigned(ap, lng), 0, 10, 0, width, pad, left);
		break;
	case 'x':
	case 'X':
		put_number(o, take_unsigned(ap, lng), 0, 16, *f == 'X', width,
			   pad, left);
		break;
	case 'p':
		put(o, '0');
		put(o, 'x');
		put_number(o, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, width,
			   pad, left);
		break;
	case '\0':
		return f;
	default:
		put(o, *f);
		break;
	}
	return f + 1;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		if (*fmt == '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = conv(&o, fmt, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
