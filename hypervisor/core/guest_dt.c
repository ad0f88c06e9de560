// SPDX-License-Identifier: Apache-2.0
/* Rewriting the machine DT into the guest's (libfdt). */
#include <core/guest_dt.h>
#include <libfdt.h>

#define MEM_MAX_RANGES	16

size_t guest_dt_size(const void *fdt, const struct guest_dt_params *prm)
{
	return fdt_totalsize(fdt) + strlen(prm->cmdline) + GUEST_DT_SEED + 1024 +
	       512;
}

static void put_cells(fdt32_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = cpu_to_fdt32((uint32_t)v);
		v >>= 32;
	}
}

static uint64_t get_cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 32) | fdt32_to_cpu(*p++);
	return v;
}

/* Appends [base, end) minus the hypervisor's range to out (ac/sc cells). */
static int carve(fdt32_t *out, int *n, uint64_t base, uint64_t end,
		 const struct guest_dt_params *prm, int ac, int sc)
{
	uint64_t piece[2][2] = {
		{ base, end < prm->hv_base ? end : prm->hv_base },
		{ base > prm->hv_end ? base : prm->hv_end, end },
	};

	for (int i = 0; i < 2; i++) {
		if (piece[i][0] >= piece[i][1])
			continue;
		if (*n == MEM_MAX_RANGES)
			return -ENOSPC;
		put_cells(out + *n * (ac + sc), piece[i][0], ac);
		put_cells(out + *n * (ac + sc) + ac, piece[i][1] - piece[i][0], sc);
		(*n)++;
	}
	return 0;
}

static int rewrite_memory_node(void *fdt, int node,
			       const struct guest_dt_params *prm,
			       struct hv_err *err)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
	fdt32_t out[MEM_MAX_RANGES * 4];
	const fdt32_t *reg;
	int len, n = 0, r;

	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg || ac < 1 || ac > 2 || sc < 1 || sc > 2 || len % (4 * (ac + sc))) {
		hv_err_set(err, "guest DT: malformed /memory reg");
		return -EINVAL;
	}
	for (; len > 0; len -= 4 * (ac + sc), reg += ac + sc) {
		uint64_t base = get_cells(reg, ac);
		uint64_t end = base + get_cells(reg + ac, sc);

		if (carve(out, &n, base, end, prm, ac, sc) < 0) {
			hv_err_set(err, "guest DT: too many memory ranges");
			return -ENOSPC;
		}
	}
	if (n == 0)
		r = fdt_del_node(fdt, node);
	else
		r = fdt_setprop(fdt, node, "reg", out, n * 4 * (ac + sc));
	if (r < 0) {
		hv_err_set(err, "guest DT: /memory: %s", fdt_strerror(r));
		return -EINVAL;
	}
	return n == 0;
}

static int rewrite_memory(void *fdt, const struct guest_dt_params *prm,
			  struct hv_err *err)
{
	int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type",
						 "memory", sizeof("memory"));
	int r;

	while (node >= 0) {
		r = rewrite_memory_node(fdt, node, prm, err);
		if (r < 0)
			return r;
		/* A deleted node (r == 1) shifts offsets: search from the start;
		 * rewriting a node twice is harmless. */
		node = fdt_node_offset_by_prop_value(fdt, r ? -1 : node,
						     "device_type", "memory",
						     sizeof("memory"));
	}
	return 0;
}

static int delete_compatible(void *fdt, const char *compat)
{
	int node, r;

	while ((node = fdt_node_offset_by_compatible(fdt, -1, compat)) >= 0) {
		r = fdt_del_node(fdt, node);
		if (r < 0)
			return r;
	}
	return 0;
}

/* With the ITS gone the guest has no MSI controller: drop references. */
static int delete_msi_refs(void *fdt)
{
	static const char *const props[] = { "msi-parent", "msi-map" };
	int node, r;

	for (node = fdt_next_node(fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL))
		for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
			r = fdt_delprop(fdt, node, props[i]);
			if (r < 0 && r != -FDT_ERR_NOTFOUND)
				return r;
		}
	return 0;
}

/* /chosen: the guest's command line, and its entropy seeds: never the
 * machine's (the hypervisor's secret is made from them), only the fresh
 * ones in prm, if any. */
