# SPDX-License-Identifier: Apache-2.0
"""verged as a daemon, without guests: configuration and flags, the
socket, readiness, define/list/show/undefine, events with the caller's
uid, permissions, subscriptions, durability across kill -9, and zero
wake-ups when idle."""

import json
import os
import socket
import stat
import subprocess
import time

import pytest

import verged_harness as vh
from verged_harness import RpcError


@pytest.fixture
def vd():
    v = vh.Verged()
    try:
        yield v
    finally:
        v.cleanup()


@pytest.fixture
def kernel(vd):
    """A readable file: define checks the path, not the contents."""
    p = vd.tmp / "Image"
    p.write_bytes(b"kernel")
    return str(p)


def run_verged(*args, timeout=10):
    return subprocess.run([str(vh.build_dir() / "verged")] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def test_version_and_help():
    r = run_verged("--version")
    assert r.returncode == 0 and r.stdout.startswith("verged 0.1.0")
    r = run_verged("--help")
    assert r.returncode == 0 and "--state-dir" in r.stdout
    r = run_verged("--bogus")
    assert r.returncode == 2 and "usage" in r.stderr


def test_bad_config_refused(vd):
    bad = vd.tmp / "bad.conf"
    bad.write_text("[daemon]\nsockte = /tmp/x\n")
    r = run_verged("--foreground", "--config", str(bad))
    assert r.returncode == 1
    assert "unknown key [daemon] sockte" in r.stderr
    bad.write_text("[vm]\nstop_timeout_s = forever\n")
    r = run_verged("--foreground", "--config", str(bad))
    assert r.returncode == 1 and "stop_timeout_s" in r.stderr
    r = run_verged("--foreground", "--config", str(vd.tmp / "missing.conf"))
    assert r.returncode == 1 and "missing.conf" in r.stderr


def test_flags_override_config(vd):
    other, configured = vd.tmp / "other.sock", vd.socket
    vd.socket = other
    vd.start(["--socket", str(other)])
    assert other.exists() and not configured.exists()
    mode = stat.S_IMODE(os.stat(other).st_mode)
    assert mode == 0o660
    with vh.Client(other) as c:
        assert c.call("daemon.version")["version"] == "0.1.0"


def test_readiness_notification(vd):
    path = str(vd.tmp / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(15)
    vd.env["NOTIFY_SOCKET"] = path
    vd.start()
    assert s.recv(256) == b"READY=1"
    vd.stop()
    assert s.recv(256) == b"STOPPING=1"
    s.close()


def test_define_list_show_undefine(vd, kernel):
    vd.start()
    with vd.client() as c:
        vm = c.call("vm.define", name="web-1", kernel=kernel, memory_mib=256,
                    cpus=1, rate="1/2", cmdline="console=ttyAMA0 quiet",
                    restart="on-crash")
        assert vm["state"] == "defined" and vm["desired"] == "stopped"
        assert vm["clock"] == {"rate": "1/2", "rate_value": 0.5,
                               "freq_hz": 0}
        assert len(vm["uuid"]) == 36
        c.call("vm.define", name="db", kernel=kernel, freq_hz=125000000)
        names = [v["name"] for v in c.call("vm.list")]
        assert names == ["db", "web-1"]                 # sorted by name
        shown = c.call("vm.show", name="web-1")
        assert shown["uuid"] == vm["uuid"] and shown["restart"] == "on-crash"
        with pytest.raises(RpcError) as e:
            c.call("vm.define", name="web-1", kernel=kernel)
        assert e.value.name == "vm_exists"
        assert c.call("vm.undefine", name="web-1") == {}
        with pytest.raises(RpcError) as e:
            c.call("vm.show", name="web-1")
        assert e.value.name == "vm_not_found"
        assert [v["name"] for v in c.call("vm.list")] == ["db"]


def test_events_carry_caller_uid(vd, kernel):
    vd.start()
    with vd.client() as c:
        c.call("vm.define", name="a", kernel=kernel)
        c.call("clock.set_rate", name="a", rate=0.25)
        c.call("guestinfo.set", name="a", key="role", value="web")
        c.call("vm.undefine", name="a")
        evs = c.call("events.list", vm="a")
    assert [e["type"] for e in evs] == ["vm.define", "clock.rate",
                                        "guestinfo.set", "vm.undefine"]
    assert all(e["uid"] == os.getuid() for e in evs)
    assert evs[1]["detail"]["rate"] == "1/4"
    ids = [e["id"] for e in evs]
    assert ids == sorted(ids)
    with vd.client() as c:
        later = c.call("events.list", since=ids[1], vm="a", limit=1)
    assert [e["id"] for e in later] == [ids[2]]


def test_offline_clock_and_guestinfo(vd, kernel):
    vd.start()
    with vd.client() as c:
        c.call("vm.define", name="a", kernel=kernel)
        clk = c.call("clock.set_frequency", name="a", freq_hz=125000000)
        assert clk["freq_hz"] == 125000000 and clk["live"] is False
        assert c.call("clock.show", name="a")["freq_hz"] == 125000000
        assert c.call("vm.show", name="a")["clock"]["freq_hz"] == 125000000
        c.call("guestinfo.set", name="a", key="role", value="db")
        assert c.call("guestinfo.get", name="a", key="role") == {
            "key": "role", "value": "db", "source": "host"}
        assert c.call("guestinfo.get", name="a", key="none")["value"] is None
        with pytest.raises(RpcError) as e:
            c.call("agent.show", name="a")
        assert e.value.name == "agent_unavailable"
        with pytest.raises(RpcError) as e:
            c.call("agent.ping", name="a")
        assert e.value.name == "vm_state"
        with pytest.raises(RpcError) as e:
            c.call("clock.step", name="a", ns=1000)
        assert e.value.name == "hv_unavailable"
        with pytest.raises(RpcError) as e:
            c.call("vm.stop", name="a")
        assert e.value.name == "vm_state"
        assert e.value.data["state"] == "defined"


def test_start_failure_is_explained(vd, kernel):
    vd.start()
    with vd.client() as c:
        c.call("vm.define", name="a", kernel=kernel)
        os.unlink(kernel)
        with pytest.raises(RpcError) as e:
            c.call("vm.start", name="a")
        assert "kernel" in str(e.value) and kernel in str(e.value)
        assert c.call("vm.show", name="a")["state"] == "defined"


def test_other_uid_may_read_not_change(vd, kernel):
    """SO_PEERCRED: uid 65534 (not root, not verged's, not in group
    verge) may list but not define; the socket is opened up for it."""
    if os.getuid() != 0:
        pytest.skip("needs root to switch uid")
    vd.start()
    os.chmod(vd.tmp, 0o755)
    os.chmod(vd.socket, 0o666)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        out = {}
        try:
            os.setgid(65534)
            os.setuid(65534)
            c = vh.Client(vd.socket)
            out["list"] = c.request("vm.list")
            out["define"] = c.request("vm.define",
                                      {"name": "x", "kernel": kernel})
        except Exception as e:              # noqa: BLE001
            out["exc"] = repr(e)
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.waitpid(pid, 0)
    out = json.loads(data)
    assert "exc" not in out, out
    assert out["list"]["result"] == []
    err = out["define"]["error"]
    assert err["code"] == -32004 and err["data"]["uid"] == 65534
    assert vd.call("vm.list") == []


def test_subscribe_gets_events(vd, kernel):
    vd.start()
    with vd.client() as sub, vd.client() as c:
        assert sub.call("events.subscribe", vm="b") == {}
        c.call("vm.define", name="a", kernel=kernel)
        c.call("vm.define", name="b", kernel=kernel)
        note = sub.read_json()
        assert note["method"] == "event" and "id" not in note
        assert note["params"]["vm"] == "b"
        assert note["params"]["type"] == "vm.define"
        assert note["params"]["uid"] == os.getuid()


def test_kill9_after_ack_loses_nothing(vd, kernel):
    """Every define that was acknowledged is there after kill -9."""
    vd.start()
    with vd.client() as c:
        for i in range(30):
            c.call("vm.define", name="vm-%02d" % i, kernel=kernel)
        c.call("clock.set_rate", name="vm-29", rate="1/3")
    vd.kill9()                                  # right after the last ack
    vd.start()
    vms = vd.call("vm.list")
    assert [v["name"] for v in vms] == ["vm-%02d" % i for i in range(30)]
    assert vms[-1]["clock"]["rate"] == "1/3"
    types = [e["type"] for e in vd.call("events.list", limit=1000)]
    assert types.count("vm.define") == 30
    assert types.count("daemon.start") == 2


def test_idle_daemon_sleeps(vd, kernel):
    """0 wake-ups per second with no VM running (TARGETS.md)."""
    vd.start()
    vd.call("vm.define", name="idle", kernel=kernel)
    time.sleep(0.5)             # let the commit timer fire once
    before = vh.ctx_switches(vd.pid)
    time.sleep(3)
    assert vh.ctx_switches(vd.pid) - before == 0


def test_sigterm_exits_cleanly(vd, kernel):
    vd.start()
    vd.call("vm.define", name="a", kernel=kernel)
    assert vd.stop() == 0
    assert not vd.socket.exists()
    assert "error" not in vd.log_text()


def test_daemonizes_without_foreground(vd):
    """Without --foreground the command returns once verged listens; the
    daemon (found by SO_PEERCRED on a connection) answers, in its own
    session, and stops on SIGTERM."""
    with open(vd.log, "ab") as log:
        r = subprocess.run([str(vd.binary), "--config", str(vd.config)],
                           stdout=subprocess.PIPE, stderr=log, timeout=15)
    assert r.returncode == 0 and r.stdout == b""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(vd.socket))
    creds = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    pid = int.from_bytes(creds[:4], "little")
    s.close()
    try:
        assert vd.call("daemon.version")["api"] == 1
        assert os.getsid(pid) == pid
    finally:
        os.kill(pid, 15)
    deadline = time.monotonic() + 10
    while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not vd.socket.exists()
