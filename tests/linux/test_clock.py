# SPDX-License-Identifier: Apache-2.0
"""Linux's clock under verge-hv's guest time control: live rate changes
over the management channel (CNTVCT dilation), monotonicity across CPUs
while the rate flips and steps, the presented counter frequency, and a
management-channel fuzz with Linux running.
"""

import os
import random
import re
import struct
import subprocess
import time

import pytest

import clocktest as ct
import linuxvm as lv
import mgmt

ACCURACY = 0.01             # relative, per window
WINDOW_S = 10.0             # host seconds per rate window
UPTIME_RES = 0.01           # /proc/uptime's resolution, guest seconds


@pytest.fixture(autouse=True)
def needs_hv():
    if lv.BARE:
        pytest.skip("needs verge-hv and its management channel")


@pytest.fixture
def mgmt_vm(mgmt_start):
    """Here, one VM a test: start(hv_opts=...) -> (VM at its shell prompt,
    connected Mgmt) (conftest's mgmt_start)."""
    return mgmt_start


def test_live_rate_windows(mgmt_vm):
    """Rate 1/2, 2, 1 set live; over a WINDOW_S host window each, the
    guest's /proc/uptime advances rate x WINDOW_S within 1 %."""
    vm, m = mgmt_vm()
    results, bad = ct.rate_windows(m, vm.uptime, ((1, 2), (2, 1), (1, 1)),
                                   WINDOW_S, ACCURACY, UPTIME_RES)
    clk = m.clock()
    print("max_error_ticks %d stalled_ticks %d" % (clk["max_error_ticks"],
                                                  clk["stalled_ticks"]))
    assert not bad, "\n".join(results)


def test_monotonic_under_rate_flips(mgmt_vm):
    """/bin/clockcheck (tests/linux/clockcheck.c) on both CPUs for 8 s of
    guest time while the rate flips between 1/2 and 2 100 times and the
    clock steps forward 10 ms 5 times."""
    vm, m = mgmt_vm()
    ct.clockcheck_under_flips(vm, m, "8 2000")
    clk = m.clock()
    assert (clk["rate_num"], clk["rate_den"]) == (1, 1), clk


def test_presented_frequency_half_speed(mgmt_vm):
    """verge.freq=125000000 (twice the host's 62.5 MHz): Linux's clock
    runs at half speed with no counter traps: over a WINDOW_S host
    window the guest's /proc/uptime advances half of it, within ACCURACY
    plus what the round trips of the two readings leave unknown."""
    vm, m = mgmt_vm(hv_opts="verge.freq=125000000")
    clk0 = m.clock()
    assert clk0["guest_freq"] == 125000000, clk0
    # The rate is guest seconds per host second: f_host / f_guest = 1/2,
    # with G's slope 1 guest tick per host tick (no dilation, no stalls).
    assert clk0["rate_num"] * 125000000 == clk0["rate_den"] * 62500000, clk0
    line, ok = ct.window(vm.uptime, 1, 2, WINDOW_S, ACCURACY, UPTIME_RES)
    out = vm.check("cat /proc/cpuinfo >/dev/null; dmesg | grep -i "
                   "'arch_timer\\|clocksource' | head -5")
    print(out.strip())
    clk = m.clock()
    st = m.stats()
    print("counter_traps %d timer_traps %d; exits: %s" % (
        clk["counter_traps"], clk["timer_traps"],
        " ".join("%s=%d" % (k, st[k]) for k in ("exits_total",)
                 + mgmt.EXIT_NAMES)))
    assert ok, line
    assert clk["counter_traps"] == 0, clk
    assert clk["stalled_ticks"] == 0 and clk["cntvoff"] == 0, clk


