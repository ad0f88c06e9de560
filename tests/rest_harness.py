# SPDX-License-Identifier: Apache-2.0
"""A verged with its REST API on a free loopback port, and a small HTTP
client (standard library only). Shared by tests/host/test_rest*.py and
bench/rest.py."""

import http.client
import json
import re
import socket
import contextlib
import time
from pathlib import Path

import verged_harness as vh


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Every RestVerged shares this token unless told otherwise, as the hosts
# of a fleet do (docs/rest.md "Authentication").
FLEET_TOKEN = "verge-test-fleet-Token_1"


class RestVerged(vh.Verged):
    """verged with [rest] listen on a port of its own. token: the bearer
    token written to a token file of its own; None: no [rest] token_file,
    so verged creates STATE_DIR/rest.token (self.token reads it)."""

    def __init__(self, host="alpha", peers=(), token=FLEET_TOKEN,
                 rest_extra="", qemu_extra="", **kw):
        self.port = free_port()
        self.host = host
        conf = "[rest]\nlisten = 127.0.0.1:%d\nhost = %s\n" % (self.port,
                                                              host)
        if peers:
            conf += "peers = %s\n" % " ".join(peers)
        # qemu_extra continues verged_harness's [qemu] section
        super().__init__(config_extra=qemu_extra + conf + rest_extra, **kw)
        self._token = token
        if token:
            tf = self.tmp / "token"
            tf.write_text(token + "\n")
            tf.chmod(0o600)
            with open(self.config, "a") as f:
                f.write("token_file = %s\n" % tf)

    @property
    def token(self):
        if self._token:
            return self._token
        try:
            return (self.state / "rest.token").read_text().strip()
        except OSError:
            return None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def get(self, path, headers=None, method="GET", timeout=10,
            token=True):
        return get(self.port, path, headers, method, timeout,
                   self.token if token else None)

    def kernel(self):
        k = self.tmp / "Image"
        if not k.exists():
            k.write_bytes(b"kernel")
        return str(k)

    def define(self, *names, **params):
        with self.client() as c:
            for n in names:
                c.call("vm.define", name=n, kernel=self.kernel(), **params)


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


def get(port, path, headers=None, method="GET", timeout=10, token=None):
    h = dict(headers or {})
    if token:
        h.setdefault("Authorization", "Bearer " + token)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, headers=h)
        r = c.getresponse()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()},
                     r.read())
    finally:
        c.close()


def raw(port, data, timeout=5, src="127.0.0.1"):
    """Sends bytes as they are; returns what came back before EOF."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(src, 0))
    out = b""
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    finally:
        s.close()
    return out


def status_of(reply_bytes):
    """The status code of the first response in reply_bytes (or None)."""
    line = reply_bytes.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[1].isdigit() else None


def routes():
    """verged's router table (agentd/rest.c routes[]) as (pattern, open)
    pairs, read from the source so that a route added there is walked by
    the token tests without anyone remembering to list it."""
    src = (Path(__file__).resolve().parents[1] / "agentd" /
           "rest.c").read_text()
    table = src[src.index("static const struct route routes[]"):]
    table = table[:table.index("};")]
    found = re.findall(r'\{\s*"(/[^"]*)",\s*EP_\w+,\s*h_\w+,\s*'
                       r'\{[^}]*\},\s*(true|false)\s*\}', table)
    # every handler of the table was matched: none slipped past the regex
    assert len(found) == len(re.findall(r"\bh_\w+", table)) > 5, table
    return [(path, is_open == "true") for path, is_open in found]


def wait_for(fn, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


@contextlib.contextmanager
def limited_verged(max_connections, max_per_ip, timeout_s):
    """A started RestVerged with these [rest] connection limits and one VM,
    vm-1, defined (the fixture of the HTTP limit tests)."""
    v = RestVerged(rest_extra="max_connections = %d\nmax_per_ip = %d\n"
                   "timeout_s = %d\n" % (max_connections, max_per_ip,
                                         timeout_s))
    try:
        v.start()
        v.define("vm-1")
        yield v
    finally:
        v.cleanup()
