# SPDX-License-Identifier: Apache-2.0
"""A real etcd (Debian's etcd-server) for the tests: a cluster of members
on loopback, each on free ports with a temporary data directory, started
and stopped by pid, and verged configured to register in it
(docs/fleet.md). Standard library only."""

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import rest_harness as rh

ETCD = os.environ.get("ETCD", "/usr/bin/etcd")
ETCDCTL = os.environ.get("ETCDCTL", "/usr/bin/etcdctl")


class Member:
    def __init__(self, cluster, i):
        self.name = "m%d" % i
        self.client_port = rh.free_port()
        self.peer_port = rh.free_port()
        self.dir = cluster.tmp / self.name
        self.log = cluster.tmp / (self.name + ".log")
        self.proc = None
        scheme = "https" if cluster.tls else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.client_port)
        self.peer_url = "http://127.0.0.1:%d" % self.peer_port

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class EtcdCluster:
    """n members. tls: a dict with ca, cert, key (server side, and
    client certificates are then required)."""

    def __init__(self, n=3, tls=None):
        self.tmp = Path(tempfile.mkdtemp(prefix="etcd-", dir="/tmp"))
        self.tls = tls
        self.token = "verge-test-" + self.tmp.name
        self.members = [Member(self, i) for i in range(n)]
        self.initial = ",".join("%s=%s" % (m.name, m.peer_url)
                                for m in self.members)

    @property
    def urls(self):
        return ",".join(m.url for m in self.members)

    def start_member(self, m):
        args = [ETCD, "--name", m.name, "--data-dir", str(m.dir),
                "--listen-client-urls", m.url,
                "--advertise-client-urls", m.url,
                "--listen-peer-urls", m.peer_url,
                "--initial-advertise-peer-urls", m.peer_url,
                "--initial-cluster", self.initial,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", self.token]
        if self.tls:
            args += ["--cert-file", self.tls["cert"],
                     "--key-file", self.tls["key"],
                     "--trusted-ca-file", self.tls["ca"],
                     "--client-cert-auth"]
        m.logf = open(m.log, "ab")
        m.proc = subprocess.Popen(args, stdout=m.logf, stderr=m.logf)

    def start(self):
        for m in self.members:
            self.start_member(m)
        self.wait_healthy()
        return self

    def healthy(self, m):
        if not m.alive():
            return False
        try:
            self.ctl(m, "endpoint", "health", timeout=3)
            return True
        except (subprocess.SubprocessError, OSError):
            return False

    def wait_healthy(self, timeout=30):
        deadline = time.monotonic() + timeout
        for m in self.members:
            while not self.healthy(m):
                if not m.alive():
                    raise RuntimeError("etcd %s exited:\n%s" % (
                        m.name, m.log.read_text(errors="replace")[-3000:]))
                if time.monotonic() > deadline:
                    raise RuntimeError("etcd %s not healthy" % m.name)
                time.sleep(0.1)

    def ctl(self, m, *args, timeout=10, user=None):
        cmd = [ETCDCTL, "--endpoints", m.url, "--dial-timeout", "2s",
               "--command-timeout", "3s"]
        if self.tls:
            cmd += ["--cacert", self.tls["ca"], "--cert",
                    self.tls["client_cert"], "--key", self.tls["client_key"]]
        if user:
            cmd += ["--user", user]
        return subprocess.run(cmd + list(args), check=True,
                              capture_output=True, text=True,
                              timeout=timeout,
                              env=dict(os.environ, ETCDCTL_API="3")).stdout

    def kill(self, m):
        """SIGKILL by pid, as a crash."""
        if m.alive():
            m.proc.kill()
            m.proc.wait()
            m.logf.close()

    def restart(self, m):
        self.start_member(m)

    def cleanup(self):
        for m in self.members:
            if m.alive():
                m.proc.send_signal(signal.SIGTERM)
                try:
                    m.proc.wait(10)
                except subprocess.TimeoutExpired:
                    m.proc.kill()
                    m.proc.wait()
                m.logf.close()
        subprocess.run(["rm", "-rf", str(self.tmp)], check=False)


def fleet_verged(name, endpoints, ttl_s=3, fleet_extra="", **kw):
    """A RestVerged registering as name in etcd at endpoints."""
    v = rh.RestVerged(host=name, **kw)
    with open(v.config, "a") as f:
        f.write("[fleet]\netcd = %s\nttl_s = %d\nsite = test-site\n%s"
                % (endpoints, ttl_s, fleet_extra))
    return v


def hosts_of(fleet):
    """{name: entry} of a /v1/fleet or /v1/hosts answer."""
    return {h["name"]: h for h in fleet["hosts"]}


def live_hosts(v):
    """The names a verged's /v1/hosts lists as live (not stale)."""
    try:
        f = v.get("/v1/hosts", timeout=5).json()
    except (OSError, ValueError):
        return None
    return sorted(h["name"] for h in f["hosts"] if not h.get("stale"))


def put_raw(m, key, value):
    """A key written straight to etcd's gateway (hostile records)."""
    import base64
    body = json.dumps({"key": base64.b64encode(key.encode()).decode(),
                       "value": base64.b64encode(value.encode()).decode()})
    req = urllib.request.Request(m.url + "/v3/kv/put", body.encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)
