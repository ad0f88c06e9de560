# SPDX-License-Identifier: Apache-2.0
"""The hypervisor's own devices on a machine DT of our making, with the
bare-metal test guest ("guest.tests=board", tests/guest/tests_board.c).

QEMU's virt machine has no SBSA Generic Watchdog (hw/arm/virt.c creates
none, and `-device sbsa_gwdt` is refused there: not a pluggable device),
so the board's watchdog is written into the DT by hand: QEMU's own DTB
for this very command line (-machine dumpdtb), plus an arm,sbsa-gwdt node
whose two frames sit in RAM that a /reserved-memory node sets aside, and
booted with -dtb. RAM stands in for the registers: it keeps what verge-hv
writes, which the test reads through QEMU's monitor (HMP `xp` over QMP),
but it does not count down or reset anything. That the driver's writes
make an architected part reset the board when they should is shown on the
host against a register model (tests/unit/test_sbsa_gwdt.c).

Checked in one boot (verge.wdt=60 verge.wdt_loader=1): the guest's DT
has only the emulated watchdog, every access to the board's frames is an
external abort (board_wdt_hidden); verge-hv armed the board's watchdog
with the boot guard's timeout plus 2 s (WCS, WOR) and keeps refreshing
it (WRR counts refreshes); with CPU 0 switched off a host PING and a
GUESTINFO_SET are answered (mgmt_cpu0_off); the guest as its boot loader
sets the timeout to 10 s and hands off (board_wdt_loader): the board's
is re-armed with 12 s (read when QEMU pauses at the guest's power-off). A second boot lets the emulated watchdog expire: verge-hv
shortens the board's timeout to 1 s before resetting the guest (QEMU is
told to pause at the reset, so the frames can be read).
"""

import json
import re
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import linuxvm
import mgmt
from test_guest import tail

TIMEOUT = 120
GUEST = "0x44000000"
CTRL, REFRESH = 0x7c000000, 0x7c010000     # tests/guest/tests_board.c
FREQ = 62500000                             # QEMU virt's system counter
FOUND_WCS = 1       # what "the firmware" left: enabled
IIDR = 0x00010000   # architecture version 1: 48-bit WOR

NODES = """
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		board-wdt@7c000000 {
			reg = <0x0 0x7c000000 0x0 0x20000>;
			no-map;
		};
	};
	watchdog@7c000000 {
		compatible = "arm,sbsa-gwdt";
		reg = <0x0 0x7c000000 0x0 0x1000>, <0x0 0x7c010000 0x0 0x1000>;
		interrupts = <0x0 0x1e 0x4>;
	};
"""


@pytest.fixture(autouse=True)
def needs_hv(bare):
    if bare:
        pytest.skip("needs verge-hv")


def board_dtb(cmd, tmp):
    """QEMU's DTB for cmd (its -M gets dumpdtb) plus NODES: the path."""
    raw, dts, out = tmp / "virt.dtb", tmp / "board.dts", tmp / "board.dtb"
    dump = list(cmd)
    i = dump.index("-M")
    dump[i + 1] += ",dumpdtb=%s" % raw
    subprocess.run(dump, check=True, timeout=60, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(raw)],
                          check=True, capture_output=True, text=True).stdout
    end = text.rstrip().rindex("};")
    dts.write_text(text[:end] + NODES + "};\n")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(out),
                    str(dts)], check=True)
    return out


