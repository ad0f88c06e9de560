/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny JSON writer into a caller's fixed buffer (no allocation).
 *
 * Calls append to the buffer and never write past its end; an overflow
 * latches j->err = -ENOSPC and every later call does nothing, so a caller
 * checks once, at json_end(). Commas between members and elements are
 * inserted automatically. */
#ifndef VGA_JSON_H
#define VGA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 8

struct json {
	char *buf;
	size_t cap;
	size_t len;
	int err;			/* 0 or a negative errno, sticky */
	int depth;
	bool first[JSON_MAX_DEPTH];	/* no member written yet at depth */
};

void json_init(struct json *j, char *buf, size_t cap);
void json_obj_open(struct json *j, const char *key);	/* key NULL: value */
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *s);
void json_strn(struct json *j, const char *key, const char *s, size_t n);
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
/* Finite doubles with `prec` decimals; NaN and infinities become null. */
void json_num(struct json *j, const char *key, double v, int prec);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* The text length, or a negative errno (-ENOSPC, -EINVAL for unbalanced
 * nesting). The buffer is NUL-terminated on success. */
int json_end(struct json *j);

#endif
