# SPDX-License-Identifier: Apache-2.0
"""What the clock tests of the Linux tier share (test_clock.py, test_ecv.py,
test_dilation_load.py): the rate windows that compare the guest's clock
with the host's, and clockcheck (tests/linux/clockcheck.c) while the rate
flips and the clock steps."""

import re
import time

# clockcheck's summary line
CLOCKCHECK_RE = (r"clockcheck: backwards=(\d+) maxback_ns=(\d+) "
                 r"cross_violations=(\d+) maxskew_ns=(-?\d+) reads=(\d+) "
                 r"pinned=(\d)\n")


def tolerance(accuracy, rate, host_s, rt0, rt1, resolution=0.0):
    """accuracy plus what the measurement itself cannot resolve: each
    sample is placed at the middle of its round trip, so the host window
    is known to +/- (rt0 + rt1) / 2 (a loaded host makes round trips
    long), and each guest reading to resolution (guest seconds)."""
    return (accuracy + (rt0 + rt1) / 2 / host_s +
            2 * resolution / (rate * host_s))


def rate_windows(m, sample, rates, window_s, accuracy, resolution=0.0,
                 host_clock=time.monotonic):
    """For each (num, den) of rates: set it live over m (a mgmt.Mgmt),
    read the guest's clock at the start and the end of a window of
    window_s host seconds, and compare its advance with rate x the host
    window. sample() -> (guest s, host s at the middle of the round trip
    that read it, round trip s); host_clock() reads the clock of those
    host times, so that the window ends window_s after the first sample
    (None: another clock; window_s after sample() returned). (lines,
    bad): a line for each window (printed), and those whose error is
    beyond tolerance()."""
    lines, bad = [], []
    for num, den in rates:
        clk = m.set_rate(num, den)
        assert (clk["rate_num"], clk["rate_den"]) == (num, den), clk
        line, ok = window(sample, num, den, window_s, accuracy, resolution,
                          host_clock)
        lines.append(line)
        if not ok:
            bad.append(line)
    return lines, bad


def window(sample, num, den, window_s, accuracy, resolution=0.0,
           host_clock=time.monotonic):
    """One window of rate_windows() at the rate the guest's clock runs now,
    num/den: (line, within tolerance)."""
    u0, h0, rt0 = sample()
    spent = host_clock() - h0 if host_clock else 0
    time.sleep(max(window_s - spent, 0))
    u1, h1, rt1 = sample()
    rate = num / den
    want = rate * (h1 - h0)
    err = (u1 - u0 - want) / want
    tol = tolerance(accuracy, rate, h1 - h0, rt0, rt1, resolution)
    line = ("rate %d/%d: host %.3f s, guest %.3f s, expected %.3f,"
            " error %+.4f %% of +/- %.4f %% (round trips %.3f/%.3f"
            " ms)" % (num, den, h1 - h0, u1 - u0, want, err * 100,
                      tol * 100, rt0 * 1000, rt1 * 1000))
    print(line)
    return line, abs(err) <= tol


def clockcheck_under_flips(vm, m, args):
    """`clockcheck ARGS` (seconds of guest time, cross-CPU bound in ns) on
    both vCPUs while the rate flips between 1/2 and 2 100 times and the
    clock steps forward 10 ms 5 times; then rate 1. Asserts that it ran
    pinned through all of it and saw time go back neither on one CPU nor
    across them. The clock as set_rate(1, 1) answered."""
    vm.check("test -x /bin/clockcheck")
    vm.skip()
    vm.send("clockcheck %s; echo clockcheck-exit=$?\n" % args)
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
    clk = m.set_rate(1, 1)
    out = vm.expect(CLOCKCHECK_RE, 120)
    rc = vm.expect(r"clockcheck-exit=(\d+)\n", 30)
    print("%d flips, %d steps in %.1f s; %s" % (flips, steps, flip_s,
                                                 out.group(0).strip()))
    assert not early, "clockcheck ended before the flips did: " + early.group(0)
    back, maxback, cross, maxskew, reads, pinned = map(int, out.groups())
    assert pinned == 1, out.group(0)
    assert back == 0 and cross == 0, out.group(0)
    assert rc.group(1) == "0", out.group(0)
    assert steps == 5 and flips == 100
    return clk
