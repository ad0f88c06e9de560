# SPDX-License-Identifier: Apache-2.0
"""verge-guest-agent in a Linux guest: detection under verge-hv and on
bare QEMU, reports on the management channel, host commands over TCLO
(ping, time sync, guestinfo) and the RPCI relay.

One VM per environment for the whole module (module-scoped fixtures):
the agent is started once under verge-hv and the tests talk to it.
"""

import json
import re
import time

import pytest

import linuxvm as lv
import mgmt
from conftest import need, save_log

AGENT = "verge-guest-agent"
REPORT_WITHIN_S = 2.0       # start of `run` -> first report, usually
LONG_INTERVAL_S = 3600      # an interval no test waits for
CLOCK_TOLERANCE_NS = 50_000_000
VM_UUID = "4f1c2a3b-5d6e-4789-8abc-def012345678"
REPORT_KEYS = {"seq", "agent_version", "hostname", "kernel", "uptime_s",
               "mono_ns", "real_ns", "detect"}


@pytest.fixture(scope="module")
def hv(mgmt_vm):
    """(VM under verge-hv at its prompt, connected Mgmt)."""
    with mgmt_vm("test_agent-hv", uuid=VM_UUID) as vm_m:
        yield vm_m


@pytest.fixture(scope="module")
def bare():
    """The same kernel and initramfs on QEMU without any hypervisor."""
    need(lv.cache_dir() / "Image", lv.initrd_path())
    vm = lv.VM(lv.bare_cmd(virtualization=False))
    try:
        lv.boot(vm, hv=False)
        yield vm
    finally:
        vm.kill()
        save_log(vm, "test_agent-bare")


def _rpci(m, prefix, timeout):
    """The next EV_RPCI event starting with prefix: (text, host time)."""
    _, body = m.wait_event(mgmt.EV_RPCI, timeout=timeout,
                           match=lambda t, b: b.startswith(prefix))
    return body.decode(), time.monotonic()


def _start_agent(vm, m, interval):
    """`run --interval` in the background (the one running stopped first):
    (host time the command was typed, its hello text, its first report
    text, host time that report arrived)."""
    vm.check("for p in $(pidof %s); do kill $p; while [ -e /proc/$p ]; do "
             "sleep 0.1; done; done" % AGENT)
    m.events.clear()
    vm.skip()
    t0 = time.monotonic()
    vm.send("%s run --interval %d >/tmp/agent.log 2>&1 &\n"
            % (AGENT, interval))
    hello, _ = _rpci(m, b"verge.hello ", REPORT_WITHIN_S + 10)
    report, t1 = _rpci(m, b"verge.report ", REPORT_WITHIN_S + 10)
    vm.shell(30)
    return t0, hello, report, t1


@pytest.fixture(scope="module")
def agent(hv):
    """`run --interval 1` started in the background under verge-hv: (vm,
    mgmt, host time the command was typed, first hello text, first report
    text, host time the report arrived)."""
    vm, m = hv
    return (vm, m) + _start_agent(vm, m, 1)


def _tclo(m, text, timeout=10):
    """Push one TCLO command; the guest's answer."""
    m.tclo_push(text)
    _, body = m.wait_event(mgmt.EV_TCLO_REPLY, timeout=timeout)
    return body.decode()


def _ok_json(reply, ident):
    m = re.match(r"OK %d (\{.*\})$" % ident, reply)
    assert m, "expected 'OK %d {json}', got %r" % (ident, reply)
    return json.loads(m.group(1))


def _detect_json(vm):
    rc, out = vm.run("%s detect --json" % AGENT, timeout=120)
    line = [x for x in out.splitlines() if x.startswith("{")]
    assert line, "no JSON from detect: %r" % out
    return rc, json.loads(line[-1])


# --- under verge-hv --------------------------------------------------------

