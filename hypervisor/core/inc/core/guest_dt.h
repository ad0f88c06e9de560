/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's device tree, rewritten from the machine's with libfdt:
 * the hypervisor's RAM leaves /memory, /chosen/bootargs becomes the guest
 * command line, and the devices the hypervisor owns (virtio-mmio, fw-cfg,
 * the GIC ITS, every arm,sbsa-gwdt of the board) disappear, with the MSI
 * references to them; the emulated watchdog and the agent's doorbell
 * appear.
 */
#ifndef CORE_GUEST_DT_H
#define CORE_GUEST_DT_H
#include <core/compat.h>

struct guest_dt_params {
	uint64_t hv_base, hv_end;	/* hypervisor memory [base, end) */
	const char *cmdline;		/* guest command line */
	uint64_t timer_freq;		/* /timer clock-frequency, 0 = leave */
	bool phys_timer_only;		/* drop the virtual timer's PPI */
	/* The emulated SBSA watchdog (core/wdt.h): an arm,sbsa-gwdt node
	 * with both frames and its WS0 SPI; wdt_ctrl 0 = none. */
	uint64_t wdt_ctrl, wdt_refresh;
	unsigned wdt_spi;
	/* /chosen rng-seed then kaslr-seed for the guest (GUEST_DT_SEED
	 * bytes), or NULL: the machine DT's seeds are never passed on. */
	const uint8_t *seed;
	/* The agent's doorbell (core/doorbell.h): a gpio-keys node named
	 * and labelled doorbell_label with one interrupt-only key
	 * (doorbell_code) on this SPI (edge); 0 = none. Left out when a
	 * machine DT node already uses that SPI. */
	unsigned doorbell_spi;
	const char *doorbell_label;
	uint32_t doorbell_code;
};

#define GUEST_DT_RNG_SEED	32
#define GUEST_DT_KASLR_SEED	8
#define GUEST_DT_SEED		(GUEST_DT_RNG_SEED + GUEST_DT_KASLR_SEED)

/* Buffer size the guest DT needs (the machine DT's size plus room). */
size_t guest_dt_size(const void *fdt, const struct guest_dt_params *prm);

/* Writes the guest DT into out (outlen bytes, packed afterwards). */
int guest_dt_build(const void *fdt, void *out, size_t outlen,
		   const struct guest_dt_params *prm, struct hv_err *err);
/* Whether a built guest DT has the doorbell node of that label. */
bool guest_dt_has_doorbell(const void *dt, const char *label);
#endif
