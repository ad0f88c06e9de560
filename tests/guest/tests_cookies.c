// SPDX-License-Identifier: Apache-2.0
/*
 * Backdoor channel cookies must be unpredictable from inside the guest:
 * one process must not guess the cookies of another's channel. The test
 * plays the attacker: it opens channels itself and tries to predict the
 * next cookie from the earlier ones and the counter, the inputs of the
 * old generator (a splitmix64 state stepped by a constant ^ CNTPCT, whose
 * output step is invertible). With keyed cookies the prediction fails.
 */
#include "bdoor.h"
#include "psci.h"
#include "splitmix.h"

#define GOLDEN		0x9e3779b97f4a7c15ull
#define SEARCH		4096	/* counter values tried around the call */

/* Opens and closes one channel: its 64-bit cookie, and the counter just
 * before the call. */
static bool cookie_of(uint64_t *ret_cookie, uint64_t *ret_before)
{
	struct bd_chan c;

	*ret_before = timer_now();
	if (!msg_open(RPCI_PROTOCOL, &c))
		return false;
	msg_close(&c);
	*ret_cookie = (uint64_t)c.cookie_hi << 32 | c.cookie_lo;
	return true;
}

void test_bd_cookie_unpredictable(void)
{
	uint64_t ca, cb, cc, ta, tb, tc, lag;
	unsigned hits = 0;

	if (!hv_require())
		return;
	if (!cookie_of(&ca, &ta) || !cookie_of(&cb, &tb) ||
	    !cookie_of(&cc, &tc)) {
		fail("channel open failed");
		return;
	}
	if (ca == cb || cb == cc || ca == cc)
		fail("cookies repeat: 0x%lx 0x%lx 0x%lx", ca, cb, cc);
	/* What B's step would have mixed in: the counter at B's call, seen
	 * from here with some lag. */
	lag = ((splitmix_state(cb) - splitmix_state(ca)) ^ GOLDEN) - tb;
	for (uint64_t t = tc + lag - SEARCH; t != tc + lag + SEARCH; t++)
		if (splitmix_out(splitmix_state(cb) + (GOLDEN ^ t)) == cc)
			hits++;
	if (hits)
		fail("cookie 0x%lx predicted from the two before it and the "
		     "counter", cc);
}

/*
 * The RPCI relay to the host is rate-limited: of a burst of relayed
 * requests on one channel, at most RPC_EVENTS_PER_S (100) a second are
 * accepted ("1 "); the rest are answered with an error the guest sees.
 */
#define RELAY_BURST	250
#define RELAY_PER_S	100

static bool prefixed(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

void test_bd_relay_rate_limit(void)
{
	static const char req[] = "verge.flood";
	static const char refused[] = "0 Too many requests";
	unsigned ok = 0, limited = 0;
	struct smccc_res t0, t1, hz;
	struct bd_chan c;
	char buf[80];
	uint64_t ms, windows;

	if (!hv_require() || !hv_call(VERGE_HC_TICKS, &hz) || !hz.a3)
		return;
	if (!msg_open(RPCI_PROTOCOL, &c)) {
		fail("open failed");
		return;
	}
	hv_call(VERGE_HC_CLOCK, &t0);	/* host time: the limit's */
	for (unsigned i = 0; i < RELAY_BURST; i++) {
		long n = -1;

		if (msg_send(&c, req, sizeof(req) - 1, false))
			n = msg_recv(&c, buf, sizeof(buf) - 1, false);
		if (n < 2) {
			fail("request %u: no reply", i);
			break;
		}
		buf[n] = 0;
		if (buf[0] == '1')
			ok++;
		else if (prefixed(buf, refused))
			limited++;
		else
			fail("request %u: reply '%s'", i, buf);
	}
	hv_call(VERGE_HC_CLOCK, &t1);
	ms = (t1.a1 - t0.a1) * 1000 / hz.a3;
	/* The limit counts per second of the host counter, as tick_now_ms()
	 * reads it: the burst met exactly the seconds between t0 and t1. */
	windows = t1.a1 / (hz.a3 / 1000) / 1000 -
		  t0.a1 / (hz.a3 / 1000) / 1000 + 1;
	msg_close(&c);
	info("%u accepted, %u refused in %lu ms of host time (%lu seconds met)",
	     ok, limited, ms, windows);
	if (ok > RELAY_PER_S * windows)
		fail("%u relayed in %lu ms over %lu one-second windows, limit %u a second",
		     ok, ms, windows, RELAY_PER_S);
	if (RELAY_PER_S * windows < RELAY_BURST && !limited)
		fail("a burst of %u in %lu ms was not limited", RELAY_BURST, ms);
}
