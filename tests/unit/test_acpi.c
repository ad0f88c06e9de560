// SPDX-License-Identifier: Apache-2.0
/*
 * acpi_build() on the QEMU virt DTB: checksums, lengths, the XSDT, and
 * MADT / GTDT / SPCR / MCFG fields compared with what libfdt reads from
 * the same DTB here; then edited copies of it that must be refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <acpi/acpi.h>
#include <libfdt.h>
#include <stdlib.h>
#include "fixture.h"

#define BASE	0x47000000ull
#define BUFSZ	(256 * 1024)

static void *virt;
static size_t virt_size;
static uint8_t *out;

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int build(const void *fdt, size_t size, struct acpi_result *res,
		 struct hv_err *err)
{
	struct acpi_params prm = { BASE, 16, NULL, NULL };

	return acpi_build(fdt, size, out, BUFSZ, &prm, res, err);
}

static void build_virt(struct acpi_result *res)
{
	struct hv_err err = { "" };
	int r;

	if (!virt)
		fail_msg("no virt DTB fixture");
	r = build(virt, virt_size, res, &err);
	if (r)
		fail_msg("acpi_build: %d %s", r, err.msg);
}

static const uint8_t *table(const struct acpi_result *res, const char *sig)
{
	for (unsigned i = 0; i < res->ntables; i++)
		if (!strcmp(res->table[i].sig, sig))
			return out + res->table[i].offset;
	fail_msg("no %s table", sig);
	return NULL;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static uint64_t dt_reg(const void *fdt, const char *path, int idx)
{
	int node = fdt_path_offset(fdt, path), len;
	const fdt32_t *r = fdt_getprop(fdt, node, "reg", &len);

	assert_non_null(r);
	assert_true(len >= (idx + 1) * 16);
	return (uint64_t)fdt32_to_cpu(r[idx * 4]) << 32 | fdt32_to_cpu(r[idx * 4 + 1]);
}

static const char *path_of(const void *fdt, const char *compat)
{
	static char p[256];
	int node = fdt_node_offset_by_compatible(fdt, -1, compat);

	assert_true(node >= 0);
	assert_int_equal(fdt_get_path(fdt, node, p, sizeof(p)), 0);
	return p;
}

static void test_checksums_and_lengths(void **state)
{
	struct acpi_result res;

	(void)state;
	build_virt(&res);
	assert_true(res.ntables >= 10);
	for (unsigned i = 0; i < res.ntables; i++) {
		const uint8_t *t = out + res.table[i].offset;

		if (!strcmp(res.table[i].sig, "RSDP")) {
			assert_memory_equal(t, "RSD PTR ", 8);
			assert_int_equal(sum(t, 20), 0);
			assert_int_equal(sum(t, 36), 0);
			assert_int_equal(t[15], 2);
			assert_int_equal(le(t + 20, 4), 36);
			continue;
		}
		assert_memory_equal(t, res.table[i].sig, 4);
		assert_int_equal(le(t + 4, 4), res.table[i].length);
		if (sum(t, res.table[i].length))
			fail_msg("%s checksum", res.table[i].sig);
		assert_true(res.table[i].offset + res.table[i].length <= res.used);
	}
	assert_int_equal(res.rsdp, BASE);
}

static void test_xsdt_lists_every_table(void **state)
{
	static const char *const want[] = {
		"FACP", "APIC", "GTDT", "PPTT", "SPCR", "DBG2", "MCFG", "IORT",
	};
	struct acpi_result res;
	const uint8_t *rsdp, *xsdt, *fadt;
	unsigned n;

	(void)state;
	build_virt(&res);
	rsdp = table(&res, "RSDP");
	xsdt = table(&res, "XSDT");
	assert_int_equal(le(rsdp + 24, 8), BASE + (uint64_t)(xsdt - out));
	n = (unsigned)(le(xsdt + 4, 4) - 36) / 8;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < n; i++) {
		uint64_t at = le(xsdt + 36 + 8 * i, 8) - BASE;

		assert_true(at < res.used);
		assert_memory_equal(out + at, want[i], 4);
	}
	fadt = table(&res, "FACP");
	assert_int_equal(le(fadt + 140, 8) - BASE,
			 (uint64_t)(table(&res, "DSDT") - out));
}

static void test_fadt_flags(void **state)
{
	struct acpi_result res;
	const uint8_t *f;
	struct hv_err err;
	void *copy;

	(void)state;
	build_virt(&res);
	f = table(&res, "FACP");
	assert_true(le(f + 112, 4) & (1u << 20));	/* HW_REDUCED_ACPI */
	assert_int_equal(le(f + 129, 2), 1);		/* PSCI, SMC (DT "smc") */
	assert_int_equal(f[8], 6);
	/* method "hvc" sets PSCI_USE_HVC */
	copy = fixture_dt_copy(virt, 64);
	assert_int_equal(fdt_setprop_string(copy, fdt_path_offset(copy, "/psci"),
					    "method", "hvc"), 0);
	assert_int_equal(build(copy, fdt_totalsize(copy), &res, &err), 0);
	assert_int_equal(le(table(&res, "FACP") + 129, 2), 3);
	free(copy);
}

