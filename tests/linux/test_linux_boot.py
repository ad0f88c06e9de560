# SPDX-License-Identifier: Apache-2.0
"""A real Debian arm64 kernel + busybox initramfs under verge-hv.

The other CPU models boot a fresh QEMU each (see conftest.py); the
cortex-a57 on 2 CPUs is booted once for the module (`vm`): the tests that
only read it share it, then it reboots, then it powers off (last). What
the hypervisor itself must print is in linuxvm.py (HV_BANNER, HV_MEM_RE).
"""

import re
import time

import pytest

import linuxvm as lv
from conftest import need, save_log

HV_RAM_START = 0x40000000   # verge-hv occupies the start of RAM


@pytest.fixture(scope="module")
def vm():
    """cortex-a57 on 2 CPUs (the default VM) at its shell prompt, booted
    once for the module, with reboots left to the guest (no -no-reboot);
    killed by its pid at the end, its console in linux-logs/."""
    need(lv.cache_dir() / "Image", lv.initrd_path(),
         *([] if lv.BARE else [lv.hv_bin()]))
    cmd = lv.bare_cmd(virtualization=False, no_reboot=False) if lv.BARE \
        else lv.hv_cmd(no_reboot=False)
    v = lv.VM(cmd)
    try:
        lv.boot(v)
        yield v
    finally:
        v.kill()
        save_log(v, "test_linux_boot")


def booted_cleanly(vm):
    assert "Kernel panic" not in vm.text
    if not lv.BARE:
        # The banner comes before the guest kernel's first line.
        assert vm.text.index(lv.HV_BANNER) < vm.text.index("Booting Linux")


# The other CPU models (cortex-a72, and QEMU 10's) on 2 CPUs boot in the
# cores tier (tests/cores), with the same checks.
@pytest.mark.parametrize("cpu,smp", [("cortex-a57", 1)])
def test_boots_to_userspace(start_vm, cpu, smp):
    vm = start_vm(cpu=cpu, smp=smp)
    lv.boot(vm, shell=False)
    booted_cleanly(vm)


def test_default_boots_to_userspace(vm):
    """cortex-a57 on 2 CPUs: the module's VM."""
    booted_cleanly(vm)


def test_cpuinfo_shows_two_processors(vm):
    out = vm.check("grep -c ^processor /proc/cpuinfo")
    assert out.strip() == "2"


def _timer_counts(vm):
    """Per-CPU arch_timer interrupt counts (summed over arch_timer lines)."""
    out = vm.check("cat /proc/interrupts")
    lines = out.splitlines()
    header = [ln for ln in lines if re.match(r"\s+CPU0\b", ln)]
    if not header:
        vm.fail("no CPU header in /proc/interrupts:\n" + out)
    ncpu = len(re.findall(r"CPU\d+", header[0]))
    counts = [0] * ncpu
    timer = [ln for ln in lines if "arch_timer" in ln]
    if not timer:
        vm.fail("no arch_timer line in /proc/interrupts:\n" + out)
    for ln in timer:
        for i, c in enumerate(ln.split()[1:1 + ncpu]):
            counts[i] += int(c)
    return counts


def test_arch_timer_ticks_on_both_cpus(vm):
    # Keep both CPUs busy so each takes scheduler ticks (an idle NO_HZ
    # CPU may legitimately take none in a second).
    vm.check("for i in 1 2; do (while :; do :; done) & done")
    try:
        before = _timer_counts(vm)
        time.sleep(1)
        vm.check("sleep 1")
        after = _timer_counts(vm)
    finally:
        vm.run("kill $(jobs -p) 2>/dev/null; wait")
    assert len(after) == 2, after
    assert all(a > 0 for a in after), (before, after)
    assert all(a > b for a, b in zip(after, before)), (before, after)


def _system_ram(vm):
    out = vm.check("cat /proc/iomem")
    ram = []
    for ln in out.splitlines():
        m = re.match(r"\s*([0-9a-fA-F]+)-([0-9a-fA-F]+) : System RAM", ln)
        if m:
            ram.append((int(m.group(1), 16), int(m.group(2), 16)))
    if not ram:
        vm.fail("no System RAM in /proc/iomem:\n" + out)
    return ram


def test_guest_ram_excludes_hypervisor(vm):
    ram = _system_ram(vm)
    if lv.BARE:
        pytest.skip("bare QEMU: no hypervisor memory to exclude")
    m = re.search(lv.HV_MEM_RE, vm.text)
    if m:
        # [start, end): right whether the banner's end is inclusive or not.
        hv = (int(m.group(1), 16), int(m.group(2), 16))
        assert hv[0] < hv[1], m.group(0)
    else:
        hv = (HV_RAM_START, HV_RAM_START + 1)
    for lo, hi in ram:   # iomem ranges are inclusive
        assert hi < hv[0] or lo >= hv[1], \
            "System RAM %#x-%#x overlaps verge-hv %#x-%#x" % (lo, hi, *hv)
    assert not any(lo <= HV_RAM_START <= hi for lo, hi in ram)


# The last two change the module's VM: a reboot, then the power-off.

def test_reboot_restarts_hypervisor_and_guest(vm):
    n_hv = vm.text.count(lv.HV_BANNER)
    n_up = vm.text.count(lv.USERSPACE_UP)
    vm.skip()
    vm.send("reboot -f\n")
    # A second start: the hypervisor's banner again, then the guest again.
    lv.boot(vm)
    if not lv.BARE:
        assert vm.text.count(lv.HV_BANNER) > n_hv
    assert vm.text.count(lv.USERSPACE_UP) == n_up + 1
    assert vm.check("echo up-$((6*7))").strip() == "up-42"


def test_poweroff_exits_qemu_with_status_0(vm):
    vm.send("poweroff -f\n")
    assert vm.wait_exit(60) == 0
