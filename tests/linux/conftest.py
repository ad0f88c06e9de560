"""Fixtures for the Linux-guest tier: a fresh QEMU per test, always killed.

VERGE_LINUX_BARE=1 runs them on bare QEMU, without the hypervisor (see
linuxvm.py), to check the tests themselves.
"""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/mgmt.py
import linuxvm as lv  # noqa: E402


@pytest.fixture
def start_vm(request):
    """start_vm(cpu=..., smp=..., no_reboot=..., hv_opts=..., extra_args=...)
    -> a booting lv.VM.

    Every VM started is killed by its pid at teardown, whatever happened,
    and its console goes to $VERGE_BUILD/linux-logs/<test>.log."""
    need = [lv.cache_dir() / "Image", lv.initrd_path()]
    if not lv.BARE:
        need.append(lv.hv_bin())
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        pytest.fail("missing %s (run make fixtures / make)" % ", ".join(missing))

    vms = []

    def start(**kw):
        if lv.BARE:
            kw.pop("hv_opts", None)
            cmd = lv.bare_cmd(virtualization=False, **kw)
        else:
            cmd = lv.hv_cmd(**kw)
        vm = lv.VM(cmd)
        vms.append(vm)
        return vm

    try:
        yield start
    finally:
        logdir = lv.build_dir() / "linux-logs"
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for i, vm in enumerate(vms):
            vm.kill()
            try:
                logdir.mkdir(parents=True, exist_ok=True)
                suffix = "" if i == 0 else ".%d" % i
                (logdir / (name + suffix + ".log")).write_text(
                    "$ %s\n%s" % (" ".join(vm.cmd), vm.text))
            except OSError:
                pass


@pytest.fixture
def guest(start_vm):
    """A VM under verge-hv (cortex-a57, 2 CPUs) at its shell prompt."""
    vm = start_vm()
    lv.boot(vm)
    return vm
