# SPDX-License-Identifier: Apache-2.0
"""Run one QEMU with a Linux guest and talk to its serial console.

Shared by tests/linux (pytest) and bench/boot.py; standard library only.
QEMU's console is its stdout (-nographic); we type into its stdin (a pipe).
Every QEMU runs under coreutils `timeout` in a session of its own, so
kill() ends both by the process-group id (= the pid we started), and a VM
left behind by a killed test run still dies at its time limit.
"""

import codecs
import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# What the hypervisor prints on the console (the expectations that are
# specific to verge-hv; everything else is plain Linux).
HV_BANNER = "verge-hv: version"
HV_MEM_RE = r"verge-hv: .*hv memory (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)"
HV_KERNEL_ADDR = "0x44000000"
USERSPACE_UP = "verge-init: userspace up"
PROMPT = "verge# "

# Boot to userspace under TCG on a shared 2-core machine.
BOOT_TIMEOUT = 90
# Hard limit for any one QEMU (the coreutils `timeout` around it).
QEMU_LIMIT = 600

# VERGE_QEMU picks the QEMU binary (default $QEMU, else the system's; one
# unpacked outside /usr, like .cache/qemu10, gets -L and QEMU_MODULE_DIR
# for its own files), VERGE_CPU the default CPU model (cortex-a57).
# VERGE_LINUX_BARE=1: run the Linux tests on bare QEMU (no hypervisor) to
# check the tests themselves; the hypervisor's expectations are skipped.
BARE = os.environ.get("VERGE_LINUX_BARE", "") not in ("", "0")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def repo_path(env, default):
    """A directory from the environment, relative to the repository root."""
    p = Path(os.environ.get(env, default))
    return p if p.is_absolute() else REPO / p


def build_dir():
    return repo_path("VERGE_BUILD", "build")


def cache_dir():
    return repo_path("VERGE_CACHE", ".cache")


def initrd_path():
    """The test initramfs (built by make into the build directory)."""
    return build_dir() / "initrd.gz"


def hv_bin():
    """verge-hv.bin: $VERGE_HV, else the build directory's."""
    return repo_path("VERGE_HV", str(build_dir() / "verge-hv.bin"))


def qemu_bin():
    """The QEMU: $VERGE_QEMU, else $QEMU, else the system's."""
    return (os.environ.get("VERGE_QEMU") or os.environ.get("QEMU")
            or "qemu-system-aarch64")


def qemu_data_args(qemu=None):
    """-L DIR for a QEMU unpacked outside /usr (.cache/qemu10, see
    scripts/fetch-qemu10.sh): its firmware and data files sit in
    ../share/qemu beside its bin directory. [] for the system QEMU."""
    q = Path(qemu or qemu_bin())
    if "/" not in str(q):
        return []
    q = q.resolve()
    if str(q).startswith(("/usr/", "/bin/")):
        return []
    data = q.parent.parent / "share" / "qemu"
    return ["-L", str(data)] if data.is_dir() else []


def qemu_env(qemu):
    """The environment for QEMU binary qemu: a QEMU outside /usr loads its
    own modules (QEMU_MODULE_DIR), not the system QEMU's."""
    env = dict(os.environ)
    if qemu_data_args(qemu):
        for d in (Path(qemu).resolve().parent.parent / "lib").glob("*/qemu"):
            env["QEMU_MODULE_DIR"] = str(d)
    return env


def default_cpu():
    """The CPU model: $VERGE_CPU, else cortex-a57."""
    return os.environ.get("VERGE_CPU") or "cortex-a57"


def qemu10_bin():
    """The cache's QEMU 10 (.cache/qemu10), or None where it is not."""
    p = cache_dir() / "qemu10" / "usr" / "bin" / "qemu-system-aarch64"
    return str(p) if p.exists() else None


def qemu_prefix(qemu):
    """[qemu] plus -L for a QEMU unpacked outside /usr (its data files sit
    beside it in ../share/qemu)."""
    data = Path(qemu).resolve().parent.parent / "share" / "qemu"
    if "/" in qemu and not qemu.startswith("/usr/") and data.is_dir():
        return [qemu, "-L", str(data)]
    return [qemu]


