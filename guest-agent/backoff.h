/* SPDX-License-Identifier: Apache-2.0 */
/* Exponential back-off: the delay starts at min_ms, doubles after each
 * consecutive failure (or idle poll) and saturates at max_ms; a success
 * resets it. Pure arithmetic, so it is unit tested on the host. */
#ifndef VGA_BACKOFF_H
#define VGA_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint32_t min_ms;
	uint32_t max_ms;
	uint32_t cur_ms;	/* the delay the next backoff_next() returns */
	uint32_t failures;	/* consecutive, saturating */
};

/* min_ms 0 is taken as 1 and max_ms < min_ms as min_ms, so the result is
 * never 0: a caller that sleeps it never spins. */
void backoff_init(struct backoff *b, uint32_t min_ms, uint32_t max_ms);
/* The delay to wait now; the following one is doubled (<= max_ms). */
uint32_t backoff_next(struct backoff *b);
void backoff_reset(struct backoff *b);

#endif