def test_detect_verge(hv):
    """detect says verge; the backdoor candidate fails the store in >= 99 %
    of trials with no signal (a trap above the kernel) while the control
    pair succeeds in >= 99 %."""
    vm, _ = hv
    rc, out = vm.run(AGENT + " detect", timeout=120)
    assert (rc, out.strip()) == (0, "verge")
    rc, d = _detect_json(vm)
    assert rc == 0 and d["verdict"] == "verge"
    assert d["backdoor"]["state"] == "answered"
    ex = d["exclusive_monitor"]
    cands = {c["name"]: c for c in ex["candidates"]}
    bd, ctl = cands["mdccsr_bd"], cands["control"]
    assert bd["trials"] >= 1000
    assert bd["store_failed"] >= 0.99 * bd["trials"], bd
    assert bd["signalled"] == 0 and bd["class"] == "trap-el2", bd
    assert ctl["trials"] - ctl["store_failed"] >= 0.99 * ctl["trials"], ctl
    # The kernel-emulated trap also fails the store but is classed EL1.
    assert cands["midr"]["class"] == "trap-el1", cands["midr"]
    assert ex["conclusive"] and ex["trap_above_kernel"]
    assert ex["confidence"] >= 0.99


def test_reports_reach_mgmt(agent):
    """`run` announces itself and reports (at its start, not after the
    interval: test_report_on_change); a report is JSON of <= 1000 bytes
    with the documented keys, and they keep coming with a growing seq
    (the periodic report)."""
    vm, m, t0, hello, report, t1 = agent
    print("first report %.2f s after start" % (t1 - t0))
    h = json.loads(hello[len("verge.hello "):])
    assert h["detect"] == "verge" and h["arch"] == "aarch64"
    assert h["uuid"] == VM_UUID       # GETUUID, from verge.uuid=
    body = report[len("verge.report "):]
    assert len(body.encode()) <= 1000
    r = json.loads(body)
    assert REPORT_KEYS <= set(r), set(r)
    assert r["hostname"] == "verge-guest" and r["detect"] == "verge"
    nxt, _ = _rpci(m, b"verge.report ", 5)
    r2 = json.loads(nxt[len("verge.report "):])
    assert r2["seq"] > r["seq"] and r2["mono_ns"] > r["mono_ns"]


def test_report_on_change(agent):
    """The first report comes at the start and a hostname change is
    reported without waiting for the interval: with an interval of an
    hour, no report this test sees can be a periodic one (with the
    fixture's 1 s, a periodic report would pass for either)."""
    vm, m, *_ = agent
    try:
        # _start_agent waits for the first report
        _, _, report, _ = _start_agent(vm, m, LONG_INTERVAL_S)
        assert json.loads(report[13:])["hostname"] == "verge-guest"
        vm.check("hostname renamed-guest")
        text, _ = _rpci(m, b"verge.report ", 30)
        while json.loads(text[13:])["hostname"] != "renamed-guest":
            text, _ = _rpci(m, b"verge.report ", 30)
    finally:
        vm.check("hostname verge-guest")
        _start_agent(vm, m, 1)      # the fixture's agent again


def test_tclo_ping_and_errors(agent):
    """Host commands over TCLO: verge.ping answers with the ID and the
    guest's clocks; VMware's ping as open-vm-tools does; bad commands get
    an ERROR, and the agent keeps serving."""
    _, m, *_ = agent
    p = _ok_json(_tclo(m, "verge.ping 7"), 7)
    assert p["mono_ns"] > 0 and p["real_ns"] > 0
    assert _tclo(m, "ping") == "OK "
    assert _tclo(m, "reset") == "OK ATR toolbox"
    assert _tclo(m, "no.such.command") == "ERROR Unknown Command"
    assert _tclo(m, "verge.ping x").startswith("ERROR ")
    assert _tclo(m, "verge.guestinfo 11 bad/key").startswith("ERROR 11 ")
    # The longest command the host may push is taken and answered.
    assert _tclo(m, "verge.ping 12 " + "x" * 1010) \
        == "ERROR 12 unexpected argument"
    _ok_json(_tclo(m, "verge.ping 8"), 8)


