# SPDX-License-Identifier: Apache-2.0
"""A small, independent client of verge's management protocol.

Written from docs/management-protocol.md with struct, zlib and socket only
(no code shared with proto/ or verge-mgmt), so the tests that use it also
check the wire format. QEMU is the socket server (-chardev socket,...,
server=on,wait=off), so connect() retries until the socket exists.
"""

import os
import socket
import struct
import time
import zlib

MAGIC = 0x45475256
VERSION = 1
HEADER = struct.Struct("<IBBHII")       # magic version type flags seq len
MAX_PAYLOAD = 1024

F_REPLY, F_ERROR, F_EVENT = 0x1, 0x2, 0x4

HELLO, PING, CLOCK_GET, CLOCK_SET_RATE, CLOCK_STEP, CLOCK_SET_FREQ = \
    0x01, 0x02, 0x10, 0x11, 0x12, 0x13
EVENTS_ACK_T = 0x03
STATS_GET = 0x20
GUESTINFO_SET, TCLO_PUSH, HOST_TIME_SET = 0x30, 0x31, 0x32
EV_BOOT, EV_POWER, EV_CLOCK, EV_PANIC = 0x40, 0x41, 0x42, 0x43
EV_RPCI, EV_TCLO_REPLY, EV_GUESTINFO = 0x44, 0x45, 0x46
EV_WATCHDOG = 0x47
WDT = struct.Struct("<4IQ")             # struct vp_ev_watchdog, 24 bytes
WDT_HEAD = struct.Struct("<4I")         # what the hypervisor fills in
EV_WDT_REFRESH = 0x48
WDT_REFRESH = struct.Struct("<4I")      # struct vp_ev_wdt_refresh
WDT_WHAT = {1: "stage", 2: "ws0", 3: "expired"}
WDT_STAGE = {1: "power-on", 2: "os-loading", 3: "handed-off"}

CLOCK = struct.Struct("<5Q2I5Q2I")      # struct vp_clock, 96 bytes
CLOCK_FIELDS = ("host_counter", "host_freq", "guest_counter", "guest_freq",
                "next_freq", "rate_num", "rate_den", "cntvoff",
                "stalled_ticks", "counter_traps", "timer_traps",
                "max_error_ticks", "mode", "reserved")
CLOCK_MODES = {0: "dilation", 1: "exact"}     # enum vp_clock_mode
STATS = struct.Struct("<16Q")           # struct vp_stats, 128 bytes
# Held events (EV_BOOT, EV_POWER, EV_WATCHDOG): seq in the header, payload
# {u32, u32, u64 boot_id}; EVENTS_ACK {u64 boot_id, u32 seq, u32 flags}
# -> {u64 boot_id, u32 first_seq, u32 next_seq, u64 lost}.
HELD_EVENT = struct.Struct("<IIQ")
EVENTS_ACK = struct.Struct("<QII")
EVENTS_STATE = struct.Struct("<QIIQ")
ACK_REPLAY = 0x1
EVQ_DEPTH = 32
EXIT_NAMES = ("irq", "sgi", "tick", "maint", "hvc", "smc", "sysreg", "dabt",
              "iabt", "other")
assert CLOCK.size == 96 and STATS.size == 128


class MgmtError(Exception):
    """An error reply: .code (enum vp_error_code) and .msg."""

    def __init__(self, code, msg):
        super().__init__("error reply %d: %s" % (code, msg))
        self.code, self.msg = code, msg


def frame(type_, payload=b"", flags=0, seq=0, version=VERSION, magic=MAGIC):
    """One encoded frame (header, payload, CRC-32 over both)."""
    hdr = HEADER.pack(magic, version, type_, flags, seq, len(payload))
    return hdr + payload + struct.pack("<I", zlib.crc32(hdr + payload))


