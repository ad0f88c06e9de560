/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The names verged gives things (VMs, partitions): 1-64 characters of
 * [A-Za-z0-9._-], not starting with '.' or '-', so a name is safe as a
 * file name, a resource group's name and a URL path segment. One rule for
 * JSON-RPC (methods.c) and REST (rest.c).
 */
#ifndef VERGED_NAMES_H
#define VERGED_NAMES_H
#include <stdbool.h>

#define VERGED_NAME_MAX	64

bool verged_valid_name(const char *s);

#endif
