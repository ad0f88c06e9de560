// SPDX-License-Identifier: Apache-2.0
/*
 * The other DT devices: virtio-mmio transports, the power key, devices
 * with a known ACPI ID, and, for the rest, PRP0001 with the DT
 * compatible string in _DSD (the "compatible" table of US11263019B2).
 */
#include "board.h"

#define KEY_POWER	116	/* linux,code, Linux input-event-codes.h */
#define PL061_PINS	8

/* Where a compatible string has a standard (or de facto) ACPI ID. */
static const struct { const char *compat, *hid; } known_hid[] = {
	{ "arm,pl061", "ARMH0061" },		/* Linux amba ACPI table */
	{ "qemu,fw-cfg-mmio", "QEMU0002" },	/* QEMU's own DSDT */
};

/* Nodes described elsewhere (FADT, GTDT, MADT, ...): no note here. */
static const char *const elsewhere[] = {
	"arm,psci-1.0", "arm,psci-0.2", "arm,psci", "arm,armv8-timer",
	"arm,armv7-timer", "arm,armv8-pmuv3", "arm,cortex-a57-pmu",
	"arm,cortex-a53-pmu", "arm,cortex-a72-pmu", "gpio-keys", "virtio,mmio",
	"arm,smmu-v3", "arm,sbsa-gwdt",
};

/* Nodes that are not devices for the OS under ACPI, and why. */
static const struct { const char *compat, *why; } skipped[] = {
	{ "fixed-clock", "clocks are firmware's business under ACPI" },
	{ "qemu,platform", "QEMU's dynamic sysbus container, empty" },
	{ "cfi-flash", "the firmware's flash (QEMU's own DSDT leaves it out too; Linux's physmap driver needs DT properties)" },
	{ "arm,gic-v2m-frame", "GICv2m MSI frames are not generated yet" },
};

static const char *const skipped_names[][2] = {
	{ "chosen", "boot parameters, not a device" },
	{ "aliases", "not a device" }, { "memory", "RAM comes from the boot map" },
	{ "reserved-memory", "RAM layout, not a device" },
};

static bool add_other(struct board *b, int node, const char *compat,
		      const char *hid)
{
	struct hv_err e;
	struct dev *d = &b->other[b->nother];

	if (b->nother == BOARD_MAX_OTHER) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "more than %d other devices", BOARD_MAX_OTHER);
		return false;
	}
	if (board_dev(b, node, compat, false, d, &e) < 0) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "%s", e.msg);
		return false;
	}
	b->other_hid[b->nother++] = hid;
	return true;
}

static int parse_virtio(struct board *b, struct hv_err *err)
{
	int node = -1;

	while ((node = fdt_node_offset_by_compatible(b->fdt, node, "virtio,mmio")) >= 0) {
		if (!board_status_ok(b->fdt, node))
			continue;
		if (b->nvirtio == BOARD_MAX_VIRTIO) {
			board_note(b, ACPI_NOTE_LEFT_OUT, node, "more than %d virtio-mmio devices", BOARD_MAX_VIRTIO);
			continue;
		}
		if (board_dev(b, node, "virtio,mmio", true, &b->virtio[b->nvirtio], err) < 0)
			return -EINVAL;
		board_note(b, ACPI_NOTE_MAPPED, node, "\\_SB.VR%02X (LNRO0005), GSIV %u",
			   b->nvirtio, b->virtio[b->nvirtio].irq.gsiv);
		b->nvirtio++;
	}
	return 0;
}

/*
 * An SMMUv3 (iommu/arm,smmu-v3 binding) with its four wired interrupts by
 * name; "combined" or MSI-only SMMUs have no IORT form here.
 */
