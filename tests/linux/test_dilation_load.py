# SPDX-License-Identifier: Apache-2.0
"""Dilation (CNTVOFF steering, cortex-a57: no FEAT_ECV) on a busy host:
two CPU-bound processes run on the host throughout each test (started
here, killed by their pids). Every assertion is in guest time or a ratio.

- the largest |CNTVCT - G| a guest could read stays within 1 ms of guest
  time at rates 0.1, 0.5 and 2, on 2 vCPUs, and clockcheck sees no time
  going backwards (the bound is the target and not met yet: a miss is an
  expected failure (xfail) that prints the figures; going backwards
  fails);
- a guest booted with verge.rate=0.5 reaches userspace (within 300 s;
  before, a busy host could keep it from ever getting there), and within
  3 times the time a guest at rate 1 booted beside it (same host, same
  load, at the same time) takes (the target: a miss is an xfail with the
  figure);
- at rate 0.5 the power button stops the guest cleanly (what `verge vm
  stop` sends), VERGE_DIL_STOPS times (default 2, the first of them the
  guest of the boot ratio; the acceptance runs 10), each a fresh boot.
"""

import json
import os
import re
import socket
import subprocess
import tempfile
import time

import pytest

import clocktest as ct
import linuxvm as lv
import mgmt

WINDOW_S = 6.0          # host seconds per rate
BOUND_MS = 1.0          # guest milliseconds
BOOT_LIMIT_S = 300      # a hang, not a bound: the ratio is the assertion


@pytest.fixture(autouse=True)
def needs_hv():
    if lv.BARE:
        pytest.skip("needs verge-hv and its management channel")


@pytest.fixture
def host_load():
    """Two CPU-bound processes for the test's duration; the 1-minute load
    average seen before they started."""
    before = os.getloadavg()[0]
    procs = [subprocess.Popen(["sh", "-c", "while :; do :; done"])
             for _ in range(2)]
    try:
        yield before
    finally:
        for p in procs:
            p.kill()
            p.wait()


def start(start_vm, hv_opts="", qmp=None):
    """A VM with its management channel (and a QMP socket if qmp)."""
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-dil-"))
    extra = mgmt.qemu_args(sock)
    if qmp:
        extra += ["-qmp", "unix:%s,server=on,wait=off" % qmp]
    vm = start_vm(hv_opts=hv_opts, extra_args=extra)
    m = mgmt.Mgmt(sock).connect()
    m.hello()
    return vm, m


def test_dilation_bound_under_load(start_vm, host_load):
    """max_error_ticks (reset by each rate change) within 1 ms of guest
    time at 0.1, 0.5 and 2; clockcheck on both vCPUs at 0.5: nothing
    goes back, on one CPU or across them."""
    vm, m = start(start_vm)
    try:
        lv.boot(vm)
        rows = []
        for num, den in ((1, 10), (1, 2), (2, 1)):
            c0 = m.set_rate(num, den)
            assert (c0["rate_num"], c0["rate_den"]) == (num, den), c0
            if (num, den) == (1, 2):
                vm.skip()
                vm.send("clockcheck 2 2000; echo clockcheck-exit=$?\n")
            vm.drain(WINDOW_S)
            c1 = m.clock()
            err_ms = c1["max_error_ticks"] * 1e3 / c1["guest_freq"]
            stalled = ((c1["stalled_ticks"] - c0["stalled_ticks"]) /
                       (c1["host_counter"] - c0["host_counter"]))
            rows.append((num / den, err_ms))
            print("rate %g: max |V-G| %.3f ms of guest time, stalled %.0f %% "
                  "of host time" % (num / den, err_ms, stalled * 100))
        m.set_rate(1, 1)
        out = vm.expect(ct.CLOCKCHECK_RE, 120)
        print(out.group(0).strip())
        back, _, cross, _, reads, _ = map(int, out.groups())
        assert reads > 0 and back == 0 and cross == 0, out.group(0)
        assert "did not stop for the clock correction" not in vm.text
        # The 1 ms bound is the target (issue 15) and not met yet on a
        # host this busy: a miss is reported as an expected failure with
        # the figures, and passes (XPASS) once the bound holds. What is
        # asserted above (time never goes back) fails the test.
        if not all(e <= BOUND_MS for _, e in rows):
            pytest.xfail("the 1 ms bound is not met yet (load %.1f before "
                         "the two busy loops): %s" % (host_load, rows))
    finally:
        m.close()


