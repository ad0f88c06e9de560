// SPDX-License-Identifier: Apache-2.0
/*
 * The PCIe host bridge (pci-host-ecam-generic): ECAM window, bus range,
 * "ranges" windows, the legacy interrupt map and the MSI map. Bindings:
 * Linux pci/host-generic-pci.yaml, pci/pci.txt (IEEE 1275 PCI bus
 * binding: phys.hi bits 25:24 space, bit 30 prefetchable), pci-msi.txt.
 */
#include "board.h"

#define PCI_ADDR_CELLS	3
#define PCI_SIZE_CELLS	2
#define MAX_PARENT_ADDR	3	/* interrupt parent #address-cells */

static int parse_ecam(struct board *b, int node, struct hv_err *err)
{
	struct pci_info *p = &b->pci;
	struct reg r;
	uint32_t dom = 0;
	unsigned n;
	int len;
	const fdt32_t *br = fdt_getprop(b->fdt, node, "bus-range", &len);

	if (board_regs(b, node, &r, 1, &n, err) < 0)
		return -EINVAL;
	p->ecam = r.base;
	p->ecam_size = r.size;
	p->bus_start = 0;
	p->bus_end = 255;
	if (br) {
		if (len != 8)
			return board_fail(b, node, err, "bus-range must be 2 cells");
		p->bus_start = fdt32_to_cpu(br[0]);
		p->bus_end = fdt32_to_cpu(br[1]);
	}
	if (p->bus_start > p->bus_end || p->bus_end > 255)
		return board_fail(b, node, err, "bus-range out of 0..255");
	if (((uint64_t)(p->bus_end - p->bus_start + 1) << 20) > p->ecam_size)
		return board_fail(b, node, err, "ECAM window smaller than its bus range");
	if (board_u32(b->fdt, node, "linux,pci-domain", &dom) == -EINVAL ||
	    dom > 0xffff)
		return board_fail(b, node, err, "bad linux,pci-domain");
	p->segment = dom;
	return 0;
}

static int parse_ranges(struct board *b, int node, struct hv_err *err)
{
	struct pci_info *p = &b->pci;
	int pac = fdt_address_cells(b->fdt, fdt_parent_offset(b->fdt, node));
	int len, entry;
	const fdt32_t *c = fdt_getprop(b->fdt, node, "ranges", &len);

	if (pac < 1 || pac > 2)
		return board_fail(b, node, err, "parent #address-cells not 1 or 2");
	entry = PCI_ADDR_CELLS + pac + PCI_SIZE_CELLS;
	if (!c || len == 0 || len % (4 * entry))
		return board_fail(b, node, err, "ranges missing or not a multiple of its cells");
	for (; len > 0; len -= 4 * entry, c += entry) {
		struct pci_window *w = &p->win[p->nwin];
		uint32_t hi = fdt32_to_cpu(c[0]);

		if (p->nwin == BOARD_MAX_WINDOWS) {
			hv_err_set(err, "PCI: more than %d ranges", BOARD_MAX_WINDOWS);
			return -E2BIG;
		}
		w->space = hi >> 24 & 3;
		w->prefetch = hi >> 30 & 1;
		w->pci = board_cells(c + 1, 2);
		w->cpu = board_cells(c + PCI_ADDR_CELLS, pac);
		w->size = board_cells(c + PCI_ADDR_CELLS + pac, PCI_SIZE_CELLS);
		if (w->space == 0 || w->size == 0 || w->pci + w->size < w->pci ||
		    w->cpu + w->size < w->cpu ||
		    (w->space != 3 && w->pci + w->size > 0x100000000ull))
			return board_fail(b, node, err, "a ranges entry is empty, wraps, or is config space");
		{
			struct reg cpu = { w->cpu, w->size };

			if (board_translate(b, node, &cpu, err) < 0)
				return -EINVAL;
			w->cpu = cpu.base;
		}
		p->nwin++;
	}
	return 0;
}

/* interrupt-map entries read as they are, each checked to fit. */
static int parse_imap_raw(struct board *b, int node, struct hv_err *err)
{
	struct pci_info *p = &b->pci;
	const fdt32_t *m, *mask;
	uint32_t pac = 0, icells;
	int len, mlen;

	m = fdt_getprop(b->fdt, node, "interrupt-map", &len);
	mask = fdt_getprop(b->fdt, node, "interrupt-map-mask", &mlen);
	if (board_u32(b->fdt, node, "#interrupt-cells", &icells) || icells != 1)
		return board_fail(b, node, err, "#interrupt-cells must be 1");
	if (mask && mlen != 16)
		return board_fail(b, node, err, "interrupt-map-mask must be 4 cells");
	for (int i = 0; i < 4; i++)
		p->mask[i] = mask ? fdt32_to_cpu(mask[i]) : UINT32_MAX;
	if (board_u32(b->fdt, b->gic.node, "#address-cells", &pac) == -EINVAL ||
	    pac > MAX_PARENT_ADDR)
		return board_fail(b, b->gic.node, err, "#address-cells out of range for an interrupt-map parent");
	while (len > 0) {
		/* child address (3), pin (1), phandle, parent address, GIC (3) */
		int n = 4 + 1 + (int)pac + 3;

		if (len < 4 * 5 || fdt32_to_cpu(m[4]) != b->gic.phandle)
			return board_fail(b, node, err, "interrupt-map entry does not point at the GIC");
		if (len < 4 * n)
			return board_fail(b, node, err, "interrupt-map entry does not fit");
		if (p->nraw == BOARD_MAX_IMAP) {
			hv_err_set(err, "PCI: more than %d interrupt-map entries", BOARD_MAX_IMAP);
			return -E2BIG;
		}
		for (int i = 0; i < 4; i++)
			p->raw[p->nraw].child[i] = fdt32_to_cpu(m[i]);
		if (board_gic_spec(m + 5 + pac, &p->raw[p->nraw].irq) < 0 ||
		    p->raw[p->nraw].irq.gsiv < 32)
			return board_fail(b, node, err, "interrupt-map: not a GIC SPI");
		p->nraw++;
		m += n;
		len -= 4 * n;
	}
	return 0;
}

