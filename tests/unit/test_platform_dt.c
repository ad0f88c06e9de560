// SPDX-License-Identifier: Apache-2.0
/*
 * platform_probe() and guest_dt_build() on the QEMU virt DTB, and on
 * copies of it edited here with libfdt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <core/guest_dt.h>
#include <core/platform.h>
#include <libfdt.h>
#include <stdlib.h>
#include "fixture.h"

#define HV_BASE		0x40000000UL
#define HV_END		0x40200000UL

static void *virt;

static const void *virt_dtb(void)
{
	if (!virt)
		fail_msg("no virt DTB fixture");
	return virt;
}

static void probe(const void *fdt, struct platform *p)
{
	struct hv_err err = { "" };
	int r = platform_probe(fdt, p, &err);

	if (r)
		fail_msg("platform_probe: %d %s", r, err.msg);
}

/* The region [base, base + size) must be there, as kind. */
static void has_region(const struct platform *p, uint64_t base,
		       uint64_t size, enum region_kind kind)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct region *r = &p->regions[i];

		if (r->base == base && r->size == size && r->kind == kind)
			return;
	}
	fail_msg("no %s region 0x%llx+0x%llx", region_kind_name(kind),
		 (unsigned long long)base, (unsigned long long)size);
}

static void no_region_at(const struct platform *p, uint64_t addr)
{
	const struct region *r = platform_find(p, addr);

	if (r)
		fail_msg("0x%llx is in a %s region 0x%llx+0x%llx",
			 (unsigned long long)addr, region_kind_name(r->kind),
			 (unsigned long long)r->base,
			 (unsigned long long)r->size);
}

static void test_probe_cpus(void **state)
{
	struct platform p;

	(void)state;
	probe(virt_dtb(), &p);
	assert_int_equal(p.ncpus, 2);
	assert_int_equal(p.cpu_mpidr[0], 0);
	assert_int_equal(p.cpu_mpidr[1], 1);
}

static void test_probe_memory(void **state)
{
	struct platform p;
	unsigned nram = 0;

	(void)state;
	probe(virt_dtb(), &p);
	has_region(&p, 0x40000000, 0x40000000, REGION_RAM);
	for (unsigned i = 0; i < p.nregions; i++)
		nram += p.regions[i].kind == REGION_RAM;
	assert_int_equal(nram, 1);
	assert_int_equal(p.ram_base, 0x40000000);
	assert_non_null(platform_find(&p, 0x7fffffff));
	assert_int_equal(platform_find(&p, 0x7fffffff)->kind, REGION_RAM);
	no_region_at(&p, 0x80000000);
}

/* The check every backdoor copy makes of a translated PA: guest RAM
 * only, never the hypervisor's memory, a device, or past a RAM bank. */
static void test_guest_ram_check(void **state)
{
	struct platform p;

	(void)state;
	probe(virt_dtb(), &p);
	assert_true(platform_guest_ram(&p, HV_BASE, HV_END, HV_END, 4096));
	assert_true(platform_guest_ram(&p, HV_BASE, HV_END, 0x7ffff000, 4096));
	/* The hypervisor's memory, or any part of it. */
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, HV_BASE, 1));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, HV_END - 1, 1));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, HV_BASE + 0x1000,
					4096));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, HV_BASE - 4, 8));
	assert_false(platform_guest_ram(&p, HV_BASE + 0x1000, HV_END,
					HV_BASE, 0x1001));
	/* Devices, the GIC, nothing, past the end of RAM, wrap-around. */
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, 0x09000000, 4));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, 0x08000000, 4));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, 0x080a0000, 4));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, 0x80000000, 4));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, 0x7ffffffc, 8));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, 0x7ffff000,
					UINT64_MAX));
	assert_false(platform_guest_ram(&p, HV_BASE, HV_END, HV_END, 0));
}

static void test_probe_gic_uart(void **state)
{
	struct platform p;

	(void)state;
	probe(virt_dtb(), &p);
	assert_int_equal(p.gicd, 0x08000000);
	assert_int_equal(p.gicr, 0x080a0000);
	assert_int_equal(p.gicr_size, 0xf60000);
	has_region(&p, 0x08000000, 0x10000, REGION_GICD);
	has_region(&p, 0x080a0000, 0xf60000, REGION_GICR);
	assert_int_equal(p.uart, 0x09000000);
	has_region(&p, 0x09000000, 0x1000, REGION_DEVICE);
	has_region(&p, 0x09010000, 0x1000, REGION_DEVICE);	/* PL031 */
	has_region(&p, 0x09030000, 0x1000, REGION_DEVICE);	/* PL061 */
}

static void test_probe_hv_devices(void **state)
{
	struct platform p;

	(void)state;
	probe(virt_dtb(), &p);
	for (uint64_t i = 0; i < 32; i++)
		has_region(&p, 0x0a000000 + i * 0x200, 0x200, REGION_HV_DEVICE);
	has_region(&p, 0x09020000, 0x18, REGION_HV_DEVICE);	/* fw-cfg */
	has_region(&p, 0x08080000, 0x20000, REGION_HV_DEVICE);	/* ITS */
}

