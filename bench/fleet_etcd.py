#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The fleet registry at scale (docs/fleet.md): one etcd member on
loopback, N lightweight registrants (default 1,000) that write the same
record schema as verged under leases of their own and keep them alive, and
one real verged registered among them.

Prints:
1. how long verged's view took to hold every host after the last write;
2. `verge fleet status` wall time (process start included), median and
   p95 over 20 runs, against the issue's 200 ms;
3. etcd's write rate in steady state (puts/s and lease renewals/s, from
   etcd's own /metrics, over BENCH_SECONDS * 3);
4. GET /v1/fleet (the same hosts' JSON) with wrk against nginx serving the
   same bytes, when wrk and nginx are installed (scripts/deps.sh --bench),
   with bench/rest.py's method.

Environment: VERGE_BUILD, BENCH_HOSTS (1000), BENCH_SECONDS (3).
"""

import base64
import http.client
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import etcd_harness as eh  # noqa: E402
import rest_harness as rh  # noqa: E402
import verged_harness as vh  # noqa: E402

HOSTS = int(os.environ.get("BENCH_HOSTS", "1000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
TTL = 10


def b64(s):
    return base64.b64encode(s.encode()).decode()


def record(i, url):
    return json.dumps({
        "name": "sim-%04d" % i, "url": url, "version": "0.1.0", "api": 1,
        "site": "bench", "capacity": {"cpus": 4, "memory_mib": 8192},
        "summary": {"vms": 3, "states": {
            "defined": 0, "starting": 0, "running": 3, "stopping": 0,
            "stopped": 0, "crashed": 0, "oom": 0},
            "agent": {"ok": 3, "stale": 0, "none": 0},
            "clock": {"exact": 0, "dilation": 3, "unreported": 0}}},
        sort_keys=True, separators=(",", ":"))


class Registrants:
    """HOSTS records, a lease each, kept alive by a few threads over
    persistent connections."""

    def __init__(self, port, n, threads=4):
        self.port = port
        self.n = n
        self.leases = []
        self.stop = threading.Event()
        self.threads = threads

    def post(self, conn, path, body):
        conn.request("POST", path, json.dumps(body),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        assert r.status == 200, data
        return json.loads(data)

    def register(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        for i in range(self.n):
            lease = self.post(c, "/v3/lease/grant", {"TTL": TTL})["ID"]
            self.post(c, "/v3/kv/put", {
                "key": b64("/verge/hosts/sim-%04d" % i),
                "value": b64(record(i, "http://127.0.0.%d:%d" % (
                    2 + i // 60000, 1024 + i % 60000))),
                "lease": lease})
            self.leases.append(lease)
        c.close()

    def keep(self, part):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stop.is_set():
            t0 = time.monotonic()
            for lease in part:
                self.post(c, "/v3/lease/keepalive", {"ID": lease})
            self.stop.wait(max(0, TTL / 3 - (time.monotonic() - t0)))
        c.close()

    def start_keepalives(self):
        self.workers = [threading.Thread(target=self.keep, args=(
            self.leases[i::self.threads],), daemon=True)
            for i in range(self.threads)]
        for w in self.workers:
            w.start()

    def end(self):
        self.stop.set()
        for w in self.workers:
            w.join()


def etcd_counter(m, name):
    c = http.client.HTTPConnection("127.0.0.1", m.client_port, timeout=5)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    return sum(float(v) for v in re.findall(
        r"^%s(?:\{[^}]*\})? (\S+)$" % name, text, re.M))


def verge_ms(v, args, runs=20):
    """Wall times (sorted) and the mean CPU time (user + sys) of verge
    ARGS: on a shared machine the wall time is mostly waiting for a core,
    the CPU time is what verge itself costs."""
    ts = []
    env = dict(v.env, VERGE_TOKEN=rh.FLEET_TOKEN)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        t0 = time.monotonic()
        r = subprocess.run([str(vh.verge_bin()), "--url", v.url, *args],
                           capture_output=True, env=env, timeout=30)
        ts.append((time.monotonic() - t0) * 1e3)
        assert r.returncode == 0, r.stderr
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e3
    ts.sort()
    return r.stdout, ts, cpu / runs


def fleet_status_ms(v):
    out, ts, cpu = verge_ms(v, ["--json", "fleet", "status"])
    _, base, base_cpu = verge_ms(v, ["version"])
    n = len(json.loads(out)["hosts"])
    return (n, statistics.median(ts), ts[int(len(ts) * 0.95) - 1], cpu,
            statistics.median(base), base_cpu)


def main():
    cluster = eh.EtcdCluster(1)
    regs = None
    v = None
    try:
        cluster.start()
        m = cluster.members[0]
        regs = Registrants(m.client_port, HOSTS)
        v = eh.fleet_verged("real", m.url, ttl_s=TTL)
        v.start()
        t0 = time.monotonic()
        regs.register()
        regs.start_keepalives()
        t_written = time.monotonic()
        vh.wait_for("every host in verged's view", lambda: len(
            v.get("/v1/hosts").json()["hosts"]) == HOSTS + 1, 60, 0.02)
        t_seen = time.monotonic()
        print("%d hosts registered in %.1f s; verged's view whole %.0f ms"
              " after the last write (watched)" % (
                  HOSTS, t_written - t0, (t_seen - t_written) * 1e3))
        t1 = time.monotonic()
        for _ in range(20):
            v.get("/v1/fleet")
        print("GET /v1/fleet alone (Python client): %.1f ms" % (
            (time.monotonic() - t1) / 20 * 1e3))
        n, p50, p95, cpu, base, base_cpu = fleet_status_ms(v)
        print("verge fleet status --json, %d hosts: wall p50 %.0f ms, p95"
              " %.0f ms (target 200 ms: %s), CPU %.0f ms; verge version for"
              " scale: wall p50 %.0f ms, CPU %.0f ms" % (
                  n, p50, p95, "met" if p95 <= 200 else "MISSED", cpu,
                  base, base_cpu))
        span = 3 * SECONDS
        puts0 = etcd_counter(m, "etcd_mvcc_put_total")
        renew0 = etcd_counter(m, "etcd_debugging_lease_renewed_total")
        time.sleep(span)
        puts = etcd_counter(m, "etcd_mvcc_put_total") - puts0
        renew = etcd_counter(m, "etcd_debugging_lease_renewed_total") - \
            renew0
        print("etcd in steady state over %d s: %.2f puts/s (records"
              " rewritten), %.0f lease renewals/s (%d hosts, TTL %d s)" % (
                  span, puts / span, renew / span, HOSTS + 1, TTL))
        body = v.get("/v1/fleet").body
        print("GET /v1/fleet: %d bytes for %d hosts" % (len(body), n))
        if shutil.which("wrk") and (shutil.which("nginx") or shutil.which(
                "nginx", path="/usr/sbin")):
            import rest as rb
            rb.NVMS = 0
            tmp = Path(tempfile.mkdtemp(prefix="bfe-", dir="/tmp"))
            proc, url = rb.start_nginx(tmp, {"fleet.json": body,
                                             "vms.json": b"[]"})
            try:
                rb.throughput(v, url, "/v1/fleet")
            finally:
                rb.stop_nginx(proc)
                subprocess.run(["rm", "-rf", str(tmp)], check=False)
        else:
            print("GET /v1/fleet against nginx: not measured (wrk or nginx"
                  " missing: scripts/deps.sh --bench)")
    finally:
        if regs and getattr(regs, "workers", None):
            regs.end()
        if v:
            v.cleanup()
        cluster.cleanup()


if __name__ == "__main__":
    main()
