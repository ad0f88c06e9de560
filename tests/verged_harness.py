# SPDX-License-Identifier: Apache-2.0
"""Run a verged for a test and talk to it: JSON-RPC (standard library
only) or the verge CLI. The one verged harness.

Shared by tests/host, tests/e2e and bench/. Every verged runs with
--foreground in a fresh temporary directory (short, so the Unix socket
paths fit), is stopped by its pid, and every QEMU it left is killed by the
pid in its run directory, after checking /proc/PID/cmdline points into
that directory. VERGED names the daemon binary (default
$VERGE_BUILD/verged), VERGE the CLI (default $VERGE_BUILD/verge);
VERGE_BUILD defaults to build/ in the repository. Test files import it by
name: pytest.ini puts tests/ on the path.
"""

import contextlib
import grp
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_dir():
    p = Path(os.environ.get("VERGE_BUILD", "build"))
    return p if p.is_absolute() else REPO / p


def verged_bin():
    return Path(os.environ.get("VERGED", build_dir() / "verged"))


def verge_bin():
    return Path(os.environ.get("VERGE", build_dir() / "verge"))


def cache_dir():
    p = Path(os.environ.get("VERGE_CACHE", ".cache"))
    return p if p.is_absolute() else REPO / p


def wait_for(what, fn, timeout, step=0.2):
    """fn()'s first true value, polled every step seconds; an
    AssertionError naming what when timeout seconds pass without one."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timeout (%ss) waiting for %s"
                                 % (timeout, what))
        time.sleep(step)


def guest_files():
    """(kernel Image, test initramfs) for a VM under verged; an
    AssertionError naming what is missing (verge-hv.bin included)."""
    need = [cache_dir() / "Image", build_dir() / "initrd.gz",
            build_dir() / "verge-hv.bin"]
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        raise AssertionError("missing %s (run make)" % ", ".join(missing))
    return need[0], need[1]


def define_vm(v, name, **params):
    """vm.define of a VM booting the test kernel and initramfs (256 MiB,
    one CPU unless params say otherwise); its vm.show."""
    kernel, initrd = guest_files()
    params = dict(dict(kernel=str(kernel), initrd=str(initrd),
                       memory_mib=256, cpus=1), **params)
    return v.call("vm.define", name=name, **params)


@contextlib.contextmanager
def running(v):
    """v (a Verged) started, and cleaned up at the end whatever happened:
    for a module-scoped fixture, `with running(Verged()) as v: yield v`."""
    try:
        v.start()
        yield v
    finally:
        v.cleanup()


def live_clock(v, name):
    """The VM's clock.show once verged holds its management channel
    (live), else None; an error other than hv_unavailable is raised."""
    try:
        clk = v.call("clock.show", name=name)
    except RpcError as e:
        if e.name != "hv_unavailable":
            raise
        return None
    return clk if clk.get("live") else None


def console_log(v, name):
    """The VM's console.log (all its boots) as text; "" before the
    first."""
    try:
        return (v.state / "vms" / name / "console.log").read_text(
            errors="replace")
    except OSError:
        return ""


class Console:
    """A VM's serial console through its console.sock (QEMU serves it;
    verged's run directory holds it), typed into as a user would. A
    context manager: closed at the end of the with block."""

    def __init__(self, v, name, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(v.run / "vms" / name / "console.sock"))
        self.sock.settimeout(timeout)
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def expect(self, pattern):
        """The first match of the bytes regex pattern in what the console
        printed since the last match, read until it shows."""
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            data = self.sock.recv(4096)
            assert data, "console closed; so far: %r" % self.buf[-500:]
            self.buf += data.replace(b"\r", b"")

    def run(self, cmd):
        """Runs cmd in the guest's shell; its output up to the marker."""
        self.send(b"\n")
        self.expect(rb"verge# ")
        # the markers print as 42 but echo as $((6*7)): the command's
        # output is what lies between them
        self.send(b"echo @@start$((6*7)); " + cmd.encode() +
                  b"; echo @@done$((6*7))\n")
        return self.expect(rb"(?s)@@start42\n(.*?)@@done42\n").group(1)

    def uptime(self):
        """Guest /proc/uptime and the host time in the middle of the
        round trip that read it: (uptime, host time, round trip)."""
        self.buf = b""
        t0 = time.monotonic()
        self.send(b"cat /proc/uptime\n")
        m = self.expect(rb"(?m)^(\d+\.\d+) \d+\.\d+\n")
        t1 = time.monotonic()
        return float(m.group(1)), (t0 + t1) / 2, t1 - t0

    def drain(self):
        """Reads and drops what the console printed (QEMU blocks the
        guest's UART on a client that does not read); from now on the
        socket does not block. True, for wait_for conditions."""
        self.sock.setblocking(False)
        try:
            while self.sock.recv(65536):
                pass
        except BlockingIOError:
            pass
        return True


