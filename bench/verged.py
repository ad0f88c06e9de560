#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""verged figures (make bench), measured in one run and printed beside the
TARGETS.md targets:

- vm.list with 100 defined VMs over JSON-RPC, one connection: calls per
  second, p50 and p99 latency (the client is Python; its own cost is in
  the figures, as it was in the libvirt anchor's);
- verged's resident memory with 0 VMs, with 100 defined VMs, and with N
  running VMs (QEMU + verge-hv started, QMP and management channel
  connected; the guests are killed right after);
- wake-ups of an idle verged (context switches over a few seconds);
- `verge vm list` wall time, if the CLI is built (build/verge).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import verged_harness as vh  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def cpu_seconds(pid):
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def list_latency(vd, seconds):
    """Round trips of vm.list on one connection, timed to the last byte
    of the reply (the client does not parse it: that is its own cost,
    measured apart); and verged's CPU time per call."""
    req = b'{"jsonrpc":"2.0","id":1,"method":"vm.list"}\n'
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(vd.socket))
    lat = []
    # read into a buffer allocated once: a fresh 1 MB bytes object per
    # recv() cost the client more than verged spends on the call
    rbuf = bytearray(4 << 20)
    view = memoryview(rbuf)

    def one():
        s.sendall(req)
        n = 0
        while not n or rbuf[n - 1] != 10:
            n += s.recv_into(view[n:])
        return n

    for _ in range(50):                 # warm-up
        one()
    cpu0 = cpu_seconds(vd.pid)
    t_start = time.perf_counter()
    end = t_start + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        n = one()
        lat.append(time.perf_counter() - t)
    total = time.perf_counter() - t_start
    cpu = (cpu_seconds(vd.pid) - cpu0) / len(lat)
    buf = bytes(rbuf[:n])
    view.release()
    s.close()
    t = time.perf_counter()
    vms = json.loads(buf)["result"]
    parse = time.perf_counter() - t
    assert len(vms) == 100
    return (len(lat) / total, pct(lat, 50) * 1e6, pct(lat, 99) * 1e6,
            cpu * 1e6, parse * 1e6, len(buf))


def idle_wakeups(vd, seconds):
    # idle: after the heap trim that follows large replies (1 s,
    # SERVER_TRIM_MS in agentd/server.h)
    time.sleep(1.5)
    before = vh.ctx_switches(vd.pid)
    time.sleep(seconds)
    return (vh.ctx_switches(vd.pid) - before) / seconds


def cli_list(vd, runs):
    verge = vh.verge_bin()
    if not verge.exists():
        return None
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run([str(verge), "--socket", str(vd.socket), "vm",
                            "list"], capture_output=True)
        times.append(time.perf_counter() - t)
        if r.returncode:
            return None
    return statistics.median(times) * 1e3


def clock_live(vd, name):
    try:
        return vd.call("clock.show", name=name).get("live")
    except vh.RpcError:
        return False


def running_rss(vd, n, image, initrd):
    for i in range(n):
        vd.call("vm.define", name="run-%02d" % i, kernel=str(image),
                initrd=str(initrd), memory_mib=256, cpus=1)
        vd.call("vm.start", name="run-%02d" % i)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        vms = [v for v in vd.call("vm.list") if v["name"].startswith("run-")]
        if all(v["state"] == "running" for v in vms) and all(
                clock_live(vd, v["name"]) for v in vms):
            break
        time.sleep(0.5)
    else:
        return None
    rss = vh.rss_kib(vd.pid)
    for i in range(n):
        vd.call("vm.kill", name="run-%02d" % i)
    return rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--running", type=int,
                    default=int(os.environ.get("VERGED_BENCH_RUNNING", 10)))
    args = ap.parse_args()

    # the REST server on a port of its own: on the default one, taken by
    # another verged, it would be off and its memory not counted
    with socket.socket() as p:
        p.bind(("127.0.0.1", 0))
        port = p.getsockname()[1]
    vd = vh.Verged(config_extra="[rest]\nlisten = 127.0.0.1:%d\n" % port)
    try:
        vd.start()
        time.sleep(0.3)
        rss0 = vh.rss_kib(vd.pid)
        kernel = vd.tmp / "Image"
        kernel.write_bytes(b"k")
        with vd.client() as c:
            for i in range(100):
                c.call("vm.define", name="vm-%03d" % i, kernel=str(kernel))
        rate, p50, p99, cpu, parse, size = list_latency(vd, args.seconds)
        rss_busy = vh.rss_kib(vd.pid)
        wake = idle_wakeups(vd, 3)
        rss100 = vh.rss_kib(vd.pid)
        cli = cli_list(vd, 20)
        image = vh.cache_dir() / "Image"
        initrd = vh.build_dir() / "initrd.gz"
        rssn = None
        if args.running and image.exists() and initrd.exists():
            rssn = running_rss(vd, args.running, image, initrd)
    finally:
        vd.cleanup()

    rows = [
        ("vm.list, 100 VMs (%d KB), one connection" % (size // 1024),
         "%.0f calls/s" % rate, ""),
        ("  p50 latency", "%.0f us" % p50, "<= 100 us (libvirt 542 us)"),
        ("  p99 latency", "%.0f us" % p99, "<= 300 us (libvirt 796 us)"),
        ("  one vm.list = full status sweep", "%.2f ms" % (p50 / 1000),
         "<= 1 ms (libvirt 11.4 ms)"),
        ("  verged CPU time per vm.list", "%.0f us" % cpu,
         "(verged's own CPU, less load-bound)"),
        ("  Python json.loads of the reply", "%.0f us" % parse,
         "(client side, not in the above)"),
        ("verged RSS, 0 VMs", "%.1f MB" % (rss0 / 1024), ""),
        ("verged RSS, 100 VMs, right after the vm.list run",
         "%.1f MB" % (rss_busy / 1024), "(trimmed 1 s after)"),
        ("verged RSS, 100 defined VMs, REST on, idle",
         "%.1f MB" % (rss100 / 1024),
         "<= 8 MB (libvirtd 27 MB)"),
        ("verged RSS, %d running VMs" % args.running,
         "%.1f MB" % (rssn / 1024) if rssn else "not measured", ""),
        ("idle wake-ups (no VM running)", "%.1f /s" % wake,
         "0 /s (libvirtd 0 /s)"),
        ("verge vm list (CLI, wall, median of 20)",
         "%.1f ms" % cli if cli else "CLI not built", "<= 10 ms (virsh 67.5 ms)"),
    ]
    w = max(len(r[0]) for r in rows)
    print("verged (bench/verged.py; load average %.1f on %d CPUs: "
          "latencies on a shared machine vary with it)"
          % (os.getloadavg()[0], os.cpu_count()))
    for name, val, target in rows:
        print("  %-*s  %-14s %s" % (w, name, val, target))


if __name__ == "__main__":
    main()
