// SPDX-License-Identifier: Apache-2.0
/* Exponential back-off (see backoff.h). */
#include "backoff.h"

void backoff_init(struct backoff *b, uint32_t min_ms, uint32_t max_ms)
{
	b->min_ms = min_ms ? min_ms : 1;
	b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
	backoff_reset(b);
}

void backoff_reset(struct backoff *b)
{
	b->cur_ms = b->min_ms;
	b->failures = 0;
}

uint32_t backoff_next(struct backoff *b)
{
	uint32_t d = b->cur_ms;

	/* Doubling cannot overflow: cur_ms <= max_ms, compared before. */
	b->cur_ms = d > b->max_ms / 2 ? b->max_ms : d * 2;
	if (b->failures != UINT32_MAX)
		b->failures++;
	return d;
}
