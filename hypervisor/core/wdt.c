// SPDX-License-Identifier: Apache-2.0
/* The boot guard on the machine (core/wdt.h, docs/bootguard.md). */
#include <arch/arch.h>
#include <arch/esr.h>
#include <arch/gic.h>
#include <arch/sysreg.h>
#include <core/bootguard.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/panic.h>
#include <core/spinlock.h>
#include <core/tick.h>
#include <core/trap.h>
#include <core/vgic.h>
#include <core/vtime.h>
#include <core/wdt.h>
#include <drivers/sbsa_gwdt.h>
#include <verge_proto.h>
#include <verge_psci.h>

/* SMCCC vendor hypervisor calls (docs/hypervisor.md). */
#define VERGE_HC_WDT_QUERY	0xc6000010u
#define VERGE_HC_WDT_ENABLE	0xc6000011u
#define VERGE_HC_WDT_REFRESH	0xc6000012u
#define VERGE_HC_WDT_TIMEOUT	0xc6000013u
#define VERGE_HC_WDT_HANDOFF	0xc6000014u
#define HC_INVALID_PARAMETER	((uint64_t)-3)
#define HC_SEALED		((uint64_t)-4)

_Static_assert((int)BG_POWER_ON == (int)VP_WDT_POWER_ON &&
	       (int)BG_OS_LOADING == (int)VP_WDT_OS_LOADING &&
	       (int)BG_HANDED_OFF == (int)VP_WDT_HANDED_OFF,
	       "stages go on the wire");

static struct bootguard bg;
static bool present, ready;
/* Guest refreshes after the hand-off, and the count and time (watchdog
 * ticks) of the last EV_WDT_REFRESH (docs/bootguard.md). */
static uint32_t refreshes, refreshes_sent;
static uint64_t refresh_sent_at;
static struct spinlock lock;
static uint64_t fg, fh;		/* watchdog and host counter frequencies */

/* The board's own SBSA watchdog, if the machine DT has one: verge-hv's
 * backstop (drivers/sbsa_gwdt.h, docs/bootguard.md). */
static struct gwdt board;
static bool board_on;
static uintptr_t board_va[2];	/* [enum sbsa_wdt_frame] */

static uint32_t board_read(void *ctx, enum sbsa_wdt_frame f, uint32_t off)
{
	(void)ctx;
	return (uint32_t)mmio_read(board_va[f] + off, 4);
}

static void board_write(void *ctx, enum sbsa_wdt_frame f, uint32_t off,
			uint32_t v)
{
	(void)ctx;
	mmio_write(board_va[f] + off, 4, v);
}

static const struct gwdt_io board_io = { board_read, board_write, NULL };

static void take(void)
{
	spin_lock(&lock);
}

static void give(void)
{
	spin_unlock(&lock);
}

/* The watchdog's counter: host time, in ticks of the frequency the guest
 * was told (CNTFRQ_EL0), so a guest's WOR of N seconds lasts N host
 * seconds whatever the guest clock's rate or stalls. */
static uint64_t now(void)
{
	uint64_t p = read_sysreg(cntpct_el0);

	return fg == fh ? p : (uint64_t)((unsigned __int128)p * fg / fh);
}

static bool in_frame(uint64_t ipa, uint64_t base)
{
	return ipa - base < SBSA_WDT_FRAME_SIZE;
}

bool wdt_fits(const struct platform *p)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct region *r = &p->regions[i];

		if (r->base < WDT_REFRESH_IPA + SBSA_WDT_FRAME_SIZE &&
		    WDT_CTRL_IPA < r->base + r->size)
			return false;
		if (r->irq == WDT_SPI + 32)	/* a device of ours drives it */
			return false;
	}
	return true;
}

/* The guest's SPI, through the vgic (vgic_spi_set_pending()): raised
 * with WS0, lowered by the refresh that clears it. */
static void set_line(bool high)
{
	vgic_spi_set_pending(WDT_SPI + 32, high);
}

