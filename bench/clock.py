#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Guest clock control figures (make bench), measured in one run:

- dilation (CNTVOFF steering; cortex-a57 has no FEAT_ECV): a Linux guest
  under verge-hv on 2 vCPUs, rate set live to 1, 0.1, 0.5, 2 and 10; per
  rate, over a host window: the rate error of the guest's /proc/uptime,
  the largest |CNTVCT - G| a guest could have read (max_error_ticks, reset
  by each rate change), the share of host time stalled, and the cost of
  a guest clock_gettime in guest time against rate 1 (tests/linux/
  clockcost.c; a ratio of the same run);
- a trapped CNTPCT read against an untrapped CNTVCT read, timed in the
  bare-metal test guest (its cntpct_cost line);
- the round trip of a set-rate request over the management channel
  (verge-mgmt latency: p50, p99).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "tests" / "linux"))

import linuxvm  # noqa: E402
import mgmt  # noqa: E402

RATES = ((1, 1), (1, 10), (1, 2), (2, 1), (10, 1))
COST_CALLS = 20000


def clock_cost(vm):
    """clockcost's ns per clock_gettime, in guest time."""
    out = vm.check("clockcost %d" % COST_CALLS, timeout=300)
    m = re.search(r"ns_per_call=([\d.]+)", out)
    return float(m.group(1)) if m else float("nan")


def dilation(window):
    sock = os.path.join(tempfile.mkdtemp(prefix="verge-bench-"), "mgmt.sock")
    vm = linuxvm.VM(linuxvm.hv_cmd(extra_args=mgmt.qemu_args(sock)))
    rows = []
    try:
        linuxvm.boot(vm)
        with mgmt.Mgmt(sock).connect() as c:
            for num, den in RATES:
                c0 = c.set_rate(num, den)
                u1, h1, _ = vm.uptime()
                # A slowed guest answers slowly: give it a guest window of
                # at least 2 s so sampling stays well under 1 %.
                vm.drain(max(window - (time.monotonic() - h1),
                             2.0 * den / num))
                u2, h2, _ = vm.uptime()
                clk = c.clock()
                cost = clock_cost(vm)
                want = num / den
                got = (u2 - u1) / (h2 - h1)
                rows.append((want, got, (got - want) / want * 100,
                             clk["max_error_ticks"] * 1e3 / clk["guest_freq"],
                             (clk["stalled_ticks"] - c0["stalled_ticks"]) /
                             (clk["host_counter"] - c0["host_counter"]) * 100,
                             cost))
            c.set_rate(1, 1)
        latency = subprocess.run(
            [str(linuxvm.build_dir() / "verge-mgmt"), sock, "latency", "200"],
            capture_output=True, text=True, timeout=120).stdout
    finally:
        vm.kill()
    return rows, latency


def cntpct_cost():
    b = linuxvm.build_dir()
    cmd = [linuxvm.qemu_bin(), "-M", "virt,virtualization=on,gic-version=3",
           "-cpu", "cortex-a57", "-smp", "2", "-m", "1G", "-nographic",
           "-no-reboot", "-kernel", str(b / "verge-hv.bin"), "-device",
           "loader,file=%s,addr=0x44000000,force-raw=on"
           % (b / "tests/guest/guest.bin"),
           "-append", "verge.kernel=0x44000000 --"]
    out = subprocess.run(["timeout", "-s", "KILL", "60"] + cmd,
                         stdin=subprocess.DEVNULL, capture_output=True,
                         text=True).stdout
    m = re.search(r"INFO cntpct_cost: (.*)", out)
    return m.group(1).strip() if m else "(no cntpct_cost line)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=float, default=10.0,
                    help="host seconds per rate (default 10)")
    args = ap.parse_args()

    rows, latency = dilation(args.window)
    base = rows[0][5]
    print("\ndilation (Linux, -smp 2, cortex-a57; host windows of %.0f s, "
          "load average %.1f)" % (args.window, os.getloadavg()[0]))
    print("  %6s %10s %9s %14s %10s %16s" % (
        "rate", "measured", "error %", "max |V-G| ms", "stalled %",
        "clock_gettime x"))
    for want, got, err, maxerr, stalled, cost in rows:
        print("  %6.2f %10.4f %+9.3f %14.3f %10.1f %16.2f"
              % (want, got, err, maxerr, stalled, cost / base))
    print("  (max |V-G| in guest ms since the rate was set, target 1 ms; "
          "clock_gettime x: its cost in guest time against rate 1, %.0f ns)"
          % base)
    print("\ntrap-and-scale read cost (test guest): " + cntpct_cost())
    print("\nset-rate round trip over the management channel:")
    print("  " + (latency.strip() or "(verge-mgmt latency printed nothing)"))
    return 0 if all(abs(r[2]) < 1.0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
