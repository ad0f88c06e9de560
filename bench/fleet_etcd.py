#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The fleet registry at scale (docs/fleet.md): one etcd member on
loopback, N lightweight registrants (default 1,000) that write the same
record schema as verged under leases of their own and keep them alive, and
one real verged registered among them.

Prints:
1. how long verged's view took to hold every host after the last write;
2. `verge fleet status` (--json, and the table) wall time (process
   start included), median and p95 over 20 runs, against the issue's
   200 ms, and its CPU time; with BENCH_BASELINE=DIR (another tree's
   build directory), that tree's verged registered beside this one and
   its verge timed against it, run by run in turn;
3. etcd's write rate in steady state (puts/s and lease renewals/s, from
   etcd's own /metrics, over BENCH_SECONDS * 3);
4. GET /v1/fleet (the same hosts' JSON) with wrk -c64 and -c1 against
   nginx (started on loopback on a free port with its configuration in a
   directory of its own, stopped by its pid) serving the same bytes, and
   the ratios, when wrk and nginx are installed (scripts/deps.sh --bench),
   with bench/rest.py's method; then the servers' CPU time per request
   (from /proc), which a loaded machine does not skew as it skews req/s.

Environment: VERGE_BUILD, BENCH_HOSTS (1000), BENCH_SECONDS (3),
BENCH_BASELINE.
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
# a build directory of another tree: its verged beside this one and its
# verge timed against it, side by side in this run
BASELINE = os.environ.get("BENCH_BASELINE")
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


def run_timed(verge, url, args, env):
    """stdout and wall ms of one verge run."""
    t0 = time.monotonic()
    r = subprocess.run([verge, "--url", url, *args], env=env,
                       capture_output=True, timeout=30)
    wall = (time.monotonic() - t0) * 1e3
    assert r.returncode == 0, r.stderr
    return r.stdout, wall


def verge_ms(clients, args, runs=20):
    """verge ARGS of each (name, verge binary, verged) in clients,
    interleaved run by run so that each sees the same load: per client the
    wall times (sorted) and the mean CPU time (user + sys). On a shared
    machine the wall time is mostly waiting for a core; the CPU time is
    what verge itself costs."""
    res = {name: ([], 0.0, None) for name, _, _ in clients}
    for _ in range(runs):
        for name, verge, v in clients:
            env = dict(v.env, VERGE_TOKEN=rh.FLEET_TOKEN)
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            out, wall = run_timed(str(verge), v.url, args, env)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime -
                   r0.ru_stime) * 1e3
            ts, c, _ = res[name]
            ts.append(wall)
            res[name] = (ts, c + cpu / runs, out)
    out = {}
    for name, (ts, cpu, stdout) in res.items():
        ts.sort()
        out[name] = (stdout, statistics.median(ts),
                     ts[int(len(ts) * 0.95) - 1], cpu)
    return out


def fleet_status_ms(clients):
    """Per client: hosts listed, wall p50, p95, CPU of `verge --json
    fleet status`, and of `verge fleet status` (the table)."""
    js = verge_ms(clients, ["--json", "fleet", "status"])
    table = verge_ms(clients, ["fleet", "status"])
    return {name: (len(json.loads(js[name][0])["hosts"]), js[name][1:],
                   table[name][1:]) for name in js}


def cpu_s(pids):
    """User + system seconds of the processes pids (all their threads)."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / hz


def nginx_pids(master):
    """nginx's master and its workers."""
    kids = []
    for t in os.listdir("/proc/%d/task" % master):
        with open("/proc/%d/task/%s/children" % (master, t)) as f:
            kids += [int(p) for p in f.read().split()]
    return [master] + kids


def cpu_per_request(rb, targets, conns, threads):
    """Server CPU microseconds per request under wrk, per (name, url,
    pids): what a server costs whatever else the machine runs, where a
    req/s figure on a shared machine mostly says who got the cores."""
    out = {}
    for name, url, pids in targets:
        c0 = cpu_s(pids)
        rps = rb.wrk(url, conns, threads)[0]
        out[name] = (cpu_s(pids) - c0) / max(1.0, rps * rb.SECONDS) * 1e6
    return out


