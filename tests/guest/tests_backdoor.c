// SPDX-License-Identifier: Apache-2.0
/*
 * The backdoor under verge-hv (docs/backdoor.md): basic commands through
 * both trapping instructions, from EL1 and EL0; message channels with
 * low- and high-bandwidth transfers; refusals; TDCC emulation. Values
 * only the host knows (UUID, host time) are printed as INFO lines that
 * tests/hv/test_backdoor.py checks. The *_cost tests are measurements.
 */
#include "bdoor.h"
#include "psci.h"

#define MDSCR_TDCC	(1ull << 12)
#define EC_SYSREG	0x18
#define EC_SVC64	0x15
#define UNMAPPED_IPA	0x80000000ull	/* just past 1 GiB of RAM */
#define UART_BASE	0x09000000ull
#define COST_ROUNDS	30	/* interleaved; the fastest round counts */
#define COST_CALLS	100	/* per round and kind */
#define TPUT_BYTES	4000
#define TPUT_ROUNDS	8	/* interleaved; the fastest round counts */
#define TPUT_MSGS	4	/* messages per round and kind */

static const enum bd_via vias[] = { VIA_HVC, VIA_MDCCSR };
static const char *const via_names[] = { "hvc #0x86", "mrs mdccsr_el0" };

static bool check_version(const char *how, const struct bd_regs *b)
{
	bool ok = true;

	if ((uint32_t)b->r[BX] != BDOOR_MAGIC) {
		fail("%s: ebx 0x%lx, expected the magic", how, b->r[BX]);
		ok = false;
	}
	if (b->r[AX] != 6 || b->r[CX] != 2) {
		fail("%s: eax %lu ecx %lu, expected version 6, type 2", how,
		     b->r[AX], b->r[CX]);
		ok = false;
	}
	return ok;
}

void test_bd_getversion(void)
{
	if (!hv_require())
		return;
	for (unsigned i = 0; i < 2; i++) {
		struct bd_regs b = { { 0, ~0ull, 0, 0, 7, 8, 9 } };

		if (!bd_cmd(&b, BDOOR_CMD_GETVERSION, vias[i])) {
			fail("%s raised an exception", via_names[i]);
			continue;
		}
		check_version(via_names[i], &b);
		if (b.r[SI] != 7 || b.r[DI] != 8 || b.r[BP] != 9)
			fail("%s: esi/edi/ebp changed", via_names[i]);
	}
}

void test_bd_errors(void)
{
	struct bd_regs b = { { 0, 0x1234 } };

	if (!hv_require())
		return;
	/* An unknown command: eax all ones, ebx untouched. */
	if (bd_cmd(&b, 0xfff0, VIA_MDCCSR)) {
		expect_eq("unknown command eax", b.r[AX], 0xffffffff);
		expect_eq("unknown command ebx", b.r[BX], 0x1234);
	}
	/* No magic in eax: an unclaimed port, IN reads all ones. */
	b = (struct bd_regs){ { 0x11223344, 0, BDOOR_CMD_GETVERSION,
				BDOOR_PORT } };
	if (bd_raw(&b, BD_X7(BD_X7_LB_IN), VIA_HVC))
		expect_eq("IN without magic", b.r[AX], 0xffffffff);
	/* A byte IN from another port: only al changes. */
	b = (struct bd_regs){ { BDOOR_MAGIC, 0, BDOOR_CMD_GETVERSION, 0x60 } };
	if (bd_raw(&b, BD_X7(BD_X7_DX | BD_X7_IN), VIA_MDCCSR))
		expect_eq("inb from port 0x60", b.r[AX], BDOOR_MAGIC | 0xff);
	/* x7 without 0x86: an ordinary DCC status read, nothing else. */
	b = (struct bd_regs){ { BDOOR_MAGIC, 5, BDOOR_CMD_GETVERSION,
				BDOOR_PORT } };
	if (!bd_raw(&b, 0x85ull << 32 | 0xe, VIA_MDCCSR))
		fail("mrs mdccsr_el0 without the backdoor x7 faulted");
	else
		expect_eq("ebx after a plain mdccsr read", b.r[BX], 5);
	/* ... and hvc #0x86 without it is undefined. */
	if (bd_raw(&b, 0, VIA_HVC))
		fail("hvc #0x86 without the backdoor x7 did not fault");
}

