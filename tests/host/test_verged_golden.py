# SPDX-License-Identifier: Apache-2.0
"""Golden JSON-RPC exchanges: request in, expected response out
(verged_golden.txt), on one connection to a fresh verged."""

import json
from pathlib import Path

import verged_harness as vh

GOLDEN = Path(__file__).resolve().parent / "verged_golden.txt"


def exchanges():
    lines = [x for x in GOLDEN.read_text().splitlines()
             if x and not x.startswith("#")]
    pairs = []
    for line in lines:
        if line.startswith("> "):
            pairs.append([line[2:], None])
        elif line.startswith("< "):
            pairs[-1][1] = json.loads(line[2:])
        else:
            assert line == "<!", line
    return pairs


def test_golden():
    v = vh.Verged()
    try:
        v.start()
        with v.client(timeout=10) as c:
            for req, want in exchanges():
                c.send_raw(req.encode() + b"\n")
                if want is None:
                    continue        # a notification: nothing comes back
                got = c.read_json()
                assert got == want, "request %s" % req
    finally:
        v.cleanup()
