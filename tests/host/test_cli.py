# SPDX-License-Identifier: Apache-2.0
"""verge, the CLI, against a real verged started in a temporary directory.

No guest runs here: these tests cover what verge itself promises (tables,
--json, exit statuses, messages and hints, events, completion) with VMs
that are defined but not started. tests/e2e runs verge with Linux guests.
"""

import json
import os
import pwd
import re
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

import verged_harness as vh
from verged_harness import REPO, verge_bin

USER = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture(scope="module")
def verged():
    if not vh.verged_bin().exists():
        pytest.fail("no verged at %s (set VERGED)" % vh.verged_bin())
    d = vh.Verged().start()
    (d.tmp / "Image").write_bytes(b"\0" * 4096)
    (d.tmp / "initrd.gz").write_bytes(b"\0" * 512)
    yield d
    d.cleanup()


def define(v, name, *extra):
    r = v.verge("vm", "define", name, "--kernel", "Image", *extra, cwd=v.tmp)
    assert r.returncode == 0, r.stderr
    return r


def undefine(v, name):
    r = v.verge("vm", "undefine", name)
    assert r.returncode == 0, r.stderr


def table(text):
    """Rows of a human table as lists of cells (split on 2+ blanks)."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()]


def test_define_list_show_undefine_human(verged):
    r = define(verged, "web-1", "--initrd", "initrd.gz", "--memory", "512M",
               "--cpus", "1", "--cmdline", "console=ttyAMA0 quiet")
    assert "Name:" in r.stdout and "web-1" in r.stdout
    assert "\033" not in r.stdout  # not a terminal: nothing decorative
    try:
        r = verged.verge("vm", "list")
        assert r.returncode == 0, r.stderr
        rows = table(r.stdout)
        assert rows[0] == ["NAME", "STATE", "CPUS", "MEMORY", "RATE",
                           "UPTIME", "AGENT", "ADDRESS"]
        row = [x for x in rows if x[0] == "web-1"]
        assert row and row[0][1:4] == ["defined", "1", "512 MiB"], rows
        # Columns line up: every row's STATE starts under the header's.
        lines = r.stdout.splitlines()
        col = lines[0].index("STATE")
        assert all(line[col - 2:col] == "  " and line[col] != " "
                   for line in lines[1:])
        assert all(line == line.rstrip() for line in lines)

        r = verged.verge("vm", "show", "web-1")
        assert r.returncode == 0, r.stderr
        fields = dict(re.split(r":\s+", line, maxsplit=1)
                      for line in r.stdout.splitlines())
        # Relative paths were made absolute before verged saw them.
        assert fields["Kernel"] == str(verged.tmp / "Image")
        assert fields["Initrd"] == str(verged.tmp / "initrd.gz")
        assert fields["Cmdline"] == "console=ttyAMA0 quiet"
        assert fields["Memory"] == "512 MiB"
        assert fields["CPUs"] == "1"
        assert fields["Boot guard"] == "off"
        assert fields["State"].startswith("defined")
    finally:
        r = verged.verge("vm", "undefine", "web-1")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "web-1: undefined\n"
    assert "web-1" not in verged.verge("vm", "list").stdout


def test_define_list_show_json(verged):
    r = define(verged, "json-1", "--json", "--memory", "2G", "--cpus", "4",
               "--rate", "1/2", "--freq", "62.5MHz", "--restart", "on-crash",
               "--watchdog", "45")
    vm = json.loads(r.stdout)
    try:
        assert vm["name"] == "json-1"
        assert vm["kernel"] == str(verged.tmp / "Image")
        assert vm["memory_mib"] == 2048 and vm["cpus"] == 4
        assert vm["clock"]["rate_value"] == 0.5
        assert vm["clock"]["freq_hz"] == 62500000
        assert vm["restart"] == "on-crash"
        assert vm["watchdog_s"] == 45
        r = verged.verge("vm", "show", "json-1")
        assert "Boot guard:  45 s watchdog, no stage yet, 0 expiries" in \
            re.sub(r":\s+", ":  ", r.stdout), r.stdout
        # The whole of stdout is one JSON document.
        r = verged.verge("--json", "vm", "list")
        assert r.returncode == 0, r.stderr
        listed = json.loads(r.stdout)
        assert isinstance(listed, list)
        assert [x["name"] for x in listed].count("json-1") == 1
        r = verged.verge("vm", "show", "json-1", "--json")
        shown = json.loads(r.stdout)
        for key in ("name", "uuid", "kernel", "memory_mib", "cpus", "clock"):
            assert shown[key] == vm[key]
    finally:
        undefine(verged, "json-1")


def check_error(r, status, *words):
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0].startswith("verge: "), r.stderr
    assert len(lines) == 2 and lines[1].startswith("hint: "), r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)


@pytest.fixture(scope="module")
def err_vm(verged):
    define(verged, "err-1")
    yield "err-1"
    undefine(verged, "err-1")


ERRORS = [
    # (args, exit status, words in the message or hint)
    (("vm", "show", "nope"), 4, ["nope", "verge vm list"]),
    (("vm", "undefine", "nope"), 4, ["nope"]),
    (("clock", "show", "nope"), 4, ["nope"]),
    (("agent", "ping", "nope"), 4, ["nope"]),
    (("guestinfo", "get", "nope", "k"), 4, ["nope"]),
    (("vm", "define", "err-1", "--kernel", "Image"), 1,
     ["err-1", "verge vm undefine err-1"]),
    (("vm", "define", "x", "--kernel", "Image", "--memory", "10"), 2,
     ["memory_mib", "verge vm define --help"]),
    (("vm", "define", "x", "--kernel", "Image", "--cpus", "64"), 2,
     ["cpus"]),
    (("vm", "define", "x", "--kernel", "Image", "--rate", "1000"), 2,
     ["rate"]),
    (("vm", "define", "bad/name", "--kernel", "Image"), 2, ["name"]),
    (("vm", "define", "x", "--kernel", "Image", "--cpus", "two"), 2,
     ["--cpus: 'two'", "verge vm define --help"]),
    (("vm", "define", "x", "--kernel", "missing"), 2,
     ["--kernel: 'missing'", "No such file"]),
    (("vm", "define", "x"), 2, ["missing --kernel IMAGE"]),
    (("vm", "show"), 2, ["missing NAME"]),
    (("vm", "frob"), 2, ["unknown command 'verge vm frob'"]),
    (("vm", "lst"), 2, ["did you mean 'list'"]),
    (("vm", "list", "--frob"), 2, ["unknown option '--frob'"]),
    (("clock", "set-rate", "err-1", "fast"), 2, ["'fast' is not a rate"]),
    (("clock", "step", "err-1", "1500"), 2, ["'1500' is not a duration"]),
    (("events", "--limit", "0"), 2, ["limit"]),
    # A defined VM that does not run has no clock and no agent.
    (("clock", "step", "err-1", "1s"), 1, ["err-1", "verge vm show err-1"]),
    (("vm", "kill", "err-1"), 1, ["err-1", "verge vm show err-1"]),
    (("vm", "stats", "err-1"), 1, ["err-1"]),
    (("vm", "stop", "err-1"), 1, ["err-1"]),
    (("agent", "ping", "err-1"), 1, ["err-1"]),
    (("agent", "sync-time", "err-1"), 1, ["err-1"]),
]


@pytest.mark.parametrize("args,status,words", ERRORS,
                         ids=[" ".join(e[0]) for e in ERRORS])
def test_error_exit_status_and_message(verged, err_vm, args, status, words):
    check_error(verged.verge(*args, cwd=verged.tmp), status, *words)


def test_error_json_on_stderr(verged):
    r = verged.verge("--json", "vm", "show", "nope")
    assert r.returncode == 4 and r.stdout == ""
    err = json.loads(r.stderr)["error"]
    assert err["code"] == -32001
    assert err["data"]["name"] == "vm_not_found"
    r = verged.verge("vm", "show", "--json")
    assert r.returncode == 2
    err = json.loads(r.stderr)["error"]
    assert err["data"] == {"name": "usage", "exit_status": 2}
    assert "missing NAME" in err["message"]


def test_unreachable_socket(tmp_path):
    sock = tmp_path / "none.sock"
    r = subprocess.run([str(verge_bin()), "--socket", str(sock), "vm",
                        "list"], capture_output=True, text=True, timeout=10)
    check_error(r, 3, str(sock), "systemctl start verged", "--socket")
    # VERGE_SOCKET is used when --socket is not given.
    r = subprocess.run([str(verge_bin()), "vm", "list"], capture_output=True,
                       text=True, timeout=10,
                       env=dict(os.environ, VERGE_SOCKET=str(sock)))
    check_error(r, 3, str(sock))
    r = subprocess.run([str(verge_bin()), "--json", "--socket", str(sock),
                        "version"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 3
    assert json.loads(r.stdout)["verged"] is None
    assert json.loads(r.stderr)["error"]["data"]["name"] == "unreachable"


def test_silent_daemon_times_out(tmp_path):
    """A socket that accepts but never answers: exit 6 after --timeout.
    --timeout sets the wait: never shorter than asked (a lower bound,
    which load cannot break), and a short one ends before a long one
    (an order, not a host-time limit)."""
    path = str(tmp_path / "mute.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(4)
    took = {}
    try:
        for timeout in ("300ms", "3s"):
            t0 = time.monotonic()
            r = subprocess.run([str(verge_bin()), "--socket", path,
                                "--timeout", timeout, "vm", "list"],
                               capture_output=True, text=True, timeout=30)
            took[timeout] = time.monotonic() - t0
            check_error(r, 6, "did not answer vm.list", "--timeout")
    finally:
        srv.close()
    assert took["300ms"] >= 0.3 and took["3s"] >= 3, took
    assert took["300ms"] < took["3s"], took


def test_bad_reply_is_reported(tmp_path):
    """A daemon that answers garbage gets a clear error, not a crash."""
    path = str(tmp_path / "bad.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(4)

    def serve():
        for reply in (b"not json\n", b'{"jsonrpc":"2.0","id":99,"result":1}\n'):
            c, _ = srv.accept()
            c.recv(65536)
            c.sendall(reply)
            c.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        for why in ("not JSON", "a reply to another request"):
            r = subprocess.run([str(verge_bin()), "--socket", path, "vm",
                                "list"], capture_output=True, text=True,
                               timeout=10)
            check_error(r, 1, "invalid", why)
    finally:
        th.join(5)
        srv.close()


def test_events_show_the_caller(verged):
    define(verged, "ev-1")
    undefine(verged, "ev-1")
    r = verged.verge("events", "ev-1")
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert rows[0] == ["ID", "TIME", "VM", "TYPE", "CALLER", "DETAIL"]
    types = [(x[2], x[3], x[4]) for x in rows[1:]]
    assert ("ev-1", "vm.define", USER) in types
    assert ("ev-1", "vm.undefine", USER) in types
    ev = json.loads(verged.verge("--json", "events", "ev-1").stdout)
    assert [e["type"] for e in ev][-2:] == ["vm.define", "vm.undefine"]
    assert all(e["uid"] == os.getuid() and e["vm"] == "ev-1" for e in ev)
    # The latest events, oldest first; --since pages forward instead.
    r = verged.verge("--json", "events", "--limit", "2")
    last = json.loads(r.stdout)
    assert [(e["vm"], e["type"]) for e in last][-1] == ("ev-1",
                                                        "vm.undefine")
    assert len(last) == 2 and last[0]["id"] < last[1]["id"]
    r = verged.verge("--json", "events", "--since", "0", "--limit", "1")
    assert json.loads(r.stdout)[0]["type"] == "daemon.start"
    r = verged.verge("--json", "events", "--since", str(last[0]["id"]))
    assert json.loads(r.stdout) == last[1:]


def test_events_latest_of_one_vm(verged):
    """The N latest of a VM's events, however many others came after."""
    for i in range(3):
        define(verged, "lat-%d" % i)
        undefine(verged, "lat-%d" % i)
    for i in range(40):
        define(verged, "other-%d" % i)
    try:
        ev = json.loads(verged.verge("--json", "events", "--limit", "3",
                                     "lat-1").stdout)
        assert [(e["vm"], e["type"]) for e in ev] == [
            ("lat-1", "vm.define"), ("lat-1", "vm.undefine")]
        ev = json.loads(verged.verge("--json", "events", "--limit",
                                     "1").stdout)
        assert (ev[0]["vm"], ev[0]["type"]) == ("other-39", "vm.define")
    finally:
        for i in range(40):
            undefine(verged, "other-%d" % i)


