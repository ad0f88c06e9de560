// SPDX-License-Identifier: Apache-2.0
/* Probing the machine device tree (libfdt). */
#include <core/platform.h>
#include <libfdt.h>

static uint64_t read_cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 32) | fdt32_to_cpu(*p++);
	return v;
}

static int add_region(struct platform *p, uint64_t base, uint64_t size,
		      enum region_kind kind, struct hv_err *err)
{
	if (p->nregions == PLAT_MAX_REGIONS) {
		hv_err_set(err, "device tree: more than %d regions",
			   PLAT_MAX_REGIONS);
		return -ENOSPC;
	}
	if (size == 0 || base + size < base) {
		hv_err_set(err, "device tree: bad region 0x%llx+0x%llx",
			   (unsigned long long)base, (unsigned long long)size);
		return -EINVAL;
	}
	p->regions[p->nregions++] = (struct region){ base, size, kind, 0 };
	return 0;
}

/* Adds every (address, size) pair of the node's "reg", with kind. */
static int add_reg(const void *fdt, int node, struct platform *p,
		   enum region_kind kind, struct hv_err *err)
{
	int parent = fdt_parent_offset(fdt, node);
	int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
	int len, r;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

	if (!reg)
		return 0;
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2 ||
	    len % (4 * (ac + sc))) {
		hv_err_set(err, "device tree: %s: malformed reg",
			   fdt_get_name(fdt, node, NULL));
		return -EINVAL;
	}
	for (; len > 0; len -= 4 * (ac + sc), reg += ac + sc) {
		r = add_region(p, read_cells(reg, ac), read_cells(reg + ac, sc),
			       kind, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* PCI host bridge windows: (pci addr 3 cells, cpu addr, size). */
static int add_pci_ranges(const void *fdt, int node, struct platform *p,
			  struct hv_err *err)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, node);
	int len, r, step = 3 + ac + sc;
	const fdt32_t *rg = fdt_getprop(fdt, node, "ranges", &len);

	if (!rg)
		return 0;
	if (sc < 1 || sc > 2 || len % (4 * step)) {
		hv_err_set(err, "device tree: pci: malformed ranges");
		return -EINVAL;
	}
	for (; len > 0; len -= 4 * step, rg += step) {
		r = add_region(p, read_cells(rg + 3, ac),
			       read_cells(rg + 3 + ac, sc), REGION_DEVICE, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The first interrupt of a node, as a GIC INTID (SPI or PPI), or 0. */
static unsigned node_intid(const void *fdt, int node)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node, "interrupts", &len);
	uint32_t type, num;

	if (!v || len < 12)
		return 0;
	type = fdt32_to_cpu(v[0]);
	num = fdt32_to_cpu(v[1]);
	if (type == 0 && num < 988)
		return num + 32;
	if (type == 1 && num < 16)
		return num + 16;
	return 0;
}

static bool node_disabled(const void *fdt, int node)
{
	const char *s = fdt_getprop(fdt, node, "status", NULL);

	return s && strcmp(s, "okay") && strcmp(s, "ok");
}

static bool is_compat(const void *fdt, int node, const char *c)
{
	return fdt_node_check_compatible(fdt, node, c) == 0;
}

static int probe_gic(const void *fdt, int node, struct platform *p,
		     struct hv_err *err)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
	int len, r;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

	if (!reg || len < 8 * (ac + sc)) {
		hv_err_set(err, "device tree: GICv3 needs distributor and redistributor reg");
		return -EINVAL;
	}
	p->gicd = read_cells(reg, ac);
	p->gicr = read_cells(reg + ac + sc, ac);
	p->gicr_size = read_cells(reg + 2 * ac + sc, sc);
	r = add_region(p, p->gicd, read_cells(reg + ac, sc), REGION_GICD, err);
	if (r < 0)
		return r;
	return add_region(p, p->gicr, p->gicr_size, REGION_GICR, err);
}

/* One node directly under the root. */
static int probe_node(const void *fdt, int node, struct platform *p,
		      struct hv_err *err)
{
	const char *type = fdt_getprop(fdt, node, "device_type", NULL);
	int r;

	if (node_disabled(fdt, node))
		return 0;
	if (type && !strcmp(type, "memory"))
		return add_reg(fdt, node, p, REGION_RAM, err);
	if (is_compat(fdt, node, "arm,gic-v3"))
		return probe_gic(fdt, node, p, err);
	if (is_compat(fdt, node, "virtio,mmio") ||
	    is_compat(fdt, node, "qemu,fw-cfg-mmio")) {
		r = add_reg(fdt, node, p, REGION_HV_DEVICE, err);
		if (r == 0 && p->nregions)
			p->regions[p->nregions - 1].irq = node_intid(fdt, node);
		return r;
	}
	if (is_compat(fdt, node, "arm,pl011") && !p->uart) {
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", NULL);
		if (reg)
			p->uart = read_cells(reg, fdt_address_cells(fdt, 0));
	}
	r = add_reg(fdt, node, p, REGION_DEVICE, err);
	if (r < 0 || !is_compat(fdt, node, "pci-host-ecam-generic"))
		return r;
	return add_pci_ranges(fdt, node, p, err);
}

