# SPDX-License-Identifier: Apache-2.0
"""verged with QEMU 10 from the cache (issue 14): `--qemu` names the
QEMU that scripts/fetch-qemu10.sh unpacked outside /usr; a VM of one of
its CPU models boots the Debian kernel in its jail, which binds the
binary and its data directory (-L), with QEMU's seccomp sandbox on.
vm.show and REST name the model and QEMU's version; models are checked
against QEMU 10's own list (neoverse-n2 is not in QEMU 7.2's).

Needs root for the jail (skipped otherwise) and QEMU 10 in the cache
(`make deps`; VERGE_QEMU10 names another)."""

import os
from pathlib import Path

import pytest

import rest_harness as rh  # noqa: E402
import verged_harness as vh  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="jails need verged to run as root")

BOOT_TIMEOUT = 150


def qemu10():
    q = Path(os.environ.get("VERGE_QEMU10") or vh.cache_dir() / "qemu10" /
             "usr" / "bin" / "qemu-system-aarch64")
    if not q.exists():
        pytest.fail("missing %s (QEMU 10: run make deps)" % q)
    return q.resolve()


@pytest.fixture(scope="module")
def vd():
    vh.guest_files()
    q = qemu10()
    v = rh.RestVerged(host="q10")
    v.start(args=["--qemu", str(q)])
    try:
        yield v
    finally:
        v.cleanup()


def test_jailed_vm_boots_on_qemu10(vd):
    """A neoverse-n1 VM (2 vCPUs) under QEMU 10 in its jail reaches
    userspace; its QEMU is the cache's binary with -L of its data files;
    vm.show and GET /v1/vms/NAME say cpu neoverse-n1 and QEMU 10.x."""
    q = qemu10()
    r = vh.define_vm(vd, "n1", cpu="neoverse-n1", cpus=2, memory_mib=512)
    assert r["cpu"] == "neoverse-n1"
    assert r["qemu"]["binary"] == str(q)
    assert r["qemu"]["version"].startswith("10."), r["qemu"]
    vd.call("vm.start", name="n1")
    con = vd.state / "vms" / "n1" / "console.log"
    vh.wait_for("userspace in n1", lambda: con.exists() and
                "verge-init: userspace up" in con.read_text(errors="replace"),
                BOOT_TIMEOUT, 1)
    show = vd.call("vm.show", name="n1")
    assert show["isolation"]["jail"] is True
    pid = show["pid"]
    assert os.readlink("/proc/%d/exe" % pid) == str(q)
    argv = Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
    assert argv[argv.index(b"-L") + 1] == \
        bytes(q.parent.parent / "share" / "qemu")
    assert argv[argv.index(b"-cpu") + 1] == b"neoverse-n1"
    assert b"-sandbox" in argv
    rest = vd.get("/v1/vms/n1").json()
    assert rest["cpu"] == "neoverse-n1"
    assert rest["qemu"]["version"] == r["qemu"]["version"]
    vd.call("vm.kill", name="n1")


def test_model_checked_against_qemu10(vd):
    """QEMU 10's list, not QEMU 7.2's: neoverse-n2 is accepted, a model
    neither has is refused naming QEMU 10."""
    assert vh.define_vm(vd, "n2", cpu="neoverse-n2")["cpu"] == "neoverse-n2"
    with pytest.raises(vh.RpcError) as e:
        vh.define_vm(vd, "bad", cpu="neoverse-z9")
    assert e.value.data.get("param") == "cpu"
    assert "QEMU 10." in e.value.error["message"], e.value.error
