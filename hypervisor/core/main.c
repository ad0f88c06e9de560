// SPDX-License-Identifier: Apache-2.0
/*
 * verge-hv boot: CPU 0 reads the machine DT and its options, builds the
 * guest's DT and stage-2, then every CPU sets itself up and enters the
 * guest (CPU 0 at the kernel, the others when the guest asks PSCI).
 */
#include <acpi/acpi.h>
#include <arch/arch.h>
#include <arch/cpufeat.h>
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/backdoor_trap.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/debug.h>
#include <core/doorbell.h>
#include <core/guest_acpi.h>
#include <core/guest_dt.h>
#include <core/hv.h>
#include <core/panic.h>
#include <core/secret.h>
#include <core/stage2.h>
#include <core/mgmt.h>
#include <core/tick.h>
#include <core/vtime.h>
#include <core/wdt.h>
#include <verge_proto.h>
#include <verge_psci.h>
#include <libfdt.h>

#define S2_POOL_TABLES	64
#define IMAGE_MAGIC	0x644d5241u	/* "ARM\x64" */

struct image_header {
	uint32_t code0, code1;
	uint64_t text_offset, image_size, flags;
	uint64_t res2, res3, res4;
	uint32_t magic, res5;
};

struct hv hv;
struct cpu hv_cpus[HV_MAX_CPUS];
uint8_t hv_stacks[HV_MAX_CPUS][HV_STACK_SIZE] __attribute__((aligned(16)));
extern char __hv_image_start[], __hv_spare[], __hv_end[];

static uint64_t s2_root[S2_ROOT_ENTRIES] __attribute__((aligned(8192)));
static uint64_t s2_pool[S2_POOL_TABLES][512] __attribute__((aligned(4096)));
static unsigned s2_used;
/* The page tables of guest RAM: [__hv_spare, hv.end), see reserve_s2(). */
static uint64_t s2_pages, s2_pages_end;

static void *s2_alloc(void *ctx)
{
	uint64_t *t;

	(void)ctx;
	if (s2_used < S2_POOL_TABLES)
		return s2_pool[s2_used++];
	if (s2_pages >= s2_pages_end)
		return NULL;
	t = (uint64_t *)(uintptr_t)s2_pages;
	s2_pages += SZ_4K;
	for (unsigned i = 0; i < 512; i++)	/* not BSS: ours to clear */
		t[i] = 0;
	return t;
}

static struct stage2 s2 = { s2_root, s2_alloc, NULL, 0, false };

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Whether [a, a + n) overlaps a board watchdog's frame (in reserved
 * RAM, where the guest DT or the ACPI tables could otherwise go). */
static bool board_wdt_at(uint64_t a, uint64_t n)
{
	for (unsigned i = 0; i < hv.plat.nregions; i++) {
		const struct region *r = &hv.plat.regions[i];

		if (r->kind == REGION_HV_WDT &&
		    overlaps(a, n, r->base, r->size))
			return true;
	}
	return false;
}

/* The guest Image: header checks when it has one. Returns its size. */
static int check_kernel(uint64_t *ret_size, struct hv_err *err)
{
	uint64_t k = hv.cfg.kernel;
	const struct region *r = platform_find(&hv.plat, k);
	const struct image_header *h = (const void *)(uintptr_t)k;
	uint64_t size = 0;

	if (!r || r->kind != REGION_RAM || (k >= hv.base && k < hv.end)) {
		hv_err_set(err, "verge.kernel=0x%lx: not in guest RAM", k);
		return -EINVAL;
	}
	if (h->magic != IMAGE_MAGIC) {
		hv_log("no arm64 Image header at 0x%lx: entering a raw EL1 image", k);
	} else {
		size = h->image_size;
		if (!IS_ALIGNED(k - h->text_offset, SZ_2M) && !(h->flags & 8)) {
			hv_err_set(err, "verge.kernel=0x%lx: this Image must sit at a 2 MiB boundary + 0x%lx",
				   k, h->text_offset);
			return -EINVAL;
		}
		if (k + size > r->base + r->size) {
			hv_err_set(err, "verge.kernel=0x%lx: Image (%lu bytes) runs past RAM",
				   k, size);
			return -EINVAL;
		}
	}
	*ret_size = size;
	return 0;
}