def start_verged(name, url, build=None):
    """A verged registered in etcd; from build (a build directory) when
    given, else from VERGE_BUILD."""
    saved = os.environ.get("VERGED")
    if build:
        os.environ["VERGED"] = str(Path(build) / "verged")
    try:
        # wrk -c64 comes from one address: more than the default limit
        v = eh.fleet_verged(name, url, ttl_s=TTL,
                            rest_extra="max_per_ip = 256\n")
        v.start()
    finally:
        if saved is None:
            os.environ.pop("VERGED", None)
        else:
            os.environ["VERGED"] = saved
    return v


def main():
    cluster = eh.EtcdCluster(1)
    regs = None
    v = base = None
    try:
        cluster.start()
        m = cluster.members[0]
        regs = Registrants(m.client_port, HOSTS)
        v = start_verged("real", m.url)
        clients = [("this tree", vh.verge_bin(), v)]
        if BASELINE:
            base = start_verged("baseline", m.url, BASELINE)
            clients.append(("baseline", Path(BASELINE) / "verge", base))
        t0 = time.monotonic()
        regs.register()
        regs.start_keepalives()
        t_written = time.monotonic()
        vh.wait_for("every host in verged's view", lambda: len(
            v.get("/v1/hosts").json()["hosts"]) == HOSTS + len(clients),
            60, 0.02)
        t_seen = time.monotonic()
        print("%d hosts registered in %.1f s; verged's view whole %.0f ms"
              " after the last write (watched)" % (
                  HOSTS, t_written - t0, (t_seen - t_written) * 1e3))
        t1 = time.monotonic()
        for _ in range(20):
            v.get("/v1/fleet")
        print("GET /v1/fleet alone (Python client): %.1f ms" % (
            (time.monotonic() - t1) / 20 * 1e3))
        for name, (n, js, table) in fleet_status_ms(clients).items():
            for what, (p50, p95, cpu) in (("--json fleet status", js),
                                          ("fleet status", table)):
                print("%-9s verge %-19s %d hosts: wall p50 %3.0f ms, p95"
                      " %3.0f ms (target 200 ms: %s), CPU %2.0f ms" % (
                          name, what, n, p50, p95,
                          "met" if p95 <= 200 else "MISSED", cpu))
        span = 3 * SECONDS
        puts0 = etcd_counter(m, "etcd_mvcc_put_total")
        renew0 = etcd_counter(m, "etcd_debugging_lease_renewed_total")
        time.sleep(span)
        puts = etcd_counter(m, "etcd_mvcc_put_total") - puts0
        renew = etcd_counter(m, "etcd_debugging_lease_renewed_total") - \
            renew0
        print("etcd in steady state over %d s: %.2f puts/s (records"
              " rewritten), %.0f lease renewals/s (%d hosts, TTL %d s)" % (
                  span, puts / span, renew / span, HOSTS + len(clients),
                  TTL))
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
                for name, _, w in clients:
                    print("%s:" % name)
                    rb.throughput(w, url, "/v1/fleet",
                                  what="%d hosts from etcd" % n)
                print("server CPU per request (user + system, all"
                      " threads and workers), medians of %d runs:" %
                      rb.ROUNDS)
                targets = [(name, w.url + "/v1/fleet", [w.proc.pid])
                           for name, _, w in clients]
                targets.append(("nginx", url, nginx_pids(proc.pid)))
                for conns, threads in ((64, 2), (1, 1)):
                    runs = [cpu_per_request(rb, targets, conns, threads)
                            for _ in range(rb.ROUNDS)]
                    med = {t[0]: statistics.median(r[t[0]] for r in runs)
                           for t in targets}
                    print("  -c%d: %s" % (conns, ", ".join(
                        "%s %.0f us" % (k, v) for k, v in med.items())))
                    for name, _, _ in clients:
                        print("  -c%d %s: nginx/verged CPU per request"
                              " %.2fx (>= 0.5x: verged holds half of"
                              " nginx's throughput on the same cores)" % (
                                  conns, name, med["nginx"] / med[name]))
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
        if base:
            base.cleanup()
        cluster.cleanup()


if __name__ == "__main__":
    main()
