# SPDX-License-Identifier: Apache-2.0
"""verge's GET over plain http:// without libcurl (cli/http_plain.c),
against a small HTTP server of the test's own on loopback: it reads a
Content-Length body and a chunked one, sends the token as a bearer token
and Connection: close, and leaves whatever it does not read (an answer cut
short, an unknown transfer coding) to libcurl, which says what went
wrong: it never shows half an answer as a whole one."""

import json
import os
import socket
import subprocess
import threading

import verged_harness as vh

VERGE = vh.build_dir() / "verge"
FLEET = json.dumps({"generated_at": 1.0, "host": "plain", "hosts": [
    {"name": "plain", "url": "http://x", "self": True, "reachable": True,
     "version": "0.1.0", "api": 1, "vms": 1, "error": None,
     "latency_ms": None}],
    "vms": [{"name": "vm-1", "host": "plain", "state": "defined",
             "uptime_s": None, "boots": 0, "clock": {
                 "rate": "1/1", "rate_value": 1.0, "freq_hz": 62500000},
             "agent_age_s": None, "detect": None}]}).encode()


class Server:
    """Answers every connection with answer(request bytes) and closes."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                req = b""
                while b"\r\n\r\n" not in req:
                    d = c.recv(4096)
                    if not d:
                        break
                    req += d
                self.requests.append(req)
                try:
                    c.sendall(self.answer(req))
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def verge(url, *args):
    env = {k: v for k, v in os.environ.items() if k != "VERGE_SOCKET"}
    env["VERGE_TOKEN"] = "plain-Token"
    return subprocess.run([str(VERGE), "--url", url, "--json", "fleet",
                           "status", *args], capture_output=True, text=True,
                          timeout=20, env=env)


def head(extra=b""):
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra


def test_content_length_and_token():
    s = Server(lambda req: head(b"Content-Length: %d\r\n\r\n" % len(FLEET))
               + FLEET)
    try:
        r = verge(s.url)
        assert r.returncode == 0, r.stderr
        assert [v["name"] for v in json.loads(r.stdout)["vms"]] == ["vm-1"]
        req = s.requests[0].decode()
        assert req.startswith("GET /v1/fleet HTTP/1.1\r\n")
        assert "\r\nAuthorization: Bearer plain-Token\r\n" in req
        assert "\r\nConnection: close\r\n" in req
        assert "\r\nHost: 127.0.0.1:" in req
        assert len(s.requests) == 1      # not libcurl (no Connection: close)
    finally:
        s.close()


def chunked(body, size=1000):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x;ext=1\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def test_chunked():
    s = Server(lambda req: head(b"Transfer-Encoding: chunked\r\n\r\n") +
               chunked(FLEET, 97))
    try:
        r = verge(s.url)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["hosts"][0]["name"] == "plain"
    finally:
        s.close()


def test_an_answer_cut_short_is_not_taken():
    # Content-Length says more than comes before the server closes: both
    # the plain GET and libcurl refuse it; the host is unreachable
    s = Server(lambda req: head(b"Content-Length: %d\r\n\r\n" % (
        len(FLEET) + 100)) + FLEET)
    try:
        r = verge(s.url)
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert len(s.requests) == 2      # libcurl asked again
    finally:
        s.close()


def test_a_bad_chunk_is_not_taken():
    s = Server(lambda req: head(b"Transfer-Encoding: chunked\r\n\r\n") +
               b"zz\r\n" + FLEET)
    try:
        r = verge(s.url)
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert len(s.requests) == 2
    finally:
        s.close()
