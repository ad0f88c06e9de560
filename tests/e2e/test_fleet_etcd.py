# SPDX-License-Identifier: Apache-2.0
"""The fleet registry in etcd (docs/fleet.md), against a real three-member
etcd cluster (Debian's etcd-server) on loopback and five verged, each with
its own state, socket and REST port: every host appears in every host's
fleet view; a verged killed with SIGKILL leaves within its lease's TTL and
comes back when restarted; one etcd member killed changes nothing; two
killed (quorum lost) leave verged answering its own JSON-RPC and REST, and
a real guest running on it with the same QEMU, while its fleet view
reports the outage and since when; all back, the fleet is
whole again. Debian's Prometheus, pointed at one verged's /v1/sd, scrapes
every verged and drops a killed one. Then TLS with client certificates and
user/password auth against an etcd configured for each."""

import json
import shutil
import subprocess
import time
import urllib.request

import pytest

import etcd_harness as eh
import rest_harness as rh
import verged_harness as vh

pytestmark = pytest.mark.skipif(shutil.which(eh.ETCD) is None,
                                reason="etcd-server is not installed")

TTL = 3                 # [fleet] ttl_s (10 by default)
BOOT_TIMEOUT = 120      # a real guest's boot on a busy machine
NAMES = ["h1", "h2", "h3", "h4", "h5"]


@pytest.fixture(scope="module")
def fleet():
    cluster = eh.EtcdCluster(3)
    made = []
    try:
        cluster.start()
        for i, n in enumerate(NAMES):
            v = eh.fleet_verged(n, cluster.urls, ttl_s=TTL)
            made.append(v)
            v.start()
            # a VM per host and one more on h1: the summaries differ
            v.define(*["%s-vm%d" % (n, j) for j in range(1 + (i == 0))])
        yield cluster, made
    finally:
        for v in made:
            v.cleanup()
        cluster.cleanup()


def test_every_host_appears_with_its_summary(fleet):
    cluster, vs = fleet
    # every host in every view within 2 s (issue 17)
    t0 = time.monotonic()
    for v in vs:
        vh.wait_for("%s to see the fleet" % v.host,
                    lambda: eh.live_hosts(v) == NAMES,
                    max(0.1, 2 - (time.monotonic() - t0)))
    # the summaries follow the VMs defined since (one write a second)
    want = {n: 1 + (n == "h1") for n in NAMES}
    f = vh.wait_for("the summaries", lambda: (lambda f: f if {
        h["name"]: h["vms"] for h in f["hosts"]} == want else None)(
            vs[1].get("/v1/fleet").json()), 5)
    assert f["source"] == "etcd" and f["detail"] == "hosts"
    assert f["vms"] == []           # per-VM detail only when asked
    assert f["etcd"]["reachable"] and f["etcd"]["registered"]
    assert f["etcd"]["error"] is None and f["etcd"]["hosts"] == 5
    h = eh.hosts_of(f)
    assert h["h2"]["self"] and not h["h1"]["self"]
    assert h["h2"]["url"] == vs[1].url and h["h2"]["summary"]["vms"] == 1
    assert h["h1"]["url"] == vs[0].url and h["h1"]["vms"] == 2
    assert h["h1"]["summary"]["states"]["defined"] == 2
    assert h["h1"]["summary"]["states"]["running"] == 0
    assert h["h3"]["vms"] == 1 and h["h3"]["site"] == "test-site"
    assert h["h3"]["capacity"]["cpus"] >= 1
    assert h["h3"]["version"] == "0.1.0" and h["h3"]["api"] == 1


def test_summary_follows_a_change(fleet):
    cluster, vs = fleet
    vs[2].define("h3-extra")
    vh.wait_for("h3's new VM in h5's view", lambda: eh.hosts_of(
        vs[4].get("/v1/hosts").json())["h3"]["vms"] == 2, 10)
    vs[2].call("vm.undefine", name="h3-extra")
    vh.wait_for("h3's VM gone in h5's view", lambda: eh.hosts_of(
        vs[4].get("/v1/hosts").json())["h3"]["vms"] == 1, 10)


