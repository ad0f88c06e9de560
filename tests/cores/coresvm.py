# SPDX-License-Identifier: Apache-2.0
"""The cores tier's VMs: one per CPU model (conftest.py boots each once
for the model's tests), always killed by its pid.

VERGE_QEMU (default: the system's QEMU 7.2) and VERGE_QEMU10 (default:
$VERGE_CACHE/qemu10/usr/bin/qemu-system-aarch64, which `make deps`
unpacks) are the two QEMUs. VERGE_CORES=QEMU:MODEL,... (e.g.
"10:neoverse-n2,7.2:max") runs only those models; VERGE_CORES_STRESS_S
sets the stress time in guest seconds (default 10). A model whose boot
verge-hv refuses (an UNDEF for a register or trap of a newer core) is
skipped, naming the refused register or trap and the hypervisor feature
it needs; VERGE_CORES_STRICT=1 fails it instead.
"""

import os
import re
import tempfile
from pathlib import Path

import pytest

import linuxvm as lv  # noqa: E402
import mgmt  # noqa: E402

# What each model shows a guest of bare QEMU (its kernel's hwcaps), and so
# what verge-hv must give it: the guest owns FP/SIMD, SVE, the PAuth keys
# and MTE (docs/hypervisor.md). "mte" runs the machine with mte=on.
# QEMU 7.2's max uses the architected QARMA5 for PAuth unless
# pauth-impdef=on, which boots several times faster under TCG (QEMU 10's
# max defaults to it).
MODELS = [
    ("7.2", "cortex-a57", set()),
    ("7.2", "cortex-a72", set()),
    ("7.2", "max", {"sve", "paca", "bti", "mte"}),
    ("10", "cortex-a57", set()),
    ("10", "cortex-a76", set()),
    ("10", "neoverse-n1", set()),
    ("10", "neoverse-v1", {"sve", "paca"}),
    ("10", "neoverse-n2", {"sve", "paca", "bti", "mte"}),
    ("10", "max", {"sve", "paca", "bti", "mte"}),
]
CPU_OPTS = {("7.2", "max"): ",pauth-impdef=on"}

# System registers whose trapped access verge-hv refuses (UNDEF) on a
# hypervisor without the cores work: the feature each one belongs to.
REFUSED = {
    "S3_0_C1_C0_6": "MTE (GCR_EL1; HCR_EL2.ATA)",
    "S3_0_C1_C2_0": "SVE (ZCR_EL1; CPTR_EL2)",
    "S3_0_C2_C1_0": "pointer authentication (APIAKeyLo_EL1; HCR_EL2.APK)",
}
REFUSED_RE = re.compile(r"verge-hv: cpu\d+: (?:write to|read of|read) "
                        r"(S\d_\d_C\d+_C\d+_\d) at pc \S+: UNDEF injected")
EC_RE = re.compile(r"verge-hv: cpu\d+: unhandled trap EC=(0x19|0x09|0x1c) "
                   r".*UNDEF injected")
UNDEF = "UNDEF injected"


def stress_seconds():
    return float(os.environ.get("VERGE_CORES_STRESS_S", "10"))


def qemu_for(version):
    if version == "10":
        q = os.environ.get("VERGE_QEMU10") or str(
            lv.cache_dir() / "qemu10" / "usr" / "bin" / "qemu-system-aarch64")
        q = Path(q)
        return q if q.is_absolute() else lv.REPO / q
    return os.environ.get("VERGE_QEMU") or os.environ.get("QEMU") \
        or "qemu-system-aarch64"


def selected():
    want = os.environ.get("VERGE_CORES", "")
    if not want:
        return MODELS
    pick = {tuple(x.split(":", 1)) for x in want.split(",") if x}
    return [m for m in MODELS if (m[0], m[1]) in pick]


def model_id(m):
    return "qemu%s-%s" % (m[0], m[1])


def needs_cores_work(console):
    """The hypervisor feature a boot that failed lacks, if its console
    shows verge-hv refusing a modern core's register or trap; else None."""
    m = REFUSED_RE.search(console)
    if m:
        return "verge-hv refused %s (%s)" % (
            m.group(1), REFUSED.get(m.group(1), "a register of a newer core"))
    m = EC_RE.search(console)
    if m:
        return "verge-hv refused trap EC %s (%s)" % (m.group(1), {
            "0x19": "SVE: CPTR_EL2", "0x09": "PAuth: HCR_EL2.API",
            "0x1c": "PAuth: HCR_EL2.API"}[m.group(1)])
    return None


class CoreVM:
    """A VM of one model at its shell prompt, with its management
    channel (for rate changes while the guest works)."""

    def __init__(self, version, cpu, feats):
        self.version, self.cpu, self.feats = version, cpu, feats
        self.name = "%s-%s" % (version, cpu)
        self.qemu = qemu_for(version)
        if version == "10" and not Path(self.qemu).exists():
            pytest.fail("missing %s (QEMU 10: run make deps)" % self.qemu)
        for p in (lv.cache_dir() / "Image", lv.initrd_path(), lv.hv_bin()):
            if not p.exists():
                pytest.fail("missing %s (run make fixtures / make)" % p)
        sock = mgmt.sock_path(tempfile.mkdtemp(prefix="verge-cores-"))
        old = os.environ.get("VERGE_QEMU")
        os.environ["VERGE_QEMU"] = str(self.qemu)
        try:
            cmd = lv.hv_cmd(cpu=cpu + CPU_OPTS.get((version, cpu), ""),
                            smp=2, extra_args=mgmt.qemu_args(sock))
        finally:
            if old is None:
                del os.environ["VERGE_QEMU"]
            else:
                os.environ["VERGE_QEMU"] = old
        if "mte" in feats:
            i = cmd.index("-M") + 1
            cmd[i] += ",mte=on"
        self.vm = lv.VM(cmd)
        self.m = None
        self.sock = sock

    def boot(self):
        self.m = mgmt.Mgmt(self.sock).connect()
        self.m.hello()
        try:
            # userspace, or the hypervisor refusing the core (which the
            # guest never survives: no need to wait for the timeout)
            self.vm.expect(re.escape(lv.HV_BANNER), lv.BOOT_TIMEOUT)
            m = self.vm.expect(r"(?m)^%s$|%s" % (re.escape(lv.USERSPACE_UP),
                                                 UNDEF), lv.BOOT_TIMEOUT)
            if m.group(0) == UNDEF:
                self.vm.drain(1)
                self.vm.fail("verge-hv refused the guest")
            self.vm.shell(30)
        except lv.VMError:
            why = needs_cores_work(self.vm.text)
            strict = os.environ.get("VERGE_CORES_STRICT", "") not in ("", "0")
            if why and not strict:
                pytest.skip("%s on %s: this verge-hv cannot run it yet (%s)"
                            % (self.cpu, "QEMU " + self.version, why))
            raise

    def close(self):
        if self.m:
            self.m.close()
        self.vm.kill()
        try:
            d = lv.build_dir() / "cores-logs"
            d.mkdir(parents=True, exist_ok=True)
            (d / (self.name + ".log")).write_text(
                "$ %s\n%s" % (" ".join(map(str, self.vm.cmd)), self.vm.text))
        except OSError:
            pass
