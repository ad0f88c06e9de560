# SPDX-License-Identifier: Apache-2.0
"""verged's REST API on one host (docs/rest.md): every endpoint and its
fields, ETags and 304, errors as HTTP says, the bearer token, event
paging, changes visible before the JSON-RPC reply, Prometheus output
through an independent parser, and docs/openapi.yaml against the server.
VMs are defined only; running ones are covered by the e2e tier."""

import re
import socket
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

import rest_harness as rh
import verged_harness as vh

REPO = Path(__file__).resolve().parents[2]
VMS = ("db-1", "web-1", "web-2")
PART = "tenant-a"


@pytest.fixture(scope="module")
def vd():
    v = rh.RestVerged(host="alpha")
    try:
        v.start()
        v.define(*VMS)
        with v.client() as c:
            c.call("clock.set_rate", name="web-2", rate="1/2")
            c.call("partition.create", name=PART, pids_max=100,
                   cpu_quota=50)
        yield v
    finally:
        v.cleanup()


@pytest.fixture
def tokened():
    v = rh.RestVerged(host="beta", token="s3cret-Token_1")
    try:
        v.start()
        v.define("vm-a")
        yield v
    finally:
        v.cleanup()


def test_fleet_lists_the_vms_with_their_fields(vd):
    r = vd.get("/v1/fleet")
    assert r.status == 200
    assert r.headers["content-type"] == "application/json"
    f = r.json()
    assert f["host"] == "alpha"
    assert [h["name"] for h in f["hosts"]] == ["alpha"]
    assert f["hosts"][0]["self"] and f["hosts"][0]["vms"] == 3
    assert [v["name"] for v in f["vms"]] == list(VMS)
    web2 = f["vms"][2]
    assert web2["host"] == "alpha" and web2["state"] == "defined"
    assert web2["clock"] == {"rate": "1/2", "rate_value": 0.5,
                             "freq_hz": 0}
    assert web2["uptime_s"] is None and web2["agent_age_s"] is None
    assert web2["boots"] == 0


def test_vms_and_one_vm_match_json_rpc(vd):
    rpc = vd.call("vm.show", name="web-1")
    r = vd.get("/v1/vms/web-1")
    assert r.status == 200
    assert r.json()["uuid"] == rpc["uuid"]
    assert r.json()["kernel"] == rpc["kernel"]
    lst = vd.get("/v1/vms").json()
    assert [v["name"] for v in lst["vms"]] == list(VMS)
    assert lst["vms"][1] == r.json()
    clock = vd.get("/v1/vms/web-2/clock").json()
    assert clock["rate"] == "1/2" and clock["live"] is False


def test_hosts_and_healthz(vd):
    h = vd.get("/v1/hosts").json()
    assert h["hosts"][0]["name"] == "alpha" and h["hosts"][0]["reachable"]
    z = vd.get("/healthz")
    assert z.status == 200 and z.json()["status"] == "ok"


def test_etag_and_if_none_match(vd):
    for path in ("/v1/fleet", "/v1/vms", "/v1/vms/db-1", "/v1/events"):
        r = vd.get(path)
        etag = r.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
        again = vd.get(path, {"If-None-Match": etag})
        assert again.status == 304 and again.body == b""
        assert again.headers["etag"] == etag
        weak = vd.get(path, {"If-None-Match": '"x", W/' + etag})
        assert weak.status == 304
        other = vd.get(path, {"If-None-Match": '"0000000000000000"'})
        assert other.status == 200 and other.body == r.body


def test_a_change_gets_a_new_etag_before_the_rpc_reply(vd):
    before = vd.get("/v1/vms")
    with vd.client() as c:
        c.call("vm.define", name="late-1", kernel=vd.kernel())
        # no sleep: the reply left after the snapshot was published
        r = vd.get("/v1/vms/late-1")
        assert r.status == 200
        after = vd.get("/v1/vms", {"If-None-Match": before.headers["etag"]})
        assert after.status == 200
        assert "late-1" in [v["name"] for v in after.json()["vms"]]
        c.call("vm.undefine", name="late-1")
        assert vd.get("/v1/vms/late-1").status == 404


def error_of(r, status):
    assert r.status == status, r
    e = r.json()["error"]
    assert e["status"] == status and e["message"]
    return e


