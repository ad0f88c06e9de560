// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness: the device tree to ACPI converter (hypervisor/acpi),
 * built for the host with the host's libfdt. The input is a DTB as the
 * hypervisor receives it from the boot loader (size known, contents
 * hostile). Checks acpi.h's contract: a refusal says why; a table set
 * stays inside the buffer and every table's checksum holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <acpi/acpi.h>

#include "fuzz.h"

#define BASE  0x47000000ull
#define BUFSZ (256 * 1024)

static uint8_t *out;

static void note(void *ctx, enum acpi_note_kind kind, const char *node,
		 const char *msg)
{
	(void)ctx;
	(void)kind;
	/* both are read, as verge-acpi --describe prints them */
	FUZZ_CHECK(node && strlen(node) < 4096);
	FUZZ_CHECK(msg && strlen(msg) < 4096);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acpi_params prm = { BASE, 16, note, NULL };
	struct acpi_result res;
	struct hv_err err = { "" };
	uint8_t *dtb;
	unsigned i;
	int r;

	if (!out && !(out = malloc(BUFSZ)))
		return 0;
	/* an exact copy: reading one byte past the DTB is caught */
	dtb = malloc(size ? size : 1);
	if (!dtb)
		return 0;
	memcpy(dtb, data, size);
	memset(&res, 0, sizeof(res));
	r = acpi_build(dtb, size, out, BUFSZ, &prm, &res, &err);
	if (r) {
		FUZZ_CHECK(r == -EINVAL || r == -ENOSPC || r == -E2BIG);
		FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)) &&
			   err.msg[0]);
	} else {
		FUZZ_CHECK(res.used <= BUFSZ);
		FUZZ_CHECK(res.rsdp == BASE);
		FUZZ_CHECK(res.ntables <= ACPI_MAX_TABLES);
		for (i = 0; i < res.ntables; i++) {
			const struct acpi_table_ref *t = &res.table[i];

			FUZZ_CHECK(t->offset <= res.used &&
				   t->length <= res.used - t->offset);
			/* the RSDP has two: ACPI 1.0's and the whole */
			if (!strcmp(t->sig, "RSDP"))
				FUZZ_CHECK(sum(out + t->offset, 20) == 0);
			FUZZ_CHECK(sum(out + t->offset, t->length) == 0);
		}
	}
	free(dtb);
	return 0;
}
