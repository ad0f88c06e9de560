# SPDX-License-Identifier: Apache-2.0
"""The REST API's bad input, a peer fan-out (one peer dead, one silent,
one lying) and a stop with requests in flight, against an
AddressSanitizer build of verged: no memory error, no leak at exit."""

import http.server
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import rest_harness as rh
from test_rest_fleet import Liar, Silent
from test_verged_asan import asan_verged  # noqa: F401

ASAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=66",
            "LSAN_OPTIONS": "exitcode=66"}


def rest_bad_input(v):
    for req in (b"GARBAGE\r\n\r\n", b"GET /v1/vms HTTP/1.1\r\n\r\n",
                b"GET /v1/vms HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 65536 +
                b"\r\n\r\n",
                b"POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 5"
                b"\r\n\r\nhello",
                b"GET /v1/events?since=1&since=2 HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /v1/vms/" + b"n" * 300 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /v1/vms/a%00b/clock HTTP/1.1\r\nHost: x\r\n\r\n"):
        rh.raw(v.port, req, timeout=3)
    for path in ("/v1/fleet", "/v1/hosts", "/v1/vms", "/v1/vms/a",
                 "/v1/vms/a/clock", "/v1/vms/a/agent", "/v1/events?limit=1",
                 "/metrics", "/healthz", "/nope"):
        assert v.get(path).status in (200, 404)
        assert v.get(path, {"If-None-Match": "*"}).status in (200, 304, 404)
    # the pages of the fleet's VMs, and bad cursors
    for path, want in (("/v1/fleet?limit=1", 200),
                       ("/v1/fleet?scope=local&limit=1&cursor=YS9i", 200),
                       ("/v1/fleet?limit=1&cursor=%FF%FE", 400),
                       ("/v1/fleet?cursor=" + "A" * 600, 400),
                       ("/v1/fleet?limit=100000000000000000000", 400)):
        assert v.get(path).status == want, path
    # a client that leaves mid-request
    s = socket.create_connection(("127.0.0.1", v.port))
    s.sendall(b"GET /v1/fl")
    s.close()


def test_rest_under_asan(asan_verged):  # noqa: F811
    silent = Silent()
    liar = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=liar.serve_forever, daemon=True).start()
    dead = "http://127.0.0.1:%d" % rh.free_port()
    v = rh.RestVerged(
        binary=asan_verged, env=ASAN_ENV, token="tok",
        peers=(silent.url, dead, "http://127.0.0.1:%d" %
               liar.server_address[1]),
        rest_extra="peer_timeout_ms = 1500\npeer_cache_ms = 0\n")
    try:
        v.start(wait=30)
        v.define("a", "b")
        with v.client() as c:
            c.call("clock.set_rate", name="a", rate="3/7")
            c.call("vm.undefine", name="b")
        rest_bad_input(v)
        assert v.get("/v1/fleet", token=False).status == 401
        # requests suspended on the peers while verged stops
        with ThreadPoolExecutor(4) as ex:
            waiting = [ex.submit(v.get, "/v1/fleet") for _ in range(4)]
            time.sleep(0.3)
            status = v.stop(timeout=60)
            for w in waiting:
                try:
                    w.result()
                except OSError:
                    pass
        log = v.log_text()
        assert "AddressSanitizer" not in log, log[-4000:]
        assert "LeakSanitizer" not in log, log[-4000:]
        assert status == 0, log[-4000:]
    finally:
        v.cleanup()
        liar.shutdown()
        liar.server_close()
        silent.sock.close()


def test_etcd_fleet_under_asan(asan_verged, tmp_path):  # noqa: F811
    """The registry's view, the kept hosts' body and the pages of
    ?detail=vms against a real etcd member, then a stop: no memory error,
    no leak."""
    import shutil

    import etcd_harness as eh
    if shutil.which(eh.ETCD) is None:
        import pytest
        pytest.skip("etcd-server is not installed")
    cluster = eh.EtcdCluster(1)
    v = None
    try:
        cluster.start()
        v = eh.fleet_verged("asan", cluster.urls, binary=asan_verged,
                            env=ASAN_ENV)
        v.start(wait=30)
        v.define("a", "b", "c")
        rh.wait_for(lambda: v.get("/v1/hosts").json()["etcd"][
            "registered"], timeout=20)
        etag = v.get("/v1/fleet").headers["etag"]
        for _ in range(3):
            assert v.get("/v1/fleet").status == 200
            assert v.get("/v1/fleet", {"If-None-Match": etag}).status in (
                200, 304)
        f = v.get("/v1/fleet?detail=vms&limit=2").json()
        assert len(f["vms"]) == 2 and f["next_cursor"]
        f = v.get("/v1/fleet?detail=vms&limit=2&cursor=" +
                  f["next_cursor"]).json()
        assert [x["name"] for x in f["vms"]] == ["c"]
        assert v.get("/v1/fleet?detail=vms&cursor=zz%00").status == 400
        status = v.stop(timeout=60)
        log = v.log_text()
        assert "AddressSanitizer" not in log, log[-4000:]
        assert "LeakSanitizer" not in log, log[-4000:]
        assert status == 0, log[-4000:]
    finally:
        if v:
            v.cleanup()
        cluster.cleanup()
