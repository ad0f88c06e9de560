# SPDX-License-Identifier: Apache-2.0
"""Text a hostile guest writes (fake_qemu.py fake.hostile=1: ESC and OSC
sequences, C1 controls as UTF-8 and as raw bytes, DEL, a byte that is not
UTF-8) never reaches the operator's terminal as a control through any
human output of verge: agent reports and replies, agent errors, guestinfo,
events, the console, vm show/list (issue 12). --json keeps the exact
text. And verged's log (under the journal: JOURNAL_STREAM) keeps a guest's
line break and "<0>" priority inside one escaped line of its own."""

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import verged_harness as vh
from fake_qemu import HOSTILE

FAKE = Path(__file__).resolve().parent / "fake_qemu.py"
VERGE = vh.build_dir() / "verge"


@pytest.fixture(scope="module")
def vd():
    v = vh.Verged(config_extra="binary = %s\n" % FAKE,
                  env={"JOURNAL_STREAM": "8:12345"}, isolation="off")
    (v.tmp / "hv.bin").write_bytes(b"hv")
    v.config.write_text(v.config.read_text().replace(
        str(vh.build_dir() / "verge-hv.bin"), str(v.tmp / "hv.bin"))
        + "[rest]\nlisten = off\n")
    kernel = v.tmp / "Image"
    kernel.write_bytes(b"k")
    try:
        v.start(["--verbose"])
        v.call("vm.define", name="g", kernel=str(kernel),
               cmdline="fake.hostile=1")
        v.call("vm.start", name="g")
        deadline = time.monotonic() + 15
        while not (v.call("vm.show", name="g")["agent"]["seen"] and
                   v.call("guestinfo.get", name="g", key="evil")["value"]):
            assert time.monotonic() < deadline, v.log_text()
            time.sleep(0.1)
        yield v
    finally:
        v.cleanup()


def verge(vd, *args):
    env = {k: v for k, v in os.environ.items() if k != "VERGE_SOCKET"}
    return subprocess.run([str(VERGE), "--socket", str(vd.socket)] +
                          list(args), capture_output=True, timeout=30,
                          env=env)


def controls(data):
    """The terminal controls in data: C0 but LF and TAB, DEL, C1 (as
    UTF-8), and every byte that is not UTF-8 (a raw 8-bit C1)."""
    text = data.decode("utf-8", errors="surrogateescape")
    return [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or
            0x7f <= ord(c) <= 0x9f or 0xdc80 <= ord(c) <= 0xdcff]


COMMANDS = [
    ("agent", "show", "g"),
    ("vm", "show", "g"),
    ("guestinfo", "get", "g", "evil"),
    ("agent", "detect", "g"),
    ("agent", "sync-time", "g"),     # the agent's error message
    ("vm", "console", "g"),
    ("events", "g"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_human_output_holds_no_control(vd, args):
    r = verge(vd, *args)
    out = r.stdout + r.stderr
    # the guest's text did arrive (shown with '?' for its controls)
    assert b"owned" in out or b"0;t" in out, (args, out)
    assert controls(out) == [], (args, out)


def json_strings(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from json_strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from json_strings(x)
    elif isinstance(v, str):
        yield v


@pytest.mark.parametrize("args", [a for a in COMMANDS
                                  if a[1] != "sync-time"], ids=" ".join)
def test_json_keeps_the_exact_text(vd, args):
    r = verge(vd, "--json", *args)
    assert r.returncode == 0, r.stderr
    # exact once decoded (the C1 CSI the guest wrote is there; verged
    # itself turns C0 into '?' in console and guestinfo text), yet no raw
    # control on the terminal either
    assert controls(r.stdout) == []
    doc = json.loads(r.stdout)
    assert any("\u009b31m" in s for s in json_strings(doc)), (args, doc)


def test_json_error_keeps_the_agents_text(vd):
    r = verge(vd, "--json", "agent", "sync-time", "g")
    assert r.returncode != 0
    assert controls(r.stderr) == []
    assert json.loads(r.stderr)["error"]["message"].endswith(HOSTILE)


def test_log_lines_cannot_be_forged(vd):
    """The guest sent RPCI text 'evil.cmd x\\n<0>forged line\\r<3>also',
    which verged logs (debug). Under the journal every line starts with
    verged's own priority and the guest's text stays in its line."""
    log = vd.log.read_bytes()
    lines = log.split(b"\n")
    forged = [ln for ln in lines if b"forged" in ln]
    assert len(forged) == 1, forged
    assert forged[0].startswith(b"<7>")
    assert b"evil.cmd x\\n<0>forged line\\r<3>also" in forged[0]
    assert all(re.match(rb"<[0-7]>", ln) for ln in lines if ln), \
        [ln for ln in lines if ln and not re.match(rb"<[0-7]>", ln)]
    assert b"\r" not in log and controls(log.replace(b"\n", b"")) == []