class Lines:
    """Lines from a pipe as they come, each within a timeout."""

    def __init__(self, f):
        self.fd = f.fileno()
        self.buf = b""

    def next(self, timeout=10):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0))
            assert ready, "no output within %s s" % timeout
            data = os.read(self.fd, 65536)
            assert data, "end of output"
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


@pytest.mark.parametrize("mode", ["json", "human"])
def test_events_follow(verged, mode):
    """--follow prints an event that another command causes; Ctrl-C ends
    it with status 0."""
    name = "follow-" + mode
    define(verged, name + "-0")  # so the list part prints at least a line
    args = [str(verge_bin()), "--socket", str(verged.socket), "events", "--follow",
            "--limit", "1"] + (["--json"] if mode == "json" else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    out = Lines(proc.stdout)
    try:
        # The first lines come after the subscription was made.
        first = out.next()
        if mode == "human":
            assert first.split()[:2] == ["ID", "TIME"]
            out.next()
        define(verged, name)
        while True:
            line = out.next()
            if mode == "json":
                e = json.loads(line)
                got = (e["vm"], e["type"], e["uid"])
                want = (name, "vm.define", os.getuid())
            else:
                cells = re.split(r"\s{2,}", line.strip())
                got = (cells[2], cells[3], cells[4])
                want = (name, "vm.define", USER)
            if got[0] == name:
                assert got == want
                break
        proc.send_signal(signal.SIGINT)
        assert proc.wait(5) == 0
        assert proc.stderr.read() == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        undefine(verged, name + "-0")
        undefine(verged, name)


def test_version(verged):
    r = verged.verge("version")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"verge \d+\.\d+\.\d+", lines[0])
    assert re.fullmatch(r"verged \d+\.\d+\.\d+ \(API \d+\)", lines[1])
    v = json.loads(verged.verge("--json", "version").stdout)
    assert v["verge"]["version"] and v["verged"]["api"] >= 1


