// SPDX-License-Identifier: Apache-2.0
/*
 * Reading the DT into struct board: the GIC, PSCI, CPUs, timer, PMU and
 * console UART (board_pci.c and board_dev.c do the rest). Bindings: Linux
 * Documentation/devicetree/bindings (arm/gic-v3, timer/arm,arch_timer,
 * arm/psci, serial/pl011).
 */
#include "board.h"

static int parse_psci(struct board *b, struct hv_err *err)
{
	int node = fdt_node_offset_by_compatible(b->fdt, -1, "arm,psci-0.2");
	const char *m;
	int len;

	if (node < 0)
		node = fdt_node_offset_by_compatible(b->fdt, -1, "arm,psci");
	if (node < 0)
		return board_fail(b, -1, err, "no PSCI node (ACPI on Arm starts CPUs through PSCI)");
	m = fdt_getprop(b->fdt, node, "method", &len);
	if (!m || len != 4 || (strcmp(m, "hvc") && strcmp(m, "smc")))
		return board_fail(b, node, err, "method must be \"smc\" or \"hvc\"");
	b->psci_hvc = m[0] == 'h';
	board_note(b, ACPI_NOTE_MAPPED, node, "FADT ARM boot flags: PSCI compliant, conduit %s", m);
	return 0;
}

static int parse_cpus(struct board *b, struct hv_err *err)
{
	int cpus = fdt_path_offset(b->fdt, "/cpus"), node, ac;

	if (cpus < 0)
		return board_fail(b, -1, err, "no /cpus node");
	ac = fdt_address_cells(b->fdt, cpus);
	if (ac < 1 || ac > 2 || fdt_size_cells(b->fdt, cpus) != 0)
		return board_fail(b, cpus, err, "#address-cells must be 1 or 2, #size-cells 0");
	fdt_for_each_subnode(node, b->fdt, cpus) {
		const char *t = fdt_getprop(b->fdt, node, "device_type", NULL);
		const fdt32_t *reg;
		int len;

		if (!t || strcmp(t, "cpu") || !board_status_ok(b->fdt, node))
			continue;
		reg = fdt_getprop(b->fdt, node, "reg", &len);
		if (!reg || len != 4 * ac)
			return board_fail(b, node, err, "reg must be one MPIDR of #address-cells");
		if (b->ncpus == BOARD_MAX_CPUS) {
			hv_err_set(err, "more than %d CPUs", BOARD_MAX_CPUS);
			return -E2BIG;
		}
		b->cpu[b->ncpus].mpidr = board_cells(reg, ac) & 0xff00ffffffull;
		b->cpu[b->ncpus].phandle = fdt_get_phandle(b->fdt, node);
		board_note(b, ACPI_NOTE_MAPPED, node, "MADT GICC %u, MPIDR 0x%llx",
			   b->ncpus, (unsigned long long)b->cpu[b->ncpus].mpidr);
		b->ncpus++;
	}
	if (!b->ncpus)
		return board_fail(b, cpus, err, "no CPU nodes");
	return 0;
}

static const struct { const char *compat; unsigned version; } gic_compat[] = {
	{ "arm,gic-v3", 3 }, { "arm,gic-400", 2 }, { "arm,cortex-a15-gic", 2 },
	{ "arm,cortex-a9-gic", 2 }, { "arm,cortex-a7-gic", 2 },
};

static int find_gic(struct board *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(gic_compat); i++) {
		int node = fdt_node_offset_by_compatible(b->fdt, -1,
							 gic_compat[i].compat);

		if (node >= 0) {
			b->gic.version = gic_compat[i].version;
			return node;
		}
	}
	return -1;
}

static int parse_its(struct board *b, struct hv_err *err)
{
	int node;

	fdt_for_each_subnode(node, b->fdt, b->gic.node) {
		struct reg r;
		unsigned n;

		if (fdt_node_check_compatible(b->fdt, node, "arm,gic-v3-its") ||
		    !board_status_ok(b->fdt, node))
			continue;
		if (b->gic.nits == BOARD_MAX_ITS) {
			board_note(b, ACPI_NOTE_LEFT_OUT, node, "more than %d ITSs", BOARD_MAX_ITS);
			continue;
		}
		if (board_regs(b, node, &r, 1, &n, err) < 0)
			return -EINVAL;
		b->gic.its[b->gic.nits] = r.base;
		b->gic.its_phandle[b->gic.nits] = fdt_get_phandle(b->fdt, node);
		board_note(b, ACPI_NOTE_MAPPED, node, "MADT GIC ITS %u at 0x%llx; IORT ITS group",
			   b->gic.nits, (unsigned long long)r.base);
		b->gic.nits++;
	}
	return 0;
}

