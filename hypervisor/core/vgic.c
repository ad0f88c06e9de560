// SPDX-License-Identifier: Apache-2.0
/* Virtual GIC: injection through list registers, and the forwarding of
 * trapped distributor and redistributor accesses. */
#include <arch/esr.h>
#include <arch/gic.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/hv.h>
#include <core/sysreg_trap.h>
#include <core/vgic.h>

uint32_t vgic_hv_owned[GIC_MAX_INTID / 32 + 1] = {
	[0] = (1u << INTID_HV_SGI) | (1u << INTID_MAINT) |
	      (1u << INTID_HV_TIMER),
};

static uint32_t guest_gicd_ctlr;	/* what the guest believes it wrote */

void vgic_cpu_init(struct cpu *c)
{
	c->vgic.nr_lr = gic_lr_count();
	c->vgic.nqueued = 0;
	gic_vcpu_reset(c->vgic.nr_lr);
}

static uint64_t make_lr(uint32_t q)
{
	unsigned intid = q & ~VGIC_Q_HW;
	uint64_t lr = intid | ICH_LR_GROUP1 | ICH_LR_STATE_PENDING |
		      ((uint64_t)VGIC_PRIO_DEFAULT << ICH_LR_PRIO_SHIFT);

	if (q & VGIC_Q_HW)
		lr |= ICH_LR_HW | ((uint64_t)intid << ICH_LR_PINTID_SHIFT);
	return lr;
}

/* A software-signalled interrupt (SGI) already in an LR is merged. */
static bool merge_existing(struct cpu *c, unsigned intid)
{
	uint64_t empty = gic_empty_lrs();

	for (unsigned i = 0; i < c->vgic.nr_lr; i++) {
		uint64_t lr = gic_lr_read(i);

		if ((empty >> i) & 1 || (uint32_t)lr != intid)
			continue;
		gic_lr_write(i, lr | ICH_LR_STATE_PENDING);
		return true;
	}
	for (unsigned i = 0; i < c->vgic.nqueued; i++)
		if ((c->vgic.queue[i] & ~VGIC_Q_HW) == intid)
			return true;
	return false;
}

static bool place(struct cpu *c, uint32_t q)
{
	uint64_t empty = gic_empty_lrs() & ((1UL << c->vgic.nr_lr) - 1);

	if (!empty)
		return false;
	gic_lr_write(__builtin_ctzll(empty), make_lr(q));
	return true;
}

void vgic_inject(struct cpu *c, unsigned intid, bool hw)
{
	uint32_t q = intid | (hw ? VGIC_Q_HW : 0);

	if (!hw && merge_existing(c, intid))
		return;
	if (place(c, q))
		return;
	/* LRs full: queue until the maintenance interrupt says they drain.
	 * A HW interrupt stays active in the distributor until the guest
	 * EOIs it, so each INTID is queued at most once. */
	if (c->vgic.nqueued == VGIC_QUEUE_LEN) {
		hv_log("cpu%u: vgic queue full, INTID %u deferred to its next edge",
		       c->id, intid);
		if (hw)
			gic_deactivate(intid);
		return;
	}
	c->vgic.queue[c->vgic.nqueued++] = q;
	c->vgic.overflows++;
	gic_set_underflow_irq(true);
}

void vgic_flush(struct cpu *c)
{
	unsigned n = 0;

	while (n < c->vgic.nqueued && place(c, c->vgic.queue[n]))
		n++;
	if (n) {
		c->vgic.nqueued -= n;
		memmove(c->vgic.queue, c->vgic.queue + n,
			c->vgic.nqueued * sizeof(c->vgic.queue[0]));
	}
	gic_set_underflow_irq(c->vgic.nqueued != 0);
}

bool vgic_pending(const struct cpu *c)
{
	uint64_t empty = gic_empty_lrs();

	if (c->vgic.nqueued)
		return true;
	for (unsigned i = 0; i < c->vgic.nr_lr; i++)
		if (!((empty >> i) & 1) &&
		    (gic_lr_read(i) & ICH_LR_STATE_PENDING))
			return true;
	return false;
}

/*
 * The SPI of a device the hypervisor emulates. Guest SPIs are the
 * distributor's: the guest enables, prioritises and routes them there
 * (GICD_IROUTER), the CPU they are routed to takes them at EL2 and
 * trap_guest_irq() injects them into its list registers with the HW bit
 * (vgic_inject()), so the guest's EOI deactivates them. An emulated
 * device's line therefore goes in through the distributor's pending bit:
 * it then takes the same path as a device's, on the CPU the guest chose;
 * routed to a CPU that is off, it stays pending there until that CPU is
 * on again or the guest routes it elsewhere. A set pending state is
 * consumed when a CPU acknowledges it.
 */
#define GICD_ISPENDR	0x0200
#define GICD_ICPENDR	0x0280
#define GICD_ISACTIVER	0x0300

static bool emulated_spi(unsigned intid)
{
	return intid >= 32 && intid < GIC_MAX_INTID && !vgic_is_hv_owned(intid);
}

bool vgic_spi_set_pending(unsigned intid, bool pending)
{
	if (!emulated_spi(intid))
		return false;
	mmio_write(hv.plat.gicd + (pending ? GICD_ISPENDR : GICD_ICPENDR) +
		   4 * (intid / 32), 4, 1u << (intid % 32));
	return true;
}

