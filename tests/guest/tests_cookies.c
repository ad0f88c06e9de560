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

#define GOLDEN		0x9e3779b97f4a7c15ull
#define SEARCH		4096	/* counter values tried around the call */

static uint64_t unshift(uint64_t y, unsigned s)
{
	uint64_t x = y;

	for (int i = 0; i < 64; i++)
		x = y ^ (x >> s);
	return x;
}

static uint64_t inverse(uint64_t m)
{
	uint64_t x = m;

	for (int i = 0; i < 6; i++)
		x *= 2 - m * x;
	return x;
}

static uint64_t splitmix_out(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t splitmix_state(uint64_t out)
{
	uint64_t z = unshift(out, 31) * inverse(0x94d049bb133111ebull);

	z = unshift(z, 27) * inverse(0xbf58476d1ce4e5b9ull);
	return unshift(z, 30);
}

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