static int parse_gic(struct board *b, struct hv_err *err)
{
	struct gic_info *g = &b->gic;
	struct reg r[3 + BOARD_MAX_GICR];
	uint32_t icells, nredist = 1;
	unsigned n, i = 0;
	int node = find_gic(b);

	if (node < 0)
		return board_fail(b, -1, err, "no GICv2/v3 interrupt controller");
	g->node = node;
	g->phandle = fdt_get_phandle(b->fdt, node);
	if (!g->phandle || board_u32(b->fdt, node, "#interrupt-cells", &icells) ||
	    icells != 3)
		return board_fail(b, node, err, "GIC needs a phandle and #interrupt-cells = 3");
	if (g->version == 3 &&
	    board_u32(b->fdt, node, "#redistributor-regions", &nredist) == -EINVAL)
		return board_fail(b, node, err, "bad #redistributor-regions");
	if (nredist < 1 || nredist > BOARD_MAX_GICR)
		return board_fail(b, node, err, "#redistributor-regions out of range");
	if (board_regs(b, node, r, ARRAY_SIZE(r), &n, err) < 0)
		return -EINVAL;
	g->gicd = r[i++].base;
	if (g->version == 3) {
		if (n < 1 + nredist)
			return board_fail(b, node, err, "reg lacks the redistributor regions");
		for (; g->ngicr < nredist; g->ngicr++, i++)
			g->gicr[g->ngicr] = r[i];
	}
	g->gicc = i < n ? r[i++].base : 0;
	g->gich = i < n ? r[i++].base : 0;
	g->gicv = i < n ? r[i].base : 0;
	if (g->version == 2 && !g->gicc)
		return board_fail(b, node, err, "GICv2 without a CPU interface");
	if (fdt_getprop(b->fdt, node, "interrupts", NULL) &&
	    board_irq(b, node, 0, &g->maint, err) < 0)
		return -EINVAL;
	board_note(b, ACPI_NOTE_MAPPED, node, "MADT GICD 0x%llx (GICv%u), %u GICR range(s)",
		   (unsigned long long)g->gicd, g->version, g->ngicr);
	return g->version == 3 ? parse_its(b, err) : 0;
}

static int parse_timer(struct board *b, struct hv_err *err)
{
	int node = fdt_node_offset_by_compatible(b->fdt, -1, "arm,armv8-timer");
	int len;

	if (node < 0)
		node = fdt_node_offset_by_compatible(b->fdt, -1, "arm,armv7-timer");
	if (node < 0)
		return board_fail(b, -1, err, "no arm,armv8-timer node (GTDT)");
	if (!fdt_getprop(b->fdt, node, "interrupts", &len) || len < 2 * 12)
		return board_fail(b, node, err, "needs at least the secure and non-secure physical timer interrupts");
	for (int i = 0; i < 4 && (i + 1) * 12 <= len; i++)
		if (board_irq(b, node, i, &b->timer.irq[i], err) < 0)
			return -EINVAL;
	b->timer.always_on = fdt_getprop(b->fdt, node, "always-on", NULL) != NULL;
	board_note(b, ACPI_NOTE_MAPPED, node, "GTDT: GSIVs %u %u %u %u%s",
		   b->timer.irq[0].gsiv, b->timer.irq[1].gsiv,
		   b->timer.irq[2].gsiv, b->timer.irq[3].gsiv,
		   b->timer.always_on ? ", always-on" : "");
	return 0;
}

static void parse_pmu(struct board *b)
{
	static const char *const compat[] = {
		"arm,armv8-pmuv3", "arm,cortex-a57-pmu", "arm,cortex-a53-pmu",
		"arm,cortex-a72-pmu",
	};
	struct hv_err e;

	for (size_t i = 0; i < ARRAY_SIZE(compat); i++) {
		int node = fdt_node_offset_by_compatible(b->fdt, -1, compat[i]);

		if (node < 0)
			continue;
		if (board_irq(b, node, 0, &b->pmu, &e) < 0 || b->pmu.gsiv >= 32) {
			memset(&b->pmu, 0, sizeof(b->pmu));
			board_note(b, ACPI_NOTE_LEFT_OUT, node, "not a GIC PPI: no GICC performance interrupt");
		} else {
			board_note(b, ACPI_NOTE_MAPPED, node, "MADT GICC performance interrupt GSIV %u",
				   b->pmu.gsiv);
		}
		return;
	}
}

/*
 * Interface types: Microsoft SPCR/DBG2 tables (0x03 ARM PL011, 0x00 full
 * 16550, 0x12 16550-compatible with the register layout in the GAS).
 */
static const struct uart_type uart_types[] = {
	[UART_PL011] = { 0x03, 0x0003, "ARMH0011", 4 },
	[UART_16550] = { 0x00, 0x0000, "PNP0501", 1 },
	[UART_16550_GAS] = { 0x12, 0x0012, "PNP0501", 4 },
};

