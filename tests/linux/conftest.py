# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the Linux-guest tier: a fresh QEMU per test, always killed.

VERGE_LINUX_BARE=1 runs them on bare QEMU, without the hypervisor (see
linuxvm.py), to check the tests themselves.
"""

import contextlib
import re
import tempfile

import pytest

import linuxvm as lv
import mgmt


def need(*paths):
    """Fails the test when a build product or fixture is missing."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.fail("missing %s (run make fixtures / make)"
                    % ", ".join(missing))


def save_log(vm, name):
    """Keeps the VM's command and console in $VERGE_BUILD/linux-logs."""
    try:
        d = lv.build_dir() / "linux-logs"
        d.mkdir(parents=True, exist_ok=True)
        (d / (name + ".log")).write_text("$ %s\n%s"
                                         % (" ".join(vm.cmd), vm.text))
    except OSError:
        pass


@contextlib.contextmanager
def _mgmt_vm(log_name, uuid=None, initrd=None, hv_opts="", **hv_kw):
    """(VM under verge-hv at its prompt, connected mgmt.Mgmt), for a
    module-scoped fixture: the host side connects and says hello before
    the guest boots. uuid goes to verge.uuid, hv_opts are more verge-hv
    options, initrd replaces the test initramfs, hv_kw go to lv.hv_cmd
    (qemu=, cpu=, ...). The VM is killed by its pid and its log kept as
    linux-logs/<log_name>.log, whatever happened."""
    if lv.BARE:
        pytest.skip("needs verge-hv and its management channel")
    need(lv.cache_dir() / "Image", initrd or lv.initrd_path(), lv.hv_bin())
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-"))
    opts = " ".join(x for x in (hv_opts, "verge.uuid=" + uuid if uuid
                                else "") if x)
    cmd = lv.hv_cmd(hv_opts=opts, extra_args=mgmt.qemu_args(sock), **hv_kw)
    if initrd:
        cmd[cmd.index("-initrd") + 1] = str(initrd)
    vm = lv.VM(cmd)
    m = None
    try:
        m = mgmt.Mgmt(sock).connect()
        m.hello()
        lv.boot(vm)
        yield vm, m
    finally:
        if m:
            m.close()
        vm.kill()
        save_log(vm, log_name)


@pytest.fixture(scope="session")
def mgmt_vm():
    """A context manager (see _mgmt_vm): `with mgmt_vm("name") as (vm, m)`
    inside a module-scoped fixture boots one VM for the module."""
    return _mgmt_vm


@pytest.fixture
def start_vm(request):
    """start_vm(cpu=..., smp=..., no_reboot=..., hv_opts=..., extra_args=...)
    -> a booting lv.VM.

    Every VM started is killed by its pid at teardown, whatever happened,
    and its console goes to $VERGE_BUILD/linux-logs/<test>.log."""
    need(lv.cache_dir() / "Image", lv.initrd_path(),
         *([] if lv.BARE else [lv.hv_bin()]))

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
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for i, vm in enumerate(vms):
            vm.kill()
            save_log(vm, name + ("" if i == 0 else ".%d" % i))


@pytest.fixture
def mgmt_start(start_vm):
    """start(**kw) -> (VM under verge-hv at its shell prompt, connected
    mgmt.Mgmt), one VM a call, for the test's duration: kw go to
    start_vm (hv_opts, qemu, cpu, ...), the management channel is
    added. Each client is closed at teardown (start_vm kills the VMs)."""
    clients = []

    def start(**kw):
        sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-"))
        vm = start_vm(extra_args=mgmt.qemu_args(sock), **kw)
        m = mgmt.Mgmt(sock).connect()
        clients.append(m)
        m.hello()
        lv.boot(vm)
        return vm, m

    try:
        yield start
    finally:
        for m in clients:
            m.close()


@pytest.fixture
def guest(start_vm):
    """A VM under verge-hv (cortex-a57, 2 CPUs) at its shell prompt."""
    vm = start_vm()
    lv.boot(vm)
    return vm
