#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Jail figures (make bench; issue 13), measured in one run: the time from
vm.start to the VM's first console output, and to the test initramfs's
"userspace up", for a jailed VM and for the same VM under a verged with
[jail] isolation = off, starts interleaved so that the host's load falls
on both alike. Target: the jailed start at most 5 % slower. Also
vm.start's own latency (the jail is set up before it replies).

On a loaded host the jailed VM's resource group competes as one entity
(cgroup v1 cpu: 1024 shares for all of QEMU's threads) where an unjailed
QEMU's threads each compete; --cpu-weight gives the jailed VM's group
more weight to tell that apart from the jail's own cost.

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cpu-weight", type=int, default=0,
                    help="the jailed VM's --cpu-weight (default none)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("jail: skipped (jails need root)")
        return 0
    vh.guest_files()
    res = {"on": [], "off": []}
    with vh.running(vh.Verged(isolation="on")) as von, \
            vh.running(vh.Verged(isolation="off")) as voff:
        vh.define_vm(von, "bench", **({"cpu_weight": a.cpu_weight}
                                       if a.cpu_weight else {}))
        vh.define_vm(voff, "bench")
        for i in range(a.runs):
            order = (("on", von), ("off", voff))
            for mode, v in (order if i % 2 == 0 else order[::-1]):
                res[mode].append(one_start(v, "bench"))
    med = {m: [statistics.median(x[k] for x in r) for k in range(3)]
           for m, r in res.items()}
    print("jail: %d starts each, interleaved; medians (jailed%s / isolation"
          " off):" % (a.runs, ", cpu weight %d" % a.cpu_weight
                      if a.cpu_weight else ""))
    for k, what in enumerate(("vm.start reply", "first console output",
                              "userspace up")):
        on, off = med["on"][k], med["off"][k]
        print("  %-22s %8.1f ms / %8.1f ms  (%+.1f %%)"
              % (what, on * 1e3, off * 1e3, (on / off - 1) * 100))
    on, off = med["on"][1], med["off"][1]
    print("  target: first output at most 5 %% slower jailed: %s"
          % ("met" if on <= off * 1.05 else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
