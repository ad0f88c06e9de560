// SPDX-License-Identifier: Apache-2.0
/*
 * The static tables. Layouts: ACPI 6.3 (MADT 5.2.12, GTDT 5.2.24,
 * MCFG: PCI Firmware Spec 3.2 4.1.2), Microsoft's SPCR (revision 2) and
 * DBG2 specifications, Arm DEN0049 (IORT, issue D).
 */
#include "tables.h"

/* MADT */
#define MADT_HDR	44
#define GICC_LEN	80
#define GICD_LEN	24
#define GICR_LEN	16
#define ITS_LEN		20
#define GICC_ENABLED	(1u << 0)
#define GICC_PERF_EDGE	(1u << 1)
#define GICC_VGIC_EDGE	(1u << 2)

static void madt_gicc(uint8_t *p, const struct board *b, unsigned i)
{
	const struct gic_info *g = &b->gic;
	uint32_t flags = GICC_ENABLED;

	if (b->pmu.edge)
		flags |= GICC_PERF_EDGE;
	if (g->maint.edge)
		flags |= GICC_VGIC_EDGE;
	p[0] = 0x0b;
	p[1] = GICC_LEN;
	put32(p + 4, i);		/* CPU interface number */
	put32(p + 8, i);		/* ACPI processor UID = \_SB.Cxxx._UID */
	put32(p + 12, flags);
	put32(p + 20, b->pmu.gsiv);
	put64(p + 32, g->gicc);
	put64(p + 40, g->gicv);
	put64(p + 48, g->gich);
	put32(p + 56, g->maint.gsiv);
	put64(p + 68, b->cpu[i].mpidr);	/* GICR base 0: GICR structures */
}

int table_madt(struct out *o, const struct board *b)
{
	const struct gic_info *g = &b->gic;
	size_t len = MADT_HDR + b->ncpus * GICC_LEN + GICD_LEN +
		     g->ngicr * GICR_LEN + g->nits * ITS_LEN;
	uint8_t *p = out_table(o, "APIC", len, 5), *q;

	if (!p)
		return o->err;
	q = p + MADT_HDR;	/* local interrupt controller address, flags: 0 */
	for (unsigned i = 0; i < b->ncpus; i++, q += GICC_LEN)
		madt_gicc(q, b, i);
	q[0] = 0x0c;
	q[1] = GICD_LEN;
	put64(q + 8, g->gicd);
	q[20] = (uint8_t)g->version;
	q += GICD_LEN;
	for (unsigned i = 0; i < g->ngicr; i++, q += GICR_LEN) {
		q[0] = 0x0e;
		q[1] = GICR_LEN;
		put64(q + 4, g->gicr[i].base);
		put32(q + 12, (uint32_t)g->gicr[i].size);
	}
	for (unsigned i = 0; i < g->nits; i++, q += ITS_LEN) {
		q[0] = 0x0f;
		q[1] = ITS_LEN;
		put32(q + 4, i);
		put64(q + 8, g->its[i]);
	}
	return 0;
}

/* PPTT (5.2.29), revision 2: one processor hierarchy node per cpu-map
 * node, no private resources (no caches described). */
#define PPTT_NODE_LEN	20
#define PPTT_PACKAGE	(1u << 0)
#define PPTT_ID_VALID	(1u << 1)
#define PPTT_THREAD	(1u << 2)
#define PPTT_LEAF	(1u << 3)

int table_pptt(struct out *o, const struct board *b)
{
	uint8_t *p = out_table(o, "PPTT", ACPI_HDR_LEN + b->ntopo * PPTT_NODE_LEN, 2);

	if (!p)
		return o->err;
	for (unsigned i = 0; i < b->ntopo; i++) {
		const struct topo_node *t = &b->topo[i];
		uint8_t *n = p + ACPI_HDR_LEN + i * PPTT_NODE_LEN;
		uint32_t flags = (t->package ? PPTT_PACKAGE : 0) |
				 (t->thread ? PPTT_THREAD : 0) |
				 (t->cpu >= 0 ? PPTT_ID_VALID | PPTT_LEAF : 0);

		n[0] = 0;
		n[1] = PPTT_NODE_LEN;
		put32(n + 4, flags);
		if (t->parent >= 0)
			put32(n + 8, ACPI_HDR_LEN + (uint32_t)t->parent * PPTT_NODE_LEN);
		put32(n + 12, t->cpu >= 0 ? (uint32_t)t->cpu : 0);
	}
	return 0;
}

/* GTDT, revision 2 (96 bytes), and an SBSA Generic Watchdog structure
 * (5.2.24.2, 28 bytes) when the DT has one. */
#define GTDT_LEN	96
#define GTDT_WDT_LEN	28
#define GT_EDGE		(1u << 0)
#define GT_ACTIVE_LOW	(1u << 1)
#define GT_ALWAYS_ON	(1u << 2)

