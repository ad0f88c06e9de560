// SPDX-License-Identifier: Apache-2.0
/*
 * The test runner: every test prints "PASS name" or one "FAIL name:
 * reason" line per failed check; the run ends with "N passed, N failed"
 * and PSCI SYSTEM_OFF. Only CPU 0 prints.
 */
#include "gic.h"
#include "psci.h"

/*
 * The one list of the guest's tests: tests/hv (test_guest.py's
 * guest_table()) reads the two tables below from this file, so adding a
 * test is one line here. One entry per line, in the order they run:
 *	{ "name", test_function },		needs verge-hv (fails on bare
 *						QEMU, as VERGE_HV_BARE=1 checks)
 *	{ "name", test_function, BARE },	passes on bare QEMU too
 * A branch that still adds its test to tests/hv/test_guest.py as well
 * (the old way) converts by deleting that line there.
 */
struct test {
	const char *name;
	void (*run)(void);
	unsigned flags;		/* BARE, for tests/hv only */
};

#define BARE	1u

/* An entry may leave flags out. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static const struct test tests[] = {
	{ "boot_el", test_boot_el, BARE },
	{ "psci_version", test_psci_version, BARE },
	{ "psci_0_1_cpu_on", test_psci_0_1_cpu_on },
	{ "smc_not_forwarded", test_smc_not_forwarded },
	{ "psci_allow_list", test_psci_allow_list },
	{ "unknown_hvc", test_unknown_hvc, BARE },
	{ "hv_info", test_hv_info },
	{ "hv_memory_fault", test_hv_memory_fault },
	{ "hv_memory_exec", test_hv_memory_exec },
	{ "el0_aarch32", test_el0_aarch32 },
	{ "pmu_no_el2", test_pmu_no_el2 },
	{ "cpu_on", test_cpu_on, BARE },
	{ "vtimer_rate", test_vtimer_rate, BARE },
	{ "sgi_cross_cpu", test_sgi_cross_cpu, BARE },
	{ "lr_overflow", test_lr_overflow, BARE },
	{ "hv_ppi_hidden", test_hv_ppi_hidden },
	{ "hv_tick_survives_guest_disable", test_hv_tick },
	{ "ptimer_rate", test_ptimer_rate },
	{ "ptimer_fires_at_cval", test_ptimer_fires_at_cval },
	{ "ptimer_rearm_on_rate_change", test_ptimer_rearm },
	{ "cntpct_cost", test_cntpct_cost },
	{ "ptimer_far_cval", test_ptimer_far_cval },
	{ "vtimer_wfi", test_vtimer_wfi, BARE },
	{ "vtimer_spin", test_vtimer_spin, BARE },
	{ "bd_getversion", test_bd_getversion },
	{ "bd_errors", test_bd_errors },
	{ "bd_uuid", test_bd_uuid },
	{ "bd_time", test_bd_time },
	{ "bd_mdscr_shadow", test_bd_mdscr_shadow, BARE },
	{ "bd_debug_regs", test_bd_debug_regs, BARE },
	{ "bd_el0", test_bd_el0 },
	{ "bd_rpci", test_bd_rpci },
	{ "bd_guestinfo_host", test_bd_guestinfo_host },
	{ "bd_bad_cookie", test_bd_bad_cookie },
	{ "bd_hb_refused", test_bd_hb_refused },
	{ "bd_channels", test_bd_channels },
	{ "bd_cost", test_bd_cost },
	{ "bd_throughput", test_bd_throughput },
	{ "bd_cookie_unpredictable", test_bd_cookie_unpredictable },
	{ "bd_relay_rate_limit", test_bd_relay_rate_limit },
	{ "gic_ctlr_wide_write", test_gic_ctlr_wide_write },
	{ "gic_redist_beyond_last", test_gic_redist_beyond_last },
	{ "gic_unaligned", test_gic_unaligned },
	{ "gic_hostile_random", test_gic_hostile_random },
	{ "idregs", test_idregs },
	{ "wdt_regs", test_wdt_regs },
	{ "wdt_ws0_irq", test_wdt_ws0_irq },
	{ "wdt_ws0_cpu0_off", test_wdt_ws0_cpu0_off },
	{ "wdt_ws0_storm", test_wdt_ws0_storm },
	{ "wdt_ws0_level", test_wdt_ws0_level },
	{ "wdt_sealed_api", test_wdt_sealed_api },
	{ "wdt_hostile", test_wdt_hostile },
	{ "wdt_expiry", test_wdt_expiry },	/* stays last */
};

/* "guest.tests=hostile" in the bootargs runs this list instead: the
 * hostile-kernel suite (tests/hv/test_hostile.py), under verge-hv only. */
static const struct test hostile_tests[] = {
	{ "boot_el", test_boot_el },
	{ "hostile_calls", test_hostile_calls },
	{ "hostile_sysregs", test_hostile_sysregs },
	{ "hostile_gic", test_hostile_gic },
	{ "hostile_doorbell", test_hostile_doorbell },
};

/* "guest.tests=idregs": the ID registers alone (tests/hv/test_idregs.py). */
static const struct test idregs_tests[] = {
	{ "boot_el", test_boot_el },
	{ "idregs", test_idregs },
};

