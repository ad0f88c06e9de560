// SPDX-License-Identifier: Apache-2.0
/*
 * verge-specific behaviour: hypercalls, the hypervisor's memory hidden
 * from stage 2, and its own timer PPI hidden from and kept from the guest.
 */
#include "gic.h"
#include "psci.h"

#define SZ_2M		0x200000ull
#define HV_PPI		26
#define FSC(esr)	((esr) & 0x3f)

typedef void (*entry_fn)(void);

void test_unknown_hvc(void)
{
	struct smccc_res res;

	if (!hv_call(0xc600ffffu, &res)) {
		fail("HVC #0 raised an exception (no EL2?)");
		return;
	}
	expect_eq("unknown HVC 0xc600ffff result", res.a0, SMCCC_NOT_SUPPORTED);
}

void test_hv_info(void)
{
	struct hv_info hi;

	if (!hv_require())
		return;
	if (!hv_get_info(&hi)) {
		fail("VERGE_HC_INFO failed");
		return;
	}
	info("base 0x%lx size 0x%lx version 0x%lx", hi.base, hi.size,
	     hi.version);
	if (hi.base < 0x40000000ull || hi.base >= 0x80000000ull)
		fail("base 0x%lx, expected within RAM 0x40000000-0x80000000",
		     hi.base);
	if (hi.size == 0 || hi.size % SZ_2M)
		fail("size 0x%lx, expected a nonzero multiple of 2 MiB", hi.size);
}

static void check_abort(const char *what, const struct fault *f,
			unsigned ec, uint64_t addr, bool wnr)
{
	if (ESR_EC(f->esr) != ec)
		fail("%s: ESR_EL1.EC 0x%lx, expected 0x%x (ESR 0x%lx)", what,
		     ESR_EC(f->esr), ec, f->esr);
	if (FSC(f->esr) != FSC_SEA)
		fail("%s: FSC 0x%lx, expected 0x10 external abort (ESR 0x%lx)",
		     what, FSC(f->esr), f->esr);
	if (ec == EC_DABT_CUR && !!(f->esr & ESR_WNR) != wnr)
		fail("%s: ESR_EL1.WnR %u, expected %u", what,
		     !!(f->esr & ESR_WNR), wnr);
	if (f->far != addr)
		fail("%s: FAR_EL1 0x%lx, expected 0x%lx", what, f->far, addr);
}

/* Reads hv memory under the probe; false (and a FAIL) if it did not fault. */
static bool read_faults(uint64_t addr, struct fault *ret_fault)
{
	uint32_t v;

	probe_arm();
	v = mmio_read32(addr);
	if (probe_result(ret_fault))
		return true;
	fail("read of hypervisor memory 0x%lx did not fault (read 0x%x)", addr, v);
	return false;
}

void test_hv_memory_fault(void)
{
	struct hv_info hi;
	struct fault f;

	if (!hv_require() || !hv_get_info(&hi) || !read_faults(hi.base, &f))
		return;
	check_abort("read", &f, EC_DABT_CUR, hi.base, false);
	probe_arm();
	mmio_write32(hi.base, 0);
	if (!probe_result(&f)) {
		fail("write to hypervisor memory 0x%lx did not fault", hi.base);
		return;
	}
	check_abort("write", &f, EC_DABT_CUR, hi.base, true);
}

void test_hv_memory_exec(void)
{
	struct hv_info hi;
	struct fault f;

	if (!hv_require() || !hv_get_info(&hi) || !read_faults(hi.base, &f))
		return;
	probe_arm();
	((entry_fn)(uintptr_t)hi.base)();
	if (!probe_result(&f)) {
		fail("branch to hypervisor memory 0x%lx returned without abort",
		     hi.base);
		return;
	}
	check_abort("branch", &f, EC_IABT_CUR, hi.base, false);
	expect_eq("ELR_EL1 of the instruction abort", f.elr, hi.base);
}

static bool gic_ok(void)
{
	if (gic_status == 0)
		return true;
	fail("GIC set-up on CPU 0 failed (%d)", gic_status);
	return false;
}

void test_hv_ppi_hidden(void)
{
	uintptr_t reg = gic_sgi_base() + GICR_ISENABLER0;
	uint32_t before, after;

	if (!hv_require() || !gic_ok())
		return;
	before = mmio_read32(reg);
	mmio_write32(reg, 1u << HV_PPI);
	after = mmio_read32(reg);
	if (before & 1u << HV_PPI)
		fail("GICR_ISENABLER0 = 0x%x shows PPI 26", before);
	if (after & 1u << HV_PPI)
		fail("GICR_ISENABLER0 = 0x%x shows PPI 26 after writing it", after);
}

/* Everything a guest can do to silence interrupts, as Linux's GIC init. */
static void gic_disable_all(void)
{
	uintptr_t sgi = gic_sgi_base();

	mmio_write32(sgi + GICR_ICENABLER0, ~0u);
	mmio_write32(sgi + GICR_ICPENDR0, ~0u);
	mmio_write32(sgi + GICR_ICACTIVER0, ~0u);
	for (unsigned n = 0; n < gic_irq_words(); n++) {
		mmio_write32(GICD_BASE + GICD_ICENABLER + 4 * n, ~0u);
		mmio_write32(GICD_BASE + GICD_ICACTIVER + 4 * n, ~0u);
	}
}

static bool read_ticks(struct smccc_res *ret_res)
{
	if (hv_call(VERGE_HC_TICKS, ret_res) && ret_res->a0 == 0)
		return true;
	fail("VERGE_HC_TICKS failed (x0 0x%lx)", ret_res->a0);
	return false;
}

void test_hv_tick(void)
{
	struct smccc_res a = { 0 }, b = { 0 }, ca = { 0 }, cb = { 0 };
	uint64_t dt, want;

	if (!hv_require() || !gic_ok())
		return;
	gic_disable_all();
	/* The guest's own PPIs and SGIs did go off, so the writes arrived. */
	expect_eq("GICR_ISENABLER0 after disabling all",
		  mmio_read32(gic_sgi_base() + GICR_ISENABLER0), 0);
	/* Ticks follow host time: measure it with the host counter, whatever
	 * the guest's clock rate. */
	if (!read_ticks(&a) || !hv_call(VERGE_HC_CLOCK, &ca))
		return;
	/* 100 ms, longer (up to 2 s) until two ticks came: a loaded host may
	 * hold the vCPU back; a stopped tick never comes */
	for (unsigned i = 0; i < 20; i++) {
		delay_ms(100);
		if (!read_ticks(&b) || !hv_call(VERGE_HC_CLOCK, &cb))
			return;
		if (b.a1 - a.a1 >= 2)
			break;
	}
	dt = cb.a1 - ca.a1;
	want = a.a2 * dt / (a.a3 ? a.a3 : 1);
	info("ticks %lu -> %lu (+%lu) in %lu host ms at %lu Hz, expected +%lu",
	     a.a1, b.a1, b.a1 - a.a1, a.a3 ? dt * 1000 / a.a3 : 0, a.a2, want);
	/* A tick the guest disabled stops: 0 ticks. A loaded host that does
	 * not run the vCPU makes ticks late, and late ticks are not caught
	 * up, so fewer than `want` is no fault; more than one per period is. */
	if (a.a2 == 0)
		fail("tick rate 0 Hz");
	else if (b.a1 - a.a1 < 2 || b.a1 - a.a1 > want * 2 + 2)
		fail("ticks advanced by %lu in %lu host ms, expected 2 to %lu",
		     b.a1 - a.a1, a.a3 ? dt * 1000 / a.a3 : 0, want * 2 + 2);
}