static void test_probe_pci(void **state)
{
	struct platform p;

	(void)state;
	probe(virt_dtb(), &p);
	has_region(&p, 0x4010000000, 0x10000000, REGION_DEVICE);	/* ECAM */
	has_region(&p, 0x3eff0000, 0x10000, REGION_DEVICE);		/* I/O */
	has_region(&p, 0x10000000, 0x2eff0000, REGION_DEVICE);	/* MMIO */
	has_region(&p, 0x8000000000, 0x8000000000, REGION_DEVICE);
}

static void test_probe_chosen_absent(void **state)
{
	struct platform p;

	(void)state;
	probe(virt_dtb(), &p);
	assert_non_null(p.bootargs);
	assert_string_equal(p.bootargs, "");
	assert_int_equal(p.initrd_start, 0);
	assert_int_equal(p.initrd_end, 0);
}

/* A copy of the virt DTB with /chosen bootargs and an initrd. */
static void *virt_with_chosen(const char *bootargs, bool initrd_u64)
{
	void *fdt = fixture_dt_copy(virt_dtb(), 4096);
	int chosen;

	assert_non_null(fdt);
	chosen = fdt_path_offset(fdt, "/chosen");
	assert_true(chosen >= 0);
	if (bootargs)
		assert_int_equal(fdt_setprop_string(fdt, chosen, "bootargs",
						    bootargs), 0);
	if (initrd_u64) {
		assert_int_equal(fdt_setprop_u64(fdt, chosen, "linux,initrd-start",
						 0x48000000), 0);
		assert_int_equal(fdt_setprop_u64(fdt, chosen, "linux,initrd-end",
						 0x48123456), 0);
	} else {
		assert_int_equal(fdt_setprop_u32(fdt, chosen, "linux,initrd-start",
						 0x48000000), 0);
		assert_int_equal(fdt_setprop_u32(fdt, chosen, "linux,initrd-end",
						 0x48123456), 0);
	}
	return fdt;
}

static void test_probe_chosen(void **state)
{
	const char *args = "verge.kernel=0x44000000 -- console=ttyAMA0";
	struct platform p;
	void *fdt;

	(void)state;
	for (int u64 = 0; u64 < 2; u64++) {
		fdt = virt_with_chosen(args, u64);
		probe(fdt, &p);
		assert_string_equal(p.bootargs, args);
		/* It points into the DTB, which must outlive the platform. */
		assert_true(p.bootargs > (char *)fdt &&
			    p.bootargs < (char *)fdt + fdt_totalsize(fdt));
		assert_int_equal(p.initrd_start, 0x48000000);
		assert_int_equal(p.initrd_end, 0x48123456);
		free(fdt);
	}
}

/* A bootargs property without its NUL is not read past its end. */
static void test_probe_bootargs_unterminated(void **state)
{
	struct platform p;
	void *fdt = fixture_dt_copy(virt_dtb(), 4096);

	(void)state;
	assert_non_null(fdt);
	assert_int_equal(fdt_setprop(fdt, fdt_path_offset(fdt, "/chosen"),
				     "bootargs", "abc", 3), 0);
	probe(fdt, &p);
	assert_string_equal(p.bootargs, "");
	free(fdt);
}

static void test_probe_disabled_node(void **state)
{
	struct platform p;
	void *fdt = fixture_dt_copy(virt_dtb(), 4096);

	(void)state;
	assert_non_null(fdt);
	assert_int_equal(fdt_setprop_string(fdt, fdt_path_offset(fdt,
				"/pl031@9010000"), "status", "disabled"), 0);
	assert_int_equal(fdt_setprop_string(fdt, fdt_path_offset(fdt,
				"/pl061@9030000"), "status", "okay"), 0);
	probe(fdt, &p);
	no_region_at(&p, 0x09010000);
	has_region(&p, 0x09030000, 0x1000, REGION_DEVICE);
	free(fdt);
}

/* Failures: an error code, a message, and *ret left alone. */
static void probe_fails(const void *fdt, const char *want)
{
	struct platform p, before;
	struct hv_err err = { "" };
	int r;

	memset(&p, 0x5a, sizeof(p));
	memcpy(&before, &p, sizeof(p));
	r = platform_probe(fdt, &p, &err);
	if (r >= 0 || !strstr(err.msg, want))
		fail_msg("returned %d \"%s\", expected an error mentioning \"%s\"",
			 r, err.msg, want);
	assert_memory_equal(&p, &before, sizeof(p));
}

static void test_probe_garbage(void **state)
{
	static const uint32_t junk[64] = { 0xdeadbeef, 0x12345678 };

	(void)state;
	probe_fails(junk, "device tree");
}

