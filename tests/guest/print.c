// SPDX-License-Identifier: Apache-2.0
/* A small printf: %s %c %d %u %x with an optional 'l'. Only CPU 0 prints. */
#include "guest.h"

static void put_str(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

static void put_uint(uint64_t v, unsigned base)
{
	char buf[24];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		uart_putc(buf[--i]);
}

static void put_int(int64_t v)
{
	if (v < 0) {
		uart_putc('-');
		put_uint(-(uint64_t)v, 10);
	} else {
		put_uint(v, 10);
	}
}

static void put_conv(char conv, bool is_long, va_list *ap)
{
	switch (conv) {
	case 's':
		put_str(va_arg(*ap, const char *));
		break;
	case 'c':
		uart_putc((char)va_arg(*ap, int));
		break;
	case 'd':
		put_int(is_long ? va_arg(*ap, int64_t) : va_arg(*ap, int));
		break;
	case 'u':
	case 'x':
		put_uint(is_long ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned),
			 conv == 'x' ? 16 : 10);
		break;
	default:
		uart_putc(conv);
	}
}

void vprintf(const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	for (; *fmt; fmt++) {
		if (*fmt != '%' || !fmt[1]) {
			uart_putc(*fmt);
			continue;
		}
		bool is_long = fmt[1] == 'l' && fmt[2];
		fmt += is_long ? 2 : 1;
		put_conv(*fmt, is_long, &aq);
	}
	va_end(aq);
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
