# SPDX-License-Identifier: Apache-2.0
"""The bad-input run against an AddressSanitizer build of verged: no
memory error and no leak (LeakSanitizer at exit)."""

import fcntl
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

import verged_harness as vh


@pytest.fixture(scope="module")
def asan_verged():
    """verged built with SANITIZE=address into its own build directory;
    one build at a time (test_rest_asan.py uses it too, maybe in another
    pytest-xdist worker at the same time)."""
    out = vh.build_dir() / "asan"
    with open(vh.build_dir() / ".asan.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", "-j2", "O=%s" % out,
                            "SANITIZE=address", str(out / "verged")],
                           cwd=vh.REPO, capture_output=True, text=True,
                           timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return out / "verged"


def bad_input_run(v, kernel):
    """Everything a hostile or broken client can do, once each."""
    with v.client() as c:
        c.send_raw(b"{nope\n")
        assert c.read_json()["error"]["code"] == -32700
        assert c.request("vm.fly")["error"]["code"] == -32601
        assert c.request("vm.define", {"name": 3})["error"]["code"] == -32602
        c.send_raw(b'[{"jsonrpc":"2.0","id":1,"method":"vm.list"},1,'
                   b'{"jsonrpc":"2.0","method":"vm.list"}]\n')
        assert len(c.read_json()) == 2
        c.call("vm.define", name="a", kernel=kernel)
        c.call("guestinfo.set", name="a", key="k", value="v" * 512)
        c.call("clock.set_rate", name="a", rate="3/7")
        c.call("events.subscribe")
        c.call("vm.define", name="b", kernel=kernel)
        c.call("vm.undefine", name="b")
    with v.client() as c:
        try:
            c.send_raw(b'{"x":"' + b"y" * (2 << 20) + b'"}\n')
        except OSError:
            pass
        assert c.read_json()["error"]["code"] == -32008
    with v.client() as c:
        c.send_raw(b"[" * 64 + b"]" * 64 + b"\n")
        assert c.read_json()["error"]["code"] == -32008
    socks = []
    for i in range(200):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(v.socket))
        s.sendall(b'{"jsonrpc":"2.0","id":%d,"method":"vm.list"}\n' % i)
        socks.append(s)
    for s in socks:
        assert json.loads(s.makefile("rb").readline())["result"]
        s.close()
    half = v.client(timeout=30)
    half.send_raw(b'{"jsonrpc":"2.0","id":1,"meth')
    assert half.read_json()["error"]["code"] == -32007
    half.close()
    # a client that leaves with a request in flight
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    gone.connect(str(v.socket))
    gone.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.list"}\n' * 50)
    gone.close()
    # and one that leaves mid-message
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    gone.connect(str(v.socket))
    gone.sendall(b'{"jsonrpc":"2.0","id":1,"met')
    gone.close()
    time.sleep(0.2)


def test_bad_input_under_asan(asan_verged):
    v = vh.Verged(binary=asan_verged, env={
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=66",
        "LSAN_OPTIONS": "exitcode=66"})
    try:
        kernel = v.tmp / "Image"
        kernel.write_bytes(b"k")
        v.start(wait=30)
        bad_input_run(v, str(kernel))
        assert v.alive()
        status = v.stop(timeout=60)
        log = v.log_text()
        assert "AddressSanitizer" not in log, log[-4000:]
        assert "LeakSanitizer" not in log, log[-4000:]
        assert status == 0, log[-4000:]
    finally:
        v.cleanup()