/* GETUUID and GETMHZ: printed for the host to compare. */
void test_bd_uuid(void)
{
	struct bd_regs b = { { 0 } };

	if (!hv_require())
		return;
	if (!bd_cmd(&b, BDOOR_CMD_GETUUID, VIA_HVC)) {
		fail("GETUUID raised an exception");
		return;
	}
	/* The print helpers have no field widths: one byte at a time. */
	printf("INFO bd_uuid: uuid ");
	for (int i = 0; i < 16; i++) {
		unsigned v = (b.r[AX + i / 4] >> (8 * (i % 4))) & 0xff;

		printf("%x%x", v >> 4, v & 0xf);
	}
	printf("\n");
	b = (struct bd_regs){ { 0 } };
	if (bd_cmd(&b, BDOOR_CMD_GETMHZ, VIA_HVC))
		info("mhz %lu", b.r[AX]);
}

/* Host time once the host anchored it (waiting up to 1 s: test_backdoor.py
 * anchors it right after QEMU starts), else the error. */
void test_bd_time(void)
{
	uint64_t end = timer_now() + ms_to_ticks(1000);
	struct bd_regs b;

	if (!hv_require())
		return;
	do {
		b = (struct bd_regs){ { 0 } };
		if (!bd_cmd(&b, BDOOR_CMD_GETTIMEFULL_WITH_LAG, VIA_HVC)) {
			fail("GETTIMEFULL_WITH_LAG raised an exception");
			return;
		}
		if ((uint32_t)b.r[AX] == BDOOR_MAGIC)
			break;
		expect_eq("GETTIMEFULL error eax", b.r[AX], 0xffffffff);
		delay_ms(50);
	} while (timer_now() < end);
	if ((uint32_t)b.r[AX] != BDOOR_MAGIC) {
		info("no host time anchor");
		return;
	}
	info("host time %lu s %lu us, lag %lu us, interrupt lag %lu us",
	     b.r[SI] << 32 | b.r[DX], b.r[BX], b.r[CX], b.r[DI]);
}

void test_bd_mdscr_shadow(void)
{
	uint64_t old = read_sysreg(mdscr_el1);

	write_sysreg(mdscr_el1, old | MDSCR_TDCC);
	isb();
	expect_eq("MDSCR_EL1.TDCC after setting it",
		  read_sysreg(mdscr_el1) & MDSCR_TDCC, MDSCR_TDCC);
	write_sysreg(mdscr_el1, old & ~MDSCR_TDCC);
	isb();
	expect_eq("MDSCR_EL1.TDCC after clearing it",
		  read_sysreg(mdscr_el1) & MDSCR_TDCC, 0);
}

/* The other trapped debug registers reach the hardware; numbers past
 * ID_AA64DFR0_EL1's counts are UNDEFINED, as without a hypervisor.
 * (QEMU 7.2 has no DBGCLAIM*: those are UNDEFINED at EL1, untrapped.) */
void test_bd_debug_regs(void)
{
	uint64_t brps = ((read_sysreg(id_aa64dfr0_el1) >> 12) & 0xf) + 1;
	struct fault f;

	write_sysreg(dbgbvr0_el1, 0x44001000);
	write_sysreg(dbgwvr1_el1, 0x44002000);
	isb();
	expect_eq("DBGBVR0_EL1", read_sysreg(dbgbvr0_el1), 0x44001000);
	expect_eq("DBGWVR1_EL1", read_sysreg(dbgwvr1_el1), 0x44002000);
	write_sysreg(dbgbvr0_el1, 0);
	write_sysreg(dbgwvr1_el1, 0);
	if (brps < 16) {
		probe_arm();
		(void)read_sysreg(dbgbvr15_el1);
		if (!probe_result(&f))
			fail("DBGBVR15_EL1 with %lu breakpoints did not fault", brps);
		else
			expect_eq("DBGBVR15_EL1 ESR.EC", ESR_EC(f.esr), EC_UNKNOWN);
	}
}

static void el0_call(struct el0_ctx *c, char *pc, uint64_t x0, uint64_t x7)
{
	*c = (struct el0_ctx){ { x0, 0, BDOOR_CMD_GETVERSION, BDOOR_PORT, 0, 0,
				 0, x7 }, (uintptr_t)pc, 0, 0 };
	el0_run(c);
}