def test_hosts_view_is_kept_until_it_changes(fleet):
    """The etcd hosts' body is made once and served from the kept bytes until the
    membership, the snapshot or this host's record changes."""
    cluster, vs = fleet

    def etag(v):
        r = v.get("/v1/fleet")
        assert r.status == 200 and len(r.body) == int(
            r.headers["content-length"])
        return r.headers["etag"], r.body

    a, body = etag(vs[0])
    assert etag(vs[0]) == (a, body)
    assert vs[0].get("/v1/fleet", {"If-None-Match": a}).status == 304
    assert vs[0].get("/v1/hosts").body == body
    # another host's record changes: a new body
    vs[1].define("h2-kept")
    try:
        vh.wait_for("h2's change in h1's body", lambda: etag(vs[0])[0] != a,
                    10, 0.1)
        assert eh.hosts_of(vs[0].get("/v1/fleet").json())["h2"]["vms"] == 2
    finally:
        vs[1].call("vm.undefine", name="h2-kept")
    # this host's own record changes: a new body too
    b, _ = etag(vs[0])
    vs[0].define("h1-kept")
    try:
        vh.wait_for("h1's own change", lambda: eh.hosts_of(
            vs[0].get("/v1/fleet").json())["h1"]["vms"] == 3, 10, 0.1)
        assert etag(vs[0])[0] != b
    finally:
        vs[0].call("vm.undefine", name="h1-kept")
    vh.wait_for("h1 and h2 as before", lambda: [eh.hosts_of(
        vs[0].get("/v1/fleet").json())[n]["vms"] for n in ("h1", "h2")] ==
        [2, 1], 10, 0.1)


def test_detail_vms_fetches_every_host(fleet):
    cluster, vs = fleet
    f = vs[0].get("/v1/fleet?detail=vms").json()
    assert f["detail"] == "vms" and f["detail_errors"] == []
    assert sorted((v["host"], v["name"]) for v in f["vms"]) == sorted(
        [("h1", "h1-vm0"), ("h1", "h1-vm1")] +
        [(n, n + "-vm0") for n in NAMES[1:]])
    assert vs[0].get("/v1/fleet?detail=all").status == 400


def walk(v, limit):
    """Every page of v's /v1/fleet?detail=vms&limit=LIMIT: the pages."""
    pages, cursor = [], None
    while True:
        path = "/v1/fleet?detail=vms&limit=%d" % limit
        if cursor:
            path += "&cursor=" + cursor
        r = v.get(path)
        assert r.status == 200, r.body
        pages.append(r.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


def keys(vms):
    return [(v["host"], v["name"]) for v in vms]


def test_detail_vms_is_paged(fleet):
    cluster, vs = fleet
    every = sorted([("h1", "h1-vm0"), ("h1", "h1-vm1")] +
                   [(n, n + "-vm0") for n in NAMES[1:]])
    pages = walk(vs[0], 2)
    # ordered by host, then VM; each VM once; at most limit a page
    assert [k for p in pages for k in keys(p["vms"])] == every
    assert [len(p["vms"]) for p in pages] == [2, 2, 2]
    assert all(p["limit"] == 2 for p in pages)
    # the hosts on the first page only
    assert sorted(eh.hosts_of(pages[0])) == NAMES
    assert all(p["hosts"] == [] for p in pages[1:])
    # with etcd, ?detail=vms is paged even without limit
    f = vs[0].get("/v1/fleet?detail=vms").json()
    assert f["limit"] == 1000 and f["next_cursor"] is None

    # the CLI follows every page
    env = dict(vs[0].env, VERGE_TOKEN=rh.FLEET_TOKEN)
    r = vs[0].verge("--url", vs[0].url, "--json", "fleet", "status",
                    "--vms", "--page-size", "2", env=env)
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)
    assert sorted(keys(f["vms"])) == every
    assert sorted(h["name"] for h in f["hosts"]) == NAMES
    r = vs[0].verge("--url", vs[0].url, "fleet", "status", "--page-size",
                    "2", env=env)
    assert r.returncode == 2 and "--page-size" in r.stderr, r.stderr

    # VMs that come and go before the cursor do not shift the next page;
    # one after it appears in it
    first = vs[0].get("/v1/fleet?detail=vms&limit=3").json()
    assert keys(first["vms"]) == every[:3]
    vs[1].define("h2-a")        # before the cursor (h2, h2-vm0)
    vs[2].define("h3-z")        # after it
    try:
        def rest():
            r = vs[0].get("/v1/fleet?detail=vms&limit=1000&cursor=" +
                          first["next_cursor"]).json()
            return keys(r["vms"])
        vh.wait_for("h3-z in the next page", lambda: ("h3", "h3-z") in
                    rest(), 10, 0.2)
        assert rest() == sorted(every[3:] + [("h3", "h3-z")])
    finally:
        vs[1].call("vm.undefine", name="h2-a")
        vs[2].call("vm.undefine", name="h3-z")

    # bad values: 400 with the reason
    import base64

    def b64u(s):
        return base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")
    for query, why in [
            ("limit=0", "limit must be an integer from 1 to 1000"),
            ("limit=1001", "limit must be an integer from 1 to 1000"),
            ("limit=ten", "limit must be an integer from 1 to 1000"),
            ("limit=2&limit=3", "given twice"),
            ("cursor=%21%21", "cursor must be a next_cursor"),
            ("cursor=" + b64u("h2"), "cursor must be a next_cursor"),
            ("cursor=" + b64u("h2/bad name"), "cursor must be a"),
            ("cursor=" + b64u("x" * 400 + "/vm"), "cursor must be a"),
            ("cursor=" + b64u("h2/h2-vm0") + "=", "cursor must be a")]:
        r = vs[0].get("/v1/fleet?detail=vms&" + query)
        assert r.status == 400 and why in r.json()["error"]["message"], (
            query, r.body)
    r = vs[0].get("/v1/fleet?detail=hosts&limit=5")
    assert r.status == 400 and "need detail=vms" in r.body.decode()
    assert vs[0].get("/v1/hosts?limit=5").status == 400
    # a cursor made by hand names where the page starts
    r = vs[0].get("/v1/fleet?detail=vms&cursor=" + b64u("h4/")).status
    assert r == 400             # an empty VM name is not one
    r = vs[0].get("/v1/fleet?detail=vms&limit=1&cursor=" +
                  b64u("h4/a")).json()
    assert keys(r["vms"]) == [("h4", "h4-vm0")]