static void test_probe_no_memory(void **state)
{
	void *fdt = fixture_dt_copy(virt_dtb(), 0);

	(void)state;
	assert_non_null(fdt);
	assert_int_equal(fdt_del_node(fdt, fdt_path_offset(fdt,
				"/memory@40000000")), 0);
	probe_fails(fdt, "memory");
	free(fdt);
}

static void test_probe_initrd_reversed(void **state)
{
	void *fdt = virt_with_chosen(NULL, true);

	(void)state;
	assert_int_equal(fdt_setprop_u64(fdt, fdt_path_offset(fdt, "/chosen"),
					 "linux,initrd-end", 0x47000000), 0);
	probe_fails(fdt, "initrd");
	free(fdt);
}

/* --- the board's SBSA watchdog (arm,sbsa-gwdt in the machine DT) ------ */

#define BWDT_CTRL	0x7c000000ULL
#define BWDT_REFRESH	0x7c010000ULL

/* The virt DT with a reserved-memory node over [res, res + res_size)
 * (none if res_size is 0). */
static void *with_reserved(uint64_t res, uint64_t res_size)
{
	void *fdt = fixture_dt_copy(virt_dtb(), 4096);
	fdt32_t reg[4];
	int rm, n;

	assert_non_null(fdt);
	if (!res_size)
		return fdt;
	rm = fdt_add_subnode(fdt, 0, "reserved-memory");
	assert_true(rm >= 0);
	assert_int_equal(fdt_setprop_u32(fdt, rm, "#address-cells", 2), 0);
	assert_int_equal(fdt_setprop_u32(fdt, rm, "#size-cells", 2), 0);
	assert_int_equal(fdt_setprop(fdt, rm, "ranges", NULL, 0), 0);
	n = fdt_add_subnode(fdt, rm, "board-wdt@7c000000");
	assert_true(n >= 0);
	reg[0] = cpu_to_fdt32(res >> 32);
	reg[1] = cpu_to_fdt32((uint32_t)res);
	reg[2] = cpu_to_fdt32(res_size >> 32);
	reg[3] = cpu_to_fdt32((uint32_t)res_size);
	assert_int_equal(fdt_setprop(fdt, n, "reg", reg, sizeof(reg)), 0);
	assert_int_equal(fdt_setprop(fdt, n, "no-map", NULL, 0), 0);
	return fdt;
}

/* Adds watchdog@NAME under the root with n (base, size) pairs. */
static void add_wdt(void *fdt, const char *name, const uint64_t *pairs,
		    int n, unsigned spi)
{
	fdt32_t reg[16], irq[3] = { cpu_to_fdt32(0), cpu_to_fdt32(spi),
				    cpu_to_fdt32(4) };
	int node = fdt_add_subnode(fdt, 0, name);

	assert_true(node >= 0 && n <= 4);
	for (int i = 0; i < 2 * n; i++) {
		reg[2 * i] = cpu_to_fdt32(pairs[i] >> 32);
		reg[2 * i + 1] = cpu_to_fdt32((uint32_t)pairs[i]);
	}
	assert_int_equal(fdt_setprop_string(fdt, node, "compatible",
					    "arm,sbsa-gwdt"), 0);
	assert_int_equal(fdt_setprop(fdt, node, "reg", reg, 16 * n), 0);
	assert_int_equal(fdt_setprop(fdt, node, "interrupts", irq,
				     sizeof(irq)), 0);
}

static void *board_wdt_dt(void)
{
	static const uint64_t frames[] = { BWDT_CTRL, 0x1000,
					   BWDT_REFRESH, 0x1000 };
	void *fdt = with_reserved(BWDT_CTRL, 0x20000);

	add_wdt(fdt, "watchdog@7c000000", frames, 2, 30);
	return fdt;
}

static void test_board_wdt_probe(void **state)
{
	static const uint64_t big[] = { 0x7c000000, 0x10000,
					0x7c010000, 0x10000 };
	void *fdt = board_wdt_dt();
	struct platform p;

	(void)state;
	probe(fdt, &p);
	assert_int_equal(p.wdt.ctrl, BWDT_CTRL);
	assert_int_equal(p.wdt.ctrl_size, 0x1000);
	assert_int_equal(p.wdt.refresh, BWDT_REFRESH);
	assert_int_equal(p.wdt.refresh_size, 0x1000);
	assert_int_equal(p.wdt.irq, 30 + 32);
	assert_int_equal(p.wdt.others, 0);
	has_region(&p, BWDT_CTRL, 0x1000, REGION_HV_WDT);
	has_region(&p, BWDT_REFRESH, 0x1000, REGION_HV_WDT);
	free(fdt);
	/* 64 KiB frames (boards with 64 KiB pages), in /memreserve/ RAM */
	fdt = with_reserved(0, 0);
	assert_int_equal(fdt_add_mem_rsv(fdt, BWDT_CTRL, 0x20000), 0);
	add_wdt(fdt, "watchdog@7c000000", big, 2, 30);
	probe(fdt, &p);
	assert_int_equal(p.wdt.ctrl_size, 0x10000);
	free(fdt);
	/* None: nothing found, nothing driven */
	probe(virt_dtb(), &p);
	assert_int_equal(p.wdt.ctrl, 0);
}

