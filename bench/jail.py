#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Jail figures (make bench; issue 13), measured in one run: the time from
vm.start to the VM's first console output (and, for a few pairs, to the
test initramfs's "userspace up") of a jailed VM and of the same VM under a
verged with [jail] isolation = off. Starts go in pairs, one of each, the
order alternating; the figure is the median of the per-pair ratios
jailed/unjailed, with its quartiles and a 90 % bootstrap interval, so that
the host's load, which changes over seconds, falls on both halves of a
pair alike. Target: the jailed start at most 5 % slower. Also vm.start's
own latency (the jail is set up before it replies), verge-jail's step
times (--trace: VERGE_JAIL_TRACE=1), and verged's resident memory with 10
jailed VMs running (each with its management channel up), against the
same verged with none.

On a loaded host a VM's resource group competes for the CPU as one
entity (cgroup v1 cpu: 1024 shares for all of QEMU's threads) where an
unjailed QEMU's threads each compete, which alone would make a jailed
start slower whatever the jail costs. So that the comparison measures
the jail (namespaces, pivot_root, uid, the helper) and not the
scheduler, the unjailed verged and its QEMU are put in a group of the
same shape (ROOT/CONTROLLER/TAG-off/bench in cpu, cpuacct, memory and
pids, as the jailed one's is ROOT/CONTROLLER/TAG-on/bench). --cpu-only
puts it in cpu and cpuacct only; --no-group leaves it ungrouped.

Needs root (the jail); prints a line saying so otherwise.
"""

import argparse
import glob
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import verged_harness as vh  # noqa: E402


def schedstat(pid):
    """(CPU time, time waiting on a run queue) of all of pid's threads, in
    seconds (/proc/PID/task/*/schedstat)."""
    run = wait = 0
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            a, b, _ = Path(f).read_text().split()
        except (OSError, ValueError):
            continue
        run += int(a)
        wait += int(b)
    return run / 1e9, wait / 1e9


def one_start(v, name, until_up):
    """vm.start's reply time, the time from vm.start to the VM's first
    console byte (and to "userspace up" if until_up), in seconds, and at
    the first byte QEMU's CPU time and run-queue wait so far; the VM is
    killed as soon as the last one is seen."""
    log = v.state / "vms" / name / "console.log"
    size = log.stat().st_size if log.exists() else 0
    t0 = time.perf_counter()
    pid = v.call("vm.start", name=name)["pid"]
    t_reply = time.perf_counter() - t0
    first = up = None
    cpu = wait = None
    while time.perf_counter() - t0 < 180:
        n = log.stat().st_size if log.exists() else 0
        if first is None and n > size:
            first = time.perf_counter() - t0
            cpu, wait = schedstat(pid)
            if not until_up:
                break
        if n > size:
            with open(log, "rb") as f:
                f.seek(size)
                if b"verge-init: userspace up" in f.read():
                    up = time.perf_counter() - t0
                    break
        time.sleep(0.002)
    v.call("vm.kill", name=name)
    vh.wait_for("stopped", lambda: v.call("vm.show", name=name)["state"]
                in ("stopped", "crashed"), 30)
    return t_reply, first, up, cpu, wait


def pairs(von, voff, n, until_up):
    """n pairs of starts, jailed and not, the order alternating: a list
    of (jailed, unjailed) results of one_start()."""
    out = []
    for i in range(n):
        a = one_start(von, "bench", until_up) if i % 2 == 0 else None
        b = one_start(voff, "bench", until_up)
        if a is None:
            a = one_start(von, "bench", until_up)
        out.append((a, b))
    return out


def quartiles(xs):
    q = statistics.quantiles(xs, n=4, method="inclusive") \
        if len(xs) > 1 else [xs[0]] * 3
    return q[0], statistics.median(xs), q[2]


def bootstrap(ratios, rounds=2000, seed=13):
    """A 90 % interval of the median ratio: the pairs resampled."""
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(ratios, k=len(ratios)))
                  for _ in range(rounds))
    return meds[int(rounds * 0.05)], meds[int(rounds * 0.95) - 1]


def report(what, res, k):
    """One line: the median of the per-pair ratios jailed/unjailed, their
    quartiles, the medians of each, and how many pairs were slower
    jailed."""
    ok = [(a[k], b[k]) for a, b in res if a[k] and b[k]]
    if not ok:
        print("  %-22s no data" % what)
        return None
    ratios = [a / b for a, b in ok]
    q1, med, q3 = quartiles(ratios)
    lo, hi = bootstrap(ratios)
    print("  %-22s %8.1f ms / %8.1f ms\n      per-pair ratio: median %+.1f %%"
          " (90 %% interval %+.1f .. %+.1f %%; quartiles %+.1f .. %+.1f %%);"
          " %d of %d pairs slower jailed; median difference %+.1f ms"
          % (what, statistics.median(a for a, _ in ok) * 1e3,
             statistics.median(b for _, b in ok) * 1e3, (med - 1) * 100,
             (lo - 1) * 100, (hi - 1) * 100, (q1 - 1) * 100, (q3 - 1) * 100,
             sum(r > 1 for r in ratios), len(ratios),
             statistics.median(a - b for a, b in ok) * 1e3))
    return med


def rss_with_vms(v, n):
    """verged's VmRSS (KiB) idle, then with n jailed VMs running and
    their management channels up; the VMs are killed afterwards."""
    idle = vh.rss_kib(v.pid)
    names = ["rss-%d" % i for i in range(n)]
    for name in names:
        vh.define_vm(v, name)
        v.call("vm.start", name=name)

    def live(name):
        try:
            return v.call("clock.show", name=name).get("live")
        except vh.RpcError:
            return False
    try:
        vh.wait_for("%d VMs' management channels" % n,
                    lambda: all(live(x) for x in names), 300)
        assert all(v.call("vm.show", name=x)["isolation"]["jail"]
                   for x in names)
        time.sleep(2)
        busy = vh.rss_kib(v.pid)
    finally:
        for name in names:
            v.call("vm.kill", name=name)
    return idle, busy


CONTROLLERS = ["cpu", "cpuacct", "memory", "pids"]


def cg_dirs(tag):
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").exists():
        return [root / tag]
    return [root / c / tag for c in CONTROLLERS]


def group_process(pid, tag):
    """Moves pid (with the children it starts later) into ROOT/CTL/TAG."""
    for d in cg_dirs(tag):
        d.mkdir(parents=True, exist_ok=True)
        (d / "cgroup.procs").write_text("%d\n" % pid)


def ungroup(tag):
    for d in cg_dirs(tag):
        for p in (d, d.parent):
            try:
                p.rmdir()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=20,
                    help="pairs of starts to the first console output")
    ap.add_argument("--up-pairs", type=int, default=3,
                    help="pairs of starts to userspace up (slow: 10-20 s"
                    " each under TCG)")
    ap.add_argument("--vms", type=int, default=10,
                    help="jailed VMs running for the RSS figure")
    ap.add_argument("--no-group", action="store_true",
                    help="leave the unjailed QEMU outside any group")
    ap.add_argument("--cpu-only", action="store_true",
                    help="v1: the unjailed group in cpu and cpuacct only"
                    " (not memory and pids)")
    ap.add_argument("--cpu-weight", type=int, default=0,
                    help="the jailed VM's --cpu-weight (default none)")
    ap.add_argument("--helper", help="the jailed verged's [jail] helper"
                    " (to compare another verge-jail)")
    ap.add_argument("--trace", action="store_true",
                    help="VERGE_JAIL_TRACE=1: verge-jail's step times, in"
                    " the jailed VM's qemu.log, summed up here")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("jail: skipped (jails need root)")
        return 0
    vh.guest_files()
    if a.cpu_only:
        CONTROLLERS[2:] = []
    tag = "verge-bench-%d" % os.getpid()
    jailed = vh.Verged(isolation="on", env={"VERGE_JAIL_TRACE": "1"}
                       if a.trace else None,
                       config_extra="[jail]\nhelper = %s\n" % a.helper
                       if a.helper else "")
    jailed.config.write_text(jailed.config.read_text().replace(
        "cgroup_parent = " + jailed.cgroup_parent,
        "cgroup_parent = %s-on" % tag))
    jailed.cgroup_parent = tag + "-on"
    with vh.running(jailed) as von, \
            vh.running(vh.Verged(isolation="off")) as voff:
        if not a.no_group:
            group_process(voff.pid, tag + "-off/bench")
        vh.define_vm(von, "bench", **({"cpu_weight": a.cpu_weight}
                                       if a.cpu_weight else {}))
        vh.define_vm(voff, "bench")
        one_start(von, "bench", False)      # warm both: page cache, ldd
        one_start(voff, "bench", False)
        first = pairs(von, voff, a.pairs, False)
        up = pairs(von, voff, a.up_pairs, True) if a.up_pairs else []
        steps = trace_steps(von) if a.trace else None
        voff.stop()
        rss = rss_with_vms(von, a.vms) if a.vms else None
    ungroup(tag + "-off/bench")
    print("jail: jailed / isolation off (%s%s), pairs of starts in turn,"
          " the order alternating; medians:"
          % ("ungrouped" if a.no_group else
             "in a group of the same shape",
             ", cpu weight %d" % a.cpu_weight if a.cpu_weight else ""))
    report("vm.start reply", first, 0)
    med = report("first console output", first, 1)
    if up:
        report("userspace up", up, 2)
    cpu = report("QEMU CPU to 1st output", first, 3)
    report("QEMU run-queue wait", first, 4)
    if med:
        print("  target: first output at most 5 %% slower jailed (median of"
              " %d per-pair ratios): %s" % (len(first), "met" if med <= 1.05
                                              else "NOT met"))
    if cpu:
        print("  QEMU's own work to the first output (CPU time, which the"
              " host's load does not stretch) at most 5 %% more jailed: %s"
              % ("met" if cpu <= 1.05 else "NOT met"))
    if steps:
        print("  verge-jail's steps (median over %d starts, ms from its"
              " start): %s" % (steps[0], ", ".join(
                  "%s %.2f" % (k, v) for k, v in steps[1])))
    if rss:
        print("  verged RSS: %d KiB idle, %d KiB with %d jailed VMs running"
              " (+%d KiB per VM)" % (rss[0], rss[1], a.vms,
                                     (rss[1] - rss[0]) // a.vms))
    return 0


def trace_steps(v):
    """The medians of verge-jail's VERGE_JAIL_TRACE lines in the bench
    VM's qemu.log: (starts, [(step, ms)])."""
    log = v.state / "vms" / "bench" / "qemu.log"
    by = {}
    order = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("verge-jail: ") and " ms " in line:
            ms, _, step = line[12:].strip().partition(" ms ")
            if step not in by:
                order.append(step)
            by.setdefault(step, []).append(float(ms))
    n = max((len(x) for x in by.values()), default=0)
    return n, [(k, statistics.median(by[k])) for k in order]


if __name__ == "__main__":
    sys.exit(main())