/* verge.acpi=1: the tables go just below the guest DT (core/guest_acpi.h). */
static int place_guest_acpi(const void *fdt, uint64_t dt, uint64_t dt_size,
			    uint64_t ksize, struct hv_err *err)
{
	uint64_t at = dt - GUEST_ACPI_SIZE;
	uint64_t initrd = hv.plat.initrd_start;
	char sigs[ACPI_MAX_TABLES * 5 + 1];
	int r;

	if (at < hv.end || board_wdt_at(at, GUEST_ACPI_SIZE) ||
	    overlaps(at, GUEST_ACPI_SIZE, hv.cfg.kernel, ksize ? ksize : 1) ||
	    overlaps(at, GUEST_ACPI_SIZE, initrd, hv.plat.initrd_end - initrd) ||
	    overlaps(at, GUEST_ACPI_SIZE, (uintptr_t)fdt, fdt_totalsize(fdt))) {
		hv_err_set(err, "no room for the ACPI tables at 0x%lx (kernel, initrd or DTB there)", at);
		return -ENOSPC;
	}
	r = guest_acpi_build((void *)(uintptr_t)dt, dt_size, (void *)(uintptr_t)at,
			     at, sigs, sizeof(sigs), err);
	if (r < 0)
		return r;
	dcache_clean_range(at, GUEST_ACPI_SIZE);
	hv_log("ACPI tables at 0x%lx: %s; guest DT without devices", at, sigs);
	return 0;
}

/* The guest's DT entropy seeds: fresh, never the machine DT's. */
static uint8_t guest_seed[GUEST_DT_SEED];
_Static_assert(GUEST_DT_SEED == SECRET_GUEST_SEED, "one seed size");

/* The guest DT goes at the top of the first RAM bank. */
static int place_guest_dt(const void *fdt, uint64_t ksize, struct hv_err *err)
{
	uint64_t fg = vtime_guest_freq();
	struct guest_dt_params prm = {
		hv.base, hv.end, hv.cfg.guest_cmdline,
		fg != hv.cntfrq ? fg : 0,
		hv.cfg.ptimer != 0,
		/* The emulated watchdog where the machine leaves room. */
		wdt_fits(&hv.plat) ? WDT_CTRL_IPA : 0, WDT_REFRESH_IPA, WDT_SPI,
		guest_seed,
		/* Not with ACPI: the DSDT has no place for it, and the
		 * DSDT's power button is found as the DT's gpio-keys. Nor
		 * on the SPI of the board's watchdog (its node is gone). */
		hv.cfg.doorbell && !hv.cfg.acpi &&
		hv.plat.wdt.irq != DOORBELL_SPI + 32 ? DOORBELL_SPI : 0,
		DOORBELL_LABEL,
		DOORBELL_CODE,
	};
	const struct region *ram = platform_find(&hv.plat, hv.base);
	uint64_t size = ALIGN_UP(guest_dt_size(fdt, &prm), SZ_4K);
	uint64_t at = (ram->base + ram->size - size) & ~(SZ_2M - 1);
	uint64_t initrd = hv.plat.initrd_start;
	uint64_t ilen = hv.plat.initrd_end - initrd;
	int r;

	if (size > SZ_2M || at < hv.end ||
	    overlaps(at, size, hv.cfg.kernel, ksize ? ksize : 1) ||
	    overlaps(at, size, initrd, ilen) ||
	    overlaps(at, size, (uintptr_t)fdt, fdt_totalsize(fdt)) ||
	    board_wdt_at(at, size)) {
		hv_err_set(err, "no room for the guest DT at 0x%lx (kernel, initrd, DTB or the board watchdog's frames there)", at);
		return -ENOSPC;
	}
	r = guest_dt_build(fdt, (void *)(uintptr_t)at, size, &prm, err);
	if (r < 0)
		return r;
	doorbell_init(guest_dt_has_doorbell((void *)(uintptr_t)at,
					    DOORBELL_LABEL));
	if (hv.cfg.acpi) {
		r = place_guest_acpi(fdt, at, size, ksize, err);
		if (r < 0)
			return r;
	}
	dcache_clean_range(at, size);
	hv.guest_dtb = at;
	return 0;
}

