# SPDX-License-Identifier: Apache-2.0
"""Unmodified open-vm-tools from Debian's arm64 package in a verge guest:
vmware-checkvm finds a VMware-compatible backdoor, and vmware-rpctool's
guestinfo round trip works, with the host and with verge-guest-agent
(the one boot with open-vm-tools of the tier).

The programs and their libraries are fetched by `make fixtures`
(scripts/fetch-ovt.sh) and added to the test initramfs as
$VERGE_BUILD/ovt-initrd.gz (scripts/mkovt-initramfs.sh).
"""

import re

import pytest

import linuxvm as lv
import mgmt

# No ld.so.cache in an initramfs: name the library directory.
ENV = "LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu "


def ovt_initrd():
    return lv.build_dir() / "ovt-initrd.gz"


@pytest.fixture(scope="module")
def ovt(mgmt_vm):
    """(VM under verge-hv booted with the open-vm-tools initramfs, Mgmt)."""
    with mgmt_vm("test_ovt", initrd=ovt_initrd()) as vm_m:
        yield vm_m


def lines(out):
    """Output lines, stripped (a kernel message may share the console)."""
    return [l.strip() for l in out.splitlines()]


def test_checkvm(ovt):
    """vmware-checkvm reports a VMware-compatible backdoor (version 6) on
    an ESX Server product."""
    vm, _ = ovt
    rc, out = vm.run(ENV + "vmware-checkvm")
    assert rc == 0, out
    assert re.search(r"(?m)^VMware software version \d+ \(good\)$", out), out
    assert "VMware software version 6 (good)" in out, out
    rc, out = vm.run(ENV + "vmware-checkvm -p")
    assert rc == 0, out
    assert "ESX Server" in lines(out), out


def test_rpctool_guestinfo(ovt):
    """info-set then info-get returns the value; the host sees the set
    and its own values are read back; a missing key fails."""
    vm, m = ovt
    m.events.clear()
    rc, out = vm.run(ENV + "vmware-rpctool 'info-set guestinfo.k v'")
    assert rc == 0, out
    rc, out = vm.run(ENV + "vmware-rpctool 'info-get guestinfo.k'")
    assert (rc, out.strip()) == (0, "v")
    _, body = m.wait_event(mgmt.EV_GUESTINFO, timeout=5)
    assert body == b"k\x00v"
    m.guestinfo_set("from.host", "hello guest")
    rc, out = vm.run(ENV + "vmware-rpctool 'info-get guestinfo.from.host'")
    assert (rc, out.strip()) == (0, "hello guest")
    # verge-guest-agent reads what open-vm-tools wrote.
    assert vm.check("verge-guest-agent rpc 'info-get guestinfo.k'").strip() \
        == "v"
    rc, out = vm.run(ENV + "vmware-rpctool 'info-get guestinfo.nope'")
    assert rc != 0, out


def test_rpctool_unknown_command(ovt):
    """A command the backdoor does not know fails with its reason."""
    vm, _ = ovt
    rc, out = vm.run(ENV + "vmware-rpctool 'no-such-command'")
    assert rc == 1 and "Unknown command" in out, out
