// SPDX-License-Identifier: Apache-2.0
/*
 * acpi_build: the DT is read into a struct board (kept at the end of the
 * caller's buffer), then the tables are written from the start: RSDP,
 * XSDT, FADT, DSDT, MADT, GTDT, SPCR, DBG2, MCFG, IORT.
 */
#include "tables.h"

#define OEM_ID		"VERGE "	/* 6 bytes */
#define OEM_TABLE_ID	"VERGEDT "	/* 8 bytes */
#define CREATOR_ID	"VRGE"
#define XSDT_MAX	(ACPI_MAX_TABLES - 2)	/* all but RSDP, XSDT */

/* RSDP (5.2.5.3) */
#define RSDP_LEN		36
#define RSDP_V1_LEN		20
/* FADT (5.2.9), revision 6.3 */
#define FADT_LEN		276
#define FADT_FLAGS		112
#define FADT_HW_REDUCED		(1u << 20)
#define FADT_ARM_BOOT		129
#define FADT_PSCI		(1u << 0)
#define FADT_PSCI_HVC		(1u << 1)
#define FADT_MINOR		131
#define FADT_X_DSDT		140
#define FADT_HYPERVISOR_ID	268

void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

void put_gas(uint8_t *p, uint64_t addr, unsigned bits, unsigned access)
{
	static const uint8_t size_code[] = { 0, 1, 2, 0, 3, 0, 0, 0, 4 };

	p[0] = 0;			/* system memory */
	p[1] = (uint8_t)bits;
	p[2] = 0;
	p[3] = access < ARRAY_SIZE(size_code) ? size_code[access] : 0;
	put64(p + 4, addr);
}

uint8_t acpi_checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum += *b++;
	return (uint8_t)-sum;
}

uint8_t *out_free(struct out *o, size_t *ret_room)
{
	size_t at = ALIGN_UP(o->used, o->align);

	if (o->err || at >= o->cap) {
		*ret_room = 0;
		return NULL;
	}
	*ret_room = o->cap - at;
	return o->buf + at;
}

uint64_t out_addr(const struct out *o, const uint8_t *p)
{
	return o->base + (uint64_t)(p - o->buf);
}

static uint8_t *out_place(struct out *o, const char *sig, size_t len,
			  bool zero)
{
	struct acpi_result *r = o->res;
	size_t room;
	uint8_t *p = out_free(o, &room);
	struct acpi_table_ref *t;

	if (!p || len > room || r->ntables == ACPI_MAX_TABLES) {
		if (!o->err)
			o->err = -ENOSPC;
		return NULL;
	}
	if (zero)
		memset(p, 0, len);
	t = &r->table[r->ntables++];
	memcpy(t->sig, sig, 4);
	t->sig[4] = '\0';
	t->offset = (uint32_t)(p - o->buf);
	t->length = (uint32_t)len;
	o->used = t->offset + len;
	return p;
}

static uint8_t *out_header(struct out *o, const char *sig, size_t len,
			   uint8_t rev, bool zero)
{
	uint8_t *p = out_place(o, sig, len, zero);

	if (!p)
		return NULL;
	memset(p, 0, ACPI_HDR_LEN);
	memcpy(p, sig, 4);
	put32(p + 4, (uint32_t)len);
	p[8] = rev;
	memcpy(p + 10, OEM_ID, 6);
	memcpy(p + 16, OEM_TABLE_ID, 8);
	put32(p + 24, 1);
	memcpy(p + 28, CREATOR_ID, 4);
	put32(p + 32, 1);
	return p;
}

uint8_t *out_table(struct out *o, const char *sig, size_t len, uint8_t rev)
{
	return out_header(o, sig, len, rev, true);
}

uint8_t *out_table_written(struct out *o, const char *sig, size_t len,
			   uint8_t rev)
{
	return out_header(o, sig, len, rev, false);
}

static int table_fadt(struct out *o, const struct board *b, uint64_t dsdt)
{
	uint8_t *p = out_table(o, "FACP", FADT_LEN, 6);

	if (!p)
		return o->err;
	put32(p + FADT_FLAGS, FADT_HW_REDUCED);
	put16(p + FADT_ARM_BOOT, FADT_PSCI | (b->psci_hvc ? FADT_PSCI_HVC : 0));
	p[FADT_MINOR] = 3;
	put64(p + FADT_X_DSDT, dsdt);
	memcpy(p + FADT_HYPERVISOR_ID, "VERGE-HV", 8);
	return 0;
}

