/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verge.acpi=1: the guest boots with ACPI tables built from its own DT
 * (hypervisor/acpi), and a DT that keeps only what ACPI on Arm does not
 * carry without UEFI: /chosen and /memory.
 *
 * Where the tables live: a region of guest RAM just below the guest DT,
 * listed in /reserved-memory (without no-map, so Linux keeps it in its
 * linear map but never allocates it) and, in the EFI memory map that
 * core/guest_efi.h hands over, as EFI_ACPI_RECLAIM_MEMORY: Linux arm64
 * maps ACPI tables after early boot only through the EFI memory map. The
 * region also holds that EFI system table and map. The guest finds the
 * RSDP through "acpi=force acpi_rsdp=<address>" appended to its command
 * line (and through the EFI configuration table).
 */
#ifndef CORE_GUEST_ACPI_H
#define CORE_GUEST_ACPI_H
#include <core/compat.h>

#define GUEST_ACPI_SIZE		(128 * 1024)	/* tables + converter scratch */
#define GUEST_ACPI_ALIGN	64

/*
 * fdt: the guest DT (packed), in a buffer of fdt_room bytes. region: the
 * GUEST_ACPI_SIZE bytes at guest-physical (and hypervisor) address base.
 * Builds the tables there, then rewrites the DT: device nodes removed, the
 * region reserved, the command line extended. On error the DT may be
 * half-rewritten: the caller refuses to boot. ret_sigs gets the tables'
 * signatures ("XSDT FACP ..."), for the console.
 */
int guest_acpi_build(void *fdt, size_t fdt_room, void *region, uint64_t base,
		     char *ret_sigs, size_t sigs_len, struct hv_err *err);
#endif
