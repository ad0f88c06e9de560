// SPDX-License-Identifier: Apache-2.0
/* The guest's ACPI tables and its ACPI-only device tree. */
#include <acpi/acpi.h>
#include <core/bootargs.h>
#include <core/guest_acpi.h>
#include <core/guest_efi.h>
#include <libfdt.h>

/* Top-level nodes the guest DT keeps (Linux reads them early, before
 * and regardless of ACPI). */
static bool keep_node(const char *name)
{
	static const char *const keep[] = { "chosen", "memory", "reserved-memory" };
	const char *at = strchr(name, '@');
	size_t n = at ? (size_t)(at - name) : strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (strlen(keep[i]) == n && !strncmp(name, keep[i], n))
			return true;
	return false;
}

static int strip_devices(void *fdt)
{
	int node, r;

	/* Deleting shifts offsets: restart from the first child each time. */
	for (;;) {
		fdt_for_each_subnode(node, fdt, 0)
			if (!keep_node(fdt_get_name(fdt, node, NULL)))
				break;
		if (node < 0)
			return node == -FDT_ERR_NOTFOUND ? 0 : node;
		r = fdt_del_node(fdt, node);
		if (r < 0)
			return r;
	}
}

/* /reserved-memory/acpi@BASE { reg = <BASE SIZE>; } (2+2 cells) */
static int reserve(void *fdt, uint64_t base, uint64_t size)
{
	char name[32];
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
	int rm = fdt_path_offset(fdt, "/reserved-memory"), node, r;

	if (rm < 0) {
		rm = fdt_add_subnode(fdt, 0, "reserved-memory");
		if (rm < 0)
			return rm;
		if ((r = fdt_setprop_u32(fdt, rm, "#address-cells", 2)) < 0 ||
		    (r = fdt_setprop_u32(fdt, rm, "#size-cells", 2)) < 0 ||
		    (r = fdt_setprop(fdt, rm, "ranges", NULL, 0)) < 0)
			return r;
	} else {
		uint32_t ac = (uint32_t)fdt_address_cells(fdt, rm);
		uint32_t sc = (uint32_t)fdt_size_cells(fdt, rm);

		if (ac != 2 || sc != 2)
			return -FDT_ERR_BADNCELLS;
	}
	snprintf(name, sizeof(name), "acpi@%llx", (unsigned long long)base);
	node = fdt_add_subnode(fdt, rm, name);
	if (node < 0)
		return node;
	return fdt_setprop(fdt, node, "reg", reg, sizeof(reg));
}

static int append_cmdline(void *fdt, uint64_t rsdp)
{
	int chosen = fdt_path_offset(fdt, "/chosen"), len = 0;
	const char *old;
	char line[BOOTARGS_MAX + 64];

	if (chosen < 0)
		return chosen;
	old = fdt_getprop(fdt, chosen, "bootargs", &len);
	if (!old || len < 1 || old[len - 1])
		old = "";
	if ((size_t)snprintf(line, sizeof(line), "%s%sefi=noruntime acpi=force acpi_rsdp=0x%llx",
			     old, *old ? " " : "",
			     (unsigned long long)rsdp) >= sizeof(line))
		return -FDT_ERR_NOSPACE;
	return fdt_setprop_string(fdt, chosen, "bootargs", line);
}

static void list_tables(const struct acpi_result *res, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < res->ntables && n + 6 <= len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " " : "",
				      res->table[i].sig);
}

int guest_acpi_build(void *fdt, size_t fdt_room, void *region, uint64_t base,
		     char *ret_sigs, size_t sigs_len, struct hv_err *err)
{
	struct acpi_params prm = { base, GUEST_ACPI_ALIGN, NULL, NULL };
	struct acpi_result res;
	size_t efi;
	int r;

	r = acpi_build(fdt, fdt_totalsize(fdt), region, GUEST_ACPI_SIZE, &prm,
		       &res, err);
	if (r < 0)
		return r;
	list_tables(&res, ret_sigs, sigs_len);
	efi = ALIGN_UP(res.used, 64);
	if (efi + GUEST_EFI_AREA > GUEST_ACPI_SIZE) {
		hv_err_set(err, "ACPI: tables too large (%zu bytes)", res.used);
		return -ENOSPC;
	}
	/* the converter's scratch after the tables: leave no stale data */
	memset((uint8_t *)region + res.used, 0, GUEST_ACPI_SIZE - res.used);
	r = fdt_open_into(fdt, fdt, (int)fdt_room);
	if (r < 0) {
		hv_err_set(err, "guest DT for ACPI: %s", fdt_strerror(r));
		return -EINVAL;
	}
	r = guest_efi_build(fdt, (uint8_t *)region + efi, base + efi, res.rsdp,
			    base, GUEST_ACPI_SIZE, err);
	if (r < 0)
		return r;
	r = strip_devices(fdt);
	if (r == 0)
		r = reserve(fdt, base, GUEST_ACPI_SIZE);
	if (r == 0)
		r = append_cmdline(fdt, res.rsdp);
	if (r == 0)
		r = fdt_pack(fdt);
	if (r < 0) {
		hv_err_set(err, "guest DT for ACPI: %s", fdt_strerror(r));
		return -EINVAL;
	}
	return 0;
}