static void finish(struct out *o, uint8_t *rsdp, uint8_t *xsdt)
{
	struct acpi_result *r = o->res;
	unsigned n = 0;

	/* XSDT: every table but the RSDP, the XSDT and the DSDT. */
	for (unsigned i = 0; i < r->ntables; i++) {
		const char *s = r->table[i].sig;

		if (strcmp(s, "RSDP") && strcmp(s, "XSDT") && strcmp(s, "DSDT"))
			put64(xsdt + ACPI_HDR_LEN + 8 * n++,
			      o->base + r->table[i].offset);
	}
	put32(xsdt + 4, ACPI_HDR_LEN + 8 * n);
	for (unsigned i = 0; i < r->ntables; i++)
		if (!strcmp(r->table[i].sig, "XSDT"))
			r->table[i].length = ACPI_HDR_LEN + 8 * n;
	for (unsigned i = 0; i < r->ntables; i++) {
		uint8_t *t = o->buf + r->table[i].offset;

		if (strcmp(r->table[i].sig, "RSDP")) {
			t[9] = 0;
			t[9] = acpi_checksum(t, r->table[i].length);
		}
	}
	rsdp[8] = acpi_checksum(rsdp, RSDP_V1_LEN);
	rsdp[32] = acpi_checksum(rsdp, RSDP_LEN);
}

static uint8_t *make_rsdp(struct out *o)
{
	uint8_t *p = out_place(o, "RSDP", RSDP_LEN, true);

	if (p) {
		memcpy(p, "RSD PTR ", 8);
		memcpy(p + 9, OEM_ID, 6);
		p[15] = 2;		/* revision: XSDT */
		put32(p + 20, RSDP_LEN);
	}
	return p;
}

static int write_tables(struct out *o, const struct board *b)
{
	uint8_t *rsdp = make_rsdp(o);
	uint8_t *xsdt = out_table(o, "XSDT", ACPI_HDR_LEN + 8 * XSDT_MAX, 1);
	uint8_t *fadt;
	size_t room;
	int r;

	if (!rsdp || !xsdt)
		return o->err;
	put64(rsdp + 24, out_addr(o, xsdt));
	r = table_fadt(o, b, 0);
	fadt = o->buf + o->res->table[o->res->ntables - 1].offset;
	if (r == 0) {
		uint8_t *dsdt = out_free(o, &room);

		r = table_dsdt(o, b);
		if (r == 0)
			put64(fadt + FADT_X_DSDT, out_addr(o, dsdt));
	}
	if (r == 0)
		r = table_madt(o, b);
	if (r == 0)
		r = table_gtdt(o, b);
	if (r == 0 && b->ntopo)
		r = table_pptt(o, b);
	if (r == 0 && b->uart_kind != UART_NONE)
		r = table_spcr(o, b);
	if (r == 0 && b->uart_kind != UART_NONE)
		r = table_dbg2(o, b);
	if (r == 0 && b->has_pci)
		r = table_mcfg(o, b);
	if (r == 0 && (b->gic.nits || b->smmu.present))
		r = table_iort(o, b);
	if (r == 0)
		finish(o, rsdp, xsdt);
	return r;
}

int acpi_build(const void *fdt, size_t fdt_size, void *buf, size_t len,
	       const struct acpi_params *prm, struct acpi_result *ret,
	       struct hv_err *err)
{
	struct acpi_result res;
	struct out o;
	struct board *b;
	size_t at;
	int r;

	if ((prm->base & 15) || prm->align < 16 || (prm->align & (prm->align - 1)) ||
	    ((uintptr_t)buf & 7)) {
		hv_err_set(err, "ACPI: base and buffer must be 16-byte aligned, align a power of two >= 16");
		return -EINVAL;
	}
	if (len < sizeof(*b) + 4096) {
		hv_err_set(err, "ACPI: buffer too small (%zu bytes, need > %zu)",
			   len, sizeof(*b) + 4096);
		return -ENOSPC;
	}
	at = (len - sizeof(*b)) & ~(size_t)7;
	b = (struct board *)((uint8_t *)buf + at);
	b->note = prm->note;
	b->note_ctx = prm->note_ctx;
	r = board_parse(b, fdt, fdt_size, err);
	if (r < 0)
		return r;
	memset(&res, 0, sizeof(res));
	o = (struct out){ buf, at, 0, prm->base, prm->align, 0, &res };
	r = write_tables(&o, b);
	if (r < 0) {
		hv_err_set(err, "ACPI: %s while writing the tables",
			   r == -ENOSPC ? "out of buffer space" :
			   r == -E2BIG ? "a limit was exceeded" : "bad value");
		return r;
	}
	res.used = o.used;
	res.rsdp = prm->base;
	*ret = res;
	return 0;
}