def test_mgmt_fuzz_with_linux(mgmt_vm):
    """verge-mgmt's fuzz (5000 frames, seed 7) and this file's own fuzz
    (random bytes, mutated valid frames) leave the channel and Linux
    working."""
    vm, m = mgmt_vm()
    tool = lv.build_dir() / "verge-mgmt"
    if not tool.exists():
        pytest.fail("missing %s (run make)" % tool)
    m.close()       # one client at a time
    t0 = time.monotonic()
    r = subprocess.run(["timeout", "-s", "KILL", "300", str(tool), m.path,
                        "fuzz", "5000", "--seed", "7"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=320)
    print("verge-mgmt fuzz: exit %d in %.1f s: %s" % (
        r.returncode, time.monotonic() - t0,
        r.stdout.decode(errors="replace").strip()[-500:]))
    assert r.returncode == 0, r.stdout.decode(errors="replace")
    m.connect()
    rnd = random.Random(7)
    valid = [mgmt.frame(t, p, seq=rnd.randrange(1 << 32)) for t, p in (
        (mgmt.PING, b"x" * 40), (mgmt.CLOCK_GET, b""),
        (mgmt.STATS_GET, b""), (mgmt.HELLO, struct.pack("<HH", 1, 1)),
        (mgmt.CLOCK_SET_RATE, struct.pack("<II", 1, 1)),
        (mgmt.CLOCK_STEP, struct.pack("<Q", 0)),
        (mgmt.CLOCK_SET_RATE, struct.pack("<II", 0, 0)),
        (mgmt.CLOCK_SET_RATE, struct.pack("<II", 1, 1000)))]
    for i in range(2000):
        kind = rnd.randrange(4)
        if kind == 0:
            data = os.urandom(rnd.randrange(1, 200))
        else:
            data = bytearray(rnd.choice(valid))
            for _ in range(rnd.randrange(1, 4)):
                data[rnd.randrange(len(data))] = rnd.randrange(256)
            if kind == 3:   # a valid CRC over the mutated header/payload
                body = bytes(data[:-4])
                data[-4:] = struct.pack("<I", mgmt.zlib.crc32(body))
        m.send_raw(bytes(data))
        if i % 50 == 49:
            m.drain(0.02)
    m.send_raw(bytes(mgmt.MAX_PAYLOAD + 64))    # ends any partial frame
    m.drain(1.0)
    for attempt in range(3):
        try:
            m.ping(b"after-fuzz")
            break
        except TimeoutError:
            if attempt == 2:
                raise
    m.timeout = 10
    clk = m.clock()
    st = m.stats()
    print("after fuzz: rate %d/%d, rx_frames %d rx_bad_frames %d "
          "rx_dropped_bytes %d tx_frames %d tx_dropped %d" % (
              clk["rate_num"], clk["rate_den"], st["rx_frames"],
              st["rx_bad_frames"], st["rx_dropped_bytes"], st["tx_frames"],
              st["tx_dropped"]))
    if (clk["rate_num"], clk["rate_den"]) != (1, 1):
        m.set_rate(1, 1)
    assert "alive" in vm.check("echo alive")


def test_physical_timer_guest_at_half_rate(mgmt_vm):
    """verge.ptimer=1 hides the virtual timer PPI: Linux takes its clock
    events from the trapped, scaled physical timer (PPI 30), and at rate
    1/2 its clock still advances half as fast as the host's within 1 %."""
    vm, m = mgmt_vm(hv_opts="verge.ptimer=1")
    assert "(phys)" in vm.check("dmesg | grep 'arch_timer: cp15'")
    _, bad = ct.rate_windows(m, vm.uptime, ((1, 2),), WINDOW_S, ACCURACY,
                             UPTIME_RES)
    assert not bad, bad
    clk = m.clock()
    assert clk["timer_traps"] > 0, clk      # events really came this way
    line = vm.check("grep arch_timer /proc/interrupts")
    assert " 30 " in line, line


def test_exit_report_interval_while_dilating(mgmt_vm):
    """verge.stats=1 prints the exit report once a second of host time,
    also while CPU 0 ticks at 1 kHz to dilate the guest's clock (it used
    to count ticks: the faster tick brought it ten times a second, late
    ticks made it drift late). Each report is stamped with the tick that
    was due, so a gap is never under 1000 ms, exactly; a loaded host
    delays some ticks (or other output cuts into a report's line, and
    that report is not seen), so lateness is judged on the median gap:
    a drift shows in every gap, a late tick in one."""
    vm, m = mgmt_vm(hv_opts="verge.stats=1")
    m.set_rate(1, 2)
    # a whole report only: other output may cut into a line on the UART
    report = r"verge-hv: exits t_ms=(\d+) total=\d+ irq="
    vm.expect(report, 10)
    stamps = []
    while len(stamps) < 7:
        stamps.append(int(vm.expect(report, 30).group(1)))
    gaps = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    print("gaps between reports, ms:", gaps)
    assert all(g >= 1000 for g in gaps), gaps
    assert gaps[len(gaps) // 2] < 1100, gaps