def test_unknown_paths_are_404(vd):
    for path in ("/", "/v1", "/v1/vms/", "/v1/vms/nope", "/v2/fleet",
                 "/v1/vms/web-1/clock/x", "/v1/vms/nope/clock"):
        e = error_of(vd.get(path), 404)
        assert e["code"] == "not_found"


def test_other_methods_are_405_with_allow(vd):
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"):
        r = vd.get("/v1/vms", method=method)
        e = error_of(r, 405)
        assert e["code"] == "method_not_allowed"
        assert r.headers["allow"] == "GET, HEAD"
    head = vd.get("/v1/fleet", method="HEAD")
    assert head.status == 200 and head.body == b""


@pytest.mark.parametrize("query", [
    "/v1/events?limit=0", "/v1/events?limit=1001", "/v1/events?limit=x",
    "/v1/events?since=-1", "/v1/events?since=1&since=2",
    "/v1/events?vm=..", "/v1/events?bogus=1", "/v1/vms?x=1",
    "/v1/fleet?scope=everything",
])
def test_bad_query_parameters_are_400(vd, query):
    assert error_of(vd.get(query), 400)["code"] == "bad_request"


def test_events_page_with_a_next_link(vd):
    seen = []
    path = "/v1/events?limit=2"
    for _ in range(20):
        page = vd.get(path).json()
        seen += page["events"]
        assert len(page["events"]) <= 2
        path = page["next"]
        if not page["more"]:
            break
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    rpc = vd.call("events.list", limit=1000)
    assert ids == [e["id"] for e in rpc]
    assert vd.get(path).json()["events"] == []
    mine = vd.get("/v1/events?vm=web-2").json()["events"]
    assert [e["type"] for e in mine] == ["vm.define", "clock.rate"]


def test_agent_without_a_report_is_404(vd):
    e = error_of(vd.get("/v1/vms/web-1/agent"), 404)
    assert "no guest agent" in e["message"]


def test_token_guards_all_but_healthz_and_metrics(tokened):
    for path in ("/v1/fleet", "/v1/vms", "/v1/hosts", "/v1/events"):
        r = tokened.get(path, token=False)
        assert error_of(r, 401)["code"] == "unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert tokened.get(path, {"Authorization": "Bearer wrong"},
                           token=False).status == 401
        assert tokened.get(path, {"Authorization": "Bearer s3cret-Token"},
                           token=False).status == 401
        assert tokened.get(path, {"Authorization": "Bearer s3cret-Token_12"},
                           token=False).status == 401
        assert tokened.get(path, {"Authorization": "s3cret-Token_1"},
                           token=False).status == 401
        assert tokened.get(path).status == 200
    assert tokened.get("/healthz", token=False).status == 200
    assert tokened.get("/metrics", token=False).status == 200


def test_default_verged_needs_the_token_it_created():
    """Issue 12: with no [rest] token_file, verged creates
    STATE_DIR/rest.token (0640) and every non-public path needs it, on
    loopback too: a local user outside the verge group reads nothing."""
    v = rh.RestVerged(host="dflt", token=None)
    try:
        v.start()
        v.define("vm-a")
        r = v.get("/v1/vms", token=False)
        assert r.status == 401, r
        assert error_of(r, 401)["code"] == "unauthorized"
        assert v.get("/v1/vms/vm-a", token=False).status == 401
        tf = v.state / "rest.token"
        assert tf.stat().st_mode & 0o777 == 0o640
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", v.token)
        assert v.get("/v1/vms").status == 200
        assert v.get("/healthz", token=False).status == 200
        # the same token after a restart: the file is kept
        before = v.token
        v.stop()
        v.start()
        assert v.token == before and v.get("/v1/vms").status == 200
    finally:
        v.cleanup()


@pytest.mark.parametrize("mode", [0o644, 0o660, 0o604])
def test_a_token_file_others_may_read_is_refused(mode):
    v = rh.RestVerged(host="loose", token="loose-Token")
    (v.tmp / "token").chmod(mode)
    try:
        with pytest.raises(RuntimeError) as e:
            v.start(wait=10)
        assert "must not be writable by the group nor readable by" \
            in str(e.value)
    finally:
        v.cleanup()


