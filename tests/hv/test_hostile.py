# SPDX-License-Identifier: Apache-2.0
"""The hostile-kernel suite of the test guest (tests/guest/tests_hostile.c,
selected by "guest.tests=hostile" in its bootargs) under verge-hv, once,
on cortex-a57: at least 1,000,000 random SMC and HVC calls whose answers
the guest checks, a canary at every CPU_ON entry point that must never run
at EL2, random reads and writes of every system register verge-hv traps,
and 50,000 random accesses (sizes, alignment, forms) across the whole GICD
and GICR windows. Afterwards the hypervisor still answers PING on its
management channel, the guest still runs, and it powers the VM off (QEMU
exits 0).
"""

import re
import tempfile

import pytest

import linuxvm
import mgmt
from conftest import GUEST_ADDR
from test_clock import check_passed
from test_guest import guest_table, tail

# The suite takes about 20 s alone under TCG; the limit allows for a host
# shared with other QEMUs.
TIMEOUT = 900
MIN_CALLS = 1000000
NAMES = [n for n, _ in guest_table("hostile_tests")]
CALLS = re.compile(r"INFO hostile_calls: (\d+) calls: (\d+) SMC, (\d+) HVC; "
                   r"(\d+) CPU_ON started the canary, which ran (\d+) times")


@pytest.fixture(autouse=True)
def needs_hv(bare):
    if bare:
        pytest.skip("needs verge-hv")


def test_hostile(qemu_cmd):
    sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-hostile-"))
    cmd = qemu_cmd(append="verge.kernel=%s -- guest.tests=hostile" % GUEST_ADDR,
                   extra_args=mgmt.qemu_args(sock))
    vm = linuxvm.VM(cmd, TIMEOUT + 120)
    with vm, mgmt.Mgmt(sock).connect() as m:
        m.hello()
        # hostile_doorbell: one TCLO command rings the guest's doorbell
        vm.expect(r"DOORBELL READY\n", TIMEOUT)
        m.tclo_push("verge.ping 4711")
        _, answer = m.wait_event(mgmt.EV_TCLO_REPLY, timeout=180)
        assert answer == b"OK 4711 doorbell", answer
        vm.expect(r"HOSTILE DONE\n", TIMEOUT)
        m.ping(b"after the hostile suite")
        vm.skip()
        vm.expect(r"ALIVE \d+\n", 30)     # the guest runs after the PING
        vm.expect(r"\d+ passed, \d+ failed\n", 60)
        rc = vm.wait_exit(30)
        text = vm.text
    check_passed(rc, text, NAMES)
    assert rc == 0, "QEMU exit status %s\n%s" % (rc, tail(text))
    calls = CALLS.search(text)
    assert calls, "no call count\n" + tail(text)
    total, smc, hvc, started, ran = map(int, calls.groups())
    print("hostile suite: %d calls (%d SMC, %d HVC), %d CPU_ON, canary ran %d"
          % (total, smc, hvc, started, ran))
    assert total >= MIN_CALLS
    assert smc > 0 and hvc > 0 and ran == started
    summary = re.search(r"(?m)^(\d+) passed, 0 failed$", text)
    assert summary and int(summary.group(1)) == len(NAMES), tail(text)
