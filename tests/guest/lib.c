// SPDX-License-Identifier: Apache-2.0
/* The two functions a freestanding gcc may call on its own. Byte accesses
 * only: with the MMU off all memory is Device memory and must be aligned. */
#include "guest.h"

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

void *memset(void *s, int c, size_t n)
{
	volatile unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
