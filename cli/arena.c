// SPDX-License-Identifier: Apache-2.0
/*
 * jansson's allocator for verge: a bump arena released as a whole at
 * exit. A command lives for milliseconds and builds one reply tree; for
 * `vm list` of 100 VMs, malloc() and free() of its 7,000 nodes cost a
 * quarter of verge's instructions (callgrind). Frees of arena memory do
 * nothing. `events --follow` lives long: cli_arena_stop() makes later
 * allocations plain malloc() again, freed normally.
 *
 * Built with AddressSanitizer the arena is left out, so that ASan keeps
 * checking every jansson object's lifetime.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"

#define CHUNK	(256u << 10)
#define ALIGN	alignof(max_align_t)
#define BIG	(CHUNK / 4)	/* larger blocks come from malloc() */

#ifdef __SANITIZE_ADDRESS__
#define USE_ARENA	0
#else
#define USE_ARENA	1
#endif

struct chunk {
	struct chunk *next;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

static struct chunk *chunks;
static const struct chunk *last;	/* of the last free */
static bool stopped;

static bool in_chunk(const struct chunk *c, const void *p)
{
	return (const unsigned char *)p >= c->data &&
	       (const unsigned char *)p < c->data + CHUNK;
}

/* A reply tree is freed in the order it was built: the chunk of the last
 * free is looked at first (a 400 KB fleet takes 16 chunks). */
static bool in_arena(const void *p)
{
	if (last && in_chunk(last, p))
		return true;
	for (const struct chunk *c = chunks; c; c = c->next)
		if (in_chunk(c, p)) {
			last = c;
			return true;
		}
	return false;
}

static void *arena_malloc(size_t size)
{
	struct chunk *c = chunks;

	size = (size + ALIGN - 1) & ~(ALIGN - 1);
	if (stopped || size > BIG)
		return malloc(size);
	if (!c || c->used + size > CHUNK) {
		c = malloc(sizeof(*c) + CHUNK);
		if (!c)
			return NULL;
		c->next = chunks;
		c->used = 0;
		chunks = c;
	}
	c->used += size;
	return c->data + c->used - size;
}

static void arena_free(void *p)
{
	if (p && !in_arena(p))
		free(p);
}

void cli_arena_start(void)
{
	if (USE_ARENA)
		json_set_alloc_funcs(arena_malloc, arena_free);
}

void cli_arena_stop(void)
{
	stopped = true;
}

/* Only once no JSON value from the arena is left. */
void cli_arena_release(void)
{
	struct chunk *c;

	last = NULL;
	while ((c = chunks)) {
		chunks = c->next;
		free(c);
	}
}
