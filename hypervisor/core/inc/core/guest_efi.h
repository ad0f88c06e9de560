/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A UEFI hand-off without UEFI: an EFI system table whose only content is
 * the ACPI 2.0 configuration table (the RSDP), and an EFI memory map, both
 * passed to Linux through /chosen linux,uefi-* (the properties its EFI
 * stub would write). No boot or runtime services: the guest gets
 * "efi=noruntime".
 *
 * Why: Linux arm64 maps ACPI tables after early boot with
 * acpi_os_ioremap(), which refuses (WARN, NULL) without an EFI memory map,
 * so with only acpi_rsdp= the DSDT never loads (AE_NO_ACPI_TABLES). The map
 * marks the table region EFI_ACPI_RECLAIM_MEMORY; all other guest RAM from
 * /memory is EFI_CONVENTIONAL_MEMORY. Layouts: UEFI 2.x 4.3 (system
 * table), 4.6 (configuration table), 7.2 (memory descriptor).
 */
#ifndef CORE_GUEST_EFI_H
#define CORE_GUEST_EFI_H
#include <core/compat.h>

/* Bytes guest_efi_build needs at most in its area. */
#define GUEST_EFI_AREA	2048

/*
 * Writes the system table and memory map into area (at physical address
 * base, 8-aligned, GUEST_EFI_AREA bytes) for the guest DT fdt, whose
 * /memory nodes give the RAM and which must have room for the /chosen
 * properties; [reclaim, reclaim + reclaim_size) becomes ACPI reclaim.
 */
int guest_efi_build(void *fdt, void *area, uint64_t base, uint64_t rsdp,
		    uint64_t reclaim, uint64_t reclaim_size, struct hv_err *err);

/* CRC-32 (IEEE 802.3, as UEFI table headers use), of n bytes at p. */
uint32_t guest_efi_crc32(const void *p, size_t n);
#endif
