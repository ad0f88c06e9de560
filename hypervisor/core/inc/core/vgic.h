/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtual GIC. The guest's CPU interface is virtual in hardware (ICV_*);
 * its distributor and redistributor accesses trap (they are not in
 * stage-2) and are forwarded to the hardware with the hypervisor's own
 * INTIDs masked out. Physical interrupts for the guest are injected
 * through the list registers, with the HW bit for PPIs and SPIs.
 */
#ifndef CORE_VGIC_H
#define CORE_VGIC_H
#include <core/compat.h>

#define GIC_MAX_INTID		1020
#define INTID_HV_SGI		15	/* cross-CPU rendezvous, panics */
#define INTID_MAINT		25	/* GIC maintenance interrupt */
#define INTID_HV_TIMER		26	/* EL2 physical timer */
#define VGIC_QUEUE_LEN		32
#define VGIC_PRIO_DEFAULT	0xa0	/* Linux's default priority */

struct vgic_cpu {
	unsigned nr_lr;
	unsigned nqueued;
	uint32_t queue[VGIC_QUEUE_LEN];	/* INTID | VGIC_Q_HW */
	uint64_t overflows;		/* queued because LRs were full */
};
#define VGIC_Q_HW	(1u << 31)

/* INTIDs the hypervisor keeps: bit n of word n/32. */
extern uint32_t vgic_hv_owned[GIC_MAX_INTID / 32 + 1];

static inline bool vgic_is_hv_owned(unsigned intid)
{
	return intid < GIC_MAX_INTID &&
	       (vgic_hv_owned[intid / 32] >> (intid % 32)) & 1;
}

/*
 * What one trapped access to the GIC windows does. The distributor is one
 * 64 KiB frame; each redistributor is an RD_base frame followed by an
 * SGI_base frame (the distributor's layout for INTIDs 0-31). Only the
 * redistributors that exist (up to the one with GICR_TYPER.Last) are
 * reached: the rest of the window the DT declares is backed by nothing.
 */
enum vgic_frame { VGIC_FRAME_DIST, VGIC_FRAME_RD, VGIC_FRAME_SGI };

struct vgic_place {
	enum vgic_frame kind;
	uint64_t base;		/* frame's offset in its window */
	unsigned off;		/* register offset in the frame */
};

/* Finds the frame of window offset off; -ENOENT if no frame backs it. */
int vgic_locate(bool dist, uint64_t off, unsigned nframes,
		struct vgic_place *ret);

enum vgic_action {
	VGIC_ABORT,		/* unaligned or nothing there: external abort */
	VGIC_RAZWI,		/* a size the register does not take, or a
				 * register the guest may not use */
	VGIC_FORWARD,		/* replayed, with the masks below */
	VGIC_EMULATE_CTLR,	/* GICD_CTLR: ARE and both groups stay on */
};

/*
 * owned: bits of the accessed value that belong to hypervisor INTIDs
 * (hidden on reads, kept on writes); rmw: whether writes must merge the
 * hardware's current value of those bits (registers where a 0 bit has an
 * effect); hidden: more bits read as 0; cleared / set: bits always
 * written as 0 / as 1; wi: writes are dropped (read-only registers).
 */
struct vgic_policy {
	enum vgic_action action;
	uint64_t owned;
	uint64_t hidden;
	uint64_t cleared;
	uint64_t set;
	bool rmw;
	bool wi;
};

/* Every access, any size and alignment, to the register at frame offset
 * off. owned: the hypervisor's INTIDs, bit n of word n/32. */
struct vgic_policy vgic_access_policy(enum vgic_frame frame, unsigned off,
				      unsigned size, const uint32_t *owned);
/* The per-INTID part alone, for a distributor-layout register. */
struct vgic_policy vgic_dist_policy(unsigned off, unsigned size,
				    const uint32_t *owned);
/* Value to write to hardware, given the guest's and the current one. */
uint64_t vgic_merge_write(struct vgic_policy pol, uint64_t guest,
			  uint64_t hw);
/* What the guest reads, given the hardware's value. */
uint64_t vgic_read_value(struct vgic_policy pol, uint64_t hw);

struct cpu;
struct trap_frame;
struct dabt_info;

/* Counts the redistributor frames that exist (boot CPU, once). */
void vgic_init(void);
void vgic_cpu_init(struct cpu *c);
void vgic_inject(struct cpu *c, unsigned intid, bool hw);
void vgic_flush(struct cpu *c);
/* An SPI of a device the hypervisor emulates, made pending (or not) in
 * the distributor: it reaches the guest as a device's SPI does, on the
 * CPU the guest routed it to (vgic.c). False for an INTID that is not an
 * SPI or is the hypervisor's. */
bool vgic_spi_set_pending(unsigned intid, bool pending);
/* Whether that SPI is pending or active in the distributor. */
bool vgic_spi_busy(unsigned intid);
/* True if an interrupt waits for the guest (pending in an LR or queued). */
bool vgic_pending(const struct cpu *c);
/* Emulates a trapped access to the GIC at ipa; false if not the GIC's or
 * if the guest must get an external abort for it. */
bool vgic_mmio(struct cpu *c, uint64_t ipa, const struct dabt_info *d,
	       uint64_t *reg);
void vgic_guest_sgi(uint64_t val);
#endif
