# SPDX-License-Identifier: Apache-2.0
"""Image slots A/B and boot attempts (docs/bootguard.md, "Image slots and
rollback") with a real Debian guest under verge-hv.

- Rollback: slot A boots (agent, sbsa_gwdt refreshed by busybox watchdog);
  the trial slot B has a command line that panics before userspace and
  waits (panic=0). The watchdog resets it, verged counts the failure; verged
  is SIGKILLed after the first failure and restarted: the count survives;
  the second failure (K=2) rolls the VM back to A in a new QEMU, which
  boots and reports. The events tell the story in order; vm.show, REST and
  /metrics show the slots, the counters and the last failure.
- Manual commit: a trial without the agent succeeds by keeping the
  watchdog refreshed (--boot-ok-after), waits for `verge vm image commit`,
  and is committed by it; bad input gets precise errors.
- A non-root caller cannot put a file it cannot read in a slot.

Counted by events and guest-side behaviour, not timed.
"""

import json
import os
import pwd
import subprocess
import time
from pathlib import Path

import pytest

import rest_harness as rh  # noqa: E402
import verged_harness as vh  # noqa: E402

WDT_S = 30          # covers the good slot's boot until busybox watchdog
BOOT_OK_S = 4       # --boot-ok-after of the manual-commit VM
TIMEOUT = 300
GOOD = "console=ttyAMA0 verge_agent=2 verge_wdt=%d" % WDT_S
# no init: the kernel panics before userspace and, with panic=0, waits
HANG = "console=ttyAMA0 rdinit=/nonexistent init=/nonexistent panic=0"
# no agent: only the watchdog refreshes say it booted (a wide window: its
# success does not wait for an expiry)
MC_WDT_S = 60
NO_AGENT = "console=ttyAMA0 verge_wdt=%d" % MC_WDT_S


def verge(v, *args):
    r = subprocess.run([str(vh.build_dir() / "verge"), "--socket",
                        str(v.socket)] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=60)
    return r


def ok(r):
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout


def events(v, name, *types):
    return [e for e in v.call("events.list", vm=name, limit=1000)
            if not types or e["type"] in types]


def failed(v, name):
    return events(v, name, "vm.boot_failed")


def rpc_error(v, method, **params):
    with pytest.raises(vh.RpcError) as e:
        v.call(method, **params)
    return e.value.error


