# SPDX-License-Identifier: Apache-2.0
"""The bare-metal test guest (tests/guest) under verge-hv, once per CPU model.

The guest prints "PASS name" or "FAIL name: reason" per test, then
"N passed, N failed", then powers off with PSCI SYSTEM_OFF (QEMU exits 0).
"""

import re

import pytest

import qemu_run

# tests/guest/main.c keeps the same list, in the same order.
NAMES = [
    "boot_el",
    "psci_version",
    "psci_0_1_cpu_on",
    "smc_not_forwarded",
    "psci_allow_list",
    "unknown_hvc",
    "hv_info",
    "hv_memory_fault",
    "hv_memory_exec",
    "el0_aarch32",
    "pmu_no_el2",
    "cpu_on",
    "vtimer_rate",
    "sgi_cross_cpu",
    "lr_overflow",
    "hv_ppi_hidden",
    "hv_tick_survives_guest_disable",
    "ptimer_rate",
    "ptimer_fires_at_cval",
    "ptimer_rearm_on_rate_change",
    "cntpct_cost",
    "ptimer_far_cval",
    "bd_getversion",
    "bd_errors",
    "bd_uuid",
    "bd_time",
    "bd_mdscr_shadow",
    "bd_debug_regs",
    "bd_el0",
    "bd_rpci",
    "bd_guestinfo_host",
    "bd_bad_cookie",
    "bd_hb_refused",
    "bd_channels",
    "bd_cost",
    "bd_throughput",
    "bd_cookie_unpredictable",
    "bd_relay_rate_limit",
    "gic_ctlr_wide_write",
    "gic_redist_beyond_last",
    "gic_unaligned",
    "gic_hostile_random",
    "idregs",
    "wdt_regs",
    "wdt_ws0_irq",
    "wdt_sealed_api",
    "wdt_expiry",
]
# Meaningless without the hypervisor: skipped under VERGE_HV_BARE=1.
HV_ONLY = {"psci_0_1_cpu_on", "smc_not_forwarded", "psci_allow_list",
           "el0_aarch32", "pmu_no_el2",
    "pmu_no_el2",
           "hv_info", "hv_memory_fault", "hv_memory_exec", "hv_ppi_hidden",
           "hv_tick_survives_guest_disable", "ptimer_rate",
           "ptimer_fires_at_cval", "ptimer_rearm_on_rate_change",
           "cntpct_cost", "ptimer_far_cval"} | {n for n in NAMES if n.startswith("wdt_")} \
    | {n for n in NAMES if n.startswith("bd_")} \
    - {"bd_mdscr_shadow", "bd_debug_regs"} \
    | {n for n in NAMES if n.startswith("gic_")}
# cortex-a76 has PMUv3p1 (MDCR_EL2.HPMD: pmu_no_el2).
CPUS = ["cortex-a57", "cortex-a72", "cortex-a76"]
TIMEOUT = 60
SUMMARY = re.compile(r"\b(\d+) passed, (\d+) failed$", re.M)


def tail(text, n=40):
    return "\n".join(text.splitlines()[-n:])


@pytest.fixture(scope="module", params=CPUS)
def guest_run(request, qemu_cmd):
    """(exit code or None on timeout, console) of one run of the guest."""
    return qemu_run.run(qemu_cmd(cpu=request.param), TIMEOUT)


@pytest.mark.parametrize("name", NAMES)
def test_guest(guest_run, bare, name):
    if bare and name in HV_ONLY:
        pytest.skip("needs verge-hv")
    rc, text = guest_run
    # Anchored at the end only: a hypervisor message may share the line.
    if re.search(r"\bPASS %s$" % re.escape(name), text, re.M):
        return
    fails = [l for l in text.splitlines() if "FAIL %s:" % name in l]
    why = "\n".join(fails) if fails else "no PASS/FAIL line for %s" % name
    if rc is None:
        why += "\n(QEMU killed after %d s)" % TIMEOUT
    pytest.fail("%s\n--- console tail ---\n%s" % (why, tail(text)))


def test_summary_and_power_off(guest_run, bare):
    rc, text = guest_run
    m = SUMMARY.findall(text)
    assert m, "no 'N passed, N failed' line (exit %s)\n%s" % (rc, tail(text))
    passed, failed = map(int, m[-1])
    want_failed = len(HV_ONLY) if bare else 0
    assert (passed, failed) == (len(NAMES) - want_failed, want_failed), \
        "summary %d passed, %d failed\n%s" % (passed, failed, tail(text))
    assert rc == 0, "QEMU exit status %s, expected 0 after SYSTEM_OFF\n%s" \
        % ("timeout" if rc is None else rc, tail(text))