def test_metrics_parse_with_prometheus_client(vd):
    vd.get("/v1/vms/nope")
    text = vd.get("/metrics").body.decode()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    states = {s.labels["state"]: s.value for s in fams["verge_vms"].samples}
    assert states["defined"] == 3 and states["running"] == 0
    rates = {s.labels["vm"]: s.value
             for s in fams["verge_vm_clock_rate"].samples}
    assert rates == {"db-1": 1.0, "web-1": 1.0, "web-2": 0.5}
    assert fams["verge_vm_boots"].type == "counter"
    reqs = {(s.labels["endpoint"], s.labels["code"]): s.value
            for s in fams["verge_http_requests"].samples}
    assert reqs[("/v1/vms/{name}", "404")] >= 1
    assert reqs[("/metrics", "200")] >= 1
    for name in ("verge_vm_uptime_seconds", "verge_vm_exits",
                 "verge_vm_agent_report_age_seconds",
                 "verge_vm_clock_frequency_hz", "verge_snapshot_generation"):
        assert name in fams, name
    fams = {f.name: f for f in text_string_to_metric_families(
        vd.get("/metrics").body.decode())}
    again = {(s.labels["endpoint"], s.labels["code"]): s.value
             for s in fams["verge_http_requests"].samples}
    assert again[("/metrics", "200")] == reqs[("/metrics", "200")] + 1


def test_rest_off_and_an_explicit_busy_port():
    v = vh.Verged()
    try:
        v.start(["--rest", "off"])
        assert v.call("daemon.version")["api"] == 1
        assert "rest: listening" not in v.log_text()
    finally:
        v.cleanup()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        v = vh.Verged()
        try:
            with pytest.raises(RuntimeError, match="cannot listen"):
                v.start(["--rest", "127.0.0.1:%d" % busy.getsockname()[1]])
        finally:
            v.cleanup()
    v = vh.Verged()
    try:
        with pytest.raises(RuntimeError, match="expected ADDR:PORT"):
            v.start(["--rest", "localhost"])
    finally:
        v.cleanup()


# --- docs/openapi.yaml against the server ------------------------------------------


def openapi():
    return yaml.safe_load((REPO / "docs" / "openapi.yaml").read_text())


def deref(doc, node):
    if isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return deref(doc, target)
    return node


SERVER_PATHS = {"/healthz", "/metrics", "/v1/fleet", "/v1/hosts",
                "/v1/vms", "/v1/vms/{name}", "/v1/vms/{name}/clock",
                "/v1/vms/{name}/agent", "/v1/events", "/v1/partitions",
                "/v1/partitions/{name}", "/v1/sd"}


def concrete(path):
    return path.replace("{name}", PART if path.startswith(
        "/v1/partitions") else "web-2")


def test_openapi_document_and_server_agree(vd):
    doc = openapi()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == SERVER_PATHS
    for path, item in doc["paths"].items():
        assert set(item) - {"parameters"} == {"get"}, path
        op = item["get"]
        codes = set(op["responses"])
        r = vd.get(concrete(path))
        if path.endswith("/agent"):
            assert r.status == 404 and "404" in codes
            continue
        assert str(r.status) in codes and r.status == 200, path
        resp = deref(doc, op["responses"]["200"])
        (ctype, media), = resp["content"].items()
        assert r.headers["content-type"].startswith(ctype), path
        schema = deref(doc, media["schema"])
        if schema.get("type") == "object":
            body = r.json()
            assert set(schema["required"]) <= set(body), path
            assert set(body) <= set(schema["properties"]), path
        if "304" in codes:
            # The snapshot is republished each second (ages, uptimes): a
            # 200 is right only with a new ETag; the next try gets a 304.
            etag = r.headers["etag"]
            for _ in range(5):
                again = vd.get(concrete(path), {"If-None-Match": etag})
                if again.status == 304:
                    break
                assert again.status == 200 and \
                    again.headers["etag"] != etag, path
                etag = again.headers["etag"]
            else:
                pytest.fail("%s: no 304 for its own ETag in 5 tries" % path)
        if "404" in codes:
            nf = vd.get(path.replace("{name}", "nope"))
            assert nf.status == 404
            err = deref(doc, deref(doc, op["responses"]["404"])["content"][
                "application/json"]["schema"])
            assert set(err["required"]) == set(nf.json())
        if "400" in codes:
            assert vd.get(concrete(path) + "?bogus=1").status == 400
        params = {p["name"] for p in
                  (deref(doc, p) for p in op.get("parameters", []))}
        for p in params:
            bad = vd.get("%s?%s=%s" % (concrete(path), p, "%00bad"))
            assert bad.status == 400, (path, p)
        assert vd.get(concrete(path), method="POST").status == 405