def _guest_clock_error(vm, tries=3):
    """Guest CLOCK_REALTIME - host time (ns) at the middle of the shortest
    console round trip, and that round trip (ns)."""
    best = None
    for _ in range(tries):
        vm.skip()
        h0 = time.time_ns()
        vm.send(AGENT + " clock\n")
        mt = vm.expect(r"realtime_ns (\d+) monotonic_ns", 30)
        h1 = time.time_ns()
        err = int(mt.group(1)) - (h0 + h1) // 2
        if best is None or h1 - h0 < best[1]:
            best = (err, h1 - h0)
    vm.shell(30)
    return best


def test_timesync(agent):
    """With the guest clock set years off, verge.timesync steps it to the
    host's time (GETTIMEFULL anchored with HOST_TIME_SET): afterwards the
    guest realtime clock is within 50 ms of the host's."""
    vm, m, *_ = agent
    vm.check("date -s @1000000000 >/dev/null")
    err, _ = _guest_clock_error(vm)
    assert abs(err) > 10**17          # really off before
    m.host_time_set()
    t = _ok_json(_tclo(m, "verge.timesync 21"), 21)
    assert t["action"] == "step" and t["offset_ns"] > 10**17, t
    assert abs(t["after_ns"]) < CLOCK_TOLERANCE_NS, t
    err, rtt = _guest_clock_error(vm)
    assert abs(err) <= CLOCK_TOLERANCE_NS + rtt // 2, \
        "guest clock off by %.1f ms (round trip %.1f ms)" % (err / 1e6,
                                                             rtt / 1e6)


def test_timesync_slew(agent):
    """A small error (the host anchored 30 ms ahead) is slewed with
    adjtime(), not stepped; the adjustment is pending in the kernel."""
    _, m, *_ = agent
    try:
        m.host_time_set(time.time_ns() + 30_000_000)
        t = _ok_json(_tclo(m, "verge.timesync 22"), 22)
        assert t["action"] == "slew", t
        assert 10_000_000 < t["offset_ns"] < 60_000_000, t
        assert t["slew_pending_ns"] > 5_000_000, t
    finally:
        m.host_time_set()


def test_guestinfo(agent):
    """guestinfo set by the host reaches the agent (verge.guestinfo) and
    `rpc info-get`; the guest's info-set reaches the host."""
    vm, m, *_ = agent
    m.guestinfo_set("agent.k", "host value")
    g = _ok_json(_tclo(m, "verge.guestinfo 31 agent.k"), 31)
    assert g == {"key": "agent.k", "value": "host value"}
    out = vm.check("%s rpc 'info-get guestinfo.agent.k'" % AGENT)
    assert out.strip() == "host value"
    m.events.clear()
    vm.check("%s rpc 'info-set guestinfo.from.guest 42'" % AGENT)
    _, body = m.wait_event(mgmt.EV_GUESTINFO, timeout=5)
    assert body == b"from.guest\x0042"
    rc, out = vm.run("%s rpc --lb 'info-get guestinfo.agent.k'" % AGENT)
    assert (rc, out.strip()) == (0, "host value")


def _proc(vm, pid):
    """(utime + stime in clock ticks, context switches) of a guest pid."""
    out = vm.check("cat /proc/%d/stat; grep ctxt /proc/%d/status"
                   % (pid, pid))
    stat = out.splitlines()[0]
    fields = stat[stat.rindex(")") + 2:].split()
    sw = sum(int(x) for x in re.findall(r"ctxt_switches:\s+(\d+)", out))
    return int(fields[11]) + int(fields[12]), sw


def _pump(m, seconds):
    """Read the management socket for a while, keeping events in
    m.events."""
    try:
        m.wait_event(0xff, timeout=seconds)
    except TimeoutError:
        pass


