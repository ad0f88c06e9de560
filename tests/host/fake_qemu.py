#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
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
fake.mute_tclo=1 never answers TCLO commands; fake.hostile=1 is a guest
that writes terminal controls (HOSTILE) wherever its text reaches the
operator, and a line break with a journal priority into RPCI text;
fake.old_hello=1 answers HELLO as hypervisors did before they reported
the core's features (8 bytes); fake.ignore_button=1
ignores the power button (like the test initramfs); fake.miss_presses=N
misses the first N presses (like a guest that is not running through
QEMU's 100 ms button pulse); fake.stats=drop never answers STATS_GET
and closes the management connection 0.5 s later (QEMU keeps running);
fake.stats=exit never answers it and exits 0.5 s later while a child
keeps the sockets open for 3 s (verged sees the exit first);
fake.flood=N sends N guest events and N agent reports as fast as it can
after the greeting, then, 1.5 s later, one more agent hello
{"flood": "done"}, then 100 more agent hellos {"flood": "tail"}. With verge.wdt=S before "--" it also plays
the boot guard: the three stage events, one watchdog expiry, and
malformed watchdog events. fake.no_report=1 is a guest whose agent never
reports (its boots never succeed); QMP system_reset restarts the
"hypervisor": a QMP RESET and a held EV_BOOT hypervisor-up follow.
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

# fake.hostile=1: an OSC title, C1 CSI/OSC/ST (U+009B, U+009D, U+009C),
# a screen clear, DEL; the raw bytes add an 8-bit CSI and a non-UTF-8 byte.
HOSTILE = "\x1b]0;owned\x07\u009b31m\x1b[2J\u009d0;t\u009c\x7f!"
HOSTILE_BYTES = HOSTILE.encode() + b"\x9b" + b"1m\xff"
FORGED_RPCI = b"evil.cmd x\n<0>forged line\r<3>also"


def qemu_opts(text):
    """QEMU's "a,b=c,d=e,,f" option syntax (",," is a literal comma)."""
    parts = text.replace(",,", "\0").split(",")
    return [p.replace("\0", ",") for p in parts]


def console_log(argv):
    for i, a in enumerate(argv[:-1]):
        opts = qemu_opts(argv[i + 1]) if a == "-chardev" else []
        kv = dict(o.split("=", 1) for o in opts[1:] if "=" in o)
        if kv.get("id") == "con":
            return kv.get("logfile")
    return None


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
        hv = append.split(" -- ", 1)[0].split()
        self.wdt_s = [int(w[10:]) for w in hv if w.startswith("verge.wdt=")]
        self.mute_tclo = "fake.mute_tclo=1" in self.guest
        self.no_report = "fake.no_report=1" in self.guest
        self.conn = None
        self.hostile = "fake.hostile=1" in self.guest
        self.console_log = console_log(argv)
        self.deaf = "fake.ignore_button=1" in self.guest
        self.old_hello = "fake.old_hello=1" in self.guest
        self.misses = 0
        for w in self.guest.split():
            if w.startswith("fake.miss_presses="):
                self.misses = int(w.split("=", 1)[1])
        self.stats_mode = None
        self.flood = 0
        for w in self.guest.split():
            if w.startswith("fake.stats="):
                self.stats_mode = w.split("=", 1)[1]
            if w.startswith("fake.flood="):
                self.flood = int(w.split("=", 1)[1])
        self.rundir = os.path.dirname(self.paths["qmp"])
        self.log = open(os.path.join(self.rundir, "fake.log"), "a",
                        buffering=1)
        self.rate = (1, 1)
        # fake.clock=exact: report the exact mode (FEAT_ECV), else dilation
        self.clock_mode = 1 if "fake.clock=exact" in self.guest.split() \
            else 0
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

    def held_event(self, c, type_, head):
        """A held event sent now, as verge-hv sends one that happens
        while a client is attached."""
        seq, type_, payload = self.hold(type_, head)
        with self.lock:
            c.sendall(mgmt.frame(type_, payload, flags=mgmt.F_EVENT,
                                 seq=seq))

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
                elif cmd["execute"] == "system_reset":
                    f.write(b'{"event": "RESET", "data": {"guest": false,'
                            b' "reason": "host-qmp-system-reset"}}\n')
                    if self.conn:
                        self.held_event(self.conn, mgmt.EV_BOOT,
                                        struct.pack("<II", 1, 0))
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
                          self.rate[1], 0, 0, 0, 0, 0, self.clock_mode, 0)

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
            if not self.old_hello:  # the core: fp simd sve(256) pauth
                reply += struct.pack("<QHHI", 0x47, 32, 0, 0)
        elif type_ in (mgmt.CLOCK_GET, mgmt.CLOCK_SET_RATE):
            if type_ == mgmt.CLOCK_SET_RATE:
                self.rate = struct.unpack("<II", body)
                self.note(set_rate=list(self.rate))
            reply = self.clock()
        elif type_ == mgmt.STATS_GET and self.stats_mode:
            self.note(stats=self.stats_mode)
            threading.Thread(target=self.drop, args=(c,), daemon=True).start()
            return
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
            if self.hostile and verb == "verge.detect":
                answer["verdict"] = "verge" + HOSTILE
            if self.hostile and verb == "verge.timesync":
                answer = None
            text = ("OK %s %s" % (tid, json.dumps(answer)) if answer is not
                    None else "ERROR %s unknown command%s"
                    % (tid, HOSTILE if self.hostile else ""))
            time.sleep(0.01)
            self.event(c, mgmt.EV_TCLO_REPLY, text.encode())

    def drop(self, c):
        """The management connection goes away with requests queued."""
        time.sleep(0.5)
        if self.stats_mode == "exit":
            if os.fork() == 0:
                time.sleep(3)
                os._exit(0)
            os._exit(1)
        c.shutdown(socket.SHUT_RDWR)

    def flood_events(self, c):
        """A guest that floods verged's event log."""
        for i in range(self.flood):
            kind = i % 3
            if kind == 0:
                self.event(c, mgmt.EV_RPCI,
                           b'verge.hello {"flood": %d}' % i)
            elif kind == 1:
                self.event(c, mgmt.EV_PANIC, b"panic %d" % i)
            else:
                self.held_event(c, mgmt.EV_BOOT, struct.pack("<II", 2, 0))
            self.event(c, mgmt.EV_RPCI, b'verge.report {"seq": %d}' % i)
        time.sleep(1.5)
        self.event(c, mgmt.EV_RPCI, b'verge.hello {"flood": "done"}')
        for i in range(100):
            self.event(c, mgmt.EV_RPCI, b'verge.hello {"flood": "tail"}')
        self.note(flood="done")

    def boot_guard(self, c, ms):
        """verge-hv's EV_WATCHDOG events (docs/bootguard.md): stages,
        an expiry, what a broken hypervisor might send, then two boots
        of which the first is reset before the agent reports."""
        for what, stage, on, t in ((1, 1, 0, 0), (1, 2, 1, ms), (1, 3, 1, ms),
                                   (2, 3, 1, ms), (3, 3, 1, ms), (3, 9, 1, ms),
                                   (7, 3, 1, ms), (3, 3, 2, ms)):
            # held events (24 bytes: the head and the boot_id)
            self.held_event(c, mgmt.EV_WATCHDOG,
                            mgmt.WDT_HEAD.pack(what, stage, on, t))
        self.event(c, mgmt.EV_WATCHDOG, b"short")
        # the reset's new attempt, reset again before the agent reports
        self.held_event(c, mgmt.EV_BOOT, struct.pack("<II", 1, 0))
        self.held_event(c, mgmt.EV_BOOT, struct.pack("<II", 1, 0))

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
        if self.wdt_s:
            self.boot_guard(c, self.wdt_s[0] * 1000)
        c.sendall(b"garbage before a frame" + b"\x00" * 40)
        report = {"seq": 1, "agent_version": "0.1.0",
                  "hostname": "fake-guest", "kernel": "6.1.0",
                  "uptime_s": 12.5, "mono_ns": 1, "real_ns": 2,
                  "detect": "verge"}
        if self.hostile:
            report["hostname"] = "h" + HOSTILE
            self.event(c, mgmt.EV_RPCI, FORGED_RPCI)
            self.event(c, mgmt.EV_RPCI, b"verge.hello " + json.dumps(
                {"agent_version": "0.1" + HOSTILE}).encode())
            self.event(c, mgmt.EV_GUESTINFO, b"evil\0" + HOSTILE_BYTES)
        if not self.no_report:
            self.event(c, mgmt.EV_RPCI,
                       b"verge.report " + json.dumps(report).encode())

    def mgmt(self, srv):
        while True:
            c, _ = srv.accept()
            self.conn = c
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
                    # The guest speaks once verged has asked for the held
                    # events (its EVENTS_ACK after HELLO), as verge-hv's
                    # boot events come before anything the guest does.
                    if type_ == mgmt.EVENTS_ACK_T and not greeted:
                        greeted = True
                        self.guest_says(c)
                        if self.flood:
                            threading.Thread(target=self.flood_events,
                                             args=(c,), daemon=True).start()
            c.close()

    def run(self, argv):
        self.note(argv=argv)
        qmp = self.listen(self.paths["qmp"])
        mg = self.listen(self.paths["mgmt"])
        with open(self.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
        if self.hostile and self.console_log:
            with open(self.console_log, "ab") as f:
                f.write(b"boot ok\r\n" + HOSTILE_BYTES + b"\nend\n")
        threading.Thread(target=self.qmp, args=(qmp,), daemon=True).start()
        threading.Thread(target=self.mgmt, args=(mg,), daemon=True).start()
        while True:
            time.sleep(3600)


# What verged asks a QEMU binary at start (agentd/qemu.c, qemu_probe).
FAKE_CPUS = ["cortex-a53", "cortex-a57", "cortex-a72", "cortex-a76", "max"]

if __name__ == "__main__":
    if sys.argv[1:] == ["-version"]:
        print("QEMU emulator version 7.2.99 (fake_qemu.py)")
        sys.exit(0)
    if sys.argv[1:5] == ["-M", "virt", "-cpu", "help"]:
        print("Available CPUs:\n" + "".join("  %s\n" % c for c in FAKE_CPUS))
        sys.exit(0)
    Fake(sys.argv[1:]).run(sys.argv[1:])
