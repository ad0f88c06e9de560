# SPDX-License-Identifier: Apache-2.0
"""Reconciling after verged died (kill -9), with stand-in QEMUs
(fake_qemu.py): a stop that was in progress is finished by the next
verged; a VM whose QEMU died while verged was down is recorded as
crashed and restarted by its policy; one that was stopped stays so."""

import os
import signal
import time
from pathlib import Path

import pytest

import verged_harness as vh

FAKE = Path(__file__).resolve().parent / "fake_qemu.py"


@pytest.fixture
def vd():
    v = vh.Verged(config_extra="binary = %s\n[vm]\nstop_timeout_s = 2\n"
                  % FAKE, isolation="off")
    hv = v.tmp / "hv.bin"
    hv.write_bytes(b"hv")
    v.config.write_text(v.config.read_text().replace(
        str(vh.build_dir() / "verge-hv.bin"), str(hv)))
    v.kernel = v.tmp / "Image"
    v.kernel.write_bytes(b"k")
    try:
        v.start()
        yield v
    finally:
        v.cleanup()


def wait_for(what, fn, timeout=15):
    deadline = time.monotonic() + timeout
    while not fn():
        if time.monotonic() > deadline:
            raise AssertionError("timeout waiting for " + what)
        time.sleep(0.1)


def running(vd, name):
    return vd.call("vm.show", name=name)["state"] == "running"


def test_stop_in_progress_is_finished(vd):
    vd.call("vm.define", name="deaf", kernel=str(vd.kernel),
            cmdline="fake.ignore_button=1")
    pid = vd.call("vm.start", name="deaf")["pid"]
    wait_for("running", lambda: running(vd, "deaf"))
    c = vd.client()
    c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"vm.stop","params":'
               b'{"name":"deaf","timeout_s":600}}\n')
    wait_for("stopping", lambda: vd.call("vm.show", name="deaf")["state"]
             == "stopping")
    vd.kill9()
    c.close()
    assert os.path.exists("/proc/%d" % pid)
    vd.start()
    # the new verged finishes the stop with its own deadline (2 s)
    wait_for("stopped", lambda: vd.call("vm.show", name="deaf")["state"]
             == "stopped", 20)
    assert vd.qemu_pids() == []
    types = [e["type"] for e in vd.call("events.list", vm="deaf")]
    assert types.count("vm.stop") == 2 and "daemon.attach" in types
    assert types[-1] == "vm.shutdown"


def test_died_while_down_is_restarted(vd):
    vd.call("vm.define", name="phoenix", kernel=str(vd.kernel),
            restart="on-crash")
    vd.call("vm.define", name="plain", kernel=str(vd.kernel))
    vd.call("vm.define", name="idle", kernel=str(vd.kernel))
    old = vd.call("vm.start", name="phoenix")["pid"]
    plain = vd.call("vm.start", name="plain")["pid"]
    wait_for("running", lambda: running(vd, "phoenix") and
             running(vd, "plain"))
    vd.kill9()
    os.kill(old, signal.SIGKILL)
    os.kill(plain, signal.SIGKILL)
    time.sleep(0.5)
    vd.start()
    wait_for("phoenix back", lambda: running(vd, "phoenix"), 20)
    vm = vd.call("vm.show", name="phoenix")
    assert vm["pid"] != old and vm["boots"] == 2
    assert vd.call("vm.show", name="plain")["state"] == "crashed"
    assert vd.call("vm.show", name="idle")["state"] == "defined"
    for name in ("phoenix", "plain"):
        crash = [e for e in vd.call("events.list", vm=name)
                 if e["type"] == "vm.crash"]
        assert len(crash) == 1
        assert crash[0]["detail"]["seen"] == "gone at daemon start"
    assert len(vd.qemu_pids()) == 1