static int set_chosen(void *fdt, const struct guest_dt_params *prm)
{
	static const char *const seeds[] = { "rng-seed", "kaslr-seed" };
	int chosen = fdt_path_offset(fdt, "/chosen"), r;

	if (chosen < 0)
		chosen = fdt_add_subnode(fdt, 0, "chosen");
	if (chosen < 0)
		return chosen;
	for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
		r = fdt_delprop(fdt, chosen, seeds[i]);
		if (r < 0 && r != -FDT_ERR_NOTFOUND)
			return r;
	}
	if (prm->seed) {
		r = fdt_setprop(fdt, chosen, "rng-seed", prm->seed,
				GUEST_DT_RNG_SEED);
		if (r == 0)
			r = fdt_setprop(fdt, chosen, "kaslr-seed",
					prm->seed + GUEST_DT_RNG_SEED,
					GUEST_DT_KASLR_SEED);
		if (r < 0)
			return r;
	}
	return fdt_setprop_string(fdt, chosen, "bootargs", prm->cmdline);
}

/*
 * /timer: the presented counter frequency, and optionally only the
 * secure and non-secure physical timer PPIs (the first two of secure
 * phys, phys, virt, hyp), so that Linux takes its clock events from the
 * trapped, scaled physical timer.
 */
static int set_timer(void *fdt, const struct guest_dt_params *prm)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
	int len, r = 0;
	const fdt32_t *irqs;
	fdt32_t keep[6];

	if (node < 0)
		return 0;
	if (prm->timer_freq)
		r = fdt_setprop_u32(fdt, node, "clock-frequency",
				    (uint32_t)prm->timer_freq);
	irqs = fdt_getprop(fdt, node, "interrupts", &len);
	if (r < 0 || !prm->phys_timer_only || !irqs || len < (int)sizeof(keep))
		return r;
	memcpy(keep, irqs, sizeof(keep));
	return fdt_setprop(fdt, node, "interrupts", keep, sizeof(keep));
}

/* The GIC's phandle when the root names no interrupt-parent, else 0. */
static uint32_t gic_parent(const void *fdt)
{
	int gic = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");

	if (fdt_getprop(fdt, 0, "interrupt-parent", NULL) || gic < 0)
		return 0;
	return fdt_get_phandle(fdt, gic);
}

/* watchdog@CTRL { compatible = "arm,sbsa-gwdt"; reg = <control frame>,
 * <refresh frame>; interrupts = <SPI n, level high>; } (the Linux
 * binding's order), under the root; its interrupt parent is the root's,
 * or the GIC. */
static int add_watchdog(void *fdt, const struct guest_dt_params *prm)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
	fdt32_t reg[8], irq[3] = { cpu_to_fdt32(0), cpu_to_fdt32(prm->wdt_spi),
				   cpu_to_fdt32(4) };
	char name[32];
	int node, r;

	if (!prm->wdt_ctrl)
		return 0;
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return -FDT_ERR_BADNCELLS;
	put_cells(reg, prm->wdt_ctrl, ac);
	put_cells(reg + ac, 0x1000, sc);
	put_cells(reg + ac + sc, prm->wdt_refresh, ac);
	put_cells(reg + 2 * ac + sc, 0x1000, sc);
	snprintf(name, sizeof(name), "watchdog@%llx",
		 (unsigned long long)prm->wdt_ctrl);
	node = fdt_add_subnode(fdt, 0, name);
	if (node < 0)
		return node;
	r = fdt_setprop_string(fdt, node, "compatible", "arm,sbsa-gwdt");
	if (r == 0)
		r = fdt_setprop(fdt, node, "reg", reg, 8 * (ac + sc));
	if (r == 0)
		r = fdt_setprop(fdt, node, "interrupts", irq, sizeof(irq));
	if (r == 0 && gic_parent(fdt))
		r = fdt_setprop_u32(fdt, node, "interrupt-parent",
				    gic_parent(fdt));
	return r;
}

