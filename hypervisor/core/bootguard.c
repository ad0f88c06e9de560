// SPDX-License-Identifier: Apache-2.0
/* The boot guard's stage machine and API (core/bootguard.h). */
#include <core/bootguard.h>

void bg_init(struct bootguard *b, uint64_t freq)
{
	b->stage = BG_POWER_ON;
	b->freq = freq;
	sbsa_wdt_reset(&b->wdt);
	b->ws0_reported = false;
	b->ws0_reported_at = 0;
	b->ws0_unreported = 0;
}

static uint32_t ticks_to_ms(const struct bootguard *b, uint64_t ticks)
{
	uint64_t ms = (uint64_t)((unsigned __int128)ticks * 1000 / b->freq);

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* Through the registers, as a driver would: WOR (a refresh), then WCS. */
static void program(struct bootguard *b, uint64_t timeout_s, bool enable,
		    uint64_t now)
{
	uint64_t wor = timeout_s * b->freq / 2;

	sbsa_wdt_write(&b->wdt, SBSA_WDT_CONTROL, SBSA_WDT_WOR, 8, wor, now);
	sbsa_wdt_write(&b->wdt, SBSA_WDT_CONTROL, SBSA_WDT_WCS, 4,
		       enable ? SBSA_WDT_WCS_EN : 0, now);
}

int bg_os_loading(struct bootguard *b, unsigned timeout_s, uint64_t now)
{
	if (b->stage != BG_POWER_ON)
		return -EPERM;
	if (timeout_s > BG_TIMEOUT_MAX_S)
		return -EINVAL;
	if (timeout_s)
		program(b, timeout_s, true, now);
	b->stage = BG_OS_LOADING;
	return 0;
}

void bg_status(const struct bootguard *b, uint64_t now, struct bg_status *ret)
{
	uint64_t dl = sbsa_wdt_deadline(&b->wdt);
	uint64_t left = 0;

	ret->stage = b->stage;
	ret->enabled = b->wdt.wcs & SBSA_WDT_WCS_EN;
	ret->timeout_ms = ticks_to_ms(b, 2 * b->wdt.wor);
	if (dl != UINT64_MAX) {
		left = dl > now ? dl - now : 0;
		/* Before WS0 the reset is one more WOR away (a WCV the guest
		 * wrote near 2^64 must not wrap it round to "now"). */
		if (!sbsa_wdt_ws0(&b->wdt))
			left = left > UINT64_MAX - b->wdt.wor ? UINT64_MAX :
							      left + b->wdt.wor;
	}
	ret->left_ms = ticks_to_ms(b, left);
}

int bg_call(struct bootguard *b, enum bg_call call, uint64_t arg,
	    uint64_t now, struct bg_status *ret_status)
{
	bool on = b->wdt.wcs & SBSA_WDT_WCS_EN;

	if (b->stage == BG_HANDED_OFF)
		return -EPERM;
	switch (call) {
	case BG_CALL_QUERY:
		break;
	case BG_CALL_ENABLE:
		if (arg > 1)
			return -EINVAL;
		sbsa_wdt_write(&b->wdt, SBSA_WDT_CONTROL, SBSA_WDT_WCS, 4,
			       arg ? SBSA_WDT_WCS_EN : 0, now);
		break;
	case BG_CALL_REFRESH:
		sbsa_wdt_refresh(&b->wdt, now);
		break;
	case BG_CALL_SET_TIMEOUT:
		if (arg < 1 || arg > BG_TIMEOUT_MAX_S)
			return -EINVAL;
		program(b, arg, on, now);
		break;
	case BG_CALL_HANDOFF:
		sbsa_wdt_refresh(&b->wdt, now);
		b->stage = BG_HANDED_OFF;
		break;
	default:
		return -EINVAL;
	}
	bg_status(b, now, ret_status);
	return 0;
}

bool bg_ws0_report(struct bootguard *b, uint64_t now,
		   uint32_t *ret_unreported)
{
	if (b->ws0_reported && now - b->ws0_reported_at < b->freq) {
		if (b->ws0_unreported < UINT32_MAX)
			b->ws0_unreported++;
		return false;
	}
	*ret_unreported = b->ws0_unreported;
	b->ws0_reported = true;
	b->ws0_reported_at = now;
	b->ws0_unreported = 0;
	return true;
}

const char *bg_stage_name(enum bg_stage s)
{
	switch (s) {
	case BG_POWER_ON: return "power-on";
	case BG_OS_LOADING: return "os-loading";
	case BG_HANDED_OFF: return "handed-off";
	}
	return "?";
}
