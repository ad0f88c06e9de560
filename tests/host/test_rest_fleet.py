# SPDX-License-Identifier: Apache-2.0
"""The fleet across hosts (docs/rest.md, "Peers"): three verged on
loopback, alpha with beta and gamma as peers. /v1/fleet and `verge fleet
status` show every VM; a peer killed by pid, a peer that accepts and never
answers, and a peer that answers nonsense are reported as unreachable, and
the answer never waits longer than the peer timeout."""

import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import rest_harness as rh
import verged_harness as vh

TIMEOUT_MS = 600
# The silent peer's: long enough that "answered while the round waits"
# is an order, not a race.
ODD_TIMEOUT_MS = 2000


def start(v, *names):
    v.start()
    v.define(*names)
    return v


@pytest.fixture(scope="module")
def fleet():
    beta = rh.RestVerged(host="beta")
    gamma = rh.RestVerged(host="gamma")
    made = [beta, gamma]
    try:
        start(beta, "b-1", "b-2")
        start(gamma, "g-1")
        alpha = rh.RestVerged(
            host="alpha", peers=(beta.url, gamma.url + "/"),
            rest_extra="peer_timeout_ms = %d\npeer_cache_ms = 0\n"
            % TIMEOUT_MS)
        made.append(alpha)
        start(alpha, "a-1")
        yield alpha, beta, gamma
    finally:
        for v in made:
            v.cleanup()


def by_host(fleet_json):
    out = {}
    for v in fleet_json["vms"]:
        out.setdefault(v["host"], []).append(v["name"])
    return out


def test_fleet_shows_every_host_and_vm(fleet):
    alpha, beta, gamma = fleet
    f = alpha.get("/v1/fleet").json()
    assert by_host(f) == {"alpha": ["a-1"], "beta": ["b-1", "b-2"],
                          "gamma": ["g-1"]}
    hosts = {h["name"]: h for h in f["hosts"]}
    assert set(hosts) == {"alpha", "beta", "gamma"}
    assert all(h["reachable"] and h["error"] is None for h in f["hosts"])
    assert hosts["beta"]["url"] == beta.url and hosts["beta"]["vms"] == 2
    assert hosts["beta"]["version"] == "0.1.0" and hosts["beta"]["api"] == 1
    assert hosts["gamma"]["url"] == gamma.url
    assert hosts["alpha"]["self"] and not hosts["beta"]["self"]
    # a peer's own view is local only: no fan-out loops
    assert by_host(beta.get("/v1/fleet").json()) == {"beta": ["b-1", "b-2"]}
    local = alpha.get("/v1/fleet?scope=local").json()
    assert by_host(local) == {"alpha": ["a-1"]}
    hl = alpha.get("/v1/hosts").json()["hosts"]
    assert [h["name"] for h in hl] == ["alpha", "beta", "gamma"]


def test_sd_lists_this_host_and_the_peers(fleet):
    """GET /v1/sd (docs/fleet.md): Prometheus' HTTP SD, one target group
    per host, named as the last round found the peers."""
    alpha, beta, gamma = fleet
    alpha.get("/v1/hosts")          # a round: the peers' names
    sd = alpha.get("/v1/sd").json()
    assert [(g["targets"], g["labels"]["host"]) for g in sd] == [
        (["127.0.0.1:%d" % v.port], v.host) for v in (alpha, beta, gamma)]
    assert all(g["labels"]["__metrics_path__"] == "/metrics" and
               g["labels"]["version"] == "0.1.0" for g in sd)


def test_a_peer_change_shows_in_the_fleet(fleet):
    alpha, beta, _ = fleet
    beta.define("b-3")
    assert "b-3" in by_host(alpha.get("/v1/fleet").json())["beta"]


def verge_bin():
    return vh.build_dir() / "verge"


@pytest.mark.skipif(not verge_bin().exists(), reason="no verge CLI built")
def test_verge_fleet_status(fleet):
    alpha, beta, gamma = fleet
    env = dict(os.environ, VERGE_TOKEN=rh.FLEET_TOKEN)
    r = subprocess.run([str(verge_bin()), "fleet", "status", "--url",
                        alpha.url], capture_output=True, text=True,
                       timeout=20, env=env)
    assert r.returncode == 0, r.stderr
    for name in ("a-1", "b-1", "b-2", "g-1", "alpha", "beta", "gamma"):
        assert name in r.stdout
    r = subprocess.run([str(verge_bin()), "--json", "fleet", "status",
                        "--url", beta.url, "--url", gamma.url],
                       capture_output=True, text=True, timeout=20, env=env)
    assert r.returncode == 0, r.stderr
    names = sorted(v["name"] for v in json.loads(r.stdout)["vms"])
    assert names[:3] == ["b-1", "b-2", "b-3"][:3] and "g-1" in names


