# SPDX-License-Identifier: Apache-2.0
"""Dilation's error as the guest observes it, on a busy host (two
CPU-bound processes started here, killed by their pids): the test guest
("guest.tests=observe", tests/guest/tests_observe.c) reads CNTVCT_EL0 in a
tight loop on both vCPUs between VERGE_HC_CLOCK calls, which bracket the
hypervisor's G; a read outside its bracket proves an error the guest saw.
For each rate (0.1, 0.5, 2, set live; each window OBS_WINDOW_MS = 6 s of
host time) it prints that proven error beside the hypervisor's
max_error_ticks, and asserts:

- the proven error never exceeds max_error_ticks: CNTVOFF changes only
  where a vCPU parks or leaves EL2, both of which record |V - G|, and
  between them V - G is linear in P, so its largest value on the way is at
  one of the two ends: max_error is an upper bound of what a guest can
  read (it also counts the error a vCPU carried while its thread was off
  its core and never read);
  A bracket proves V ahead of G across a gap in the burst (a thread off
  its core: G2 comes after the read) but not V behind G there (G1 came
  before the gap): at rates above 1 it sees only what was already wrong
  when the burst began;
- the proven error within 1 ms of guest time (issue 15's bound) is the
  target: a miss is an expected failure (xfail) with the figures. What
  remains on a host this busy is QEMU's: the EL2 timer's interrupt is
  raised by QEMU's main-loop thread, and a vCPU thread that gets its core
  back before that thread does runs its guest on a stale CNTVOFF
  (docs/hypervisor.md, "Dilation on a busy host").

VERGE_OBS_LOAD (default 2) sets the number of busy loops; VERGE_OBS_NICE
(main:N or all:N) renices QEMU's threads, to measure what a higher CPU
weight does (measured: nothing that holds the bound); VERGE_OBS_GUEST
adds words to the guest's bootargs (guest.obs=sparse: reads apart).
"""

import os
import re
import subprocess
import tempfile

import pytest

import linuxvm
import mgmt

GUEST = "0x44000000"
BOUND_MS = 1.0
RATES = [(1, 10), (1, 2), (2, 1)]
OBS_RE = (r"OBSERVED cpu(\d): reads (\d+) bursts (\d+) ahead (\d+) "
          r"behind (\d+) jump (\d+) guest_freq (\d+)\n")


@pytest.fixture(autouse=True)
def needs_hv(bare):
    if bare:
        pytest.skip("needs verge-hv")


@pytest.fixture
def host_load():
    """Two CPU-bound processes for the test's duration."""
    procs = [subprocess.Popen(["sh", "-c", "while :; do :; done"])
             for _ in range(int(os.environ.get("VERGE_OBS_LOAD", "2")))]
    try:
        yield os.getloadavg()[0]
    finally:
        for p in procs:
            p.kill()
            p.wait()


def qemu_pid(vm):
    """The pid of QEMU, the child of the coreutils timeout vm runs."""
    t = vm.proc.pid
    with open("/proc/%d/task/%d/children" % (t, t)) as f:
        return int(f.read().split()[0])


def renice(vm, spec):
    """VERGE_OBS_NICE=main:N (QEMU's main-loop thread, which runs its
    timers) or all:N (every thread of QEMU): setpriority() per thread."""
    what, n = spec.split(":")
    pid = qemu_pid(vm)
    tids = [pid] if what == "main" else \
        [int(t) for t in os.listdir("/proc/%d/task" % pid)]
    for tid in tids:
        os.setpriority(os.PRIO_PROCESS, tid, int(n))
    print("nice %s on %s" % (n, tids))


def test_observed_error_under_load(qemu_cmd, host_load):
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-obs-"))
    vm = linuxvm.VM(qemu_cmd(
        append="verge.kernel=%s -- guest.tests=observe %s"
        % (GUEST, os.environ.get("VERGE_OBS_GUEST", "")),
        extra_args=mgmt.qemu_args(sock)), 600)
    rows, bad, text = [], [], ""
    with vm, mgmt.Mgmt(sock).connect() as m:
        m.hello()
        r = vm.expect(r"OBSERVE READY rate 1/1 cpu1 (\d)\n", 120)
        assert r.group(1) == "1", "CPU 1 did not start\n" + vm.tail()
        if os.environ.get("VERGE_OBS_NICE"):
            renice(vm, os.environ["VERGE_OBS_NICE"])
        for num, den in RATES:
            c0 = m.set_rate(num, den)
            assert (c0["rate_num"], c0["rate_den"]) == (num, den), c0
            vm.expect(r"OBSERVED rate %d/%d\n" % (num, den), 300)
            c1 = m.clock()
            hv_ms = c1["max_error_ticks"] * 1e3 / c1["guest_freq"]
            for _ in range(2):
                o = vm.expect(OBS_RE, 30)
                cpu, reads, _, ahead, behind, jump, fg = map(int, o.groups())
                seen_ms = max(ahead, behind) * 1e3 / fg
                line = ("rate %g cpu%d: guest saw |V-G| >= %.3f ms (ahead "
                        "%.3f, behind %.3f), largest step between reads "
                        "%.3f ms, %d reads; hypervisor max_error %.3f ms"
                        % (num / den, cpu, seen_ms, ahead * 1e3 / fg,
                           behind * 1e3 / fg, jump * 1e3 / fg, reads, hv_ms))
                print(line)
                rows.append(line)
                # one tick of slack: G and V are read at different times
                assert max(ahead, behind) <= c1["max_error_ticks"] + 1, line
                if seen_ms > BOUND_MS:
                    bad.append(line)
            vm.expect(r"OBSERVED end\n", 30)
        m.set_rate(1, 1)
        vm.expect(r"\d+ passed, \d+ failed\n", 120)
        text = vm.text
        assert re.search(r"\b3 passed, 0 failed", text), vm.tail()
    for w in re.findall(r"OBSERVED worst: .*|.*(?:vtime|tick|DIAG):? cpu.*", text):
        print(w)
    print("load before the busy loops: %.1f" % host_load)
    if bad:
        pytest.xfail("the 1 ms bound is not met yet (load %.1f before the "
                     "busy loops): %s" % (host_load, "; ".join(bad)))
