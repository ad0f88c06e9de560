/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer for the REST bodies. An allocation failure is
 * remembered (buf.oom) and checked once at the end, so builders need not
 * test every append.
 */
#ifndef VERGED_BUF_H
#define VERGED_BUF_H
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct buf {
	char *data;
	size_t len, cap;
	bool oom;
};

/* Room for n more bytes and a NUL after them; false (and b->oom) if
 * memory ran out. For writers that store bytes themselves. */
bool buf_reserve(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends j as compact JSON (any value). */
void buf_json(struct buf *b, const json_t *j);
/* Appends s as a JSON string; bytes that are not UTF-8 become '?'. */
void buf_json_str(struct buf *b, const char *s);
/* The NUL-terminated bytes, now the caller's (NULL after a failure);
 * ret_len may be NULL. */
char *buf_steal(struct buf *b, size_t *ret_len);
void buf_free(struct buf *b);
#endif
