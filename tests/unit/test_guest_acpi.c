// SPDX-License-Identifier: Apache-2.0
/*
 * verge.acpi=1 on the host: guest_dt_build() then guest_acpi_build() on
 * the QEMU virt DTB. The tables go where asked, the DT keeps only
 * /chosen, /memory and /reserved-memory, the region is reserved, the
 * command line names the RSDP, and the EFI hand-off (system table with
 * the ACPI 2.0 configuration table, memory map) describes guest RAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <core/guest_acpi.h>
#include <core/guest_dt.h>
#include <core/guest_efi.h>
#include <libfdt.h>
#include <stdlib.h>
#include "fixture.h"

#define HV_BASE		0x40000000ull
#define HV_END		0x40200000ull
#define REGION		0x7fde0000ull	/* as main.c places it for 1 GiB */

static void *virt;
static uint8_t *region;
static void *dt;
static size_t dt_room;

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* A big-endian 64-bit DT value (properties are only 4-byte aligned). */
static uint64_t be64(const void *p)
{
	fdt64_t v;

	memcpy(&v, p, sizeof(v));
	return fdt64_to_cpu(v);
}

static const uint8_t *at(uint64_t addr, size_t len)
{
	assert_true(addr >= REGION && addr + len <= REGION + GUEST_ACPI_SIZE);
	return region + (addr - REGION);
}

