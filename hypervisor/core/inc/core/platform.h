/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What verge-hv learns from the machine's device tree before the guest
 * starts: RAM, the devices the guest may reach, the GIC, the CPUs.
 */
#ifndef CORE_PLATFORM_H
#define CORE_PLATFORM_H
#include <core/compat.h>

#define PLAT_MAX_REGIONS	96
#define PLAT_MAX_CPUS		8

enum region_kind {
	REGION_RAM,		/* guest RAM, minus the hypervisor's */
	REGION_DEVICE,		/* guest-owned device window: mapped 1:1 */
	REGION_GICD,		/* trapped and forwarded, never mapped */
	REGION_GICR,		/* trapped and forwarded, never mapped */
	REGION_HV_DEVICE,	/* hypervisor-owned: hidden from the guest */
	REGION_HV_WDT,		/* the board's SBSA watchdog: hidden too */
};

struct region {
	uint64_t base;
	uint64_t size;
	enum region_kind kind;
	unsigned irq;		/* GIC INTID of a hypervisor device, or 0 */
};

/* The board's SBSA Generic Watchdog (an arm,sbsa-gwdt node under the
 * root): verge-hv drives the first one (drivers/sbsa_gwdt.h); every one
 * is hidden from the guest. */
struct board_wdt {
	uint64_t ctrl, ctrl_size;	/* control frame; ctrl 0: none */
	uint64_t refresh, refresh_size;	/* refresh frame */
	unsigned irq;			/* its WS0 INTID, or 0 */
	unsigned others;		/* further nodes: hidden, not driven */
	uint64_t other_ctrl;		/* the control frame of the first */
};

struct platform {
	struct region regions[PLAT_MAX_REGIONS];
	unsigned nregions;
	uint64_t cpu_mpidr[PLAT_MAX_CPUS];
	unsigned ncpus;
	uint64_t ram_base;	/* lowest RAM address */
	uint64_t uart;		/* PL011 base, 0 if none */
	uint64_t gicd;
	uint64_t gicr, gicr_size;
	uint64_t initrd_start, initrd_end;	/* 0 if no initrd */
	const char *bootargs;	/* points into the DTB; "" if none */
	struct board_wdt wdt;
};

/* Reads the machine DT. Fills *ret; on error fills err. */
int platform_probe(const void *fdt, struct platform *ret, struct hv_err *err);
const struct region *platform_find(const struct platform *p, uint64_t addr);
/*
 * Whether [pa, pa + n) is guest RAM that the hypervisor may copy to or
 * from for the guest: all of it in one RAM bank, none of it in the
 * hypervisor's own memory [hv_base, hv_end), no device. The backdoor
 * checks every translated page with it, at every copy (docs/backdoor.md,
 * "Guest memory").
 */
bool platform_guest_ram(const struct platform *p, uint64_t hv_base,
			uint64_t hv_end, uint64_t pa, uint64_t n);
const char *region_kind_name(enum region_kind k);
#endif
