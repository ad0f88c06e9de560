#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Disk and network throughput of a guest under verge-hv (`make bench`).

The same Debian guest, once under verge-hv and once on bare QEMU (the
same emulated machine, virtualization=on), runs interleaved so that load
on the host hits both alike; ratios verge-hv / bare are measured in this
one run (ARCHITECTURE.md: never compare absolute TCG figures).

1. virtio-blk: sequential write then read of a raw image with O_DIRECT
   (busybox dd, 1 MiB blocks), timed by the guest's clock (/proc/uptime).
2. user-mode networking: the guest sends to a TCP sink on the host's
   loopback (10.0.2.2 from the guest); bytes over the host time from the
   first byte to the last.
Target (issue 20): each ratio >= 0.9.
"""

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "linux"))
import linuxvm as lv  # noqa: E402

TARGET = 0.9
UPTIME_RE = re.compile(r"@@t ([\d.]+) ([\d.]+)")


class Sink:
    """A TCP server on 127.0.0.1 that reads `want` bytes from one client;
    rate() is bytes per host second from its first byte to its last."""

    def __init__(self, want):
        self.want = want
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.got, self.t0, self.t1 = 0, None, None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.srv.settimeout(120)
        try:
            c, _ = self.srv.accept()
        except OSError:
            return
        with c:
            c.settimeout(120)
            while self.got < self.want:
                try:
                    data = c.recv(1 << 16)
                except OSError:
                    break
                if not data:
                    break
                if self.t0 is None:
                    self.t0 = time.monotonic()
                self.got += len(data)
                self.t1 = time.monotonic()
        self.srv.close()

    def rate(self, timeout):
        self.thread.join(timeout)
        if self.got < self.want or self.t1 == self.t0:
            return None
        return self.got / (self.t1 - self.t0)


def dd_rate(vm, cmd, nbytes):
    """Bytes per guest second of cmd, timed with the guest's
    /proc/uptime (busybox dd prints no rate)."""
    out = vm.check("read a _ </proc/uptime; %s >/dev/null 2>&1; "
                   "read b _ </proc/uptime; echo @@t $a $b" % cmd,
                   timeout=300)
    m = UPTIME_RE.search(out)
    if not m or float(m.group(2)) <= float(m.group(1)):
        vm.fail("no timing in %r" % out)
    return nbytes / (float(m.group(2)) - float(m.group(1)))


def one_run(name, args, img):
    extra = ["-drive", "file=%s,format=raw,if=none,id=d0,cache=none" % img,
             "-device", "virtio-blk-pci,drive=d0",
             "-netdev", "user,id=n0",
             "-device", "virtio-net-pci,netdev=n0,romfile="]
    append = "console=ttyAMA0 verge_net=1"
    cmd = (lv.hv_cmd(cpu=args.cpu, smp=args.smp, guest_append=append,
                     extra_args=extra) if name == "hv" else
           lv.bare_cmd(cpu=args.cpu, smp=args.smp, guest_append=append,
                       extra_args=extra))
    mib = args.mib
    with lv.VM(cmd) as vm:
        lv.boot(vm, shell=False, hv=(name == "hv"))
        vm.expect(r"verge-init: eth0 ", 60)
        vm.shell(60)
        res = {}
        res["write"] = dd_rate(vm, "dd if=/dev/zero of=/dev/vda bs=1M "
                               "count=%d oflag=direct" % mib, mib << 20)
        res["read"] = dd_rate(vm, "dd if=/dev/vda of=/dev/null bs=1M "
                              "count=%d iflag=direct" % mib, mib << 20)
        sink = Sink(args.net_mib << 20)
        vm.check("dd if=/dev/zero bs=64k count=%d 2>/dev/null | "
                 "nc 10.0.2.2 %d; true" % (args.net_mib * 16, sink.port),
                 timeout=300)
        res["tcp"] = sink.rate(30)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cpu", default="cortex-a57")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--mib", type=int, default=64,
                    help="MiB written and read on the disk per run")
    ap.add_argument("--net-mib", type=int, default=4,
                    help="MiB the guest sends per run")
    args = ap.parse_args()
    figures = {c: {k: [] for k in ("write", "read", "tcp")}
               for c in ("hv", "bare")}
    with tempfile.TemporaryDirectory(prefix="vgbench-") as d:
        img = Path(d) / "disk.raw"
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img),
                        "%dM" % (args.mib + 8)], check=True)
        for i in range(args.runs):
            for c in ("hv", "bare"):
                try:
                    res = one_run(c, args, img)
                except AssertionError as e:
                    print("run %d %-4s FAILED: %s" % (
                        i + 1, c, str(e).splitlines()[0]), flush=True)
                    continue
                for k, v in res.items():
                    if v:
                        figures[c][k].append(v)
                print("run %d %-4s " % (i + 1, c) + "  ".join(
                    "%s %.2f MB/s" % (k, v / 1e6) if v else "%s FAILED" % k
                    for k, v in res.items()), flush=True)
    print("\nmedians (MB/s) and ratio verge-hv / bare, target >= %.1f:"
          % TARGET)
    ok = True
    for k, label in (("write", "virtio-blk sequential write"),
                     ("read", "virtio-blk sequential read"),
                     ("tcp", "TCP guest -> host, user-mode net")):
        hv, bare = figures["hv"][k], figures["bare"][k]
        if not hv or not bare:
            print("  %-34s no figure" % label)
            ok = False
            continue
        r = statistics.median(hv) / statistics.median(bare)
        ok &= r >= TARGET
        print("  %-34s %7.2f %7.2f  ratio %.2f %s" % (
            label, statistics.median(hv) / 1e6,
            statistics.median(bare) / 1e6, r,
            "ok" if r >= TARGET else "BELOW TARGET"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
