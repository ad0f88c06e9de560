# SPDX-License-Identifier: Apache-2.0
"""verge-hv on a core with EL3 (QEMU virt,secure=on: every board whose
firmware is TF-A). CNTFRQ_EL0 is then writable only at EL3 and a write at
EL2 is UNDEFINED: verge-hv must never write it, must present a frequency
by the DT's /timer clock-frequency alone, and must say so."""

import re

import pytest

import qemu_run

GUEST = "0x44000000"
TIMEOUT = 40
FREQ = 125000000        # twice QEMU's 62.5 MHz counter


@pytest.fixture(autouse=True)
def needs_hv(bare):
    if bare:
        pytest.skip("needs verge-hv")


def el3_cmd(qemu_cmd, append):
    cmd = qemu_cmd(append=append)
    i = cmd.index("-M")
    cmd[i + 1] += ",secure=on"
    return cmd


def test_presented_frequency_with_el3(qemu_cmd):
    rc, text = qemu_run.run(el3_cmd(
        qemu_cmd, "verge.kernel=%s verge.freq=%d --" % (GUEST, FREQ)),
        TIMEOUT)
    assert "PANIC" not in text, text[-3000:]
    assert "verge-hv: EL3 implemented: CNTFRQ_EL0 is left as it is" in text, \
        text[-3000:]
    assert ("guest clock: counter presented at %d Hz by DT only (EL3 owns "
            "CNTFRQ_EL0)" % FREQ) in text, text[-3000:]
    # The guest runs, and its CNTFRQ_EL0 is still the host's.
    assert re.search(r"^PASS boot_el$", text, re.M), text[-3000:]
    m = re.search(r"INFO vtimer_rate: .* CNTFRQ (\d+) Hz", text)
    assert m and int(m.group(1)) == 62500000, text[-3000:]


def test_acpi_guest_cannot_get_a_frequency_with_el3(qemu_cmd):
    """ACPI has no frequency field: the guest reads only CNTFRQ_EL0."""
    rc, text = qemu_run.run(el3_cmd(
        qemu_cmd, "verge.kernel=%s verge.acpi=1 verge.freq=%d --"
        % (GUEST, FREQ)), TIMEOUT)
    assert ("verge-hv: cannot present %d Hz to an ACPI guest: EL3 owns "
            "CNTFRQ_EL0 on this core" % FREQ) in text, text[-3000:]
    assert "refusing to boot the guest" in text
    assert not re.search(r"^PASS ", text, re.M)
    assert rc is not None, "QEMU still running:\n" + text[-3000:]
