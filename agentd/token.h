/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The REST API's bearer token (docs/rest.md "Authentication"): one line
 * of 1-512 RFC 6750 token characters in a file that only verged's user
 * writes and only the verge group may read (at most mode 0640). A file
 * that does not exist is created with a fresh random token.
 */
#ifndef VERGED_TOKEN_H
#define VERGED_TOKEN_H
#include <stdbool.h>
#include <sys/types.h>

#define TOKEN_MAX		512
/* A created token: 32 random bytes, base64url without padding. */
#define TOKEN_RANDOM_BYTES	32

/*
 * Reads the token of path into *ret_token (malloc'd), creating the file
 * (mode 0640, group gid if has_group) when it does not exist. A file
 * that others may read or the group may write is refused. 0 or -errno,
 * with the reason logged.
 */
int token_load(const char *path, gid_t gid, bool has_group,
	       char **ret_token);
/* Is got the token want? Time independent of where they differ. */
bool token_equal(const char *want, const char *got);
#endif