/* "guest.tests=board": the hypervisor's own devices with CPU 0 off
 * and the board's watchdog (tests/hv/test_board.py). */
static const struct test board_tests[] = {
	{ "boot_el", test_boot_el },
	{ "cpu_on", test_cpu_on },
	{ "board_wdt_hidden", test_board_wdt_hidden },
	{ "mgmt_cpu0_off", test_mgmt_cpu0_off },
	{ "board_wdt_loader", test_board_wdt_loader },
};

/* "guest.tests=ecv": exact time with FEAT_ECV (tests/hv/test_ecv.py). */
static const struct test ecv_tests[] = {
	{ "boot_el", test_boot_el },
	{ "ecv_present", test_ecv_present },
	{ "vcounter_exact", test_vcounter_exact },
	{ "vcounter_el0", test_vcounter_el0 },
	{ "vtimer_exact", test_vtimer_exact },
	{ "vtimer_rearm", test_vtimer_rearm },
};

/* The option word of bench_sieve.c (a QEMU loader writes it, so that
 * bare QEMU can ask too): the sieve benchmark (bench/sieve.py). */
static const struct test sieve_tests[] = {
	{ "boot_el", test_boot_el, BARE },
	{ "sieve", test_sieve, BARE },
};

/* "guest.tests=observe": dilation's error as the guest sees it, on both
 * vCPUs (tests/hv/test_dilation_observed.py). */
static const struct test observe_tests[] = {
	{ "boot_el", test_boot_el },
	{ "cpu_on", test_cpu_on },
	{ "vcounter_observed", test_vcounter_observed },
};

static const char *cur_name = "boot";
static bool cur_failed;
static bool in_test;
static unsigned passed, failed;
int gic_status;

const char *current_test(void)
{
	return cur_name;
}

void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", cur_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	cur_failed = true;
}

void info(const char *fmt, ...)
{
	va_list ap;

	printf("INFO %s: ", cur_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

bool expect_eq(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return true;
	fail("%s = 0x%lx, expected 0x%lx", what, got, want);
	return false;
}

void finish(void)
{
	static bool finishing;

	if (finishing)	/* a fault while powering off: nothing left to do */
		for (;;)
			wfi();
	finishing = true;
	if (in_test)
		failed++;
	printf("%u passed, %u failed\n", passed, failed);
	psci_system_off();
}

static void run_test(const struct test *t)
{
	cur_name = t->name;
	cur_failed = false;
	in_test = true;
	t->run();
	in_test = false;
	if (cur_failed) {
		failed++;
	} else {
		passed++;
		printf("PASS %s\n", t->name);
	}
}

/* Whether word appears in the DT blob the guest was given (its bootargs
 * are the only text there that could hold it). Byte reads: MMU off. */
bool dt_has(const char *word)
{
	const volatile uint8_t *dt = (const volatile uint8_t *)boot_dtb;
	size_t size, n = 0;

	while (word[n])
		n++;
	if (!dt || dt[0] != 0xd0 || dt[1] != 0x0d || dt[2] != 0xfe ||
	    dt[3] != 0xed)
		return false;
	size = (size_t)dt[4] << 24 | dt[5] << 16 | dt[6] << 8 | dt[7];
	for (size_t i = 0; i + n <= size && size <= (1u << 21); i++) {
		size_t j = 0;

		while (j < n && dt[i + j] == (uint8_t)word[j])
			j++;
		if (j == n)
			return true;
	}
	return false;
}

int main(void);

int main(void)
{
	const struct test *list = tests;
	size_t n = sizeof(tests) / sizeof(tests[0]);
	bool hv, hostile = dt_has("guest.tests=hostile");

	vectors_install();
	hv = hv_present();
	psci_use_smc(hv);
	printf("verge test guest: CurrentEL 0x%lx, %s, PSCI via %s\n", boot_el,
	       hv ? "verge hypervisor present" : "no hypervisor",
	       hv ? "SMC" : "HVC");
	gic_status = gic_init_dist();
	if (gic_status == 0)
		gic_status = gic_init_cpu();
	if (hostile) {
		list = hostile_tests;
		n = sizeof(hostile_tests) / sizeof(hostile_tests[0]);
	} else if (dt_has("guest.tests=board")) {
		list = board_tests;
		n = sizeof(board_tests) / sizeof(board_tests[0]);
	} else if (dt_has("guest.tests=ecv")) {
		list = ecv_tests;
		n = sizeof(ecv_tests) / sizeof(ecv_tests[0]);
	}
	if (sieve_requested()) {
		list = sieve_tests;
		n = sizeof(sieve_tests) / sizeof(sieve_tests[0]);
	}
	if (dt_has("guest.tests=observe")) {
		list = observe_tests;
		n = sizeof(observe_tests) / sizeof(observe_tests[0]);
	}
	if (dt_has("guest.tests=idregs")) {
		list = idregs_tests;
		n = sizeof(idregs_tests) / sizeof(idregs_tests[0]);
	}
	for (size_t i = 0; i < n; i++) {
		run_test(&list[i]);
		if (i == 0 && cur_failed)
			break;	/* not at EL1: nothing else is meaningful */
	}
	if (hostile)
		hostile_linger();
	finish();
}
