# SPDX-License-Identifier: Apache-2.0
"""The boot guard with the Debian kernel (docs/bootguard.md).

verge-hv hands its SBSA watchdog to Linux, whose stock sbsa_gwdt driver
binds to it from the DT or, with verge.acpi=1, from the GTDT; busybox
`watchdog` refreshes it (tests/linux/init, verge_wdt=SECONDS).

Checked by counting EV_WATCHDOG events on the management channel:
- refreshed, the guest is never reset, at rate 1 and at rate 1/2 (the
  watchdog counts host time; the daemon's guest-time period stretches);
- the daemon killed, the guest is reset: one "expired" event, in stage
  handed-off with the driver's timeout, then the reset;
- a kernel that never reaches userspace (panic=0 with no init) under
  verge.wdt is reset by the hypervisor's boot timeout;
The only host-time bound is a generous upper one on the reset after the
kill (the timeout plus slack for a loaded host), as the watchdog counts
host time by design.
"""

import re
import tempfile
import time

import pytest

import linuxvm as lv
import mgmt
from conftest import need, save_log

WDT_S = 8               # sbsa_gwdt timeout the guest's driver programs
RUN_S = 2 * WDT_S       # refreshed run per rate (host seconds): twice
                        # the timeout, 16 refreshes of the daemon
SLACK_S = 15            # upper bound slack on the reset after the kill
BOOT_WDT_S = 90         # verge.wdt: covers a slow boot to the driver


def start(hv_opts, guest_append, smp=2):
    if lv.BARE:
        pytest.skip("needs verge-hv")
    need(lv.cache_dir() / "Image", lv.initrd_path(), lv.hv_bin())
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-wdt-"))
    vm = lv.VM(lv.hv_cmd(smp=smp, hv_opts=hv_opts, guest_append=guest_append,
                         extra_args=mgmt.qemu_args(sock)))
    m = mgmt.Mgmt(sock).connect()
    m.hello()
    return vm, m


def expirations(m):
    """EV_WATCHDOG "expired" events received so far (a ping collects
    what arrived before it)."""
    m.ping()
    return [mgmt.Mgmt.parse_watchdog(b) for t, b in m.events
            if t == mgmt.EV_WATCHDOG
            and mgmt.Mgmt.parse_watchdog(b)["what"] == "expired"]


def kill_daemon_and_expect_reset(vm, m, daemon="watchdog"):
    pid = vm.check("pidof %s" % daemon).strip()
    assert re.fullmatch(r"\d+", pid), pid
    vm.send("kill -9 %s\n" % pid)
    t0 = time.monotonic()
    ev = m.wait_watchdog("expired", WDT_S + SLACK_S)
    took = time.monotonic() - t0
    assert ev == {"what": "expired", "stage": "handed-off", "enabled": 1,
                  "timeout_ms": WDT_S * 1000}, ev
    assert vm.wait_exit(30) == 0        # -no-reboot: the reset ends QEMU
    assert "verge-hv: watchdog expired in stage handed-off" in vm.text
    print("reset %.1f s after the kill (timeout %d s)" % (took, WDT_S))


def test_refreshed_then_daemon_killed(request):
    # One CPU: dilation (rate 1/2) stalls all vCPUs in a rendezvous that a
    # second TCG vCPU on a loaded host may miss for seconds; that is the
    # clock's business, not the watchdog's.
    vm, m = start("verge.wdt=%d" % BOOT_WDT_S,
                  "console=ttyAMA0 verge_wdt=%d" % WDT_S, smp=1)
    try:
        lv.boot(vm)
        assert re.search(r"sbsa-gwdt b000000\.watchdog: Initialized with "
                         r"%ds timeout @ \d+ Hz, action=0\. \[enabled\]"
                         % WDT_S, vm.text), "sbsa_gwdt did not bind (DT)"
        assert "verge-init: watchdog daemon" in vm.text
        for num, den in ((1, 1), (1, 2)):
            m.set_rate(num, den)
            assert vm.drain(RUN_S), "QEMU exited at rate %d/%d" % (num, den)
            assert expirations(m) == [], "reset at rate %d/%d" % (num, den)
            vm.check("true")
        m.set_rate(1, 1)
        kill_daemon_and_expect_reset(vm, m)
    finally:
        m.close()
        vm.kill()
        save_log(vm, request.node.name)


def test_agent_is_the_watchdog_daemon(request):
    """The guest agent as the daemon (verge-guest-agent run --watchdog
    /dev/watchdog): a guest with the agent needs nothing else. Refreshed,
    never reset; the agent killed, the guest is reset."""
    vm, m = start("verge.wdt=%d" % BOOT_WDT_S,
                  "console=ttyAMA0 verge_wdt=%d verge_wdt_daemon=agent"
                  % WDT_S, smp=1)
    try:
        lv.boot(vm)
        assert "verge-init: watchdog daemon (agent)" in vm.text
        assert vm.drain(RUN_S), "QEMU exited while the agent refreshed"
        assert expirations(m) == [], "reset while the agent refreshed"
        assert "refreshing /dev/watchdog every second" in \
            vm.check("cat /tmp/agent.log")
        kill_daemon_and_expect_reset(vm, m, "verge-guest-agent")
    finally:
        m.close()
        vm.kill()
        save_log(vm, request.node.name)


def test_acpi_gtdt_binds(request):
    vm, m = start("verge.acpi=1 verge.wdt=%d" % BOOT_WDT_S,
                  "verge_wdt=%d" % WDT_S)
    try:
        lv.boot(vm)
        assert re.search(r"sbsa-gwdt sbsa-gwdt\.0: Initialized with %ds "
                         r"timeout" % WDT_S, vm.text), \
            "sbsa_gwdt did not bind from the GTDT"
        assert vm.drain(2 * WDT_S) and expirations(m) == []
        kill_daemon_and_expect_reset(vm, m)
    finally:
        m.close()
        vm.kill()
        save_log(vm, request.node.name)


def test_hung_boot_is_reset(request):
    """No init: the kernel panics and, with panic=0, waits forever; only
    the boot timeout of verge.wdt brings it back."""
    # 30 s: the panic comes well before it even on a loaded host, so the
    # reset is the boot timeout's, after the hang, not a race with a slow
    # boot; the order is checked on the console, not by host time.
    vm, m = start("verge.wdt=30",
                  "console=ttyAMA0 rdinit=/nonexistent init=/nonexistent "
                  "panic=0")
    try:
        ev = m.wait_watchdog("expired", 30 + lv.BOOT_TIMEOUT)
        assert ev == {"what": "expired", "stage": "handed-off",
                      "enabled": 1, "timeout_ms": 30000}, ev
        assert vm.wait_exit(30) == 0
        panic = vm.text.find("Kernel panic - not syncing")
        assert panic >= 0, "no panic before the reset:\n" + vm.text[-2000:]
        assert panic < vm.text.find("verge-hv: watchdog expired")
        assert not [b for t, b in m.events if t == mgmt.EV_WATCHDOG and
                    m.parse_watchdog(b)["what"] == "expired"], m.events
    finally:
        m.close()
        vm.kill()
        save_log(vm, request.node.name)
