# SPDX-License-Identifier: Apache-2.0
"""verge-hv's own options (/chosen/bootargs before "--"): an error is
reported on the console, the guest never starts, and the machine powers
off (QEMU exits). The test guest is loaded so that a start would show."""

import pytest

import qemu_run

TIMEOUT = 30
GUEST = "0x44000000"


@pytest.fixture(autouse=True)
def needs_hv(bare):
    if bare:
        pytest.skip("needs verge-hv")


def boot(qemu_cmd, append):
    rc, text = qemu_run.run(qemu_cmd(append=append), TIMEOUT)
    return rc, text, text.splitlines()


def check_error(rc, text, lines, *words):
    hits = [l for l in lines if all(w in l for w in ("verge-hv:",) + words)]
    assert hits, "no console line with verge-hv: and %s\n%s" % (
        ", ".join(words), text[-3000:])
    started = [l for l in lines if l.startswith(("PASS ", "FAIL "))]
    assert not started, "the guest ran after the error:\n" + "\n".join(started)
    assert rc is not None, "QEMU still running after %d s:\n%s" % (
        TIMEOUT, text[-3000:])


@pytest.mark.parametrize("append, words", [
    ("verge.kernel=%s verge.bogus=1 --" % GUEST,
     ("unknown option", "verge.bogus")),
    ("verge.kernel=zz --", ("verge.kernel", "bad value")),
    (None, ("verge.kernel", "required")),
    ("--", ("verge.kernel", "required")),
    ("verge.kernel=%s verge.acpi=1 verge.ptimer=1 --" % GUEST,
     ("verge.acpi=1", "verge.ptimer=1", "cannot be combined")),
], ids=["unknown_option", "bad_value", "no_append", "missing_kernel",
        "acpi_with_ptimer"])
def test_bad_bootargs(qemu_cmd, append, words):
    check_error(*boot(qemu_cmd, append), *words)
