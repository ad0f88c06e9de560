#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`verge vm list` as a user sees it (make bench): the wall time of the
whole command, process start to exit, with 100 VMs defined in a real
verged (TARGETS.md: <= 10 ms). Measured with hyperfine when it is
installed, else with a loop of subprocess runs; the CPU column is the
process's user + system time (verge's own, not verged's), which moves
less than wall time on a busy machine. `true` in the same run shows what
starting any process costs on this machine at this moment.

Side by side in the same run, where libvirt's virsh is installed: `virsh
list --all` over 100 domains of libvirt's test driver (test:///FILE,
in-process, no daemon), so the figure is virsh's own start-up and
listing, a lower bound for virsh against a real libvirtd.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import verged_harness as vh  # noqa: E402

TARGET_MS = 10.0
VMS = 100


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def run_once(cmd):
    """Wall ms and CPU ms (user + system) of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = (time.perf_counter() - t0) * 1e3
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0, cmd
    return wall, (ru.ru_utime + ru.ru_stime) * 1e3


def time_loop(cmd, runs):
    for _ in range(10):
        run_once(cmd)
    res = [run_once(cmd) for _ in range(runs)]
    return [w for w, _ in res], statistics.mean(c for _, c in res)


def time_hyperfine(cmds, runs):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run(["hyperfine", "-N", "--style", "none", "--warmup",
                        "10", "--runs", str(runs), "--export-json", f.name] +
                       [" ".join(c) for c in cmds], check=True,
                       stdout=subprocess.DEVNULL)
        res = json.load(open(f.name))["results"]
    return [([t * 1e3 for t in r["times"]], (r["user"] + r["system"]) * 1e3)
            for r in res]


def rpc_rtt(sock, method, runs):
    """Round trips of one method on one connection: verged's own share."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock)
        f = s.makefile("rb")
        req = b'{"jsonrpc":"2.0","id":1,"method":"%s"}\n' % method.encode()
        times = []
        for _ in range(runs + 10):
            t0 = time.perf_counter()
            s.sendall(req)
            assert b'"result"' in f.readline()
            times.append((time.perf_counter() - t0) * 1e3)
    return times[10:]


def virsh_node(dir):
    """A libvirt test-driver node with VMS domains."""
    path = Path(dir) / "node.xml"
    doms = "".join(
        "<domain type='test'><name>vm-%03d</name><memory>1048576</memory>"
        "<vcpu>2</vcpu><os><type>hvm</type></os></domain>\n" % i
        for i in range(VMS))
    path.write_text("<node>\n%s</node>\n" % doms)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--loop", action="store_true",
                    help="time with a subprocess loop even with hyperfine")
    args = ap.parse_args()

    if not vh.verged_bin().exists():
        sys.exit("bench/cli.py: no verged at %s (build it, or set VERGED)" %
                 vh.verged_bin())
    d = vh.Verged()
    try:
        d.start()
        (d.tmp / "Image").write_bytes(b"\0" * 4096)
        for i in range(VMS):
            r = d.verge("vm", "define", "vm-%03d" % i, "--kernel",
                        d.tmp / "Image")
            assert r.returncode == 0, r.stderr
        verge = [str(vh.verge_bin()), "--socket", str(d.socket)]
        out = subprocess.run(verge + ["vm", "list"], capture_output=True,
                             text=True, check=True).stdout
        assert len(out.splitlines()) == VMS + 1, out
        cmds = [("verge vm list", verge + ["vm", "list"]),
                ("verge --json vm list", verge + ["--json", "vm", "list"]),
                ("verge version (1 small call)", verge + ["version"]),
                ("true (process start floor)", [shutil.which("true")])]
        virsh = shutil.which("virsh")
        if virsh:
            uri = "test://%s" % virsh_node(d.tmp)
            cmds.append(("virsh list --all (test driver)",
                         [virsh, "-c", uri, "list", "--all"]))
        hyperfine = shutil.which("hyperfine") and not args.loop
        if hyperfine:
            results = time_hyperfine([c for _, c in cmds], args.runs)
        else:
            results = [time_loop(c, args.runs) for _, c in cmds]
        rtt = rpc_rtt(str(d.socket), "vm.list", args.runs)
    finally:
        d.cleanup()

    print("CLI wall time, %d VMs defined, %d runs each (%s)" % (
        VMS, args.runs, "hyperfine -N" if hyperfine else "subprocess loop"))
    print("  %-32s %8s %8s %8s %8s %9s" % (
        "command", "p50 ms", "p95 ms", "mean ms", "CPU ms", "target"))
    p50, cpu = [], []
    for (name, _), (t, c) in zip(cmds, results):
        p50.append(statistics.median(t))
        cpu.append(c)
        target = "<= %g ms" % TARGET_MS if "vm list" in name and \
            name.startswith("verge") else ""
        print("  %-32s %8.2f %8.2f %8.2f %8.2f %9s" % (
            name, p50[-1], quantile(t, 0.95), statistics.mean(t), c, target))
    print("  %-32s %8.2f %8.2f %8.2f" % (
        "vm.list round trip (verged only)", statistics.median(rtt),
        quantile(rtt, 0.95), statistics.mean(rtt)))
    print("  verge vm list beyond starting a process (p50 - true's p50): "
          "%.2f ms; CPU %.2f ms beyond true's" % (p50[0] - p50[3],
                                                  cpu[0] - cpu[3]))
    verdict = "meets" if p50[0] <= TARGET_MS else "MISSES"
    print("  verge vm list p50 %.2f ms %s the %g ms target" % (
        p50[0], verdict, TARGET_MS))
    if virsh:
        print("  virsh / verge (p50): %.1fx" % (p50[4] / p50[0]))


if __name__ == "__main__":
    main()
