/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake guest for the backdoor unit tests: guest memory is one array at
 * FAKE_VA (anything else faults, as an AT translation would), host time
 * is a settable value. Not the hypervisor's AT path (that one runs under
 * QEMU in tests/hv): the pure logic only needs 0 or -EFAULT from it.
 */
#ifndef BD_FAKE_H
#define BD_FAKE_H
#include <core/backdoor.h>
#include <core/guestmsg.h>

#define FAKE_VA		0x10000ull
#define FAKE_SIZE	0x4000

struct fake {
	uint8_t mem[FAKE_SIZE];
	bool time_valid;
	uint64_t time_ns;
};

extern struct fake fake;
extern const struct bd_ops fake_ops;

/* A bd_ctx over the fake and the given channels. */
struct bd_ctx fake_ctx(struct gmsg *g, uint64_t now_ms);
#endif
