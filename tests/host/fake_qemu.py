#!/usr/bin/python3
"""A stand-in for QEMU + verge-hv + the guest agent, for verged's host
tests of the guest-tools path. The hypervisor's backdoor relay and the
guest agent are built by other components; until they are integrated,
this plays their documented part (docs/jsonrpc.md "Guest agent
messages", docs/management-protocol.md) so verged's side can be tested
for real over real sockets: QMP on qmp.sock, management frames (encoded
by tests/mgmt.py's independent encoder) on mgmt.sock.

It takes QEMU's command line as verged builds it, writes -pidfile, and:
- QMP: greeting, qmp_capabilities, system_powerdown (POWERDOWN, then a
  guest SHUTDOWN and exit 0: a guest that honours the power button);
- management channel: HELLO, CLOCK_GET/SET_RATE, STATS_GET,
  GUESTINFO_SET, HOST_TIME_SET, TCLO_PUSH (answered by an EV_TCLO_REPLY as
  the agent would: "OK ID {json}"), EVENTS_ACK (held events, as
  verge_proto.h describes them: the two EV_BOOT of the hypervisor's start
  are held from before anyone connects until they are acknowledged), and
  at connect an agent hello, a report, a guestinfo key and some malformed
  guest input;
- records what it received in RUN/vms/NAME/fake.log (one JSON per line).
Behaviour switches come from the guest command line (after "--"):
fake.mute_tclo=1 never answers TCLO commands; fake.ignore_button=1
ignores the power button (like the test initramfs); fake.miss_presses=N
misses the first N presses (like a guest that is not running through
QEMU's 100 ms button pulse).
"""

import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mgmt  # noqa: E402

CLOCK = mgmt.CLOCK


def qemu_opts(text):
    """QEMU's "a,b=c,d=e,,f" option syntax (",," is a literal comma)."""
    parts = text.replace(",,", "\0").split(",")
    return [p.replace("\0", ",") for p in parts]


def chardev_paths(argv):
    paths = {}
    for i, a in enumerate(argv[:-1]):
        if a == "-chardev":
            opts = dict(kv.split("=", 1) for kv in qemu_opts(argv[i + 1])[1:]
                        if "=" in kv)
            paths[opts["id"]] = opts["path"]
    return paths


