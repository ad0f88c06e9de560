// SPDX-License-Identifier: Apache-2.0
/* The minimal UEFI hand-off for an ACPI guest (see core/guest_efi.h). */
#include <core/guest_efi.h>
#include <libfdt.h>

#define EFI_SYSTEM_TABLE_SIGNATURE	0x5453595320494249ull	/* "IBI SYST" */
#define EFI_REVISION			(2u << 16 | 70)		/* 2.70 */
#define EFI_CONVENTIONAL_MEMORY		7
#define EFI_ACPI_RECLAIM_MEMORY		9
#define EFI_MEMORY_WB			0x8ull
#define EFI_PAGE			4096
#define EFI_DESC_VERSION		1
#define MAX_DESCS			32
#define EFI_SECUREBOOT_DISABLED		2	/* Linux efi_secureboot_mode */

/* 8868e871-e4f1-11d3-bc22-0080c73c8881, in EFI_GUID byte order */
static const uint8_t acpi20_guid[16] = {
	0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
	0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81,
};

struct efi_table_hdr {
	uint64_t signature;
	uint32_t revision, header_size, crc32, reserved;
};

struct efi_system_table {
	struct efi_table_hdr hdr;
	uint64_t fw_vendor;
	uint32_t fw_revision, pad;
	uint64_t con_in_handle, con_in, con_out_handle, con_out;
	uint64_t stderr_handle, stderr_out, runtime, boottime;
	uint64_t nr_tables, tables;
};

struct efi_config_table {
	uint8_t guid[16];
	uint64_t table;
};

struct efi_memory_desc {
	uint32_t type, pad;
	uint64_t phys, virt, pages, attr;
};

struct efi_area {
	struct efi_system_table st;
	struct efi_config_table ct;
	uint16_t vendor[8];
	struct efi_memory_desc map[MAX_DESCS];
};

_Static_assert(sizeof(struct efi_system_table) == 120, "EFI system table");
_Static_assert(sizeof(struct efi_memory_desc) == 40, "EFI memory descriptor");
_Static_assert(sizeof(struct efi_area) <= GUEST_EFI_AREA, "EFI area");

uint32_t guest_efi_crc32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t crc = 0xffffffff;

	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

static int add_desc(struct efi_area *a, unsigned *n, uint32_t type,
		    uint64_t start, uint64_t end)
{
	struct efi_memory_desc *d;

	if (start >= end)
		return 0;
	if (*n == MAX_DESCS)
		return -E2BIG;
	d = &a->map[(*n)++];
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->phys = start;
	d->pages = (end - start) / EFI_PAGE;
	d->attr = EFI_MEMORY_WB;
	return 0;
}

/* One RAM range, the reclaim region cut out of it. */
static int add_range(struct efi_area *a, unsigned *n, uint64_t start,
		     uint64_t end, uint64_t rs, uint64_t re)
{
	int r;

	start = ALIGN_UP(start, EFI_PAGE);
	end &= ~(uint64_t)(EFI_PAGE - 1);
	if (re <= start || rs >= end)
		return add_desc(a, n, EFI_CONVENTIONAL_MEMORY, start, end);
	r = add_desc(a, n, EFI_CONVENTIONAL_MEMORY, start, rs);
	if (r == 0)
		r = add_desc(a, n, EFI_ACPI_RECLAIM_MEMORY, rs, re);
	if (r == 0)
		r = add_desc(a, n, EFI_CONVENTIONAL_MEMORY, re, end);
	return r;
}

static uint64_t cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 32 | fdt32_to_cpu(*p++);
	return v;
}

static int memory_map(const void *fdt, struct efi_area *a, unsigned *n,
		      uint64_t rs, uint64_t re)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
	int node = -1, len, r;

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return -EINVAL;
	while ((node = fdt_node_offset_by_prop_value(fdt, node, "device_type",
						     "memory", sizeof("memory"))) >= 0) {
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

		if (!reg || len % (4 * (ac + sc)))
			return -EINVAL;
		for (; len > 0; len -= 4 * (ac + sc), reg += ac + sc) {
			uint64_t base = cells(reg, ac);

			r = add_range(a, n, base, base + cells(reg + ac, sc), rs, re);
			if (r < 0)
				return r;
		}
	}
	return *n ? 0 : -EINVAL;
}

static int set_chosen(void *fdt, uint64_t st, uint64_t map, unsigned n)
{
	int c = fdt_path_offset(fdt, "/chosen"), r;

	if (c < 0)
		return c;
	r = fdt_setprop_u64(fdt, c, "linux,uefi-system-table", st);
	if (r == 0)
		r = fdt_setprop_u64(fdt, c, "linux,uefi-mmap-start", map);
	if (r == 0)
		r = fdt_setprop_u32(fdt, c, "linux,uefi-mmap-size",
				    n * sizeof(struct efi_memory_desc));
	if (r == 0)
		r = fdt_setprop_u32(fdt, c, "linux,uefi-mmap-desc-size",
				    sizeof(struct efi_memory_desc));
	if (r == 0)
		r = fdt_setprop_u32(fdt, c, "linux,uefi-mmap-desc-ver",
				    EFI_DESC_VERSION);
	if (r == 0)
		r = fdt_setprop_u32(fdt, c, "linux,uefi-secure-boot",
				    EFI_SECUREBOOT_DISABLED);
	return r;
}

int guest_efi_build(void *fdt, void *area, uint64_t base, uint64_t rsdp,
		    uint64_t reclaim, uint64_t reclaim_size, struct hv_err *err)
{
	static const char vendor[] = "verge";
	struct efi_area *a = area;
	unsigned n = 0;
	int r;

	memset(a, 0, sizeof(*a));
	r = memory_map(fdt, a, &n, reclaim, reclaim + reclaim_size);
	if (r < 0) {
		hv_err_set(err, "EFI memory map: %s", r == -E2BIG ?
			   "too many ranges" : "bad /memory");
		return r;
	}
	for (size_t i = 0; i < sizeof(vendor); i++)
		a->vendor[i] = (uint16_t)vendor[i];
	a->st.hdr.signature = EFI_SYSTEM_TABLE_SIGNATURE;
	a->st.hdr.revision = EFI_REVISION;
	a->st.hdr.header_size = sizeof(a->st);
	a->st.fw_vendor = base + offsetof(struct efi_area, vendor);
	a->st.nr_tables = 1;
	a->st.tables = base + offsetof(struct efi_area, ct);
	memcpy(a->ct.guid, acpi20_guid, sizeof(acpi20_guid));
	a->ct.table = rsdp;
	a->st.hdr.crc32 = guest_efi_crc32(&a->st, sizeof(a->st));
	r = set_chosen(fdt, base, base + offsetof(struct efi_area, map), n);
	if (r < 0) {
		hv_err_set(err, "guest DT: /chosen uefi: %s", fdt_strerror(r));
		return -EINVAL;
	}
	return 0;
}