def test_trial_rolled_back_after_k_failures(tmp_path):
    kernel, initrd = vh.guest_files()
    v = rh.RestVerged(host="slots")
    with vh.running(v):
        vm = v.call("vm.define", name="ab", kernel=str(kernel),
                    initrd=str(initrd), cmdline=GOOD, memory_mib=512,
                    cpus=1, watchdog_s=WDT_S, boot_attempts=2)
        assert vm["slots"]["active"] == "A" and vm["slots"]["trial"] is None
        assert vm["slots"]["B"] is None
        assert vm["boot"]["attempts"] == 2
        img = v.call("vm.image.set", name="ab", kernel=str(kernel),
                     initrd=str(initrd), cmdline=HANG)
        assert img["slots"]["active"] == "B", img
        assert img["slots"]["committed"] == "A", img
        assert img["slots"]["trial"] == "B", img
        assert img["slots"]["B"]["cmdline"] == HANG, img
        assert v.call("vm.show", name="ab")["cmdline"] == HANG
        v.call("vm.start", name="ab")
        first_pid = v.call("vm.show", name="ab")["pid"]

        # the first failed attempt: the watchdog reset the hung trial
        f1 = vh.wait_for("the first failed boot", lambda: failed(v, "ab"),
                         TIMEOUT, step=1)[0]
        assert f1["detail"] == {"reason": "watchdog", "stage": "handed-off",
                                "failed_in_a_row": 1, "slot": "B",
                                "attempts": 2}, f1
        # verged dies mid-way; the VM runs on; a new verged keeps the count
        v.kill9()
        assert v.qemu_pids() == [first_pid]
        v.start()
        shown = v.call("vm.show", name="ab")
        assert shown["pid"] == first_pid
        assert shown["boot"]["failed_in_a_row"] == 1, shown["boot"]
        assert shown["boot"]["boots_failed"] == 1, shown["boot"]
        assert shown["slots"]["active"] == "B", shown["slots"]

        # the second failure rolls back to A, in a new QEMU that boots
        vh.wait_for("the rollback", lambda: events(v, "ab",
                    "vm.image.rollback"), TIMEOUT, step=1)
        ok_ev = vh.wait_for("slot A's successful boot", lambda: events(
            v, "ab", "vm.boot_ok"), TIMEOUT * 2, step=1)[0]

        story = [(e["type"], e["detail"]) for e in events(
            v, "ab", "vm.image.set", "vm.start", "vm.boot_failed",
            "daemon.attach", "vm.image.rollback", "vm.boot_ok")]
        types = [t for t, _ in story]
        assert types[:7] == ["vm.image.set", "vm.start", "vm.boot_failed",
                             "daemon.attach", "vm.boot_failed",
                             "vm.image.rollback", "vm.start"], story
        # On a loaded host slot A may miss its watchdog window too: its
        # failures are counted, but the committed slot is never rolled
        # back (K = 2 or not); then it boots and reports.
        after = story[7:-1]
        assert all(t == "vm.boot_failed" and d["slot"] == "A"
                   for t, d in after), story
        assert [d["failed_in_a_row"] for _, d in after] == \
            list(range(1, len(after) + 1)), story
        assert story[-1] == ("vm.boot_ok", {
            "failed_before": len(after), "by": "agent", "slot": "A"}), story
        assert story[4][1]["failed_in_a_row"] == 2, story
        assert story[4][1]["slot"] == "B", story
        assert story[5][1] == {"from": "B", "to": "A",
                               "why": "failed boots in a row", "failed": 2,
                               "last_failure": story[4][1]["reason"]}, story
        # EV_WATCHDOG is held: every stage of the trial's two boots is
        # recorded once, in order, although verged attached after the
        # first hypervisor started and was dead when the second did
        stages = [e["detail"]["stage"] for e in events(v, "ab",
                                                        "vm.bootguard")]
        triple = ["power-on", "os-loading", "handed-off"]
        assert stages[:6] == triple * 2, stages
        assert stages.count("handed-off") >= 3, stages     # and slot A's
        # every failure was a watchdog expiry, each one logged
        expired = [e for e in events(v, "ab", "vm.watchdog")
                   if e["detail"]["signal"] == "expired"]
        assert len(expired) >= 2, expired
        assert story[2][1]["reason"] == story[4][1]["reason"] == "watchdog"

        shown = v.call("vm.show", name="ab")
        assert shown["pid"] != first_pid and shown["state"] == "running"
        assert first_pid not in v.qemu_pids()
        assert shown["cmdline"] == GOOD
        assert shown["slots"]["active"] == "A"
        assert shown["slots"]["committed"] == "A"
        assert shown["slots"]["trial"] is None
        assert shown["slots"]["A"]["booted"] is True
        assert shown["slots"]["B"]["booted"] is False
        b = shown["boot"]
        assert (b["boots_ok"], b["boots_failed"], b["rollbacks"],
                b["failed_in_a_row"]) == (1, 2 + len(after), 1, 0), b
        assert b["last_failure"]["reason"] in ("watchdog", "reset"), b
        # REST and /metrics say the same
        rest = v.get("/v1/vms/ab").json()
        assert rest["slots"] == shown["slots"], rest
        assert rest["boot"]["rollbacks"] == 1, rest
        text = v.get("/metrics").body.decode()
        assert 'verge_vm_image_rollbacks_total{vm="ab"} 1' in text, text
        assert 'verge_vm_boot_failures_total{vm="ab"} %d' % (
            2 + len(after)) in text, text
        assert 'verge_vm_boots_succeeded_total{vm="ab"} 1' in text, text
        # operator rollback: A is committed, B never booted
        v.call("vm.kill", name="ab")
        vh.wait_for("stopped", lambda: v.call("vm.show", name="ab")
                    ["state"] != "stopping", 30)
        err = rpc_error(v, "vm.image.rollback", name="ab")
        assert err["code"] == -32003, err
        assert "slot B has never booted" in err["message"], err


