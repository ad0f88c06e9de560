#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""verged beside Debian's libvirtd, measured in one run (make bench,
issue 18): each daemon holds 100 defined, never started aarch64 QEMU
VMs, and the table prints both figures, their ratio and the target.

- libvirtd runs in qemu:///session mode (as user nobody when run as
  root, whose libvirtd would be the system daemon), its HOME and
  XDG_* directories in this run's temporary directory (its own socket,
  its own configuration, cache and logs), started here and stopped by
  its pid;
- verged runs from the build (tests/verged_harness.py) with its REST
  server on a port of its own;
- the list: listAllDomains() through the Python binding against vm.list
  through a Python client (one connection, timed to the reply's last
  byte; the parse of the reply apart), then the same with 10 clients at
  once (processes, each pacing its calls 2 ms apart: concurrent callers,
  not a saturated machine);
- the CLIs: `virsh list --all` against `verge vm list` (wall time);
- a full status sweep: listAllDomains() and info() of each against one
  vm.list (which carries every VM's state and settings);
- resident memory and idle wake-ups (voluntary + involuntary context
  switches of the whole process over 10 s) of both daemons.

Needs python3-libvirt (the system Python: /usr/bin/python3), libvirtd
with its QEMU driver and virsh: scripts/deps.sh --bench. Environment:
VERGE_BUILD (build dir), BENCH_SECONDS (per latency run, 3).
"""

import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import verged_harness as vh  # noqa: E402

try:
    import libvirt
except ImportError:
    sys.exit("bench/vs_libvirt.py: python3-libvirt is missing (run it with "
             "/usr/bin/python3; scripts/deps.sh --bench installs it)")

NVMS = 100
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CLIENTS = 10
PACE_S = 0.002
IDLE_S = 10
LIBVIRTD = "/usr/sbin/libvirtd"
QEMU = shutil.which("qemu-system-aarch64") or "/usr/bin/qemu-system-aarch64"
NOBODY = 65534

DOMAIN = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='aarch64' machine='virt'>hvm</type>
    <kernel>{kernel}</kernel></os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>cortex-a57</model>
  </cpu>
  <devices><emulator>{qemu}</emulator></devices>
</domain>"""


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def cpu_s(pid):
    f = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


# --- the daemons -------------------------------------------------------------

class Libvirtd:
    """libvirtd --session as nobody under tmp; stop() by its pid."""

    def __init__(self, tmp):
        self.home = tmp / "libvirt-home"
        dirs = {"HOME": self.home, "XDG_CONFIG_HOME": self.home / "config",
                "XDG_CACHE_HOME": self.home / "cache",
                "XDG_DATA_HOME": self.home / "data",
                "XDG_RUNTIME_DIR": self.home / "run"}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        # as root, session mode needs another user: libvirtd run by root
        # is the system daemon
        self.as_nobody = os.geteuid() == 0
        if self.as_nobody:
            subprocess.run(["chown", "-R", "%d:%d" % (NOBODY, NOBODY),
                            str(self.home)], check=True)
        (self.home / "run").chmod(0o700)
        self.env = dict({k: str(v) for k, v in dirs.items()},
                        PATH="/usr/sbin:/usr/bin:/bin")
        self.sock = self.home / "run" / "libvirt" / "libvirt-sock"
        self.uri = "qemu+unix:///session?socket=%s" % self.sock
        self.log = tmp / "libvirtd.log"
        self.proc = None

    def start(self):
        who = dict(user=NOBODY, group=NOBODY, extra_groups=[]) \
            if self.as_nobody else {}
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([LIBVIRTD], env=self.env,
                                         stdout=log, stderr=log, **who)
        vh.wait_for("libvirtd's socket", self.sock.exists, 30, 0.05)
        return libvirt.open(self.uri)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the list ----------------------------------------------------------------

class Rpc:
    """Request/reply over one connection, the reply read into a buffer
    allocated once (a fresh 1 MB bytes object per recv() costs the client
    more than verged spends on the call)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(str(path))
        self.buf = bytearray(4 << 20)
        self.view = memoryview(self.buf)

    def round(self, req):
        self.s.sendall(req)
        n = 0
        while True:
            got = self.s.recv_into(self.view[n:])
            if not got:
                raise ConnectionError("verged closed the connection")
            n += got
            if self.buf[n - 1] == 10:
                return n

    def close(self):
        self.view.release()
        self.s.close()


def verged_list(path, seconds, pace=0.0):
    """vm.list latencies (s) on one connection, and the last reply."""
    req = b'{"jsonrpc":"2.0","id":1,"method":"vm.list"}\n'
    c = Rpc(path)
    for _ in range(20):
        c.round(req)
    lat, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        n = c.round(req)
        lat.append(time.perf_counter() - t)
        if pace:
            time.sleep(pace)
    reply = bytes(c.buf[:n])
    c.close()
    return lat, reply


def libvirt_list(uri, seconds, pace=0.0):
    c = libvirt.open(uri)
    for _ in range(20):
        c.listAllDomains(0)
    lat, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        doms = c.listAllDomains(0)
        lat.append(time.perf_counter() - t)
        assert len(doms) == NVMS
        if pace:
            time.sleep(pace)
    c.close()
    return lat, None


def client_proc(args):
    fn, target, seconds = args
    return (verged_list if fn == "verged" else libvirt_list)(
        target, seconds, PACE_S)[0]


def concurrent(fn, target, seconds):
    """CLIENTS processes at once: every latency, and the calls per s."""
    with mp.get_context("fork").Pool(CLIENTS) as pool:
        t = time.perf_counter()
        lats = pool.map(client_proc, [(fn, target, seconds)] * CLIENTS)
        took = time.perf_counter() - t
    every = [x for one in lats for x in one]
    return every, len(every) / took


def cli_wall(argv, runs=10):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(argv, capture_output=True)
        times.append(time.perf_counter() - t)
        if r.returncode:
            sys.exit("%s failed: %s" % (" ".join(argv), r.stderr.decode()))
    return statistics.median(times)


def sweep_libvirt(c):
    """Every domain's state, as a status page needs it: list + info."""
    return {d.name(): d.info() for d in c.listAllDomains(0)}


def sweep_verged(path):
    with vh.Client(path) as c:
        return {v["name"]: v["state"] for v in c.call("vm.list")}


def timed(fn, *args, runs=20):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn(*args)
        ts.append(time.perf_counter() - t)
    assert len(out) == NVMS
    return statistics.median(ts)


# --- the run -----------------------------------------------------------------

def main():
    tmp = Path(tempfile.mkdtemp(prefix="vlb-", dir="/tmp"))
    tmp.chmod(0o755)
    kernel = tmp / "Image"
    kernel.write_bytes(b"k")
    lv = Libvirtd(tmp)
    vd = vh.Verged(config_extra="[rest]\nlisten = 127.0.0.1:%d\n"
                   % free_port())
    rows = []
    try:
        t0 = time.monotonic()
        conn = lv.start()
        for i in range(NVMS):
            conn.defineXML(DOMAIN.format(name="vm-%03d" % i,
                                         kernel=kernel, qemu=QEMU))
        vd.start()
        with vd.client() as c:
            for i in range(NVMS):
                c.call("vm.define", name="vm-%03d" % i, kernel=str(kernel))
        assert "rest: listening" in vd.log_text(), vd.log_text()
        print("libvirt %s (libvirtd pid %d), verged pid %d: %d VMs each,"
              " defined in %.1f s" % (
                  ".".join(str(libvirt.getVersion() // 10 ** k % 1000)
                           for k in (6, 3, 0)), lv.pid, vd.pid, NVMS,
                  time.monotonic() - t0))

        # one client
        cpu0 = cpu_s(vd.pid)
        v_lat, reply = verged_list(vd.socket, SECONDS)
        v_cpu = (cpu_s(vd.pid) - cpu0) / len(v_lat)
        t = time.perf_counter()
        assert len(json.loads(reply)["result"]) == NVMS
        parse = time.perf_counter() - t
        cpu0 = cpu_s(lv.pid)
        l_lat, _ = libvirt_list(lv.uri, SECONDS)
        l_cpu = (cpu_s(lv.pid) - cpu0) / len(l_lat)
        us = 1e6
        rows += [
            ("list, 1 client: p50", pct(v_lat, 50) * us,
             pct(l_lat, 50) * us, "us", "<= 100 us"),
            ("list, 1 client: p99", pct(v_lat, 99) * us,
             pct(l_lat, 99) * us, "us", "<= 300 us"),
            ("list: daemon CPU per call", v_cpu * us, l_cpu * us, "us", ""),
        ]
        # ten clients
        cpu0 = cpu_s(vd.pid)
        v_all, v_rate = concurrent("verged", vd.socket, SECONDS)
        v_cpu10 = (cpu_s(vd.pid) - cpu0) / len(v_all)
        cpu0 = cpu_s(lv.pid)
        l_all, l_rate = concurrent("libvirt", lv.uri, SECONDS)
        l_cpu10 = (cpu_s(lv.pid) - cpu0) / len(l_all)
        rows += [
            ("list, %d clients: p50" % CLIENTS, pct(v_all, 50) * us,
             pct(l_all, 50) * us, "us", "<= 100 us"),
            ("list, %d clients: p99" % CLIENTS, pct(v_all, 99) * us,
             pct(l_all, 99) * us, "us", "<= 300 us"),
            ("list, %d clients: calls/s" % CLIENTS, v_rate, l_rate,
             "/s", ""),
            ("list, %d clients: daemon CPU per call" % CLIENTS,
             v_cpu10 * us, l_cpu10 * us, "us",
             "(clients: see below)"),
        ]
        # the CLIs and the sweep
        verge = vh.verge_bin()
        rows.append(("CLI list (wall, median of 10)",
                     cli_wall([str(verge), "--socket", str(vd.socket), "vm",
                               "list"]) * 1e3,
                     cli_wall(["virsh", "-c", lv.uri, "list", "--all"])
                     * 1e3, "ms", "<= 10 ms"))
        rows.append(("status sweep: vm.list / list+info",
                     timed(sweep_verged, vd.socket) * 1e3,
                     timed(sweep_libvirt, conn) * 1e3, "ms", "<= 1 ms"))
        conn.close()
        # memory and wake-ups, both daemons idle at once
        time.sleep(1)
        rss = (vh.rss_kib(vd.pid) / 1024, vh.rss_kib(lv.pid) / 1024)
        before = (vh.ctx_switches(vd.pid), vh.ctx_switches(lv.pid))
        time.sleep(IDLE_S)
        wake = ((vh.ctx_switches(vd.pid) - before[0]) / IDLE_S,
                (vh.ctx_switches(lv.pid) - before[1]) / IDLE_S)
        rows += [("RSS, %d defined VMs, REST on" % NVMS, rss[0], rss[1],
                  "MB", "<= 8 MB"),
                 ("idle wake-ups (%d s)" % IDLE_S, wake[0], wake[1], "/s",
                  "0 /s")]
    finally:
        lv.stop()
        vd.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    w = max(len(r[0]) for r in rows)
    print("verged beside libvirtd (bench/vs_libvirt.py; load average %.1f on"
          " %d CPUs)" % (os.getloadavg()[0], os.cpu_count()))
    print("  %-*s %12s %12s %9s  %s" % (w, "", "verged", "libvirtd",
                                         "verged/lv", "target (verged)"))
    for name, v, lvv, unit, target in rows:
        ratio = "%.2fx" % (v / lvv) if lvv else "-"
        print("  %-*s %9.1f %-2s %9.1f %-2s %9s  %s" % (
            w, name, v, unit, lvv, unit, ratio, target))
    print("  (Python json.loads of one vm.list reply, %d KB: %.0f us,"
          " not in the figures above)" % (len(reply) // 1024, parse * 1e6))
    print("  (the 10 clients share the machine's %d CPUs with both daemons:"
          " with %d KB per vm.list reply against a few KB of domain"
          " handles, their own reading dominates verged's latency there)"
          % (os.cpu_count(), len(reply) // 1024))


if __name__ == "__main__":
    main()
