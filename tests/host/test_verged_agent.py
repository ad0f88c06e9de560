# SPDX-License-Identifier: Apache-2.0
"""verged's guest-tools path against a stand-in for QEMU + verge-hv + the
guest agent (fake_qemu.py: the backdoor relay and the agent are other
components, integrated later; the stand-in speaks their documented
frames over real sockets). Checks: the agent's report and hello, TCLO
request/reply matching for agent.ping/detect/sync_time (with
HOST_TIME_SET first), a silent agent timing out, guestinfo both ways,
malformed guest input ignored, vm.stats, re-attach after kill -9, a
stop that the guest honours before the deadline, and one that it honours
only at the third press of the power button."""

import json
import os
import time
from pathlib import Path

import pytest

import verged_harness as vh
from verged_harness import RpcError

FAKE = Path(__file__).resolve().parent / "fake_qemu.py"
UID = os.getuid()


def wait_for(what, fn, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = fn()
        except RpcError as e:
            if e.name not in ("hv_unavailable", "agent_unavailable"):
                raise
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timeout waiting for " + what)
        time.sleep(0.1)


def fake_log(vd, name):
    p = vd.run / "vms" / name / "fake.log"
    if not p.exists():
        return []
    return [json.loads(x) for x in p.read_text().splitlines()]


@pytest.fixture(scope="module")
def vd():
    v = vh.Verged(config_extra="binary = %s\n[vm]\nagent_timeout_ms = 1000\n"
                  % FAKE, isolation="off")
    # the hypervisor file must exist; the stand-in never reads it
    (v.tmp / "hv.bin").write_bytes(b"hv")
    v.config.write_text(v.config.read_text().replace(
        str(vh.build_dir() / "verge-hv.bin"), str(v.tmp / "hv.bin")))
    kernel = v.tmp / "Image"
    kernel.write_bytes(b"k")
    try:
        v.start()
        v.call("vm.define", name="g", kernel=str(kernel))
        v.call("vm.define", name="mute", kernel=str(kernel),
               cmdline="fake.mute_tclo=1 fake.clock=exact")
        v.call("guestinfo.set", name="g", key="role", value="web")
        for name in ("g", "mute"):
            v.call("vm.start", name=name)
        wait_for("g's agent", lambda: v.call("vm.show", name="g")
                 ["agent"]["seen"])
        yield v
    finally:
        v.cleanup()


def test_report_and_hello(vd):
    vm = vd.call("vm.show", name="g")
    assert vm["state"] == "running"
    assert vm["agent"]["hostname"] == "fake-guest"
    assert vm["agent"]["detect"] == "verge"
    rep = vd.call("agent.show", name="g")
    assert rep["report"]["seq"] == 1 and rep["report"]["kernel"] == "6.1.0"
    assert rep["reports"] == 1          # the malformed ones were not kept
    assert 0 <= rep["age_s"] < 30
    hello = [e for e in vd.call("events.list", vm="g")
             if e["type"] == "agent.hello"]
    assert hello and hello[0]["detail"]["agent_version"] == "0.1.0"
    assert hello[0]["uid"] is None
    boots = [e for e in vd.call("events.list", vm="g")
             if e["type"] == "vm.boot"]
    assert len(boots) == 1


def test_core_features(vd):
    """The HELLO reply's core features reach the VM object; a hypervisor
    that does not report them (8-byte HELLO reply) still attaches."""
    vm = vd.call("vm.show", name="g")
    assert vm["core"] == {"features": ["fp", "simd", "sve", "pauth"],
                          "sve_vl": 32, "sme_vl": 0}
    kernel = vd.tmp / "Image"
    vd.call("vm.define", name="old", kernel=str(kernel),
            cmdline="fake.old_hello=1")
    try:
        vd.call("vm.start", name="old")
        wait_for("old's hypervisor", lambda: vd.call("vm.stats", name="old"))
        assert vd.call("vm.show", name="old")["core"] is None
    finally:
        vd.call("vm.kill", name="old")
        vd.call("vm.undefine", name="old")


def test_guestinfo_both_ways(vd):
    # pushed at connect (set before start) and when set while running
    vd.call("guestinfo.set", name="g", key="zone", value="eu-1")
    sets = wait_for("pushes", lambda: [x["guestinfo_set"] for x in
                                      fake_log(vd, "g") if "guestinfo_set"
                                      in x and x["guestinfo_set"][0] ==
                                      "zone"])
    assert sets == [["zone", "eu-1"]]
    pushed = [x["guestinfo_set"] for x in fake_log(vd, "g")
              if "guestinfo_set" in x]
    assert ["role", "web"] in pushed
    # from the guest, invalid UTF-8 replaced; a key with a space refused
    ip = vd.call("guestinfo.get", name="g", key="ip")
    assert ip == {"key": "ip", "value": "10.0.0.5 \ufffd", "source": "guest"}
    assert vd.call("guestinfo.get", name="g", key="bad key")["value"] is None


def test_agent_ping_detect(vd):
    assert vd.call("agent.ping", name="g")["rtt_ms"] > 0
    det = vd.call("agent.detect", name="g")
    assert det["verdict"] == "verge" and det["confidence"] == 0.9962
    tclo = [x["tclo"] for x in fake_log(vd, "g") if "tclo" in x]
    ids = [int(t.split()[1]) for t in tclo]
    assert len(set(ids)) == len(ids)        # IDs never reused
    assert tclo[-1].startswith("verge.detect ")


def test_sync_time_anchors_first(vd):
    t0 = time.time_ns()
    r = vd.call("agent.sync_time", name="g")
    t1 = time.time_ns()
    assert r == {"offset_ns": 1234567, "after_ns": 1500, "method": "step"}
    log = fake_log(vd, "g")
    i_time = max(i for i, x in enumerate(log) if "host_time_set" in x)
    i_push = max(i for i, x in enumerate(log)
                 if x.get("tclo", "").startswith("verge.timesync"))
    assert i_time < i_push
    # the host's time, read during the call
    assert t0 <= log[i_time]["host_time_set"] <= t1
    ev = [e for e in vd.call("events.list", vm="g")
          if e["type"] == "agent.sync_time"][-1]
    assert ev["uid"] == UID and ev["detail"]["offset_ns"] == 1234567


def test_clock_mode(vd):
    """clock.show says how the hypervisor keeps the virtual counter on
    the guest timeline: "exact" (FEAT_ECV traps) or "dilation"."""
    assert vd.call("clock.show", name="g")["mode"] == "dilation"
    wait_for("mute's channel", lambda: vd.call("clock.show", name="mute")
             .get("live"))
    assert vd.call("clock.show", name="mute")["mode"] == "exact"


def test_silent_agent_times_out(vd):
    wait_for("mute's channel", lambda: vd.call("clock.show", name="mute")
             .get("live"))
    t = time.monotonic()
    with pytest.raises(RpcError) as e:
        vd.call("agent.ping", name="mute")
    assert e.value.name == "agent_unavailable"
    # it waited for the agent (a lower bound: load only adds to it)
    assert time.monotonic() - t > 0.8
    # verged still answers that VM's other requests
    assert vd.call("clock.show", name="mute")["live"] is True


def test_stats_and_rate(vd):
    st = vd.call("vm.stats", name="g")
    assert st["exits_total"] == 0 and st["exits"]["tick"] == 3
    assert st["tx_dropped"] == 15
    clk = vd.call("clock.set_rate", name="g", rate="2/3")
    assert clk["rate"] == "2/3"
    assert [2, 3] in [x["set_rate"] for x in fake_log(vd, "g")
                      if "set_rate" in x]


def test_reattach_resends_guestinfo(vd):
    pids = sorted(vd.qemu_pids())
    vd.kill9()
    vd.start()
    assert sorted(vd.qemu_pids()) == pids
    vms = vd.call("vm.list")
    assert [(v["name"], v["state"]) for v in vms] == [("g", "running"),
                                                       ("mute", "running")]
    wait_for("reconnect", lambda: len([x for x in fake_log(vd, "g")
                                       if x.get("mgmt")]) == 2)
    wait_for("re-push", lambda: [x for x in fake_log(vd, "g")
                                 if x.get("guestinfo_set") == ["zone",
                                                               "eu-1"]][1:])
    assert vd.call("agent.ping", name="g")["rtt_ms"] > 0
    # Held events: the first verged asked a fresh QEMU for everything, the
    # re-attached one resumes after the boot events it recorded, which
    # stay in the log once.
    replays = wait_for("the replay request", lambda: [
        x["events_ack"] for x in fake_log(vd, "g")
        if x.get("events_ack", [0, 0, 0])[2] == 1][1:] or None)
    first = [x["events_ack"] for x in fake_log(vd, "g")
             if "events_ack" in x][0]
    assert first == [0, 0, 1]
    assert replays[-1][0] != 0 and replays[-1][1] == 2
    boots = [e for e in vd.call("events.list", vm="g")
             if e["type"] == "vm.boot"]
    assert len(boots) == 1, boots


def test_graceful_stop(vd):
    """A guest that honours the power button stops before the deadline."""
    vm = vd.call("vm.stop", name="g", timeout_s=20)
    assert vm["state"] == "stopped" and vm["desired"] == "stopped"
    # before the deadline: the guest's own shutdown (reason below), not
    # the kill
    types = [(e["type"], e["uid"]) for e in vd.call("events.list", vm="g")
             if e["type"] in ("vm.stop", "vm.powerdown", "vm.shutdown")]
    assert types == [("vm.stop", UID), ("vm.powerdown", None),
                     ("vm.shutdown", None)]
    shut = [e for e in vd.call("events.list", vm="g")
            if e["type"] == "vm.shutdown"][0]
    assert shut["detail"]["reason"] == "guest-shutdown"
    vm = vd.call("vm.kill", name="mute")
    assert vm["state"] == "stopped"
    assert vd.qemu_pids() == []
    log = vd.log_text()
    assert "error" not in log, log
    # the malformed guest input was noticed, not fatal
    assert "agent report is not a JSON object" in log
    assert "malformed guestinfo" in log


def test_missed_presses_are_repeated(vd):
    """A guest that misses the power button's pulse twice (as a Linux
    guest at clock rate 0.5 on a loaded host can: the pulse is 100 ms of
    QEMU's clock) still shuts down cleanly: verged presses again each
    second until the deadline instead of waiting for it and killing."""
    vd.call("vm.define", name="slow", kernel=str(vd.tmp / "Image"),
            cmdline="fake.miss_presses=2")
    vd.call("vm.start", name="slow")
    wait_for("slow running",
             lambda: vd.call("vm.show", name="slow")["state"] == "running")
    t = time.monotonic()
    vm = vd.call("vm.stop", name="slow", timeout_s=20)
    took = time.monotonic() - t
    assert vm["state"] == "stopped", vm
    # three presses a second apart (a lower bound: load only adds to it);
    # not the deadline's kill: the reason below is the guest's shutdown
    assert took > 1.5, took
    presses = [x for x in fake_log(vd, "slow")
               if x.get("qmp") == "system_powerdown"]
    assert len(presses) == 3, presses
    shut = [e for e in vd.call("events.list", vm="slow")
            if e["type"] == "vm.shutdown"]
    assert shut and shut[-1]["detail"]["reason"] == "guest-shutdown", shut
    assert "killing" not in vd.log_text()


def test_boot_guard(tmp_path):
    """vm.define watchdog_s becomes verge.wdt; verge-hv's watchdog events
    become vm.bootguard and vm.watchdog events and the bootguard object;
    malformed ones are ignored."""
    v = vh.Verged(config_extra="binary = %s\n" % FAKE, isolation="off")
    try:
        hv = v.tmp / "hv.bin"
        hv.write_bytes(b"hv")
        v.config.write_text(v.config.read_text().replace(
            str(vh.build_dir() / "verge-hv.bin"), str(hv)))
        kernel = v.tmp / "Image"
        kernel.write_bytes(b"k")
        v.start()
        with pytest.raises(RpcError):
            v.call("vm.define", name="bad", kernel=str(kernel),
                   watchdog_s=3601)
        vm = v.call("vm.define", name="w", kernel=str(kernel), watchdog_s=7)
        assert vm["watchdog_s"] == 7
        assert vm["bootguard"] == {"stage": None, "watchdog_expiries": 0,
                                   "failed_boots": 0, "last_failure": None}
        v.call("vm.define", name="ok", kernel=str(kernel))
        v.call("vm.start", name="ok")
        v.call("vm.start", name="w")
        wait_for("w's boot", lambda: [
            e for e in v.call("events.list", vm="w")
            if e["type"] == "vm.boot_ok"])
        shown = v.call("vm.show", name="w")
        fail = shown["bootguard"].pop("last_failure")
        # the stage was reset with the attempts that followed
        assert shown["bootguard"] == {"stage": None, "watchdog_expiries": 1,
                                      "failed_boots": 0}
        assert fail["reason"] == "reset" and fail["stage"] is None, fail
        assert abs(fail["time"] - time.time()) < 60, fail
        argv = [x["argv"] for x in fake_log(v, "w") if "argv" in x][0]
        append = argv[argv.index("-append") + 1]
        assert " verge.wdt=7 -- " in append, append
        ev = [(e["type"], e["detail"]) for e in v.call("events.list", vm="w")
              if e["type"] in ("vm.bootguard", "vm.watchdog",
                               "vm.boot_failed", "vm.boot_ok")]
        assert ev == [
            ("vm.bootguard", {"stage": "power-on", "watchdog": False,
                              "timeout_ms": 0}),
            ("vm.bootguard", {"stage": "os-loading", "watchdog": True,
                              "timeout_ms": 7000}),
            ("vm.bootguard", {"stage": "handed-off", "watchdog": True,
                              "timeout_ms": 7000}),
            ("vm.watchdog", {"signal": "ws0", "action": "interrupt",
                             "stage": "handed-off", "timeout_ms": 7000}),
            ("vm.watchdog", {"signal": "expired", "action": "reset",
                             "stage": "handed-off", "timeout_ms": 7000}),
            ("vm.boot_failed", {"reason": "watchdog", "stage": "handed-off",
                                "failed_in_a_row": 1, "slot": "A",
                                "attempts": 3}),
            ("vm.boot_failed", {"reason": "reset", "stage": None,
                                "failed_in_a_row": 2, "slot": "A",
                                "attempts": 3}),
            ("vm.boot_ok", {"failed_before": 2, "by": "agent",
                            "slot": "A"}),
        ], ev
        # A VM without a watchdog: counted, but no boot guard events.
        wait_for("ok's agent", lambda: v.call("vm.show", name="ok")
                 ["agent"]["seen"])
        assert v.call("vm.show", name="ok")["bootguard"]["failed_boots"] == 0
        assert not [e for e in v.call("events.list", vm="ok") if e["type"]
                    in ("vm.bootguard", "vm.boot_ok", "vm.boot_failed")]
        v.call("vm.kill", name="ok")
        assert "watchdog event 3 in stage 9; ignored" in v.log_text()
        assert "event EV_WATCHDOG of 5 bytes; ignored" in v.log_text()
        v.call("vm.kill", name="w")
    finally:
        v.cleanup()


def test_qemu_command_line(tmp_path):
    """What verged asks QEMU to run: verge-hv as -kernel, the guest Image
    raw at 0x44000000, verge-hv's options before "--" (with verge.uuid),
    commas in paths doubled for QEMU."""
    v = vh.Verged(config_extra="binary = %s\n" % FAKE, isolation="off")
    try:
        hv = v.tmp / "hv.bin"
        hv.write_bytes(b"hv")
        v.config.write_text(v.config.read_text().replace(
            str(vh.build_dir() / "verge-hv.bin"), str(hv)))
        kernel = v.tmp / "Image,v2"
        kernel.write_bytes(b"k")
        v.start()
        vm = v.call("vm.define", name="c", kernel=str(kernel), cpus=3,
                    memory_mib=512, rate="1/3", freq_hz=125000000,
                    cmdline="console=ttyAMA0 quiet")
        v.call("vm.start", name="c")
        wait_for("QMP", lambda: v.call("vm.show", name="c")["state"] ==
                 "running")
        argv = [x["argv"] for x in fake_log(v, "c") if "argv" in x][0]
        opt = {argv[i]: argv[i + 1] for i in range(len(argv) - 1)
               if argv[i].startswith("-")}
        assert opt["-kernel"] == str(hv)
        assert opt["-smp"] == "3" and opt["-m"] == "512M"
        assert opt["-M"] == "virt,virtualization=on,gic-version=3"
        assert opt["-uuid"] == vm["uuid"]
        assert "loader,file=%s,,v2,addr=0x44000000,force-raw=on" % \
            str(kernel).rsplit(",", 1)[0] in argv
        assert "-initrd" not in argv
        assert opt["-append"] == (
            "verge.kernel=0x44000000 verge.uuid=%s verge.rate=1/3 "
            "verge.freq=125000000 -- console=ttyAMA0 quiet" % vm["uuid"])
        assert "virtconsole,chardev=mgmt" in argv
        v.call("vm.kill", name="c")
    finally:
        v.cleanup()


def test_boot_deadline_and_rollback(tmp_path):
    """A trial slot whose guest never reports fails at verged's own boot
    deadline (each time the guest is reset for the next attempt); after
    K = 2 the VM is rolled back to slot A in a new QEMU, whose agent
    reports. docs/bootguard.md, "Boot attempts"."""
    v = vh.Verged(config_extra="binary = %s\n" % FAKE, isolation="off")
    try:
        hv = v.tmp / "hv.bin"
        hv.write_bytes(b"hv")
        v.config.write_text(v.config.read_text().replace(
            str(vh.build_dir() / "verge-hv.bin"), str(hv)))
        kernel = v.tmp / "Image"
        kernel.write_bytes(b"k")
        v.start()
        with pytest.raises(RpcError):
            v.call("vm.define", name="bad", kernel=str(kernel),
                   boot_deadline_s=0)
        v.call("vm.define", name="d", kernel=str(kernel),
               boot_deadline_s=1, boot_attempts=2)
        v.call("vm.image.set", name="d", kernel=str(kernel),
               cmdline="fake.no_report=1")
        v.call("vm.start", name="d")
        first = v.call("vm.show", name="d")["pid"]
        wait_for("slot A's boot", lambda: [
            e for e in v.call("events.list", vm="d")
            if e["type"] == "vm.boot_ok"], timeout=30)
        ev = [(e["type"], e["detail"]) for e in v.call("events.list", vm="d")
              if e["type"] in ("vm.boot_failed", "vm.image.rollback",
                               "vm.boot_ok", "vm.start", "vm.reset")]
        assert ev == [
            ("vm.start", {"pid": first}),
            ("vm.boot_failed", {"reason": "deadline", "stage": None,
                                "failed_in_a_row": 1, "slot": "B",
                                "attempts": 2}),
            ("vm.reset", {"guest": False,
                          "reason": "host-qmp-system-reset"}),
            ("vm.boot_failed", {"reason": "deadline", "stage": None,
                                "failed_in_a_row": 2, "slot": "B",
                                "attempts": 2}),
            ("vm.image.rollback", {"from": "B", "to": "A",
                                   "why": "failed boots in a row",
                                   "failed": 2,
                                   "last_failure": "deadline"}),
            ("vm.start", {"pid": ev[-2][1].get("pid")}),
            ("vm.boot_ok", {"failed_before": 0, "by": "agent",
                            "slot": "A"}),
        ], ev
        shown = v.call("vm.show", name="d")
        assert shown["pid"] != first
        assert "fake.no_report" not in shown["cmdline"]
        assert shown["boot"]["boots_failed"] == 2
        assert shown["boot"]["rollbacks"] == 1
        assert shown["boot"]["last_failure"]["reason"] == "deadline"
        qmp = [x["qmp"] for x in fake_log(v, "d") if "qmp" in x]
        assert "system_reset" in qmp, qmp
        v.call("vm.kill", name="d")
    finally:
        v.cleanup()