class Mgmt:
    def __init__(self, path, timeout=30.0):
        self.path = str(path)
        self.timeout = timeout
        self.seq = 0
        self.buf = b""
        self.events = []        # (type, payload) seen while waiting
        self.held_log = []      # held events seen: (type, seq, payload)
        self.sock = None

    def connect(self, wait=60.0):
        """Connect, retrying until QEMU has created the socket."""
        deadline = time.monotonic() + wait
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.path)
                self.sock = s
                return self
            except OSError:
                s.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def drain(self, seconds=0.0):
        """Discard what the hypervisor sent (replies to fuzz frames)."""
        deadline = time.monotonic() + seconds
        while True:
            self.sock.settimeout(max(deadline - time.monotonic(), 0) or 0.001)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, BlockingIOError):
                break
            if not data:
                raise ConnectionError("management socket closed")
        self.buf = b""

    def _read_frame(self, deadline):
        """The next well-formed frame: (type, flags, seq, payload).
        Garbage before a magic and frames with a bad CRC are skipped (the
        hypervisor should never send them: counted in self.bad)."""
        magic = struct.pack("<I", MAGIC)
        while True:
            i = self.buf.find(magic)
            if i < 0:
                self.buf = self.buf[-3:]
            elif i > 0:
                self.buf = self.buf[i:]
            if i >= 0 and len(self.buf) >= HEADER.size:
                _, ver, type_, flags, seq, n = HEADER.unpack_from(self.buf)
                if n > MAX_PAYLOAD:
                    raise AssertionError("reply with length %d" % n)
                end = HEADER.size + n + 4
                if len(self.buf) >= end:
                    body = self.buf[:HEADER.size + n]
                    crc, = struct.unpack_from("<I", self.buf, HEADER.size + n)
                    self.buf = self.buf[end:]
                    if crc != zlib.crc32(body):
                        raise AssertionError("reply with a bad CRC: %r" % body)
                    if ver != VERSION:
                        raise AssertionError("reply with version %d" % ver)
                    return type_, flags, seq, body[HEADER.size:]
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply within %.1f s" % self.timeout)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise ConnectionError("management socket closed")
            self.buf += data

    def request(self, type_, payload=b""):
        """Send a request; return (flags, payload) of its reply (same seq),
        keeping any events that arrive meanwhile in self.events."""
        self.seq = (self.seq + 1) & 0xffffffff or 1
        seq = self.seq
        self.send_raw(frame(type_, payload, seq=seq))
        deadline = time.monotonic() + self.timeout
        while True:
            rtype, flags, rseq, body = self._read_frame(deadline)
            if flags & F_EVENT:
                self._keep(rtype, rseq, body)
                continue
            if rseq != seq or rtype != type_:
                continue        # a late reply to an earlier request
            if not flags & F_REPLY:
                raise AssertionError("frame without the reply flag: %#x" % flags)
            return flags, body

    def call(self, type_, payload=b""):
        """request() that raises MgmtError on an error reply."""
        flags, body = self.request(type_, payload)
        if flags & F_ERROR:
            code, = struct.unpack_from("<i", body)
            raise MgmtError(code, body[4:].decode("utf-8", "replace"))
        return body

    def wait_event(self, types, timeout=10.0, match=None):
        """The first event of one of `types` (kept ones first) for which
        match(type, body) is true: (type, body). Others stay in
        self.events. Raises TimeoutError."""
        types = (types,) if isinstance(types, int) else tuple(types)
        ok = lambda t, b: t in types and (match is None or match(t, b))
        for i, (t, b) in enumerate(self.events):
            if ok(t, b):
                del self.events[i]
                return t, b
        deadline = time.monotonic() + timeout
        while True:
            t, flags, _, body = self._read_frame(deadline)
            if not flags & F_EVENT:
                continue        # a late reply to an earlier request
            if ok(t, body):
                return t, body
            self.events.append((t, body))

    # -- helpers ---------------------------------------------------------

    def guestinfo_set(self, key, value):
        """Set guestinfo.<key> for the guest's info-get ("" deletes)."""
        self.call(GUESTINFO_SET, key.encode() + b"\0" + value.encode())

    def tclo_push(self, text):
        """Queue one TCLO command for the guest's tools."""
        self.call(TCLO_PUSH, text.encode())

    def host_time_set(self, unix_ns=None):
        """Anchor the backdoor's GETTIMEFULL to host time (now by default)."""
        if unix_ns is None:
            unix_ns = time.time_ns()
        self.call(HOST_TIME_SET, struct.pack("<Q", unix_ns))
    def hello(self):
        body = self.call(HELLO, struct.pack("<HH", 1, 1))
        assert len(body) in (8, 24), "HELLO reply of %d bytes" % len(body)
        version, _, hv_version = struct.unpack("<HHI", body[:8])
        self.cpu = None     # what the core offers the guest, if it says
        if len(body) == 24:
            feats, sve_vl, sme_vl, _ = struct.unpack("<QHHI", body[8:])
            self.cpu = {"features": {n for i, n in enumerate(CPU_FEATURES)
                                     if feats >> i & 1},
                        "sve_vl": sve_vl, "sme_vl": sme_vl}
        return version, hv_version

    def events_ack(self, boot_id=0, seq=0, replay=True):
        """EVENTS_ACK: forget held events up to (boot_id, seq); with
        replay, the held events follow the reply (kept in self.events in
        order, or read with held()). Returns the state as a dict."""
        body = self.call(EVENTS_ACK_T, EVENTS_ACK.pack(
            boot_id, seq, ACK_REPLAY if replay else 0))
        return dict(zip(("boot_id", "first_seq", "next_seq", "lost"),
                        EVENTS_STATE.unpack(body)))

    def held(self, timeout=10.0):
        """The next held event, in the order it came: (type, seq, first
        u32, second u32, boot_id). Raises TimeoutError."""
        if not self.held_log:
            deadline = time.monotonic() + timeout
            while not self.held_log:
                t, flags, seq, body = self._read_frame(deadline)
                if flags & F_EVENT:
                    self._keep(t, seq, body)
        t, seq, body = self.held_log.pop(0)
        if t == EV_WATCHDOG:    # (what, stage, boot_id)
            if len(body) != WDT.size:
                raise AssertionError("held event of %d bytes" % len(body))
            what, stage, _, _, boot = WDT.unpack(body)
            return (t, seq, what, stage, boot)
        if len(body) != HELD_EVENT.size:
            raise AssertionError("held event of %d bytes" % len(body))
        return (t, seq) + HELD_EVENT.unpack(body)

    def _keep(self, t, seq, body):
        """An event read while waiting for something else."""
        if t in (EV_BOOT, EV_POWER, EV_WATCHDOG):
            self.held_log.append((t, seq, body))
        if t not in (EV_BOOT, EV_POWER):   # EV_WATCHDOG: in both
            self.events.append((t, body))

    def ping(self, data=b"verge"):
        body = self.call(PING, data)
        if body != data:
            raise AssertionError("PING echoed %r, sent %r" % (body, data))
        return body

    @staticmethod
    def parse_watchdog(body):
        """struct vp_ev_watchdog as a dict with names for what and stage."""
        if len(body) != WDT.size:
            raise AssertionError("vp_ev_watchdog of %d bytes" % len(body))
        what, stage, enabled, timeout_ms, _ = WDT.unpack(body)
        return {"what": WDT_WHAT.get(what, what),
                "stage": WDT_STAGE.get(stage, stage),
                "enabled": enabled, "timeout_ms": timeout_ms}

    def wait_watchdog(self, what, timeout=10.0, stage=None):
        """The next EV_WATCHDOG event whose what (and stage, if given) is
        the one named."""
        def match(t, b):
            ev = self.parse_watchdog(b)
            return ev["what"] == what and stage in (None, ev["stage"])
        _, body = self.wait_event(EV_WATCHDOG, timeout, match)
        return self.parse_watchdog(body)

    @staticmethod
    def parse_clock(body):
        if len(body) != CLOCK.size:
            raise AssertionError("vp_clock of %d bytes" % len(body))
        return dict(zip(CLOCK_FIELDS, CLOCK.unpack(body)))

    def clock(self):
        return self.parse_clock(self.call(CLOCK_GET))

    def set_rate(self, num, den=1):
        return self.parse_clock(self.call(CLOCK_SET_RATE,
                                          struct.pack("<II", num, den)))

    def step(self, ns):
        return self.parse_clock(self.call(CLOCK_STEP, struct.pack("<Q", ns)))

    def set_freq(self, hz):
        return self.parse_clock(self.call(CLOCK_SET_FREQ,
                                          struct.pack("<Q", hz)))

    def stats(self):
        body = self.call(STATS_GET)
        if len(body) != STATS.size:
            raise AssertionError("vp_stats of %d bytes" % len(body))
        v = STATS.unpack(body)
        d = {"exits_total": v[0]}
        d.update(zip(EXIT_NAMES, v[1:11]))
        d.update(zip(("rx_frames", "rx_bad_frames", "rx_dropped_bytes",
                      "tx_frames", "tx_dropped"), v[11:]))
        return d


# verge_proto.h enum vp_cpu_feature, in bit order.
CPU_FEATURES = ("fp", "simd", "sve", "sve2", "sme", "sme2", "pauth", "bti",
                "mte", "fgt", "fgt2", "hcx", "ecv", "ras", "spe", "trbe",
                "amu", "mops", "nv", "pmu")


def qemu_args(path):
    """QEMU options that give verge-hv its management channel at path."""
    return ["-chardev", "socket,id=mgmt,path=%s,server=on,wait=off" % path,
            "-device", "virtio-serial-device",
            "-device", "virtconsole,chardev=mgmt"]


def sock_path(tmpdir):
    """A socket path short enough for AF_UNIX (108 bytes)."""
    p = os.path.join(str(tmpdir), "mgmt.sock")
    if len(p) >= 100:
        import tempfile
        p = os.path.join(tempfile.mkdtemp(prefix="verge-"), "mgmt.sock")
    return p
