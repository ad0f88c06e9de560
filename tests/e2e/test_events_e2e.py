# SPDX-License-Identifier: Apache-2.0
"""verged records the hypervisor's boot events once each, however late
it attaches (verge_proto.h "Held events").

verged is stopped (SIGSTOP) right after it starts the VM, before its
first reconnect attempt (200 ms) can reach QEMU's new socket, and stays
stopped until the guest is in userspace: the hypervisor's boot events
were sent to nobody and QEMU discarded them. Resumed, verged asks for
them and records vm.boot once. Killed (-9) and restarted, it re-attaches
and records nothing twice. A guest reboot restarts the hypervisor: a
second vm.boot, once.
"""

import os
import signal
import time

import pytest

import verged_harness as vh

BOOT_TIMEOUT = 120
NAME = "late"


def events(v):
    return [(e["type"], e["detail"]) for e in
            v.call("events.list", vm=NAME, limit=1000)]


def boots(v):
    return [d for t, d in events(v) if t == "vm.boot"]


@pytest.fixture(scope="module")
def v():
    vh.guest_files()
    with vh.running(vh.Verged()) as v:
        vh.define_vm(v, NAME, cpus=2)
        yield v


def test_late_attach_records_boot_once(v):
    v.call("vm.start", name=NAME)
    os.kill(v.pid, signal.SIGSTOP)
    try:
        vh.wait_for("userspace (verged stopped)", lambda: "verge-init: "
                    "userspace up" in vh.console_log(v, NAME), BOOT_TIMEOUT)
    finally:
        os.kill(v.pid, signal.SIGCONT)
    vh.wait_for("the management channel",
                lambda: vh.live_clock(v, NAME), 30)
    vh.wait_for("vm.boot", lambda: boots(v), 10)
    time.sleep(1)       # time for a duplicate to show, if there were one
    assert boots(v) == [{"cpu": 0}], events(v)
    types = [t for t, _ in events(v)]
    assert types[:3] == ["vm.define", "vm.start", "vm.boot"], types
    assert "vm.events_lost" not in types


def test_restarted_verged_records_nothing_twice(v):
    v.kill9()
    v.start()
    vh.wait_for("re-attached channel",
                lambda: vh.live_clock(v, NAME), 30)
    time.sleep(2)
    types = [t for t, _ in events(v)]
    assert types.count("vm.boot") == 1, types
    assert types[-1] == "daemon.attach", types


def test_guest_reboot_is_a_second_boot(v):
    with vh.Console(v, NAME) as con:
        con.send(b"\nreboot -f\n")
        vh.wait_for("the second vm.boot", lambda: con.drain() and
                    len(boots(v)) == 2, BOOT_TIMEOUT)
    vh.wait_for("userspace again", lambda: vh.console_log(v, NAME).count(
        "verge-init: userspace up") == 2, BOOT_TIMEOUT)
    types = [t for t, _ in events(v)]
    assert types.count("vm.boot") == 2, types
    assert "vm.reset" in types, types
    assert "vm.events_lost" not in types