/* From EL0: the backdoor works whatever TDCC says; a plain DCC read
 * traps to EL1 (EC 0x18) when TDCC is set and reads the DCC when not. */
void test_bd_el0(void)
{
	uint64_t old = read_sysreg(mdscr_el1);
	struct el0_ctx c;

	if (!hv_require())
		return;
	for (int tdcc = 0; tdcc < 2; tdcc++) {
		write_sysreg(mdscr_el1, tdcc ? old | MDSCR_TDCC
					     : old & ~MDSCR_TDCC);
		isb();
		el0_call(&c, el0_mdccsr_xzr, BDOOR_MAGIC, BD_X7(BD_X7_LB_IN));
		if (ESR_EC(c.esr) != EC_SVC64)
			fail("EL0 backdoor, TDCC=%d: ESR 0x%lx", tdcc, c.esr);
		else if ((uint32_t)c.x[1] != BDOOR_MAGIC || c.x[0] != 6)
			fail("EL0 backdoor, TDCC=%d: eax %lu ebx 0x%lx", tdcc,
			     c.x[0], c.x[1]);
		el0_call(&c, el0_mdccsr_x0, 0x55, 0);
		if (tdcc && ESR_EC(c.esr) != EC_SYSREG)
			fail("EL0 DCC read with TDCC: ESR 0x%lx, expected EC 0x18",
			     c.esr);
		else if (tdcc && c.elr != (uintptr_t)el0_mdccsr_x0)
			fail("EL0 DCC trap: ELR 0x%lx, expected the mrs", c.elr);
		else if (!tdcc && ESR_EC(c.esr) != EC_SVC64)
			fail("EL0 DCC read without TDCC: ESR 0x%lx", c.esr);
	}
	write_sysreg(mdscr_el1, old);
	isb();
}

static bool round_trip(bool hb, const char *req, const char *want)
{
	struct bd_chan c;
	char buf[128];
	long n;
	size_t len = 0, wl = 0;
	bool ok;

	while (req[len])
		len++;
	while (want[wl])
		wl++;
	if (!msg_open(RPCI_PROTOCOL, &c)) {
		fail("%s: open failed", hb ? "HB" : "LB");
		return false;
	}
	ok = msg_send(&c, req, (uint32_t)len, hb);
	n = ok ? msg_recv(&c, buf, sizeof(buf) - 1, hb) : -1;
	msg_close(&c);
	if (n < 0) {
		fail("%s: '%s' failed", hb ? "HB" : "LB", req);
		return false;
	}
	buf[n] = 0;
	for (size_t i = 0; i <= wl; i++)
		if (i == wl ? (size_t)n != wl : buf[i] != want[i]) {
			fail("%s: '%s' -> '%s', expected '%s'", hb ? "HB" : "LB",
			     req, buf, want);
			return false;
		}
	return true;
}

void test_bd_rpci(void)
{
	if (!hv_require())
		return;
	for (int hb = 0; hb < 2; hb++) {
		round_trip(hb, hb ? "info-set guestinfo.bd.hb high"
				  : "info-set guestinfo.bd.lb low", "1 ");
		round_trip(hb, hb ? "info-get guestinfo.bd.hb"
				  : "info-get guestinfo.bd.lb",
			   hb ? "1 high" : "1 low");
		round_trip(hb, "no-such-command", "0 Unknown command");
	}
	round_trip(true, "log verge-guest: hello from the test guest", "1 ");
}

/* What the host set with VP_GUESTINFO_SET, for test_backdoor.py. */
void test_bd_guestinfo_host(void)
{
	static const char req[] = "info-get guestinfo.host.key";
	struct bd_chan c;
	char buf[80];
	long n = -1;

	if (!hv_require())
		return;
	if (msg_open(RPCI_PROTOCOL, &c)) {
		if (msg_send(&c, req, sizeof(req) - 1, true))
			n = msg_recv(&c, buf, sizeof(buf) - 1, true);
		msg_close(&c);
	}
	if (n < 0) {
		fail("info-get failed");
		return;
	}
	buf[n] = 0;
	info("host.key reply '%s'", buf);
}

