# SPDX-License-Identifier: Apache-2.0
"""The agent's doorbell (docs/guest-agent.md, "Host requests"): verge-hv
gives the guest an interrupt-only gpio-keys device, "verge-doorbell",
and raises its interrupt when it queues a TCLO command; Debian's stock
gpio_keys and evdev drive it and verge-guest-agent sleeps on it.

With the doorbell the agent says channel "doorbell" and answers host
commands while its fallback TCLO poll is an hour away, and each command
is one more doorbell interrupt in the guest; with verge.doorbell=0 there
is no such device, the agent says "poll" and still answers. Not a
timing test: an hour-long fallback is what makes the proof, not a
latency bound.
"""

import json
import re

import pytest

import mgmt

AGENT = "verge-guest-agent"
HOUR = 3600
PINGS = 5


# One boot for the two doorbell tests (each starts its own agent, _start).
@pytest.fixture(scope="module")
def with_bell(mgmt_vm):
    with mgmt_vm("test_doorbell-on") as vm_m:
        yield vm_m


@pytest.fixture(scope="module")
def without_bell(mgmt_vm):
    with mgmt_vm("test_doorbell-off", hv_opts="verge.doorbell=0") as vm_m:
        yield vm_m


def _input_names(vm):
    out = vm.check("cat /sys/class/input/event*/device/name 2>/dev/null; "
                   "true")
    return set(out.split())


def _bell_irqs(vm):
    """The doorbell's interrupt count (summed over CPUs), from
    /proc/interrupts, or None when it has no line there."""
    for line in vm.check("cat /proc/interrupts").splitlines():
        if line.rstrip().endswith("verge-doorbell"):
            f = line.split()
            return sum(int(x) for x in f[1:] if x.isdigit())
    return None


def _start(vm, m, opts=""):
    """`run` with reports and the doorbell's fallback TCLO poll an hour
    away, once the agent an earlier test of this VM started has exited:
    the hello it sends."""
    vm.check("for p in $(pidof %s); do kill $p; while [ -e /proc/$p ]; do "
             "sleep 0.1; done; done" % AGENT)
    m.events.clear()
    vm.skip()
    vm.send("%s run --interval %d --doorbell-poll %d %s >/tmp/agent.log "
            "2>&1 &\n" % (AGENT, HOUR, HOUR, opts))
    _, body = m.wait_event(mgmt.EV_RPCI, timeout=60,
                           match=lambda t, b: b.startswith(b"verge.hello "))
    # the first report follows the hello: past it, the agent is idle
    m.wait_event(mgmt.EV_RPCI, timeout=60,
                 match=lambda t, b: b.startswith(b"verge.report "))
    vm.shell(30)
    return json.loads(body.decode()[len("verge.hello "):])


def _pings(m, n):
    for i in range(n):
        m.tclo_push("verge.ping %d" % (100 + i))
        _, body = m.wait_event(mgmt.EV_TCLO_REPLY, timeout=120)
        assert re.match(r"OK %d \{" % (100 + i), body.decode()), body


def test_doorbell_wakes_the_agent(with_bell):
    """The doorbell device is there; the agent uses it; commands are
    answered with no TCLO poll due for an hour, and each one raised the
    doorbell's interrupt in the guest."""
    vm, m = with_bell
    assert "verge-doorbell" in _input_names(vm)
    # Polling alone would take up to a minute per command from here.
    hello = _start(vm, m, "--poll-max 60000")
    assert hello["channel"] == "doorbell", hello
    before = _bell_irqs(vm)
    assert before is not None, vm.check("cat /proc/interrupts")
    _pings(m, PINGS)
    assert _bell_irqs(vm) >= before + PINGS
    log = vm.check("cat /tmp/agent.log")
    assert "TCLO on the doorbell" in log, log
    # The host's view: verge.report says it too.
    m.events.clear()
    m.tclo_push("verge.report 9")
    _, body = m.wait_event(mgmt.EV_RPCI, timeout=120,
                           match=lambda t, b: b.startswith(b"verge.report "))
    assert json.loads(body.decode()[13:])["channel"] == "doorbell"


def test_changes_wake_the_agent(with_bell):
    """With reports an hour apart and no periodic check, a set clock and
    a new hostname are still reported at once: the agent's watchers
    (timerfd cancelled on set, the pollable hostname) woke it."""
    vm, m = with_bell
    _start(vm, m)
    assert "changes: watched" in vm.check("cat /tmp/agent.log")

    def report():
        _, body = m.wait_event(
            mgmt.EV_RPCI, timeout=120,
            match=lambda t, b: b.startswith(b"verge.report "))
        return json.loads(body.decode()[13:])

    m.events.clear()
    t0 = int(vm.check("date +%s").split()[-1])
    vm.check("date -s @$(( $(date +%s) + 7200 )) >/dev/null")
    r = report()
    assert r["real_ns"] >= (t0 + 7000) * 10**9, (t0, r)
    vm.check("date -s @$(( $(date +%s) - 7200 )) >/dev/null")
    report()
    m.events.clear()
    vm.check("hostname bell-guest")
    try:
        assert report()["hostname"] == "bell-guest"
    finally:
        vm.check("hostname verge-guest")


def test_poll_path_without_doorbell(without_bell):
    """verge.doorbell=0: no doorbell device, the agent polls TCLO (its
    default back-off, not the hour given for the doorbell's fallback)
    and answers as before."""
    vm, m = without_bell
    assert "verge-doorbell" not in _input_names(vm)
    assert _bell_irqs(vm) is None
    hello = _start(vm, m)
    assert hello["channel"] == "poll", hello
    _pings(m, PINGS)
    log = vm.check("cat /tmp/agent.log")
    assert "no doorbell" in log, log
