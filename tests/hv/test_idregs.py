# SPDX-License-Identifier: Apache-2.0
"""The guest's view of the ID registers against the policy table of
docs/hypervisor.md ("What the guest sees").

The test guest ("guest.tests=idregs") reads every encoding of the ID space
(op0 3, op1 0, CRn 0, CRm 1-7) at EL1 and prints it. Each row of the table
that names bits and "0" or "<= N" must hold; an encoding that no row
names must read 0. On QEMU's `max` the fields the table passes on must
show what that core has (SVE, PAuth, BTI, ...), so a sanitiser that hid
too much fails too; with `mte=on` MTE is offered, without it hidden.
"""

import re
from pathlib import Path

import pytest

import qemu_run
from conftest import GUEST_ADDR
from test_guest import tail

TIMEOUT = 120
DOC = Path(__file__).resolve().parents[2] / "docs" / "hypervisor.md"

# (CRm, op2) of each register name the table may use.
ENCODING = {
    "ID_PFR0_EL1": (1, 0), "ID_PFR1_EL1": (1, 1), "ID_DFR0_EL1": (1, 2),
    "ID_AFR0_EL1": (1, 3), "ID_MMFR0_EL1": (1, 4), "ID_MMFR1_EL1": (1, 5),
    "ID_MMFR2_EL1": (1, 6), "ID_MMFR3_EL1": (1, 7),
    "ID_ISAR0_EL1": (2, 0), "ID_ISAR1_EL1": (2, 1), "ID_ISAR2_EL1": (2, 2),
    "ID_ISAR3_EL1": (2, 3), "ID_ISAR4_EL1": (2, 4), "ID_ISAR5_EL1": (2, 5),
    "ID_MMFR4_EL1": (2, 6), "ID_ISAR6_EL1": (2, 7),
    "MVFR0_EL1": (3, 0), "MVFR1_EL1": (3, 1), "MVFR2_EL1": (3, 2),
    "ID_PFR2_EL1": (3, 4), "ID_DFR1_EL1": (3, 5), "ID_MMFR5_EL1": (3, 6),
    "ID_AA64PFR0_EL1": (4, 0), "ID_AA64PFR1_EL1": (4, 1),
    "ID_AA64PFR2_EL1": (4, 2), "ID_AA64ZFR0_EL1": (4, 4),
    "ID_AA64SMFR0_EL1": (4, 5), "ID_AA64FPFR0_EL1": (4, 7),
    "ID_AA64DFR0_EL1": (5, 0), "ID_AA64DFR1_EL1": (5, 1),
    "ID_AA64AFR0_EL1": (5, 4), "ID_AA64AFR1_EL1": (5, 5),
    "ID_AA64ISAR0_EL1": (6, 0), "ID_AA64ISAR1_EL1": (6, 1),
    "ID_AA64ISAR2_EL1": (6, 2), "ID_AA64ISAR3_EL1": (6, 3),
    "ID_AA64MMFR0_EL1": (7, 0), "ID_AA64MMFR1_EL1": (7, 1),
    "ID_AA64MMFR2_EL1": (7, 2), "ID_AA64MMFR3_EL1": (7, 3),
    "ID_AA64MMFR4_EL1": (7, 4),
}
IDREG = re.compile(r"^IDREG (\d) (\d) 0x([0-9a-f]+)$", re.M)


def policy():
    """(registers the table names, [(reg, field, lo, width, op, value)])
    from the table; op is "==" or "<=", rows "as the core" only name."""
    text = DOC.read_text()
    start = text.index("### What the guest sees")
    named, rules = set(), []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("Register", "---"):
            continue
        regs = [r.strip() for r in cells[0].split(",")]
        for r in regs:
            assert r in ENCODING, "docs table names unknown register %r" % r
            named.add(r)
        sees, bits = cells[3], cells[2]
        if sees == "as the core":
            continue
        m = re.fullmatch(r"(\d+):(\d+)", bits)
        assert m and len(regs) == 1, "docs table row without bits: %r" % line
        hi, lo = int(m.group(1)), int(m.group(2))
        v = re.fullmatch(r"(<=\s*)?(\d+)", sees)
        assert v, "docs table row: what does %r mean?" % sees
        rules.append((regs[0], cells[1], lo, hi - lo + 1,
                      "<=" if v.group(1) else "==", int(v.group(2))))
    assert rules and named, "no policy table found in %s" % DOC
    return named, rules


def field(v, lo, width=4):
    return (v >> lo) & ((1 << width) - 1)


def run_guest(qemu_cmd, machine_opts=""):
    cmd = qemu_cmd(cpu="max,pauth-impdef=on",
                   append="verge.kernel=%s -- guest.tests=idregs" % GUEST_ADDR)
    if machine_opts:
        cmd[cmd.index("-M") + 1] += "," + machine_opts
    rc, text = qemu_run.run(cmd, TIMEOUT)
    assert re.search(r"^PASS idregs$", text, re.M), \
        "the guest could not read every ID register (exit %s)\n%s" \
        % (rc, tail(text))
    regs = {(int(m), int(o)): int(v, 16) for m, o, v in IDREG.findall(text)}
    assert len(regs) == 56, "%d IDREG lines\n%s" % (len(regs), tail(text))
    return regs


@pytest.fixture(scope="module", params=["", "mte=on"])
def view(request, qemu_cmd, bare):
    if bare:
        pytest.skip("needs verge-hv")
    return request.param, run_guest(qemu_cmd, request.param)


def test_table_holds(view):
    _, regs = view
    named, rules = policy()
    bad = []
    for reg, name, lo, width, op, want in rules:
        got = field(regs[ENCODING[reg]], lo, width)
        if (op == "==" and got != want) or (op == "<=" and got > want):
            bad.append("%s.%s = %d, the table says %s %d"
                       % (reg, name, got, op, want))
    listed = {ENCODING[r] for r in named}
    for enc, v in sorted(regs.items()):
        if enc not in listed and v != 0:
            bad.append("S3_0_C0_C%d_%d = 0x%x: not in the table, must read 0"
                       % (enc[0], enc[1], v))
    assert not bad, "\n".join(bad)


def test_what_max_offers_is_passed_on(view):
    """QEMU's max has these; the table passes them on."""
    machine, regs = view
    pfr0, pfr1 = regs[(4, 0)], regs[(4, 1)]
    isar1 = regs[(6, 1)]
    assert field(pfr0, 16) == 1 or field(pfr0, 16) == 0, "FP"
    assert field(pfr0, 32) >= 1, "SVE hidden"
    assert field(regs[(4, 4)], 0) >= 1, "SVE2 hidden (ID_AA64ZFR0.SVEver)"
    assert field(isar1, 4) or field(isar1, 8) or field(regs[(6, 2)], 12), \
        "PAuth hidden"
    assert field(pfr1, 0) >= 1, "BTI hidden"
    assert field(pfr1, 24) >= 1, "SME hidden"
    assert field(pfr0, 24) >= 1, "GIC system registers hidden"
    mte = field(pfr1, 8)
    if machine == "mte=on":
        assert mte >= 2, "MTE hidden although the machine has tag memory"
    else:
        assert mte == 0, "MTE offered without tag memory"