void test_bd_bad_cookie(void)
{
	struct bd_chan c, bad;

	if (!hv_require())
		return;
	if (!msg_open(RPCI_PROTOCOL, &c)) {
		fail("open failed");
		return;
	}
	bad = c;
	bad.cookie_lo ^= 1;
	if (msg_step(&bad, MSG_SENDSIZE, 4, NULL) & MSG_STATUS_SUCCESS)
		fail("SENDSIZE with a wrong cookie succeeded");
	if (msg_hb(&bad, false, (uintptr_t)&bad, 4) & MSG_STATUS_SUCCESS)
		fail("HB send with a wrong cookie succeeded");
	if (msg_close(&bad))
		fail("CLOSE with a wrong cookie succeeded");
	bad.id = 99;
	bad.cookie_lo = c.cookie_lo;
	if (msg_step(&bad, MSG_RECVSIZE, 0, NULL) & MSG_STATUS_SUCCESS)
		fail("RECVSIZE on channel 99 succeeded");
	if (!msg_send(&c, "info-get guestinfo.x", 20, false))
		fail("the right cookie stopped working");
	msg_close(&c);
}

/* HB buffers that must be refused: nothing mapped, hypervisor memory,
 * a device; then the channel still works. */
void test_bd_hb_refused(void)
{
	static const char msg[] = "info-get guestinfo.bd.lb";
	struct hv_info hi;
	struct bd_chan c;
	uint64_t bad[3];
	char buf[64];

	if (!hv_require() || !hv_get_info(&hi) || !msg_open(RPCI_PROTOCOL, &c))
		return;
	bad[0] = UNMAPPED_IPA;
	bad[1] = hi.base + 0x1000;
	bad[2] = UART_BASE;
	for (int i = 0; i < 3; i++) {
		msg_step(&c, MSG_SENDSIZE, 8, NULL);
		if (msg_hb(&c, false, bad[i], 8) & MSG_STATUS_SUCCESS)
			fail("HB send from 0x%lx accepted", bad[i]);
	}
	/* Starts in RAM, runs into a page that does not translate. */
	msg_step(&c, MSG_SENDSIZE, 64, NULL);
	if (msg_hb(&c, false, UNMAPPED_IPA - 32, 64) & MSG_STATUS_SUCCESS)
		fail("HB send running past the end of RAM accepted");
	if (!msg_send(&c, msg, sizeof(msg) - 1, false)) {
		fail("send after refusals failed");
		return;
	}
	if (msg_step(&c, MSG_RECVSIZE, 0, NULL) & MSG_STATUS_SUCCESS) {
		for (int i = 0; i < 3; i++)
			if (msg_hb(&c, true, bad[i], 5) & MSG_STATUS_SUCCESS)
				fail("HB receive into 0x%lx accepted", bad[i]);
		if (msg_hb(&c, true, (uintptr_t)buf, 4000) & MSG_STATUS_SUCCESS)
			fail("HB receive with a wrong length accepted");
	}
	msg_step(&c, MSG_RECVPAYLOAD, 0, NULL);	/* abandon */
	if (msg_recv(&c, buf, sizeof(buf), true) != 0)
		fail("an abandoned reply was offered again");
	msg_close(&c);
}

void test_bd_channels(void)
{
	struct bd_chan c[9];
	unsigned n = 0;

	if (!hv_require())
		return;
	while (n < 9 && msg_open(n & 1 ? TCLO_PROTOCOL : RPCI_PROTOCOL, &c[n]))
		n++;
	expect_eq("channels opened", n, 8);
	for (unsigned i = 0; i < n; i++)
		if (!msg_close(&c[i]))
			fail("close of channel %u failed", c[i].id);
	if (!msg_open(RPCI_PROTOCOL, &c[0]))
		fail("no channel free after closing them all");
	else
		msg_close(&c[0]);
}

/* The cost figures are taken at the natural rate only: slower than
 * natural, the vCPUs stall (dilation) and a run of thousands of traps
 * takes minutes of host time without saying more (test_clock.py runs
 * this guest at 1/2 and 1/3). */
static bool natural_rate(void)
{
	struct smccc_res res;
	uint32_t num, den;

	if (!hv_call(VERGE_HC_CLOCK, &res) || res.a0 != 0)
		return false;
	num = (uint32_t)(res.a3 >> 32);
	den = (uint32_t)res.a3;
	if (num == den)
		return true;
	info("not measured at rate %u/%u", num, den);
	return false;
}

