"""Unmodified open-vm-tools from Debian's arm64 package in a verge guest:
vmware-checkvm finds a VMware-compatible backdoor, and vmware-rpctool's
guestinfo round trip works, with the host and with verge-guest-agent.

The programs and their libraries are fetched by `make fixtures`
(scripts/fetch-ovt.sh) and added to the test initramfs as
$VERGE_BUILD/ovt-initrd.gz (scripts/mkovt-initramfs.sh).
"""

import re
import tempfile

import pytest

import linuxvm as lv
import mgmt

# No ld.so.cache in an initramfs: name the library directory.
ENV = "LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu "


def ovt_initrd():
    return lv.build_dir() / "ovt-initrd.gz"


@pytest.fixture(scope="module")
def ovt():
    """(VM under verge-hv booted with the open-vm-tools initramfs, Mgmt)."""
    if lv.BARE:
        pytest.skip("needs verge-hv")
    need = [lv.cache_dir() / "Image", ovt_initrd(), lv.hv_bin()]
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        pytest.fail("missing %s (run make fixtures / make)"
                    % ", ".join(missing))
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-"))
    cmd = lv.hv_cmd(extra_args=mgmt.qemu_args(sock))
    cmd[cmd.index("-initrd") + 1] = str(ovt_initrd())
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
        try:
            d = lv.build_dir() / "linux-logs"
            d.mkdir(parents=True, exist_ok=True)
            (d / "test_ovt.log").write_text("$ %s\n%s"
                                            % (" ".join(vm.cmd), vm.text))
        except OSError:
            pass


def test_checkvm(ovt):
    """vmware-checkvm reports a VMware-compatible backdoor."""
    vm, _ = ovt
    rc, out = vm.run(ENV + "vmware-checkvm")
    assert rc == 0, out
    assert re.search(r"(?m)^VMware software version \d+ \(good\)$", out), out


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
