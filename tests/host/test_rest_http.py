# SPDX-License-Identifier: Apache-2.0
"""verged's own HTTP/1.1 server (agentd/http.c, docs/rest.md "Limits"):
slow request heads, head and header-count limits, the connection cap,
pipelined requests, HTTP/1.0, HEAD, methods and bodies a read-only API
refuses. One verged for the module, with small limits."""

import os
import socket
import struct
import time
from pathlib import Path

import pytest

import rest_harness as rh

MAX_CONN = 8
PER_IP = 4
TIMEOUT_S = 5


@pytest.fixture(scope="module")
def vd():
    with rh.limited_verged(MAX_CONN, PER_IP, TIMEOUT_S) as v:
        yield v


def auth(vd):
    return b"Authorization: Bearer " + vd.token.encode() + b"\r\n"


def connect(vd, src="127.0.0.1", timeout=10):
    return socket.create_connection(("127.0.0.1", vd.port), timeout=timeout,
                                    source_address=(src, 0))


class Reader:
    """Reads HTTP/1.1 responses off a socket, one at a time."""

    def __init__(self, s):
        self.s = s
        self.buf = b""

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def response(self, head_request=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for ln in lines[1:]:
            k, v = ln.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        n = 0 if head_request or status == 304 else \
            int(headers.get("content-length", 0))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def closed(self):
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True


def closed_within(s, seconds):
    """Waits for the server to close s; returns (closed, data, took)."""
    s.settimeout(seconds)
    t0 = time.monotonic()
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return True, data, time.monotonic() - t0
            data += chunk
    except ConnectionResetError:
        return True, data, time.monotonic() - t0
    except socket.timeout:
        return False, data, time.monotonic() - t0


def test_a_slowloris_head_is_cut_off_though_bytes_keep_coming(vd):
    # One byte every 0.2 s: each resets an idle timer, not the deadline
    # of the request head, which is timeout_s from the connection's start.
    s = connect(vd)
    req = b"GET /v1/vms HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    t0 = time.monotonic()
    got = b""
    closed = False
    try:
        for b in req:
            s.sendall(bytes([b]))
            time.sleep(0.2)
            if time.monotonic() - t0 > 30:
                break
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    took = time.monotonic() - t0
    if not closed:
        closed, got, _ = closed_within(s, 5)
        took = time.monotonic() - t0
    s.close()
    # cut off well before the 45 s the head would take: the deadline
    # does not move with each byte (load only delays the cut)
    assert closed and got == b"" and took < 30, (closed, got, took)
    assert rh.wait_for(lambda: vd.get("/healthz").status == 200)


def test_head_and_header_count_limits(vd):
    def ask(extra):
        return rh.status_of(rh.raw(vd.port, b"GET /v1/vms HTTP/1.1\r\n"
                                   b"Host: x\r\n" + auth(vd) + extra +
                                   b"Connection: close\r\n\r\n"))

    # 64 header fields in all pass, 65 do not
    assert ask(b"".join(b"X-%d: v\r\n" % i for i in range(61))) == 200
    assert ask(b"".join(b"X-%d: v\r\n" % i for i in range(62))) == 431
    # a head of just under 16 KiB passes, just over does not
    assert ask(b"X-Pad: " + b"p" * (16 * 1024 - 200) + b"\r\n") == 200
    assert ask(b"X-Pad: " + b"p" * (16 * 1024) + b"\r\n") == 431
    # a request line over 8 KiB is 414, even before its end arrives
    assert rh.status_of(rh.raw(vd.port, b"GET /v1/vms?" + b"q" * 9000)) \
        == 414


def accepted_from(pid, srcs):
    """How many of verged's sockets are connections from the addresses
    srcs (by inode, through /proc/PID/net/tcp): other sockets verged
    opens or closes meanwhile do not count."""
    inodes = set()
    for fd in Path("/proc/%d/fd" % pid).iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    # /proc/net/tcp writes an IPv4 address as its 32 bits in host order
    want = {"%08X" % struct.unpack("=I", socket.inet_aton(a))[0]
            for a in srcs}
    n = 0
    with open("/proc/%d/net/tcp" % pid) as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, inode = fields[2].split(":")[0], fields[9]
            n += inode in inodes and remote in want
    return n


def test_connections_over_the_cap_wait_for_a_slot(vd):
    srcs = ["127.0.0.%d" % i for i in range(40, 40 + MAX_CONN // PER_IP)]
    held = [connect(vd, src) for src in srcs for _ in range(PER_IP)]
    try:
        # verged has accepted all of them (not a fixed sleep: load)
        assert rh.wait_for(lambda: accepted_from(vd.pid, srcs) ==
                           MAX_CONN, timeout=10), \
            accepted_from(vd.pid, srcs)
        # the ninth is queued by the kernel, not answered
        extra = connect(vd, "127.0.0.50")
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
        extra.settimeout(0.5)
        with pytest.raises(socket.timeout):
            extra.recv(100)
        # JSON-RPC answers meanwhile
        assert vd.call("daemon.version")["api"] == 1
        # a slot frees: the waiting one is answered
        held.pop().close()
        extra.settimeout(10)
        out = b""
        while True:
            chunk = extra.recv(4096)
            if not chunk:
                break
            out += chunk
        assert rh.status_of(out) == 200
        extra.close()
    finally:
        for s in held:
            s.close()


def test_pipelined_requests_are_answered_in_order(vd):
    s = connect(vd)
    a = auth(vd)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
              b"HEAD /v1/vms HTTP/1.1\r\nHost: x\r\n" + a + b"\r\n"
              b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /v1/vms/vm-1 HTTP/1.1\r\nHost: x\r\n" + a +
              b"Connection: close\r\n\r\n")
    r = Reader(s)
    st, h, body = r.response()
    assert st == 200 and b'"status":"ok"' in body
    st, h, body = r.response(head_request=True)
    assert st == 200 and int(h["content-length"]) > 0 and "etag" in h
    st, h, body = r.response()
    assert st == 404 and b"not_found" in body
    st, h, body = r.response()
    assert st == 200 and b'"vm-1"' in body and h["connection"] == "close"
    assert r.buf == b"" and r.closed()
    s.close()


def test_http10_closes_unless_asked_to_keep_alive(vd):
    # no Host needed in HTTP/1.0; closed after the answer
    out = rh.raw(vd.port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert rh.status_of(out) == 200 and out.startswith(b"HTTP/1.1 200")
    s = connect(vd)
    r = Reader(s)
    for _ in range(2):
        s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        st, h, _ = r.response()
        assert st == 200 and h["connection"] == "keep-alive"
    s.close()


def test_keep_alive_serves_many_requests_on_one_connection(vd):
    s = connect(vd)
    r = Reader(s)
    for i in range(100):
        s.sendall(b"GET /v1/vms HTTP/1.1\r\nHost: x\r\n" + auth(vd) +
                  b"\r\n")
        st, h, body = r.response()
        assert st == 200 and b'"vm-1"' in body and "date" in h, i
    s.close()


def test_head_has_get_headers_and_no_body(vd):
    g = vd.get("/v1/vms")
    s = connect(vd)
    s.sendall(b"HEAD /v1/vms HTTP/1.1\r\nHost: x\r\n" + auth(vd) +
              b"Connection: close\r\n\r\n")
    r = Reader(s)
    st, h, _ = r.response(head_request=True)
    assert st == 200 and int(h["content-length"]) == len(g.body)
    assert h["etag"] == g.headers["etag"]
    assert h["content-type"] == "application/json"
    assert r.buf == b"" and r.closed()
    s.close()


@pytest.mark.parametrize("request_bytes,status", [
    (b"POST /v1/vms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     405),
    (b"DELETE /v1/vms/vm-1 HTTP/1.1\r\nHost: x\r\n"
     b"Connection: close\r\n\r\n",
     405),
    (b"BREW /v1/vms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     405),
    (b"get /v1/vms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     405),    # case matters
    (b"POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
     413),
    (b"GET /v1/vms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
     b"\r\n0\r\n\r\n", 411),
    (b"GET /v1/vms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
     b"Content-Length: 0\r\n\r\n", 400),
    (b"GET /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
     b"Content-Length: 2\r\n\r\n", 400),
    (b"GET /v1/vms HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    (b"GET /v1/vms HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
    (b"GET /v1/vms HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    (b"GET /v1/vms/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /v1/vms/a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET  /v1/vms HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET http://x/v1/vms HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /v1/vms HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /v1/vms HTTP/1.1\rHost: x\r\n\r\n", 400),
])
def test_methods_and_bodies_a_read_only_api_refuses(vd, request_bytes,
                                                    status):
    out = rh.raw(vd.port, request_bytes)
    assert rh.status_of(out) == status, out[:300]
    head, _, body = out.partition(b"\r\n\r\n")
    if status == 405:
        assert b"\r\nAllow: GET, HEAD\r\n" in head + b"\r\n"
    assert b"\r\nDate: " in head
    assert b'"status":%d' % status in body
    assert rh.status_of(rh.raw(vd.port, b"GET /healthz HTTP/1.1\r\n"
                               b"Host: x\r\nConnection: close\r\n\r\n")) \
        == 200