def qemu10():
    """[binary, -L, data dir] of QEMU 10 ($VERGE_QEMU10, else the cache's
    qemu10, unpacked from Debian's bookworm-backports), or None."""
    env = os.environ.get("VERGE_QEMU10")
    root = Path(env) if env else cache_dir() / "qemu10"
    binary = root / "usr/bin/qemu-system-aarch64"
    if not binary.exists():
        return None
    return [str(binary), "-L", str(root / "usr/share/qemu")]


def hv_cmd(cpu=None, smp=2, hv_opts="", guest_append="console=ttyAMA0",
           no_reboot=True, mem="1G", extra_args=(), qemu=None,
           machine_opts=""):
    """QEMU running verge-hv.bin, which boots the Debian kernel at EL1.

    The hypervisor's options come before `--`, the guest's command line
    after it. extra_args are more QEMU options (e.g. mgmt.qemu_args()).
    cpu defaults to $VERGE_CPU, else cortex-a57; qemu to qemu_bin() (a
    string, given -L where it needs one, or a list: binary and options);
    machine_opts are added to -M (e.g. "mte=on")."""
    cache = cache_dir()
    cpu = cpu or os.environ.get("VERGE_CPU", "cortex-a57")
    append = " ".join(x for x in ("verge.kernel=" + HV_KERNEL_ADDR, hv_opts,
                                  "--", guest_append) if x)
    machine = "virt,virtualization=on,gic-version=3"
    if machine_opts:
        machine += "," + machine_opts
    if isinstance(qemu, (list, tuple)):
        qcmd = list(qemu)
    else:
        q = qemu or qemu_bin()
        qcmd = [q] + qemu_data_args(q)
    cmd = qcmd + [
           "-M", machine,
           "-cpu", cpu or default_cpu(), "-smp", str(smp), "-m", mem,
           "-nographic",
           "-kernel", str(hv_bin()),
           "-device", "loader,file=%s,addr=%s,force-raw=on"
           % (cache / "Image", HV_KERNEL_ADDR),
           "-initrd", str(initrd_path()), "-append", append]
    if no_reboot:
        cmd.append("-no-reboot")
    return cmd + list(extra_args)


def bare_cmd(cpu=None, smp=2, virtualization=True,
             guest_append="console=ttyAMA0", no_reboot=True, mem="1G",
             extra_args=()):
    """The same kernel and initramfs on QEMU with no hypervisor.

    With virtualization=on QEMU enters Linux at EL2 (same emulated
    machine as under verge-hv); without it, at EL1."""
    cache = cache_dir()
    machine = "virt,gic-version=3"
    if virtualization:
        machine = "virt,virtualization=on,gic-version=3"
    cmd = [qemu_bin()] + qemu_data_args() + [
           "-M", machine, "-cpu", cpu or default_cpu(), "-smp", str(smp),
           "-m", mem, "-nographic", "-kernel", str(cache / "Image"),
           "-initrd", str(initrd_path()), "-append", guest_append]
    if no_reboot:
        cmd.append("-no-reboot")
    return cmd + list(extra_args)


class VMError(AssertionError):
    """A console expectation failed; the message ends with the console tail."""


