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
