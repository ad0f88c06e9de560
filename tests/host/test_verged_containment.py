"""Issue 12, host side: what verged acknowledges is stored, a batch's
replies are bounded, and no guest can push the operators' events out of
the event log. Against a real verged (QEMU played by fake_qemu.py)."""

import json
import resource
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import verged_harness as vh  # noqa: E402

FAKE = Path(__file__).resolve().parent / "fake_qemu.py"


def fake_verged(extra=""):
    """A verged whose QEMU is fake_qemu.py (extra: more config)."""
    v = vh.Verged(config_extra="binary = %s\n%s" % (FAKE, extra))
    (v.tmp / "hv.bin").write_bytes(b"hv")
    v.config.write_text(v.config.read_text().replace(
        str(vh.build_dir() / "verge-hv.bin"), str(v.tmp / "hv.bin")))
    (v.tmp / "Image").write_bytes(b"k")
    return v


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
