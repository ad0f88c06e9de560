# SPDX-License-Identifier: Apache-2.0
"""vm.list answers from a serialized copy of the VM list that verged keeps
between changes (agentd/methods.c, list_current), with the REST server on
and off (its snapshots follow the same changes). Every change must be in
the very next vm.list: a definition, a clock rate, a start, the guest
agent's report, the core its hypervisor reported, a kill, an undefine,
and a change made earlier in the same batch. Each list entry is compared
with vm.show (serialized per call, never kept) taken just before it,
ages aside: uptime_s and agent.age_s in the list may be up to a second
old (VERGED_LIST_AGE_S), never newer than vm.show's that follows.

The guest side is tests/host/fake_qemu.py (QMP, the management channel
and an agent that reports once at connect), as in test_verged_agent.py.
"""

import time

import pytest

import rest_harness as rh
import verged_harness as vh

@pytest.fixture(scope="module", params=["rest", "off"])
def vd(request):
    rest = "listen = 127.0.0.1:%d" % rh.free_port() \
        if request.param == "rest" else "listen = off"
    v = vh.fake_qemu_verged("[rest]\n%s\n" % rest)
    with vh.running(v):
        assert ("rest: listening" in v.log_text()) == (request.param ==
                                                       "rest")
        yield v


def without_ages(vm):
    vm = dict(vm, uptime_s=None, agent=dict(vm["agent"]))
    vm["agent"].pop("age_s", None)
    return vm


def listed(c, name):
    return {v["name"]: v for v in c.call("vm.list")}.get(name)


def check_fresh(c, name):
    """The next vm.list shows name as vm.show did just before it."""
    shown = c.call("vm.show", name=name)
    entry = listed(c, name)
    assert entry is not None, name
    assert without_ages(entry) == without_ages(shown)
    after = c.call("vm.show", name=name)
    if shown["uptime_s"] is not None:
        assert entry["uptime_s"] <= after["uptime_s"]
    return entry


def test_every_change_is_in_the_next_list(vd):
    kernel = str(vd.tmp / "Image")
    with vd.client() as c:
        assert c.call("vm.list") == []
        c.call("vm.define", name="a", kernel=kernel)
        assert [v["name"] for v in c.call("vm.list")] == ["a"]
        c.call("vm.define", name="b", kernel=kernel, rate="1/2")
        assert check_fresh(c, "b")["clock"]["rate"] == "1/2"
        assert [v["name"] for v in c.call("vm.list")] == ["a", "b"]

        c.call("vm.start", name="a")
        assert check_fresh(c, "a")["state"] in ("starting", "running")
        # the agent's report comes in over the management channel: the
        # list must not lag behind vm.show
        vh.wait_for("a's agent", lambda: c.call("vm.show", name="a")
                    ["agent"]["seen"], 15)
        entry = listed(c, "a")
        assert entry["agent"]["seen"] and entry["agent"]["hostname"] == \
            "fake-guest"
        assert entry["core"] is not None    # from the HELLO reply
        vh.wait_for("a running", lambda: c.call("vm.show", name="a")
                    ["state"] == "running", 15)
        assert listed(c, "a")["state"] == "running"
        c.call("clock.set_rate", name="a", rate="2/3")
        assert check_fresh(c, "a")["clock"]["rate"] == "2/3"

        killed = c.call("vm.kill", name="a")
        assert listed(c, "a")["state"] == killed["state"] == "stopped"
        assert listed(c, "a")["pid"] is None
        c.call("vm.undefine", name="b")
        assert [v["name"] for v in c.call("vm.list")] == ["a"]


def test_a_batch_lists_what_it_changed(vd):
    kernel = str(vd.tmp / "Image")
    with vd.client() as c:
        c.send_raw(b'[{"jsonrpc":"2.0","id":1,"method":"vm.list"},'
                   b'{"jsonrpc":"2.0","id":2,"method":"vm.define",'
                   b'"params":{"name":"c","kernel":"%s"}},'
                   b'{"jsonrpc":"2.0","id":3,"method":"vm.list"}]\n'
                   % kernel.encode())
        replies = {r["id"]: r for r in c.read_json()}
        before = [v["name"] for v in replies[1]["result"]]
        after = [v["name"] for v in replies[3]["result"]]
        assert "c" not in before and "c" in after
        c.call("vm.undefine", name="c")


def test_uptime_moves_on(vd):
    """A running VM's uptime in the list is serialized again once it is a
    second old (VERGED_LIST_AGE_S), not kept since the last change."""
    with vd.client() as c:
        c.call("vm.start", name="a")
        first = vh.wait_for("a's uptime", lambda: listed(c, "a")
                            ["uptime_s"], 15)
        time.sleep(1.5)
        later = vh.wait_for("a newer uptime", lambda: (
            lambda u: u if u > first else None)(listed(c, "a")["uptime_s"]),
            15)
        assert later > first
        c.call("vm.kill", name="a")
