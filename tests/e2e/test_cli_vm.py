# SPDX-License-Identifier: Apache-2.0
"""verge with a running Linux guest: what the operator sees of a live VM
(state and uptime, console, the live clock at another rate, the guest
agent's reports, the event log with the caller), through the CLI only.
One VM for the whole module.

The agent tests need verge-guest-agent in the test initramfs (guest-agent/
adds it to LINUX_TOOLS; tests/linux/init starts it for verge_agent=N); a
tree without the agent skips them.
"""

import json
import os
import pwd
import re
import signal
import time

import pytest

import verged_harness as vh

NAME = "cli-e2e"
BOOT_TIMEOUT = 120
USER = pwd.getpwuid(os.getuid()).pw_name


def ok(r):
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout


@pytest.fixture(scope="module")
def vm():
    d = vh.Verged().start()
    pid = None
    try:
        ok(d.verge("vm", "define", NAME, "--kernel", vh.cache_dir() / "Image",
                   "--initrd", vh.build_dir() / "initrd.gz",
                   "--memory", "512M", "--cpus", "1", "--cmdline",
                   "console=ttyAMA0 verge_agent=2"))
        out = ok(d.verge("vm", "start", NAME))
        m = re.fullmatch(r"%s: (starting|running) \(pid (\d+)\)\n" % NAME,
                         out)
        assert m, out
        pid = int(m.group(2))
        vh.wait_for("the guest's userspace", lambda: "userspace up" in
                    d.verge("vm", "console", NAME).stdout, BOOT_TIMEOUT,
                    step=0.5)
        yield d
    finally:
        d.verge("vm", "kill", NAME)
        d.cleanup()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)  # only if verged left it
            except ProcessLookupError:
                pass


def test_list_shows_running_with_uptime(vm):
    rows = [line.split() for line in ok(vm.verge("vm", "list")).splitlines()]
    row = [r for r in rows if r[0] == NAME][0]
    assert row[1] == "running"
    assert re.fullmatch(r"\d+s|\d+m", row[6]), row
    fields = dict(re.split(r":\s+", line, maxsplit=1) for line in
                  ok(vm.verge("vm", "show", NAME)).splitlines())
    assert fields["State"] == "running (desired: running)"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(up \d+.*\)",
                        fields["Started"])
    assert fields["PID"].isdigit()
    # verge-hv's HELLO: the core's features (cortex-a57: no SVE, PAuth)
    assert fields["Core"].split()[:2] == ["fp", "simd"], fields["Core"]
    assert "sve" not in fields["Core"] and "pauth" not in fields["Core"]


def test_stats(vm):
    lines = ok(vm.verge("vm", "stats", NAME)).splitlines()
    fields = dict(re.split(r":\s+", line, maxsplit=1) for line in lines)
    assert int(fields["exits_total"]) > 0
    assert int(fields["exits.tick"]) > 0


@pytest.fixture(scope="module")
def agent(vm):
    if not (vh.build_dir() / "guest-agent" / "aarch64" /
            "verge-guest-agent").exists():
        pytest.skip("no verge-guest-agent in this tree's initramfs")
    vh.wait_for("the agent's first report", lambda: vm.verge(
        "agent", "show", NAME).returncode == 0, BOOT_TIMEOUT, step=0.5)
    return vm


def test_agent_report(agent):
    fields = dict(re.split(r":\s+", line, maxsplit=1) for line in
                  ok(agent.verge("agent", "show", NAME)).splitlines())
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+s ago\)",
                        fields["Received"])
    assert fields["hostname"] and fields["detect"] == "verge"
    rows = [line.split() for line in ok(agent.verge("vm", "list")).splitlines()]
    row = [r for r in rows if r[0] == NAME][0]
    # AGENT: "3s ago", then ADDRESS
    assert "ago" in row and re.fullmatch(r"\d+s", row[row.index("ago") - 1]), \
        row
    show = ok(agent.verge("vm", "show", NAME))
    assert re.search(r"^Agent:\s+%s, \d+s ago, detect verge, "
                     r"requests by doorbell$" %
                     re.escape(fields["hostname"]), show, re.M), show


def test_agent_ping_and_detect(agent):
    out = ok(agent.verge("agent", "ping", NAME))
    assert re.fullmatch(r"%s: the agent answered in [\d.e+]+ ms\n" % NAME,
                        out), out
    fields = dict(re.split(r":\s+", line, maxsplit=1) for line in
                  ok(agent.verge("agent", "detect", NAME)).splitlines())
    assert fields["verdict"] == "verge" and fields["virtualized"] == "yes"


def test_console_tail(vm):
    out = ok(vm.verge("vm", "console", NAME, "--bytes", "2K"))
    assert 0 < len(out.encode()) <= 2048
    assert "verge-init" in out


def counters(vm):
    c = json.loads(ok(vm.verge("--json", "clock", "show", NAME)))
    return c["guest_counter"], c["host_counter"]


def test_live_clock_rate(vm):
    out = ok(vm.verge("clock", "set-rate", NAME, "1/2"))
    assert re.search(r"^Rate:\s+1/2 \(0\.5\)$", out, re.M), out
    assert re.search(r"^Guest counter:\s+\d+$", out, re.M), out
    try:
        g1, h1 = counters(vm)
        time.sleep(2)
        g2, h2 = counters(vm)
        assert (g2 - g1) / (h2 - h1) == pytest.approx(0.5, rel=0.05)
    finally:
        ok(vm.verge("clock", "set-rate", NAME, "1"))
    g1, h1 = counters(vm)
    time.sleep(1)
    g2, h2 = counters(vm)
    assert (g2 - g1) / (h2 - h1) == pytest.approx(1.0, rel=0.05)


def test_step_moves_the_guest_clock(vm):
    before = json.loads(ok(vm.verge("--json", "clock", "show", NAME)))
    after = json.loads(ok(vm.verge("--json", "clock", "step", NAME, "2s")))
    # 2 s of guest counter ticks at the presented frequency, plus the
    # little time between the two calls.
    jump = (after["guest_counter"] - before["guest_counter"]) - (
        after["host_counter"] - before["host_counter"])
    assert jump == pytest.approx(2 * after["freq_hz"], rel=0.01)


def test_events_name_the_caller(vm):
    rows = [line.split(None, 6) for line in
            ok(vm.verge("events", NAME)).splitlines()[1:]]
    seen = {(r[4], r[5]) for r in rows}
    for t in ("vm.define", "vm.start", "clock.rate", "clock.step"):
        assert (t, USER) in seen, (t, rows)
    assert ("vm.boot", "guest") in seen     # rate limited, kept apart


def test_kill_then_stopped(vm):
    out = ok(vm.verge("vm", "kill", NAME))
    assert out.startswith(NAME + ": ")
    vh.wait_for("stopped", lambda: "running" not in
                ok(vm.verge("vm", "list")), 30, step=0.5)
    r = vm.verge("clock", "step", NAME, "1s")
    assert r.returncode == 1 and "hint: " in r.stderr