/* WS0 is a level: while it holds, an interrupt the guest has taken and
 * ended (neither pending nor active any more) is raised again, at the
 * next check of the timeout, as a level interrupt would be at once. */
static void hold_line(void)
{
	if (present && sbsa_wdt_ws0(&bg.wdt) &&
	    !vgic_spi_busy(WDT_SPI + 32))
		set_line(true);
}

static void event(uint32_t what, const struct bg_status *s)
{
	struct vp_ev_watchdog ev = { what, s->stage, s->enabled,
				     s->timeout_ms, 0 };

	mgmt_event(VP_EV_WATCHDOG, &ev, sizeof(ev));
}

static void stage_event(void)
{
	struct bg_status s;

	take();
	bg_status(&bg, now(), &s);
	give();
	hv_log("boot guard: %s, watchdog %s, timeout %u ms",
	       bg_stage_name(s.stage), s.enabled ? "on" : "off", s.timeout_ms);
	event(VP_WDT_STAGE, &s);
}

static bool in_window(uint64_t base, uint64_t size)
{
	return base < WDT_REFRESH_IPA + SZ_64K && WDT_CTRL_IPA < base + size;
}

/* The board's watchdog taken over at power-on: off unless verge.wdt
 * arms the boot guard (then wdt_os_loading() arms it too). */
static void board_init(void)
{
	const struct board_wdt *w = &hv.plat.wdt;
	bool was_on;

	if (w->others)
		hv_log("board watchdog: %u more arm,sbsa-gwdt node(s) (the first at 0x%lx): hidden from the guest, not driven",
		       w->others, w->other_ctrl);
	if (!w->ctrl)
		return;
	board_va[SBSA_WDT_CONTROL] = mmu_map_device(w->ctrl, w->ctrl_size);
	board_va[SBSA_WDT_REFRESH] = mmu_map_device(w->refresh,
						    w->refresh_size);
	if (!board_va[0] || !board_va[1]) {
		hv_log("board watchdog at 0x%lx: no room to map it: not driven",
		       w->ctrl);
		return;
	}
	if (in_window(w->ctrl, w->ctrl_size) ||
	    in_window(w->refresh, w->refresh_size))
		hv_log("board watchdog at 0x%lx: in the emulated watchdog's window 0x%lx-0x%lx",
		       w->ctrl, WDT_CTRL_IPA, WDT_REFRESH_IPA + SZ_64K - 1);
	was_on = gwdt_init(&board, &board_io, fh);
	board_on = true;
	if (w->irq >= 32 && w->irq < GIC_MAX_INTID)	/* left disabled */
		vgic_hv_owned[w->irq / 32] |= 1u << (w->irq % 32);
	if (!hv.cfg.wdt_s)
		gwdt_disable(&board);
	hv_log("board watchdog: SBSA at 0x%lx (refresh 0x%lx), version %u, found %s, %s",
	       w->ctrl, w->refresh, board.version, was_on ? "on" : "off",
	       hv.cfg.wdt_s ? "armed with the boot guard" :
	       "off (no verge.wdt)");
}

/* Armed with the boot guard's timeout plus a margin, or re-armed when a
 * boot loader changes it before the hand-off. Under the lock (two CPUs'
 * calls must not mix their WOR halves); returns the timeout programmed,
 * 0 if nothing was to do. */
static uint32_t board_arm(const struct bg_status *s)
{
	uint32_t want;

	if (!board_on || !s->enabled || s->stage == BG_HANDED_OFF)
		return 0;
	want = s->timeout_ms > UINT32_MAX - GWDT_MARGIN_MS ? UINT32_MAX :
	       s->timeout_ms + GWDT_MARGIN_MS;
	if (board.armed && board.timeout_ms == want)
		return 0;
	return gwdt_arm(&board, want);
}

static void board_armed(uint32_t ms)
{
	if (ms)
		hv_log("board watchdog: armed, reset %u ms after verge-hv's last refresh",
		       ms);
}