def test_cli_fleet_status(fleet):
    cluster, vs = fleet
    r = vs[3].verge("--url", vs[3].url, "--json", "fleet", "status",
                    env=dict(vs[3].env, VERGE_TOKEN=rh.FLEET_TOKEN))
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)
    assert sorted(h["name"] for h in f["hosts"]) == NAMES
    r = vs[3].verge("--url", vs[3].url, "fleet", "status",
                    env=dict(vs[3].env, VERGE_TOKEN=rh.FLEET_TOKEN))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(l.startswith("etcd http://") and "reachable since" in l and
               "5 hosts registered" in l for l in lines), r.stdout
    head = next(l for l in lines if l.startswith("HOST"))
    assert head.split() == ["HOST", "URL", "STATE", "SITE", "VMS",
                            "RUNNING", "AGENTS"]
    rows = {l.split()[0]: l.split() for l in lines[lines.index(head) + 1:]}
    assert sorted(rows) == NAMES
    # h1: 2 VMs defined, none running, from its record in etcd
    assert rows["h1"][1:] == [vs[0].url, "reachable", "test-site", "2",
                              "0", "0/0/0"]
    # this host too, with its summary
    assert rows["h4"][1:] == [vs[3].url, "reachable", "test-site", "1",
                              "0", "0/0/0"]


def test_sd_lists_every_host(fleet):
    cluster, vs = fleet
    sd = vs[0].get("/v1/sd").json()
    targets = {g["labels"]["host"]: g for g in sd}
    assert sorted(targets) == NAMES
    for v in vs:
        g = targets[v.host]
        assert g["targets"] == ["127.0.0.1:%d" % v.port]
        assert g["labels"]["__metrics_path__"] == "/metrics"
        assert g["labels"]["version"] == "0.1.0"
        assert g["labels"]["site"] == "test-site"
    assert vs[0].get("/v1/sd", token=False).status == 401


