# SPDX-License-Identifier: Apache-2.0
"""The REST API with a real Linux guest under verge-hv (one VM for the
module): the fleet shows it running with an uptime that advances while
nothing else changes, a live rate change shows at once, and /metrics
carries the hypervisor's exits by class for it, parsed by
python3-prometheus-client."""

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

import rest_harness as rh
import verged_harness as vh

BOOT_TIMEOUT = 120


@pytest.fixture(scope="module")
def vd():
    vh.guest_files()
    with vh.running(rh.RestVerged(host="e2e")) as v:
        vh.define_vm(v, "rest-1")
        v.call("vm.start", name="rest-1")
        vh.wait_for("rest-1 running in the fleet",
                    lambda: fleet_vm(v)["state"] == "running",
                    BOOT_TIMEOUT, step=0.5)
        yield v


def fleet_vm(v):
    return v.get("/v1/fleet").json()["vms"][0]


def test_running_vm_with_an_advancing_uptime(vd):
    first = fleet_vm(vd)
    assert first["host"] == "e2e" and first["uptime_s"] > 0
    time.sleep(2.5)
    # nothing changed in verged: the uptime still moves (the snapshot is
    # republished each second; the wait is a wait, not a limit)
    later = rh.wait_for(
        lambda: (lambda f: f if f["uptime_s"] >= first["uptime_s"] + 1.5
                 else None)(fleet_vm(vd)), timeout=30)
    assert later, "uptime did not advance"
    vm = vd.get("/v1/vms/rest-1").json()
    assert vm["pid"] > 0 and vm["state"] == "running"


def test_live_rate_change_shows_at_once(vd):
    assert rh.wait_for(lambda: vd.call("clock.show", name="rest-1")
                       .get("live"), timeout=60, step=0.5)
    vd.call("clock.set_rate", name="rest-1", rate="1/2")
    clock = vd.get("/v1/vms/rest-1/clock").json()
    assert clock["rate"] == "1/2" and clock["rate_value"] == 0.5
    assert fleet_vm(vd)["clock"]["rate"] == "1/2"
    vd.call("clock.set_rate", name="rest-1", rate="1")


def exits(vd):
    text = vd.get("/metrics").body.decode()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    return {s.labels["class"]: s.value for s in fams["verge_vm_exits"].samples
            if s.labels["vm"] == "rest-1"}, fams


def test_metrics_carry_exits_by_class(vd):
    # the first scrape asks the loop to sample; a later one carries it
    got = rh.wait_for(lambda: exits(vd)[0], timeout=10, step=0.3)
    assert got, "no exit statistics for rest-1"
    assert set(got) >= {"irq", "sysreg", "hvc", "other"}
    assert sum(got.values()) > 0
    _, fams = exits(vd)
    up = [s for s in fams["verge_vm_uptime_seconds"].samples
          if s.labels["vm"] == "rest-1"]
    assert up and up[0].value > 0
    st = {s.labels["state"]: s.value for s in fams["verge_vms"].samples}
    assert st["running"] == 1
