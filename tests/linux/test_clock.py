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
import tempfile
import time

import pytest

import linuxvm as lv
import mgmt

ACCURACY = 0.01             # relative, per window
WINDOW_S = 10.0             # host seconds per rate window
UPTIME_RES = 0.01           # /proc/uptime's resolution, guest seconds


def tolerance(rate, host_s, rt0, rt1):
    """ACCURACY plus what the measurement itself cannot resolve: each
    uptime sample is placed at the middle of its round trip, so the host
    window is known to +/- (rt0 + rt1) / 2 (a loaded host makes round
    trips long), and each uptime to its resolution."""
    return (ACCURACY + (rt0 + rt1) / 2 / host_s +
            2 * UPTIME_RES / (rate * host_s))


@pytest.fixture(autouse=True)
def needs_hv():
    if lv.BARE:
        pytest.skip("needs verge-hv and its management channel")


@pytest.fixture
def mgmt_vm(start_vm):
    """start(hv_opts=...) -> (VM at its shell prompt, connected Mgmt)."""
    clients = []

    def start(**kw):
        sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-"))
        vm = start_vm(extra_args=mgmt.qemu_args(sock), **kw)
        m = mgmt.Mgmt(sock).connect()
        clients.append(m)
        m.hello()
        lv.boot(vm)
        return vm, m

    try:
        yield start
    finally:
        for m in clients:
            m.close()


def test_live_rate_windows(mgmt_vm):
    """Rate 1/2, 2, 1 set live; over a WINDOW_S host window each, the
    guest's /proc/uptime advances rate x WINDOW_S within 1 %."""
    vm, m = mgmt_vm()
    results, bad = [], []
    for num, den in ((1, 2), (2, 1), (1, 1)):
        clk = m.set_rate(num, den)
        assert (clk["rate_num"], clk["rate_den"]) == (num, den), clk
        u0, h0, rt0 = vm.uptime()
        time.sleep(max(WINDOW_S - (time.monotonic() - h0), 0))
        u1, h1, rt1 = vm.uptime()
        rate = num / den
        want = rate * (h1 - h0)
        err = (u1 - u0 - want) / want
        tol = tolerance(rate, h1 - h0, rt0, rt1)
        results.append("rate %d/%d: host %.3f s, guest %.2f s, expected "
                       "%.3f, error %+.3f %% of +/- %.3f %% (round trips "
                       "%.0f/%.0f ms)" % (num, den, h1 - h0, u1 - u0, want,
                                          err * 100, tol * 100, rt0 * 1000,
                                          rt1 * 1000))
        print(results[-1])
        if abs(err) > tol:
            bad.append(results[-1])
    clk = m.clock()
    print("max_error_ticks %d stalled_ticks %d" % (clk["max_error_ticks"],
                                                  clk["stalled_ticks"]))
    assert not bad, "\n".join(results)


CLOCKCHECK_RE = (r"clockcheck: backwards=(\d+) maxback_ns=(\d+) "
                 r"cross_violations=(\d+) maxskew_ns=(-?\d+) reads=(\d+) "
                 r"pinned=(\d)\n")


def test_monotonic_under_rate_flips(mgmt_vm):
    """/bin/clockcheck (tests/linux/clockcheck.c) on both CPUs for 8 s of
    guest time while the rate flips between 1/2 and 2 100 times and the
    clock steps forward 10 ms 5 times."""
    vm, m = mgmt_vm()
    vm.check("test -x /bin/clockcheck")
    vm.skip()
    vm.send("clockcheck 8 2000; echo clockcheck-exit=$?\n")
    time.sleep(0.5)
    flips = steps = 0
    t0 = time.monotonic()
    for i in range(100):
        m.set_rate(*((1, 2) if i % 2 == 0 else (2, 1)))
        flips += 1
        if i % 20 == 10:
            m.step(10 * 1000 * 1000)
            steps += 1
        time.sleep(0.04)
    flip_s = time.monotonic() - t0
    vm.drain(0.01)
    early = re.search(CLOCKCHECK_RE, vm.text[vm.pos:])
    m.set_rate(1, 1)
    out = vm.expect(CLOCKCHECK_RE, 120)
    rc = vm.expect(r"clockcheck-exit=(\d+)\n", 30)
    print("%d flips, %d steps in %.1f s; %s" % (flips, steps, flip_s,
                                                 out.group(0).strip()))
    assert not early, "clockcheck ended before the flips did: " + early.group(0)
    back, maxback, cross, maxskew, reads, pinned = map(int, out.groups())
    assert pinned == 1, out.group(0)
    assert back == 0 and cross == 0, out.group(0)
    assert rc.group(1) == "0", out.group(0)
    clk = m.clock()
    assert (clk["rate_num"], clk["rate_den"]) == (1, 1), clk


def test_presented_frequency_half_speed(mgmt_vm):
    """verge.freq=125000000 (twice the host's 62.5 MHz): Linux's clock
    runs at half speed with no counter traps: 4 more guest seconds of
    `sleep` take 8 more host seconds, within ACCURACY."""
    vm, m = mgmt_vm(hv_opts="verge.freq=125000000")
    clk0 = m.clock()
    assert clk0["guest_freq"] == 125000000, clk0
    # The rate is guest seconds per host second: f_host / f_guest = 1/2,
    # with G's slope 1 guest tick per host tick (no dilation, no stalls).
    assert clk0["rate_num"] * 125000000 == clk0["rate_den"] * 62500000, clk0
    # Host time of `sleep 1` and `sleep 5`, each the least of 3 tries: a
    # loaded host only ever makes a wake-up or a round trip late, and the
    # difference of the two cancels what both share; 4 guest seconds must
    # take 8 host seconds.
    took = {}
    for secs in (1, 5):
        for _ in range(3):
            _, t0, t1 = vm.timed("sleep %d; echo sleep-done" % secs,
                                 r"(?m)^sleep-done\n", 60)
            took[secs] = min(took.get(secs, t1 - t0), t1 - t0)
    host = took[5] - took[1]
    print("sleep 5 - sleep 1 took %.3f s of host time (least of 3: %.3f s, "
          "%.3f s), expected 8 s" % (host, took[5], took[1]))
    vm.expect(re.escape(lv.PROMPT))
    out = vm.check("cat /proc/cpuinfo >/dev/null; dmesg | grep -i "
                   "'arch_timer\\|clocksource' | head -5")
    print(out.strip())
    clk = m.clock()
    st = m.stats()
    print("counter_traps %d timer_traps %d; exits: %s" % (
        clk["counter_traps"], clk["timer_traps"],
        " ".join("%s=%d" % (k, st[k]) for k in ("exits_total",)
                 + mgmt.EXIT_NAMES)))
    assert abs(host / 8.0 - 1) <= ACCURACY, \
        "4 guest seconds took %.3f s of host time" % host
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
    m.set_rate(1, 2)
    u0, h0, rt0 = vm.uptime()
    time.sleep(max(WINDOW_S - (time.monotonic() - h0), 0))
    u1, h1, rt1 = vm.uptime()
    want = 0.5 * (h1 - h0)
    err = (u1 - u0 - want) / want
    tol = tolerance(0.5, h1 - h0, rt0, rt1)
    print("ptimer rate 1/2: guest %.3f s over host %.3f s, error %+.3f %% "
          "of +/- %.3f %% (round trips %.0f/%.0f ms)"
          % (u1 - u0, h1 - h0, err * 100, tol * 100, rt0 * 1000, rt1 * 1000))
    assert abs(err) <= tol, err
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