def test_openapi_item_schemas_match_the_bodies(vd):
    doc = openapi()
    schemas = doc["components"]["schemas"]
    fleet = vd.get("/v1/fleet").json()
    for key, name in (("hosts", "Host"), ("vms", "FleetVm")):
        for item in fleet[key]:
            assert set(schemas[name]["required"]) == set(item), name
    for v in vd.get("/v1/vms").json()["vms"]:
        assert set(schemas["Vm"]["required"]) == set(v)
    for e in vd.get("/v1/events").json()["events"]:
        assert set(schemas["Event"]["required"]) == set(e)
    for p in vd.get("/v1/partitions").json()["partitions"]:
        assert set(schemas["Partition"]["required"]) == set(p)


def test_a_change_to_one_vm_leaves_the_others_etags(vd):
    before = {n: vd.get("/v1/vms/" + n).headers["etag"] for n in VMS}
    clock = vd.get("/v1/vms/db-1/clock").headers["etag"]
    with vd.client() as c:
        c.call("clock.set_rate", name="db-1", rate="3/4")
    after = {n: vd.get("/v1/vms/" + n).headers["etag"] for n in VMS}
    assert after["db-1"] != before["db-1"]
    assert after["web-1"] == before["web-1"]
    assert after["web-2"] == before["web-2"]
    r = vd.get("/v1/vms/db-1/clock", {"If-None-Match": clock})
    assert r.status == 200 and r.json()["rate"] == "3/4"
    with vd.client() as c:
        c.call("clock.set_rate", name="db-1", rate="1")
    assert vd.get("/v1/vms/db-1").headers["etag"] == before["db-1"]


def test_no_thread_wakes_up_when_idle():
    """TARGETS.md: 0 wake-ups per second with no VM running, REST and
    peer threads included, after they have served requests."""
    v = rh.RestVerged(peers=("http://127.0.0.1:%d" % rh.free_port(),))

    def switches():
        n = 0
        for f in Path("/proc/%d/task" % v.pid).glob("*/status"):
            for line in f.read_text().splitlines():
                if "ctxt_switches" in line:
                    n += int(line.split()[1])
        return n

    try:
        v.start()
        v.define("idle-1")
        for path in ("/v1/fleet", "/metrics", "/v1/events", "/v1/hosts"):
            assert v.get(path).status == 200
        time.sleep(1.5)     # what the requests set off settles
        before = switches()
        time.sleep(3)
        assert switches() - before == 0
    finally:
        v.cleanup()


