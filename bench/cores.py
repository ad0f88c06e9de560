#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Boot time under verge-hv against bare QEMU on QEMU 10's CPU models
(`make bench`, issue 14).

For each model (default cortex-a57 and max) the Debian kernel boots to
"verge-init: userspace up" on 2 vCPUs under verge-hv and on bare QEMU
(virtualization=on: the same emulated machine, Linux entered at EL2).
All runs are interleaved, model by model and configuration by
configuration, so that load on the host hits each alike; the table shows
the medians and the ratio per model, measured in this one run (compare
ratios, never absolute TCG times): the median of the per-round ratios in
wall time, and in QEMU's CPU time (as bench/boot.py). The QEMU is $VERGE_QEMU10, else
$VERGE_CACHE/qemu10/usr/bin/qemu-system-aarch64 (`make deps`).
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "linux"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import linuxvm as lv  # noqa: E402
from boot import cpu_seconds, pair_ratio, qemu_pid  # noqa: E402

TARGET_RATIO = 1.10


def qemu10():
    q = Path(os.environ.get("VERGE_QEMU10") or lv.cache_dir() / "qemu10" /
             "usr" / "bin" / "qemu-system-aarch64")
    return q if q.is_absolute() else lv.REPO / q


def command(qemu, hv, cpu, smp):
    """The QEMU command line with qemu as the binary (and its -L)."""
    old = os.environ.get("VERGE_QEMU")
    os.environ["VERGE_QEMU"] = str(qemu)
    try:
        if hv:
            return lv.hv_cmd(cpu=cpu, smp=smp)
        return lv.bare_cmd(cpu=cpu, smp=smp, virtualization=True)
    finally:
        if old is None:
            del os.environ["VERGE_QEMU"]
        else:
            os.environ["VERGE_QEMU"] = old


def boot_once(cmd, timeout):
    """(seconds from QEMU start to userspace, QEMU's CPU seconds by then,
    None) or (None, None, why)."""
    vm = lv.VM(cmd)
    try:
        pid = qemu_pid(vm)
        # a guest verge-hv refused never comes up: no need to wait
        m = vm.expect(r"(?m)^%s$|UNDEF injected" % re.escape(
            lv.USERSPACE_UP), timeout)
        if m.group(0) != lv.USERSPACE_UP:
            vm.fail("refused")
        t = time.monotonic() - vm.start
        return t, cpu_seconds(pid) if pid else None, None
    except (AssertionError, OSError):
        undef = [x for x in vm.text.splitlines() if "UNDEF injected" in x]
        return None, None, (undef[0] if undef else vm.tail(1))
    finally:
        vm.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cpus", default="cortex-a57,max",
                    help="comma-separated QEMU 10 CPU models")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=lv.BOOT_TIMEOUT)
    args = ap.parse_args()

    q = qemu10()
    for f in (q, lv.hv_bin(), lv.cache_dir() / "Image", lv.initrd_path()):
        if not f.exists():
            sys.exit("bench: missing %s (run make deps, make)" % f)
    models = [c for c in args.cpus.split(",") if c]
    configs = [(cpu, hv) for cpu in models for hv in (True, False)]
    times = {c: [] for c in configs}
    cpus = {c: [] for c in configs}
    why = {}
    for i in range(args.runs):
        for cpu, hv in configs:
            t, c, bad = boot_once(command(q, hv, cpu, args.smp),
                                  args.timeout)
            times[(cpu, hv)].append(t)
            cpus[(cpu, hv)].append(c)
            if bad:
                why[(cpu, hv)] = bad
            print("run %d %-12s %-8s %s" % (i + 1, cpu, "verge-hv" if hv
                  else "bare", "%.2f s" % t if t is not None else "FAILED"),
                  flush=True)

    print()
    print('QEMU 10 (%s): boot to "%s", %d interleaved runs, -smp %d, '
          "median seconds" % (q, lv.USERSPACE_UP, args.runs, args.smp))
    print("  %-12s %10s %10s %8s %10s" % ("model", "verge-hv", "bare", "ratio",
                                          "CPU ratio"))
    ok = True
    for cpu in models:
        med = {}
        for hv in (True, False):
            good = [t for t in times[(cpu, hv)] if t is not None]
            if good:
                med[hv] = statistics.median(good)
            ok = ok and len(good) == args.runs
        cell = {hv: "%.2f" % med[hv] if hv in med else "-" for hv in
                (True, False)}
        r = pair_ratio(times[(cpu, True)], times[(cpu, False)])
        rc = pair_ratio(cpus[(cpu, True)], cpus[(cpu, False)])
        note = ""
        if r and r > TARGET_RATIO:
            note = "  ABOVE TARGET %.2f" % TARGET_RATIO
        print("  %-12s %10s %10s %8s %10s%s" % (
            cpu, cell[True], cell[False], "%.2f" % r if r else "n/a",
            "%.2f" % rc if rc else "n/a", note))
        for hv in (True, False):
            if (cpu, hv) in why:
                print("    %s failed: %s" % ("verge-hv" if hv else "bare",
                                             why[(cpu, hv)]))
    print("boot ratio verge-hv/bare on QEMU 10 (per model above, median of "
          "the per-round ratios): target <= %.2f" % TARGET_RATIO)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
