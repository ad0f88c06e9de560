#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Disk and network throughput of a guest under verge-hv (`make bench`).

The same Debian guest runs twice at once, under verge-hv and on bare QEMU
(the same emulated machine, virtualization=on, the same kernel command
line and devices). Each round measures one verge-hv / bare pair back to
back, the order alternating from round to round, and the VM that does
not measure is stopped (SIGSTOP) meanwhile so that both get the same
host. The figure is the median of the per-pair ratios, printed with
their spread (ARCHITECTURE.md: never compare absolute TCG figures).

1. virtio-blk: sequential write, then read, of the VM's own raw image
   with O_DIRECT (busybox dd, 1 MiB blocks: --bs) after a drop of the guest's
   page cache; QEMU opens the image with cache=none. Timed by the
   guest's monotonic clock in ns (/proc/timer_list), so in guest time.
2. user-mode networking: the guest sends to a TCP sink on the host's
   loopback (10.0.2.2 from the guest); bytes over the host time from the
   first byte to the last.

Per read it also counts, in the guest, the virtio-blk interrupts
(/proc/interrupts), under verge-hv the hypervisor's exits (its management
channel's STATS_GET), and the host CPU time QEMU used, so a gap can be put
on interrupts, on traps or on host CPU. Target (issue 20): each median ratio >= 0.9.
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "linux"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import linuxvm as lv  # noqa: E402
import mgmt  # noqa: E402

TARGET = 0.9
TIME_RE = re.compile(r"@@t (\d+) (\d+)")
# CLOCK_MONOTONIC in ns, in the guest (busybox date has no %N)
NOW = "sed -n 's/^now at \\([0-9]*\\) nsecs$/\\1/p' /proc/timer_list"
KINDS = (("write", "virtio-blk sequential write"),
         ("read", "virtio-blk sequential read"),
         ("tcp", "TCP guest -> host, user-mode net"))


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


def virtio_irqs(vm):
    """Interrupts taken so far on the disk's lines in the guest (the
    /proc/interrupts lines of /dev/vda's virtio device, all CPUs)."""
    out = vm.check("d=$(readlink /sys/block/vda/device); d=${d##*/}; "
                   "echo @@dev $d; grep -E \"$d(-|\\$)\" /proc/interrupts")
    total = 0
    for line in out.splitlines():
        f = line.split()
        if not f or not f[0].endswith(":"):
            continue
        for x in f[1:]:
            if not x.isdigit():
                break
            total += int(x)
    return total