def test_killed_verged_leaves_within_ttl_and_returns(fleet):
    cluster, vs = fleet
    gone = vs[4]
    gone.kill9()
    t0 = time.monotonic()
    others = NAMES[:4]
    vh.wait_for("h5 to leave", lambda: eh.live_hosts(vs[0]) == others,
                3 * TTL)
    left_after = time.monotonic() - t0
    # etcd expires a lease within about a TTL of its last keepalive
    assert left_after <= 2 * TTL + 1, left_after
    assert "h5" not in {g["labels"]["host"]
                        for g in vs[1].get("/v1/sd").json()}
    gone.start()
    vh.wait_for("h5 back", lambda: eh.live_hosts(vs[0]) == NAMES, 3 * TTL)
    vh.wait_for("h5 back in h2", lambda: eh.live_hosts(vs[1]) == NAMES,
                3 * TTL)


def test_clean_stop_leaves_at_once(fleet):
    cluster, vs = fleet
    vs[3].stop()            # SIGTERM: the lease is revoked
    vh.wait_for("h4 to leave", lambda: eh.live_hosts(vs[0]) ==
                ["h1", "h2", "h3", "h5"], TTL)
    vs[3].start()
    vh.wait_for("h4 back", lambda: eh.live_hosts(vs[0]) == NAMES, 3 * TTL)


def views_whole(vs):
    for v in vs:
        f = v.get("/v1/hosts", timeout=10).json()
        if not f["etcd"]["reachable"] or sorted(
                h["name"] for h in f["hosts"]
                if not h.get("stale")) != NAMES:
            return False
    return True


def test_one_etcd_member_down_changes_nothing(fleet):
    cluster, vs = fleet
    m = cluster.members[0]      # the endpoint every verged tries first
    cluster.kill(m)
    try:
        # for two TTLs (leases kept alive through the others), every
        # view stays whole and reachable
        deadline = time.monotonic() + 2 * TTL
        while time.monotonic() < deadline:
            assert views_whole(vs)
            time.sleep(0.3)
        # and changes still reach everyone (the watch moved over)
        vs[1].define("h2-more")
        vh.wait_for("h2's new VM in h4's view", lambda: eh.hosts_of(
            vs[3].get("/v1/hosts").json())["h2"]["vms"] == 2, 10)
    finally:
        cluster.restart(m)
    cluster.wait_healthy()


def test_quorum_lost_then_whole_again(fleet):
    cluster, vs = fleet
    v = vs[0]
    # a real guest on h1 (kernel, initramfs, verge-hv), running through
    # the outage; h2 sees it in h1's summary
    vh.define_vm(v, "h1-guest")
    v.call("vm.start", name="h1-guest")
    vh.wait_for("h1-guest running, in h2's view", lambda: eh.hosts_of(
        vs[1].get("/v1/hosts").json())["h1"]["summary"]["states"][
            "running"] == 1, BOOT_TIMEOUT, step=0.5)
    pid = v.call("vm.show", name="h1-guest")["pid"]
    t_kill = time.time()
    for m in cluster.members[1:]:
        cluster.kill(m)
    try:
        f = vh.wait_for("h1 to report the outage", lambda: (lambda f: f if
                        not f["etcd"]["reachable"] else None)(
                            v.get("/v1/fleet").json()), 30)
        assert f["etcd"]["error"]
        assert t_kill - 1 <= f["etcd"]["since"] <= time.time()
        m = v.get("/metrics").body.decode()
        assert "verge_etcd_up 0\n" in m and "verge_etcd_hosts 5\n" in m
        # the hosts last seen, each marked stale
        others = [h for h in f["hosts"] if not h["self"]]
        assert sorted(h["name"] for h in others) == NAMES[1:]
        assert all(h["stale"] for h in others)
        # verged's own APIs answer as before
        assert v.get("/v1/vms").status == 200
        assert sorted(x["name"] for x in v.call("vm.list")) == \
            ["h1-guest", "h1-vm0", "h1-vm1"]
        g = v.call("vm.show", name="h1-guest")
        assert g["state"] == "running" and g["pid"] == pid
        assert v.get("/v1/vms/h1-guest").json()["state"] == "running"
        v.define("h1-during")
        assert v.get("/v1/vms/h1-during").status == 200
        r = v.verge("--url", v.url, "fleet", "status",
                    env=dict(v.env, VERGE_TOKEN=rh.FLEET_TOKEN))
        assert r.returncode == 0, r.stderr
        assert "unreachable" in r.stdout
    finally:
        for m in cluster.members[1:]:
            cluster.restart(m)
    cluster.wait_healthy()
    vh.wait_for("every view whole", lambda: views_whole(vs), 30)
    m = v.get("/metrics").body.decode()
    assert "verge_etcd_up 1\n" in m and "verge_etcd_registered 1\n" in m
    h1 = vh.wait_for("h1's new VM seen by h2", lambda: (lambda h: h if
                     h["vms"] == 4 else None)(eh.hosts_of(
                         vs[1].get("/v1/hosts").json())["h1"]), 10)
    assert h1["summary"]["states"]["running"] == 1
    g = v.call("vm.show", name="h1-guest")
    assert g["state"] == "running" and g["pid"] == pid
    v.call("vm.kill", name="h1-guest")


