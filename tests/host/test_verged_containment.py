# SPDX-License-Identifier: Apache-2.0
"""Issue 12, host side: what verged acknowledges is stored, a batch's
replies are bounded, and no guest can push the operators' events out of
the event log. Against a real verged (QEMU played by fake_qemu.py)."""

import json
import resource
import time
from pathlib import Path

import pytest

import verged_harness as vh

def fake_verged(extra=""):
    """A verged whose QEMU is fake_qemu.py (extra: more config)."""
    return vh.fake_qemu_verged(extra)


def error_name(reply):
    return reply.get("error", {}).get("data", {}).get("name")


def what_verged_knows(v):
    return {"vms": [vm["name"] for vm in v.call("vm.list")],
            "k": v.call("guestinfo.get", name="a", key="k").get("value"),
            "rate": v.call("clock.show", name="a")["rate"],
            "events": [e["type"] for e in v.call("events.list",
                                                  limit=1000)]}


def test_failed_commit_is_an_error():
    """Every write past a file size limit of 1 byte fails (the WAL
    cannot grow): each state-changing call gets store_failed, and
    neither verged nor its database (read after a restart) changed."""
    v = fake_verged()
    try:
        v.start()
        kernel = str(v.tmp / "Image")
        v.call("vm.define", name="a", kernel=kernel)
        v.call("guestinfo.set", name="a", key="k", value="old")
        before = what_verged_knows(v)
        soft, hard = resource.prlimit(v.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(v.pid, resource.RLIMIT_FSIZE, (1, hard))
        try:
            with v.client() as c:
                for method, params in (
                        ("vm.define", {"name": "b", "kernel": kernel}),
                        ("guestinfo.set", {"name": "a", "key": "k",
                                           "value": "new"}),
                        ("clock.set_rate", {"name": "a", "rate": "1/2"}),
                        ("vm.undefine", {"name": "a"})):
                    r = c.request(method, params)
                    assert error_name(r) == "store_failed", (method, r)
                    assert r["error"]["code"] == -32009
        finally:
            resource.prlimit(v.pid, resource.RLIMIT_FSIZE, (soft, hard))
        assert v.alive(), v.log_text()[-3000:]
        assert what_verged_knows(v) == before
        assert v.stop() == 0
        v.start()
        after = what_verged_knows(v)
        assert after["events"][-1] == "daemon.start"
        after["events"].pop()
        assert after == before
        # and writes work again
        v.call("vm.define", name="b", kernel=kernel)
    finally:
        v.cleanup()


def hwm_kib(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def read_capped(c, cap):
    """One reply line, failing the test if it passes cap bytes."""
    buf = bytearray(c.buf)
    while b"\n" not in buf:
        chunk = c.sock.recv(1 << 20)
        assert chunk, "verged closed the connection"
        buf += chunk
        assert len(buf) <= cap, "reply passed %d bytes" % cap
    return bytes(buf[:buf.index(b"\n")])


def test_batch_replies_are_bounded():
    """1,000 vm.console calls of 1 MiB each in one batch: the replies
    hold at most 16 MiB; the call that would pass it and the calls after
    it get too_large; verged's peak RSS stays far from a gigabyte."""
    limit = 16 << 20
    v = vh.Verged()
    try:
        v.start()
        (v.tmp / "Image").write_bytes(b"k")
        v.call("vm.define", name="c", kernel=str(v.tmp / "Image"))
        log = v.state / "vms" / "c" / "console.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_bytes((b"x" * 1023 + b"\n") * 1024)
        base = hwm_kib(v.pid)
        batch = [{"jsonrpc": "2.0", "id": i, "method": "vm.console",
                  "params": {"name": "c", "bytes": 1 << 20}}
                 for i in range(1000)]
        with v.client(timeout=120) as c:
            c.send_raw(json.dumps(batch).encode() + b"\n")
            line = read_capped(c, 2 * limit)
        replies = json.loads(line)
        assert [r["id"] for r in replies] == list(range(1000))
        ok = [r for r in replies if "result" in r]
        bad = [r for r in replies if "error" in r]
        assert ok and all(len(r["result"]["text"]) == 1 << 20 for r in ok)
        assert replies[:len(ok)] == ok          # the first ones fit
        assert len(line) <= limit + 1000 * 512
        assert len(ok) * (1 << 20) <= limit
        assert all(r["error"]["data"]["name"] == "too_large" and
                   r["error"]["data"]["limit_bytes"] == limit for r in bad)
        assert "dropped" in bad[0]["error"]["message"]
        assert all("not run" in r["error"]["message"] for r in bad[1:])
        grown = hwm_kib(v.pid) - base
        assert grown < 200 * 1024, "peak RSS grew by %d KiB" % grown
        print("batch: %d results, %d errors, reply %d bytes, peak RSS"
              " +%d KiB" % (len(ok), len(bad), len(line), grown))
        assert v.call("vm.show", name="c")["name"] == "c"
    finally:
        v.cleanup()


def all_events(v):
    events, since = [], 0
    while True:
        page = v.call("events.list", since=since, limit=1000)
        if not page:
            return events
        events += page
        since = page[-1]["id"]


def test_guest_cannot_flush_operator_events():
    """A guest floods 3,000 events and 3,000 agent reports into an event
    log that keeps 100: every operator event is still there, the guest's
    are rate limited, kept apart and counted in guest.dropped."""
    flood = 3000
    v = fake_verged("[store]\nevent_history = 100\n")
    try:
        v.start()
        kernel = str(v.tmp / "Image")
        v.call("vm.define", name="f", kernel=kernel,
               cmdline="fake.flood=%d" % flood)
        for i in range(40):
            v.call("guestinfo.set", name="f", key="k%d" % i, value="v")
        v.call("vm.start", name="f")
        fake_log = v.run / "vms" / "f" / "fake.log"
        for i in range(10):     # while the guest floods
            v.call("guestinfo.set", name="f", key="during%d" % i,
                   value="v")
        vh.wait_for("the flood", lambda: fake_log.exists() and
                    '"flood": "done"' in fake_log.read_text(), 60)
        vh.wait_for("the last hello", lambda: any(
            e["type"] == "agent.hello" and
            e["detail"].get("flood") == "done" for e in all_events(v)), 10)
        events = all_events(v)
        ids = [e["id"] for e in events]
        assert ids == sorted(ids)               # one log, in order
        mine = [e for e in events if e["uid"] is not None]
        assert [e["type"] for e in mine] == \
            ["vm.define"] + ["guestinfo.set"] * 40 + ["vm.start"] + \
            ["guestinfo.set"] * 10, [e["type"] for e in mine]
        assert all(e["source"] == "operator" for e in mine)
        guest = [e for e in events if e.get("source") == "guest"]
        assert guest and all(e["uid"] is None for e in guest)
        assert {e["type"] for e in guest} <= {
            "agent.hello", "vm.panic", "vm.boot", "guest.dropped"}
        assert len(guest) < 100 + 256
        dropped = [e["detail"] for e in events
                   if e["type"] == "guest.dropped"]
        assert dropped, "no guest.dropped event"
        # what passed is the burst and about one a second; the rest counted
        assert sum(d["events"] for d in dropped) > flood * 0.9
        assert sum(d["reports"] for d in dropped) > flood * 0.9
        assert v.call("agent.show", name="f")["reports"] < 100
        print("flood: %d operator events kept, %d guest events kept,"
              " dropped %d events and %d reports" % (
                  len(mine), len(guest), sum(d["events"] for d in dropped),
                  sum(d["reports"] for d in dropped)))
        # the operator's events are also all in the VM's own list
        vm_events = v.call("events.list", vm="f", limit=1000)
        assert [e["id"] for e in vm_events if e["uid"] is not None] == \
            [e["id"] for e in mine if e["vm"] == "f"]
        # what the limit dropped last is counted when the VM goes away
        v.call("vm.kill", name="f")
        last = [e for e in all_events(v) if e["type"] == "guest.dropped"]
        assert len(last) == len(dropped) + 1
        assert 50 <= last[-1]["detail"]["events"] <= 100
    finally:
        v.cleanup()
