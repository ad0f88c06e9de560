# SPDX-License-Identifier: Apache-2.0
"""verged with real Linux guests under verge-hv (one verged and two VMs
for the whole module, to keep the tier short): start, running, live clock
rate, kill -9 of verged and re-attach, crash restart, stop and kill, and
the event log with the caller of every step.

The guests' power button: QEMU virt's system_powerdown raises a GPIO key
(KEY_POWER); the test initramfs loads gpio-keys and evdev and powers off
on it, so vm.stop is the graceful path here; vm.kill is the other one.
"""

import os
import signal
import time

import pytest

import verged_harness as vh

BOOT_TIMEOUT = 120
UID = os.getuid()


def console_has(vd, name, text):
    return text in vd.call("vm.console", name=name)["text"]


@pytest.fixture(scope="module")
def vd():
    vh.guest_files()
    with vh.running(vh.Verged()) as v:
        for name, restart in (("web", "no"), ("db", "on-crash")):
            vh.define_vm(v, name, restart=restart)
            vm = v.call("vm.start", name=name)
            assert vm["state"] in ("starting", "running")
            assert vm["pid"] > 0
        yield v


def test_vms_boot_and_run(vd):
    for name in ("web", "db"):
        vh.wait_for("%s running" % name,
                    lambda: vd.call("vm.show", name=name)["state"] ==
                    "running", 30)
        vh.wait_for("%s userspace" % name,
                    lambda: console_has(vd, name, "verge-init: userspace up"),
                    BOOT_TIMEOUT)
    assert len(vd.qemu_pids()) == 2


def test_clock_rate_half(vd):
    vh.wait_for("web clock", lambda: vh.live_clock(vd, "web"), 30)
    clk = vd.call("clock.set_rate", name="web", rate=0.5)
    assert clk["rate"] == "1/2" and clk["live"] is True
    a = vd.call("clock.show", name="web")
    time.sleep(3)
    b = vd.call("clock.show", name="web")
    assert b["rate"] == "1/2"
    ratio = (b["guest_counter"] - a["guest_counter"]) / \
        (b["host_counter"] - a["host_counter"])
    assert abs(ratio - 0.5) < 0.01, ratio
    # and the guest sees it: its uptime advances half as fast as ours
    with vh.Console(vd, "web") as con:
        con.send(b"\n")
        con.expect(rb"verge# ")
        g0, h0, rt0 = con.uptime()
        time.sleep(6)
        g1, h1, rt1 = con.uptime()
    guest_rate = (g1 - g0) / (h1 - h0)
    slack = 0.02 + (rt0 + rt1) / 2 / (h1 - h0)
    assert abs(guest_rate - 0.5) < slack, (guest_rate, rt0, rt1)
    # the other VM was not touched
    assert vd.call("clock.show", name="db")["rate"] == "1/1"
    # stored: what vm.show reports and the next start would use
    assert vd.call("vm.show", name="web")["clock"]["rate"] == "1/2"


def test_kill9_verged_reattaches(vd):
    before = {v["name"]: v["pid"] for v in vd.call("vm.list")}
    qemus = sorted(vd.qemu_pids())
    vd.kill9()
    time.sleep(1)
    assert sorted(vd.qemu_pids()) == qemus        # the VMs ran on
    vd.start()
    vms = vd.call("vm.list")
    assert [v["name"] for v in vms] == ["db", "web"]      # once each
    for v in vms:
        assert v["state"] == "running", v
        assert v["pid"] == before[v["name"]]
    assert sorted(vd.qemu_pids()) == qemus        # none started twice
    # the management channels are back: clocks answer, the rate held
    assert vh.wait_for("web clock", lambda: vh.live_clock(vd, "web"),
                       20)["rate"] == "1/2"
    assert vh.wait_for("db clock", lambda: vh.live_clock(vd, "db"), 20)
    attach = [e for e in vd.call("events.list", limit=1000)
              if e["type"] == "daemon.attach"]
    assert sorted(e["vm"] for e in attach) == ["db", "web"]
    assert all(e["uid"] is None for e in attach)


def test_crash_restarts_on_crash_vm(vd):
    """db has restart=on-crash: killing its QEMU behind verged's back (it
    is a re-attached process now, followed by a pidfd) restarts it."""
    old = vd.call("vm.show", name="db")
    os.kill(old["pid"], signal.SIGKILL)
    new = vh.wait_for("db restarted", lambda: (lambda v: v if v["pid"] and
                      v["pid"] != old["pid"] and v["state"] == "running"
                      else None)(vd.call("vm.show", name="db")), 30)
    assert new["boots"] == old["boots"] + 1
    types = [e["type"] for e in vd.call("events.list", vm="db", limit=1000)
             if e["type"] != "vm.boot"]
    assert types[-2:] == ["vm.crash", "vm.start"]
    assert len(vd.qemu_pids()) == 2


def test_stop_by_power_button_then_kill(vd):
    vm = vd.call("vm.stop", name="web", timeout_s=30)
    assert vm["state"] == "stopped" and vm["pid"] is None
    # QEMU's reason says the guest powered itself off: it reacted to its
    # power button (a kill at the deadline would leave no such event)
    shut = [e for e in vd.call("events.list", vm="web", limit=1000)
            if e["type"] == "vm.shutdown"]
    assert shut and shut[-1]["detail"]["reason"] == "guest-shutdown", \
        "the guest did not react to its power button: %r" % shut
    vm = vd.call("vm.kill", name="db")
    assert vm["state"] == "stopped"
    assert vd.qemu_pids() == []
    assert [v["state"] for v in vd.call("vm.list")] == ["stopped",
                                                        "stopped"]
    # nothing runs: verged sets no timer (0 wake-ups, TARGETS.md)
    time.sleep(0.5)
    before = vh.ctx_switches(vd.pid)
    time.sleep(2)
    assert vh.ctx_switches(vd.pid) == before


def test_events_list_every_step_with_caller(vd):
    evs = vd.call("events.list", vm="web", limit=1000)
    steps = [(e["type"], e["uid"]) for e in evs
             if e["type"] != "vm.boot"]
    # verged presses the button again each second until the guest acts
    # (a slow guest, at rate 1/2 on a loaded host, shows several)
    while steps.count(("vm.powerdown", None)) > 1:
        steps.remove(("vm.powerdown", None))
    assert steps == [
        ("vm.define", UID), ("vm.start", UID), ("clock.rate", UID),
        ("daemon.attach", None), ("vm.stop", UID), ("vm.powerdown", None),
        ("vm.shutdown", None)], steps
    stop = evs[-1]
    assert stop["detail"].get("guest") is True, stop     # not killed
