# SPDX-License-Identifier: Apache-2.0
"""The backdoor from Linux userspace (EL0) under verge-hv, with the host
on the management channel: tests/linux/bdfuzz.c as the guest program.
One VM for the module; the hostile run comes last.
"""

import json
import re
import subprocess
import time

import pytest

import linuxvm as lv
import mgmt

UUID = "fedcba98-7654-3210-0123-456789abcdef"
FUZZ_CALLS = 1000000
FUZZ_TIMEOUT = 240


@pytest.fixture(scope="module")
def vm_m(mgmt_vm):
    """(VM at its shell prompt, connected Mgmt); killed at module end."""
    with mgmt_vm("test_backdoor", uuid=UUID) as vm_m:
        yield vm_m


def rpc(vm, text):
    out = vm.check("bdfuzz rpc '%s'" % text)
    m = re.search(r"(?m)^reply: (.*)$", out)
    assert m, out
    return m.group(1)


def test_getversion_from_el0(vm_m):
    vm, _ = vm_m
    out = vm.check("bdfuzz version")
    assert "version 6 magic 0x564d5868 type 2" in out, out


def test_uuid_mhz_time(vm_m):
    """GETUUID gives verge.uuid; GETTIMEFULL_WITH_LAG fails until the host
    anchors it, then gives host time."""
    vm, m = vm_m
    out = vm.check("bdfuzz info")
    assert "uuid " + UUID.replace("-", "") in out, out
    assert "mhz 63" in out, out     # 62.5 MHz counter
    assert "time none" in out, out
    h0 = time.time()
    m.host_time_set()
    out = vm.check("bdfuzz info")
    h1 = time.time()
    t = float(re.search(r"time (\d+\.\d+) lag 1000", out).group(1))
    # the anchor plus the host counter since: between the host's time
    # before the anchor and after the answer (an order, whatever the
    # load; 1 ms for the guest's microseconds and the two clocks)
    assert h0 - 1e-3 <= t <= h1 + 1e-3, (h0, t, h1)


def test_guestinfo_host_to_guest(vm_m):
    vm, m = vm_m
    m.guestinfo_set("agent.ip", "10.0.0.7")
    assert rpc(vm, "info-get guestinfo.agent.ip") == "1 10.0.0.7"
    m.guestinfo_set("agent.ip", "")
    assert rpc(vm, "info-get guestinfo.agent.ip") == "0 No value found"


def test_info_set_reaches_host(vm_m):
    vm, m = vm_m
    assert rpc(vm, "info-set guestinfo.role web server") == "1 "
    _, body = m.wait_event(mgmt.EV_GUESTINFO, 10,
                           lambda t, b: b.startswith(b"role\0"))
    assert body == b"role\0web server"
    assert rpc(vm, "info-get guestinfo.role") == "1 web server"


def test_relayed_and_unknown(vm_m):
    vm, m = vm_m
    assert rpc(vm, "log hello from linux") == "1 "
    _, body = m.wait_event(mgmt.EV_RPCI, 10,
                           lambda t, b: b.startswith(b"log hello"))
    assert body == b"log hello from linux"
    assert rpc(vm, "no.such.command") == "0 Unknown command"


def test_tclo_round_trip(vm_m):
    """Commands pushed by the host reach the guest in order; each reply
    comes back as EV_TCLO_REPLY; a full queue refuses with VP_E_REFUSED."""
    vm, m = vm_m
    for i in range(8):
        m.tclo_push("cmd %d" % i)
    with pytest.raises(mgmt.MgmtError) as e:
        m.tclo_push("one too many")
    assert e.value.code == 6, e.value      # VP_E_REFUSED
    vm.send("bdfuzz tclo 9 60\n")
    for i in range(8):
        vm.expect(r"(?m)^tclo: cmd %d$" % i, 30)
    m.tclo_push("ping")
    vm.expect(r"(?m)^tclo: ping$", 30)
    vm.expect(r"(?m)^tclo: 9 commands$", 30)
    replies = [m.wait_event(mgmt.EV_TCLO_REPLY, 10)[1] for _ in range(9)]
    assert replies == [b"OK cmd %d" % i for i in range(8)] + [b"OK ping"]
    vm.shell(30)


def mgmt_tool(*args, timeout=30):
    tool = lv.build_dir() / "verge-mgmt"
    if not tool.exists():
        pytest.fail("missing %s (run make)" % tool)
    return [str(tool), "--timeout", "5000"] + list(args)


def test_verge_mgmt_commands(vm_m):
    """verge-mgmt's guestinfo-set, host-time and events with a guest."""
    vm, m = vm_m
    m.close()       # the socket takes one client at a time
    try:
        r = subprocess.run(mgmt_tool(m.path, "guestinfo-set", "cli.key",
                                     "from cli"), capture_output=True,
                           text=True, timeout=30)
        assert (r.returncode, r.stdout) == (0, "ok\n"), r
        r = subprocess.run(mgmt_tool(m.path, "guestinfo-set", "bad key", "v"),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "OUT_OF_RANGE" in r.stderr, r
        r = subprocess.run(mgmt_tool(m.path, "host-time"), capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r
        assert rpc(vm, "info-get guestinfo.cli.key") == "1 from cli"
        ev = subprocess.Popen(mgmt_tool("--json", m.path, "events", "--count",
                                        "1", "--for", "60"),
                              stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(1)
            assert rpc(vm, "log via the cli") == "1 "
            out, _ = ev.communicate(timeout=60)
        finally:
            ev.kill()
            ev.wait()
        assert json.loads(out) == {"event": "EV_RPCI",
                                   "text": "log via the cli"}, out
    finally:
        m.connect()
        m.hello()


def test_hostile_guest(vm_m):
    """1,000,000 hostile calls from EL0: the guest and the hypervisor keep
    running, a well-formed call afterwards works, PING is answered."""
    vm, m = vm_m
    t0 = time.monotonic()
    rc, out = vm.run("bdfuzz fuzz %d 12345" % FUZZ_CALLS, FUZZ_TIMEOUT)
    print(out.strip())
    print("fuzz run: %.1f s of host time" % (time.monotonic() - t0))
    s = re.search(r"bdfuzz: calls=(\d+) .* getversion=(\w+) rpci=(\w+)", out)
    assert s, out
    assert int(s.group(1)) == FUZZ_CALLS
    assert rc == 0, out
    m.ping()
    assert "version 6" in vm.check("bdfuzz version")
    assert "verge-guest" in vm.check("hostname")


def test_hostile_guests_in_parallel(vm_m):
    """Two hostile processes at once, one per vCPU: the calls of both CPUs
    go through the one lock; each process still sees its own channels."""
    vm, m = vm_m
    rc, out = vm.run("bdfuzz fuzz 200000 1 > /tmp/f1 & "
                     "bdfuzz fuzz 200000 2 > /tmp/f2; r2=$?; wait $!; "
                     "r1=$?; cat /tmp/f1 /tmp/f2; [ $r1 = 0 ] && [ $r2 = 0 ]",
                     FUZZ_TIMEOUT)
    assert rc == 0, out
    assert out.count("getversion=ok rpci=ok") == 2, out
    m.ping()