def stop(vm, path, limit=120):
    """`verge vm stop`'s way: QMP system_powerdown (the guest's power
    button) once a second until the guest says it saw it (a press before
    init's reader opened the input device is lost), then its clean exit:
    QEMU's status."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    for _ in range(100):
        try:
            s.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            time.sleep(0.1)
    f = s.makefile("rw")
    f.readline()

    def qmp(cmd):
        f.write(json.dumps({"execute": cmd}) + "\n")
        f.flush()
        while "return" not in json.loads(f.readline()):
            pass

    qmp("qmp_capabilities")
    try:
        for _ in range(limit):
            try:
                qmp("system_powerdown")
            except (OSError, ValueError):
                break       # QMP closed: QEMU is exiting
            vm.drain(1.0)
            if "verge-init: power button" in vm.text[vm.pos:]:
                break
        vm.expect("verge-init: power button", 1)
    finally:
        s.close()
    return vm.wait_exit(120)


def stop_cleanly(vm, qmp, what):
    """The power button stops vm (booted with its QMP socket qmp) and
    Linux powers down: QEMU's status 0."""
    rc = stop(vm, qmp)
    print("%s: exit status %d" % (what, rc))
    assert rc == 0, what
    assert re.search(r"reboot: Power down", vm.text), vm.tail()


def test_boot_and_stop_at_half_rate_under_load(start_vm, host_load):
    """verge.rate=0.5 and rate 1 guests boot side by side (the same load
    at the same time): the slowed one reaches userspace within 3 times the
    other's time; then the power button stops it cleanly, and again a
    fresh guest booted at verge.rate=0.5, VERGE_DIL_STOPS times in all."""
    n = int(os.environ.get("VERGE_DIL_STOPS", "2"))
    qmp = os.path.join(tempfile.mkdtemp(prefix="verge-dil-"), "qmp.sock")
    t0 = time.monotonic()
    fast, mf = start(start_vm)
    slow, ms = start(start_vm, "verge.rate=0.5", qmp)
    try:
        times = {}
        for name, vm in (("rate 1", fast), ("rate 0.5", slow)):
            vm.expect_line(lv.USERSPACE_UP, BOOT_LIMIT_S)
            times[name] = time.monotonic() - t0
        fast.kill()
        ratio = times["rate 0.5"] / times["rate 1"]
        print("to userspace: %s; ratio %.2f" % (times, ratio))
        stop_cleanly(slow, qmp, "stop 1 of %d" % n)
    finally:
        mf.close()
        ms.close()
    for i in range(1, n):
        qmp = os.path.join(tempfile.mkdtemp(prefix="verge-dil-"), "qmp.sock")
        vm, m = start(start_vm, "verge.rate=0.5", qmp)
        try:
            # A slowed guest on a busy host: a generous limit, not a bound.
            vm.expect_line(lv.USERSPACE_UP, BOOT_LIMIT_S)
            stop_cleanly(vm, qmp, "stop %d of %d" % (i + 1, n))
        finally:
            m.close()
    # The 3x ratio is the target (issue 15), not met yet under load:
    # reported as an expected failure with the figure (XPASS once it
    # holds); reaching userspace and the clean stops are asserted.
    if ratio > 3.0:
        pytest.xfail("rate 0.5 took %.2f x the time of rate 1 to "
                     "userspace (load %.1f before the busy loops)"
                     % (ratio, host_load))