static int setup(void **state)
{
	size_t size;
	/* With the emulated watchdog, as main.c builds it (core/wdt.h). */
	struct guest_dt_params prm = { HV_BASE, HV_END, "console=ttyAMA0", 0, false,
				       0x0b000000, 0x0b010000, 14, NULL, 0, NULL, 0 };
	struct hv_err err = { "" };
	char sigs[80];
	int r;

	(void)state;
	virt = fixture_virt_dtb(&size);
	if (!virt)
		return -1;
	dt_room = guest_dt_size(virt, &prm);
	region = aligned_alloc(4096, GUEST_ACPI_SIZE);
	dt = malloc(dt_room);
	if (!region || !dt)
		return -1;
	memset(region, 0xa5, GUEST_ACPI_SIZE);
	r = guest_dt_build(virt, dt, dt_room, &prm, &err);
	if (r == 0)
		r = guest_acpi_build(dt, dt_room, region, REGION, sigs,
				     sizeof(sigs), &err);
	if (r) {
		fprintf(stderr, "guest ACPI: %d %s\n", r, err.msg);
		return -1;
	}
	/* no ITS in the guest (the hypervisor owns it): no IORT */
	if (strcmp(sigs, "RSDP XSDT FACP DSDT APIC GTDT PPTT SPCR DBG2 MCFG")) {
		fprintf(stderr, "tables: %s\n", sigs);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(virt);
	free(region);
	free(dt);
	return 0;
}

static void test_dt_keeps_no_devices(void **state)
{
	int node;

	(void)state;
	fdt_for_each_subnode(node, dt, 0) {
		const char *n = fdt_get_name(dt, node, NULL);

		if (strcmp(n, "chosen") && strncmp(n, "memory@", 7) &&
		    strcmp(n, "reserved-memory"))
			fail_msg("device node /%s left in the guest DT", n);
	}
	assert_true(fdt_path_offset(dt, "/chosen") >= 0);
}

static void test_cmdline_and_reservation(void **state)
{
	char want[96];
	const char *args;
	const fdt32_t *reg;
	int node, len;

	(void)state;
	args = fdt_getprop(dt, fdt_path_offset(dt, "/chosen"), "bootargs", NULL);
	snprintf(want, sizeof(want),
		 "console=ttyAMA0 efi=noruntime acpi=force acpi_rsdp=0x%llx",
		 REGION);
	assert_string_equal(args, want);
	node = fdt_path_offset(dt, "/reserved-memory/acpi@7fde0000");
	assert_true(node >= 0);
	assert_null(fdt_getprop(dt, node, "no-map", NULL));
	reg = fdt_getprop(dt, node, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(be64(reg), REGION);
	assert_int_equal(be64(reg + 2), GUEST_ACPI_SIZE);
}

static void test_rsdp_at_region(void **state)
{
	const uint8_t *rsdp = at(REGION, 36);
	uint8_t sum = 0;

	(void)state;
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	for (int i = 0; i < 36; i++)
		sum += rsdp[i];
	assert_int_equal(sum, 0);
	assert_memory_equal(at(le(rsdp + 24, 8), 4), "XSDT", 4);
}

/* The emulated SBSA watchdog is the GTDT's one platform timer structure
 * (what Linux's GTDT code hands to sbsa_gwdt): control and refresh
 * frames, GSIV 46, level, active high, non-secure. */
static void test_gtdt_watchdog(void **state)
{
	const uint8_t *xsdt = at(le(at(REGION, 36) + 24, 8), 36);
	const uint8_t *gtdt = NULL, *w;
	uint32_t n = ((uint32_t)le(xsdt + 4, 4) - 36) / 8;
	uint8_t sum = 0;

	(void)state;
	for (uint32_t i = 0; i < n && !gtdt; i++) {
		const uint8_t *t = at(le(at(le(at(REGION, 36) + 24, 8) + 36 + 8 * i, 8), 8), 36);

		if (!memcmp(t, "GTDT", 4))
			gtdt = t;
	}
	assert_non_null(gtdt);
	assert_int_equal(le(gtdt + 4, 4), 96 + 28);
	gtdt = at((uint64_t)(gtdt - region) + REGION, 96 + 28);
	for (int i = 0; i < 96 + 28; i++)
		sum += gtdt[i];
	assert_int_equal(sum, 0);
	assert_int_equal(le(gtdt + 88, 4), 1);		/* platform timer count */
	assert_int_equal(le(gtdt + 92, 4), 96);		/* its offset */
	w = gtdt + 96;
	assert_int_equal(w[0], 1);			/* SBSA Generic Watchdog */
	assert_int_equal(le(w + 1, 2), 28);
	assert_int_equal(le(w + 4, 8), 0x0b010000);	/* refresh frame */
	assert_int_equal(le(w + 12, 8), 0x0b000000);	/* control frame */
	assert_int_equal(le(w + 20, 4), 46);
	assert_int_equal(le(w + 24, 4), 0);
}

static void test_efi_handoff(void **state)
{
	static const uint8_t acpi20[16] = {
		0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
		0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81,
	};
	int chosen = fdt_path_offset(dt, "/chosen"), len;
	const void *p64;
	const fdt32_t *p32;
	const uint8_t *st, *ct, *map;
	uint64_t conv = 0, reclaim = 0;
	uint32_t msize, dsize;

	(void)state;
	p64 = fdt_getprop(dt, chosen, "linux,uefi-system-table", &len);
	assert_int_equal(len, 8);
	st = at(be64(p64), 120);
	assert_int_equal(le(st, 8), 0x5453595320494249ull);	/* IBI SYST */
	/* header CRC32 over the whole 120-byte table, its own field zeroed */
	{
		uint8_t copy[120];

		assert_int_equal(guest_efi_crc32("123456789", 9), 0xcbf43926);
		memcpy(copy, st, sizeof(copy));
		memset(copy + 16, 0, 4);
		assert_int_equal(le(st + 16, 4), guest_efi_crc32(copy, sizeof(copy)));
	}
	assert_int_equal(le(st + 104, 8), 1);			/* one table */
	ct = at(le(st + 112, 8), 24);
	assert_memory_equal(ct, acpi20, 16);
	assert_int_equal(le(ct + 16, 8), REGION);		/* the RSDP */
	p64 = fdt_getprop(dt, chosen, "linux,uefi-mmap-start", &len);
	p32 = fdt_getprop(dt, chosen, "linux,uefi-mmap-size", NULL);
	msize = fdt32_to_cpu(*p32);
	p32 = fdt_getprop(dt, chosen, "linux,uefi-mmap-desc-size", NULL);
	dsize = fdt32_to_cpu(*p32);
	assert_int_equal(dsize, 40);
	assert_non_null(fdt_getprop(dt, chosen, "linux,uefi-secure-boot", NULL));
	map = at(be64(p64), msize);
	for (uint32_t off = 0; off < msize; off += dsize) {
		uint64_t base = le(map + off + 8, 8), pages = le(map + off + 24, 8);

		assert_true(base >= HV_END);	/* hypervisor RAM never listed */
		if (le(map + off, 4) == 9) {
			assert_int_equal(base, REGION);
			reclaim += pages * 4096;
		} else {
			assert_int_equal(le(map + off, 4), 7);
			conv += pages * 4096;
		}
	}
	assert_int_equal(reclaim, GUEST_ACPI_SIZE);
	/* 1 GiB fixture minus the hypervisor's 2 MiB */
	assert_int_equal(conv + reclaim, 0x40000000ull - (HV_END - HV_BASE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dt_keeps_no_devices),
		cmocka_unit_test(test_cmdline_and_reservation),
		cmocka_unit_test(test_rsdp_at_region),
		cmocka_unit_test(test_efi_handoff),
		cmocka_unit_test(test_gtdt_watchdog),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
