// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's doorbell (SPI 15, INTID 47; docs/guest-agent.md) against a
 * hostile kernel, in the hostile suite (tests/hv/test_hostile.py).
 *
 * The doorbell has no register: the only things a guest can do with it
 * are the distributor's fields of its SPI, which are the guest's own.
 * 20,000 random changes to them (edge or level, priority, routing to
 * CPUs that do not exist, enable, pending, active), with the guest's
 * interrupts masked so that injections pile up, must leave verge-hv
 * working; then, programmed as Linux would, the doorbell must still ring
 * when the host queues a TCLO command (the harness pushes one when it
 * reads DOORBELL READY), and the command must be there to fetch over the
 * backdoor, answered as an agent would.
 */
#include "bdoor.h"
#include "gic.h"
#include "guest.h"
#include "psci.h"

#define DOORBELL_INTID	47
#define ISENABLER	0x0100
#define ICENABLER	0x0180
#define ISPENDR		0x0200
#define ICPENDR		0x0280
#define ISACTIVER	0x0300
#define ICACTIVER	0x0380
#define IPRIORITYR	0x0400
#define ICFGR		0x0c00
#define IROUTER		0x6000
#define ROUNDS		20000
#define COMMAND		"verge.ping 4711"
#define ANSWER		"OK 4711 doorbell"

static volatile uint32_t rings;
static uint64_t rng;

void doorbell_irq(void)
{
	rings++;
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uintptr_t reg(uintptr_t base, unsigned bits)
{
	return GICD_BASE + base + DOORBELL_INTID * bits / 32 * 4;
}

/* Changes only the doorbell's field of a shared register. */
static void set_field(uintptr_t base, unsigned bits, uint32_t v)
{
	uintptr_t a = reg(base, bits);
	unsigned sh = DOORBELL_INTID * bits % 32;
	uint32_t m = ((1u << bits) - 1) << sh;

	mmio_write32(a, (mmio_read32(a) & ~m) | (v << sh & m));
}

static void one_bit(uintptr_t set, uintptr_t clear)
{
	mmio_write32(reg(rnd() & 1 ? set : clear, 1),
		     1u << (DOORBELL_INTID % 32));
}

static void hostile_round(void)
{
	uintptr_t route = GICD_BASE + IROUTER + 8 * DOORBELL_INTID;

	switch (rnd() % 6) {
	case 0: set_field(ICFGR, 2, (uint32_t)rnd()); break;
	case 1: set_field(IPRIORITYR, 8, (uint32_t)rnd()); break;
	case 2: mmio_write32(route + 4 * (rnd() & 1), (uint32_t)rnd()); break;
	case 3: one_bit(ISENABLER, ICENABLER); break;
	case 4: one_bit(ISPENDR, ICPENDR); break;
	default: one_bit(ISACTIVER, ICACTIVER); break;
	}
}

/* As Linux's gpio-keys would have it: edge, a priority, CPU 0, on. */
static void program(void)
{
	uint32_t bit = 1u << (DOORBELL_INTID % 32);

	mmio_write32(reg(ICENABLER, 1), bit);
	mmio_write32(reg(ICPENDR, 1), bit);
	mmio_write32(reg(ICACTIVER, 1), bit);
	set_field(ICFGR, 2, 2);		/* edge */
	set_field(IPRIORITYR, 8, 0xa0);
	mmio_write32(GICD_BASE + IROUTER + 8 * DOORBELL_INTID, 0);
	mmio_write32(GICD_BASE + IROUTER + 8 * DOORBELL_INTID + 4, 0);
	mmio_write32(reg(ISENABLER, 1), bit);
}

/* What an agent does when woken: poll TCLO, answer, poll again. */
static void fetch(void)
{
	char cmd[64] = "";
	struct bd_chan c;
	long n;

	if (!msg_open(TCLO_PROTOCOL, &c)) {
		fail("TCLO open refused");
		return;
	}
	if (!msg_send(&c, "", 0, false) ||
	    (n = msg_recv(&c, cmd, sizeof(cmd) - 1, false)) < 0) {
		fail("TCLO poll failed");
	} else {
		cmd[n] = '\0';
		expect_eq("command length", (uint64_t)n, sizeof(COMMAND) - 1);
		if (n == sizeof(COMMAND) - 1 &&
		    __builtin_memcmp(cmd, COMMAND, (size_t)n))
			fail("command \"%s\", not \"" COMMAND "\"", cmd);
		if (!msg_send(&c, ANSWER, sizeof(ANSWER) - 1, false))
			fail("the answer was refused");
		else if (msg_recv(&c, cmd, sizeof(cmd) - 1, false) != 0)
			fail("a second command queued");
	}
	msg_close(&c);
}

void test_hostile_doorbell(void)
{
	uint32_t unexpected = irq_unexpected(), seen;
	uint64_t deadline;

	if (!hv_require() || gic_status)
		return;
	rng = timer_now() | 1;
	info("seed 0x%lx", rng);
	irq_disable();
	for (unsigned i = 0; i < ROUNDS; i++)
		hostile_round();
	program();
	irq_enable();
	delay_ms(50);		/* whatever the storm left in the LRs */
	seen = rings;
	info("%u doorbell interrupts during %u random changes", seen, ROUNDS);
	rings = 0;
	printf("DOORBELL READY\n");
	deadline = timer_now() + 120 * timer_freq();
	while (!rings && timer_now() < deadline)
		delay_ms(1);
	irq_disable();
	if (!rings) {
		fail("no doorbell within 120 s of DOORBELL READY");
		mmio_write32(reg(ICENABLER, 1), 1u << (DOORBELL_INTID % 32));
		return;
	}
	expect_eq("doorbell interrupts for one command", rings, 1);
	fetch();
	mmio_write32(reg(ICENABLER, 1), 1u << (DOORBELL_INTID % 32));
	if (irq_unexpected() != unexpected)
		fail("%u interrupts with an unexpected INTID",
		     irq_unexpected() - unexpected);
}