void wdt_init(void)
{
	present = wdt_fits(&hv.plat);
	fh = hv.cntfrq;
	fg = vtime_guest_freq();
	bg_init(&bg, fg);
	ready = true;
	if (!present)
		hv_log("boot guard: a DT region covers 0x%lx-0x%lx or a hypervisor device uses INTID %u: no watchdog for the guest",
		       WDT_CTRL_IPA, WDT_REFRESH_IPA + SBSA_WDT_FRAME_SIZE,
		       WDT_SPI + 32);
	board_init();
	stage_event();
}

void wdt_os_loading(unsigned timeout_s)
{
	struct bg_status s;
	uint32_t ms;

	take();
	bg_os_loading(&bg, timeout_s, now());
	bg_status(&bg, now(), &s);
	ms = board_arm(&s);
	give();
	board_armed(ms);
	stage_event();
}

void wdt_handoff(void)
{
	struct bg_status s;

	take();
	bg_call(&bg, BG_CALL_HANDOFF, 0, now(), &s);
	if (present)
		set_line(false);
	give();
	stage_event();
}

static void __attribute__((noreturn)) expired(const struct bg_status *s)
{
	uint64_t args[8] = { PSCI_SYSTEM_RESET };
	struct vp_ev_power pw = { .what = VP_POWER_RESET, .cpu = 0 };

	if (board_on)	/* if the reset does not happen, the board's */
		gwdt_expire(&board);
	hv_log("watchdog expired in stage %s (timeout %u ms): resetting the guest",
	       bg_stage_name(s->stage), s->timeout_ms);
	event(VP_WDT_EXPIRED, s);
	stats_print();
	mgmt_event(VP_EV_POWER, &pw, sizeof(pw));
	smc_call(args);
	hv_panic("PSCI SYSTEM_RESET returned");
}

/* The guest OS refreshes the watchdog it took over: told to the host at
 * most once a second, on a tick, when there were refreshes since. Under
 * the lock: every CPU's tick comes here. */
static bool refresh_due(const struct bg_status *s, uint64_t t,
			struct vp_ev_wdt_refresh *ret)
{
	uint32_t n = __atomic_load_n(&refreshes, __ATOMIC_RELAXED);

	if (n == refreshes_sent || (refresh_sent_at &&
				    t - refresh_sent_at < fg))
		return false;
	refreshes_sent = n;
	refresh_sent_at = t ? t : 1;
	memset(ret, 0, sizeof(*ret));
	ret->refreshes = n;
	ret->enabled = s->enabled;
	ret->timeout_ms = s->timeout_ms;
	return true;
}

static uint32_t online_mask(void)
{
	uint32_t m = 0;

	for (unsigned i = 0; i < HV_MAX_CPUS && i < 32; i++)
		if (__atomic_load_n(&hv_cpus[i].online, __ATOMIC_ACQUIRE))
			m |= 1u << i;
	return m;
}

/* Every online CPU's tick: the timeout is checked wherever the guest
 * runs, so a guest that switched CPU 0 off (PSCI CPU_OFF) is still
 * watched. Whichever CPU comes first after WCV raises the signal. */
void wdt_tick(void)
{
	enum sbsa_wdt_action act;
	struct vp_ev_wdt_refresh rev;
	struct bg_status s;
	uint32_t unreported = 0;
	bool report = false, refreshed;
	uint64_t t;

	if (!ready)
		return;
	take();
	t = now();
	act = sbsa_wdt_advance(&bg.wdt, t);
	bg_status(&bg, t, &s);
	if (act == SBSA_WDT_ACT_WS0) {
		if (present)
			set_line(true);	/* under the lock: a refresh may follow */
		report = bg_ws0_report(&bg, t, &unreported);
	} else {
		hold_line();
	}
	refreshed = refresh_due(&s, t, &rev);
	give();
	if (report) {
		if (unreported)
			hv_log("watchdog WS0 in stage %s (%u more since the last report)",
			       bg_stage_name(s.stage), unreported);
		else
			hv_log("watchdog WS0 in stage %s",
			       bg_stage_name(s.stage));
		event(VP_WDT_WS0, &s);
	} else if (act == SBSA_WDT_ACT_WS1) {
		expired(&s);
	}
	if (refreshed)
		mgmt_event(VP_EV_WDT_REFRESH, &rev, sizeof(rev));
	if (board_on)
		gwdt_tick(&board, this_cpu()->id, online_mask());
}

