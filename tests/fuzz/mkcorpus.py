#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora of the fuzz harnesses into tests/fuzz/corpus/
(committed; rerun after changing a harness's input format):
    python3 tests/fuzz/mkcorpus.py [CACHE]
The inputs come from the unit tests' cases; the DTBs from CACHE/virt.dtb
(QEMU's, packed with dtc) when it is there."""

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus"
CACHE = Path(sys.argv[1] if len(sys.argv) > 1 else ".cache")


def write(harness, name, data):
    d = OUT / harness
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


# --- frame: first byte the push size, then the stream -----------------------
def frame(ftype, payload=b"", flags=0, seq=1, version=1):
    h = struct.pack("<IBBHII", 0x45475256, version, ftype, flags, seq,
                    len(payload))
    return h + payload + struct.pack("<I", zlib.crc32(h + payload))


write("frame", "hello", b"\xff" + frame(0x01, struct.pack("<HH", 1, 1)))
write("frame", "rate-split", b"\x02" + frame(0x11, struct.pack("<II", 1, 2)))
write("frame", "garbage-then-two", b"\x10" + b"VRG\x00xx" +
      frame(0x02, b"ping" * 20, seq=7) + frame(0x43, b"panic", flags=4))
write("frame", "bad-crc-resync", b"\x40" + frame(0x10)[:-1] + b"\x00" +
      frame(0x20, flags=1, seq=3))
write("frame", "error-reply", b"\x07" + frame(0x11, struct.pack("<i", 4) +
                                            b"out of range", flags=3))
write("frame", "oversize", b"\x80" + struct.pack("<IBBHII", 0x45475256, 1,
                                               2, 0, 1, 5000) + b"x" * 64)

# --- bootargs: the property text ---------------------------------------------
for i, a in enumerate([
        "verge.kernel=0x44000000 -- console=ttyAMA0 root=/dev/vda",
        "verge.kernel=1140850688 verge.tick=250 verge.stats=10",
        "verge.kernel=0x44000000 verge.uuid=01234567-89AB-cdef-0011-223344556677 --",
        "verge.kernel=0x44000000 verge.rate=1/3 verge.freq=125000000 --",
        "verge.kernel=0x44000000 verge.rate=0.123456789 verge.ptimer=1 verge.acpi=1",
        " \tverge.kernel=0x44000000\t\tverge.tick=50\n  --  \t a -- b",
        "verge.kernel=0xffffffffffffffff verge.rate=100",
        "verge.kernel=0x44000000 verge.tick=10 verge.tick=20",
        "console=ttyAMA0"]):
    write("bootargs", "args%d" % i, a)

# --- acpi: DTBs ----------------------------------------------------------------
virt = CACHE / "virt.dtb"
if virt.exists():
    packed = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dtb", str(virt)],
                            capture_output=True, check=True).stdout
    write("acpi", "virt.dtb", packed)
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(virt)],
                         capture_output=True, check=True, text=True).stdout
    # no timer node: refused with a reason
    cut = dts.replace("timer {", "notimer {")
    write("acpi", "no-timer.dtb", subprocess.run(
        ["dtc", "-q", "-I", "dts", "-O", "dtb", "-"], input=cut.encode(),
        capture_output=True, check=True).stdout)
    write("acpi", "truncated.dtb", packed[:len(packed) // 2])

# --- backdoor: programs (fuzz_backdoor.c opcodes) ---------------------------
def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def send(ch, text):
    return bytes([3, ch]) + u16(len(text)) + text


def lb(ch, msgtype, ebx=0):
    return bytes([1, msgtype, ch]) + u32(ebx)


RECV = lb(0, 3) + lb(0, 4) + lb(0, 4) + lb(0, 4) + lb(0, 5, 1)
write("backdoor", "rpci-info-set-get",
      b"\x00\x00" + send(0, b"info-set guestinfo.k v w") + RECV +
      send(0, b"info-get guestinfo.k") + RECV + lb(0, 6))
write("backdoor", "rpci-cookie", b"\x20\x00" + send(0, b"log hello") + RECV)
write("backdoor", "tclo", b"\x09\x10" + b"\x07" + u16(12) + b"verge.ping 1" +
      b"\x10\x01" + lb(1, 3) + lb(1, 4) + lb(1, 4) + lb(1, 4) +
      lb(1, 5, 1) + send(1, b"OK 1 {}") + lb(1, 3))
write("backdoor", "hb", b"\x08" + u16(16) + b"info-get guestinfo.k"[:16] +
      u16(0) + b"\x00\x00" + send(0, b"info-set guestinfo.x 1") + b"\x04\x00"
      + u16(16) + u16(0) + u16(0x100) + b"\x14\x00" + u16(4) + u16(0x200) +
      u16(0x200))
write("backdoor", "commands", b"\x55" + u32(0x564D5868) + u32(0) +
      u32(10) + u32(0x5658) + u32(0) * 3 + b"\x55" + u32(0) * 2 + u32(46) +
      u32(0) * 4 + b"\x19\x20" + b"\x55" + u32(0) * 2 + u32(19) + u32(0) * 4)
write("backdoor", "host-guestinfo", b"\x06" + u16(13) + b"vm.name\x00web-1" +
      b"\x00\x00" + send(0, b"info-get guestinfo.vm.name") + RECV)

# --- guest_agent: TCLO command line, then writer calls ----------------------
write("guest_agent", "ping", b"verge.ping 7\n\x40\x00" + b"\x80\x02os\x04\x05Linux"
      b"\x86\x01n\x06\x01\x02\x8a\x01t\x01")
write("guest_agent", "guestinfo", b"verge.guestinfo 3 vm.name\n\x20\x00\x84\x01v"
      b"\x05\x06a\"b\\\x01c\x01")
write("guest_agent", "report", b"verge.report 18446744073709551615\n\xff\x00"
      b"\x82\x02hv\x00\x08\x41\x42\x06\x0b\x03\x03\x01")
write("guest_agent", "reset", b"reset\n\x10\x02\x04\x03abc\x03")
write("guest_agent", "bad-id", b"verge.detect x\n\x01\x0b")

# --- cli: command index, mode, a reply ---------------------------------------
clock = {"rate": "1/4", "rate_num": 1, "rate_den": 4, "freq_hz": 250000000,
         "next_freq_hz": 125000000, "host_freq_hz": 62500000,
         "live": True}
vm = {"name": "web-1", "uuid": "0123", "state": "running",
      "desired": "running", "kernel": "/k", "initrd": None, "cmdline": "x",
      "memory_mib": 256, "cpus": 2, "restart": "no", "pid": 4,
      "boots": 2, "started_at": 1.7e9, "uptime_s": 12.5, "clock": clock,
      "agent": {"age_s": 3, "detect": {"verdict": "virtual"}},
      "text": "boot\x1b[2J\n", "value": "v", "rtt_ms": 0.5,
      "method": "slew", "offset_ns": 1000, "after_ns": -5,
      "received_at": 1.7e9, "age_s": 1, "reports": 3,
      "report": {"os": "Linux", "hv": {"detected": True, "n": [1, 2]}}}
event = {"id": 7, "time": 1.7e9, "vm": "web-1", "type": "vm.define",
         "uid": 0, "detail": {"kernel": "/k", "cpus": 2}}
fleet = {"host": "h1", "hosts": [{"host": "h1", "self": True,
                                  "reachable": True, "url": "http://a"},
                                 {"host": "h2", "reachable": False,
                                  "error": "timeout", "url": "http://b"}],
         "vms": [dict(vm, host="h1")], "unreachable": ["http://b"]}
error = {"code": -32602, "message": "memory_mib: out of range",
         "data": {"name": "invalid_params", "param": "memory_mib"}}
for i in range(24):
    write("cli", "obj%02d" % i, bytes([i, 1]) + json.dumps(vm).encode())
    write("cli", "list%02d" % i, bytes([i, 5]) + json.dumps([vm, vm]).encode())
write("cli", "events", bytes([0, 1]) + json.dumps([event, event]).encode())
write("cli", "fleet", bytes([0, 1]) + json.dumps(fleet).encode())
write("cli", "error", bytes([0, 8]) + json.dumps(error).encode())
write("cli", "json", bytes([0, 3]) + json.dumps(vm).encode())

# --- rpc: who, then one message ------------------------------------------------
def rpc(method, params=None, rid=1):
    m = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        m["params"] = params
    return json.dumps(m).encode()


msgs = {
    "version": rpc("daemon.version"),
    "list": rpc("vm.list", {}),
    "show": rpc("vm.show", {"name": "web-1"}),
    "define": rpc("vm.define", {"name": "x", "kernel": "/etc/hostname",
                                "rate": "0.5", "memory_mib": 256,
                                "cpus": 2, "restart": "on-crash"}),
    "define-bad": rpc("vm.define", {"name": "-bad", "kernel": "rel"}),
    "undefine": rpc("vm.undefine", {"name": "db.2"}),
    "start": rpc("vm.start", {"name": "web-1"}),
    "stop": rpc("vm.stop", {"name": "web-1", "timeout_s": 5}),
    "console": rpc("vm.console", {"name": "web-1", "bytes": 10}),
    "clock": rpc("clock.set_rate", {"name": "web-1", "rate": "1/3"}),
    "step": rpc("clock.step", {"name": "web-1", "ns": 1000}),
    "gi-get": rpc("guestinfo.get", {"name": "web-1", "key": "k"}),
    "gi-set": rpc("guestinfo.set", {"name": "web-1", "key": "k",
                                    "value": "v"}),
    "events": rpc("events.list", {"vm": "web-1", "since": 0, "limit": 5}),
    "subscribe": rpc("events.subscribe", {}),
    "agent": rpc("agent.show", {"name": "web-1"}),
    "notification": b'{"jsonrpc":"2.0","method":"vm.list"}',
    "batch": b"[" + rpc("vm.list") + b"," + rpc("vm.show", {"name": "x"}, 2)
             + b',1,{"jsonrpc":"2.0","method":"vm.list"}]',
    "parse-error": b'{"jsonrpc": "2.0", ',
    "deep": b"[" * 40 + b"]" * 40,
    "nul": b'{"jsonrpc":"2.0","id":"a","method":"vm.show","params":'
           b'{"name":"x\\u0000y"}}',
}
for k, v in msgs.items():
    write("rpc", k, b"\x01" + v)
write("rpc", "other-user", b"\x00" + msgs["gi-set"])

# --- rest: method, target, headers ------------------------------------------
AUTH = "Authorization: Bearer fuzz-token"
for i, (m, t, h) in enumerate([
        ("GET", "/healthz", []),
        ("GET", "/v1/vms", [AUTH]),
        ("GET", "/v1/vms/web-1", [AUTH, 'If-None-Match: W/"x", *']),
        ("HEAD", "/v1/vms/web-1/clock", [AUTH]),
        ("GET", "/v1/vms/web-1/agent", [AUTH]),
        ("GET", "/v1/vms/nope/agent", [AUTH]),
        ("GET", "/v1/events?since=0&limit=2&vm=web-1", [AUTH]),
        ("GET", "/v1/events?since=-1", [AUTH]),
        ("GET", "/v1/fleet?scope=local", [AUTH]),
        ("GET", "/v1/hosts", [AUTH]),
        ("GET", "/metrics", [AUTH]),
        ("POST", "/v1/vms", [AUTH]),
        ("GET", "/v1/vms", ["Authorization: Bearer wrong"]),
        ("GET", "/v1/vms/%00x", [AUTH])]):
    write("rest", "req%02d" % i, "\n".join([m, t] + h))
# whole connections, for the raw pass (fuzz_rest.c sends every input as
# it is too): pipelined requests, HTTP/1.0, a body, a header too many
for i, raw in enumerate([
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /v1/vms HTTP/1.1\r\n"
        "Host: x\r\n%s\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n" % AUTH,
        "GET /v1/vms/web-1 HTTP/1.0\r\nConnection: keep-alive\r\n%s\r\n"
        "\r\nGET /healthz HTTP/1.0\r\n\r\n" % AUTH,
        "POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        "GET /v1/vms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "\r\n0\r\n\r\n",
        "GET /v1/events?since=1&vm=web%%2D1&limit=1 HTTP/1.1\r\nHost: x\r\n"
        "%s\r\nConnection: close\r\n\r\n" % AUTH]):
    write("rest", "raw%02d" % i, raw)
