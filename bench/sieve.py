#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A memory-bound guest program under verge-hv against bare QEMU (`make
bench`, issue 18).

The bare-metal test guest (tests/guest/bench_sieve.c) runs a sieve of
Eratosthenes over N + 1 bytes, once with its MMU off and once with it on
(the array in 4 KiB pages), and times each pass with its own counter
(CNTVCT_EL0 at rate 1: guest time is host time, on both sides). The same
image runs under verge-hv and on bare QEMU (the same binary, started at
EL1 by a generic loader; a loader also writes the option word that asks
for the sieve). Runs alternate, hv then bare, and each pair gives a ratio
per pass; the table shows the median of the per-pair ratios, so that load
on the host, which changes between pairs, cancels out as far as it can.
"""

import argparse
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "linux"))
import linuxvm as lv  # noqa: E402

TARGET_RATIO = 1.10
GUEST_ADDR = "0x44000000"
OPT_ADDR = "0x47fff000"		# bench_sieve.c: SIEVE_OPT
MAGIC = 0x56454953		# "SIEV"
LINE = re.compile(r"^SIEVE mmu=(on|off) n=(\d+) primes=(\d+) ticks=(\d+) "
                  r"freq=(\d+)$", re.M)
# pi(N) for the N the bench may be given (a wrong count is a broken run)
PRIMES = {1: 78498, 2: 148933, 5: 348513, 10: 664579, 20: 1270607,
          50: 3001134, 100: 5761455, 200: 11078937}


def guest_bin():
    return lv.build_dir() / "tests" / "guest" / "guest.bin"


def command(hv, millions, cpu, qemu=None):
    """hv: the verge-hv.bin to run the guest under, or None for bare."""
    q = qemu or lv.qemu_bin()
    opt = "0x%x" % (millions << 32 | MAGIC)
    cmd = [q] + lv.qemu_data_args(q) + [
        "-M", "virt,gic-version=3" + (",virtualization=on" if hv else ""),
        "-cpu", cpu, "-smp", "2", "-m", "1G", "-nographic", "-no-reboot",
        "-device", "loader,file=%s,addr=%s,force-raw=on"
        % (guest_bin(), GUEST_ADDR),
        "-device", "loader,addr=%s,data=%s,data-len=8" % (OPT_ADDR, opt)]
    if hv:
        return cmd + ["-kernel", str(hv),
                      "-append", "verge.kernel=%s --" % GUEST_ADDR]
    return cmd + ["-device", "loader,addr=%s,cpu-num=0" % GUEST_ADDR]


def cpu_seconds(pid):
    """User + system CPU seconds of process pid and its threads so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(cmd, millions, timeout):
    """({"on": s, "off": s, "cpu-on": s, "cpu-off": s}, None) of one run:
    guest-timed seconds and QEMU's CPU seconds per pass; or (None, why)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, env=lv.qemu_env(cmd[0]))
    deadline = time.monotonic() + timeout
    got, lines, why = {}, [], None
    try:
        os.set_blocking(proc.stdout.fileno(), False)
        buf = b""
        mark = None
        while not {"on", "off"} <= set(got):
            left = deadline - time.monotonic()
            if left <= 0:
                why = "timeout"
                break
            r, _, _ = select.select([proc.stdout], [], [], min(left, 1))
            if not r:
                continue
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                why = (lines or ["QEMU exited"])[-1]
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").replace("\r", "")
                lines.append(line)
                if line == "PASS boot_el":	# the sieve starts now
                    mark = cpu_seconds(proc.pid)
                m = LINE.match(line)
                if not m:
                    continue
                now = cpu_seconds(proc.pid)
                mmu, n, primes, ticks, freq = m.groups()
                want = PRIMES.get(millions)
                if int(n) != millions * 1000000 or \
                        (want and int(primes) != want):
                    why = "wrong result: %s" % line
                    break
                got[mmu] = int(ticks) / int(freq)
                got["cpu-" + mmu] = now - (mark if mark is not None else 0)
                mark = now
            if why:
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    if why or set(got) != {"on", "off", "cpu-on", "cpu-off"}:
        return None, why or "incomplete"
    return got, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="pairs")
    ap.add_argument("--n", type=int, default=100,
                    help="N in millions (default 100)")
    ap.add_argument("--cpu", default="cortex-a57")
    ap.add_argument("--hv", action="append", metavar="NAME=PATH",
                    help="a verge-hv.bin to compare (repeatable; default "
                    "the build's, as verge-hv)")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()

    hvs = [h.split("=", 1) for h in args.hv] if args.hv else \
        [("verge-hv", str(lv.hv_bin()))]
    for f in [guest_bin()] + [Path(p) for _, p in hvs]:
        if not f.exists():
            sys.exit("bench: missing %s (run make)" % f)
    configs = hvs + [("bare", None)]
    res = {name: [] for name, _ in configs}
    ok = True
    for i in range(args.runs):
        for name, hv in configs:
            t0 = time.monotonic()
            r, why = run_once(command(hv, args.n, args.cpu), args.n,
                              args.timeout)
            res[name].append(r)
            ok = ok and r is not None
            print("run %d %-10s %s (%.0f s wall)" % (
                i + 1, name, "off %.2f s (cpu %.2f), on %.2f s (cpu %.2f)"
                % (r["off"], r["cpu-off"], r["on"], r["cpu-on"])
                if r else "FAILED: %s" % why, time.monotonic() - t0),
                flush=True)

    print()
    print("sieve of %d million, %s, %d alternating runs: medians of the "
          "guest-timed seconds per pass, and of the per-pair ratios to bare "
          "(guest time; QEMU's CPU time in brackets)"
          % (args.n, args.cpu, args.runs))
    print("  %-10s %7s %7s %7s   %12s %12s %12s" % (
        "", "mmu off", "mmu on", "total", "ratio off", "ratio on",
        "ratio total"))
    bare = res["bare"]
    summary = None
    for name, _ in configs:
        rs = [r for r in res[name] if r]
        if not rs:
            print("  %-10s no successful run" % name)
            continue
        med = {k: statistics.median(r[k] for r in rs) for k in ("off", "on")}
        line = "  %-10s %7.2f %7.2f %7.2f" % (name, med["off"], med["on"],
                                              med["off"] + med["on"])
        pairs = [(a, b) for a, b in zip(res[name], bare) if a and b]
        if name != "bare" and pairs:
            cells = []
            for keys in (("off",), ("on",), ("off", "on")):
                rat = [statistics.median(sum(a[p + k] for k in keys) /
                                         sum(b[p + k] for k in keys)
                                         for a, b in pairs)
                       for p in ("", "cpu-")]
                cells.append("%5.2f [%4.2f]" % tuple(rat))
            tot = statistics.median((a["off"] + a["on"]) /
                                    (b["off"] + b["on"]) for a, b in pairs)
            line += "   %12s %12s %12s" % tuple(cells)
            if tot > TARGET_RATIO:
                line += "  ABOVE TARGET"
            if summary is None:
                summary = tot
        print(line)
    print("sieve ratio verge-hv/bare (MMU on and off, guest time): %s "
          "(target <= %.2f)" % ("%.2f" % summary if summary else "n/a",
                                TARGET_RATIO))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