@contextlib.contextmanager
def member(tag):
    """A real non-root user named tag, in a group of its own (tag + "g")
    for verged's [daemon] group, removed at the end (root only): (its pwd
    entry, its group's grp entry)."""
    subprocess.run(["groupadd", tag + "g"], check=True)
    try:
        subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin",
                        "-G", tag + "g", tag], check=True)
        try:
            yield pwd.getpwnam(tag), grp.getgrnam(tag + "g")
        finally:
            subprocess.run(["userdel", tag], check=False)
    finally:
        subprocess.run(["groupdel", tag + "g"], check=False)


def call_as(user, sock, method, params):
    """One JSON-RPC call on verged's socket sock from a process with the
    uid, gid and groups of user (a pwd entry; setpriv, as root): the
    reply, result or error."""
    code = ("import json,socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
            "s.connect(sys.argv[1])\n"
            "s.sendall((json.dumps({'jsonrpc':'2.0','id':1,'method':"
            "sys.argv[2],'params':json.loads(sys.argv[3])})+'\\n')"
            ".encode())\nprint(s.makefile().readline())\n")
    r = subprocess.run(["setpriv", "--reuid=" + user.pw_name,
                        "--regid=%d" % user.pw_gid, "--init-groups",
                        sys.executable, "-c", code, str(sock), method,
                        json.dumps(params)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


class RpcError(Exception):
    def __init__(self, error):
        super().__init__("%s (%s): %s" % (error.get("code"),
                                          error.get("data", {}).get("name"),
                                          error.get("message")))
        self.error = error
        self.code = error.get("code")
        self.name = error.get("data", {}).get("name")
        self.data = error.get("data", {})


class Client:
    """One connection; call() sends a request and returns its result."""

    def __init__(self, path, timeout=60.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buf = b""
        self.next_id = 1
        self.notes = []         # notifications read while waiting

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_line(self):
        """The next line from verged (bytes), or None at EOF."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def read_json(self):
        line = self.read_line()
        return None if line is None else json.loads(line)

    def request(self, method, params=None):
        """The whole reply object of one request."""
        rid = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send_raw(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self.read_json()
            if reply is None:
                raise ConnectionError("verged closed the connection")
            if "id" not in reply and reply.get("method") == "event":
                self.notes.append(reply["params"])
                continue
            assert reply.get("id") == rid, reply
            return reply

    def call(self, method, **params):
        reply = self.request(method, params)
        if "error" in reply:
            raise RpcError(reply["error"])
        return reply["result"]


FAKE_QEMU = REPO / "tests" / "host" / "fake_qemu.py"


def stub_images(v):
    """Points v's hypervisor at a stub file, and writes a stub kernel
    (v.tmp / "Image"): verged checks that they exist, a stand-in QEMU
    never reads them."""
    (v.tmp / "hv.bin").write_bytes(b"hv")
    v.config.write_text(v.config.read_text().replace(
        str(build_dir() / "verge-hv.bin"), str(v.tmp / "hv.bin")))
    (v.tmp / "Image").write_bytes(b"k")
    return v


def fake_qemu_verged(config_extra="", qemu=FAKE_QEMU, **kw):
    """A verged (not started) whose QEMU is qemu (tests/host/fake_qemu.py
    unless said), without jails (the stand-in imports tests/mgmt.py,
    which no jail shows it), with stub images (stub_images). config_extra
    continues the [qemu] section."""
    return stub_images(Verged(config_extra="binary = %s\n%s" % (
        qemu, config_extra), isolation="off", **kw))


class Verged:
    """A verged in its own temporary directory."""

    def __init__(self, binary=None, tmp=None, env=None, config_extra="",
                 isolation="on"):
        self.binary = Path(binary or verged_bin())
        self.tmp = Path(tmp or tempfile.mkdtemp(prefix="vg-", dir="/tmp"))
        self.socket = self.tmp / "verged.sock"
        self.state = self.tmp / "state"
        self.run = self.tmp / "run"
        self.log = self.tmp / "verged.log"
        self.config = self.tmp / "verged.conf"
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        # Jails (issue 13): each verged's resource groups under a parent
        # of its own, so parallel test runs never share a VM's group.
        # isolation="off" for a stand-in QEMU (tests/host/fake_qemu.py
        # imports ../mgmt.py, which no jail shows it).
        self.cgroup_parent = "verge-test/" + self.tmp.name
        # VERGE_QEMU and VERGE_CPU (as in tests/linux) become [qemu]
        # binary and cpu, unless the test sets them itself.
        qemu = ""
        if os.environ.get("VERGE_QEMU") and "binary =" not in config_extra:
            qemu += "binary = %s\n" % os.environ["VERGE_QEMU"]
        if os.environ.get("VERGE_CPU") and "cpu =" not in config_extra:
            qemu += "cpu = %s\n" % os.environ["VERGE_CPU"]
        self.config.write_text(
            "[jail]\nisolation = %s\ncgroup_parent = %s\n"
            "[daemon]\nsocket = %s\nstate_dir = %s\nrun_dir = %s\n"
            "[qemu]\n%shypervisor = %s\n%s"
            % (isolation, self.cgroup_parent, self.socket, self.state, self.run,
               qemu, build_dir() / "verge-hv.bin", config_extra))

    def start(self, args=(), wait=15.0):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [str(self.binary), "--foreground", "--config", str(self.config)]
            + list(args), stdout=self.logf, stderr=self.logf, env=self.env)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("verged exited with %s:\n%s"
                                   % (self.proc.returncode, self.log_text()))
            try:
                with Client(self.socket, timeout=5) as c:
                    c.call("daemon.version")
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("verged did not answer in %ss" % wait)

    @property
    def pid(self):
        return self.proc.pid

    def client(self, timeout=60.0):
        return Client(self.socket, timeout)

    def call(self, method, **params):
        with self.client() as c:
            return c.call(method, **params)

    def verge(self, *args, timeout=20, **kw):
        """verge --socket SOCKET ARGS...: a CompletedProcess (text)."""
        return subprocess.run([str(verge_bin()), "--socket",
                               str(self.socket), *map(str, args)],
                              capture_output=True, text=True,
                              timeout=timeout, **kw)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM, as systemd does; returns the exit status."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        return self.proc.returncode

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.logf.close()

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def qemu_pids(self):
        """Pids of the QEMUs this verged's run directory names, alive."""
        pids = []
        for pidfile in (self.run / "vms").glob("*/qemu.pid"):
            try:
                pid = int(pidfile.read_text().strip())
                cmd = Path("/proc/%d/cmdline" % pid).read_bytes()
            except (OSError, ValueError):
                continue
            if str(self.run).encode() in cmd:
                pids.append(pid)
        return pids

    def cleanup(self):
        """Stop verged, kill its QEMUs (by pid), remove the directory."""
        if self.alive():
            self.stop()
        for pid in self.qemu_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["rm", "-rf", str(self.tmp)], check=False)
        self.remove_cgroup_parent()

    def cgroup_dirs(self, vm=None):
        """The resource-group directories of this verged (of one VM)."""
        root = Path("/sys/fs/cgroup")
        sub = self.cgroup_parent + ("/" + vm if vm else "")
        if (root / "cgroup.controllers").exists():
            return [root / sub]
        return [root / c / sub for c in ("cpu", "cpuacct", "memory", "pids")]

    def remove_cgroup_parent(self):
        """The groups of VMs whose QEMU was killed, then the parent."""
        deadline = time.monotonic() + 3
        for d in self.cgroup_dirs():
            subs = [p for p in d.glob("*") if p.is_dir()] if d.exists() \
                else []
            for p in subs + [d, d.parent]:
                while True:
                    try:
                        p.rmdir()
                    except FileNotFoundError:
                        pass
                    except OSError:     # busy while a QEMU exits
                        if time.monotonic() < deadline and p in subs:
                            time.sleep(0.05)
                            continue
                    break


def rss_kib(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def ctx_switches(pid):
    total = 0
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if "ctxt_switches" in line:
            total += int(line.split()[1])
    return total