static void gtdt_watchdog(uint8_t *w, const struct dev *d)
{
	w[0] = 1;			/* SBSA Generic Watchdog */
	put16(w + 1, GTDT_WDT_LEN);
	put64(w + 4, d->reg[1].base);	/* refresh frame */
	put64(w + 12, d->reg[0].base);	/* control frame */
	put32(w + 20, d->irq.gsiv);
	put32(w + 24, (d->irq.edge ? GT_EDGE : 0) |
		      (d->irq.active_low ? GT_ACTIVE_LOW : 0));
}

int table_gtdt(struct out *o, const struct board *b)
{
	size_t len = GTDT_LEN + (b->has_wdt ? GTDT_WDT_LEN : 0);
	uint8_t *p = out_table(o, "GTDT", len, 2);

	if (!p)
		return o->err;
	put64(p + 36, UINT64_MAX);	/* CntControlBase: not provided */
	for (int i = 0; i < 4; i++) {
		const struct irq *t = &b->timer.irq[i];
		uint32_t flags = (t->edge ? GT_EDGE : 0) |
				 (t->active_low ? GT_ACTIVE_LOW : 0) |
				 (b->timer.always_on ? GT_ALWAYS_ON : 0);

		put32(p + 48 + 8 * i, t->gsiv);
		put32(p + 52 + 8 * i, t->gsiv ? flags : 0);
	}
	put64(p + 80, UINT64_MAX);	/* CntReadBase: not provided */
	put32(p + 88, b->has_wdt ? 1 : 0);	/* platform timer count */
	put32(p + 92, GTDT_LEN);	/* platform timer offset */
	if (b->has_wdt)
		gtdt_watchdog(p + GTDT_LEN, &b->wdt);
	return 0;
}

/* SPCR revision 2 (80 bytes). */
#define SPCR_LEN	80
#define SPCR_IRQ_GIC	(1u << 3)

int table_spcr(struct out *o, const struct board *b)
{
	const struct uart_type *t = b->uart_type;
	uint8_t *p = out_table(o, "SPCR", SPCR_LEN, 2);

	if (!p)
		return o->err;
	p[36] = t->spcr;
	put_gas(p + 40, b->uart.reg[0].base, 8 * t->width, t->width);
	p[52] = SPCR_IRQ_GIC;
	put32(p + 54, b->uart.irq.gsiv);
	p[58] = 7;		/* 115200 baud */
	p[60] = 1;		/* 1 stop bit */
	p[62] = 3;		/* terminal: ANSI */
	put16(p + 64, 0xffff);	/* not a PCI device */
	put16(p + 66, 0xffff);
	return 0;
}

/* DBG2 with one serial port, its namespace path \_SB.COM0. */
#define DBG2_HDR	44
#define DBG2_DEV_FIXED	22
#define DBG2_SERIAL	0x8000

int table_dbg2(struct out *o, const struct board *b)
{
	static const char ns[] = "\\_SB.COM0";
	size_t dlen = DBG2_DEV_FIXED + 12 + 4 + sizeof(ns);
	const struct uart_type *t = b->uart_type;
	uint8_t *p = out_table(o, "DBG2", DBG2_HDR + dlen, 0), *d;

	if (!p)
		return o->err;
	put32(p + 36, DBG2_HDR);
	put32(p + 40, 1);
	d = p + DBG2_HDR;
	put16(d + 1, (uint16_t)dlen);
	d[3] = 1;					/* one GAS */
	put16(d + 4, sizeof(ns));
	put16(d + 6, DBG2_DEV_FIXED + 12 + 4);		/* namespace string */
	put16(d + 12, DBG2_SERIAL);
	put16(d + 14, t->dbg2);
	put16(d + 18, DBG2_DEV_FIXED);			/* base address */
	put16(d + 20, DBG2_DEV_FIXED + 12);		/* address size */
	put_gas(d + DBG2_DEV_FIXED, b->uart.reg[0].base, 8 * t->width, t->width);
	put32(d + DBG2_DEV_FIXED + 12, (uint32_t)b->uart.reg[0].size);
	memcpy(d + DBG2_DEV_FIXED + 16, ns, sizeof(ns));
	return 0;
}

int table_mcfg(struct out *o, const struct board *b)
{
	const struct pci_info *pci = &b->pci;
	uint8_t *p = out_table(o, "MCFG", 44 + 16, 1);

	if (!p)
		return o->err;
	/* The base address is that of bus 0, even if the range starts later. */
	put64(p + 44, pci->ecam - ((uint64_t)pci->bus_start << 20));
	put16(p + 52, (uint16_t)pci->segment);
	p[54] = (uint8_t)pci->bus_start;
	p[55] = (uint8_t)pci->bus_end;
	return 0;
}

/*
 * IORT: an ITS group with every ITS, an SMMUv3 when described, and the
 * root complex's RID map: to the SMMU (iommu-map) and from it to the ITS,
 * or straight to the ITS (msi-map).
 */
#define IORT_HDR	48
#define IORT_ITS_GROUP	0
#define IORT_RC		2
#define IORT_SMMUV3	4
#define IORT_NODE_HDR	16
#define IORT_RC_LEN	36	/* revision 1: with the address size limit */
#define IORT_SMMU_LEN	68	/* revision 2: with the DeviceID map index */
#define IORT_MAP_LEN	20