void board_parse_smmu(struct board *b)
{
	static const char *const names[SMMU_NIRQ] = {
		[SMMU_EVENTQ] = "eventq", [SMMU_PRIQ] = "priq",
		[SMMU_GERROR] = "gerror", [SMMU_SYNC] = "cmdq-sync",
	};
	int node = fdt_node_offset_by_compatible(b->fdt, -1, "arm,smmu-v3");
	struct smmu_info *s = &b->smmu;
	struct hv_err e;
	struct reg r;
	unsigned n;

	if (node < 0 || !board_status_ok(b->fdt, node))
		return;
	if (board_regs(b, node, &r, 1, &n, &e) < 0) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "%s", e.msg);
		return;
	}
	for (int i = 0; i < SMMU_NIRQ; i++) {
		int idx = fdt_stringlist_search(b->fdt, node, "interrupt-names", names[i]);
		struct irq irq;

		if (idx < 0)
			continue;
		if (board_irq(b, node, idx, &irq, &e) < 0 || irq.gsiv < 32) {
			board_note(b, ACPI_NOTE_LEFT_OUT, node, "interrupt %s: not a GIC SPI", names[i]);
			return;
		}
		s->gsiv[i] = irq.gsiv;
	}
	if (!s->gsiv[SMMU_EVENTQ] || !s->gsiv[SMMU_GERROR]) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "needs wired eventq and gerror interrupts");
		return;
	}
	s->present = true;
	s->node = node;
	s->phandle = fdt_get_phandle(b->fdt, node);
	s->base = r.base;
	s->coherent = fdt_getprop(b->fdt, node, "dma-coherent", NULL) != NULL;
	board_note(b, ACPI_NOTE_MAPPED, node, "IORT SMMUv3 at 0x%llx, GSIVs event %u pri %u gerror %u sync %u",
		   (unsigned long long)r.base, s->gsiv[SMMU_EVENTQ], s->gsiv[SMMU_PRIQ],
		   s->gsiv[SMMU_GERROR], s->gsiv[SMMU_SYNC]);
}

/*
 * gpio-keys with a KEY_POWER key on a PL061 pin becomes the PL061 as
 * ARMH0061 with an _AEI GpioInt and _Exx method that notifies a
 * control-method power button (PNP0C0C), as hardware-reduced ACPI
 * wants (no fixed power button there).
 */
static int parse_key(struct board *b, int key)
{
	int len, gpio;
	uint32_t code, gcells;
	const fdt32_t *g = fdt_getprop(b->fdt, key, "gpios", &len);
	struct hv_err e;

	if (board_u32(b->fdt, key, "linux,code", &code) || code != KEY_POWER) {
		board_note(b, ACPI_NOTE_LEFT_OUT, key, "not a power key (linux,code != 116)");
		return 0;
	}
	if (!g || len != 12 ||
	    (gpio = fdt_node_offset_by_phandle(b->fdt, fdt32_to_cpu(g[0]))) < 0 ||
	    fdt_node_check_compatible(b->fdt, gpio, "arm,pl061") ||
	    board_u32(b->fdt, gpio, "#gpio-cells", &gcells) || gcells != 2 ||
	    fdt32_to_cpu(g[1]) >= PL061_PINS) {
		board_note(b, ACPI_NOTE_LEFT_OUT, key, "gpios is not one pin of a PL061");
		return 0;
	}
	if (board_dev(b, gpio, "arm,pl061", true, &b->pwrbtn.gpio, &e) < 0) {
		board_note(b, ACPI_NOTE_LEFT_OUT, key, "%s", e.msg);
		return 0;
	}
	b->pwrbtn.present = true;
	b->pwrbtn.pin = fdt32_to_cpu(g[1]);
	b->pwrbtn.active_low = fdt32_to_cpu(g[2]) & 1;	/* GPIO_ACTIVE_LOW */
	board_note(b, ACPI_NOTE_MAPPED, key, "\\_SB.PWRB (PNP0C0C), notified by \\_SB.GPO0._E%02X on pin %u",
		   b->pwrbtn.pin, b->pwrbtn.pin);
	return 1;
}

static void parse_pwrbtn(struct board *b)
{
	int keys = fdt_node_offset_by_compatible(b->fdt, -1, "gpio-keys"), key;

	if (keys < 0)
		return;
	fdt_for_each_subnode(key, b->fdt, keys)
		if (!b->pwrbtn.present && parse_key(b, key) > 0)
			board_note(b, ACPI_NOTE_MAPPED, b->pwrbtn.gpio.node,
				   "\\_SB.GPO0 (ARMH0061) at 0x%llx, GSIV %u",
				   (unsigned long long)b->pwrbtn.gpio.reg[0].base,
				   b->pwrbtn.gpio.irq.gsiv);
}

