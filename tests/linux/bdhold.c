// SPDX-License-Identifier: Apache-2.0
/*
 * bdhold SECONDS: takes every free backdoor message channel (RPCI opens
 * until the hypervisor refuses, at most 32), prints "bdhold: held N" and
 * keeps them in use (a RECVSIZE step on each every 500 ms, so none looks
 * idle enough to be reclaimed) for SECONDS, then closes them. The Linux
 * tests use it to make every other channel user fail for a while. Built
 * static with the guest agent's backdoor and channel code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "backdoor.h"
#include "msgchan.h"

#define MAX_HOLD 32

int main(int argc, char **argv)
{
	static struct msg_chan ch[MAX_HOLD];
	struct timespec half = { 0, 500000000 };
	char buf[64];
	int n = 0, i, secs;
	size_t len;

	if (argc != 2 || (secs = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: bdhold SECONDS\n");
		return 2;
	}
	if (!bd_present()) {
		fprintf(stderr, "bdhold: no backdoor\n");
		return 1;
	}
	while (n < MAX_HOLD && msg_open(&ch[n], RPCI_PROTOCOL, false) == 0)
		n++;
	printf("bdhold: held %d\n", n);
	fflush(stdout);
	for (i = 0; i < secs * 2; i++) {
		nanosleep(&half, NULL);
		for (int k = 0; k < n; k++)
			msg_recv(&ch[k], buf, sizeof(buf), &len);
	}
	for (i = 0; i < n; i++)
		msg_close(&ch[i]);
	printf("bdhold: released\n");
	return 0;
}
