#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Boot time and idle exits of a Linux guest under verge-hv (`make bench`).

1. Boot time: from QEMU start to the guest's "verge-init: userspace up",
   under verge-hv and on bare QEMU (the same emulated machine,
   virtualization=on, where Linux enters at EL2; and, as a second anchor,
   without virtualization=on, where it enters at EL1). Runs are interleaved
   so that load on the host hits every configuration alike; medians and
   ratios are measured in this one run (see ARCHITECTURE.md: compare
   ratios, never absolute TCG times). The ratio is the median of the
   per-round ratios, in wall time and in QEMU's CPU time (user + system
   of the QEMU process up to that line), which a loaded host disturbs
   less: it does not count the time QEMU waited for a core.
2. Idle exits: with verge.stats=1 the hypervisor prints every second
   "verge-hv: exits t_ms=... total=N irq=N ..." (cumulative); two lines
   about 10 s apart, after the guest has settled, give exits per second.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "linux"))
import linuxvm as lv  # noqa: E402

TARGET_RATIO = 1.10
EXITS_RE = re.compile(r"verge-hv: exits ([^\n]*)")

CONFIGS = [
    # name, label, command builder, hypervisor banner expected
    ("hv", "verge-hv", lambda a: lv.hv_cmd(cpu=a.cpu, smp=a.smp), True),
    ("bare", "bare (virtualization=on, EL2)",
     lambda a: lv.bare_cmd(cpu=a.cpu, smp=a.smp, virtualization=True), False),
    ("bare-el1", "bare (no virtualization, EL1)",
     lambda a: lv.bare_cmd(cpu=a.cpu, smp=a.smp, virtualization=False), False),
]


def qemu_pid(vm):
    """The QEMU under the VM's coreutils `timeout`, or None."""
    for _ in range(50):
        try:
            with open("/proc/%d/task/%d/children" % (vm.proc.pid,
                                                      vm.proc.pid)) as f:
                kids = f.read().split()
        except OSError:
            return None
        if kids:
            return int(kids[0])
        time.sleep(0.02)
    return None


def cpu_seconds(pid):
    """User + system CPU seconds of process pid (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def boot_once(cmd, timeout):
    """(seconds from QEMU start to the userspace line, QEMU's CPU seconds
    by then), or (None, None)."""
    vm = lv.VM(cmd)
    try:
        pid = qemu_pid(vm)
        vm.expect_line(lv.USERSPACE_UP, timeout)
        t = time.monotonic() - vm.start
        return t, cpu_seconds(pid) if pid else None
    except (AssertionError, OSError) as e:
        print("  run failed: %s" % str(e).splitlines()[0], file=sys.stderr)
        return None, None
    finally:
        vm.kill()


def pair_ratio(a, b):
    """Median of a[i] / b[i] over the rounds where both ran, or None."""
    r = [x / y for x, y in zip(a, b) if x and y]
    return statistics.median(r) if r else None


def bench_boot(args):
    times = {name: [] for name, _, _, _ in CONFIGS}
    cpu = {name: [] for name, _, _, _ in CONFIGS}
    for i in range(args.runs):
        for name, _, build, _ in CONFIGS:
            t, c = boot_once(build(args), args.timeout)
            times[name].append(t)
            cpu[name].append(c)
            print("run %d %-9s %s" % (i + 1, name, "%.2f s (QEMU CPU %.2f s)"
                  % (t, c or 0) if t is not None else "FAILED"), flush=True)

    print()
    print('boot to "%s" (%d interleaved runs each, %s, -smp %d), seconds'
          % (lv.USERSPACE_UP, args.runs, args.cpu, args.smp))
    print("  %-31s %7s %7s %7s %5s" % ("", "median", "min", "max", "ok"))
    med = {}
    for name, label, _, _ in CONFIGS:
        ok = [t for t in times[name] if t is not None]
        if ok:
            med[name] = statistics.median(ok)
            print("  %-31s %7.2f %7.2f %7.2f %2d/%d" % (label, med[name],
                  min(ok), max(ok), len(ok), args.runs))
        else:
            print("  %-31s %7s %7s %7s %2d/%d" % (label, "-", "-", "-", 0,
                  args.runs))
    print()
    good = "hv" in med and "bare" in med
    if good:
        r = pair_ratio(times["hv"], times["bare"])
        rc = pair_ratio(cpu["hv"], cpu["bare"])
        print("boot ratio verge-hv/bare (QEMU 7.2, median of the per-round "
              "ratios): %.2f, in QEMU CPU time %s (target <= %.2f)%s"
              % (r, "%.2f" % rc if rc else "n/a", TARGET_RATIO,
                 "" if r <= TARGET_RATIO else "  ABOVE TARGET"))
    else:
        print("boot ratio verge-hv/bare: n/a (no successful runs)")
    if "hv" in med and "bare-el1" in med:
        print("boot ratio verge-hv/bare-el1: %.2f"
              % pair_ratio(times["hv"], times["bare-el1"]))
    return good and all(None not in times[n] for n in times)


def parse_exits(line):
    """key=value pairs of one exits line -> {key: int}."""
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def next_exits(vm, timeout):
    m = vm.expect(EXITS_RE, timeout)
    return parse_exits(m.group(1))


def bench_idle_exits(args):
    print()
    print("idle exits under verge-hv (verge.stats=1, guest idle at its shell)")
    vm = lv.VM(lv.hv_cmd(cpu=args.cpu, smp=args.smp, hv_opts="verge.stats=1"))
    try:
        try:
            lv.boot(vm, shell=True, hv=True)
            if not vm.drain(args.settle):
                vm.fail("QEMU exited while the guest settled")
            vm.skip()       # sample only lines printed after settling
            first = next_exits(vm, 5)
            while "t_ms" not in first:
                first = next_exits(vm, 5)
            second = first
            while second.get("t_ms", 0) - first["t_ms"] < args.idle * 1000:
                second = next_exits(vm, args.idle + 5)
        except AssertionError as e:
            print("  no exit statistics: %s" % str(e).splitlines()[0])
            return False
    finally:
        vm.kill()

    dt = (second["t_ms"] - first["t_ms"]) / 1000.0
    keys = [k for k in second if k != "t_ms"]
    print("  over %.1f s (t_ms %d -> %d), all CPUs" % (dt, first["t_ms"],
                                                      second["t_ms"]))
    print("  %-10s %12s %12s" % ("class", "exits", "per second"))
    for k in keys:
        d = second[k] - first.get(k, 0)
        print("  %-10s %12d %12.1f" % (k, d, d / dt))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cpu", default="cortex-a57")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=lv.BOOT_TIMEOUT,
                    help="seconds allowed for one boot")
    ap.add_argument("--settle", type=float, default=2,
                    help="seconds idle before the first exits sample")
    ap.add_argument("--idle", type=float, default=10,
                    help="seconds between the two exits samples")
    ap.add_argument("--no-exits", action="store_true",
                    help="skip the idle-exits measurement")
    args = ap.parse_args()

    hv = lv.build_dir() / "verge-hv.bin"
    for f in (hv, lv.cache_dir() / "Image", lv.initrd_path()):
        if not f.exists():
            sys.exit("bench: missing %s (run make, make fixtures)" % f)
    ok = bench_boot(args)
    if not args.no_exits:
        ok = bench_idle_exits(args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
