# SPDX-License-Identifier: Apache-2.0
"""verge.acpi=1: Linux boots from the ACPI tables verge-hv builds out of
its guest DT, with no DT devices (one boot for the module).

Checked: the tables the hypervisor announces are the ones Linux lists and
they disassemble with iasl on the host; the console comes up on the PL011
through SPCR with no console= on the command line; both CPUs come up
through PSCI from the FADT and MADT; the GTDT timer ticks; the PCIe root
complex and the power button bind from the DSDT; Linux never unflattens
the DT.
"""

import re
import shutil
import subprocess
import time

import pytest

import linuxvm as lv

HV_ACPI_RE = r"verge-hv: ACPI tables at (0x[0-9a-f]+): ([A-Z0-9 ]+);"


@pytest.fixture(scope="module")
def acpi_vm(request):
    if lv.BARE:
        pytest.skip("needs verge-hv")
    # No console= at all: the console must come from SPCR.
    vm = lv.VM(lv.hv_cmd(hv_opts="verge.acpi=1", guest_append=""))
    try:
        lv.boot(vm)
        yield vm
    finally:
        vm.kill()
        logdir = lv.build_dir() / "linux-logs"
        logdir.mkdir(parents=True, exist_ok=True)
        (logdir / "test_acpi.log").write_text("$ %s\n%s" % (
            " ".join(vm.cmd), vm.text))


def announced(vm):
    m = re.search(HV_ACPI_RE, vm.text)
    assert m, "no ACPI line from verge-hv"
    return int(m.group(1), 16), m.group(2).split()


def test_linux_finds_the_tables(acpi_vm):
    rsdp, sigs = announced(acpi_vm)
    assert re.search(r"ACPI: RSDP 0x0*%X 000024 \(v02 VERGE \)" % rsdp,
                     acpi_vm.text)
    for sig in sigs:
        if sig != "RSDP":
            assert re.search(r"ACPI: %s 0x[0-9A-F]+ [0-9A-F]+ \(v0\d VERGE "
                             % sig, acpi_vm.text), sig
    assert "acpi_rsdp=0x%x" % rsdp in acpi_vm.check("cat /proc/cmdline")
    assert "ACPI: Interpreter enabled" in acpi_vm.text
    assert "AML tables successfully acquired and loaded" in acpi_vm.text
    assert not re.search(r"ACPI (Error|BIOS Error|Exception)|Firmware Bug",
                         acpi_vm.text)


def test_sysfs_lists_every_table(acpi_vm, tmp_path):
    _, sigs = announced(acpi_vm)
    listed = acpi_vm.check("ls /sys/firmware/acpi/tables/").split()
    # Linux lists the tables the XSDT points to and the DSDT.
    want = set(sigs) - {"RSDP", "XSDT"}
    assert want <= set(listed), (want, listed)
    if not shutil.which("iasl"):
        pytest.fail("iasl missing (acpica-tools)")
    for sig in sorted(want):
        out = acpi_vm.check("od -An -v -tx1 /sys/firmware/acpi/tables/%s"
                            % sig)
        data = bytes(int(x, 16) for x in out.split())
        assert data[:4] == sig.encode() and sum(data) % 256 == 0, sig
        f = tmp_path / (sig + ".dat")
        f.write_bytes(data)
        r = subprocess.run(["iasl", "-d", f.name], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "Error" not in r.stdout + r.stderr, \
            r.stdout + r.stderr


def test_console_through_spcr(acpi_vm):
    t = acpi_vm.text
    assert "console=" not in acpi_vm.check("cat /proc/cmdline")
    assert re.search(r"ACPI: SPCR: console: pl011,mmio32,0x9000000", t)
    assert re.search(r"ARMH0011:00: ttyAMA0 at MMIO 0x9000000", t)
    assert "printk: console [ttyAMA0] enabled" in t
    # and the shell we are talking to runs on it
    assert acpi_vm.check("echo ok-$((6*7))").strip() == "ok-42"


def test_both_cpus_come_up(acpi_vm):
    assert "psci: probing for conduit method from ACPI." in acpi_vm.text
    assert "smp: Brought up 1 node, 2 CPUs" in acpi_vm.text
    assert acpi_vm.check("cat /sys/devices/system/cpu/online").strip() == "0-1"


def _timer_total(vm):
    out = vm.check("grep arch_timer /proc/interrupts")
    return sum(int(x) for ln in out.splitlines() for x in ln.split()[1:3])


def test_timer_runs(acpi_vm):
    assert re.search(r"arch_timer: cp15 timer\(s\) running at", acpi_vm.text)
    before = _timer_total(acpi_vm)
    up0 = float(acpi_vm.check("cut -d' ' -f1 /proc/uptime"))
    time.sleep(1)
    acpi_vm.check("sleep 1")
    up1 = float(acpi_vm.check("cut -d' ' -f1 /proc/uptime"))
    assert _timer_total(acpi_vm) > before
    assert up1 - up0 >= 1.0


def test_devices_bind_from_dsdt_not_dt(acpi_vm):
    t = acpi_vm.text
    assert "ACPI: PCI Root Bridge [PCI0] (domain 0000 [bus 00-ff])" in t
    assert "ACPI: button: Power Button [PWRB]" in t
    # _OSC grants what Linux asks for, as a DT boot has it
    assert re.search(r"_OSC: OS now controls \[PCIeHotplug", t)
    assert "platform retains control" not in t
    hids = acpi_vm.check("cat /sys/bus/acpi/devices/*/hid | sort -u").split()
    for hid in ("ACPI0007", "ARMH0011", "ARMH0061", "PNP0A08", "PNP0C0C",
                "PRP0001"):
        assert hid in hids, hids
    # ACPI boots never unflatten the DT: no devicetree in sysfs
    rc, _ = acpi_vm.run("test -e /sys/firmware/devicetree/base")
    assert rc != 0
    assert "verge-hv: ACPI tables at" in t and "guest DT without devices" in t


def test_power_button_powers_linux_off(acpi_vm):
    """QEMU's power-down request (system_powerdown on its monitor) pulses
    the PL061 pin the DT's gpio-keys names; the DSDT's _AEI/_E03 turn it
    into Notify (PWRB, 0x80), which Linux's button driver takes (a wakeup
    event on the PNP0C0C device) and reports as KEY_POWER on its input
    device, where the test initramfs's init (evdev) powers off. Last in
    the module: the guest is gone afterwards."""
    assert acpi_vm.check("cat /sys/class/input/input*/name").count(
        "Power Button") >= 1
    acpi_vm.send("\x01c")                           # QEMU monitor (mux)
    time.sleep(0.5)
    acpi_vm.send("system_powerdown\n")
    acpi_vm.expect("verge-init: power button", 30)
    assert acpi_vm.wait_exit(30) == 0