/* Whether any node's 3-cell GIC "interrupts" names SPI spi already. */
static bool spi_taken(const void *fdt, unsigned spi)
{
	const fdt32_t *irq;
	int node, len;

	for (node = fdt_next_node(fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL)) {
		irq = fdt_getprop(fdt, node, "interrupts", &len);
		if (!irq || len % 12)
			continue;
		for (; len > 0; len -= 12, irq += 3)
			if (fdt32_to_cpu(irq[0]) == 0 &&
			    fdt32_to_cpu(irq[1]) == spi)
				return true;
	}
	return false;
}

/* The agent's doorbell (core/doorbell.h), an interrupt-only key:
 * verge-doorbell { compatible = "gpio-keys"; label = "verge-doorbell";
 *   doorbell { label; linux,code = <BTN_0>; interrupts = <SPI n, edge>;
 *   debounce-interval = <0>; } }
 * (debounce-interval 0: press and release in the interrupt, so every
 * ring is an event). Left out when the machine uses that SPI. Returns 1
 * when added. */
static int add_doorbell(void *fdt, const struct guest_dt_params *prm)
{
	fdt32_t irq[3] = { cpu_to_fdt32(0), cpu_to_fdt32(prm->doorbell_spi),
			   cpu_to_fdt32(1) };
	int node, key, r;

	if (!prm->doorbell_spi || spi_taken(fdt, prm->doorbell_spi))
		return 0;
	node = fdt_add_subnode(fdt, 0, prm->doorbell_label);
	if (node < 0)
		return node;
	r = fdt_setprop_string(fdt, node, "compatible", "gpio-keys");
	if (r == 0)
		r = fdt_setprop_string(fdt, node, "label", prm->doorbell_label);
	if (r < 0)
		return r;
	key = fdt_add_subnode(fdt, node, "doorbell");
	if (key < 0)
		return key;
	r = fdt_setprop_string(fdt, key, "label", prm->doorbell_label);
	if (r == 0)
		r = fdt_setprop_u32(fdt, key, "linux,code", prm->doorbell_code);
	if (r == 0)
		r = fdt_setprop_u32(fdt, key, "debounce-interval", 0);
	if (r == 0)
		r = fdt_setprop(fdt, key, "interrupts", irq, sizeof(irq));
	if (r == 0 && gic_parent(fdt))
		r = fdt_setprop_u32(fdt, key, "interrupt-parent",
				    gic_parent(fdt));
	return r < 0 ? r : 1;
}

static int remove_hv_devices(void *fdt)
{
	static const char *const owned[] = {
		"virtio,mmio", "qemu,fw-cfg-mmio", "arm,gic-v3-its",
		"arm,sbsa-gwdt",	/* the board's: the emulated one follows */
	};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(owned); i++) {
		r = delete_compatible(fdt, owned[i]);
		if (r < 0)
			return r;
	}
	return delete_msi_refs(fdt);
}

int guest_dt_build(const void *fdt, void *out, size_t outlen,
		   const struct guest_dt_params *prm, struct hv_err *err)
{
	int r;

	if (outlen < guest_dt_size(fdt, prm) || outlen > INT32_MAX) {
		hv_err_set(err, "guest DT: buffer too small");
		return -ENOSPC;
	}
	r = fdt_open_into(fdt, out, (int)outlen);
	if (r == 0)
		r = remove_hv_devices(out);
	if (r == 0)
		r = set_chosen(out, prm);
	if (r == 0)
		r = set_timer(out, prm);
	if (r == 0)
		r = add_watchdog(out, prm);
	if (r == 0 && (r = add_doorbell(out, prm)) > 0)
		r = 0;
	if (r < 0) {
		hv_err_set(err, "guest DT: %s", fdt_strerror(r));
		return -EINVAL;
	}
	r = rewrite_memory(out, prm, err);
	if (r < 0)
		return r;
	r = fdt_pack(out);
	if (r < 0) {
		hv_err_set(err, "guest DT: %s", fdt_strerror(r));
		return -EINVAL;
	}
	return 0;
}

bool guest_dt_has_doorbell(const void *dt, const char *label)
{
	int node = fdt_subnode_offset(dt, 0, label);

	return node >= 0 &&
	       fdt_node_check_compatible(dt, node, "gpio-keys") == 0;
}
