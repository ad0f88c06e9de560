/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device tree to ACPI: reads a DTB (libfdt) and writes a complete,
 * checksummed table set (RSDP, XSDT, FADT, DSDT, MADT, GTDT, PPTT, SPCR,
 * DBG2, MCFG, IORT) into a caller's buffer that will sit at a given physical
 * address. Freestanding: builds into verge-hv and, unchanged, on the host.
 *
 * The library never prints. What it mapped from which DT node, and what it
 * left out and why, goes to an optional note callback (verge-acpi
 * --describe prints it); a hard error fills struct hv_err.
 */
#ifndef ACPI_ACPI_H
#define ACPI_ACPI_H
#include <core/compat.h>

#define ACPI_MAX_TABLES	12

enum acpi_note_kind {
	ACPI_NOTE_MAPPED,	/* a DT node became (part of) a table or device */
	ACPI_NOTE_LEFT_OUT,	/* a DT node was not described, with the reason */
};

typedef void (*acpi_note_fn)(void *ctx, enum acpi_note_kind kind,
			     const char *node, const char *msg);

struct acpi_params {
	uint64_t base;		/* physical address of buf[0], 16-aligned */
	/*
	 * Alignment of each table (power of two, >= 16). 4096 keeps every
	 * table that fits in a page inside one page: Linux arm64 without
	 * UEFI maps a table in RAM with kmap(), one page at most.
	 */
	uint32_t align;
	acpi_note_fn note;	/* may be NULL */
	void *note_ctx;
};

struct acpi_table_ref {
	char sig[5];		/* "APIC", "FACP", ..., "RSDP" for the RSDP */
	uint32_t offset;	/* in the buffer */
	uint32_t length;
};

struct acpi_result {
	size_t used;		/* bytes of the buffer written */
	uint64_t rsdp;		/* physical address of the RSDP (== base) */
	unsigned ntables;
	struct acpi_table_ref table[ACPI_MAX_TABLES];
};

/*
 * Builds the tables for the DTB fdt (fdt_size bytes readable there) into
 * buf (len bytes). Returns 0 and fills *ret, or a negative errno with the
 * reason in err: -EINVAL for a DTB that is malformed or lacks what ACPI
 * needs (GIC, CPUs, timer), -ENOSPC when buf is too small, -E2BIG when
 * the board exceeds a fixed limit (CPUs, regions). buf may hold garbage
 * on failure.
 */
int acpi_build(const void *fdt, size_t fdt_size, void *buf, size_t len,
	       const struct acpi_params *prm, struct acpi_result *ret,
	       struct hv_err *err);

/* The 8-bit checksum byte that makes the sum of p[0..n) zero. */
uint8_t acpi_checksum(const void *p, size_t n);
#endif
