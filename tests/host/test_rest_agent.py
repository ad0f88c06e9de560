# SPDX-License-Identifier: Apache-2.0
"""The REST API over a VM whose guest agent reports, with the stand-in
for QEMU + verge-hv + agent (fake_qemu.py): /v1/vms/{name}/agent is
agent.show's report, the fleet shows the report's age and the agent's
detection verdict, and /metrics carries the report age and the exits the
stand-in hypervisor reports (STATS_GET)."""

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import rest_harness as rh
import verged_harness as vh

FAKE = Path(__file__).resolve().parent / "fake_qemu.py"


@pytest.fixture(scope="module")
def vd():
    v = rh.RestVerged(host="agent-host", qemu_extra="binary = %s\n" % FAKE,
                      isolation="off")
    (v.tmp / "hv.bin").write_bytes(b"hv")
    v.config.write_text(v.config.read_text().replace(
        str(vh.build_dir() / "verge-hv.bin"), str(v.tmp / "hv.bin")))
    try:
        v.start()
        v.call("partition.create", name="g")    # /v1/partitions/g
        v.define("g")
        v.call("vm.start", name="g")
        assert rh.wait_for(lambda: v.get("/v1/vms/g").json()["agent"]
                           ["seen"], timeout=15)
        yield v
    finally:
        v.cleanup()


def test_agent_report_over_rest(vd):
    # history is read from what verged committed: a guest's report once
    # its commit batch is written (docs/rest.md); how soon is host time,
    # not asserted
    r = rh.wait_for(lambda: (lambda r: r if r.status == 200 else None)(
        vd.get("/v1/vms/g/agent")), timeout=15, step=0.02)
    assert r, r
    assert r.headers["etag"]
    rep = r.json()
    rpc = vd.call("agent.show", name="g")
    assert rep["report"] == rpc["report"]
    assert rep["received_at"] == pytest.approx(rpc["received_at"], abs=1e-3)
    assert rep["reports"] == rpc["reports"] == 1
    assert 0 <= rep["age_s"] < 30


def test_fleet_shows_agent_age_and_verdict(vd):
    f = vd.get("/v1/fleet").json()["vms"][0]
    assert f["state"] == "running" and f["detect"] == "verge"
    assert 0 <= f["agent_age_s"] < 30 and f["uptime_s"] >= 0


def test_metrics_report_age_and_exits(vd):
    def families():
        text = vd.get("/metrics").body.decode()
        return {f.name: f for f in text_string_to_metric_families(text)}

    # the first scrape asks for the exits; a later one carries them
    fams = rh.wait_for(lambda: (lambda f: f if f["verge_vm_exits"].samples
                                else None)(families()), timeout=10, step=0.2)
    assert fams, "no exits sampled"
    exits = {s.labels["class"]: s.value
             for s in fams["verge_vm_exits"].samples}
    assert len(exits) == 10 and sum(exits.values()) > 0
    stats = vd.call("vm.stats", name="g")
    assert stats, stats
    age = [s.value for s in
           fams["verge_vm_agent_report_age_seconds"].samples]
    assert len(age) == 1 and 0 <= age[0] < 30


def test_every_route_needs_the_token_but_healthz_and_metrics(vd):
    """Issue 12: the router table walked (rh.routes() reads it from
    agentd/rest.c): without the token, with a wrong one or a prefix of
    it, every route but /healthz and /metrics is 401, GET and HEAD; with
    it, 200 (VM g is running and its agent has reported)."""
    public = set()
    for pattern, is_open in rh.routes():
        path = pattern.replace("{name}", "g")
        for method in ("GET", "HEAD"):
            bad = [vd.get(path, method=method, token=False),
                   vd.get(path, {"Authorization": "Bearer x" + vd.token},
                          method=method, token=False),
                   vd.get(path, {"Authorization": "Bearer " + vd.token[:-1]},
                          method=method, token=False),
                   vd.get(path, {"Authorization": "Basic " + vd.token},
                          method=method, token=False)]
            for r in bad:
                assert r.status == (200 if is_open else 401), (path, r)
            assert vd.get(path, method=method).status == 200, path
        if is_open:
            public.add(pattern)
    assert public == {"/healthz", "/metrics"}
