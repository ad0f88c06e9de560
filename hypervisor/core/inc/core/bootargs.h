/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /chosen/bootargs: "verge.opt=value ... -- guest command line".
 * Unknown options and bad values are errors: verge-hv refuses to boot.
 */
#ifndef CORE_BOOTARGS_H
#define CORE_BOOTARGS_H
#include <core/compat.h>

#define BOOTARGS_MAX	2048

struct hv_config {
	uint64_t kernel;	/* verge.kernel: guest Image address (required) */
	unsigned tick_hz;	/* verge.tick: hypervisor tick, 1..1000 Hz */
	unsigned stats_s;	/* verge.stats: print exit counters every N s */
	uint64_t freq;		/* verge.freq: presented counter Hz, 0 = host's */
	unsigned ptimer;	/* verge.ptimer=1: hide the virtual timer PPI */
	unsigned acpi;		/* verge.acpi=1: boot the guest with ACPI */
	unsigned dilate;	/* verge.dilate=1: dilation even with FEAT_ECV */
	unsigned wdt_s;		/* verge.wdt: boot watchdog timeout, 0 = off */
	unsigned wdt_loader;	/* verge.wdt_loader=1: the guest image is a
				 * boot loader that hands off itself */
	unsigned doorbell;	/* verge.doorbell=0: no agent doorbell */
	uint32_t rate_num;	/* verge.rate: initial rate num/den, 0 = none */
	uint32_t rate_den;
	bool has_uuid;		/* verge.uuid: the backdoor's GETUUID */
	uint8_t uuid[16];	/* bytes in the order the text gives them */
	char guest_cmdline[BOOTARGS_MAX];
};

/* Parses args into *ret; on error fills err and leaves *ret untouched. */
int bootargs_parse(const char *args, struct hv_config *ret,
		   struct hv_err *err);
#endif