/*
 * _PRT has one entry per slot and pin; the DT map is usually masked down
 * to the swizzle pattern (slot & 3), so expand it for all 32 slots.
 */
static void expand_imap(struct pci_info *p)
{
	for (uint32_t slot = 0; slot < 32; slot++)
		for (uint32_t pin = 1; pin <= 4; pin++) {
			uint32_t key[4] = { slot << 11 & p->mask[0], 0, 0,
					    pin & p->mask[3] };

			for (unsigned i = 0; i < p->nraw; i++) {
				if (memcmp(key, p->raw[i].child, sizeof(key)))
					continue;
				p->imap[p->nimap].slot = (uint8_t)slot;
				p->imap[p->nimap].pin = (uint8_t)(pin - 1);
				p->imap[p->nimap].gsiv = p->raw[i].irq.gsiv;
				p->nimap++;
				break;
			}
		}
}

/* msi-map <rid-base phandle msi-base length>, or msi-parent <phandle>. */
static int parse_msi(struct board *b, int node, struct hv_err *err)
{
	struct pci_info *p = &b->pci;
	int len;
	const fdt32_t *m = fdt_getprop(b->fdt, node, "msi-map", &len);
	uint32_t ph;

	if (m) {
		if (len == 0 || len % 16)
			return board_fail(b, node, err, "msi-map must be 4-cell entries");
		if (len > 16)
			board_note(b, ACPI_NOTE_LEFT_OUT, node, "msi-map: only the first entry goes to IORT");
		ph = fdt32_to_cpu(m[1]);
		p->rid_base = fdt32_to_cpu(m[0]);
		p->msi_base = fdt32_to_cpu(m[2]);
		p->rid_len = fdt32_to_cpu(m[3]);
	} else if (board_u32(b->fdt, node, "msi-parent", &ph) == 0) {
		p->rid_base = p->msi_base = 0;
		p->rid_len = 0x10000;
	} else {
		return 0;
	}
	for (unsigned i = 0; i < b->gic.nits; i++)
		if (b->gic.its_phandle[i] == ph && p->rid_len) {
			p->msi_its_phandle = ph;
			return 0;
		}
	board_note(b, ACPI_NOTE_LEFT_OUT, node, "MSI parent is not a described ITS: no IORT mapping");
	return 0;
}

/* iommu-map <rid-base phandle iommu-base length> to the described SMMU. */
static int parse_iommu(struct board *b, int node, struct hv_err *err)
{
	struct pci_info *p = &b->pci;
	int len;
	const fdt32_t *m = fdt_getprop(b->fdt, node, "iommu-map", &len);

	if (!m)
		return 0;
	if (len == 0 || len % 16)
		return board_fail(b, node, err, "iommu-map must be 4-cell entries");
	if (!b->smmu.present || fdt32_to_cpu(m[1]) != b->smmu.phandle ||
	    !fdt32_to_cpu(m[3])) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "iommu-map: not to a described SMMUv3");
		return 0;
	}
	if (len > 16)
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "iommu-map: only the first entry goes to IORT");
	p->iommu_phandle = b->smmu.phandle;
	p->iommu_rid_base = fdt32_to_cpu(m[0]);
	p->iommu_base = fdt32_to_cpu(m[2]);
	p->iommu_len = fdt32_to_cpu(m[3]);
	return 0;
}

int board_parse_pci(struct board *b, struct hv_err *err)
{
	int node = fdt_node_offset_by_compatible(b->fdt, -1, "pci-host-ecam-generic");
	struct pci_info *p = &b->pci;

	while (node >= 0 && !board_status_ok(b->fdt, node))
		node = fdt_node_offset_by_compatible(b->fdt, node, "pci-host-ecam-generic");
	if (node < 0)
		return 0;
	p->node = node;
	if (fdt_address_cells(b->fdt, node) != PCI_ADDR_CELLS ||
	    fdt_size_cells(b->fdt, node) != PCI_SIZE_CELLS)
		return board_fail(b, node, err, "#address-cells must be 3 and #size-cells 2");
	p->coherent = fdt_getprop(b->fdt, node, "dma-coherent", NULL) != NULL;
	if (parse_ecam(b, node, err) < 0 || parse_ranges(b, node, err) < 0)
		return -EINVAL;
	if (fdt_getprop(b->fdt, node, "interrupt-map", NULL)) {
		if (parse_imap_raw(b, node, err) < 0)
			return -EINVAL;
		expand_imap(p);
	} else {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "no interrupt-map: no _PRT (INTx)");
	}
	if (parse_msi(b, node, err) < 0 || parse_iommu(b, node, err) < 0)
		return -EINVAL;
	b->has_pci = true;
	board_note(b, ACPI_NOTE_MAPPED, node, "MCFG and \\_SB.PCI0: ECAM 0x%llx, segment %u, buses %u-%u, %u windows, %u _PRT entries",
		   (unsigned long long)p->ecam, p->segment, p->bus_start,
		   p->bus_end, p->nwin, p->nimap);
	return 0;
}