def test_rest_answers_while_the_loop_is_blocked(vd):
    """Another process holds SQLite's write lock: verged's loop blocks in
    its busy handler on the next write, and the JSON-RPC socket with it;
    the REST threads keep answering from the snapshot and their
    read-only connections (WAL readers do not wait for writers)."""
    import sqlite3
    import threading

    db = sqlite3.connect(str(vd.state / "verged.db"), timeout=5,
                         isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    done = {}

    def define():
        t0 = time.monotonic()
        try:
            vd.call("vm.define", name="blocked-1", kernel=vd.kernel())
        except vh.RpcError as e:
            done["error"] = e
        done["took"] = time.monotonic() - t0
        done["at"] = time.monotonic()

    t = threading.Thread(target=define)
    t.start()
    try:
        time.sleep(0.3)             # the loop is now in the busy handler
        assert "took" not in done
        # every answer comes while the loop is blocked (an order, not a
        # host-time limit): a REST thread that waited on the loop would
        # wait for the ROLLBACK below, that is for ever
        for path in ("/v1/fleet", "/v1/vms/db-1", "/v1/events?limit=5",
                     "/metrics", "/healthz") * 3:
            assert vd.get(path, timeout=30).status == 200, path
        assert "took" not in done   # the loop was blocked all along
    finally:
        released = time.monotonic()
        db.execute("ROLLBACK")
        db.close()
        t.join(10)
    # the JSON-RPC call could only finish once the lock was released
    assert done["at"] >= released, done
    if "error" not in done:
        vd.call("vm.undefine", name="blocked-1")


def test_ipv6_loopback_listen():
    import http.client
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
            port = s.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback here")
    v = vh.Verged()
    try:
        v.start(["--rest", "[::1]:%d" % port])
        c = http.client.HTTPConnection("::1", port, timeout=5)
        c.request("GET", "/healthz")
        r = c.getresponse()
        assert r.status == 200 and b'"ok"' in r.read()
        c.close()
        assert "rest: listening on http://[::1]:%d/" % port in v.log_text()
    finally:
        v.cleanup()


def test_openapi_documents_every_route():
    assert {p for p, _ in rh.routes()} == set(openapi()["paths"])


def test_openapi_security_matches_the_token_check(tokened):
    doc = openapi()
    assert doc["security"] == [{"bearer": []}]
    for path, item in doc["paths"].items():
        op = item["get"]
        r = tokened.get(path.replace("{name}", "vm-a"), token=False)
        if op.get("security") == []:
            assert r.status == 200, path
            assert "401" not in op["responses"], path
        else:
            assert r.status == 401 and "401" in op["responses"], path


def test_metrics_token_closes_metrics_too():
    v = rh.RestVerged(host="closed", rest_extra="metrics_token = true\n")
    try:
        v.start()
        assert error_of(v.get("/metrics", token=False), 401)
        assert v.get("/metrics").status == 200
        assert v.get("/healthz", token=False).status == 200
    finally:
        v.cleanup()


# --- partitions (issue 13) ---------------------------------------------------


def metric(text, name, **labels):
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return None


def test_partitions_over_rest_and_in_metrics(vd):
    """/v1/partitions and /v1/partitions/{name} answer what
    partition.list and partition.show do, from the snapshot: a VM defined
    in a partition is listed there before vm.define replies; /metrics has
    every partition's limits, VM count and its group's usage."""
    lst = vd.get("/v1/partitions")
    assert lst.status == 200
    body = lst.json()
    assert body["host"] == "alpha"
    assert [p["name"] for p in body["partitions"]] == [PART]
    rpc = vd.call("partition.show", name=PART)
    one = vd.get("/v1/partitions/" + PART)
    assert one.status == 200 and one.json() == body["partitions"][0]
    assert one.json()["limits"] == rpc["limits"] == {
        "cpu_quota_pct": 50, "cpu_weight": 0, "memory_max": 0,
        "pids_max": 100}
    assert one.json()["vms"] == [] and one.json()["usage"]["pids"] == 0
    assert vd.get("/v1/partitions/" + PART, {
        "If-None-Match": one.headers["etag"]}).status == 304
    e = error_of(vd.get("/v1/partitions/nope"), 404)
    assert "no partition named 'nope'" in e["message"]
    vd.define("part-1", partition=PART)
    try:
        r = vd.get("/v1/partitions/" + PART, {
            "If-None-Match": one.headers["etag"]})
        assert r.status == 200 and r.json()["vms"] == ["part-1"]
        text = vd.get("/metrics").body.decode()
        lim = {res: metric(text, "verge_partition_limit", partition=PART,
                           resource=res)
               for res in ("cpu_quota_pct", "cpu_weight",
                           "memory_max_bytes", "pids_max")}
        assert lim == {"cpu_quota_pct": 50, "cpu_weight": 0,
                       "memory_max_bytes": 0, "pids_max": 100}, lim
        assert metric(text, "verge_partition_vms", partition=PART) == 1
        assert metric(text, "verge_partition_pids", partition=PART) == 0
        assert metric(text, "verge_partition_cpu_usage_seconds_total",
                      partition=PART) is not None
        assert metric(text, "verge_isolation") == 1
    finally:
        vd.call("vm.undefine", name="part-1")


def test_isolation_off_in_metrics_and_partitions_without_usage():
    v = rh.RestVerged(host="free", isolation="off")
    try:
        v.start()
        assert metric(v.get("/metrics").body.decode(),
                      "verge_isolation") == 0
        v.call("partition.create", name="t", memory_max=1 << 30)
        p = v.get("/v1/partitions/t").json()
        assert p["usage"] == {} and p["limits"]["memory_max"] == 1 << 30
        text = v.get("/metrics").body.decode()
        assert metric(text, "verge_partition_limit", partition="t",
                      resource="memory_max_bytes") == 1 << 30
        assert metric(text, "verge_partition_pids", partition="t") is None
        v.call("partition.delete", name="t")
        assert v.get("/v1/partitions").json()["partitions"] == []
        assert v.get("/v1/partitions/t").status == 404
    finally:
        v.cleanup()
