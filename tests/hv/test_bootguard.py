# SPDX-License-Identifier: Apache-2.0
"""The boot guard under verge-hv with the bare-metal test guest.

- verge.wdt_loader=1: the guest is its own boot loader; the API is open
  until its HANDOFF call, which is reported on the management channel.
- verge.wdt=2: the hypervisor hands off at entry with the watchdog armed;
  the test guest never refreshes it (its wdt_* tests put it back as they
  found it), so it is reset: the EV_WATCHDOG "expired" event in stage
  handed-off, then the reset (QEMU -no-reboot exits), before the guest
  prints its summary. Counted by events, not timed.

The default boot (sealed API, registers, WS0 interrupt, WS0 with CPU 0
off, the hostile accesses) is test_guest.py; the WS0 storm's reports
(one a second) are counted here.
"""

import re
import tempfile

import pytest

import linuxvm
import mgmt
from test_guest import tail

TIMEOUT = 120
GUEST = "0x44000000"


@pytest.fixture(autouse=True)
def needs_hv(bare):
    if bare:
        pytest.skip("needs verge-hv")


def boot(qemu_cmd, opts):
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-wdt-"))
    vm = linuxvm.VM(qemu_cmd(append="verge.kernel=%s %s --" % (GUEST, opts),
                             extra_args=mgmt.qemu_args(sock)), TIMEOUT + 30)
    return vm, mgmt.Mgmt(sock)


STORM = re.compile(r"INFO wdt_ws0_storm: (\d+) WS0 interrupts in (\d+) ms")


def ws0_events(m):
    """EV_WATCHDOG ws0 events until the hypervisor goes quiet or away."""
    n = 0
    try:
        while True:
            m.wait_watchdog("ws0", 3)
            n += 1
    except (TimeoutError, ConnectionError, OSError):
        return n


def test_loader_hands_off(qemu_cmd):
    vm, m = boot(qemu_cmd, "verge.wdt_loader=1")
    with vm, m.connect():
        m.hello()
        ev = m.wait_watchdog("stage", TIMEOUT, stage="handed-off")
        vm.expect(r"\d+ passed, \d+ failed\n", TIMEOUT)
        text = vm.text
        events = ws0_events(m)
    assert ev["stage"] == "handed-off", ev
    assert ev["enabled"] == 1 and ev["timeout_ms"] == 60000, ev
    assert "INFO wdt_sealed_api: API open: acting as the boot loader" in text
    for name in ("wdt_regs", "wdt_ws0_irq", "wdt_ws0_cpu0_off",
                 "wdt_ws0_storm", "wdt_sealed_api", "wdt_hostile",
                 "wdt_expiry"):
        assert re.search(r"\bPASS %s$" % name, text, re.M), \
            "%s did not pass\n%s" % (name, tail(text))
    # The storm: an interrupt per WS0 for the guest, a report a second
    # for the host, on the console and as EV_WATCHDOG alike (other wdt_*
    # tests raise WS0 too: the storm's own reports are the console lines
    # between the test before it and its result).
    storm = STORM.search(text)
    assert storm, tail(text)
    n, ms = int(storm.group(1)), int(storm.group(2))
    during = text[text.index("PASS wdt_ws0_cpu0_off"):storm.start()]
    lines = len(re.findall(r"verge-hv: watchdog WS0 in stage", during))
    total = len(re.findall(r"verge-hv: watchdog WS0 in stage", text))
    assert n >= 100 and 1 <= lines <= ms // 1000 + 2, \
        "%d WS0 interrupts in %d ms: %d reports" % (n, ms, lines)
    assert 1 <= events <= total, \
        "%d EV_WATCHDOG ws0 events, %d console reports" % (events, total)
    assert "more since the last report" in text, tail(text)


def test_expiry_resets_guest(qemu_cmd):
    vm, m = boot(qemu_cmd, "verge.wdt=2")
    with vm, m.connect():
        m.hello()
        ev = m.wait_watchdog("expired", TIMEOUT)
        _, power = m.wait_event(mgmt.EV_POWER, 10,
                                lambda t, b: b[:4] == b"\x02\0\0\0")
        rc = vm.wait_exit(30)
        text = vm.text
    assert ev == {"what": "expired", "stage": "handed-off", "enabled": 1,
                  "timeout_ms": 2000}, ev
    assert power[:4] == b"\x02\x00\x00\x00", power     # VP_POWER_RESET
    assert rc == 0, "QEMU exit %s\n%s" % (rc, tail(text))
    assert "verge-hv: watchdog expired in stage handed-off" in text, tail(text)
    assert not re.search(r"\d+ passed, \d+ failed", text), \
        "the guest ran to its end: not reset\n" + tail(text)