struct iort_layout {
	uint32_t its, smmu, rc, end;	/* node offsets, 0 = absent */
	bool smmu_to_its, rc_to_smmu, rc_to_its;
};

/* Which nodes and mappings the board gives, and where they go. */
static void iort_plan(const struct board *b, struct iort_layout *l)
{
	const struct pci_info *p = &b->pci;
	bool msi = b->has_pci && p->msi_its_phandle;

	memset(l, 0, sizeof(*l));
	l->rc_to_smmu = b->has_pci && p->iommu_phandle;
	l->rc_to_its = msi && !l->rc_to_smmu;
	/* RID -> StreamID -> DeviceID composes when both maps cover the same
	 * RIDs; the SMMU then maps StreamIDs to the ITS. */
	l->smmu_to_its = l->rc_to_smmu && msi && p->iommu_rid_base == p->rid_base &&
			 p->iommu_len == p->rid_len;
	l->end = IORT_HDR;
	if (b->gic.nits) {
		l->its = l->end;
		l->end += IORT_NODE_HDR + 4 + 4 * b->gic.nits;
	}
	if (b->smmu.present) {
		l->smmu = l->end;
		l->end += IORT_SMMU_LEN + (l->smmu_to_its ? IORT_MAP_LEN : 0);
	}
	if (l->rc_to_smmu || l->rc_to_its) {
		l->rc = l->end;
		l->end += IORT_RC_LEN + IORT_MAP_LEN;
	}
}

static void iort_node(uint8_t *n, uint8_t type, uint8_t rev, uint32_t len,
		      uint32_t nmaps, uint32_t maps_at)
{
	n[0] = type;
	put16(n + 1, (uint16_t)len);
	n[3] = rev;
	put32(n + 8, nmaps);
	put32(n + 12, nmaps ? maps_at : 0);
}

static void iort_map(uint8_t *m, uint32_t in, uint32_t count, uint32_t out,
		     uint32_t ref)
{
	put32(m, in);
	put32(m + 4, count - 1);
	put32(m + 8, out);
	put32(m + 12, ref);
}

static void iort_smmu(uint8_t *n, const struct board *b,
		      const struct iort_layout *l)
{
	const struct smmu_info *s = &b->smmu;
	const struct pci_info *p = &b->pci;

	iort_node(n, IORT_SMMUV3, 2, IORT_SMMU_LEN +
		  (l->smmu_to_its ? IORT_MAP_LEN : 0), l->smmu_to_its,
		  IORT_SMMU_LEN);
	put64(n + 16, s->base);
	put32(n + 24, s->coherent ? 1 : 0);	/* COHACC override */
	put32(n + 44, s->gsiv[SMMU_EVENTQ]);
	put32(n + 48, s->gsiv[SMMU_PRIQ]);
	put32(n + 52, s->gsiv[SMMU_GERROR]);
	put32(n + 56, s->gsiv[SMMU_SYNC]);
	if (l->smmu_to_its)
		iort_map(n + IORT_SMMU_LEN, p->iommu_base, p->iommu_len,
			 p->msi_base, l->its);
}

static void iort_rc(uint8_t *n, const struct board *b,
		    const struct iort_layout *l)
{
	const struct pci_info *p = &b->pci;

	iort_node(n, IORT_RC, 1, IORT_RC_LEN + IORT_MAP_LEN, 1, IORT_RC_LEN);
	put32(n + 16, p->coherent ? 1 : 0);	/* cache coherent */
	n[23] = p->coherent ? 3 : 0;		/* CPM | DACS */
	put32(n + 28, p->segment);
	n[32] = 64;				/* memory address size limit */
	if (l->rc_to_smmu)
		iort_map(n + IORT_RC_LEN, p->iommu_rid_base, p->iommu_len,
			 p->iommu_base, l->smmu);
	else
		iort_map(n + IORT_RC_LEN, p->rid_base, p->rid_len, p->msi_base,
			 l->its);
}

int table_iort(struct out *o, const struct board *b)
{
	struct iort_layout l;
	uint8_t *p;

	iort_plan(b, &l);
	p = out_table(o, "IORT", l.end, 0);
	if (!p)
		return o->err;
	put32(p + 36, !!l.its + !!l.smmu + !!l.rc);
	put32(p + 40, IORT_HDR);
	if (l.its) {
		iort_node(p + l.its, IORT_ITS_GROUP, 0,
			  IORT_NODE_HDR + 4 + 4 * b->gic.nits, 0, 0);
		put32(p + l.its + 16, b->gic.nits);
		for (unsigned i = 0; i < b->gic.nits; i++)
			put32(p + l.its + 20 + 4 * i, i);
	}
	if (l.smmu)
		iort_smmu(p + l.smmu, b, &l);
	if (l.rc)
		iort_rc(p + l.rc, b, &l);
	return 0;
}