class Guest:
    """One VM of the pair: its QEMU, its image and (verge-hv) its
    management channel."""

    def __init__(self, name, args, tmp):
        self.name = name
        self.img = Path(tmp) / ("%s.raw" % name)
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw",
                        str(self.img), "%dM" % (args.mib + 8)], check=True)
        extra = ["-drive", "file=%s,format=raw,if=none,id=d0,cache=none"
                 % self.img, "-device", "virtio-blk-pci,drive=d0",
                 "-netdev", "user,id=n0",
                 "-device", "virtio-net-pci,netdev=n0,romfile="]
        append = "console=ttyAMA0 verge_net=1"
        self.mgmt = None
        if name == "hv":
            sock = mgmt.sock_path(tempfile.mkdtemp(prefix="vgbench-", dir=tmp))
            cmd = lv.hv_cmd(cpu=args.cpu, smp=args.smp, guest_append=append,
                            hv_opts=args.hv_opts,
                            extra_args=extra + mgmt.qemu_args(sock))
        else:
            cmd = lv.bare_cmd(cpu=args.cpu, smp=args.smp,
                              guest_append=append, extra_args=extra)
        self.vm = lv.VM(cmd)
        if name == "hv":
            self.mgmt = mgmt.Mgmt(sock).connect()
            self.mgmt.hello()

    def ready(self):
        lv.boot(self.vm, shell=False, hv=(self.name == "hv"))
        self.vm.expect(r"verge-init: eth0 ", 120)
        self.vm.shell(60)
        # the same kernel command line and block queue settings on both
        print("%-4s cmdline: %s; vda: %s" % (self.name, self.vm.check(
            "cat /proc/cmdline").strip(), " ".join(self.vm.check(
                "cd /sys/block/vda/queue && for f in read_ahead_kb "
                "max_sectors_kb max_segments scheduler nr_requests; do "
                "echo $f=$(cat $f | tr ' ' ,); done").split())), flush=True)

    def pause(self, stop):
        try:
            os.killpg(self.vm.proc.pid, signal.SIGSTOP if stop
                      else signal.SIGCONT)
        except ProcessLookupError:
            pass

    def cpu_s(self):
        """Host CPU seconds (user + system, all threads) QEMU used so far;
        QEMU is the child of the `timeout` VM runs it under."""
        try:
            kids = Path("/proc/%d/task/%d/children" % (
                self.vm.proc.pid, self.vm.proc.pid)).read_text().split()
            f = Path("/proc/%s/stat" % kids[0]).read_text()
        except (OSError, IndexError):
            return None
        f = f[f.rindex(")") + 2:].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def exits(self):
        return self.mgmt.stats() if self.mgmt else None

    def dd(self, cmd, nbytes):
        """Bytes per guest second of cmd, timed with the guest's monotonic
        clock in ns (/proc/timer_list's "now at"), after a sync and a drop
        of the guest's page cache."""
        out = self.vm.check(
            "sync; echo 3 >/proc/sys/vm/drop_caches; a=$(%s); "
            "%s >/dev/null 2>&1; b=$(%s); echo @@t $a $b" % (NOW, cmd, NOW),
            timeout=600)
        m = TIME_RE.search(out)
        if not m or int(m.group(2)) <= int(m.group(1)):
            self.vm.fail("no timing in %r" % out)
        return nbytes / ((int(m.group(2)) - int(m.group(1))) / 1e9)

    def measure(self, kind, args):
        """One figure of kind (bytes/s) and, for read, the per-MiB counts."""
        mib = args.mib
        if kind == "write":
            return self.dd("dd if=/dev/zero of=/dev/vda bs=%dk count=%d "
                           "oflag=direct" % (args.bs, mib * 1024 // args.bs),
                           mib << 20), None
        if kind == "read":
            i0, e0, c0 = virtio_irqs(self.vm), self.exits(), self.cpu_s()
            r = self.dd("dd if=/dev/vda of=/dev/null bs=%dk count=%d "
                        "iflag=direct" % (args.bs, mib * 1024 // args.bs),
                        mib << 20)
            i1, e1, c1 = virtio_irqs(self.vm), self.exits(), self.cpu_s()
            per = {"guest irq/MiB": (i1 - i0) / mib}
            if c0 is not None and c1 is not None:
                per["host CPU ms/MiB"] = (c1 - c0) * 1e3 / mib
            if e0:
                for k in ("exits_total", "irq", "sgi", "tick", "maint",
                          "dabt", "sysreg", "other"):
                    per["EL2 %s/MiB" % k] = (e1[k] - e0[k]) / mib
            return r, per
        sink = Sink(args.net_mib << 20)
        self.vm.check("dd if=/dev/zero bs=64k count=%d 2>/dev/null | "
                      "nc 10.0.2.2 %d; true" % (args.net_mib * 16, sink.port),
                      timeout=600)
        return sink.rate(60), None

    def close(self):
        self.pause(False)
        if self.mgmt:
            self.mgmt.close()
        self.vm.kill()


def spread(xs):
    return "min %.2f max %.2f" % (min(xs), max(xs)) if xs else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", "--runs", type=int, default=7,
                    help="verge-hv / bare pairs measured per figure")
    ap.add_argument("--cpu", default="cortex-a57")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--mib", type=int, default=64,
                    help="MiB written and read on the disk per measurement")
    ap.add_argument("--bs", type=int, default=1024,
                    help="dd's block size on the disk, KiB (one request"
                    " each, queue depth 1)")
    ap.add_argument("--net-mib", type=int, default=2,
                    help="MiB the guest sends per measurement")
    ap.add_argument("--hv-opts", default="",
                    help="verge-hv options, e.g. verge.tick=10")
    ap.add_argument("--no-stop", action="store_true",
                    help="leave the other VM running while one measures")
    ap.add_argument("--only", default="write,read,tcp",
                    help="comma-separated figures to measure")
    args = ap.parse_args()
    only = args.only.split(",")
    ratios = {k: [] for k, _ in KINDS}
    rates = {k: {"hv": [], "bare": []} for k, _ in KINDS}
    counts = {"hv": {}, "bare": {}}
    print("load average before: %s" % " ".join(
        "%.1f" % x for x in os.getloadavg()), flush=True)
    with tempfile.TemporaryDirectory(prefix="vgbench-", dir="/var/tmp") as d:
        g = {}
        try:
            for name in ("hv", "bare"):
                g[name] = Guest(name, args, d)
            for x in g.values():
                x.ready()
            # The first write allocates the images on the host; not counted.
            for x in g.values():
                x.measure("write", args)
            for i in range(args.rounds):
                order = ("hv", "bare") if i % 2 == 0 else ("bare", "hv")
                for kind, _ in KINDS:
                    if kind not in only:
                        continue
                    got = {}
                    for name in order:
                        other = g["bare" if name == "hv" else "hv"]
                        if not args.no_stop:
                            other.pause(True)
                        try:
                            got[name], per = g[name].measure(kind, args)
                        finally:
                            if not args.no_stop:
                                other.pause(False)
                        if per:
                            for k, v in per.items():
                                counts[name].setdefault(k, []).append(v)
                    if got["hv"] and got["bare"]:
                        rates[kind]["hv"].append(got["hv"])
                        rates[kind]["bare"].append(got["bare"])
                        ratios[kind].append(got["hv"] / got["bare"])
                    print("round %d %-5s hv %7.2f MB/s  bare %7.2f MB/s  "
                          "ratio %s" % (
                              i + 1, kind, (got["hv"] or 0) / 1e6,
                              (got["bare"] or 0) / 1e6,
                              "%.2f" % (got["hv"] / got["bare"])
                              if got["hv"] and got["bare"] else "FAILED"),
                          flush=True)
        finally:
            for x in g.values():
                x.close()
    print("\nload average after: %s" % " ".join(
        "%.1f" % x for x in os.getloadavg()))
    print("per read, medians:")
    for name in ("hv", "bare"):
        print("  %-4s %s" % (name, "  ".join(
            "%s %.1f" % (k, statistics.median(v))
            for k, v in counts[name].items())))
    print("\nmedian of per-pair ratios verge-hv / bare (%d rounds, %d MiB "
          "disk in %d KiB blocks, %d MiB net), target >= %.1f:" % (
              args.rounds, args.mib, args.bs, args.net_mib, TARGET))
    ok = True
    for k, label in KINDS:
        if k not in only:
            continue
        r = ratios[k]
        if not r:
            print("  %-34s no figure" % label)
            ok = False
            continue
        m = statistics.median(r)
        ok &= m >= TARGET
        print("  %-34s hv %7.2f bare %7.2f MB/s  ratio %.2f (%s, n=%d) %s"
              % (label, statistics.median(rates[k]["hv"]) / 1e6,
                 statistics.median(rates[k]["bare"]) / 1e6, m, spread(r),
                 len(r), "ok" if m >= TARGET else "BELOW TARGET"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
