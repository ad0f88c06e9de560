/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stage-2 translation tables: 4 KiB granule, 40-bit IPA, starting at level
 * 1 with two concatenated tables (VTCR_EL2 T0SZ=24, SL0=1). The guest gets
 * a 1:1 map of its RAM and of the device windows it owns; the
 * hypervisor's memory, its devices and the GIC are left unmapped.
 */
#ifndef CORE_STAGE2_H
#define CORE_STAGE2_H
#include <core/compat.h>
#include <core/platform.h>

#define S2_IPA_BITS	40
#define S2_ROOT_ENTRIES	1024

/* Leaf attributes: MemAttr, S2AP=RW, SH, AF, XN. */
#define S2_NORMAL	((0xfUL << 2) | (3UL << 6) | (3UL << 8) | (1UL << 10))
#define S2_DEVICE	((0x1UL << 2) | (3UL << 6) | (1UL << 10) | (2UL << 53))
#define S2_ATTR_MASK	0xfff0000000000ffcUL
#define S2_ADDR_MASK	0x0000fffffffff000UL

struct stage2 {
	uint64_t *root;			/* S2_ROOT_ENTRIES, 8 KiB aligned */
	void *(*alloc)(void *ctx);	/* a zeroed, 4 KiB aligned table */
	void *ctx;
	unsigned tables;		/* tables allocated, for reports */
	/* stage2_build() maps RAM in 4 KiB pages, not blocks. Under QEMU's
	 * TCG a guest TLB entry counts as large as the larger of its two
	 * stages' pages, and invalidating one page of a large entry flushes
	 * the vCPU's whole TLB: with blocks here every TLBI by VA of the
	 * guest did (docs/hypervisor.md, "Memory"). */
	bool ram_pages;
};

/* Maps with 1 GiB and 2 MiB blocks where aligned, 4 KiB pages elsewhere. */
int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size,
	       uint64_t attrs);
/* The same with 4 KiB pages only. */
int stage2_map_pages(struct stage2 *s2, uint64_t ipa, uint64_t pa,
		     uint64_t size, uint64_t attrs);
/* The most tables stage2_build() can take for p's RAM with ram_pages,
 * [hv_base, hv_end) left out. */
uint64_t stage2_ram_tables(const struct platform *p, uint64_t hv_base,
			   uint64_t hv_end);
/* Walks the tables: 0 and the PA/attributes, or -ENOENT if unmapped. */
int stage2_translate(const struct stage2 *s2, uint64_t ipa, uint64_t *ret_pa,
		     uint64_t *ret_attrs);
/* Maps what the guest owns in p, leaving [hv_base, hv_end) out. */
int stage2_build(struct stage2 *s2, const struct platform *p,
		 uint64_t hv_base, uint64_t hv_end, struct hv_err *err);
#endif
