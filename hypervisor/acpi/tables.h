/* SPDX-License-Identifier: Apache-2.0 */
/* Writing tables into the output buffer (build.c), shared by the table
 * writers. Layouts: ACPI 6.x chapter 5 unless a comment says otherwise. */
#ifndef ACPI_TABLES_H
#define ACPI_TABLES_H
#include "board.h"

#define ACPI_HDR_LEN	36

struct out {
	uint8_t *buf;
	size_t cap, used;
	uint64_t base;
	uint32_t align;
	int err;
	struct acpi_result *res;
};

void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);
void put64(uint8_t *p, uint64_t v);
/* Generic Address Structure: system memory, access size in bytes. */
void put_gas(uint8_t *p, uint64_t addr, unsigned bits, unsigned access);

/* Room for a table of len bytes with its header filled in, recorded in
 * the result; NULL (and o->err) when out of room or table slots. */
uint8_t *out_table(struct out *o, const char *sig, size_t len, uint8_t rev);
/* The same for a table whose body is already written at out_free(). */
uint8_t *out_table_written(struct out *o, const char *sig, size_t len,
			   uint8_t rev);
/* Physical address of p (inside the buffer). */
uint64_t out_addr(const struct out *o, const uint8_t *p);
/* The free space after the last table, for the DSDT written in place. */
uint8_t *out_free(struct out *o, size_t *ret_room);

int table_madt(struct out *o, const struct board *b);
int table_gtdt(struct out *o, const struct board *b);
int table_pptt(struct out *o, const struct board *b);
int table_spcr(struct out *o, const struct board *b);
int table_dbg2(struct out *o, const struct board *b);
int table_mcfg(struct out *o, const struct board *b);
int table_iort(struct out *o, const struct board *b);
int table_dsdt(struct out *o, const struct board *b);
#endif