def test_backoff_when_channels_refused(agent):
    """With every backdoor channel taken (bdhold), the agent's reports fail:
    it backs off instead of spinning (little CPU, few wake-ups), keeps
    answering TCLO on its open channel, and reports again soon after the
    channels are free."""
    vm, m, *_ = agent
    pid = int(vm.check("pidof verge-guest-agent").split()[0])
    hold_s = 8
    vm.send("bdhold %d &\n" % hold_s)
    held = vm.expect(r"bdhold: held (\d+)", 30)
    assert int(held.group(1)) >= 1
    _pump(m, 0.3)           # what was sent before the channels were taken
    m.events.clear()
    cpu0, sw0 = _proc(vm, pid)
    time.sleep(hold_s - 3)
    cpu1, sw1 = _proc(vm, pid)
    _pump(m, 0.3)
    # Nothing got through while the channels were held...
    assert not [b for t, b in m.events if t == mgmt.EV_RPCI], m.events
    # ...and the agent stayed idle: < 5 % of a CPU (100 ticks/s) and a
    # handful of wake-ups per second.
    window = hold_s - 3
    print("hold window %d s: cpu %d ticks, %d switches" % (window, cpu1 - cpu0, sw1 - sw0))
    assert cpu1 - cpu0 <= 0.05 * 100 * window, (cpu0, cpu1)
    assert sw1 - sw0 <= 10 * window, (sw0, sw1)
    vm.expect(r"bdhold: released", 30)
    # Back-off is at most 3.2 s at this point (100 ms doubling).
    text, _ = _rpci(m, b"verge.report ", 10)
    assert json.loads(text[13:])["detect"] == "verge"
    _ok_json(_tclo(m, "verge.ping 41"), 41)


def test_hostile_guest_program(agent):
    """Hostile backdoor calls from EL0 while the agent runs (bdfuzz, whose
    1,000,000-call run is in test_backdoor.py): the hypervisor and the
    guest keep running, a well-formed call still works afterwards, and the
    agent recovers by itself."""
    vm, m, *_ = agent
    rc, out = vm.run("bdfuzz fuzz 200000 0x5eed", timeout=300)
    assert rc == 0 and "calls=200000 " in out, out
    assert "getversion=ok rpci=ok" in out, out
    m.ping()                                    # the hypervisor is alive
    out = vm.check(AGENT + " rpc 'info-set guestinfo.after.fuzz ok'")
    assert vm.check(AGENT + " rpc 'info-get guestinfo.after.fuzz'"
                    ).strip() == "ok"
    m.events.clear()
    # Reports resume within the agent's back-off (at most 12.8 s after
    # up to ~10 s of failures), and it still answers TCLO.
    _rpci(m, b"verge.report ", 30)
    _ok_json(_tclo(m, "verge.ping 51", timeout=30), 51)


# --- bare QEMU -------------------------------------------------------------

def test_bare_detect_none(bare):
    """No hypervisor: detect says none and exits 1; the backdoor probe is
    unanswered and the exclusive-monitor probes do not trap."""
    rc, out = bare.run(AGENT + " detect", timeout=120)
    assert (rc, out.strip()) == (1, "none")
    rc, d = _detect_json(bare)
    assert rc == 1 and d["verdict"] == "none" and not d["virtualized"]
    assert d["backdoor"]["state"] == "no-answer"
    cands = {c["name"]: c for c in d["exclusive_monitor"]["candidates"]}
    assert cands["mdccsr_bd"]["class"] == "no-trap"
    assert cands["midr"]["class"] == "trap-el1"


def test_bare_run_once(bare):
    """run --once without a backdoor exits 1 with a clear message, does
    not crash, and the guest keeps running."""
    rc, out = bare.run(AGENT + " run --once", timeout=60)
    assert rc == 1, out
    assert "no backdoor" in out
    assert "Illegal instruction" not in out and "Segmentation" not in out
    rc, out = bare.run(AGENT + " rpc 'info-get guestinfo.k'")
    assert rc == 1 and "no backdoor" in out
    assert bare.check("echo alive").strip() == "alive"
