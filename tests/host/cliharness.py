# SPDX-License-Identifier: Apache-2.0
"""A real verged in a temporary directory, and verge run against it.

Used by tests/host/test_cli.py and bench/cli.py. VERGED names the daemon
binary (default $VERGE_BUILD/verged), VERGE the CLI (default
$VERGE_BUILD/verge); VERGE_BUILD defaults to build/ in the repository.
Every daemon started here is stopped by its pid.
"""

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def build_dir():
    p = Path(os.environ.get("VERGE_BUILD", "build"))
    return p if p.is_absolute() else REPO / p


def verge_bin():
    return Path(os.environ.get("VERGE", build_dir() / "verge"))


def verged_bin():
    return Path(os.environ.get("VERGED", build_dir() / "verged"))


class Verged:
    """verged --foreground with its socket, state and run dirs in dir."""

    def __init__(self, dir=None):
        self.dir = Path(dir or tempfile.mkdtemp(prefix="verge-cli-"))
        self.sock = str(self.dir / "verged.sock")
        self.log = self.dir / "verged.log"
        self.proc = None

    def start(self, timeout=10):
        (self.dir / "state").mkdir(exist_ok=True)
        (self.dir / "run").mkdir(exist_ok=True)
        # The build tree's verge-hv.bin, wherever VERGED comes from.
        conf = self.dir / "verged.conf"
        conf.write_text("[qemu]\nhypervisor = %s\n" % (
            build_dir() / "verge-hv.bin"))
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(verged_bin()), "--foreground", "--config", str(conf),
                 "--socket", self.sock,
                 "--state-dir", str(self.dir / "state"),
                 "--run-dir", str(self.dir / "run")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("verged exited with %d: %s" % (
                    self.proc.returncode, self.log.read_text()[-2000:]))
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.sock)
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("verged did not listen on %s" % self.sock)

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def verge(self, *args, timeout=20, **kw):
        """verge --socket SOCK ARGS...: a CompletedProcess (text)."""
        return subprocess.run([str(verge_bin()), "--socket", self.sock,
                               *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, **kw)
