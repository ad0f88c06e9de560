/* Virtual GIC: injection through list registers, and the forwarding of
 * trapped distributor and redistributor accesses. */
#include <arch/esr.h>
#include <arch/gic.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/hv.h>
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

static uint64_t filtered(uintptr_t base, unsigned off, unsigned size,
			 bool write, uint64_t v)
{
	struct vgic_policy pol = vgic_dist_policy(off, size, vgic_hv_owned);

	if (!write)
		return mmio_read(base + off, size) & ~pol.owned;
	if (pol.owned && pol.rmw)
		v = vgic_merge_write(pol, v, mmio_read(base + off, size));
	else
		v = vgic_merge_write(pol, v, 0);
	mmio_write(base + off, size, v);
	return 0;
}

static uint64_t dist_access(unsigned off, unsigned size, bool write,
			    uint64_t v)
{
	if (off == GICD_CTLR && size == 4)
		return gicd_ctlr(write, v);
	if (off == GICD_TYPER && !write)	/* no LPIs: the ITS is ours */
		return mmio_read(hv.plat.gicd + off, size) &
		       ~(uint64_t)(GICD_TYPER_LPIS | GICD_TYPER_MBIS);
	return filtered(hv.plat.gicd, off, size, write, v);
}

/* RD_base frame: LPIs stay off; everything else is the guest's. */
static uint64_t rd_access(uintptr_t rd, unsigned off, unsigned size,
			  bool write, uint64_t v)
{
	if (!write) {
		v = mmio_read(rd + off, size);
		if (off == GICR_TYPER)
			v &= ~(uint64_t)(GICR_TYPER_PLPIS | GICR_TYPER_VLPIS);
		return v;
	}
	if (off == GICR_PROPBASER || off == GICR_PENDBASER)
		return 0;
	if (off == GICR_CTLR)
		v &= ~(uint64_t)GICR_CTLR_ENABLE_LPIS;
	mmio_write(rd + off, size, v);
	return 0;
}

static uint64_t redist_access(uint64_t off, unsigned size, bool write,
			      uint64_t v)
{
	uintptr_t frame = hv.plat.gicr + (off & ~(uint64_t)(GICR_STRIDE - 1));
	unsigned in = off & (GICR_STRIDE - 1);

	if (in < GICR_SGI)
		return rd_access(frame, in, size, write, v);
	/* The SGI frame has the distributor's layout for INTIDs 0-31. */
	return filtered(frame + GICR_SGI, in - GICR_SGI, size, write, v);
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
	if (!in_d && !in_r)
		return false;
	if (d->write && d->size < 8)
		v &= (1UL << (8 * d->size)) - 1;
	v = in_d ? dist_access(ipa - p->gicd, d->size, d->write, v)
		 : redist_access(ipa - p->gicr, d->size, d->write, v);
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