def complete(words, sock):
    """The candidates bash completion offers for the last word."""
    script = ('source %s; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_verge; printf "%%s\\n" "${COMPREPLY[@]}"') % (
                  REPO / "cli" / "verge.bash-completion")
    env = dict(os.environ, VERGE_SOCKET=sock,
               PATH="%s:%s" % (verge_bin().parent, os.environ["PATH"]))
    r = subprocess.run(["bash", "-c", script, "_"] + words,
                       capture_output=True, text=True, timeout=10, env=env,
                       cwd=REPO)
    assert r.returncode == 0, r.stderr
    return sorted(x for x in r.stdout.splitlines() if x)


def test_bash_completion(verged, err_vm):
    s = str(verged.socket)
    assert complete(["verge", ""], s) == sorted(
        ["vm", "clock", "agent", "guestinfo", "partition", "fleet", "events",
         "version", "help"])
    assert complete(["verge", "vm", ""], s) == sorted(
        ["define", "start", "stop", "reboot", "kill", "undefine", "list",
         "show",
         "console", "stats", "image", "disk"])
    assert complete(["verge", "vm", "image", ""], s) == sorted(
        ["show", "set", "commit", "rollback"])
    assert complete(["verge", "vm", "disk", ""], s) == [
        "add", "list", "remove"]
    assert complete(["verge", "clock", "set-"], s) == [
        "set-frequency", "set-rate"]
    assert complete(["verge", "vm", "show", ""], s) == [err_vm]
    assert complete(["verge", "agent", "ping", "er"], s) == [err_vm]
    assert complete(["verge", "vm", "define", "x", "--re"], s) == [
        "--restart"]
    assert complete(["verge", "vm", "define", "x", "--restart", ""], s) == [
        "no", "on-crash"]
    assert complete(["verge", "vm", "define", "x", "--kernel", "Makef"],
                    s) == ["Makefile"]
    assert complete(["verge", "help", "cl"], s) == ["clock"]
    # An unreachable verged: no VM names, and no error either.
    assert complete(["verge", "vm", "show", ""], s + ".none") == []
    assert complete(["verge", "--socket", s, "vm", "show", ""],
                    s + ".none") == [err_vm]