bool vgic_spi_busy(unsigned intid)
{
	uintptr_t w = hv.plat.gicd + 4 * (intid / 32);
	uint32_t bit = 1u << (intid % 32);

	if (!emulated_spi(intid))
		return false;
	return ((uint32_t)mmio_read(w + GICD_ISPENDR, 4) |
		(uint32_t)mmio_read(w + GICD_ISACTIVER, 4)) & bit;
}

/* Distributor control: the hypervisor keeps ARE and both groups on. */
static uint64_t gicd_ctlr(bool write, uint64_t v)
{
	const uint32_t forced = GICD_CTLR_ARE | GICD_CTLR_G1 | GICD_CTLR_G0;
	uintptr_t a = hv.plat.gicd + GICD_CTLR;

	if (write) {
		guest_gicd_ctlr = v & forced;
		mmio_write(a, 4, v | forced);
		return 0;
	}
	return (mmio_read(a, 4) & ~forced) | guest_gicd_ctlr;
}

static unsigned gicr_frames;	/* redistributors that exist */

void vgic_init(void)
{
	gicr_frames = gic_redist_count(hv.plat.gicr, hv.plat.gicr_size);
	hv_log("GIC: %u redistributors in a window of 0x%lx bytes",
	       gicr_frames, hv.plat.gicr_size);
}

/* One access the policy allows, to the register at address a. */
static uint64_t replay(struct vgic_policy pol, uintptr_t a, unsigned size,
		       bool write, uint64_t v)
{
	uint64_t full = size == 8 ? ~0UL : (1UL << (8 * size)) - 1;

	if (!write)
		return vgic_read_value(pol, mmio_read(a, size));
	if (pol.wi || (pol.rmw && (pol.owned & full) == full))
		return 0;
	if (pol.owned && pol.rmw)
		v = vgic_merge_write(pol, v, mmio_read(a, size));
	else
		v = vgic_merge_write(pol, v, 0);
	mmio_write(a, size, v);
	return 0;
}

/* False: no frame backs the address, or the access is unaligned. */
static bool gic_access(bool dist, uint64_t off, unsigned size, bool write,
		       uint64_t *v)
{
	struct vgic_place at;
	struct vgic_policy pol;
	uintptr_t base = dist ? hv.plat.gicd : hv.plat.gicr;

	if (vgic_locate(dist, off, gicr_frames, &at) < 0)
		return false;
	pol = vgic_access_policy(at.kind, at.off, size, vgic_hv_owned);
	switch (pol.action) {
	case VGIC_ABORT:
		return false;
	case VGIC_RAZWI:
		*v = 0;
		return true;
	case VGIC_EMULATE_CTLR:
		*v = gicd_ctlr(write, *v);
		return true;
	case VGIC_FORWARD:
		break;
	}
	*v = replay(pol, base + at.base + at.off, size, write, *v);
	return true;
}

static void set_reg(uint64_t *reg, const struct dabt_info *d, uint64_t v)
{
	if (d->sign_extend && d->size < 8) {
		unsigned sh = 64 - 8 * d->size;
		v = (uint64_t)((int64_t)(v << sh) >> sh);
	}
	if (!d->sf)
		v &= 0xffffffff;
	*reg = v;
}

bool vgic_mmio(struct cpu *c, uint64_t ipa, const struct dabt_info *d,
	       uint64_t *reg)
{
	const struct platform *p = &hv.plat;
	uint64_t v = d->write ? *reg : 0;
	bool in_d = ipa - p->gicd < SZ_64K;
	bool in_r = ipa - p->gicr < p->gicr_size;

	(void)c;
	/* Only a single load or store with a valid syndrome is replayed:
	 * not a table walk of the guest's stage 1 through the GIC, nor a
	 * pair or a writeback (ISV 0). */
	if ((!in_d && !in_r) || !d->isv || d->s1ptw)
		return false;
	if (d->write && d->size < 8)
		v &= (1UL << (8 * d->size)) - 1;
	if (!gic_access(in_d, in_d ? ipa - p->gicd : ipa - p->gicr, d->size,
			d->write, &v))
		return false;	/* the caller injects an external abort */
	if (!d->write)
		set_reg(reg, d, v);
	return true;
}

/* A trapped ICC_SGI1R_EL1 write: forwarded unless it names our SGI. */
void vgic_guest_sgi(uint64_t val)
{
	unsigned intid = (val >> ICC_SGI1R_INTID_SHIFT) & 0xf;

	if (intid == INTID_HV_SGI) {
		static bool said;
		if (!said)
			hv_log("guest sent SGI %u, which the hypervisor owns: dropped",
			       intid);
		said = true;
		return;
	}
	gic_send_sgi_raw(val);
}

/* ICC_SGI1R_EL1, ICC_ASGI1R_EL1 (forwarded), ICC_SGI0R_EL1 (dropped):
 * write-only; a read is not ours and meets an UNDEF. */
enum sysreg_result vgic_sysreg(struct cpu *c, struct trap_frame *f,
			       uint64_t esr, const struct sysreg_info *s)
{
	(void)esr;
	if (s->read)
		return SYSREG_NOT_MINE;
	if (s->op2 == 7) {
		hv_report("cpu%u: guest Group 0 SGI dropped (Group 0 is not offered)",
			  c->id);
		return SYSREG_DONE;
	}
	vgic_guest_sgi(frame_reg(f, s->reg));
	return SYSREG_DONE;
}