def test_hostile_records_are_left_out(fleet):
    cluster, vs = fleet
    m = cluster.members[0]
    eh.put_raw(m, "/verge/hosts/evil", "not json")
    eh.put_raw(m, "/verge/hosts/liar", json.dumps({"name": "h1"}))
    eh.put_raw(m, "/verge/hosts/big", "{" + " " * 20000 + "}")
    eh.put_raw(m, "/verge/hosts/h9", "{}")
    vh.wait_for("h1 unchanged", lambda: views_whole(vs[:1]), 5)
    assert eh.live_hosts(vs[0]) == NAMES
    assert "left out of the fleet" in vs[0].log_text()


def test_a_second_host_with_the_same_name_is_reported(fleet):
    cluster, vs = fleet
    twin = eh.fleet_verged("h2", cluster.urls, ttl_s=TTL)
    try:
        twin.start()
        vh.wait_for("h2 to notice its twin", lambda: "another host"
                    " registers as 'h2'" in vs[1].log_text() or
                    "another host registers as 'h2'" in twin.log_text(), 10)
    finally:
        twin.cleanup()
    # h2 writes its record again when the twin's lease is revoked
    vh.wait_for("h2 whole again", lambda: eh.live_hosts(vs[0]) == NAMES,
                3 * TTL)


# --- Prometheus ------------------------------------------------------------

PROMETHEUS = "/usr/bin/prometheus"


