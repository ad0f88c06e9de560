// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness: the hypervisor's /chosen/bootargs parser
 * (hypervisor/core/bootargs.c), built for the host as tests/unit does.
 * The input is the property's text (a C string, as fdt_getprop gives
 * it). Checks the contract of bootargs.h: a refused line leaves the
 * config untouched and says why; an accepted one holds only values in
 * their documented ranges and a terminated guest command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <core/bootargs.h>

#include "fuzz.h"

#define SENTINEL 0xa5

static struct hv_config cfg, before;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_err err;
	char *args = malloc(size + 1);
	int r;

	if (!args)
		return 0;
	memcpy(args, data, size);
	args[size] = '\0';
	memset(&cfg, SENTINEL, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(before));
	memset(&err, 0, sizeof(err));
	r = bootargs_parse(args, &cfg, &err);
	FUZZ_CHECK(r == 0 || r < 0);
	FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
	if (r) {
		FUZZ_CHECK(!memcmp(&cfg, &before, sizeof(cfg)));
		FUZZ_CHECK(err.msg[0]);
	} else {
		FUZZ_CHECK(cfg.kernel >= 0x1000);
		FUZZ_CHECK(cfg.tick_hz >= 1 && cfg.tick_hz <= 1000);
		FUZZ_CHECK(cfg.stats_s <= 3600);
		FUZZ_CHECK(!cfg.freq ||
			   (cfg.freq >= 1000 && cfg.freq <= UINT32_MAX));
		FUZZ_CHECK(cfg.ptimer <= 1 && cfg.acpi <= 1);
		FUZZ_CHECK(!cfg.rate_num == !cfg.rate_den);
		/* 0.01 <= num/den <= 100 */
		FUZZ_CHECK(!cfg.rate_num ||
			   ((uint64_t)cfg.rate_num * 100 >= cfg.rate_den &&
			    cfg.rate_num <= (uint64_t)cfg.rate_den * 100));
		FUZZ_CHECK(memchr(cfg.guest_cmdline, '\0',
				  sizeof(cfg.guest_cmdline)));
		FUZZ_CHECK(strlen(cfg.guest_cmdline) <= size);
	}
	free(args);
	return 0;
}