/* Every node is hidden; the first is the one driven. */
static void test_board_wdt_two_nodes(void **state)
{
	static const uint64_t second[] = { 0x7c004000, 0x1000,
					   0x7c005000, 0x1000 };
	void *fdt = board_wdt_dt();
	struct platform p;

	(void)state;
	/* libfdt adds a node as its parent's first child: this one is
	 * first in the DT now */
	add_wdt(fdt, "watchdog@7c004000", second, 2, 31);
	probe(fdt, &p);
	assert_int_equal(p.wdt.ctrl, 0x7c004000);
	assert_int_equal(p.wdt.irq, 31 + 32);
	assert_int_equal(p.wdt.others, 1);
	assert_int_equal(p.wdt.other_ctrl, BWDT_CTRL);
	has_region(&p, 0x7c004000, 0x1000, REGION_HV_WDT);
	has_region(&p, 0x7c005000, 0x1000, REGION_HV_WDT);
	free(fdt);
}

/* What verge-hv cannot take: each refused with a precise message. */
static void test_board_wdt_hostile(void **state)
{
	static const struct {
		uint64_t pairs[8];
		int n;
		const char *want;
	} bad[] = {
		{ { BWDT_CTRL, 0x1000 }, 1, "two entries" },
		{ { BWDT_CTRL, 0x1000, BWDT_REFRESH, 0x1000, 0x7c002000,
		    0x1000 }, 3, "two entries" },
		{ { BWDT_CTRL, 0x800, BWDT_REFRESH, 0x1000 }, 2,
		  "control frame 0x7c000000+0x800: a frame is 4 KiB to 64 KiB" },
		{ { BWDT_CTRL, 0x1000, BWDT_REFRESH, 0 }, 2,
		  "refresh frame 0x7c010000+0x0" },
		{ { BWDT_CTRL, 0x20000, BWDT_REFRESH, 0x1000 }, 2,
		  "control frame 0x7c000000+0x20000" },
		{ { BWDT_CTRL + 0x10, 0x1000, BWDT_REFRESH, 0x1000 }, 2,
		  "control frame 0x7c000010+0x1000" },
		{ { BWDT_CTRL, 0x1000, 0xfffffffffffff000ULL, 0x2000 }, 2,
		  "refresh frame 0xfffffffffffff000+0x2000" },
		{ { BWDT_CTRL, 0x2000, BWDT_CTRL + 0x1000, 0x1000 }, 2,
		  "the control and refresh frames overlap" },
		/* RAM the DT does not reserve (the reservation is 128 KiB) */
		{ { BWDT_CTRL, 0x1000, BWDT_CTRL + 0x20000, 0x1000 }, 2,
		  "frame 0x7c020000+0x1000 is in RAM that neither /memreserve/ nor /reserved-memory reserves" },
		/* devices of the machine */
		{ { 0x09000000, 0x1000, BWDT_REFRESH, 0x1000 }, 2,
		  "frame 0x9000000+0x1000 overlaps the guest device at 0x9000000" },
		{ { BWDT_CTRL, 0x1000, 0x08000000, 0x1000 }, 2,
		  "overlaps the GIC distributor at 0x8000000" },
		{ { BWDT_CTRL, 0x1000, 0x0a000000, 0x1000 }, 2,
		  "overlaps the hypervisor device at 0xa000000" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		void *fdt = with_reserved(BWDT_CTRL, 0x20000);

		add_wdt(fdt, "watchdog@7c000000", bad[i].pairs, bad[i].n, 30);
		probe_fails(fdt, bad[i].want);
		free(fdt);
	}
	/* two nodes on the same frames */
	{
		void *fdt = board_wdt_dt();
		static const uint64_t same[] = { BWDT_CTRL, 0x1000,
						 0x7c002000, 0x1000 };

		add_wdt(fdt, "watchdog@7c000001", same, 2, 31);
		probe_fails(fdt, "overlaps the board watchdog at 0x7c000000");
		free(fdt);
	}
	/* reg cells the root does not have */
	{
		void *fdt = board_wdt_dt();
		int node = fdt_path_offset(fdt, "/watchdog@7c000000");

		assert_int_equal(fdt_setprop(fdt, node, "reg", "abc", 3), 0);
		probe_fails(fdt, "watchdog@7c000000 (arm,sbsa-gwdt): reg must be the control frame and the refresh frame");
		assert_int_equal(fdt_delprop(fdt, node, "reg"), 0);
		probe_fails(fdt, "two entries");
		free(fdt);
	}
}

/* The window of the emulated watchdog: the board's there is taken (it
 * is the hardware), and the window is then covered (no emulated one:
 * core/wdt.c's wdt_fits() sees the region). */
static void test_board_wdt_in_emulated_window(void **state)
{
	static const uint64_t frames[] = { 0x0b000000, 0x1000,
					   0x0b010000, 0x1000 };
	void *fdt = with_reserved(0, 0);
	struct platform p;

	(void)state;
	add_wdt(fdt, "watchdog@b000000", frames, 2, 14);
	probe(fdt, &p);
	assert_int_equal(p.wdt.ctrl, 0x0b000000);
	assert_int_equal(platform_find(&p, 0x0b000000)->kind, REGION_HV_WDT);
	assert_int_equal(platform_find(&p, 0x0b010000)->irq, 14 + 32);
	free(fdt);
}

/* The guest's DT: no node of the board's, the reservation kept (the
 * guest leaves that RAM alone), the emulated one when asked for. */
static void test_guest_dt_hides_board_wdt(void **state)
{
	struct guest_dt_params prm = { HV_BASE, HV_END, "", 0, false,
				       0x0b000000, 0x0b010000, 14, NULL, 0, NULL,
				       0 };
	void *in = board_wdt_dt(), *out;
	struct hv_err err = { "" };
	size_t size = guest_dt_size(in, &prm);
	int node;

	(void)state;
	out = malloc(size);
	assert_non_null(out);
	assert_int_equal(guest_dt_build(in, out, size, &prm, &err), 0);
	assert_true(fdt_path_offset(out, "/watchdog@7c000000") < 0);
	node = fdt_node_offset_by_compatible(out, -1, "arm,sbsa-gwdt");
	assert_true(node >= 0);
	assert_string_equal(fdt_get_name(out, node, NULL), "watchdog@b000000");
	assert_true(fdt_node_offset_by_compatible(out, node, "arm,sbsa-gwdt") < 0);
	assert_true(fdt_path_offset(out, "/reserved-memory/board-wdt@7c000000") >= 0);
	free(out);
	free(in);
}

/* guest_dt_build() into a buffer of guest_dt_size(); freed by the caller. */
static void *build(const void *fdt, uint64_t hv_base, uint64_t hv_end,
		   const char *cmdline)
{
	struct guest_dt_params prm = { hv_base, hv_end, cmdline, 0, false,
				       0, 0, 0, NULL, 0, NULL, 0 };
	struct hv_err err = { "" };
	size_t size = guest_dt_size(fdt, &prm);
	void *out = malloc(size);
	int r;

	assert_non_null(out);
	r = guest_dt_build(fdt, out, size, &prm, &err);
	if (r)
		fail_msg("guest_dt_build: %d %s", r, err.msg);
	assert_int_equal(fdt_check_header(out), 0);
	assert_true(fdt_totalsize(out) <= size);
	/* Packed: the strings block ends the blob. */
	assert_int_equal(fdt_off_dt_strings(out) + fdt_size_dt_strings(out),
			 fdt_totalsize(out));
	return out;
}

static void memory_reg_is(const void *fdt, const uint32_t *want, int n)
{
	int node = fdt_path_offset(fdt, "/memory@40000000"), len;
	const fdt32_t *reg;

	assert_true(node >= 0);
	reg = fdt_getprop(fdt, node, "reg", &len);
	assert_non_null(reg);
	assert_int_equal(len, n * 4);
	for (int i = 0; i < n; i++)
		if (fdt32_to_cpu(reg[i]) != want[i])
			fail_msg("/memory reg cell %d: 0x%x, expected 0x%x", i,
				 fdt32_to_cpu(reg[i]), want[i]);
}

static void test_guest_dt_memory(void **state)
{
	static const uint32_t want[] = { 0, 0x40200000, 0, 0x3fe00000 };
	void *out = build(virt_dtb(), HV_BASE, HV_END, "console=ttyAMA0");

	(void)state;
	memory_reg_is(out, want, 4);
	free(out);
}

static void test_guest_dt_memory_split(void **state)
{
	static const uint32_t want[] = {
		0, 0x40000000, 0, 0x10000000, 0, 0x50200000, 0, 0x2fe00000,
	};
	void *out = build(virt_dtb(), 0x50000000, 0x50200000, "");

	(void)state;
	memory_reg_is(out, want, 8);
	free(out);
}

/* Hypervisor memory above or below RAM leaves /memory alone. */
static void test_guest_dt_memory_hv_elsewhere(void **state)
{
	static const uint32_t want[] = { 0, 0x40000000, 0, 0x40000000 };
	void *out = build(virt_dtb(), 0x100000000, 0x100200000, "");

	(void)state;
	memory_reg_is(out, want, 4);
	free(out);
	out = build(virt_dtb(), 0x01000000, 0x01200000, "");
	memory_reg_is(out, want, 4);
	free(out);
}

static void test_guest_dt_hides_hv_devices(void **state)
{
	static const char *const gone[] = {
		"virtio,mmio", "qemu,fw-cfg-mmio", "arm,gic-v3-its",
	};
	void *out = build(virt_dtb(), HV_BASE, HV_END, "console=ttyAMA0");
	struct platform p;
	int node;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++) {
		node = fdt_node_offset_by_compatible(out, -1, gone[i]);
		if (node >= 0)
			fail_msg("%s still there: %s", gone[i],
				 fdt_get_name(out, node, NULL));
	}
	for (node = fdt_next_node(out, -1, NULL); node >= 0;
	     node = fdt_next_node(out, node, NULL))
		if (fdt_getprop(out, node, "msi-map", NULL) ||
		    fdt_getprop(out, node, "msi-parent", NULL))
			fail_msg("%s still has an MSI reference",
				 fdt_get_name(out, node, NULL));

	/* What the guest will probe: its RAM, and none of ours. */
	probe(out, &p);
	for (unsigned i = 0; i < p.nregions; i++)
		assert_int_not_equal(p.regions[i].kind, REGION_HV_DEVICE);
	has_region(&p, 0x40200000, 0x3fe00000, REGION_RAM);
	no_region_at(&p, 0x40000000);
	free(out);
}

