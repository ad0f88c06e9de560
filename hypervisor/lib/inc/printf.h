/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal formatted output: %c %s %d %i %u %x %X %p %%, flags '0' '-',
 * width, length modifiers l ll z. */
#ifndef VERGE_PRINTF_H
#define VERGE_PRINTF_H
#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#endif