def test_a_killed_peer_is_unreachable_and_the_answer_is_prompt(fleet):
    alpha, beta, gamma = fleet
    gamma.kill9()
    # A refused connection is not waited for: with peer_cache_ms = 0 each
    # request is a round, and a verged that waited out the peer timeout
    # would take at least TIMEOUT_MS on every one. The fastest of five
    # (a statistical rule: load slows some, not all) is under it.
    took = []
    for _ in range(5):
        t0 = time.monotonic()
        f = alpha.get("/v1/fleet").json()
        took.append(time.monotonic() - t0)
    assert min(took) < TIMEOUT_MS / 1e3, took
    hosts = {h["url"]: h for h in f["hosts"] if h["url"]}
    g = hosts[gamma.url]
    assert g["reachable"] is False and g["name"] is None
    assert "onnect" in g["error"]
    assert set(by_host(f)) == {"alpha", "beta"}
    m = alpha.get("/metrics").body.decode()
    assert 'verge_peer_up{peer="%s"} 0' % gamma.url in m
    assert 'verge_peer_up{peer="%s"} 1' % beta.url in m


class Silent:
    """Accepts connections (the kernel's backlog) and never answers.
    take() accepts what is queued and holds it: the number of rounds that
    asked this peer; open() says whether the last one is still waiting."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.setblocking(False)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.held = []

    def take(self):
        n = 0
        while True:
            try:
                c, _ = self.sock.accept()
            except BlockingIOError:
                return n
            self.held.append(c)
            n += 1

    def open(self):
        """The last connection taken is not closed by its client."""
        c = self.held[-1]
        while True:
            try:
                if not c.recv(65536, socket.MSG_DONTWAIT):
                    return False
            except BlockingIOError:
                return True
            except ConnectionResetError:
                return False

    def close(self):
        for c in self.held:
            c.close()
        self.sock.close()


class Liar(http.server.BaseHTTPRequestHandler):
    """A peer whose answers are not verged's."""
    body = b'{"host": "liar", "vms": [{"name": 5}]}'

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *a):
        pass


@pytest.fixture
def odd_peers():
    silent = Silent()
    liar = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=liar.serve_forever, daemon=True).start()
    liar_url = "http://127.0.0.1:%d" % liar.server_address[1]
    v = rh.RestVerged(host="delta", peers=(silent.url, liar_url),
                      rest_extra="peer_timeout_ms = %d\n"
                      "peer_cache_ms = 600000\n" % ODD_TIMEOUT_MS)
    try:
        start(v, "d-1")
        yield v, silent, liar_url
    finally:
        v.cleanup()
        liar.shutdown()
        liar.server_close()
        silent.close()


def test_silent_and_lying_peers_within_the_timeout(odd_peers):
    v, silent, liar = odd_peers
    t0 = time.monotonic()
    with ThreadPoolExecutor(16) as ex:
        futures = [ex.submit(v.get, "/v1/fleet", timeout=60)
                   for _ in range(16)]
        # the round has asked the silent peer
        assert rh.wait_for(silent.take, timeout=30, step=0.01) == 1
        # /healthz does not wait for the round in progress: it answers
        # while the round's connection to the silent peer is still open
        # (an order; the round lasts ODD_TIMEOUT_MS)
        assert v.get("/healthz").status == 200
        assert silent.open(), "/healthz waited for the peers' round"
        fleets = [f.result() for f in futures]
    took = time.monotonic() - t0
    # they waited for the silent peer (a lower bound: load only adds)
    assert took >= ODD_TIMEOUT_MS / 1e3 - 0.05, took
    # sixteen requests, one round: the silent peer was asked once
    assert silent.take() == 0
    for r in fleets:
        assert r.status == 200
        f = r.json()
        assert by_host(f) == {"delta": ["d-1"]}
        hosts = {h["url"]: h for h in f["hosts"] if h["url"]}
        assert not hosts[silent.url]["reachable"]
        assert "imeout" in hosts[silent.url]["error"]
        assert not hosts[liar]["reachable"]
        assert "not a verged fleet answer" in hosts[liar]["error"]
    # within peer_cache_ms the results are reused: no new round asks the
    # silent peer
    assert v.get("/v1/hosts").status == 200
    assert v.get("/v1/fleet").status == 200
    assert silent.take() == 0
    assert v.call("daemon.version")["api"] == 1


def test_stop_does_not_wait_for_a_silent_peer():
    silent = Silent()
    v = rh.RestVerged(host="epsilon", peers=(silent.url,),
                      rest_extra="peer_timeout_ms = 60000\n")
    try:
        start(v, "e-1")
        with ThreadPoolExecutor(2) as ex:
            waiting = ex.submit(v.get, "/v1/fleet", timeout=90)
            # the round is waiting for the peer
            assert rh.wait_for(silent.take, timeout=30, step=0.01) == 1
            # a clean exit within stop()'s 30 s (it kills after them):
            # before the 60 s round could end
            assert v.stop(timeout=30) == 0
            try:
                r = waiting.result(timeout=5)
                assert r.status == 503
            except OSError:
                pass                # or closed as verged stopped
    finally:
        v.cleanup()
        silent.close()


def test_a_peer_with_another_token_is_reported_not_trusted():
    """A fleet shares one token (docs/rest.md): a peer whose token
    differs refuses this host's, and /v1/hosts says so."""
    other = rh.RestVerged(host="other", token="another-Token")
    try:
        other.start()
        v = rh.RestVerged(host="mine", peers=(other.url,))
        try:
            v.start()
            hosts = v.get("/v1/hosts").json()["hosts"]
            peer = [h for h in hosts if not h["self"]][0]
            assert not peer["reachable"]
            assert "401" in peer["error"] and "token" in peer["error"]
        finally:
            v.cleanup()
    finally:
        other.cleanup()