/*
 * Stage-2 maps guest RAM with 4 KiB pages (core/stage2.h says why): the
 * tables, 2 MiB per GiB of RAM, are hypervisor memory after the image
 * (from __hv_spare, the image's end), taken from the guest as the image
 * is, up to a 2 MiB boundary. Where they would reach the guest kernel,
 * the initrd or the DTB QEMU loaded, RAM keeps 2 MiB blocks.
 */
static void reserve_s2(const void *fdt, uint64_t ksize)
{
	uint64_t start = (uintptr_t)__hv_spare, end = hv.end;
	const struct region *ram = platform_find(&hv.plat, hv.base);
	uint64_t initrd = hv.plat.initrd_start;

	/* More hypervisor memory, less guest RAM to map: a few rounds. */
	while (end < ram->base + ram->size &&
	       start + stage2_ram_tables(&hv.plat, hv.base, end) * SZ_4K > end)
		end += SZ_2M;
	if (end >= ram->base + ram->size ||
	    overlaps(start, end - start, hv.cfg.kernel, ksize ? ksize : 1) ||
	    overlaps(start, end - start, initrd, hv.plat.initrd_end - initrd) ||
	    overlaps(start, end - start, (uintptr_t)fdt, fdt_totalsize(fdt))) {
		hv_log("stage-2: guest RAM in 2 MiB blocks: its 4 KiB page tables (0x%lx-0x%lx) would overlap what QEMU loaded",
		       start, end);
		return;
	}
	s2_pages = start;
	s2_pages_end = end;
	s2.ram_pages = true;
	hv.end = end;
}

static int check_initrd(struct hv_err *err)
{
	uint64_t s = hv.plat.initrd_start, e = hv.plat.initrd_end;

	if (s == e)
		return 0;
	if (overlaps(s, e - s, hv.base, hv.end - hv.base)) {
		hv_err_set(err, "initrd 0x%lx-0x%lx overlaps hypervisor memory", s, e);
		return -EINVAL;
	}
	return 0;
}

static int boot_prepare(const void *fdt, struct hv_err *err)
{
	uint64_t ksize;
	int r;

	hv.cntfrq = read_sysreg(cntfrq_el0);
	r = platform_probe(fdt, &hv.plat, err);
	if (r < 0)
		return r;
	console_init(hv.plat.uart);
	r = bootargs_parse(hv.plat.bootargs, &hv.cfg, err);
	if (r < 0)
		return r;
	hv.base = hv.plat.ram_base;
	hv.end = (uintptr_t)__hv_end;
	if (hv.base + 0x80000 != (uintptr_t)__hv_image_start) {
		hv_err_set(err, "RAM starts at 0x%lx; this build needs 0x%lx",
			   hv.base, (uintptr_t)__hv_image_start - 0x80000);
		return -EINVAL;
	}
	if (vtime_init(hv.cfg.freq, hv.cfg.rate_num, hv.cfg.rate_den) < 0) {
		hv_err_set(err, "verge.freq/verge.rate: the resulting rate is outside 0.01..100");
		return -ERANGE;
	}
	/* With EL3 only the DT can carry the frequency; ACPI has no field. */
	if (vtime_freq_by() == FREQ_BY_DT && hv.cfg.acpi) {
		hv_err_set(err, "cannot present %lu Hz to an ACPI guest: EL3 owns CNTFRQ_EL0 on this core",
			   vtime_guest_freq());
		return -EINVAL;
	}
	/* Linux 6.1 maps a GTDT virtual timer GSIV of 0 as GSI 0 and then
	 * fails to register its timer: ACPI cannot hide the virtual timer. */
	if (hv.cfg.acpi && hv.cfg.ptimer) {
		hv_err_set(err, "verge.acpi=1 and verge.ptimer=1 cannot be combined (a GTDT without a virtual timer stops Linux's timer)");
		return -EINVAL;
	}
	secret_init((void *)fdt);	/* takes the DT's seeds out */
	secret_guest_seed(guest_seed);
	r = check_kernel(&ksize, err);
	if (r == 0) {
		reserve_s2(fdt, ksize);
		hv_log("hv memory 0x%lx-0x%lx, %u CPUs, tick %u Hz", hv.base,
		       hv.end, hv.plat.ncpus, hv.cfg.tick_hz);
		r = check_initrd(err);
	}
	if (r == 0)
		r = place_guest_dt(fdt, ksize, err);
	if (r == 0)
		r = stage2_build(&s2, &hv.plat, hv.base, hv.end, err);
	return r;
}

