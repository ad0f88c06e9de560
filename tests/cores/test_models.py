# SPDX-License-Identifier: Apache-2.0
"""verge-hv on today's Arm cores (issue 14): for each CPU model of QEMU 7.2
and QEMU 10 (coresvm.MODELS), the Debian kernel boots under verge-hv to
userspace on 2 vCPUs, the guest's programs use what the core has (FP/SIMD
everywhere; SVE, PAuth, BTI and MTE where the model has them) while the
hypervisor takes traps, and the guest powers off.

coretest (tests/cores/coretest.c, in the test initramfs) does the work in
the guest: `coretest fp|sve SECONDS 2` runs a vector worker pinned to each
vCPU that checks every round against the same sums done in C, and a
backdoor caller (traps to EL2) all the while; the host changes the clock
rate through the management channel meanwhile (vCPU stalls of dilated time).
"""

import os
import re
import time

import pytest

import linuxvm as lv
from coresvm import stress_seconds

HWCAPS_RE = r"coretest hwcaps: sve=(\d) paca=(\d) bti=(\d) mte=(\d)"


def hwcaps(core):
    out = core.vm.check("coretest hwcaps", 30)
    m = re.search(HWCAPS_RE, out)
    assert m, out
    return {f for f, v in zip(("sve", "paca", "bti", "mte"), m.groups())
            if v == "1"}


def rate_changes(core):
    """Whether the stress also changes the clock rate: on every model of
    both QEMUs (dilation, or the exact mode on QEMU 10's max);
    VERGE_CORES_RATES=0 turns the changes off."""
    del core
    return os.environ.get("VERGE_CORES_RATES", "1") != "0"


# The stress's rates, in turn every 0.5 s: below 1 (vCPU stalls), above 1
# (G gets ahead of the host counter: CNTVOFF_EL2 negative without ECV)
# and back to 1 each time (still ahead after the first 2/1).
RATES = [(1, 2), (1, 1), (2, 1), (1, 1)]


def need(core, feat):
    if feat not in core.feats:
        pytest.skip("%s on QEMU %s has no %s" % (core.cpu, core.version,
                                                   feat))


def test_boots_on_two_cpus(core):
    """Userspace on 2 vCPUs, and the guest is told exactly the features
    of the model that verge-hv gives it (coresvm.MODELS); verge-hv's boot
    line names the core's features, and no trap met an UNDEF on the
    way. (tests/linux boots only the default model: the others boot
    here.) The hypervisor's banner comes before the guest kernel's first
    line, and the kernel never panicked."""
    t = core.vm.text
    assert "Kernel panic" not in t
    assert t.index(lv.HV_BANNER) < t.index("Booting Linux")
    out = core.vm.check("grep -c ^processor /proc/cpuinfo", 30)
    assert out.split()[-1] == "2", out
    assert hwcaps(core) == core.feats
    m = re.search(r"verge-hv: cpu features: (.*)", core.vm.text)
    assert m, "no 'cpu features' line from verge-hv"
    said = {f.split("(")[0] for f in m.group(1).split()}
    assert {"fp", "simd"} <= said, m.group(1)
    for feat, name in (("sve", "sve"), ("paca", "pauth"), ("bti", "bti"),
                       ("mte", "mte")):
        if feat in core.feats:
            assert name in said, "verge-hv says %r" % m.group(1)
    assert "UNDEF injected" not in core.vm.text, "\n".join(
        line for line in core.vm.text.splitlines() if "UNDEF" in line)


def test_vector_stress_under_traps(core):
    """FP/SIMD (and SVE, on SVE models, at the same time: the kernel
    switches the two kinds of state on each vCPU) stay intact for
    VERGE_CORES_STRESS_S guest seconds while backdoor calls, timer traps
    and clock-rate changes (RATES, every 0.5 s: vCPU stalls, G ahead of
    the host counter; see rate_changes) hit EL2."""
    secs = stress_seconds()
    sve = "sve" in core.feats
    rates = rate_changes(core)
    cmd = "coretest fp %g 2" % secs
    if sve:
        cmd = "coretest sve %g 2 & %s; wait $!" % (secs, cmd)
    vm = core.vm
    vm.skip()
    vm.send('echo "@@VB"""; %s; echo "@@VE=$?"""\n' % cmd)
    vm.expect(r"(?m)^@@VB\n", 30)
    start, changes = vm.pos, 0
    deadline = time.monotonic() + 6 * secs + 60
    while not re.search(r"(?m)^@@VE=\d+\n", vm.text[start:]):
        if time.monotonic() > deadline:
            vm.fail("coretest did not finish")
        if rates:
            core.m.set_rate(*RATES[changes % len(RATES)])
            changes += 1
        if not vm.drain(0.5):
            vm.fail("QEMU exited during the stress")
    if rates:
        core.m.set_rate(1, 1)
    m = vm.expect(r"(?m)^@@VE=(\d+)\n", 30)
    out = vm.text[start:m.start()]
    if rates:   # its timer still wakes the guest, G ahead of P or not
        assert "slept" in vm.check("sleep 0.2; echo slept", 30)
    assert "coretest fp: PASS" in out, out
    if sve:
        assert "coretest sve: PASS" in out, out
        vl = [int(x) for x in re.findall(r"vl (\d+) bytes", out)]
        assert max(vl) >= 16, out
    # every backdoor call answered by verge-hv, and many of them
    calls = re.findall(r"backdoor (\d+) calls, (\d+) answered", out)
    assert calls and all(a == c and int(c) > 100 for c, a in calls), out
    assert changes >= len(RATES) or not rates, changes


def test_pauth(core):
    """The kernel uses pointer authentication (its boot log says so) and
    a user program signs and authenticates pointers with its own keys."""
    need(core, "paca")
    dmesg = core.vm.check("dmesg | grep 'CPU features: detected'", 30)
    assert re.search(r"detected: Address authentication", dmesg), dmesg
    out = core.vm.check("coretest pauth", 30)
    assert "coretest pauth: PASS" in out, out


def test_bti(core):
    """The kernel uses BTI (boot log) and a PROT_BTI page enforces its
    landing pads for a program built with -mbranch-protection=standard."""
    need(core, "bti")
    dmesg = core.vm.check("dmesg | grep 'CPU features: detected'", 30)
    assert "detected: Branch Target Identification" in dmesg, dmesg
    out = core.vm.check("coretest bti", 30)
    assert "coretest bti: PASS" in out, out


def test_mte(core):
    """With mte=on the kernel enables MTE (boot log) and a tag mismatch in
    a PROT_MTE page gets SIGSEGV with SEGV_MTESERR, as on bare metal."""
    need(core, "mte")
    dmesg = core.vm.check("dmesg | grep 'CPU features: detected'", 30)
    assert "detected: Memory Tagging Extension" in dmesg, dmesg
    out = core.vm.check("coretest mte", 30)
    assert "coretest mte: PASS" in out, out


def test_powers_off(core):
    """poweroff ends QEMU with status 0 (PSCI SYSTEM_OFF through
    verge-hv), with nothing the hypervisor refused on the way."""
    core.vm.send("poweroff -f\n")
    assert core.vm.wait_exit(120) == 0
    assert "UNDEF injected" not in core.vm.text