static const struct { const char *compat; enum uart_kind kind; } uart_compat[] = {
	{ "arm,pl011", UART_PL011 }, { "ns16550a", UART_16550 },
	{ "ns16550", UART_16550 },
};

static enum uart_kind uart_kind_of(const void *fdt, int node, const char **c)
{
	for (size_t i = 0; i < ARRAY_SIZE(uart_compat); i++)
		if (!fdt_node_check_compatible(fdt, node, uart_compat[i].compat)) {
			*c = uart_compat[i].compat;
			return uart_compat[i].kind;
		}
	return UART_NONE;
}

/* /chosen stdout-path (a path or an alias, ":options" cut), else the
 * first UART in the tree. */
static int find_uart(const struct board *b)
{
	int chosen = fdt_path_offset(b->fdt, "/chosen"), len, node = -1;
	const char *s = chosen >= 0 ?
		fdt_getprop(b->fdt, chosen, "stdout-path", &len) : NULL;
	const char *c;

	if (s && len > 0 && s[len - 1] == '\0') {
		const char *colon = strchr(s, ':');
		int n = colon ? (int)(colon - s) : len - 1;

		if (s[0] == '/') {
			node = fdt_path_offset_namelen(b->fdt, s, n);
		} else {
			const char *p = fdt_get_alias_namelen(b->fdt, s, n);

			node = p ? fdt_path_offset(b->fdt, p) : -1;
		}
		if (node >= 0 && uart_kind_of(b->fdt, node, &c) != UART_NONE)
			return node;
	}
	for (node = fdt_next_node(b->fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(b->fdt, node, NULL))
		if (uart_kind_of(b->fdt, node, &c) != UART_NONE &&
		    board_status_ok(b->fdt, node))
			return node;
	return -1;
}

/* 8250 binding: reg-shift 0 with byte access, or 2 with 32-bit access
 * (reg-io-width 4): the latter is SPCR's 16550-with-GAS type. */
static int parse_16550(struct board *b, int node, struct hv_err *err)
{
	uint32_t shift = 0, width = 1;
	int r1 = board_u32(b->fdt, node, "reg-shift", &shift);
	int r2 = board_u32(b->fdt, node, "reg-io-width", &width);

	if (r1 == -EINVAL || r2 == -EINVAL ||
	    !((shift == 0 && width == 1) || (shift == 2 && (width == 4 || r2))))
		return board_fail(b, node, err, "reg-shift/reg-io-width: only 0/1 and 2/4 are supported");
	if (shift == 2)
		b->uart_kind = UART_16550_GAS;
	b->uart_shift = shift;
	return 0;
}

static int parse_uart(struct board *b, struct hv_err *err)
{
	int node = find_uart(b);
	const char *c = NULL;

	if (node < 0) {
		board_note(b, ACPI_NOTE_LEFT_OUT, -1, "no PL011 or 16550 UART: no SPCR, DBG2 or COM0");
		return 0;
	}
	b->uart_kind = uart_kind_of(b->fdt, node, &c);
	if (board_dev(b, node, c, true, &b->uart, err) < 0)
		return -EINVAL;
	if (b->uart_kind == UART_16550 && parse_16550(b, node, err) < 0)
		return -EINVAL;
	b->uart_type = &uart_types[b->uart_kind];
	board_note(b, ACPI_NOTE_MAPPED, node, "SPCR, DBG2 and \\_SB.COM0 (%s, SPCR type 0x%02x) at 0x%llx, GSIV %u",
		   b->uart_type->hid, b->uart_type->spcr,
		   (unsigned long long)b->uart.reg[0].base, b->uart.irq.gsiv);
	return 0;
}

int board_parse(struct board *b, const void *fdt, size_t size,
		struct hv_err *err)
{
	acpi_note_fn note = b->note;
	void *ctx = b->note_ctx;
	int r;

	memset(b, 0, sizeof(*b));
	b->fdt = fdt;
	b->note = note;
	b->note_ctx = ctx;
	/* Every offset, name and property is inside the blob from here on. */
	if (size < FDT_V17_SIZE || size > INT32_MAX ||
	    (r = fdt_check_full(fdt, size)) < 0) {
		hv_err_set(err, "not a valid device tree blob: %s",
			   size < FDT_V17_SIZE ? "too short" :
			   size > INT32_MAX ? "too large" : fdt_strerror(r));
		return -EINVAL;
	}
	r = parse_gic(b, err);
	if (r == 0)
		r = parse_psci(b, err);
	if (r == 0)
		r = parse_cpus(b, err);
	if (r == 0) {
		board_parse_topology(b);
		r = parse_timer(b, err);
	}
	if (r == 0) {
		parse_pmu(b);
		r = parse_uart(b, err);
	}
	if (r == 0) {
		board_parse_smmu(b);
		r = board_parse_pci(b, err);
	}
	if (r == 0)
		r = board_parse_devices(b, err);
	return r;
}
