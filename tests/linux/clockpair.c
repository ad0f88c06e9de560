// SPDX-License-Identifier: Apache-2.0
/*
 * clockpair [N]: Linux's CLOCK_MONOTONIC read between two host-time reads
 * through the backdoor (GETTIMEFULL, microseconds of host UNIX time), N
 * times (default 9); prints the narrowest bracket as
 * "clockpair: mono_ns=M host_us=H width_us=W", H its middle. The Linux
 * tests compare the guest's clock with host time this way, without the
 * console's round trip. Exit 1 when the host time cannot be read (no
 * backdoor, or the host has not anchored it). Built static for the test
 * initramfs with the guest agent's backdoor code.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "backdoor.h"

static int host_us(uint64_t *ret)
{
	struct bd_time t;
	int err = bd_gettime(&t);

	if (err)
		return err;
	*ret = t.sec * 1000000 + t.usec;
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 9;
	uint64_t best_w = UINT64_MAX, best_h = 0, best_m = 0;

	for (int i = 0; i < n; i++) {
		struct timespec ts;
		uint64_t a, b, m;

		if (host_us(&a))
			goto fail;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (host_us(&b))
			goto fail;
		m = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
		if (b - a < best_w) {
			best_w = b - a;
			best_h = a + (b - a) / 2;
			best_m = m;
		}
	}
	printf("clockpair: mono_ns=%" PRIu64 " host_us=%" PRIu64
	       " width_us=%" PRIu64 "\n", best_m, best_h, best_w);
	return 0;
fail:
	fprintf(stderr, "clockpair: no host time through the backdoor\n");
	return 1;
}
