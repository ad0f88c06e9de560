#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Jail figures (make bench; issue 13), measured in one run: the time from
vm.start to the VM's first console output, and to the test initramfs's
"userspace up", for a jailed VM and for the same VM under a verged with
[jail] isolation = off, starts interleaved so that the host's load falls
on both alike. Target: the jailed start at most 5 % slower. Also
vm.start's own latency (the jail is set up before it replies), and
verged's resident memory with 10 jailed VMs running (each with its
management channel up), against the same verged with none.

On a loaded host a VM's resource group competes for the CPU as one
entity (cgroup v1 cpu: 1024 shares for all of QEMU's threads) where an
unjailed QEMU's threads each compete, which alone would make a jailed
start slower whatever the jail costs. So that the comparison measures
the jail (namespaces, pivot_root, uid, the helper) and not the
scheduler, the unjailed verged and its QEMU are put in a group of the
same shape (ROOT/CONTROLLER/TAG-off/bench, as the jailed one's is
ROOT/CONTROLLER/TAG-on/bench). --cpu-weight gives the jailed VM's group
more weight; --no-group leaves the unjailed QEMU ungrouped.

Needs root (the jail); prints a line saying so otherwise.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import verged_harness as vh  # noqa: E402


def one_start(v, name):
    log = v.state / "vms" / name / "console.log"
    size = log.stat().st_size if log.exists() else 0
    t0 = time.perf_counter()
    v.call("vm.start", name=name)
    t_reply = time.perf_counter() - t0
    first = up = None
    while time.perf_counter() - t0 < 180 and up is None:
        n = log.stat().st_size if log.exists() else 0
        if first is None and n > size:
            first = time.perf_counter() - t0
        if n > size:
            with open(log, "rb") as f:
                f.seek(size)
                if b"verge-init: userspace up" in f.read():
                    up = time.perf_counter() - t0
        time.sleep(0.005)
    v.call("vm.kill", name=name)
    vh.wait_for("stopped", lambda: v.call("vm.show", name=name)["state"]
                in ("stopped", "crashed"), 30)
    return t_reply, first, up


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


def cg_dirs(tag):
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").exists():
        return [root / tag]
    return [root / c / tag for c in ("cpu", "cpuacct")]


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
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--vms", type=int, default=10,
                    help="jailed VMs running for the RSS figure")
    ap.add_argument("--no-group", action="store_true",
                    help="leave the unjailed QEMU outside any group")
    ap.add_argument("--cpu-weight", type=int, default=0,
                    help="the jailed VM's --cpu-weight (default none)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("jail: skipped (jails need root)")
        return 0
    vh.guest_files()
    res = {"on": [], "off": []}
    tag = "verge-bench-%d" % os.getpid()
    jailed = vh.Verged(isolation="on")
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
        for i in range(a.runs):
            order = (("on", von), ("off", voff))
            for mode, v in (order if i % 2 == 0 else order[::-1]):
                res[mode].append(one_start(v, "bench"))
        voff.stop()
        rss = rss_with_vms(von, a.vms) if a.vms else None
    ungroup(tag + "-off/bench")
    med = {m: [statistics.median(x[k] for x in r) for k in range(3)]
           for m, r in res.items()}
    print("jail: %d starts each, interleaved; medians (jailed%s / isolation"
          " off, %s):" % (a.runs, ", cpu weight %d" % a.cpu_weight
                          if a.cpu_weight else "",
                          "ungrouped" if a.no_group else
                          "in a group of the same shape"))
    for k, what in enumerate(("vm.start reply", "first console output",
                              "userspace up")):
        on, off = med["on"][k], med["off"][k]
        print("  %-22s %8.1f ms / %8.1f ms  (%+.1f %%)"
              % (what, on * 1e3, off * 1e3, (on / off - 1) * 100))
    on, off = med["on"][1], med["off"][1]
    print("  target: first output at most 5 %% slower jailed: %s"
          % ("met" if on <= off * 1.05 else "NOT met"))
    if rss:
        print("  verged RSS: %d KiB idle, %d KiB with %d jailed VMs running"
              " (+%d KiB per VM)" % (rss[0], rss[1], a.vms,
                                     (rss[1] - rss[0]) // a.vms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
