# SPDX-License-Identifier: Apache-2.0
"""The boot guard through verged and verge with a real guest
(docs/bootguard.md): a VM defined with --watchdog whose Linux never takes
the watchdog over (the test initramfs loads sbsa_gwdt only when asked) is
reset by verge-hv; verged shows the stages, the expiry and the failed
boot in `verge events`, counts the attempt, and the reset guest boots
again. Counted by events, not timed.
"""

import json
import os
import re
import signal

import pytest

import verged_harness as vh

NAME = "wdt-e2e"
WDT_S = 10
TIMEOUT = 240


def ok(r):
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout


def events(d, *types):
    out = ok(d.verge("--json", "events", NAME, "--limit", "1000"))
    evs = json.loads(out) if out.strip().startswith("[") else \
        [json.loads(x) for x in out.splitlines() if x.strip()]
    return [e for e in evs if e["type"] in types]


def test_unclaimed_watchdog_resets_guest():
    d = vh.Verged().start()
    pid = None
    try:
        ok(d.verge("vm", "define", NAME, "--kernel", vh.cache_dir() / "Image",
                   "--initrd", vh.build_dir() / "initrd.gz",
                   "--memory", "512M", "--cpus", "1", "--watchdog",
                   str(WDT_S), "--cmdline", "console=ttyAMA0"))
        out = ok(d.verge("vm", "start", NAME))
        m = re.search(r"\(pid (\d+)\)", out)
        pid = int(m.group(1)) if m else None
        # The first boot expires; the reset guest comes up again (its
        # stages arrive: verged is connected by then, which it may not
        # have been for the first boot's).
        expiries = lambda: [e for e in events(d, "vm.watchdog")
                            if e["detail"]["signal"] == "expired"]
        first = vh.wait_for("the watchdog expiry", expiries, TIMEOUT,
                            step=1)[0]
        ws0 = [e for e in events(d, "vm.watchdog") if e["id"] < first["id"]]
        assert ws0 and ws0[-1]["detail"]["signal"] == "ws0", ws0
        assert first["detail"] == {"signal": "expired", "action": "reset",
                                   "stage": "handed-off",
                                   "timeout_ms": WDT_S * 1000}, first
        vh.wait_for("the next boot's hand-off", lambda: [
            e for e in events(d, "vm.bootguard")
            if e["id"] > first["id"] and
            e["detail"]["stage"] == "handed-off"], TIMEOUT, step=1)
        # A failed attempt needs its start (verge-hv up) seen: the second
        # boot's, at the latest, whose watchdog expires in turn.
        failed = vh.wait_for("a failed boot", lambda: events(
            d, "vm.boot_failed"), TIMEOUT, step=1)
        assert failed[0]["detail"]["reason"] == "watchdog", failed
        assert failed[0]["detail"]["stage"] == "handed-off", failed
        shown = json.loads(ok(d.verge("--json", "vm", "show", NAME)))
        assert shown["watchdog_s"] == WDT_S
        assert shown["boots"] >= 2, shown     # the start and the reset
        assert shown["bootguard"]["watchdog_expiries"] >= 1, shown
        text = ok(d.verge("events", NAME))
        assert re.search(r"vm\.watchdog .*signal=expired action=reset "
                         r"stage=handed-off timeout_ms=%d" % (WDT_S * 1000),
                         text), text
    finally:
        d.verge("vm", "kill", NAME)
        d.cleanup()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)  # only if verged left it
            except ProcessLookupError:
                pass