def commands_in(help_text):
    block = help_text.split("Commands:\n")[1].split("\n\n")[0]
    return re.findall(r"^  (\S+)  ", block, re.M)


def leaf_commands(words=()):
    """(words, help text) of every command that is not a group, at any
    depth (vm disk add)."""
    out = subprocess.run([str(verge_bin()), "help"] + list(words),
                         capture_output=True, text=True).stdout
    if words and "Commands:" not in out:
        yield list(words), out
        return
    for g in commands_in(out):
        yield from leaf_commands(tuple(words) + (g,))


def test_man_page_synopsis_matches_help():
    """Every command, operand and option of `verge help` is in verge.1's
    SYNOPSIS, and the page is clean for mandoc or groff."""
    src = (REPO / "cli" / "verge.1").read_text()
    synopsis = src.split(".Sh SYNOPSIS")[1].split(".Sh DESCRIPTION")[0]
    lines = [x for x in synopsis.splitlines() if x.startswith(".Cm")]
    n = 0
    for words, text in leaf_commands():
        usage = " ".join(text.split("\n\n")[0].split())
        tokens = usage.split()[1 + 1 + len(words):]
        cm = [x for x in lines if x.split()[1] == words[0] and
              (len(words) == 1 or words[1] in x.split())]
        assert cm, "%s not in the SYNOPSIS" % " ".join(words)
        for t in tokens:
            for opt in re.findall(r"--([a-z-]+)", t):
                assert "Fl -" + opt in synopsis, (words, opt)
            for meta in re.findall(r"\b([A-Z]{2,})\b", t):
                assert "Ar" in synopsis and meta in synopsis, (words, meta)
        n += 1
    # 23 + partition create, list, show, delete + vm image show, set,
    # commit, rollback + vm disk list, add, remove + vm reboot
    assert n == 35
    for lint in (["mandoc", "-T", "lint", "-W", "warning"],
                 ["groff", "-mdoc", "-ww", "-z"]):
        try:
            r = subprocess.run(lint + [str(REPO / "cli" / "verge.1")],
                               capture_output=True, text=True)
        except FileNotFoundError:
            continue
        assert r.returncode == 0 and r.stdout + r.stderr == "", r
        break