class Fake:
    def __init__(self, argv):
        self.paths = chardev_paths(argv)
        self.pidfile = argv[argv.index("-pidfile") + 1]
        append = argv[argv.index("-append") + 1]
        self.guest = append.split(" -- ", 1)[1] if " -- " in append else ""
        self.mute_tclo = "fake.mute_tclo=1" in self.guest
        self.deaf = "fake.ignore_button=1" in self.guest
        self.misses = 0
        for w in self.guest.split():
            if w.startswith("fake.miss_presses="):
                self.misses = int(w.split("=", 1)[1])
        self.rundir = os.path.dirname(self.paths["qmp"])
        self.log = open(os.path.join(self.rundir, "fake.log"), "a",
                        buffering=1)
        self.rate = (1, 1)
        self.lock = threading.Lock()
        # held events: the hypervisor's start, sent to nobody
        self.boot_id = struct.unpack("<Q", os.urandom(8))[0] | 1
        self.held, self.next_seq, self.lost = [], 1, 0
        self.hold(mgmt.EV_BOOT, struct.pack("<II", 1, 0))
        self.hold(mgmt.EV_BOOT, struct.pack("<II", 2, 0))

    def hold(self, type_, head):
        """Keeps a held event (payload head + boot_id); returns it."""
        ev = (self.next_seq, type_,
              head + struct.pack("<Q", self.boot_id))
        self.next_seq += 1
        if len(self.held) == mgmt.EVQ_DEPTH:
            self.held.pop(0)
            self.lost += 1
        self.held.append(ev)
        return ev

    def note(self, **kv):
        with self.lock:
            self.log.write(json.dumps(kv) + "\n")

    def listen(self, path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(1)
        return s

    # -- QMP ---------------------------------------------------------------
    def qmp(self, srv):
        while True:
            c, _ = srv.accept()
            f = c.makefile("rwb", buffering=0)
            f.write(b'{"QMP": {"version": {}, "capabilities": []}}\n')
            for line in f:
                cmd = json.loads(line)
                f.write(json.dumps({"return": {}, "id": cmd.get("id")})
                        .encode() + b"\n")
                self.note(qmp=cmd["execute"])
                if cmd["execute"] == "system_powerdown" and self.misses:
                    self.misses -= 1
                elif cmd["execute"] == "system_powerdown" and not self.deaf:
                    f.write(b'{"event": "POWERDOWN", "data": {}}\n')
                    time.sleep(0.2)
                    f.write(b'{"event": "SHUTDOWN", "data": {"guest": true,'
                            b' "reason": "guest-shutdown"}}\n')
                    time.sleep(0.1)
                    os._exit(0)
            c.close()

    # -- management channel ----------------------------------------------
    def send(self, c, type_, payload=b"", flags=0, seq=0):
        with self.lock:
            c.sendall(mgmt.frame(type_, payload, flags=flags, seq=seq))

    def event(self, c, type_, payload):
        self.send(c, type_, payload, flags=mgmt.F_EVENT)

    def clock(self):
        return CLOCK.pack(1000, 62500000, 500, 62500000, 0, self.rate[0],
                          self.rate[1], 0, 0, 0, 0, 0)

    def events_ack(self, c, seq, body):
        boot, acked, flags = mgmt.EVENTS_ACK.unpack(body)
        self.note(events_ack=[boot, acked, flags])
        if flags & ~mgmt.ACK_REPLAY:
            self.send(c, mgmt.EVENTS_ACK_T, struct.pack("<i", 4) +
                      b"unknown EVENTS_ACK flags",
                      flags=mgmt.F_REPLY | mgmt.F_ERROR, seq=seq)
            return
        seqs = [e[0] for e in self.held]
        if boot == self.boot_id and acked in seqs:
            del self.held[:seqs.index(acked) + 1]
        first = self.held[0][0] if self.held else self.next_seq
        with self.lock:     # the reply and the replay: nothing between
            c.sendall(mgmt.frame(mgmt.EVENTS_ACK_T, mgmt.EVENTS_STATE.pack(
                self.boot_id, first, self.next_seq, self.lost),
                flags=mgmt.F_REPLY, seq=seq))
            for hseq, htype, payload in (self.held if flags else []):
                c.sendall(mgmt.frame(htype, payload, flags=mgmt.F_EVENT,
                                     seq=hseq))

    def on_request(self, c, type_, seq, body):
        reply = b""
        if type_ == mgmt.EVENTS_ACK_T:
            self.events_ack(c, seq, body)
            return
        if type_ == mgmt.HELLO:
            reply = struct.pack("<HHI", 1, 0, 0x000100)
        elif type_ in (mgmt.CLOCK_GET, mgmt.CLOCK_SET_RATE):
            if type_ == mgmt.CLOCK_SET_RATE:
                self.rate = struct.unpack("<II", body)
                self.note(set_rate=list(self.rate))
            reply = self.clock()
        elif type_ == mgmt.STATS_GET:
            reply = mgmt.STATS.pack(*range(16))
        elif type_ == mgmt.GUESTINFO_SET:
            k, v = body.split(b"\0", 1)
            self.note(guestinfo_set=[k.decode(), v.decode()])
        elif type_ == mgmt.HOST_TIME_SET:
            self.note(host_time_set=struct.unpack("<Q", body)[0])
        elif type_ == mgmt.TCLO_PUSH:
            self.note(tclo=body.decode())
        self.send(c, type_, reply, flags=mgmt.F_REPLY, seq=seq)
        if type_ == mgmt.TCLO_PUSH and not self.mute_tclo:
            verb, tid = body.decode().split()[:2]
            answer = {"verge.ping": {},
                      "verge.detect": {"verdict": "verge",
                                       "virtualized": True,
                                       "basis": "backdoor",
                                       "confidence": 0.9962},
                      "verge.timesync": {"action": "step",
                                         "offset_ns": 1234567,
                                         "after_ns": 1500, "host_ns": 1,
                                         "slew_pending_ns": 0}}.get(verb)
            text = ("OK %s %s" % (tid, json.dumps(answer)) if answer is not
                    None else "ERROR %s unknown command" % tid)
            time.sleep(0.01)
            self.event(c, mgmt.EV_TCLO_REPLY, text.encode())

    def guest_says(self, c):
        """What a booting guest and its agent send, good and bad."""
        self.event(c, mgmt.EV_RPCI, b'verge.hello {"agent_version": "0.1.0"}')
        self.event(c, mgmt.EV_RPCI, b"verge.report {not json")
        self.event(c, mgmt.EV_RPCI, b"verge.report [1, 2]")
        self.event(c, mgmt.EV_RPCI, b"tools.set.version 1")
        self.event(c, mgmt.EV_TCLO_REPLY, b"OK 999999 {}")
        self.event(c, mgmt.EV_TCLO_REPLY, b"\xff\xfe garbage")
        self.event(c, mgmt.EV_GUESTINFO, b"bad key\0x")
        self.event(c, mgmt.EV_GUESTINFO, b"ip\x00" + b"10.0.0.5 \xff")
        self.event(c, mgmt.EV_BOOT, b"short")
        c.sendall(b"garbage before a frame" + b"\x00" * 40)
        report = {"seq": 1, "agent_version": "0.1.0",
                  "hostname": "fake-guest", "kernel": "6.1.0",
                  "uptime_s": 12.5, "mono_ns": 1, "real_ns": 2,
                  "detect": "verge"}
        self.event(c, mgmt.EV_RPCI,
                   b"verge.report " + json.dumps(report).encode())

    def mgmt(self, srv):
        while True:
            c, _ = srv.accept()
            self.note(mgmt="connected")
            buf = b""
            greeted = False
            while True:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= mgmt.HEADER.size:
                    _, _, type_, flags, seq, n = mgmt.HEADER.unpack_from(buf)
                    end = mgmt.HEADER.size + n + 4
                    if len(buf) < end:
                        break
                    body = buf[mgmt.HEADER.size:mgmt.HEADER.size + n]
                    buf = buf[end:]
                    self.on_request(c, type_, seq, body)
                    if type_ == mgmt.HELLO and not greeted:
                        greeted = True
                        self.guest_says(c)
            c.close()

    def run(self, argv):
        self.note(argv=argv)
        qmp = self.listen(self.paths["qmp"])
        mg = self.listen(self.paths["mgmt"])
        with open(self.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
        threading.Thread(target=self.qmp, args=(qmp,), daemon=True).start()
        threading.Thread(target=self.mgmt, args=(mg,), daemon=True).start()
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    Fake(sys.argv[1:]).run(sys.argv[1:])
