// SPDX-License-Identifier: Apache-2.0
/* The SBSA Generic Watchdog's register file (core/sbsa_wdt.h). */
#include <core/sbsa_wdt.h>

void sbsa_wdt_reset(struct sbsa_wdt *w)
{
	memset(w, 0, sizeof(*w));
}

void sbsa_wdt_refresh(struct sbsa_wdt *w, uint64_t now)
{
	w->wcv = now + w->wor;
	w->wcs &= ~(SBSA_WDT_WCS_WS0 | SBSA_WDT_WCS_WS1);
}

/* Which accesses reach a register at all (the rest abort). */
static bool access_ok(enum sbsa_wdt_frame f, uint64_t off, unsigned size)
{
	if ((size != 4 && size != 8) || off >= SBSA_WDT_FRAME_SIZE ||
	    !IS_ALIGNED(off, size))
		return false;
	if (size == 8)
		return f == SBSA_WDT_CONTROL &&
		       (off == SBSA_WDT_WOR || off == SBSA_WDT_WCV);
	return f == SBSA_WDT_REFRESH || f == SBSA_WDT_CONTROL;
}

static uint64_t control_read(const struct sbsa_wdt *w, uint64_t off,
			     unsigned size)
{
	switch (off) {
	case SBSA_WDT_WCS:
		return w->wcs;
	case SBSA_WDT_WOR:
		return size == 8 ? w->wor : (uint32_t)w->wor;
	case SBSA_WDT_WORU:
		return w->wor >> 32;
	case SBSA_WDT_WCV:
		return size == 8 ? w->wcv : (uint32_t)w->wcv;
	case SBSA_WDT_WCVU:
		return w->wcv >> 32;
	case SBSA_WDT_W_IIDR:
		return SBSA_WDT_IIDR;
	default:
		return 0;	/* reserved: RAZ */
	}
}

int sbsa_wdt_read(const struct sbsa_wdt *w, enum sbsa_wdt_frame f,
		  uint64_t off, unsigned size, uint64_t *ret_val)
{
	if (!access_ok(f, off, size))
		return -EINVAL;
	if (f == SBSA_WDT_CONTROL)
		*ret_val = control_read(w, off, size);
	else	/* WRR reads as zero */
		*ret_val = off == SBSA_WDT_W_IIDR ? SBSA_WDT_IIDR : 0;
	return 0;
}

static void set_low(uint64_t *reg, uint64_t v)
{
	*reg = (*reg & ~0xffffffffULL) | (uint32_t)v;
}

static void set_high(uint64_t *reg, uint64_t v)
{
	*reg = (*reg & 0xffffffffULL) | (uint64_t)(uint32_t)v << 32;
}

static void control_write(struct sbsa_wdt *w, uint64_t off, unsigned size,
			  uint64_t v, uint64_t now)
{
	switch (off) {
	case SBSA_WDT_WCS:
		w->wcs = (w->wcs & ~SBSA_WDT_WCS_EN) | (v & SBSA_WDT_WCS_EN);
		sbsa_wdt_refresh(w, now);
		break;
	case SBSA_WDT_WOR:
		if (size == 8)
			w->wor = v;
		else
			set_low(&w->wor, v);
		w->wor &= SBSA_WDT_WOR_MASK;
		sbsa_wdt_refresh(w, now);
		break;
	case SBSA_WDT_WORU:
		set_high(&w->wor, v);
		w->wor &= SBSA_WDT_WOR_MASK;
		sbsa_wdt_refresh(w, now);
		break;
	case SBSA_WDT_WCV:	/* a new compare value, not a refresh */
		if (size == 8)
			w->wcv = v;
		else
			set_low(&w->wcv, v);
		break;
	case SBSA_WDT_WCVU:
		set_high(&w->wcv, v);
		break;
	default:		/* W_IIDR is read-only; reserved: WI */
		break;
	}
}

int sbsa_wdt_write(struct sbsa_wdt *w, enum sbsa_wdt_frame f, uint64_t off,
		   unsigned size, uint64_t val, uint64_t now)
{
	if (!access_ok(f, off, size))
		return -EINVAL;
	if (f == SBSA_WDT_CONTROL)
		control_write(w, off, size, val, now);
	else if (off == SBSA_WDT_WRR)
		sbsa_wdt_refresh(w, now);
	return 0;
}

uint64_t sbsa_wdt_deadline(const struct sbsa_wdt *w)
{
	if (!(w->wcs & SBSA_WDT_WCS_EN) || (w->wcs & SBSA_WDT_WCS_WS1))
		return UINT64_MAX;
	return w->wcv;
}

enum sbsa_wdt_action sbsa_wdt_advance(struct sbsa_wdt *w, uint64_t now)
{
	if (now <= sbsa_wdt_deadline(w))
		return SBSA_WDT_ACT_NONE;
	if (!(w->wcs & SBSA_WDT_WCS_WS0)) {
		w->wcs |= SBSA_WDT_WCS_WS0;
		w->wcv = now + w->wor;	/* the timeout refresh */
		return SBSA_WDT_ACT_WS0;
	}
	w->wcs |= SBSA_WDT_WCS_WS1;
	return SBSA_WDT_ACT_WS1;
}
