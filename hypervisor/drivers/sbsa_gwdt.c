// SPDX-License-Identifier: Apache-2.0
/* The board's SBSA Generic Watchdog (drivers/sbsa_gwdt.h). */
#include <drivers/sbsa_gwdt.h>

static uint32_t rd(const struct gwdt *w, enum sbsa_wdt_frame f, uint32_t off)
{
	return w->io->read(w->io->ctx, f, off);
}

static void wr(const struct gwdt *w, enum sbsa_wdt_frame f, uint32_t off,
	       uint32_t v)
{
	w->io->write(w->io->ctx, f, off, v);
}

bool gwdt_init(struct gwdt *w, const struct gwdt_io *io, uint64_t freq)
{
	memset(w, 0, sizeof(*w));
	w->io = io;
	w->freq = freq;
	w->version = rd(w, SBSA_WDT_CONTROL, SBSA_WDT_W_IIDR) >> 16 & 0xf;
	return rd(w, SBSA_WDT_CONTROL, SBSA_WDT_WCS) & SBSA_WDT_WCS_EN;
}

void gwdt_disable(struct gwdt *w)
{
	wr(w, SBSA_WDT_CONTROL, SBSA_WDT_WCS, 0);
	w->armed = false;
}

/* WOR, low word first (each write is a refresh), as Linux's driver. */
static void set_wor(struct gwdt *w, uint64_t wor)
{
	wr(w, SBSA_WDT_CONTROL, SBSA_WDT_WOR, (uint32_t)wor);
	if (w->version)
		wr(w, SBSA_WDT_CONTROL, SBSA_WDT_WORU, (uint32_t)(wor >> 32));
}

static uint64_t wor_of(const struct gwdt *w, uint32_t timeout_ms)
{
	uint64_t wor = (uint64_t)timeout_ms / 2 * w->freq / 1000;
	uint64_t max = w->version ? SBSA_WDT_WOR_MASK : UINT32_MAX;

	if (wor > max)
		wor = max;
	return wor ? wor : 1;
}

uint32_t gwdt_arm(struct gwdt *w, uint32_t timeout_ms)
{
	uint64_t wor = wor_of(w, timeout_ms), ms;

	if (__atomic_load_n(&w->stopped, __ATOMIC_ACQUIRE))
		return 0;
	set_wor(w, wor);
	wr(w, SBSA_WDT_CONTROL, SBSA_WDT_WCS, SBSA_WDT_WCS_EN);
	ms = 2 * wor * 1000 / w->freq;
	w->timeout_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	__atomic_store_n(&w->ticked, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&w->armed, true, __ATOMIC_RELEASE);
	return w->timeout_ms;
}

void gwdt_tick(struct gwdt *w, unsigned cpu, uint32_t online)
{
	uint32_t seen;

	if (cpu >= 32 || !__atomic_load_n(&w->armed, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&w->stopped, __ATOMIC_ACQUIRE))
		return;
	seen = __atomic_or_fetch(&w->ticked, 1u << cpu, __ATOMIC_ACQ_REL);
	if ((seen & online) != online ||
	    !__atomic_compare_exchange_n(&w->ticked, &seen, 0, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;		/* a CPU still to tick, or another refreshes */
	if (__atomic_load_n(&w->stopped, __ATOMIC_ACQUIRE))
		return;
	wr(w, SBSA_WDT_REFRESH, SBSA_WDT_WRR,
	   __atomic_add_fetch(&w->refreshes, 1, __ATOMIC_RELAXED));
}

/* Armed even if it was off: a reset that does not happen ends in the
 * board's. A refresh racing with this (a tick past its check of stopped)
 * uses the new WOR or is followed by its write: the reset comes
 * GWDT_LAST_MS after the last write either way. */
void gwdt_expire(struct gwdt *w)
{
	__atomic_store_n(&w->stopped, true, __ATOMIC_RELEASE);
	set_wor(w, wor_of(w, GWDT_LAST_MS));
	wr(w, SBSA_WDT_CONTROL, SBSA_WDT_WCS, SBSA_WDT_WCS_EN);
	w->timeout_ms = GWDT_LAST_MS;
}

void gwdt_stop(struct gwdt *w)
{
	__atomic_store_n(&w->stopped, true, __ATOMIC_RELEASE);
}