class VM:
    def __init__(self, cmd, limit=QEMU_LIMIT):
        self.cmd = list(cmd)
        self.text = ""          # everything QEMU printed, \r and ANSI removed
        self.pos = 0            # expect() searches from here
        self.start = time.monotonic()
        self._dec = codecs.getincrementaldecoder("utf-8")("replace")
        self._eof = False
        self.proc = subprocess.Popen(
            ["timeout", "-s", "KILL", str(limit)] + self.cmd,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
            env=qemu_env(self.cmd[0]))
        os.set_blocking(self.proc.stdout.fileno(), False)

    # -- reading ---------------------------------------------------------
    def _pump(self, timeout):
        """Read what is available within timeout; False at EOF."""
        if self._eof:
            return False
        fd = self.proc.stdout.fileno()
        r, _, _ = select.select([fd], [], [], max(timeout, 0))
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not data:
            self._eof = True
            self.text += self._dec.decode(b"", final=True)
            return False
        chunk = self._dec.decode(data)
        self.text += _ANSI.sub("", chunk.replace("\r", ""))
        return True

    def tail(self, n=40):
        return "\n".join(self.text.splitlines()[-n:])

    def fail(self, what):
        raise VMError("%s\n--- console (last lines) ---\n%s"
                      % (what, self.tail()))

    def expect(self, pattern, timeout=BOOT_TIMEOUT):
        """Wait for regex pattern after the cursor; move the cursor past it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("timeout (%ss) waiting for %r" % (timeout, pattern))
            if not self._pump(min(left, 1.0)):
                m = rx.search(self.text, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                self.fail("QEMU exited (status %s) before %r"
                          % (self.proc.wait(), pattern))

    def expect_line(self, line, timeout=BOOT_TIMEOUT):
        return self.expect(r"(?m)^" + re.escape(line) + r"$", timeout)

    def drain(self, seconds):
        """Keep reading the console for seconds (QEMU never blocks on a
        full pipe); False if QEMU exited meanwhile."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self._pump(min(deadline - time.monotonic(), 1.0)):
                return False
        return True

    def skip(self):
        """Move the cursor to the end of what was read so far."""
        self.pos = len(self.text)

    # -- writing ---------------------------------------------------------
    def send(self, s):
        self.proc.stdin.write(s.encode())
        self.proc.stdin.flush()

    def shell(self, timeout=BOOT_TIMEOUT):
        """Wait for the first shell prompt of init's interactive shell."""
        self.expect(re.escape(PROMPT), timeout)

    def run(self, cmd, timeout=30):
        """Run cmd in the guest shell; return (exit status, output)."""
        # The markers are split by "" so the echoed command line never
        # matches them; only the output of echo does.
        self.send('echo "@@VB"""; %s; echo "@@VE=$?"""\n' % cmd)
        self.expect(r"(?m)^@@VB\n", timeout)
        start = self.pos
        m = self.expect(r"(?m)^@@VE=(\d+)\n", timeout)
        return int(m.group(1)), self.text[start:m.start()]

    def timed(self, cmd, pattern, timeout=30):
        """Type cmd and wait for regex pattern in its output: (match, host
        time.monotonic() when sent, when the match was read)."""
        self.skip()
        t0 = time.monotonic()
        self.send(cmd + "\n")
        m = self.expect(pattern, timeout)
        return m, t0, time.monotonic()

    def uptime(self, tries=3, timeout=30):
        """The guest's /proc/uptime (s), sampled at the host time returned
        (the middle of the shortest of tries round trips), and that round
        trip's length: (uptime, host time, round trip)."""
        best = None
        for _ in range(tries):
            m, t0, t1 = self.timed("cat /proc/uptime",
                                   r"(?m)^(\d+\.\d+) \d+\.\d+\n", timeout)
            if best is None or t1 - t0 < best[2]:
                best = (float(m.group(1)), (t0 + t1) / 2, t1 - t0)
        self.expect(re.escape(PROMPT), timeout)
        return best

    def check(self, cmd, timeout=30):
        rc, out = self.run(cmd, timeout)
        if rc != 0:
            self.fail("guest command %r exited %d:\n%s" % (cmd, rc, out))
        return out

    # -- ending ----------------------------------------------------------
    def wait_exit(self, timeout=60):
        """Wait for QEMU to exit on its own, reading its console; status."""
        deadline = time.monotonic() + timeout
        while self._pump(min(max(deadline - time.monotonic(), 0), 1.0)):
            if time.monotonic() >= deadline:
                self.fail("QEMU still running after %ss" % timeout)
        try:
            return self.proc.wait(max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            self.fail("QEMU closed its console but did not exit")

    def kill(self):
        """Kill QEMU (and its `timeout`) by process group; reap it."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def boot(vm, shell=True, hv=None):
    """Wait for the hypervisor banner (unless bare), then for userspace,
    then (shell=True) for the first prompt of init's shell."""
    if hv is None:
        hv = not BARE
    if hv:
        vm.expect(re.escape(HV_BANNER), BOOT_TIMEOUT)
    vm.expect_line(USERSPACE_UP, BOOT_TIMEOUT)
    if shell:
        vm.shell(30)
