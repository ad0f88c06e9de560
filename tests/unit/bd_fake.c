// SPDX-License-Identifier: Apache-2.0
/* The fake guest of bd_fake.h. */
#include <string.h>

#include "bd_fake.h"

struct fake fake;

static int host_time(void *ctx, uint64_t *ret_ns)
{
	(void)ctx;
	if (!fake.time_valid)
		return -EAGAIN;
	*ret_ns = fake.time_ns;
	return 0;
}

static bool in_range(uint64_t va, size_t n)
{
	return va >= FAKE_VA && n <= FAKE_SIZE && va - FAKE_VA <= FAKE_SIZE - n;
}

static int read_guest(void *ctx, void *dst, uint64_t va, size_t n)
{
	(void)ctx;
	if (!in_range(va, n))
		return -EFAULT;
	memcpy(dst, fake.mem + (va - FAKE_VA), n);
	return 0;
}

static int write_guest(void *ctx, uint64_t va, const void *src, size_t n)
{
	(void)ctx;
	if (!in_range(va, n))
		return -EFAULT;
	memcpy(fake.mem + (va - FAKE_VA), src, n);
	return 0;
}

const struct bd_ops fake_ops = { host_time, read_guest, write_guest };

struct bd_ctx fake_ctx(struct gmsg *g, uint64_t now_ms)
{
	struct bd_ctx b = { &fake_ops, NULL, 62500000, NULL, g, now_ms, 42 };

	return b;
}