static int probe_cpus(const void *fdt, struct platform *p, struct hv_err *err)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), node;
	int ac = fdt_address_cells(fdt, cpus);

	if (cpus < 0 || ac < 1 || ac > 2) {
		hv_err_set(err, "device tree: no usable /cpus node");
		return -EINVAL;
	}
	fdt_for_each_subnode(node, fdt, cpus) {
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", NULL);

		if (!type || strcmp(type, "cpu") || !reg)
			continue;
		if (p->ncpus == PLAT_MAX_CPUS) {
			hv_err_set(err, "more than %d CPUs", PLAT_MAX_CPUS);
			return -ENOSPC;
		}
		p->cpu_mpidr[p->ncpus++] = read_cells(reg, ac);
	}
	return 0;
}

static void probe_chosen(const void *fdt, struct platform *p)
{
	int chosen = fdt_path_offset(fdt, "/chosen"), len;
	const fdt32_t *v;

	p->bootargs = "";
	if (chosen < 0)
		return;
	p->bootargs = fdt_getprop(fdt, chosen, "bootargs", &len);
	if (!p->bootargs || len < 1 || p->bootargs[len - 1])
		p->bootargs = "";
	v = fdt_getprop(fdt, chosen, "linux,initrd-start", &len);
	if (v && (len == 4 || len == 8))
		p->initrd_start = read_cells(v, len / 4);
	v = fdt_getprop(fdt, chosen, "linux,initrd-end", &len);
	if (v && (len == 4 || len == 8))
		p->initrd_end = read_cells(v, len / 4);
}

static int check_probe(struct platform *p, struct hv_err *err)
{
	p->ram_base = UINT64_MAX;
	for (unsigned i = 0; i < p->nregions; i++)
		if (p->regions[i].kind == REGION_RAM &&
		    p->regions[i].base < p->ram_base)
			p->ram_base = p->regions[i].base;
	if (p->ram_base == UINT64_MAX) {
		hv_err_set(err, "device tree: no memory node");
		return -EINVAL;
	}
	if (!p->gicd || !p->ncpus) {
		hv_err_set(err, "device tree: needs a GICv3 and at least one CPU");
		return -EINVAL;
	}
	if (p->initrd_end < p->initrd_start) {
		hv_err_set(err, "device tree: initrd end before start");
		return -EINVAL;
	}
	return 0;
}

int platform_probe(const void *fdt, struct platform *ret, struct hv_err *err)
{
	struct platform p;
	int node, r;

	memset(&p, 0, sizeof(p));
	if (fdt_check_header(fdt)) {
		hv_err_set(err, "no valid device tree blob");
		return -EINVAL;
	}
	fdt_for_each_subnode(node, fdt, 0) {
		r = probe_node(fdt, node, &p, err);
		if (r < 0)
			return r;
	}
	/* The ITS sits under the GIC node: the hypervisor keeps it. */
	node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its");
	for (; node >= 0; node = fdt_node_offset_by_compatible(fdt, node, "arm,gic-v3-its")) {
		r = add_reg(fdt, node, &p, REGION_HV_DEVICE, err);
		if (r < 0)
			return r;
	}
	r = probe_cpus(fdt, &p, err);
	if (r < 0)
		return r;
	probe_chosen(fdt, &p);
	r = check_probe(&p, err);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

const struct region *platform_find(const struct platform *p, uint64_t addr)
{
	for (unsigned i = 0; i < p->nregions; i++)
		if (addr - p->regions[i].base < p->regions[i].size)
			return &p->regions[i];
	return NULL;
}

bool platform_guest_ram(const struct platform *p, uint64_t hv_base,
			uint64_t hv_end, uint64_t pa, uint64_t n)
{
	const struct region *r = platform_find(p, pa);

	if (!r || r->kind != REGION_RAM || !n || pa + n < pa ||
	    pa + n > r->base + r->size)
		return false;
	return pa + n <= hv_base || pa >= hv_end;
}

const char *region_kind_name(enum region_kind k)
{
	static const char *const names[] = {
		[REGION_RAM] = "RAM",
		[REGION_DEVICE] = "guest device",
		[REGION_GICD] = "GIC distributor",
		[REGION_GICR] = "GIC redistributors",
		[REGION_HV_DEVICE] = "hypervisor device",
	};
	return k < ARRAY_SIZE(names) ? names[k] : "?";
}
