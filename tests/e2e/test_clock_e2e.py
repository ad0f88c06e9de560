# SPDX-License-Identifier: Apache-2.0
"""verged keeps a VM's stored clock (rate and presented frequency) across
a guest reboot and a restart, with a real Linux guest under verge-hv.

One VM, presented 125 MHz (twice QEMU's 62.5 MHz counter), defined at
rate 0.5. A live `set-rate 1` must survive the guest's reboot (verge-hv
restarts from its command line, which still says 1/2: verged restores
the stored rate, 1 included). Restarted at rate 1, the VM must keep both:
verge.freq alone would run the guest at 62.5/125 = 1/2.
"""

import time

import pytest

import verged_harness as vh  # noqa: E402

BOOT_TIMEOUT = 120
NAME = "clk"
FREQ = 125000000
HOST_FREQ = 62500000


def boots(v):
    return [e for e in v.call("events.list", vm=NAME, limit=1000)
            if e["type"] == "vm.boot"]


def settled_rate(v, want, timeout=20):
    """The live rate once it is want, or the last one seen at timeout."""
    deadline = time.monotonic() + timeout
    clk = None
    while time.monotonic() < deadline:
        clk = vh.live_clock(v, NAME) or clk
        if clk and clk["rate"] == want:
            break
        time.sleep(0.2)
    return clk


def slope(v):
    """Guest ticks per host tick over about 2 s of host time."""
    a = v.call("clock.show", name=NAME)
    time.sleep(2)
    b = v.call("clock.show", name=NAME)
    return (b["guest_counter"] - a["guest_counter"]) / \
        (b["host_counter"] - a["host_counter"])


@pytest.fixture(scope="module")
def v():
    vh.guest_files()
    with vh.running(vh.Verged()) as v:
        vh.define_vm(v, NAME, rate="0.5", freq_hz=FREQ)
        v.call("vm.start", name=NAME)
        yield v


def test_set_rate_1_survives_guest_reboot(v):
    clk = vh.wait_for("the management channel",
                      lambda: vh.live_clock(v, NAME), 60)
    assert clk["rate"] == "1/2" and clk["freq_hz"] == FREQ, clk
    vh.wait_for("userspace", lambda: "verge-init: userspace up" in
                vh.console_log(v, NAME), BOOT_TIMEOUT)
    clk = v.call("clock.set_rate", name=NAME, rate="1")
    assert clk["rate"] == "1/1" and clk["live"] is True, clk
    with vh.Console(v, NAME) as con:
        con.send(b"\nreboot -f\n")
        vh.wait_for("the second vm.boot", lambda: con.drain() and
                    len(boots(v)) == 2, BOOT_TIMEOUT)
    clk = settled_rate(v, "1/1")
    assert clk and clk["rate"] == "1/1", clk      # not the 1/2 it booted at
    assert clk["freq_hz"] == FREQ, clk
    assert v.call("vm.show", name=NAME)["clock"]["rate"] == "1/1"


def test_frequency_at_rate_1_kept_on_restart(v):
    v.call("vm.kill", name=NAME)
    vh.wait_for("stopped", lambda: v.call("vm.show", name=NAME)["state"]
                != "running", 30)
    v.call("vm.start", name=NAME)
    vh.wait_for("the management channel",
                lambda: vh.live_clock(v, NAME), 60)
    clk = settled_rate(v, "1/1")
    assert clk["rate"] == "1/1" and clk["freq_hz"] == FREQ, clk
    # rate 1 at 125 MHz on a 62.5 MHz counter: two guest ticks a host tick
    s = slope(v)
    assert abs(s - FREQ / HOST_FREQ) < 0.01, s