static void put_ratio(uint64_t a, uint64_t b)
{
	uint64_t r = a * 1000 / (b ? b : 1);

	printf("%lu.%lu%lu%lu", r / 1000, r / 100 % 10, r / 10 % 10, r % 10);
}

/* Ticks for COST_CALLS calls of one kind: 0 null hvc, 1 GETVERSION by
 * hvc #0x86, 2 GETVERSION by mrs mdccsr_el0. */
static uint64_t cost_block(int kind)
{
	uint64_t t0 = timer_now();
	struct smccc_res res;
	struct bd_regs b;

	for (int i = 0; i < COST_CALLS; i++) {
		b = (struct bd_regs){ { 0 } };
		if (kind == 0)
			smccc_hvc(VERGE_HC_INFO, 0, 0, 0, &res);
		else
			bd_cmd(&b, BDOOR_CMD_GETVERSION,
			       kind == 1 ? VIA_HVC : VIA_MDCCSR);
	}
	return timer_now() - t0;
}

/* GETVERSION round trip against the null VERGE_HC_INFO, same run. The
 * minimum over rounds: a round in which the host descheduled QEMU (the
 * machine is shared) says nothing about the call. */
void test_bd_cost(void)
{
	uint64_t t[3] = { UINT64_MAX, UINT64_MAX, UINT64_MAX }, n = COST_CALLS;

	if (!hv_require() || !natural_rate())
		return;
	for (int r = 0; r < COST_ROUNDS; r++)
		for (int k = 0; k < 3; k++) {
			uint64_t d = cost_block(k);

			if (d < t[k])
				t[k] = d;
		}
	printf("INFO bd_cost: null hvc %lu ns, GETVERSION hvc %lu ns, mdccsr %lu ns; ratio hvc ",
	       t[0] * 1000000000ul / timer_freq() / n,
	       t[1] * 1000000000ul / timer_freq() / n,
	       t[2] * 1000000000ul / timer_freq() / n);
	put_ratio(t[1], t[0]);
	printf(" mdccsr ");
	put_ratio(t[2], t[0]);
	printf(" (fastest of %u interleaved rounds of %lu calls)\n",
	       COST_ROUNDS, n);
}

/* Ticks for TPUT_MSGS messages sent and their replies received, or 0. */
static uint64_t tput_block(const struct bd_chan *c, const char *big, bool hb)
{
	uint64_t t0 = timer_now();
	char buf[64];

	for (int m = 0; m < TPUT_MSGS; m++)
		if (!msg_send(c, big, TPUT_BYTES, hb) ||
		    msg_recv(c, buf, sizeof(buf), hb) < 0)
			return 0;
	return timer_now() - t0;
}

/* Message throughput: TPUT_BYTES sent and the short reply received,
 * low against high bandwidth, in interleaved rounds (fastest counts). */
void test_bd_throughput(void)
{
	static char big[TPUT_BYTES];
	uint64_t best[2] = { UINT64_MAX, UINT64_MAX }, bps[2];
	struct bd_chan c;

	if (!hv_require() || !natural_rate())
		return;
	for (int i = 0; i < TPUT_BYTES; i++)
		big[i] = 'a' + i % 26;
	if (!msg_open(RPCI_PROTOCOL, &c)) {
		fail("open failed");
		return;
	}
	for (int r = 0; r < TPUT_ROUNDS; r++)
		for (int hb = 0; hb < 2; hb++) {
			uint64_t d = tput_block(&c, big, hb);

			if (!d) {
				fail("round %d (%s) failed", r, hb ? "HB" : "LB");
				msg_close(&c);
				return;
			}
			if (d < best[hb])
				best[hb] = d;
		}
	msg_close(&c);
	for (int hb = 0; hb < 2; hb++)
		bps[hb] = (uint64_t)TPUT_BYTES * TPUT_MSGS * timer_freq() /
			  best[hb];
	printf("INFO bd_throughput: low %lu B/s high %lu B/s ratio ", bps[0],
	       bps[1]);
	put_ratio(bps[1], bps[0]);
	printf(" (%u-byte messages)\n", TPUT_BYTES);
}
