/* SPDX-License-Identifier: Apache-2.0 */
/* The part of <stdlib.h> that libfdt uses. */
#ifndef VERGE_STDLIB_H
#define VERGE_STDLIB_H
#include <stddef.h>

unsigned long strtoul(const char *s, char **end, int base);
#endif
