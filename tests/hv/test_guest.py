# SPDX-License-Identifier: Apache-2.0
"""The bare-metal test guest (tests/guest) under verge-hv, once per CPU model.

The guest prints "PASS name" or "FAIL name: reason" per test, then
"N passed, N failed", then powers off with PSCI SYSTEM_OFF (QEMU exits 0).
"""

import re
from pathlib import Path

import pytest

import qemu_run

MAIN_C = Path(__file__).resolve().parents[1] / "guest" / "main.c"
ENTRY = re.compile(r'\{\s*"([A-Za-z0-9_]+)"\s*,\s*\w+\s*(?:,\s*(\w+)\s*)?\}')


def guest_table(table):
    """[(name, flags)] of a `static const struct test TABLE[]` in
    tests/guest/main.c, in run order: the one list of the guest's tests
    (its format is described at the top of main.c)."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", MAIN_C.read_text(), flags=re.S)
    m = re.search(r"static const struct test %s\[\] = \{(.*?)\n\};"
                  % re.escape(table), text, re.S)
    assert m, "no table %s in %s" % (table, MAIN_C)
    body = m.group(1)
    entries = [(e.group(1), e.group(2)) for e in ENTRY.finditer(body)]
    # every entry parsed: as many as the table has braces
    assert entries and len(entries) == body.count("{"), (table, body)
    names = [n for n, _ in entries]
    assert len(set(names)) == len(names), "a name twice in %s" % table
    return entries


NAMES = [n for n, _ in guest_table("tests")]
# Meaningless without the hypervisor: skipped under VERGE_HV_BARE=1 (and
# expected to fail there), all but the entries marked BARE.
HV_ONLY = {n for n, flags in guest_table("tests") if flags != "BARE"}
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