static void __attribute__((noreturn)) refuse_boot(const struct hv_err *err)
{
	uint64_t off[8] = { PSCI_SYSTEM_OFF };

	hv_log("%s", err->msg);
	hv_log("refusing to boot the guest; powering off");
	smc_call(off);
	hv_halt();
}

static void boot_event(uint32_t stage, uint32_t cpu)
{
	struct vp_ev_boot ev = { .stage = stage, .cpu = cpu };

	mgmt_event(VP_EV_BOOT, &ev, sizeof(ev));
}

static uint64_t stack_top(unsigned id)
{
	return (uintptr_t)&hv_stacks[id][HV_STACK_SIZE];
}

static void cpu_start(struct cpu *c)
{
	c->mpidr = read_sysreg(mpidr_el1);
	if (gic_cpu_init(hv.plat.gicr, hv.plat.gicr_size, c->mpidr, &c->gicr))
		hv_panic("no GIC redistributor for MPIDR 0x%lx", c->mpidr);
	vgic_cpu_init(c);
	arch_guest_init((uintptr_t)s2_root);
	vtime_cpu_init(c);
	debug_cpu_init(c);
	tick_start(c);
	c->online = true;
	__atomic_store_n(&c->starting, false, __ATOMIC_SEQ_CST);
}

static void log_cpu_features(void)
{
	char buf[160];

	cpufeat_probe();
	cpufeat_describe(buf, sizeof(buf));
	hv_log("cpu features: %s", buf);
}

void hv_main(uint64_t dtb);
void hv_main(uint64_t dtb)
{
	struct hv_err err = { "" };

	mmu_init();
	mmu_enable();
	hv_log("version %s starting at EL2", VERGE_VERSION);
	log_cpu_features();
	if (boot_prepare((const void *)(uintptr_t)dtb, &err) < 0)
		refuse_boot(&err);
	gic_dist_init(hv.plat.gicd);
	vgic_init();
	mgmt_init(&hv.plat);
	backdoor_init();
	tick_init();
	cpu_start(&hv_cpus[0]);
	boot_event(VP_BOOT_HV_UP, 0);
	wdt_init();
	wdt_os_loading(hv.cfg.wdt_s);
	hv_log("guest at 0x%lx, DT at 0x%lx, stage-2 %u tables, command line \"%s\" (t=%lu ms)",
	       hv.cfg.kernel, hv.guest_dtb, s2.tables, hv.cfg.guest_cmdline,
	       tick_now_ms());
	if (!vtime_cntfrq_writable())
		hv_log("EL3 implemented: CNTFRQ_EL0 is left as it is");
	if (vtime_guest_freq() != hv.cntfrq || hv.cfg.rate_num)
		hv_log("guest clock: counter presented at %lu Hz by %s, rate %u/%u",
		       vtime_guest_freq(), freq_by_name(vtime_freq_by()),
		       hv.cfg.rate_num ? hv.cfg.rate_num : 1,
		       hv.cfg.rate_num ? hv.cfg.rate_den : 1);
	if (!hv.cfg.wdt_loader)
		wdt_handoff();
	boot_event(VP_BOOT_GUEST_ENTERED, 0);
	vtime_resume(&hv_cpus[0]);
	guest_enter(hv.cfg.kernel, hv.guest_dtb, stack_top(0));
}

void hv_secondary_main(unsigned id);
void hv_secondary_main(unsigned id)
{
	struct cpu *c = &hv_cpus[id];

	cpu_start(c);
	vtime_resume(c);
	guest_enter(c->entry, c->context, stack_top(id));
}