def test_guest_input_under_asan(asan_verged):
    """The management-channel and QMP paths, with the malformed guest
    input of fake_qemu.py, a silent agent, a crash and a stop."""
    fake = Path(__file__).resolve().parent / "fake_qemu.py"
    v = vh.Verged(binary=asan_verged, env={
        "ASAN_OPTIONS": "detect_leaks=1:exitcode=66",
        "LSAN_OPTIONS": "exitcode=66"},
        config_extra="binary = %s\n[vm]\nagent_timeout_ms = 500\n" % fake, isolation="off")
    try:
        (v.tmp / "hv.bin").write_bytes(b"hv")
        v.config.write_text(v.config.read_text().replace(
            str(vh.build_dir() / "verge-hv.bin"), str(v.tmp / "hv.bin")))
        kernel = v.tmp / "Image"
        kernel.write_bytes(b"k")
        v.start(wait=30)
        v.call("vm.define", name="g", kernel=str(kernel), restart="on-crash")
        v.call("vm.define", name="m", kernel=str(kernel),
               cmdline="fake.mute_tclo=1")
        v.call("guestinfo.set", name="g", key="a", value="b")
        v.call("vm.start", name="g")
        v.call("vm.start", name="m")
        deadline = time.monotonic() + 20
        while not v.call("vm.show", name="g")["agent"]["seen"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        v.call("agent.ping", name="g")
        v.call("agent.detect", name="g")
        v.call("agent.sync_time", name="g")
        v.call("vm.stats", name="g")
        v.call("clock.set_rate", name="g", rate="1/3")
        with pytest.raises(vh.RpcError):
            v.call("agent.ping", name="m")
        # a client that leaves while its agent.ping waits
        c = v.client()
        c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"agent.ping",'
                   b'"params":{"name":"m"}}\n')
        c.close()
        os.kill(v.call("vm.show", name="g")["pid"], 9)      # crash
        deadline = time.monotonic() + 20
        while v.call("vm.show", name="g")["boots"] < 2 or \
                v.call("vm.show", name="g")["state"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        v.call("vm.stop", name="g", timeout_s=5)
        time.sleep(0.7)         # the abandoned ping times out
        assert v.alive()
        status = v.stop(timeout=60)     # "m" keeps running, detached
        log = v.log_text()
        assert "AddressSanitizer" not in log, log[-4000:]
        assert "LeakSanitizer" not in log, log[-4000:]
        assert status == 0, log[-4000:]
    finally:
        v.cleanup()


def asan_env():
    return {"ASAN_OPTIONS": "detect_leaks=1:exitcode=66",
            "LSAN_OPTIONS": "exitcode=66"}


def assert_clean_exit(v):
    assert v.alive(), v.log_text()[-4000:]
    status = v.stop(timeout=60)
    log = v.log_text()
    assert "AddressSanitizer" not in log, log[-4000:]
    assert "LeakSanitizer" not in log, log[-4000:]
    assert status == 0, log[-4000:]


def wait_state(v, name, state, timeout=20):
    return vh.wait_for("%s %s" % (name, state), lambda: v.call(
        "vm.show", name=name)["state"] == state, timeout, step=0.02)


def test_restart_timer_outlives_no_vm(asan_verged):
    """Issue 12: a crash arms the restart timer; a manual start that
    exits at once (QEMU exits 1 here) crashes again while the
    first restart is pending; vm.undefine then frees the VM. No restart
    timer may still point at it."""
    v = vh.Verged(binary=asan_verged, env=asan_env(),
                  config_extra="binary = /bin/false\n")
    try:
        (v.tmp / "hv.bin").write_bytes(b"hv")
        # a QEMU for verged's start-up checks (agentd/qemu.c) that, asked
        # to run a VM, exits at once like /bin/false
        q = v.tmp / "qemu-false"
        q.write_text("#!/bin/sh\n"
                     "[ \"$*\" = -version ] && exec echo 'QEMU emulator "
                     "version 7.2.0'\n"
                     "[ \"$*\" = '-M virt -cpu help' ] && exec printf "
                     "'Available CPUs:\\n  cortex-a57\\n'\n"
                     "exit 1\n")
        q.chmod(0o755)
        v.config.write_text(v.config.read_text().replace(
            str(vh.build_dir() / "verge-hv.bin"), str(v.tmp / "hv.bin"))
            .replace("binary = /bin/false", "binary = %s" % q))
        kernel = v.tmp / "Image"
        kernel.write_bytes(b"k")
        v.start(wait=30)
        v.call("vm.define", name="r", kernel=str(kernel), restart="on-crash")
        v.call("vm.start", name="r")
        wait_state(v, "r", "crashed")       # restart timer armed (1 s)
        v.call("vm.start", name="r")        # exits at once: crash again
        wait_state(v, "r", "crashed")
        v.call("vm.undefine", name="r")
        time.sleep(2.5)         # past every restart delay
        assert v.alive(), v.log_text()[-4000:]
        with pytest.raises(vh.RpcError):
            v.call("vm.show", name="r")
        assert_clean_exit(v)
    finally:
        v.cleanup()


def fake_verged(asan_verged, extra=""):
    """An ASan verged whose QEMU is tests/host/fake_qemu.py."""
    return vh.fake_qemu_verged(extra, binary=asan_verged, env=asan_env())


def req(rid, method, **params):
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}


@pytest.mark.parametrize("how", ["drop", "exit"])
def test_mgmt_link_lost_with_requests_queued(asan_verged, how):
    """Issue 12: requests queued on a management connection that goes
    away (the connection drops, or QEMU exits while its socket stays
    open) are all answered, also those the answers let run next."""
    v = fake_verged(asan_verged)
    try:
        v.start(wait=30)
        v.call("vm.define", name="q", kernel=str(v.tmp / "Image"),
               cmdline="fake.stats=%s" % how)
        v.call("vm.start", name="q")
        def live():
            with v.client() as c:
                return c.request("clock.show", {"name": "q"}).get(
                    "result", {}).get("live")
        vh.wait_for("management channel", live, 30)
        # one connection: three messages, the 2nd and 3rd wait for the 1st
        a = v.client(timeout=20)
        a.send_raw(b"".join(json.dumps(r).encode() + b"\n" for r in (
            req(1, "vm.stats", name="q"), req(2, "clock.show", name="q"),
            req(3, "vm.stats", name="q"))))
        # another: a batch
        b = v.client(timeout=20)
        b.send_raw(json.dumps([req(1, "vm.stats", name="q"),
                               req(2, "clock.show", name="q")]).encode()
                   + b"\n")
        got = [a.read_json() for _ in range(3)]
        assert [r["id"] for r in got] == [1, 2, 3], got
        assert got[0]["error"]["data"]["name"] == "hv_unavailable", got
        for r in got[1:]:
            assert "error" in r or "result" in r, r
        batch = b.read_json()
        assert sorted(r["id"] for r in batch) == [1, 2], batch
        assert "error" in batch[0] or "error" in batch[1], batch
        a.close()
        b.close()
        assert v.alive(), v.log_text()[-4000:]
        if how == "exit":
            wait_state(v, "q", "crashed")
        v.call("vm.show", name="q")
        assert_clean_exit(v)
    finally:
        v.cleanup()