static void test_guest_dt_keeps_devices(void **state)
{
	static const char *const kept[] = {
		"arm,pl011", "arm,gic-v3", "pci-host-ecam-generic",
		"arm,psci-1.0", "arm,armv8-timer", "arm,pl031",
	};
	const void *in = virt_dtb();
	void *out = build(in, HV_BASE, HV_END, "console=ttyAMA0");
	const void *a, *b;
	int la, lb;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		if (fdt_node_offset_by_compatible(out, -1, kept[i]) < 0)
			fail_msg("%s is gone", kept[i]);
	assert_true(fdt_path_offset(out, "/cpus/cpu@1") >= 0);
	/* The PCIe windows are untouched. */
	a = fdt_getprop(in, fdt_path_offset(in, "/pcie@10000000"), "ranges", &la);
	b = fdt_getprop(out, fdt_path_offset(out, "/pcie@10000000"), "ranges", &lb);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(out);
}

/* The emulated watchdog: an arm,sbsa-gwdt node with the control frame
 * first, then the refresh frame (Linux's binding), and its SPI, level
 * high; none unless asked for. */
static void test_guest_dt_watchdog(void **state)
{
	static const uint32_t want_reg[] = { 0, 0x0b000000, 0, 0x1000,
					     0, 0x0b010000, 0, 0x1000 };
	static const uint32_t want_irq[] = { 0, 14, 4 };
	struct guest_dt_params prm = { HV_BASE, HV_END, "", 0, false,
				       0x0b000000, 0x0b010000, 14, NULL, 0, NULL,
				       0 };
	const void *in = virt_dtb();
	struct hv_err err = { "" };
	size_t size = guest_dt_size(in, &prm);
	void *out = malloc(size), *plain;
	const fdt32_t *p;
	int node, len;

	(void)state;
	assert_non_null(out);
	assert_int_equal(guest_dt_build(in, out, size, &prm, &err), 0);
	node = fdt_node_offset_by_compatible(out, -1, "arm,sbsa-gwdt");
	assert_true(node >= 0);
	assert_string_equal(fdt_get_name(out, node, NULL), "watchdog@b000000");
	assert_int_equal(fdt_parent_offset(out, node), 0);
	p = fdt_getprop(out, node, "reg", &len);
	assert_int_equal(len, sizeof(want_reg));
	for (int i = 0; i < 8; i++)
		assert_int_equal(fdt32_to_cpu(p[i]), want_reg[i]);
	p = fdt_getprop(out, node, "interrupts", &len);
	assert_int_equal(len, sizeof(want_irq));
	for (int i = 0; i < 3; i++)
		assert_int_equal(fdt32_to_cpu(p[i]), want_irq[i]);
	/* QEMU's root names the GIC as interrupt parent: nothing more. */
	assert_null(fdt_getprop(out, node, "interrupt-parent", NULL));
	plain = build(in, HV_BASE, HV_END, "");
	assert_true(fdt_node_offset_by_compatible(plain, -1, "arm,sbsa-gwdt") < 0);
	free(plain);
	free(out);
	/* A root without one: the node names the GIC itself. */
	plain = fixture_dt_copy(in, 0);
	assert_non_null(plain);
	assert_int_equal(fdt_delprop(plain, 0, "interrupt-parent"), 0);
	size = guest_dt_size(plain, &prm);
	out = malloc(size);
	assert_non_null(out);
	assert_int_equal(guest_dt_build(plain, out, size, &prm, &err), 0);
	node = fdt_node_offset_by_compatible(out, -1, "arm,sbsa-gwdt");
	p = fdt_getprop(out, node, "interrupt-parent", &len);
	assert_non_null(p);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(*p), fdt_get_phandle(out,
		fdt_node_offset_by_compatible(out, -1, "arm,gic-v3")));
	assert_true(fdt32_to_cpu(*p) != 0);
	free(plain);
	free(out);
}

