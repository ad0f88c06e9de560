// SPDX-License-Identifier: Apache-2.0
/*
 * Linux's clock against host time, through the backdoor (GETTIMEFULL:
 * microseconds of host UNIX time). Built static for the test initramfs
 * with the guest agent's backdoor code; used by tests/linux/test_ecv.py
 * and bench/ecv.py.
 *
 *   clockpair [N]          CLOCK_MONOTONIC read between two host-time
 *                          reads, N times (default 9); prints the
 *                          narrowest bracket: "clockpair: mono_ns=M
 *                          host_us=H width_us=W", H its middle.
 *   clockpair cost N       N clock_gettime(CLOCK_MONOTONIC) calls timed in
 *                          host time: "clockpair: cost_ns=C calls=N".
 *   clockpair timer N US   N absolute sleeps US microseconds of guest
 *                          time apart: how late each wake-up was, in
 *                          guest time: "clockpair: timer p50_us=A
 *                          p99_us=B max_us=C n=N".
 *
 * Exit 1 when the host time cannot be read (no backdoor, or the host has
 * not anchored it), 2 on bad arguments.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdoor.h"

#define MAX_SAMPLES	100000

static int host_us(uint64_t *ret)
{
	struct bd_time t;
	int err = bd_gettime(&t);

	if (err)
		return err;
	*ret = t.sec * 1000000 + t.usec;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static int pair(int n)
{
	uint64_t best_w = UINT64_MAX, best_h = 0, best_m = 0;

	for (int i = 0; i < n; i++) {
		uint64_t a, b, m;

		if (host_us(&a))
			return 1;
		m = mono_ns();
		if (host_us(&b))
			return 1;
		if (b - a < best_w) {
			best_w = b - a;
			best_h = a + (b - a) / 2;
			best_m = m;
		}
	}
	printf("clockpair: mono_ns=%" PRIu64 " host_us=%" PRIu64
	       " width_us=%" PRIu64 "\n", best_m, best_h, best_w);
	return 0;
}

static int cost(long n)
{
	uint64_t a, b;
	volatile uint64_t sink = 0;

	if (host_us(&a))
		return 1;
	for (long i = 0; i < n; i++)
		sink += mono_ns();
	if (host_us(&b))
		return 1;
	printf("clockpair: cost_ns=%" PRIu64 " calls=%ld\n",
	       (b - a) * 1000 / (uint64_t)n, n);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int timer(long n, long period_us)
{
	static uint64_t late[MAX_SAMPLES];
	uint64_t next = mono_ns();

	for (long i = 0; i < n; i++) {
		struct timespec ts;

		next += (uint64_t)period_us * 1000;
		ts.tv_sec = (time_t)(next / 1000000000);
		ts.tv_nsec = (long)(next % 1000000000);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		late[i] = mono_ns() - next;
		if (mono_ns() > next + (uint64_t)period_us * 1000)
			next = mono_ns();	/* do not catch up */
	}
	qsort(late, (size_t)n, sizeof(late[0]), cmp_u64);
	printf("clockpair: timer p50_us=%.1f p99_us=%.1f max_us=%.1f n=%ld\n",
	       late[n / 2] / 1e3, late[n * 99 / 100] / 1e3, late[n - 1] / 1e3,
	       n);
	return 0;
}

int main(int argc, char **argv)
{
	long n, us;

	if (argc > 1 && !strcmp(argv[1], "cost")) {
		n = argc > 2 ? atol(argv[2]) : 0;
		if (n <= 0)
			return 2;
		if (cost(n)) {
			fputs("clockpair: no host time through the backdoor\n",
			      stderr);
			return 1;
		}
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "timer")) {
		n = argc > 2 ? atol(argv[2]) : 0;
		us = argc > 3 ? atol(argv[3]) : 0;
		if (n <= 0 || n > MAX_SAMPLES || us <= 0)
			return 2;
		return timer(n, us);
	}
	n = argc > 1 ? atol(argv[1]) : 9;
	if (n <= 0)
		return 2;
	if (pair((int)n)) {
		fputs("clockpair: no host time through the backdoor\n", stderr);
		return 1;
	}
	return 0;
}