void wdt_panic(void)
{
	gwdt_stop(&board);	/* a flag: safe before wdt_init() too */
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

bool wdt_mmio(struct cpu *c, uint64_t ipa, const struct dabt_info *d,
	      uint64_t *reg)
{
	enum sbsa_wdt_frame f;
	uint64_t off, v = 0;
	bool ws0;
	int r;

	(void)c;
	/* A single load or store with a valid syndrome only: never the
	 * guest's stage-1 table walk through a frame. */
	if (!present || !d->isv || d->s1ptw)
		return false;
	if (in_frame(ipa, WDT_CTRL_IPA))
		f = SBSA_WDT_CONTROL, off = ipa - WDT_CTRL_IPA;
	else if (in_frame(ipa, WDT_REFRESH_IPA))
		f = SBSA_WDT_REFRESH, off = ipa - WDT_REFRESH_IPA;
	else
		return false;
	take();
	ws0 = sbsa_wdt_ws0(&bg.wdt);
	if (d->write) {
		v = d->size < 8 ? *reg & ((1UL << (8 * d->size)) - 1) : *reg;
		r = sbsa_wdt_write(&bg.wdt, f, off, d->size, v, now());
	} else {
		r = sbsa_wdt_read(&bg.wdt, f, off, d->size, &v);
	}
	if (ws0 && !sbsa_wdt_ws0(&bg.wdt))
		set_line(false);	/* the refresh lowered WS0 */
	/* a write to WRR, WOR or WCS refreshes (sbsa_wdt.h) */
	if (r >= 0 && d->write && bg.stage == BG_HANDED_OFF &&
	    (off == SBSA_WDT_WRR || (f == SBSA_WDT_CONTROL &&
				     (off == SBSA_WDT_WOR ||
				      off == SBSA_WDT_WORU))))
		__atomic_add_fetch(&refreshes, 1, __ATOMIC_RELAXED);
	give();
	if (r < 0)
		return false;	/* the caller reports and aborts */
	if (!d->write)
		set_reg(reg, d, v);
	return true;
}

static const struct {
	uint32_t fn;
	enum bg_call call;
} calls[] = {
	{ VERGE_HC_WDT_QUERY, BG_CALL_QUERY },
	{ VERGE_HC_WDT_ENABLE, BG_CALL_ENABLE },
	{ VERGE_HC_WDT_REFRESH, BG_CALL_REFRESH },
	{ VERGE_HC_WDT_TIMEOUT, BG_CALL_SET_TIMEOUT },
	{ VERGE_HC_WDT_HANDOFF, BG_CALL_HANDOFF },
};

bool wdt_hypercall(struct trap_frame *f)
{
	uint32_t fn = (uint32_t)f->x[0];
	struct bg_status s;
	uint32_t ms;
	bool ws0;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
		if (calls[i].fn != fn)
			continue;
		take();
		ws0 = sbsa_wdt_ws0(&bg.wdt);
		r = bg_call(&bg, calls[i].call, f->x[1], now(), &s);
		if (ws0 && !sbsa_wdt_ws0(&bg.wdt) && present)
			set_line(false);
		ms = r < 0 ? 0 : board_arm(&s);
		give();
		board_armed(ms);
		if (r < 0) {
			f->x[0] = r == -EPERM ? HC_SEALED : HC_INVALID_PARAMETER;
			return true;
		}
		f->x[0] = 0;
		f->x[1] = (uint64_t)s.enabled << 8 | s.stage;
		f->x[2] = s.timeout_ms;
		f->x[3] = s.left_ms;
		if (calls[i].call == BG_CALL_HANDOFF)
			stage_event();
		return true;
	}
	return false;
}