def test_manual_commit_and_bad_input(tmp_path):
    kernel, initrd = vh.guest_files()
    v = vh.Verged()
    with vh.running(v):
        # bad definitions
        err = rpc_error(v, "vm.define", name="x", kernel=str(kernel),
                        boot_attempts=0)
        assert err["code"] == -32602 and "boot_attempts" in err["message"]
        ok(verge(v, "vm", "define", "mc", "--kernel", kernel, "--initrd",
                 initrd, "--cmdline", GOOD, "--memory", "512", "--cpus",
                 "1", "--watchdog", MC_WDT_S, "--boot-attempts", "2",
                 "--manual-commit", "--boot-ok-after", BOOT_OK_S))
        # bad image commands
        err = rpc_error(v, "vm.image.show", name="nope")
        assert err["code"] == -32001, err
        err = rpc_error(v, "vm.image.commit", name="mc")
        assert err["code"] == -32003, err
        assert "no trial slot to commit: slot A is committed" in \
            err["message"], err
        err = rpc_error(v, "vm.image.set", name="mc", kernel=str(kernel),
                        slot="C")
        assert err["code"] == -32602, err
        assert "slot 'C': there are slots A and B" in err["message"], err
        err = rpc_error(v, "vm.image.set", name="mc", kernel=str(kernel),
                        slot="A")
        assert err["code"] == -32602 and "(B)" in err["message"], err
        err = rpc_error(v, "vm.image.set", name="mc", kernel="Image")
        assert err["code"] == -32602, err
        assert "absolute path" in err["message"], err
        err = rpc_error(v, "vm.image.set", name="mc",
                        kernel=str(tmp_path / "missing"))
        assert err["code"] == -32602, err
        assert v.call("vm.image.show", name="mc")["slots"]["B"] is None

        out = ok(verge(v, "--json", "vm", "image", "set", "mc", "--kernel",
                       kernel, "--initrd", initrd, "--cmdline", NO_AGENT,
                       "--slot", "B"))
        assert json.loads(out)["slots"]["trial"] == "B", out
        err = rpc_error(v, "vm.image.commit", name="mc")
        assert err["code"] == -32003, err
        assert "trial slot B has not booted successfully yet" in \
            err["message"], err
        ok(verge(v, "vm", "start", "mc"))
        err = rpc_error(v, "vm.image.set", name="mc", kernel=str(kernel))
        assert err["code"] == -32003 and "stop it first" in \
            err["message"], err
        err = rpc_error(v, "vm.image.rollback", name="mc")
        assert err["code"] == -32003, err

        # no agent: success by keeping the watchdog refreshed; then it waits
        try:
            vh.wait_for("the trial's boot", lambda: events(
                v, "mc", "vm.image.trial_ok"), TIMEOUT, step=1)
        except AssertionError as e:
            raise AssertionError("%s; events %s" % (e, [
                (x["type"], x["detail"]) for x in events(v, "mc")]))
        ok_ev = events(v, "mc", "vm.boot_ok")
        assert [e["detail"] for e in ok_ev] == [
            {"failed_before": 0, "by": "watchdog", "slot": "B"}], ok_ev
        shown = json.loads(ok(verge(v, "--json", "vm", "image", "show",
                                    "mc")))
        assert shown["slots"]["committed"] == "A", shown
        assert shown["slots"]["trial"] == "B", shown
        assert shown["slots"]["trial_booted"] is True, shown
        assert shown["boot"]["ok_after_s"] == BOOT_OK_S, shown
        assert not events(v, "mc", "vm.boot_failed")
        r = verge(v, "vm", "image", "commit", "mc", "--slot", "A")
        assert r.returncode != 0 and "slot A is not the one the VM boots" \
            in r.stderr, r
        out = ok(verge(v, "--json", "vm", "image", "commit", "mc"))
        assert json.loads(out)["slots"]["committed"] == "B", out
        assert json.loads(out)["slots"]["trial"] is None, out
        commit = events(v, "mc", "vm.image.commit")
        assert [e["detail"] for e in commit] == [
            {"slot": "B", "by": "operator"}], commit
        assert commit[0]["uid"] == os.getuid()
        text = ok(verge(v, "vm", "show", "mc"))
        assert "B committed, 0 failed in a row of 2" in text, text
        v.call("vm.kill", name="mc")


def test_non_root_cannot_set_an_unreadable_image():
    """vm.image.set checks the images as vm.define does: with the
    caller's credentials (SO_PEERCRED), not verged's."""
    kernel, _ = vh.guest_files()
    nobody = pwd.getpwnam("nobody")
    v = vh.Verged(config_extra="[daemon]\ngroup = nogroup\n")
    with vh.running(v):
        v.tmp.chmod(0o755)      # nobody reaches the socket
        v.call("vm.define", name="nr", kernel=str(kernel))
        reply = vh.call_as(nobody, v.socket, "vm.image.set",
                           {"name": "nr", "kernel": "/etc/shadow"})
        assert "error" in reply, reply
        assert reply["error"]["code"] == -32602, reply
        assert "/etc/shadow: Permission denied: uid %d may not read it" \
            % nobody.pw_uid in reply["error"]["message"], reply
        shown = v.call("vm.image.show", name="nr")
        assert shown["slots"]["B"] is None and shown["slots"]["trial"] is None