def prom_targets(port):
    """{host label: health} of Prometheus' active targets."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/targets"
                                    % port, timeout=5) as r:
            data = json.load(r)["data"]["activeTargets"]
    except (OSError, ValueError):
        return None
    return {t["labels"].get("host"): t["health"] for t in data}


@pytest.mark.skipif(shutil.which(PROMETHEUS) is None,
                    reason="prometheus is not installed")
def test_prometheus_discovers_and_scrapes_the_fleet(fleet, tmp_path):
    cluster, vs = fleet
    token = tmp_path / "token"
    token.write_text(rh.FLEET_TOKEN + "\n")
    conf = tmp_path / "prometheus.yml"
    conf.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: verge\n"
        "    http_sd_configs:\n"
        "      - url: %s/v1/sd\n"
        "        refresh_interval: 1s\n"
        "        authorization: {type: Bearer, credentials_file: %s}\n"
        % (vs[0].url, token))
    port = rh.free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    p = subprocess.Popen([PROMETHEUS, "--config.file", str(conf),
                          "--storage.tsdb.path", str(tmp_path / "tsdb"),
                          "--web.listen-address", "127.0.0.1:%d" % port],
                         stdout=log, stderr=log)
    try:
        every_up = {n: "up" for n in NAMES}
        try:
            vh.wait_for("Prometheus to scrape every verged",
                        lambda: prom_targets(port) == every_up, 30)
        except AssertionError as e:
            raise AssertionError("%s: targets %s; log:\n%s" % (
                e, prom_targets(port), (tmp_path / "prometheus.log")
                .read_text(errors="replace")[-3000:]))
        vs[4].kill9()
        vh.wait_for("the killed verged gone from Prometheus' targets",
                    lambda: set(prom_targets(port) or {}) ==
                    set(NAMES[:4]), 3 * TTL + 5)
        vs[4].start()
        vh.wait_for("it back", lambda: prom_targets(port) == every_up, 30)
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


# --- TLS and authentication ------------------------------------------------

def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=verge test CA", "-keyout", "ca.key", "-out",
            "ca.crt", cwd=d)
    ext = d / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    for name in ("server", "client", "rogue"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=" + name, "-keyout", name + ".key", "-out",
                name + ".csr", cwd=d)
        if name == "rogue":    # signed by itself, not by the CA
            openssl("x509", "-req", "-in", "rogue.csr", "-signkey",
                    "rogue.key", "-days", "2", "-out", "rogue.crt",
                    cwd=d)
            continue
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", str(ext), "-out", name + ".crt", cwd=d)
    return {k: str(d / v) for k, v in dict(
        ca="ca.crt", cert="server.crt", key="server.key",
        client_cert="client.crt", client_key="client.key",
        rogue_cert="rogue.crt", rogue_key="rogue.key").items()}


def test_tls_client_certificate(certs):
    cluster = eh.EtcdCluster(1, tls=certs)
    made = []
    try:
        cluster.start()
        good = eh.fleet_verged("t-good", cluster.urls, ttl_s=TTL,
                               fleet_extra="etcd_ca = %s\netcd_cert = %s\n"
                               "etcd_key = %s\n" % (
                                   certs["ca"], certs["client_cert"],
                                   certs["client_key"]))
        rogue = eh.fleet_verged("t-rogue", cluster.urls, ttl_s=TTL,
                                fleet_extra="etcd_ca = %s\netcd_cert = %s\n"
                                "etcd_key = %s\n" % (
                                    certs["ca"], certs["rogue_cert"],
                                    certs["rogue_key"]))
        made += [good, rogue]
        good.start()
        rogue.start()
        vh.wait_for("t-good registered", lambda: eh.live_hosts(good) ==
                    ["t-good"] and good.get("/v1/hosts").json()["etcd"][
                        "registered"], 10)
        assert "/verge/hosts/t-good" in cluster.ctl(
            cluster.members[0], "get", "--prefix", "--keys-only",
            "/verge/hosts/")
        f = vh.wait_for("t-rogue refused", lambda: (lambda f: f if
                        f["etcd"]["error"] and f["etcd"]["since"] else
                        None)(rogue.get("/v1/hosts").json()), 15)
        assert not f["etcd"]["reachable"] and not f["etcd"]["registered"]
        assert eh.live_hosts(good) == ["t-good"]
    finally:
        for v in made:
            v.cleanup()
        cluster.cleanup()


def test_user_password(tmp_path):
    cluster = eh.EtcdCluster(1)
    made = []
    try:
        cluster.start()
        m = cluster.members[0]
        cluster.ctl(m, "user", "add", "root:rootpw")
        cluster.ctl(m, "user", "add", "verge:s3cret")
        cluster.ctl(m, "role", "add", "verge")
        cluster.ctl(m, "role", "grant-permission", "verge", "--prefix=true",
                    "readwrite", "/verge/")
        cluster.ctl(m, "user", "grant-role", "verge", "verge")
        cluster.ctl(m, "auth", "enable")
        pw = tmp_path / "pw"
        pw.write_text("s3cret\n")
        bad = tmp_path / "bad"
        bad.write_text("wrong\n")
        ok = eh.fleet_verged("u-ok", cluster.urls, ttl_s=TTL,
                             fleet_extra="etcd_user = verge\n"
                             "etcd_password_file = %s\n" % pw)
        no = eh.fleet_verged("u-bad", cluster.urls, ttl_s=TTL,
                             fleet_extra="etcd_user = verge\n"
                             "etcd_password_file = %s\n" % bad)
        anon = eh.fleet_verged("u-anon", cluster.urls, ttl_s=TTL)
        made += [ok, no, anon]
        for v in made:
            v.start()
        vh.wait_for("u-ok registered", lambda: ok.get("/v1/hosts").json()[
            "etcd"]["registered"], 10)
        for v in (no, anon):
            f = vh.wait_for(v.host + " refused", lambda: (lambda f: f if
                            f["etcd"]["error"] and f["etcd"]["since"]
                            else None)(v.get("/v1/hosts").json()), 15)
            assert not f["etcd"]["registered"]
        assert "authentication failed" in no.get(
            "/v1/hosts").json()["etcd"]["error"]
        assert eh.live_hosts(ok) == ["u-ok"]
    finally:
        for v in made:
            v.cleanup()
        cluster.cleanup()