static void test_guest_dt_chosen(void **state)
{
	void *in = virt_with_chosen("verge.kernel=0x44000000 -- console=ttyAMA0",
				    true);
	void *out = build(in, HV_BASE, HV_END, "console=ttyAMA0");
	int chosen = fdt_path_offset(out, "/chosen"), len;
	const fdt64_t *v;	/* only 4-byte aligned: read with fdt64_ld */

	(void)state;
	assert_true(chosen >= 0);
	assert_string_equal(fdt_getprop(out, chosen, "bootargs", NULL),
			    "console=ttyAMA0");
	v = fdt_getprop(out, chosen, "linux,initrd-start", &len);
	assert_non_null(v);
	assert_int_equal(len, 8);
	assert_int_equal(fdt64_ld(v), 0x48000000);
	v = fdt_getprop(out, chosen, "linux,initrd-end", &len);
	assert_non_null(v);
	assert_int_equal(fdt64_ld(v), 0x48123456);
	assert_non_null(fdt_getprop(out, chosen, "stdout-path", NULL));
	free(out);
	free(in);
}

static void test_guest_dt_no_chosen(void **state)
{
	void *in = fixture_dt_copy(virt_dtb(), 0);
	void *out;

	(void)state;
	assert_non_null(in);
	assert_int_equal(fdt_del_node(in, fdt_path_offset(in, "/chosen")), 0);
	out = build(in, HV_BASE, HV_END, "quiet");
	assert_string_equal(fdt_getprop(out, fdt_path_offset(out, "/chosen"),
					 "bootargs", NULL), "quiet");
	free(out);
	free(in);
}

