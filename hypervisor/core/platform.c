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

/*
 * arm,sbsa-gwdt: reg is the control frame, then the refresh frame; each
 * a 4 KiB register frame, 4 KiB-aligned, 4 KiB to 64 KiB long (boards
 * with 64 KiB pages give 64 KiB), the two apart. Their overlaps with the
 * rest are checked once every node is in (check_board_wdt()).
 */
static int probe_board_wdt(const void *fdt, int node, struct platform *p,
			   struct hv_err *err)
{
	static const char *const frame[] = { "control", "refresh" };
	const char *name = fdt_get_name(fdt, node, NULL);
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0), len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	uint64_t base[2], size[2];
	int r;

	if (!reg || ac < 1 || ac > 2 || sc < 1 || sc > 2 ||
	    len != 8 * (ac + sc)) {
		hv_err_set(err, "device tree: %s (arm,sbsa-gwdt): reg must be the control frame and the refresh frame, two entries",
			   name);
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		base[i] = read_cells(reg + i * (ac + sc), ac);
		size[i] = read_cells(reg + i * (ac + sc) + ac, sc);
		if (!IS_ALIGNED(base[i] | size[i], SZ_4K) || size[i] < SZ_4K ||
		    size[i] > SZ_64K || base[i] + size[i] < base[i]) {
			hv_err_set(err, "device tree: %s (arm,sbsa-gwdt): %s frame 0x%llx+0x%llx: a frame is 4 KiB to 64 KiB at a 4 KiB boundary",
				   name, frame[i], (unsigned long long)base[i],
				   (unsigned long long)size[i]);
			return -EINVAL;
		}
	}
	if (base[0] < base[1] + size[1] && base[1] < base[0] + size[0]) {
		hv_err_set(err, "device tree: %s (arm,sbsa-gwdt): the control and refresh frames overlap",
			   name);
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		r = add_region(p, base[i], size[i], REGION_HV_WDT, err);
		if (r < 0)
			return r;
		p->regions[p->nregions - 1].irq = node_intid(fdt, node);
	}
	if (p->wdt.ctrl) {
		if (!p->wdt.others++)
			p->wdt.other_ctrl = base[0];
		return 0;
	}
	p->wdt = (struct board_wdt){ base[0], size[0], base[1], size[1],
				     node_intid(fdt, node), 0, 0 };
	return 0;
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
	if (is_compat(fdt, node, "arm,sbsa-gwdt"))
		return probe_board_wdt(fdt, node, p, err);
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

/* [base, base + size) lies in one /memreserve/ entry or one reg range
 * of a /reserved-memory child. */
static bool reserved(const void *fdt, uint64_t base, uint64_t size)
{
	int rm = fdt_path_offset(fdt, "/reserved-memory"), node, len, ac, sc;
	uint64_t a, s;

	for (int i = 0; i < fdt_num_mem_rsv(fdt); i++)
		if (fdt_get_mem_rsv(fdt, i, &a, &s) == 0 && a <= base &&
		    base + size <= a + s && a + s >= a)
			return true;
	if (rm < 0)
		return false;
	ac = fdt_address_cells(fdt, rm);
	sc = fdt_size_cells(fdt, rm);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return false;
	fdt_for_each_subnode(node, fdt, rm) {
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

		for (; reg && len >= 4 * (ac + sc);
		     len -= 4 * (ac + sc), reg += ac + sc) {
			a = read_cells(reg, ac);
			s = read_cells(reg + ac, sc);
			if (a <= base && base + size <= a + s && a + s >= a)
				return true;
		}
	}
	return false;
}

/* The board's watchdog frames share no page with another region, and
 * lie in RAM only where the DT reserves that RAM. */
static int check_board_wdt(const void *fdt, const struct platform *p,
			   struct hv_err *err)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct region *w = &p->regions[i];
		uint64_t wb = w->base & ~(SZ_4K - 1);
		uint64_t we = ALIGN_UP(w->base + w->size, SZ_4K);

		if (w->kind != REGION_HV_WDT)
			continue;
		for (unsigned j = 0; j < p->nregions; j++) {
			const struct region *o = &p->regions[j];

			if (j == i || o->base >= we || wb >= o->base + o->size)
				continue;
			if (o->kind == REGION_RAM && reserved(fdt, w->base, w->size))
				continue;
			if (o->kind == REGION_RAM)
				hv_err_set(err, "device tree: board watchdog frame 0x%llx+0x%llx is in RAM that neither /memreserve/ nor /reserved-memory reserves",
					   (unsigned long long)w->base,
					   (unsigned long long)w->size);
			else
				hv_err_set(err, "device tree: board watchdog frame 0x%llx+0x%llx overlaps the %s at 0x%llx",
					   (unsigned long long)w->base,
					   (unsigned long long)w->size,
					   region_kind_name(o->kind),
					   (unsigned long long)o->base);
			return -EINVAL;
		}
	}
	return 0;
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
	r = check_board_wdt(fdt, &p, err);
	if (r == 0)
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
		[REGION_HV_WDT] = "board watchdog",
	};
	return k < ARRAY_SIZE(names) ? names[k] : "?";
}
