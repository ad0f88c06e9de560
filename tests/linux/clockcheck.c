// SPDX-License-Identifier: Apache-2.0
/*
 * clockcheck [SECONDS [BOUND_US]]: CLOCK_MONOTONIC must never go back on
 * a CPU, and the CPUs must agree. Two threads, pinned to CPU 0 and CPU 1,
 * read the clock in a tight loop for SECONDS (of the clock itself, default
 * 8). Each publishes its latest reading; before each read it loads the
 * other's published value v_o, which was read at some t_o <= now, so its
 * own reading must be >= v_o - BOUND (the allowed cross-CPU disagreement,
 * default 2000 us). Prints one summary line; exit status 0 when clean.
 * Built static for the test initramfs (/bin/clockcheck).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct worker {
	pthread_t thread;
	int cpu;
	int pinned;
	uint64_t reads;
	uint64_t backwards, maxback_ns;
	uint64_t cross_violations;
	int64_t maxskew_ns;	/* largest v_o - own reading seen */
};

static _Atomic int64_t published[2];
static int64_t duration_ns, bound_ns;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	int64_t start, last, now, other;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	w->pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
	sched_yield();
	start = last = mono_ns();
	atomic_store(&published[w->cpu], last);
	w->maxskew_ns = INT64_MIN;
	do {
		other = atomic_load(&published[!w->cpu]);
		now = mono_ns();
		w->reads++;
		if (now < last) {
			w->backwards++;
			if ((uint64_t)(last - now) > w->maxback_ns)
				w->maxback_ns = last - now;
		}
		if (other - now > w->maxskew_ns)
			w->maxskew_ns = other - now;
		if (now < other - bound_ns)
			w->cross_violations++;
		atomic_store(&published[w->cpu], now);
		last = now;
	} while (now - start < duration_ns);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[2] = { { .cpu = 0 }, { .cpu = 1 } };
	uint64_t backwards = 0, maxback = 0, cross = 0, reads = 0;
	int64_t maxskew = INT64_MIN;
	int pinned = 1;

	duration_ns = (argc > 1 ? atof(argv[1]) : 8.0) * 1e9;
	bound_ns = (argc > 2 ? atof(argv[2]) : 2000.0) * 1e3;
	atomic_store(&published[0], mono_ns());
	atomic_store(&published[1], mono_ns());
	for (int i = 0; i < 2; i++)
		if (pthread_create(&w[i].thread, NULL, run, &w[i])) {
			perror("clockcheck: pthread_create");
			return 2;
		}
	for (int i = 0; i < 2; i++) {
		pthread_join(w[i].thread, NULL);
		backwards += w[i].backwards;
		if (w[i].maxback_ns > maxback)
			maxback = w[i].maxback_ns;
		cross += w[i].cross_violations;
		if (w[i].maxskew_ns > maxskew)
			maxskew = w[i].maxskew_ns;
		reads += w[i].reads;
		pinned &= w[i].pinned;
	}
	printf("clockcheck: backwards=%llu maxback_ns=%llu cross_violations=%llu "
	       "maxskew_ns=%lld reads=%llu pinned=%d\n",
	       (unsigned long long)backwards, (unsigned long long)maxback,
	       (unsigned long long)cross, (long long)maxskew,
	       (unsigned long long)reads, pinned);
	return backwards || cross || !pinned;
}
