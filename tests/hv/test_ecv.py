# SPDX-License-Identifier: Apache-2.0
"""Exact guest time with FEAT_ECV (hypervisor/core/ecv.c) on QEMU 10's
`-cpu max`: the test guest's "guest.tests=ecv" list (tests/guest/
tests_ecv.c) at several rates, a control run with dilation forced
(verge.dilate=1) that must fail the same checks, no virtual timer traps
at rate 1, and the virtual timer re-armed across a live rate change that
switches the traps on.

QEMU 10 is taken from $VERGE_QEMU10 or the cache (.cache/qemu10, unpacked
from Debian's bookworm-backports); without it these tests are skipped.
"""

import re
import tempfile
import time

import pytest

import linuxvm
import mgmt
import qemu_run
from test_guest import tail

TIMEOUT = 240
GUEST = "0x44000000"
ECV_TESTS = ["boot_el", "ecv_present", "vcounter_exact", "vcounter_el0",
             "vtimer_exact", "vtimer_rearm"]


@pytest.fixture(scope="module")
def q10():
    q = linuxvm.qemu10()
    if q is None:
        pytest.skip("no QEMU 10 at %s (FEAT_ECV needs QEMU >= 9 `-cpu max`)"
                    % (linuxvm.cache_dir() / "qemu10/usr/bin"))
    return q


@pytest.fixture(autouse=True)
def needs_hv(bare):
    if bare:
        pytest.skip("needs verge-hv")


def append(opts):
    return "verge.kernel=%s %s -- guest.tests=ecv" % (GUEST, opts)


def passed(text, name):
    return re.search(r"^PASS %s$" % re.escape(name), text, re.M)


def check_passed(text, names):
    for name in names:
        if not passed(text, name):
            fails = [l for l in text.splitlines() if "FAIL %s:" % name in l]
            pytest.fail("%s\n--- console tail ---\n%s" % (
                "\n".join(fails) or "no PASS line for %s" % name, tail(text)))


@pytest.mark.parametrize("rate,num,den", [("0.1", 1, 10), ("0.5", 1, 2),
                                          ("2", 2, 1), ("10", 10, 1)])
def test_exact_at_rate(q10, qemu_cmd, rate, num, den):
    """CNTVCT, CNTVCTSS (and the trapped CNTPCT, CNTPCTSS) at EL1, CNTVCT
    at EL0 (AArch64 and AArch32): every read is G(P), G follows the
    formula; the vtimer fires at its guest deadline, never early."""
    rc, text = qemu_run.run(qemu_cmd(qemu=q10, cpu="max",
                                     append=append("verge.rate=" + rate)),
                            TIMEOUT)
    assert "FEAT_ECV" in text, "verge-hv did not take the exact mode\n" + \
        tail(text)
    m = re.search(r"INFO vcounter_exact: rate (\d+)/(\d+), .*", text)
    assert m, "no vcounter_exact report\n" + tail(text)
    print(m.group(0))
    assert (int(m.group(1)), int(m.group(2))) == (num, den), m.group(0)
    check_passed(text, ECV_TESTS)
    assert rc == 0, "QEMU exit %s\n%s" % (rc, tail(text))


def test_dilation_control_fails(q10, qemu_cmd):
    """The same checks with the exact mode off (verge.dilate=1): CNTVCT is
    dilated, within a tick of G but not G, and vcounter_exact must say
    so. Shows that the checks above can fail."""
    rc, text = qemu_run.run(qemu_cmd(
        qemu=q10, cpu="max",
        append=append("verge.rate=1/2 verge.dilate=1")), TIMEOUT)
    assert "FEAT_ECV" not in text, tail(text)
    assert re.search(r"^FAIL vcounter_exact: .* outside \[", text, re.M), \
        "dilated CNTVCT passed the exact checks\n" + tail(text)