def test_help_everywhere():
    for args in (["--help"], ["help"], ["vm", "--help"], ["help", "vm"],
                 ["vm", "define", "--help"], ["clock", "step", "-h"]):
        r = subprocess.run([str(verge_bin())] + args, capture_output=True,
                           text=True)
        assert r.returncode == 0 and r.stdout.startswith("usage: verge")
    r = subprocess.run([str(verge_bin())], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("usage: verge")


def test_events_follow_one_vm(verged):
    """`events --follow VM` prints that VM's events and no other's."""
    define(verged, "fa")
    proc = subprocess.Popen([str(verge_bin()), "--socket", str(verged.socket),
                             "--json", "events", "--follow", "--limit", "1",
                             "fa"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    out = Lines(proc.stdout)
    try:
        assert json.loads(out.next())["vm"] == "fa"
        define(verged, "fb")
        undefine(verged, "fa")
        e = json.loads(out.next())
        assert (e["vm"], e["type"]) == ("fa", "vm.undefine")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        undefine(verged, "fb")


def run_on_tty(args, env=None):
    """verge with its stdout on a pseudo-terminal: (status, output)."""
    import pty
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(verge_bin())] + args, stdout=slave,
                            stderr=subprocess.PIPE, env=env)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return proc.wait(10), data.decode()


def test_terminal_output(verged, err_vm):
    """A bold header and indented JSON on a terminal; NO_COLOR and pipes
    get plain text."""
    args = ["--socket", str(verged.socket), "vm", "list"]
    status, out = run_on_tty(args)
    assert status == 0
    assert out.startswith("\033[1mNAME") and "\033[0m\r\n" in out
    status, out = run_on_tty(args, env=dict(os.environ, NO_COLOR="1"))
    assert status == 0 and "\033" not in out
    status, out = run_on_tty(["--socket", str(verged.socket), "--json", "vm",
                              "show", err_vm])
    assert status == 0 and out.startswith("{\r\n  \"")
    assert json.loads(out.replace("\r\n", "\n"))["name"] == err_vm
    r = verged.verge("--json", "vm", "show", err_vm)
    assert r.stdout.count("\n") == 1 and "\033" not in r.stdout


ODD_RESULTS = [None, 3, "x", [], {}, [None, 1, "s", {"name": 5}],
               {"name": ["a"], "clock": "x", "agent": [], "cpus": "2",
                "memory_mib": -5, "started_at": 1e300, "uptime_s": -1,
                "report": {"a": {"b": {"c": {"d": {"e": {}}}}}},
                "detail": [1], "text": 5, "rate": 7, "value": None}]
ODD_COMMANDS = [["vm", "list"], ["vm", "show", "x"], ["vm", "start", "x"],
                ["vm", "console", "x"], ["vm", "stats", "x"],
                ["clock", "show", "x"],
                ["agent", "show", "x"], ["agent", "ping", "x"],
                ["agent", "detect", "x"], ["agent", "sync-time", "x"],
                ["guestinfo", "get", "x", "k"], ["events"], ["version"]]


def test_odd_results_do_not_crash(tmp_path):
    """Results of unexpected shapes (a newer or broken verged; here a
    stand-in server, since the real verged never sends them) print as "-"
    or JSON text, or are refused with a message: verge never crashes on
    them."""
    path = str(tmp_path / "odd.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(16)
    current = {}

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            with c:
                req = json.loads(c.makefile().readline())
                c.sendall(json.dumps({"jsonrpc": "2.0", "id": req["id"],
                                      "result": current["r"]}).encode()
                          + b"\n")

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        for result in ODD_RESULTS:
            current["r"] = result
            for cmd in ODD_COMMANDS:
                r = subprocess.run([str(verge_bin()), "--socket", path] +
                                   cmd, capture_output=True, text=True,
                                   timeout=10)
                # Printed, or refused with a message: never a crash.
                assert r.returncode == 0 or (
                    r.returncode == 1 and r.stderr.startswith("verge: ")), (
                    cmd, result, r.returncode, r.stderr)
                assert "\033" not in r.stdout
    finally:
        srv.close()
        th.join(5)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to switch user")
def test_socket_not_accessible(verged):
    """A user who may not open the socket is told about the verge group
    (exit 3: verged cannot be reached)."""
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                        "--clear-groups", str(verge_bin()), "--socket",
                        str(verged.socket), "vm", "list"], capture_output=True,
                       text=True, timeout=10)
    check_error(r, 3, str(verged.socket), "Permission denied", "'verge' group")


