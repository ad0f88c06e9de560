/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small JSON text writer for the replies verged sends most (vm.list):
 * building them as jansson objects and dumping them cost ten times more
 * than writing the text. Only what verged needs: objects, arrays, keys,
 * escaped strings, integers, fixed-point numbers, booleans and null.
 */
#ifndef VERGED_JSONW_H
#define VERGED_JSONW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The text grows in a struct buf (buf.h). */
struct jw {
	struct buf b;
};

void jw_init(struct jw *w);
/* Hands over the NUL-terminated text (NULL if memory ran out). */
char *jw_finish(struct jw *w, size_t *ret_len);
void jw_open(struct jw *w, char bracket);	/* '{' or '[' */
void jw_close(struct jw *w, char bracket);	/* '}' or ']' */
/* Starts the next member ("key":) or array element, with its comma. */
void jw_key(struct jw *w, const char *key);
void jw_elem(struct jw *w);
void jw_str(struct jw *w, const char *s);	/* NULL writes null */
void jw_int(struct jw *w, int64_t v);
/* v with `decimals` (0-9) fraction digits, rounded; not finite: null. */
void jw_fixed(struct jw *w, double v, int decimals);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_raw(struct jw *w, const char *s, size_t n);
#endif
