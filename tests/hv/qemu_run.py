# SPDX-License-Identifier: Apache-2.0
"""Run one QEMU to completion and return its console (standard library only).

QEMU runs in a session of its own under coreutils `timeout`, so killing the
process group of the pid we started ends both, and a QEMU orphaned by a
killed test run still dies at its hard limit.
"""

import os
import signal
import subprocess


def run(cmd, timeout):
    """Run cmd (a list) with stdin from /dev/null for at most timeout s.

    Returns (exit code, console text); the exit code is None when QEMU was
    killed at the timeout. QEMU is killed by its pid whatever happens."""
    hard = ["timeout", "-s", "KILL", str(int(timeout) + 30)]
    proc = subprocess.Popen(hard + list(cmd), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        kill(proc)
        out, _ = proc.communicate()
        rc = None
    finally:
        kill(proc)
    return rc, out.decode("utf-8", "replace").replace("\r\n", "\n")


def kill(proc):
    """Kill proc's process group (its pid) if it still runs, and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
