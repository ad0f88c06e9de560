# SPDX-License-Identifier: Apache-2.0
"""Held events (verge_proto.h "Held events"): the hypervisor's boot and
power events reach a host that attaches late, once each and in order.

One VM, attached to only once its guest is in userspace, long after the
hypervisor sent its boot events to nobody (QEMU discards them): the replay
brings every one; a second host that has not acknowledged them gets them
again; after an acknowledgement a third host gets none, and the events
that follow come live, once. A guest reboot restarts the hypervisor,
whose first event carries a new boot_id and seq 1 again.
"""

import pytest

import linuxvm as lv
import mgmt

BOOT_HV_UP, BOOT_GUEST_ENTERED = 1, 2
POWER_RESET, POWER_CPU_ON, POWER_CPU_OFF = 2, 3, 4
# The boot guard's stage events are held too (issue 19): (what = stage,
# stage) for power-on, os-loading and handed-off.
WDT_STAGE, WDT_POWER_ON, WDT_OS_LOADING, WDT_HANDED_OFF = 1, 1, 2, 3


def attach(sock):
    m = mgmt.Mgmt(sock).connect(wait=5)
    m.hello()
    return m


def no_more_held(m, seconds=2.0):
    """No held event within seconds (a replay sends all at once)."""
    with pytest.raises(TimeoutError):
        m.held(timeout=seconds)


@pytest.fixture
def late(start_vm, tmp_path):
    """(VM at its prompt, socket path): nobody attached during the boot."""
    if lv.BARE:
        pytest.skip("needs verge-hv and its management channel")
    sock = mgmt.sock_path(tmp_path)
    vm = start_vm(no_reboot=False, extra_args=mgmt.qemu_args(sock))
    lv.boot(vm)
    return vm, sock


def test_late_attach_gets_every_boot_event_once(late):
    vm, sock = late
    with attach(sock) as m:
        st = m.events_ack(replay=True)
        boot = st["boot_id"]
        assert boot != 0 and st["lost"] == 0
        assert (st["first_seq"], st["next_seq"]) == (1, 7), st
        story = [m.held() for _ in range(6)]
        assert story == [
            (mgmt.EV_BOOT, 1, BOOT_HV_UP, 0, boot),
            (mgmt.EV_WATCHDOG, 2, WDT_STAGE, WDT_POWER_ON, boot),
            (mgmt.EV_WATCHDOG, 3, WDT_STAGE, WDT_OS_LOADING, boot),
            (mgmt.EV_WATCHDOG, 4, WDT_STAGE, WDT_HANDED_OFF, boot),
            (mgmt.EV_BOOT, 5, BOOT_GUEST_ENTERED, 0, boot),
            (mgmt.EV_POWER, 6, POWER_CPU_ON, 1, boot),
        ], story
        no_more_held(m)

    # A host that restarted before acknowledging: the same events again.
    with attach(sock) as m:
        assert m.events_ack(replay=True)["first_seq"] == 1
        assert [m.held()[1] for _ in range(6)] == [1, 2, 3, 4, 5, 6]
        no_more_held(m, 1.0)
        # recorded: the hypervisor may forget them
        st = m.events_ack(boot, 6, replay=False)
        assert (st["first_seq"], st["next_seq"]) == (7, 7), st

    # A host that restarts after acknowledging: nothing again ...
    with attach(sock) as m:
        st = m.events_ack(boot, 6, replay=True)
        assert (st["boot_id"], st["first_seq"], st["next_seq"]) == \
            (boot, 7, 7), st
        no_more_held(m, 1.0)
        # bad requests get precise errors and change nothing
        with pytest.raises(mgmt.MgmtError) as e:
            m.call(mgmt.EVENTS_ACK_T, mgmt.EVENTS_ACK.pack(boot, 6, 2))
        assert e.value.code == 4        # out of range: unknown flags
        with pytest.raises(mgmt.MgmtError) as e:
            m.call(mgmt.EVENTS_ACK_T, b"\0" * 8)
        assert e.value.code == 3        # bad length
        # ... and what happens next comes live, once
        vm.check("echo 0 > /sys/devices/system/cpu/cpu1/online")
        assert m.held() == (mgmt.EV_POWER, 7, POWER_CPU_OFF, 1, boot)
        vm.check("echo 1 > /sys/devices/system/cpu/cpu1/online")
        assert m.held() == (mgmt.EV_POWER, 8, POWER_CPU_ON, 1, boot)
        no_more_held(m, 1.0)
        m.events_ack(boot, 8, replay=False)

        # A guest reboot restarts the hypervisor: the reset is the old
        # boot's last event; the new start counts from 1 with a new id.
        vm.send("reboot -f\n")
        assert m.held(timeout=30) == (mgmt.EV_POWER, 9, POWER_RESET, 0,
                                      boot)
        t, seq, stage, cpu, boot2 = m.held(timeout=60)
        assert (t, seq, stage, cpu) == (mgmt.EV_BOOT, 1, BOOT_HV_UP, 0)
        assert boot2 not in (0, boot)
        lv.boot(vm)
        # an acknowledgement naming the old boot forgets nothing
        st = m.events_ack(boot, 8, replay=False)
        assert (st["boot_id"], st["first_seq"]) == (boot2, 1), st
