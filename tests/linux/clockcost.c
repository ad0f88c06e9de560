// SPDX-License-Identifier: Apache-2.0
/*
 * clockcost N: the cost of clock_gettime(CLOCK_MONOTONIC) (the vDSO's
 * counter read) in the guest's own time, over N calls, best of 5 rounds:
 *   clockcost: calls=N ns_per_call=X.XXX
 * make bench compares it across clock rates in one run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double ns(const struct timespec *t)
{
	return (double)t->tv_sec * 1e9 + (double)t->tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	double best = 0;
	struct timespec a, b, x;

	if (n <= 0 || n > 100000000) {
		fprintf(stderr, "usage: clockcost N (1..100000000)\n");
		return 2;
	}
	for (int round = 0; round < 5; round++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &x);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (round == 0 || ns(&b) - ns(&a) < best)
			best = ns(&b) - ns(&a);
	}
	printf("clockcost: calls=%ld ns_per_call=%.3f\n", n, best / (double)n);
	return 0;
}
