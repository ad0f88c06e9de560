# SPDX-License-Identifier: Apache-2.0
"""The backdoor with the host side present: the test guest (its bd_*
tests) under verge-hv with a management channel and verge.uuid. The host
anchors GETTIMEFULL and sets guestinfo.host.key before the guest gets to
its backdoor tests, then checks what the guest saw and what it relayed.
"""

import re
import tempfile
import time

import pytest

import linuxvm
import mgmt
from test_clock import check_passed
from test_guest import NAMES, tail

TIMEOUT = 120
GUEST = "0x44000000"
UUID = "01234567-89ab-cdef-0011-223344556677"
BD_TESTS = [n for n in NAMES if n.startswith("bd_")]


@pytest.fixture(autouse=True)
def needs_hv(bare):
    if bare:
        pytest.skip("needs verge-hv")


@pytest.fixture(scope="module")
def run(qemu_cmd):
    """(console text, events, host time at anchoring in ns)."""
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-"))
    cmd = qemu_cmd(append="verge.kernel=%s verge.uuid=%s --" % (GUEST, UUID),
                   extra_args=mgmt.qemu_args(sock))
    vm = linuxvm.VM(cmd, TIMEOUT + 30)
    with vm, mgmt.Mgmt(sock).connect() as m:
        m.hello()
        m.guestinfo_set("host.key", "host-value")
        anchored = time.time_ns()
        m.host_time_set(anchored)
        # Events until the guest powers off (QEMU closes the socket).
        events = []
        try:
            while True:
                events.append(m.wait_event((mgmt.EV_GUESTINFO, mgmt.EV_RPCI),
                                           timeout=TIMEOUT))
        except (ConnectionError, TimeoutError):
            pass
        vm.expect(r"\d+ passed, \d+ failed\n", 10)
        text = vm.text
    return text, events, anchored


def test_backdoor_guest_tests_pass(run):
    check_passed(None, run[0], BD_TESTS)


def test_uuid_from_bootargs(run):
    m = re.search(r"INFO bd_uuid: uuid ([0-9a-f]{32})", run[0])
    assert m, "no uuid line\n" + tail(run[0])
    assert m.group(1) == UUID.replace("-", "")


def test_host_time(run):
    """GETTIMEFULL_WITH_LAG returns host time: within a few seconds of
    the anchor (the guest reads it a few seconds into its run)."""
    m = re.search(r"INFO bd_time: host time (\d+) s (\d+) us, lag (\d+) us, "
                  r"interrupt lag (\d+) us", run[0])
    assert m, "no host time in the guest\n" + tail(run[0])
    t = int(m.group(1)) + int(m.group(2)) / 1e6
    anchored = run[2] / 1e9
    assert anchored <= t + 0.01 and t < anchored + TIMEOUT, (t, anchored)
    assert int(m.group(2)) < 1000000
    assert int(m.group(4)) == 0


def test_guestinfo_from_host(run):
    assert "INFO bd_guestinfo_host: host.key reply '1 host-value'" in run[0]


def test_info_set_events(run):
    """Each info-set of the guest reached the host as EV_GUESTINFO."""
    got = [b for t, b in run[1] if t == mgmt.EV_GUESTINFO]
    assert b"bd.lb\0low" in got, got
    assert b"bd.hb\0high" in got, got


def test_log_relayed(run):
    got = [b for t, b in run[1] if t == mgmt.EV_RPCI]
    assert b"log verge-guest: hello from the test guest" in got, got