def test_natural_rate_traps_nothing(q10, qemu_cmd):
    """At rate 1 with the host's frequency the virtual counter and timer
    do not trap: the guest's CNTV_* accesses leave timer_traps at 0 (it
    touches no CNTP_*), and CNTVCT is still exactly G."""
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-ecv-"))
    vm = linuxvm.VM(qemu_cmd(qemu=q10, cpu="max", append=append(""),
                             extra_args=mgmt.qemu_args(sock)), TIMEOUT)
    with vm, mgmt.Mgmt(sock).connect() as m:
        m.hello()
        # The last test waits 1 s of guest time after ARMED: ask then,
        # before the guest powers off.
        vm.expect(r"ARMED vtimer_rearm: .*\n", TIMEOUT)
        clk = m.clock()
        vm.expect(r"\d+ passed, \d+ failed\n", TIMEOUT)
        text = vm.text
    print({k: clk[k] for k in ("mode", "counter_traps", "timer_traps",
                               "rate_num", "rate_den", "cntvoff")})
    check_passed(text, ECV_TESTS)
    assert mgmt.CLOCK_MODES[clk["mode"]] == "exact", clk
    assert (clk["rate_num"], clk["rate_den"]) == (1, 1), clk
    assert clk["timer_traps"] == 0, clk
    assert clk["stalled_ticks"] == 0 and clk["max_error_ticks"] == 0, clk


@pytest.mark.parametrize("start,to", [((1, 1), (2, 1)), ((1, 2), (1, 1)),
                                      ((2, 1), (1, 1))],
                         ids=["1-to-2", "half-to-1", "2-to-1"])
def test_vtimer_rearm_live(q10, qemu_cmd, start, to):
    """CNTV armed 1 s of guest time ahead; on ARMED the rate changes (1 ->
    2 switches the traps on with the timer armed in hardware; 1/2 -> 1
    switches them off; 2 -> 1 leaves G ahead of P, where an untrapped
    CNTVCT would need a CNTVOFF that wraps, which QEMU's timer cannot
    take: they stay on): the interrupt comes when G reaches CVAL, not at
    the old host deadline, and never early."""
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-ecv-"))
    opts = "" if start == (1, 1) else "verge.rate=%d/%d" % start
    vm = linuxvm.VM(qemu_cmd(qemu=q10, cpu="max", append=append(opts),
                             extra_args=mgmt.qemu_args(sock)), TIMEOUT)
    with vm, mgmt.Mgmt(sock).connect() as m:
        m.hello()
        a = vm.expect(r"ARMED vtimer_rearm: CVAL (\d+), rate (\d+)/(\d+)\n",
                      TIMEOUT)
        cval = int(a.group(1))
        assert (int(a.group(2)), int(a.group(3))) == start, a.group(0)
        t0 = time.monotonic()
        clk = m.set_rate(*to)
        t_set = time.monotonic() - t0
        f = vm.expect(r"INFO vtimer_rearm: fired: rate now (\d+)/(\d+), "
                      r"host counter (\d+), guest counter (\d+)\n", 60)
        vm.expect(r"\d+ passed, \d+ failed\n", TIMEOUT)
        text = vm.text
    check_passed(text, ["vtimer_rearm"])
    assert mgmt.CLOCK_MODES[clk["mode"]] == "exact", clk
    assert (int(f.group(1)), int(f.group(2))) == to, f.group(0)
    fh, fg = clk["host_freq"], clk["guest_freq"]
    remaining = cval - clk["guest_counter"]
    assert 0 < remaining, "rate set %.3f s after ARMED: CVAL passed" % t_set
    # After the change G(P) = G_c + (P - P_c) x rate x fg / fh.
    due = clk["host_counter"] + remaining * fh * to[1] // (fg * to[0])
    fired = int(f.group(3))     # host counter just after the handler ran
    print("rate %s -> %s set %.1f ms after ARMED; fired %.3f ms (host) "
          "after due" % (start, to, t_set * 1000, (fired - due) * 1e3 / fh))
    assert fired >= due, "vtimer %d host ticks early" % (due - fired)