class Qmp:
    """QMP, for HMP `xp` (human-monitor-command)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        for _ in range(300):
            try:
                self.s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.1)
        self.f = self.s.makefile("rw")
        self.f.readline()
        self.call("qmp_capabilities")

    def call(self, cmd, **args):
        self.f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise AssertionError("QMP %s: %s" % (cmd, r["error"]))

    def words(self, addr, n):
        """n 32-bit words of guest physical memory at addr."""
        out = self.call("human-monitor-command",
                        **{"command-line": "xp /%dwx 0x%x" % (n, addr)})
        return [int(w, 16) for w in re.findall(r"0x([0-9a-f]{8})\b",
                                               out.split(":", 1)[1])]

    def close(self):
        self.s.close()


def boot(qemu_cmd, tmp, opts, extra=()):
    sock = mgmt.sock_path(tmp)
    qmp = str(tmp / "qmp.sock")
    base = qemu_cmd(append="verge.kernel=%s %s -- guest.tests=board"
                    % (GUEST, opts), extra_args=mgmt.qemu_args(sock))
    dtb = board_dtb(base, tmp)
    seed = ["-device", "loader,addr=0x%x,data=0x%x,data-len=4"
            % (CTRL + 0xfcc, IIDR),
            "-device", "loader,addr=0x%x,data=0x%x,data-len=4"
            % (CTRL, FOUND_WCS)]
    cmd = base + ["-dtb", str(dtb), "-qmp", "unix:%s,server=on,wait=off"
                  % qmp] + seed + list(extra)
    vm = linuxvm.VM(cmd, TIMEOUT + 30)
    return vm, mgmt.Mgmt(sock, timeout=10.0), qmp


def paused(q, limit=30):
    """Waits until QEMU stops running the guest (-action
    shutdown=pause at its power-off or reset): the status."""
    deadline = time.monotonic() + limit
    while q.call("query-status")["status"] == "running" and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    return q.call("query-status")["status"]


def control(q):
    wcs, _, wor, woru = q.words(CTRL, 4)
    return wcs, woru << 32 | wor


def test_board_wdt_and_mgmt_with_cpu0_off(qemu_cmd):
    tmp = Path(tempfile.mkdtemp(prefix="verge-board-"))
    vm, m, qmp = boot(qemu_cmd, tmp, "verge.wdt=60 verge.wdt_loader=1",
                      ["-action", "shutdown=pause"])
    with vm, m.connect():
        m.hello()
        # CPU 0 may go off before the host attached: its power event is
        # held, and replayed here
        m.events_ack(replay=True)
        q = Qmp(qmp)
        try:
            wcs, wor = control(q)
            # CPU 0 goes off in mgmt_cpu0_off: the host is answered.
            m.wait_event(mgmt.EV_POWER, TIMEOUT,
                         lambda t, b: b[:8] == struct.pack("<II", 4, 0))
            t0 = time.monotonic()
            m.ping(b"cpu0-off")
            ping_s = time.monotonic() - t0
            # refreshed with CPU 0 off too (it stays off until the
            # guestinfo below): the count moves on (CPU 1's next tick
            # may be some way off on a loaded host)
            wrr0 = q.words(REFRESH, 1)[0]
            wrr1, end = wrr0, time.monotonic() + 10
            while wrr1 == wrr0 and time.monotonic() < end:
                time.sleep(0.05)
                wrr1 = q.words(REFRESH, 1)[0]
            m.guestinfo_set("cpu0off", "pinged")
            vm.expect(r"\d+ passed, \d+ failed\n", TIMEOUT)
            paused(q)
            loader = control(q)
        finally:
            q.close()
        text = vm.text
    print("PING with CPU 0 off: %.3f s; refreshes %d -> %d" %
          (ping_s, wrr0, wrr1))
    for name in ("board_wdt_hidden", "mgmt_cpu0_off", "board_wdt_loader"):
        assert re.search(r"\bPASS %s$" % name, text, re.M), \
            "%s did not pass\n%s" % (name, tail(text))
    assert "board watchdog: SBSA at 0x7c000000 (refresh 0x7c010000), " \
        "version 1, found on, armed with the boot guard" in text, tail(text)
    assert "board watchdog: armed, reset 62000 ms after verge-hv's last " \
        "refresh" in text, tail(text)
    # 60 s + 2 s: WOR is half, in ticks of the system counter
    assert (wcs, wor) == (1, 31 * FREQ), (wcs, wor)
    assert wrr1 > wrr0, (wrr0, wrr1)
    assert "board watchdog: armed, reset 12000 ms after" in text, tail(text)
    assert loader == (1, 6 * FREQ), loader


def test_board_wdt_at_expiry(qemu_cmd):
    """The emulated watchdog expires (verge.wdt=2, the guest never
    refreshes it): the board's is set to reset in 1 s, then the guest's
    reset, at which QEMU pauses (reboot=shutdown, shutdown=pause)."""
    tmp = Path(tempfile.mkdtemp(prefix="verge-board-"))
    vm, m, qmp = boot(qemu_cmd, tmp, "verge.wdt=2",
                      ["-action", "shutdown=pause"])
    with vm, m.connect():
        m.hello()
        q = Qmp(qmp)
        try:
            armed = control(q)
            m.wait_watchdog("expired", TIMEOUT)
            vm.expect(r"watchdog expired in stage handed-off", 10)
            status = paused(q)
            after = control(q)
        finally:
            q.close()
        text = vm.text
    assert armed == (1, 2 * FREQ), armed        # (2 s + 2 s) / 2
    assert status != "running", status
    assert after == (1, FREQ // 2), (after, tail(text))   # 1 s / 2