def test_guestinfo_set_get_delete(verged, err_vm):
    r = verged.verge("guestinfo", "set", err_vm, "role", "web server")
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert verged.verge("guestinfo", "get", err_vm, "role").stdout == \
        "web server\n"
    got = json.loads(verged.verge("--json", "guestinfo", "get", err_vm,
                                  "role").stdout)
    assert (got["value"], got["source"]) == ("web server", "host")
    # An empty value deletes the key: get then prints nothing.
    assert verged.verge("guestinfo", "set", err_vm, "role", "").returncode == 0
    r = verged.verge("guestinfo", "get", err_vm, "role")
    assert r.returncode == 0 and r.stdout == ""


def test_disks_and_nics_from_the_command_line(verged):
    """--disk takes a path relative to where verge runs (made absolute)
    with its options, --net a user card; vm show lists both and vm disk
    list/add/remove change the disks of a stopped VM."""
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2",
                    str(verged.tmp / "base.qcow2"), "64M"], check=True)
    (verged.tmp / "data.raw").write_bytes(b"\0" * (1 << 20))
    define(verged, "dv", "--disk", "base.qcow2,overlay", "--disk",
           "data.raw,readonly", "--net",
           "user,hostfwd=tcp:127.0.0.1:2222-:22,mac=52:54:00:00:00:02")
    try:
        r = verged.verge("vm", "show", "dv")
        assert r.returncode == 0, r.stderr
        kv = dict(row for row in table(r.stdout) if len(row) == 2)
        assert kv["Disk vda:"] == "%s (qcow2 64 MiB, overlay)" % (
            verged.tmp / "base.qcow2"), kv
        assert kv["Disk vdb:"].endswith("data.raw (raw 1 MiB, readonly)")
        assert kv["NIC 0:"] == ("user, mac 52:54:00:00:00:02, hostfwd "
                                "tcp:127.0.0.1:2222-:22"), kv
        r = verged.verge("vm", "disk", "list", "dv")
        rows = table(r.stdout)
        assert rows[0] == ["INDEX", "DEVICE", "PATH", "IMAGE"]
        assert [x[1] for x in rows[1:]] == ["vda", "vdb"]
        r = verged.verge("vm", "disk", "remove", "dv", "--index", "1")
        assert r.returncode == 0, r.stderr
        r = verged.verge("--json", "vm", "disk", "add", "dv", "data.raw",
                         cwd=verged.tmp)
        assert r.returncode == 0, r.stderr
        disks = json.loads(r.stdout)
        assert [d["readonly"] for d in disks] == [False, False]
        assert disks[1]["path"] == str(verged.tmp / "data.raw")
        # bad input: a precise message, exit status 2 for usage
        r = verged.verge("vm", "disk", "add", "dv", "nonexistent.img",
                         cwd=verged.tmp)
        assert r.returncode == 2 and "nonexistent.img" in r.stderr, r
        r = verged.verge("vm", "disk", "add", "dv", "data.raw,discard",
                         cwd=verged.tmp)
        assert r.returncode != 0 and "unknown option 'discard'" in \
            r.stderr, r
    finally:
        undefine(verged, "dv")
