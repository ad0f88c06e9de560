// SPDX-License-Identifier: Apache-2.0
/*
 * Checked DT readers for the parsers: every length, cell count and range
 * is verified here before a number leaves. Bindings: Linux
 * Documentation/devicetree/bindings (interrupt-controller/arm,gic-v3,
 * interrupt-controller/arm,gic: the 3-cell specifier).
 */
#include "board.h"
#include <stdarg.h>

#define GIC_SPI		0
#define GIC_PPI		1

void board_note(const struct board *b, enum acpi_note_kind kind, int node,
		const char *fmt, ...)
{
	char path[BOARD_PATH_MAX * 2], msg[192];
	va_list ap;

	if (!b->note)
		return;
	if (node < 0 || fdt_get_path(b->fdt, node, path, sizeof(path)) < 0)
		memcpy(path, "/", 2);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->note(b->note_ctx, kind, path, msg);
}

/* A hard error naming the node. Returns -EINVAL for `return board_fail(...)`. */
int board_fail(const struct board *b, int node, struct hv_err *err,
		const char *what)
{
	char path[BOARD_PATH_MAX];

	if (node < 0 || fdt_get_path(b->fdt, node, path, sizeof(path)) < 0)
		memcpy(path, "/", 2);
	hv_err_set(err, "%s: %s", path, what);
	return -EINVAL;
}

uint64_t board_cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 32 | fdt32_to_cpu(*p++);
	return v;
}

bool board_status_ok(const void *fdt, int node)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "status", &len);

	return !s || (len >= 3 && !strncmp(s, "ok", 2));
}

int board_u32(const void *fdt, int node, const char *name, uint32_t *v)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	if (!p || len != 4)
		return p ? -EINVAL : -ENOENT;
	*v = fdt32_to_cpu(*p);
	return 0;
}

/*
 * reg of a memory-mapped node whose ancestors map 1:1 (empty ranges):
 * 1-2 address and size cells, at most max entries.
 */
/*
 * One bus level of address translation (Devicetree Specification 2.3.8):
 * bus's "ranges" maps its children's addresses (bus #address-cells) to
 * its parent's. Empty ranges is 1:1; no ranges means not memory-mapped.
 */
static const char *translate_one(const struct board *b, int bus, struct reg *r)
{
	int len, cac = fdt_address_cells(b->fdt, bus);
	int pac = fdt_address_cells(b->fdt, fdt_parent_offset(b->fdt, bus));
	int sc = fdt_size_cells(b->fdt, bus), entry;
	const fdt32_t *p = fdt_getprop(b->fdt, bus, "ranges", &len);

	if (!p)
		return "a parent bus has no ranges (not memory-mapped)";
	if (len == 0)
		return NULL;
	if (cac < 1 || cac > 2 || pac < 1 || pac > 2 || sc < 1 || sc > 2)
		return "a parent bus's ranges cells are not 1 or 2";
	entry = 4 * (cac + pac + sc);
	if (len % entry)
		return "a parent bus's ranges is not a multiple of its cells";
	for (; len > 0; len -= entry, p += cac + pac + sc) {
		uint64_t child = board_cells(p, cac);
		uint64_t size = board_cells(p + cac + pac, sc);

		if (r->base >= child && r->base - child < size &&
		    r->size <= size - (r->base - child)) {
			uint64_t to = board_cells(p + cac, pac) + (r->base - child);

			if (to + r->size < to)
				return "translated range wraps around";
			r->base = to;
			return NULL;
		}
	}
	return "reg is outside every range of its parent bus";
}

int board_translate(const struct board *b, int node, struct reg *r,
		    struct hv_err *err)
{
	/* up to the root; the depth is bounded by the checked tree */
	for (int up = fdt_parent_offset(b->fdt, node); up > 0;
	     up = fdt_parent_offset(b->fdt, up)) {
		const char *why = translate_one(b, up, r);

		if (why)
			return board_fail(b, node, err, why);
	}
	return 0;
}

