# SPDX-License-Identifier: Apache-2.0
"""Shared set-up of the hypervisor tier: paths and QEMU command lines.

VERGE_BUILD (default "build", relative to the repository root) holds
verge-hv.bin and tests/guest/guest.bin. VERGE_HV_BARE=1 runs the test
guest on bare QEMU at EL1, without the hypervisor, to check the guest and
these tests themselves; the hypervisor-only expectations are then skipped.
"""

import os
from pathlib import Path

import pytest

import linuxvm  # noqa: E402  (VERGE_QEMU, VERGE_CPU)

REPO = Path(__file__).resolve().parents[2]
BARE = os.environ.get("VERGE_HV_BARE", "") not in ("", "0")
GUEST_ADDR = "0x44000000"


def build_dir():
    p = Path(os.environ.get("VERGE_BUILD", "build"))
    return p if p.is_absolute() else REPO / p


def hv_bin():
    return build_dir() / "verge-hv.bin"


def guest_bin():
    return build_dir() / "tests" / "guest" / "guest.bin"


def _qemu_cmd(cpu=None, append="verge.kernel=%s --" % GUEST_ADDR,
              extra_args=(), qemu=None):
    """QEMU running verge-hv.bin with the test guest at 0x44000000.

    append=None leaves -append out; extra_args are added at the end (e.g.
    mgmt.qemu_args(path) for the management channel). Under VERGE_HV_BARE
    the guest is started directly at EL1 by a generic loader, without the
    hypervisor. qemu (a list: binary and its own options) defaults to
    $VERGE_QEMU (else $QEMU, else the system's) with its -L, cpu to
    $VERGE_CPU (else cortex-a57)."""
    qemu = list(qemu) if qemu else \
        [linuxvm.qemu_bin()] + linuxvm.qemu_data_args()
    cmd = qemu + [
           "-M", "virt,gic-version=3" + ("" if BARE else ",virtualization=on"),
           "-cpu", cpu or linuxvm.default_cpu(), "-smp", "2", "-m", "1G", "-nographic", "-no-reboot",
           "-device", "loader,file=%s,addr=%s,force-raw=on"
           % (guest_bin(), GUEST_ADDR)]
    if BARE:
        return cmd + ["-device", "loader,addr=%s,cpu-num=0" % GUEST_ADDR] \
            + list(extra_args)
    cmd += ["-kernel", str(hv_bin())]
    return cmd + (["-append", append] if append is not None else []) \
        + list(extra_args)


@pytest.fixture(scope="session")
def bare():
    """True when the guest runs without the hypervisor (VERGE_HV_BARE=1)."""
    return BARE


@pytest.fixture(scope="session")
def qemu_cmd():
    """qemu_cmd(cpu=..., append=..., extra_args=...) -> the QEMU command line as a list;
    fails the test when an image it needs has not been built."""
    need = [guest_bin()] + ([] if BARE else [hv_bin()])
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        pytest.fail("missing %s (run make)" % ", ".join(missing))
    return _qemu_cmd