static void test_madt_from_dt(void **state)
{
	struct acpi_result res;
	const uint8_t *m, *p;
	char gic[64];
	int cpus = fdt_path_offset(virt, "/cpus"), node;
	unsigned ncpu = 0, seen_gicd = 0, seen_gicr = 0, seen_its = 0;

	(void)state;
	snprintf(gic, sizeof(gic), "%s", path_of(virt, "arm,gic-v3"));
	build_virt(&res);
	m = table(&res, "APIC");
	p = m + 44;
	fdt_for_each_subnode(node, virt, cpus) {
		const fdt32_t *reg = fdt_getprop(virt, node, "reg", NULL);

		if (!reg)
			continue;
		assert_int_equal(p[0], 0x0b);
		assert_int_equal(p[1], 80);
		assert_int_equal(le(p + 68, 8), fdt32_to_cpu(*reg));	/* MPIDR */
		assert_int_equal(le(p + 8, 4), ncpu);			/* UID */
		assert_int_equal(le(p + 12, 4) & 1, 1);			/* enabled */
		assert_int_equal(le(p + 20, 4), 16 + 7);		/* PMU PPI 7 */
		p += 80;
		ncpu++;
	}
	assert_int_equal(ncpu, 2);
	for (; p < m + le(m + 4, 4); p += p[1]) {
		assert_true(p[1] > 0);
		if (p[0] == 0x0c) {
			assert_int_equal(le(p + 8, 8), dt_reg(virt, gic, 0));
			assert_int_equal(p[20], 3);
			seen_gicd++;
		} else if (p[0] == 0x0e) {
			assert_int_equal(le(p + 4, 8), dt_reg(virt, gic, 1));
			seen_gicr++;
		} else if (p[0] == 0x0f) {
			assert_int_equal(le(p + 8, 8),
					 dt_reg(virt, path_of(virt, "arm,gic-v3-its"), 0));
			seen_its++;
		} else {
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
	}
	assert_int_equal(seen_gicd, 1);
	assert_int_equal(seen_gicr, 1);
	assert_int_equal(seen_its, 1);
}

static void test_gtdt_from_dt(void **state)
{
	struct acpi_result res;
	int node = fdt_node_offset_by_compatible(virt, -1, "arm,armv8-timer"), len;
	const fdt32_t *irq = fdt_getprop(virt, node, "interrupts", &len);
	const uint8_t *g;

	(void)state;
	build_virt(&res);
	g = table(&res, "GTDT");
	assert_int_equal(len, 48);
	for (int i = 0; i < 4; i++) {
		/* PPI n is GSIV 16 + n; QEMU's flags: level high; always-on */
		assert_int_equal(fdt32_to_cpu(irq[3 * i]), 1);
		assert_int_equal(le(g + 48 + 8 * i, 4), 16 + fdt32_to_cpu(irq[3 * i + 1]));
		assert_int_equal(le(g + 52 + 8 * i, 4), 4);
	}
}

static void test_spcr_mcfg_from_dt(void **state)
{
	struct acpi_result res;
	char uart[64];
	int node;
	const fdt32_t *irq;
	const uint8_t *s, *m;

	(void)state;
	snprintf(uart, sizeof(uart), "%s", path_of(virt, "arm,pl011"));
	node = fdt_path_offset(virt, uart);
	irq = fdt_getprop(virt, node, "interrupts", NULL);
	build_virt(&res);
	s = table(&res, "SPCR");
	assert_int_equal(s[36], 3);				/* PL011 */
	assert_int_equal(le(s + 44, 8), dt_reg(virt, uart, 0));
	assert_int_equal(le(s + 54, 4), 32 + fdt32_to_cpu(irq[1]));
	m = table(&res, "MCFG");
	assert_int_equal(le(m + 44, 8), dt_reg(virt, path_of(virt, "pci-host-ecam-generic"), 0));
	assert_int_equal(m[54], 0);
	assert_int_equal(m[55], 255);
}

/* Page alignment: no table that fits in a page crosses one. */
static void test_page_alignment(void **state)
{
	struct acpi_params prm = { BASE, 4096, NULL, NULL };
	struct acpi_result res;
	struct hv_err err;

	(void)state;
	assert_int_equal(acpi_build(virt, virt_size, out, BUFSZ, &prm, &res, &err), 0);
	for (unsigned i = 0; i < res.ntables; i++)
		assert_int_equal(res.table[i].offset % 4096, 0);
}

static void test_small_buffer(void **state)
{
	struct acpi_params prm = { BASE, 16, NULL, NULL };
	struct acpi_result res;
	struct hv_err err;

	(void)state;
	for (size_t len = 0; len < 64 * 1024; len += 997) {
		int r = acpi_build(virt, virt_size, out, len, &prm, &res, &err);

		if (r == 0)
			assert_true(res.used <= len);
		else
			assert_int_equal(r, -ENOSPC);
	}
}

/* Edited copies: each must fail with -EINVAL and name the problem. */
static void refused(void *copy, const char *want)
{
	struct acpi_result res;
	struct hv_err err = { "" };

	assert_int_equal(build(copy, fdt_totalsize(copy), &res, &err), -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' does not say '%s'", err.msg, want);
	free(copy);
}

static void *edit(void)
{
	void *c = fixture_dt_copy(virt, 4096);

	assert_non_null(c);
	return c;
}

static void test_refuses_bad_trees(void **state)
{
	void *c;
	uint32_t gic_ph;
	fdt32_t big = cpu_to_fdt32(0x40000000);
	char gic[64], pci[64], uart[64];
	int len;

	(void)state;
	snprintf(gic, sizeof(gic), "%s", path_of(virt, "arm,gic-v3"));
	snprintf(pci, sizeof(pci), "%s", path_of(virt, "pci-host-ecam-generic"));
	snprintf(uart, sizeof(uart), "%s", path_of(virt, "arm,pl011"));
	c = edit();
	assert_int_equal(fdt_del_node(c, fdt_node_offset_by_compatible(c, -1, "arm,armv8-timer")), 0);
	refused(c, "timer");

	c = edit();
	assert_int_equal(fdt_setprop(c, fdt_path_offset(c, "/cpus"), "#address-cells", &big, 4), 0);
	refused(c, "/cpus");

	/* an interrupt parent that points at itself (a phandle loop) */
	c = edit();
	assert_int_equal(fdt_setprop_u32(c, fdt_path_offset(c, uart),
					 "interrupt-parent", 0x1234), 0);
	assert_int_equal(fdt_setprop_u32(c, fdt_path_offset(c, uart),
					 "phandle", 0x1234), 0);
	refused(c, "interrupt parent is not the GIC");

	/* interrupt-map cut in the middle of an entry */
	c = edit();
	{
		int node = fdt_path_offset(c, pci);
		const void *m = fdt_getprop(c, node, "interrupt-map", &len);
		uint8_t tmp[1024];

		assert_true(len > 40 && len < (int)sizeof(tmp));
		memcpy(tmp, m, len);
		assert_int_equal(fdt_setprop(c, node, "interrupt-map", tmp, len - 8), 0);
	}
	refused(c, "interrupt-map entry does not fit");

	/* the GIC's #address-cells huge: interrupt-map entries cannot fit */
	c = edit();
	assert_int_equal(fdt_setprop(c, fdt_path_offset(c, gic), "#address-cells", &big, 4), 0);
	refused(c, gic);

	c = edit();
	gic_ph = fdt_get_phandle(c, fdt_path_offset(c, gic));
	assert_true(gic_ph != 0);
	assert_int_equal(fdt_delprop(c, fdt_path_offset(c, gic), "reg"), 0);
	refused(c, "no reg");

	c = edit();
	assert_int_equal(fdt_setprop_string(c, fdt_path_offset(c, "/psci"), "method", "spin"), 0);
	refused(c, "method");
}

static void test_refuses_garbage(void **state)
{
	struct acpi_result res;
	struct hv_err err = { "" };
	uint8_t junk[4096];

	(void)state;
	memset(junk, 0xd0, sizeof(junk));
	assert_int_equal(build(junk, sizeof(junk), &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a valid device tree"));
	/* truncated: the header promises more than the buffer holds */
	for (size_t n = 0; n < virt_size && n < fdt_totalsize(virt); n += 509)
		assert_int_equal(build(virt, n, &res, &err), -EINVAL);
}

static int setup(void **state)
{
	(void)state;
	virt = fixture_virt_dtb(&virt_size);
	out = aligned_alloc(16, BUFSZ);
	return virt && out ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(virt);
	free(out);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksums_and_lengths),
		cmocka_unit_test(test_xsdt_lists_every_table),
		cmocka_unit_test(test_fadt_flags),
		cmocka_unit_test(test_madt_from_dt),
		cmocka_unit_test(test_gtdt_from_dt),
		cmocka_unit_test(test_spcr_mcfg_from_dt),
		cmocka_unit_test(test_page_alignment),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_refuses_bad_trees),
		cmocka_unit_test(test_refuses_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