int board_regs(const struct board *b, int node, struct reg *out,
	       unsigned max, unsigned *ret_n, struct hv_err *err)
{
	int parent = fdt_parent_offset(b->fdt, node), len, ac, sc, entry;
	const fdt32_t *p = fdt_getprop(b->fdt, node, "reg", &len);
	unsigned n = 0;

	if (parent < 0 || !p)
		return board_fail(b, node, err, "no reg property");
	ac = fdt_address_cells(b->fdt, parent);
	sc = fdt_size_cells(b->fdt, parent);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return board_fail(b, node, err, "#address-cells/#size-cells of the parent not 1 or 2");
	entry = 4 * (ac + sc);
	if (len == 0 || len % entry)
		return board_fail(b, node, err, "reg length is not a multiple of its cells");
	for (; len > 0 && n < max; len -= entry, p += ac + sc, n++) {
		out[n].base = board_cells(p, ac);
		out[n].size = board_cells(p + ac, sc);
		if (out[n].size == 0 || out[n].base + out[n].size < out[n].base)
			return board_fail(b, node, err, "reg entry empty or wraps around");
		if (board_translate(b, node, &out[n], err) < 0)
			return -EINVAL;
	}
	*ret_n = n;
	return 0;
}

/* The interrupt parent's phandle, inherited from the ancestors (0 none). */
uint32_t board_irq_parent(const void *fdt, int node)
{
	uint32_t ph;

	for (; node >= 0; node = fdt_parent_offset(fdt, node))
		if (board_u32(fdt, node, "interrupt-parent", &ph) == 0)
			return ph;
	return 0;
}

/* A 3-cell GIC specifier (type, number, flags) to a GSIV. */
int board_gic_spec(const fdt32_t *p, struct irq *out)
{
	uint32_t type = fdt32_to_cpu(p[0]), nr = fdt32_to_cpu(p[1]);
	uint32_t trig = fdt32_to_cpu(p[2]) & 0xf;

	if (type == GIC_SPI && nr < 988)
		out->gsiv = 32 + nr;
	else if (type == GIC_PPI && nr < 16)
		out->gsiv = 16 + nr;
	else
		return -EINVAL;
	/* 1 rising, 2 falling, 4 high, 8 low; 0 (PPIs on GICv2 DTs) = level */
	if (trig != 0 && trig != 1 && trig != 2 && trig != 4 && trig != 8)
		return -EINVAL;
	out->edge = trig == 1 || trig == 2;
	out->active_low = trig == 2 || trig == 8;
	return 0;
}

/* Interrupt idx of node, which must be wired to the GIC. */
int board_irq(const struct board *b, int node, int idx, struct irq *out,
		   struct hv_err *err)
{
	int len;
	const fdt32_t *p = fdt_getprop(b->fdt, node, "interrupts", &len);

	if (!p)
		return board_fail(b, node, err, "no interrupts property");
	if (board_irq_parent(b->fdt, node) != b->gic.phandle)
		return board_fail(b, node, err, "interrupt parent is not the GIC");
	if (len % 12 || (idx + 1) * 12 > len)
		return board_fail(b, node, err, "interrupts is not a list of 3-cell GIC specifiers");
	if (board_gic_spec(p + 3 * idx, out) < 0)
		return board_fail(b, node, err, "bad GIC interrupt specifier");
	return 0;
}

int board_dev(const struct board *b, int node, const char *compat,
		   bool need_irq, struct dev *d, struct hv_err *err)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->node = node;
	d->compat = compat;
	d->coherent = fdt_getprop(b->fdt, node, "dma-coherent", NULL) != NULL;
	r = board_regs(b, node, d->reg, BOARD_MAX_REGS, &d->nreg, err);
	if (r == 0 && (need_irq || fdt_getprop(b->fdt, node, "interrupts", NULL)))
		r = board_irq(b, node, 0, &d->irq, err);
	if (r == 0 && d->reg[0].base + d->reg[0].size > 0x100000000ull)
		r = board_fail(b, node, err, "registers above 4 GiB (Memory32Fixed)");
	return r;
}