/* An SBSA Generic Watchdog (watchdog/arm,sbsa-gwdt binding: control
 * frame, refresh frame, the WS0 SPI) is a GTDT watchdog structure. */
static void parse_watchdog(struct board *b)
{
	int node = fdt_node_offset_by_compatible(b->fdt, -1, "arm,sbsa-gwdt");
	struct hv_err e;

	if (node < 0 || !board_status_ok(b->fdt, node))
		return;
	if (board_dev(b, node, "arm,sbsa-gwdt", true, &b->wdt, &e) < 0) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "%s", e.msg);
		return;
	}
	if (b->wdt.nreg != 2 || b->wdt.irq.gsiv < 32) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "needs two frames (control, refresh) and an SPI");
		return;
	}
	b->has_wdt = true;
	board_note(b, ACPI_NOTE_MAPPED, node, "GTDT SBSA watchdog, control 0x%llx, refresh 0x%llx, GSIV %u",
		   (unsigned long long)b->wdt.reg[0].base,
		   (unsigned long long)b->wdt.reg[1].base, b->wdt.irq.gsiv);
}

static bool handled(const struct board *b, int node)
{
	if (node == b->gic.node || (b->uart_kind && node == b->uart.node) ||
	    (b->has_pci && node == b->pci.node) ||
	    (b->pwrbtn.present && node == b->pwrbtn.gpio.node))
		return true;
	for (unsigned i = 0; i < b->nvirtio; i++)
		if (node == b->virtio[i].node)
			return true;
	return false;
}

static const char *skip_reason(const struct board *b, int node)
{
	const char *name = fdt_get_name(b->fdt, node, NULL);
	const char *at = name ? strchr(name, '@') : NULL;
	size_t n = at ? (size_t)(at - name) : name ? strlen(name) : 0;

	for (size_t i = 0; i < ARRAY_SIZE(skipped_names); i++)
		if (name && strlen(skipped_names[i][0]) == n &&
		    !strncmp(name, skipped_names[i][0], n))
			return skipped_names[i][1];
	for (size_t i = 0; i < ARRAY_SIZE(skipped); i++)
		if (!fdt_node_check_compatible(b->fdt, node, skipped[i].compat))
			return skipped[i].why;
	if (!board_status_ok(b->fdt, node))
		return "status is not okay";
	return NULL;
}

static bool described_elsewhere(const struct board *b, int node)
{
	const char *name = fdt_get_name(b->fdt, node, NULL);

	if (handled(b, node) || (name && !strcmp(name, "cpus")))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(elsewhere); i++)
		if (!fdt_node_check_compatible(b->fdt, node, elsewhere[i]))
			return true;
	return false;
}

/* AML strings are 7-bit ASCII; a DT string that is not printable cannot
 * become a _DSD "compatible". */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static void classify(struct board *b, int node)
{
	const char *why, *compat;
	int len;

	if (described_elsewhere(b, node))
		return;
	if ((why = skip_reason(b, node))) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "%s", why);
		return;
	}
	compat = fdt_getprop(b->fdt, node, "compatible", &len);
	if (!compat || len < 2 || compat[len - 1] || !compat[0] ||
	    !printable(compat)) {
		board_note(b, ACPI_NOTE_LEFT_OUT, node, "no printable compatible string");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(known_hid); i++)
		if (!fdt_node_check_compatible(b->fdt, node, known_hid[i].compat)) {
			if (add_other(b, node, known_hid[i].compat, known_hid[i].hid))
				board_note(b, ACPI_NOTE_MAPPED, node, "DSDT device %s", known_hid[i].hid);
			return;
		}
	if (add_other(b, node, compat, "PRP0001"))
		board_note(b, ACPI_NOTE_MAPPED, node, "DSDT device PRP0001, _DSD compatible \"%s\"", compat);
}

int board_parse_devices(struct board *b, struct hv_err *err)
{
	int node, child;

	if (parse_virtio(b, err) < 0)
		return -EINVAL;
	parse_pwrbtn(b);
	parse_watchdog(b);
	fdt_for_each_subnode(node, b->fdt, 0) {
		if (fdt_node_check_compatible(b->fdt, node, "simple-bus")) {
			classify(b, node);
			continue;
		}
		fdt_for_each_subnode(child, b->fdt, node)
			classify(b, child);
	}
	return 0;
}