/*
 * guest_dt_size() suffices when the machine DT has no free space and
 * nothing to delete: a packed DT without hypervisor devices or bootargs,
 * given the longest command line and a /memory split in two.
 */
static void test_guest_dt_packed_input(void **state)
{
	void *in = build(virt_dtb(), HV_BASE, HV_END, "");
	char *cmdline = malloc(2048);
	void *out;

	(void)state;
	assert_non_null(cmdline);
	assert_int_equal(fdt_delprop(in, fdt_path_offset(in, "/chosen"),
				     "bootargs"), 0);
	assert_int_equal(fdt_pack(in), 0);
	memset(cmdline, 'x', 2047);
	cmdline[2047] = '\0';
	out = build(in, 0x50000000, 0x50200000, cmdline);
	assert_string_equal(fdt_getprop(out, fdt_path_offset(out, "/chosen"),
					 "bootargs", NULL), cmdline);
	free(out);
	free(cmdline);
	free(in);
}

/* The machine DT's entropy seeds (the hypervisor's secret is made from
 * them) never reach the guest; the guest gets the fresh ones given. */
/* The agent's doorbell: a gpio-keys node with one interrupt-only key on
 * the SPI given (edge), code BTN_0, no debounce; absent when not asked
 * for or when a machine node already uses that SPI (the UART's 1). */
static void test_guest_dt_doorbell(void **state)
{
	static const uint32_t want_irq[] = { 0, 15, 1 };
	struct guest_dt_params prm = { HV_BASE, HV_END, "", 0, false,
				       0, 0, 0, NULL, 15, "verge-doorbell",
				       0x100 };
	const void *in = virt_dtb();
	struct hv_err err = { "" };
	size_t size = guest_dt_size(in, &prm);
	void *out = malloc(size), *plain;
	const fdt32_t *p;
	int node, key, len;

	(void)state;
	assert_non_null(out);
	assert_int_equal(guest_dt_build(in, out, size, &prm, &err), 0);
	assert_true(guest_dt_has_doorbell(out, "verge-doorbell"));
	node = fdt_path_offset(out, "/verge-doorbell");
	assert_true(node >= 0);
	assert_int_equal(fdt_node_check_compatible(out, node, "gpio-keys"), 0);
	assert_string_equal(fdt_getprop(out, node, "label", NULL),
			    "verge-doorbell");
	key = fdt_subnode_offset(out, node, "doorbell");
	assert_true(key >= 0);
	p = fdt_getprop(out, key, "linux,code", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(*p), 0x100);
	p = fdt_getprop(out, key, "debounce-interval", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(*p), 0);
	p = fdt_getprop(out, key, "interrupts", &len);
	assert_int_equal(len, sizeof(want_irq));
	for (int i = 0; i < 3; i++)
		assert_int_equal(fdt32_to_cpu(p[i]), want_irq[i]);
	assert_null(fdt_getprop(out, key, "gpios", NULL));
	free(out);

	plain = build(in, HV_BASE, HV_END, "");
	assert_false(guest_dt_has_doorbell(plain, "verge-doorbell"));
	free(plain);

	prm.doorbell_spi = 1;	/* the PL011's */
	out = malloc(guest_dt_size(in, &prm));
	assert_non_null(out);
	assert_int_equal(guest_dt_build(in, out, guest_dt_size(in, &prm),
					&prm, &err), 0);
	assert_false(guest_dt_has_doorbell(out, "verge-doorbell"));
	free(out);
}

