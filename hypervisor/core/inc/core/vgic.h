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
 * How to forward one access to a distributor register (or a
 * redistributor SGI-frame register, which has the same layout for INTIDs
 * 0-31). owned: the bits of the accessed value that belong to
 * hypervisor INTIDs; rmw: whether writes must merge the hardware's
 * current value of those bits (registers where a 0 bit has an effect).
 */
struct vgic_policy {
	uint64_t owned;
	bool rmw;
};

struct vgic_policy vgic_dist_policy(unsigned off, unsigned size,
				    const uint32_t *owned);
/* Value to write to hardware, given the guest's and the current one. */
uint64_t vgic_merge_write(struct vgic_policy pol, uint64_t guest,
			  uint64_t hw);

struct cpu;
struct trap_frame;
struct dabt_info;

void vgic_cpu_init(struct cpu *c);
void vgic_inject(struct cpu *c, unsigned intid, bool hw);
void vgic_flush(struct cpu *c);
/* Emulates a trapped access to the GIC at ipa; false if not the GIC's. */
bool vgic_mmio(struct cpu *c, uint64_t ipa, const struct dabt_info *d,
	       uint64_t *reg);
void vgic_guest_sgi(uint64_t val);
#endif
