// SPDX-License-Identifier: Apache-2.0
/*
 * The hypervisor's own devices seen from the guest, run with
 * "guest.tests=board" on the machine DT of tests/hv/test_board.py:
 * QEMU's virt DT plus an arm,sbsa-gwdt node whose two frames sit in
 * reserved RAM (QEMU's virt machine has no SBSA watchdog of its own).
 *
 * - mgmt_cpu0_off: CPU 0 switches itself off (PSCI CPU_OFF); CPU 1 waits
 *   for guestinfo.cpu0off, which the host sets over the management
 *   channel once its PING was answered: both requests must be served
 *   while CPU 0 is off. Then CPU 1 turns CPU 0 on again.
 * - board_wdt_hidden: the board's watchdog belongs to verge-hv: not in
 *   the guest's DT (the emulated one is), and every access to its frames
 *   is an external abort, as for any address stage-2 leaves unmapped.
 * - board_wdt_loader: with verge.wdt_loader=1 the guest is its boot
 *   loader: SET_TIMEOUT 10 then HANDOFF; verge-hv re-arms the board's
 *   watchdog with 10 s + 2 s (the host reads WOR at the end).
 */
#include "bdoor.h"
#include "gic.h"
#include "psci.h"

/* tests/hv/test_board.py's DTB */
#define BOARD_WDT_CTRL		0x7c000000ul
#define BOARD_WDT_REFRESH	0x7c010000ul
#define KEY_WAIT_S		30
#define FSC(esr)		((esr) & 0x3f)

static volatile struct {
	uint32_t off;		/* CPU 0 off (AFFINITY_INFO) */
	uint32_t seen;		/* guestinfo.cpu0off while CPU 0 was off */
	uint32_t still_off;
	uint32_t tries;
	int64_t cpu_on;
	uint32_t done;
} m0;
static struct cpu_ctx cpu0_ctx;

/* Whether the host has set guestinfo.cpu0off to "pinged". */
static bool host_key(void)
{
	static const char req[] = "info-get guestinfo.cpu0off";
	static const char want[] = "1 pinged";
	struct bd_chan c;
	char buf[32];
	long n = -1;

	if (!msg_open(RPCI_PROTOCOL, &c))
		return false;
	if (msg_send(&c, req, sizeof(req) - 1, false))
		n = msg_recv(&c, buf, sizeof(buf) - 1, false);
	msg_close(&c);
	if (n != (long)sizeof(want) - 1)
		return false;
	for (long i = 0; i < n; i++)
		if (buf[i] != want[i])
			return false;
	return true;
}

static void cpu1_while_cpu0_off(void)
{
	uint64_t end = timer_now() + 5 * timer_freq();

	while (psci_call(PSCI_AFFINITY_INFO, 0, 0, 0) != 1 &&
	       timer_now() < end)
		delay_ms(1);
	m0.off = psci_call(PSCI_AFFINITY_INFO, 0, 0, 0) == 1;
	end = timer_now() + KEY_WAIT_S * timer_freq();
	while (m0.off && !m0.seen && timer_now() < end) {
		m0.tries++;
		if (host_key())
			m0.seen = 1;
		else
			delay_ms(20);
	}
	m0.still_off = psci_call(PSCI_AFFINITY_INFO, 0, 0, 0) == 1;
	dsb();
	m0.cpu_on = psci_call(PSCI_CPU_ON, 0, (uintptr_t)cpu_resume_entry,
			      (uintptr_t)&cpu0_ctx);
	m0.done = 1;
	dsb();
}

void test_mgmt_cpu0_off(void)
{
	uint64_t end;
	int64_t r;

	if (!hv_require())
		return;
	if (psci_call(PSCI_AFFINITY_INFO, CPU1_MPIDR, 0, 0) != 0 ||
	    !smp.started) {
		fail("CPU 1 is not running (the cpu_on test starts it)");
		return;
	}
	m0.off = m0.seen = m0.still_off = m0.tries = m0.done = 0;
	m0.cpu_on = -1;
	dsb();
	smp_post(cpu1_while_cpu0_off);
	r = cpu_off_resume(&cpu0_ctx);
	if (r) {
		fail("CPU_OFF of CPU 0: %ld", r);
		while (!m0.done)
			delay_ms(1);
	} else {	/* back from reset: vectors and GIC again */
		vectors_install();
		if (gic_init_cpu())
			fail("GIC CPU interface after CPU_ON");
	}
	/* CPU 1 records CPU_ON's result after CPU 0 is back */
	end = timer_now() + 5 * timer_freq();
	while (!m0.done && timer_now() < end)
		delay_ms(1);
	info("%u info-get calls by CPU 1", m0.tries);
	expect_eq("CPU 0 off (AFFINITY_INFO)", m0.off, 1);
	expect_eq("guestinfo.cpu0off set by the host while CPU 0 was off",
		  m0.seen, 1);
	expect_eq("CPU 0 still off then", m0.still_off, 1);
	expect_eq("CPU_ON(CPU 0)", (uint64_t)m0.cpu_on, 0);
}

/* A 32-bit read or write of a; true when it was an external abort at
 * EL1 with FAR = a. */
static bool aborts(uintptr_t a, bool write)
{
	struct fault f;
	uint32_t v = 0;

	probe_arm();
	if (write)
		mmio_write32(a, 1);
	else
		v = mmio_read32(a);
	if (!probe_result(&f)) {
		fail("%s of the board's watchdog at 0x%lx did not fault (read 0x%x)",
		     write ? "write" : "read", a, v);
		return false;
	}
	if (ESR_EC(f.esr) != EC_DABT_CUR || FSC(f.esr) != FSC_SEA ||
	    f.far != a || !!(f.esr & ESR_WNR) != write) {
		fail("%s at 0x%lx: ESR 0x%lx FAR 0x%lx, expected an external abort there",
		     write ? "write" : "read", a, f.esr, f.far);
		return false;
	}
	return true;
}

void test_board_wdt_hidden(void)
{
	static const uintptr_t at[] = {
		BOARD_WDT_CTRL, BOARD_WDT_CTRL + 0x8, BOARD_WDT_CTRL + 0xfcc,
		BOARD_WDT_REFRESH, BOARD_WDT_REFRESH + 0xfcc,
	};

	if (!hv_require())
		return;
	if (dt_has("watchdog@7c000000"))
		fail("the board's watchdog node is in the guest's DT");
	if (!dt_has("watchdog@b000000"))
		fail("the emulated watchdog's node is not in the guest's DT");
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		aborts(at[i], false);
		aborts(at[i], true);
	}
}

/* The loader's calls (the API is open only with verge.wdt_loader=1). */
void test_board_wdt_loader(void)
{
	struct smccc_res r;

	if (!hv_require())
		return;
	smccc_hvc(VERGE_HC_WDT_QUERY, 0, 0, 0, &r);
	if ((r.a1 & 0xff) != 2) {	/* not os-loading: sealed */
		info("API sealed (stage %lu): nothing to do", r.a1 & 0xff);
		return;
	}
	smccc_hvc(VERGE_HC_WDT_TIMEOUT, 10, 0, 0, &r);
	expect_eq("SET_TIMEOUT 10", r.a0, 0);
	expect_eq("SET_TIMEOUT 10: timeout_ms", r.a2, 10000);
	smccc_hvc(VERGE_HC_WDT_HANDOFF, 0, 0, 0, &r);
	expect_eq("HANDOFF", r.a0, 0);
	expect_eq("HANDOFF: stage", r.a1 & 0xff, 3);
}