static void test_guest_dt_seeds(void **state)
{
	uint8_t seed[GUEST_DT_SEED];
	struct guest_dt_params prm = { HV_BASE, HV_END, "", 0, false,
				       0, 0, 0, NULL, 0, NULL, 0 };
	struct hv_err err = { "" };
	const void *in = virt_dtb();
	size_t size = guest_dt_size(in, &prm);
	void *out = malloc(size);
	const uint8_t *p;
	int chosen, len;

	(void)state;
	assert_non_null(out);
	chosen = fdt_path_offset(in, "/chosen");
	assert_non_null(fdt_getprop(in, chosen, "rng-seed", &len));
	assert_non_null(fdt_getprop(in, chosen, "kaslr-seed", &len));
	assert_int_equal(guest_dt_build(in, out, size, &prm, &err), 0);
	chosen = fdt_path_offset(out, "/chosen");
	assert_null(fdt_getprop(out, chosen, "rng-seed", &len));
	assert_null(fdt_getprop(out, chosen, "kaslr-seed", &len));
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0xa0 + i);
	prm.seed = seed;
	assert_int_equal(guest_dt_build(in, out, size, &prm, &err), 0);
	chosen = fdt_path_offset(out, "/chosen");
	p = fdt_getprop(out, chosen, "rng-seed", &len);
	assert_int_equal(len, GUEST_DT_RNG_SEED);
	assert_memory_equal(p, seed, GUEST_DT_RNG_SEED);
	p = fdt_getprop(out, chosen, "kaslr-seed", &len);
	assert_int_equal(len, GUEST_DT_KASLR_SEED);
	assert_memory_equal(p, seed + GUEST_DT_RNG_SEED, GUEST_DT_KASLR_SEED);
	free(out);
}

static void test_guest_dt_buffer_too_small(void **state)
{
	struct guest_dt_params prm = { HV_BASE, HV_END, "console=ttyAMA0", 0, false,
				       0, 0, 0, NULL, 0, NULL, 0 };
	struct hv_err err = { "" };
	size_t size = guest_dt_size(virt_dtb(), &prm) - 1;
	void *out = malloc(size);
	int r;

	(void)state;
	assert_non_null(out);
	r = guest_dt_build(virt_dtb(), out, size, &prm, &err);
	assert_true(r < 0);
	assert_true(err.msg[0] != '\0');
	free(out);
}

static int load_virt(void **state)
{
	size_t size;

	(void)state;
	virt = fixture_virt_dtb(&size);
	return 0;	/* the tests fail one by one without it */
}

static int free_virt(void **state)
{
	(void)state;
	free(virt);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_cpus),
		cmocka_unit_test(test_probe_memory),
		cmocka_unit_test(test_probe_gic_uart),
		cmocka_unit_test(test_guest_ram_check),
		cmocka_unit_test(test_probe_hv_devices),
		cmocka_unit_test(test_probe_pci),
		cmocka_unit_test(test_probe_chosen_absent),
		cmocka_unit_test(test_probe_chosen),
		cmocka_unit_test(test_probe_bootargs_unterminated),
		cmocka_unit_test(test_probe_disabled_node),
		cmocka_unit_test(test_probe_garbage),
		cmocka_unit_test(test_probe_no_memory),
		cmocka_unit_test(test_probe_initrd_reversed),
		cmocka_unit_test(test_board_wdt_probe),
		cmocka_unit_test(test_board_wdt_two_nodes),
		cmocka_unit_test(test_board_wdt_hostile),
		cmocka_unit_test(test_board_wdt_in_emulated_window),
		cmocka_unit_test(test_guest_dt_hides_board_wdt),
		cmocka_unit_test(test_guest_dt_memory),
		cmocka_unit_test(test_guest_dt_memory_split),
		cmocka_unit_test(test_guest_dt_memory_hv_elsewhere),
		cmocka_unit_test(test_guest_dt_hides_hv_devices),
		cmocka_unit_test(test_guest_dt_keeps_devices),
		cmocka_unit_test(test_guest_dt_chosen),
		cmocka_unit_test(test_guest_dt_watchdog),
		cmocka_unit_test(test_guest_dt_doorbell),
		cmocka_unit_test(test_guest_dt_no_chosen),
		cmocka_unit_test(test_guest_dt_packed_input),
		cmocka_unit_test(test_guest_dt_buffer_too_small),
		cmocka_unit_test(test_guest_dt_seeds),
	};

	return cmocka_run_group_tests_name("platform_dt", tests, load_virt,
					   free_virt);
}
