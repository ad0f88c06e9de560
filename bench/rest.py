#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""REST figures (TARGETS.md, "Fleet JSON over HTTP"), side by side in one
run:

1. GET /v1/fleet with 1,000 VMs in the snapshot, wrk -t2 -c64 and -c1,
   against nginx serving the same bytes as a static file on loopback
   (started here with a temporary configuration, stopped by its pid).
   Prints requests/s, p50 and p99, and the ratios against the targets
   (throughput >= 0.9x nginx, p99 <= 2x nginx's).
2. Fleet fan-out latency: a verged with 2 peers, one of them down (killed
   by its pid), against the same verged answering for itself only.

Environment: VERGE_BUILD (build dir), BENCH_SECONDS (per wrk run, 3),
BENCH_ROUNDS (3; medians are printed).
"""

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import rest_harness as rh  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
NVMS = 1000

NGINX_CONF = """
daemon off;
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = /v1/fleet {{
            default_type application/json;
            alias {tmp}/fleet.json;
        }}
        location = /v1/vms {{
            default_type application/json;
            alias {tmp}/vms.json;
        }}
    }}
}}
"""


def need(tool):
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin")
    if not path:
        sys.exit("bench/rest.py: %s is missing; run scripts/deps.sh" % tool)
    return path


def to_ms(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", v)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def wrk(url, conns, threads):
    out = subprocess.run(
        [need("wrk"), "-t%d" % threads, "-c%d" % conns, "-d%ds" % SECONDS,
         "--latency", "-H", "Authorization: Bearer " + rh.FLEET_TOKEN,
         url], capture_output=True, text=True,
        timeout=SECONDS + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors or "Socket errors" in out:
        print("    wrk reported errors:\n" + out)
    return rps, to_ms(lat["50"]), to_ms(lat["99"])


def start_nginx(tmp, bodies):
    # run as root, nginx's workers drop to an unprivileged user
    tmp.chmod(0o755)
    for name, body in bodies.items():
        (tmp / name).write_bytes(body)
        (tmp / name).chmod(0o644)
    port = rh.free_port()
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=port))
    proc = subprocess.Popen([need("nginx"), "-c", str(tmp / "nginx.conf"),
                             "-p", str(tmp)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d/v1/fleet" % port
    if not rh.wait_for(lambda: try_get(port), timeout=10):
        stop_nginx(proc)
        sys.exit("nginx did not start: %s" % (tmp / "error.log"))
    return proc, url


def stop_nginx(proc):
    """SIGTERM to the master, which stops its workers, then waits."""
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def try_get(port):
    try:
        return rh.get(port, "/v1/fleet").status == 200
    except OSError:
        return False


def define_many(v, n):
    t0 = time.monotonic()
    with v.client() as c:
        for i in range(n):
            c.call("vm.define", name="vm-%04d" % i, kernel=v.kernel())
    return time.monotonic() - t0


def throughput(v, nginx_url, path="/v1/fleet", runs=((64, 2), (1, 1)),
               what=None):
    ours = v.url + path
    print("GET %s, %s (%d bytes), wrk %d s x %d rounds, medians:" % (
        path, what or "%d VMs" % NVMS, len(v.get(path).body), SECONDS,
        ROUNDS))
    print("  %-16s %10s %9s %9s" % ("", "req/s", "p50 ms", "p99 ms"))
    for conns, threads in runs:
        res = {"verged": [], "nginx": []}
        for _ in range(ROUNDS):       # interleaved: the same conditions
            res["verged"].append(wrk(ours, conns, threads))
            res["nginx"].append(wrk(nginx_url, conns, threads))
        med = {k: [statistics.median(x[i] for x in r) for i in range(3)]
               for k, r in res.items()}
        for k in ("verged", "nginx"):
            print("  %-16s %10.0f %9.3f %9.3f" % (
                "%s -c%d" % (k, conns), *med[k]))
        rps = med["verged"][0] / med["nginx"][0]
        p99 = med["verged"][2] / med["nginx"][2]
        print("  -c%d ratio verged/nginx: throughput %.2fx (target >= 0.9x:"
              " %s), p99 %.2fx (target <= 2x: %s)" % (
                  conns, rps, "met" if rps >= 0.9 else "MISSED", p99,
                  "met" if p99 <= 2 else "MISSED"))


def latency(v, path, n=50):
    ts = []
    for _ in range(n):
        t0 = time.monotonic()
        r = v.get(path)
        ts.append((time.monotonic() - t0) * 1e3)
        assert r.status == 200, r
    ts.sort()
    return statistics.median(ts), ts[int(len(ts) * 0.99) - 1]


def fanout():
    beta = rh.RestVerged(host="beta")
    gamma = rh.RestVerged(host="gamma")
    made = [beta, gamma]
    try:
        beta.start()
        gamma.start()
        beta.define(*("b-%d" % i for i in range(10)))
        gamma.define("g-0")
        for cache in (0, 1000):
            alpha = rh.RestVerged(
                host="alpha", peers=(beta.url, gamma.url),
                rest_extra="peer_timeout_ms = 1000\npeer_cache_ms = %d\n"
                % cache)
            made.append(alpha)
            alpha.start()
            alpha.define("a-0")
            if gamma.alive():
                gamma.kill9()      # the peer that is down
            f = alpha.get("/v1/fleet").json()
            down = [h for h in f["hosts"] if not h["reachable"]]
            assert len(down) == 1 and len(f["vms"]) == 11, f
            local = latency(alpha, "/v1/fleet?scope=local")
            fleet = latency(alpha, "/v1/fleet")
            print("fan-out, 2 peers (one down), peer_cache_ms=%d: /v1/fleet"
                  " p50 %.2f ms p99 %.2f ms; local only p50 %.2f ms p99 "
                  "%.2f ms; ratio p50 %.1fx" % (cache, *fleet, *local,
                                                fleet[0] / local[0]))
            alpha.cleanup()
    finally:
        for v in made:
            v.cleanup()


def main():
    # wrk -c64 comes from one address: more than the default per-IP limit
    v = rh.RestVerged(host="bench", rest_extra="max_per_ip = 256\n")
    tmp = Path(tempfile.mkdtemp(prefix="vrb-", dir="/tmp"))
    nginx = None
    try:
        v.start()
        took = define_many(v, NVMS)
        print("defined %d VMs over JSON-RPC in %.1f s (each reply waits"
              " for its REST snapshot)" % (NVMS, took))
        nginx, nginx_url = start_nginx(tmp, {
            "fleet.json": v.get("/v1/fleet").body,
            "vms.json": v.get("/v1/vms").body})
        throughput(v, nginx_url)
        # the full VM objects: the ~400 KB of TARGETS.md's anchor
        throughput(v, nginx_url.replace("/v1/fleet", "/v1/vms"), "/v1/vms",
                   ((64, 2),))
    finally:
        if nginx:
            stop_nginx(nginx)
        v.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    fanout()


if __name__ == "__main__":
    main()
