// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "names.h"

bool verged_valid_name(const char *s)
{
	size_t n = strlen(s);

	return n && n <= VERGED_NAME_MAX && s[0] != '.' && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._-") == n;
}
