/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the converter reads from the DT, checked once: the table writers
 * only see validated numbers. Fixed limits keep it freestanding.
 */
#ifndef ACPI_BOARD_H
#define ACPI_BOARD_H
#include <acpi/acpi.h>
#include <libfdt.h>

#define BOARD_MAX_CPUS		64
#define BOARD_MAX_GICR		8
#define BOARD_MAX_ITS		4
#define BOARD_MAX_VIRTIO	64
#define BOARD_MAX_OTHER		32
#define BOARD_MAX_WINDOWS	8
#define BOARD_MAX_IMAP		128
#define BOARD_MAX_REGS		4
#define BOARD_PATH_MAX		64
#define BOARD_MAX_TOPO		128	/* cpu-map nodes */
#define BOARD_TOPO_DEPTH	8

/* A GIC interrupt as ACPI wants it: a GSIV and the trigger/polarity. */
struct irq {
	uint32_t gsiv;		/* 0 = none */
	bool edge, active_low;
};

struct reg {
	uint64_t base, size;
};

struct cpu_info {
	uint64_t mpidr;
	uint32_t phandle;
};

/* One /cpus/cpu-map node: a PPTT processor hierarchy node. */
struct topo_node {
	int parent;		/* index in board.topo, -1 = top level */
	bool package;		/* socketN */
	bool thread;		/* threadN */
	int cpu;		/* leaf: index in board.cpu, else -1 */
};

struct gic_info {
	int node;
	unsigned version;		/* 2 or 3 */
	uint32_t phandle;
	uint64_t gicd;
	struct reg gicr[BOARD_MAX_GICR];
	unsigned ngicr;
	uint64_t gicc, gich, gicv;	/* 0 when absent */
	struct irq maint;
	uint64_t its[BOARD_MAX_ITS];
	uint32_t its_phandle[BOARD_MAX_ITS];
	unsigned nits;
};

struct timer_info {
	struct irq irq[4];	/* secure phys, phys, virt, hyp */
	bool always_on;
};

enum uart_kind { UART_NONE, UART_PL011, UART_16550, UART_16550_GAS };

/* How SPCR, DBG2 and the DSDT name a UART kind (board.c has the table). */
struct uart_type {
	uint8_t spcr;		/* SPCR interface type */
	uint16_t dbg2;		/* DBG2 serial port subtype */
	const char *hid;
	unsigned width;		/* register access, bytes */
};

/* A DT device with MMIO and an optional GIC interrupt. */
struct dev {
	int node;
	const char *compat;	/* the compatible string that matched */
	struct reg reg[BOARD_MAX_REGS];
	unsigned nreg;
	struct irq irq;
	bool coherent;
};

struct pci_window {
	unsigned space;		/* 1 I/O, 2 32-bit memory, 3 64-bit memory */
	bool prefetch;
	uint64_t pci, cpu, size;
};

struct pci_imap {		/* one _PRT entry */
	uint8_t slot, pin;	/* pin 0..3 = INTA..INTD */
	uint32_t gsiv;
};

struct pci_info {
	int node;
	uint64_t ecam, ecam_size;
	uint32_t bus_start, bus_end, segment;
	bool coherent;
	struct pci_window win[BOARD_MAX_WINDOWS];
	unsigned nwin;
	struct pci_imap imap[BOARD_MAX_IMAP];
	unsigned nimap;
	struct {			/* interrupt-map as read */
		uint32_t child[4];	/* phys.hi, mid, lo, pin */
		struct irq irq;
	} raw[BOARD_MAX_IMAP];
	unsigned nraw;
	uint32_t mask[4];
	uint32_t msi_its_phandle;	/* msi-map / msi-parent, 0 = none */
	uint32_t rid_base, rid_len, msi_base;
	uint32_t iommu_phandle;		/* iommu-map to the SMMU, 0 = none */
	uint32_t iommu_rid_base, iommu_len, iommu_base;
};

/* An SMMUv3 with wired interrupts (IORT SMMUv3 node). */
enum { SMMU_EVENTQ, SMMU_PRIQ, SMMU_GERROR, SMMU_SYNC, SMMU_NIRQ };

struct smmu_info {
	bool present;
	int node;
	uint32_t phandle;
	uint64_t base;
	uint32_t gsiv[SMMU_NIRQ];	/* 0 = not wired */
	bool coherent;
};

struct pwrbtn_info {
	bool present;
	struct dev gpio;	/* the PL061 the key is wired to */
	uint32_t pin;
	bool active_low;
};

struct board {
	const void *fdt;
	acpi_note_fn note;
	void *note_ctx;

	bool psci_hvc;
	struct cpu_info cpu[BOARD_MAX_CPUS];
	unsigned ncpus;
	struct topo_node topo[BOARD_MAX_TOPO];
	unsigned ntopo;
	struct gic_info gic;
	struct irq pmu;
	struct timer_info timer;
	enum uart_kind uart_kind;
	const struct uart_type *uart_type;
	uint32_t uart_shift;	/* 16550 reg-shift (0 or 2) */
	struct dev uart;
	bool has_pci;
	struct pci_info pci;
	struct smmu_info smmu;
	struct dev virtio[BOARD_MAX_VIRTIO];
	unsigned nvirtio;
	struct pwrbtn_info pwrbtn;
	bool has_wdt;		/* arm,sbsa-gwdt: a GTDT watchdog structure */
	struct dev wdt;		/* reg[0] control frame, reg[1] refresh frame */
	struct dev other[BOARD_MAX_OTHER];	/* PRP0001 and known IDs */
	const char *other_hid[BOARD_MAX_OTHER];
	unsigned nother;
};

/* Helpers for the parsers (board.c). board_fail fills err naming the
 * node and returns -EINVAL. */
int board_fail(const struct board *b, int node, struct hv_err *err,
	       const char *what);
uint64_t board_cells(const fdt32_t *p, int n);
bool board_status_ok(const void *fdt, int node);
int board_u32(const void *fdt, int node, const char *name, uint32_t *v);
int board_regs(const struct board *b, int node, struct reg *out,
	       unsigned max, unsigned *ret_n, struct hv_err *err);
/* r (in node's parent bus addresses) to CPU addresses, through every
 * ancestor's "ranges". */
int board_translate(const struct board *b, int node, struct reg *r,
		    struct hv_err *err);
uint32_t board_irq_parent(const void *fdt, int node);
int board_gic_spec(const fdt32_t *p, struct irq *out);
int board_irq(const struct board *b, int node, int idx, struct irq *out,
	      struct hv_err *err);
int board_dev(const struct board *b, int node, const char *compat,
	      bool need_irq, struct dev *d, struct hv_err *err);
int board_parse_pci(struct board *b, struct hv_err *err);
int board_parse_devices(struct board *b, struct hv_err *err);
void board_parse_smmu(struct board *b);
void board_parse_topology(struct board *b);

int board_parse(struct board *b, const void *fdt, size_t size,
		struct hv_err *err);
/* Reports to the note callback (formats the message). */
void board_note(const struct board *b, enum acpi_note_kind kind, int node,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#endif
