# SPDX-License-Identifier: Apache-2.0
"""The Debian kernel under verge-hv on today's Arm cores, 2 vCPUs each:
QEMU 7.2's `max` and, from the cache's QEMU 10 (skipped where it is not),
`max` with tag memory, neoverse-v1, neoverse-n2, neoverse-n1 and
cortex-a76. Each boots to userspace; the hypervisor's boot line names the
core's features; the guest kernel's log and /proc/cpuinfo show the
features the core has (SVE, PAuth, BTI, MTE) working at EL1/EL0, and no
trap met an UNDEF on the way. Models with PAuth run with
pauth-impdef=on (QEMU's QARMA5 is slow under TCG)."""

import re
import time

import pytest

import linuxvm as lv

# (QEMU, -cpu, -M options, hypervisor features, guest log lines, cpuinfo
# features that must be there, and that must not).
SVE = r"SVE: maximum available vector length \d+ bytes"
PAUTH = r"CPU features: detected: Address authentication"
BTI = r"CPU features: detected: Branch Target Identification"
MODELS = [
    ("7.2", "max,pauth-impdef=on", "", {"sve", "sve2", "pauth", "bti"},
     [SVE, PAUTH, BTI], {"sve", "sve2", "paca", "bti"}, {"mte"}),
    ("10", "max,pauth-impdef=on", "mte=on",
     {"sve", "sve2", "pauth", "bti", "mte", "fgt"},
     [SVE, PAUTH, BTI], {"sve", "sve2", "paca", "bti", "mte"}, set()),
    ("10", "neoverse-v1,pauth-impdef=on", "", {"sve", "pauth"},
     [SVE, PAUTH], {"sve", "paca"}, {"mte"}),
    ("10", "neoverse-n2,pauth-impdef=on", "", {"sve", "sve2", "pauth", "bti"},
     [SVE, PAUTH, BTI], {"sve", "sve2", "paca", "bti"}, {"mte"}),
    ("10", "neoverse-n1", "", {"fp", "simd"}, [], {"fp", "asimd"},
     {"sve", "paca"}),
    ("10", "cortex-a76", "", {"fp", "simd"}, [], {"fp", "asimd"},
     {"sve", "paca"}),
]
FEATURES = re.compile(r"verge-hv: cpu features: (.*)")


def model_id(m):
    return "qemu%s-%s%s" % (m[0], m[1].split(",")[0],
                            "-" + m[2].replace("=", "") if m[2] else "")


@pytest.fixture(params=MODELS, ids=model_id)
def model(request):
    if lv.BARE:
        pytest.skip("needs verge-hv")
    qemu = None
    if request.param[0] == "10":
        qemu = lv.qemu10_bin()
        if not qemu:
            pytest.skip("QEMU 10 is not in the cache (.cache/qemu10: "
                        "make deps fetches it)")
    return (qemu,) + request.param[1:]


def test_boots_with_the_core_features(start_vm, model):
    qemu, cpu, machine, hv_feats, logs, have, lack = model
    t0 = time.monotonic()
    vm = start_vm(cpu=cpu, qemu=qemu, machine_opts=machine)
    lv.boot(vm)
    boot_s = time.monotonic() - t0
    m = FEATURES.search(vm.text)
    assert m, "no 'cpu features' line from verge-hv\n" + vm.tail()
    said = {f.split("(")[0] for f in m.group(1).split()}
    assert hv_feats <= said, "verge-hv says %r" % m.group(1)
    rc, out = vm.run("grep -c ^processor /proc/cpuinfo; "
                     "grep -m1 ^Features /proc/cpuinfo; dmesg")
    assert rc == 0, out
    assert out.splitlines()[0].strip() == "2", "not 2 CPUs online\n" + out
    feats = set(out.splitlines()[1].split(":", 1)[1].split())
    assert have <= feats, "missing %s in %s" % (have - feats, feats)
    assert not (lack & feats), "offered %s" % (lack & feats)
    for pat in logs:
        assert re.search(pat, out), "no /%s/ in the guest's log" % pat
    assert "UNDEF injected" not in vm.text, \
        "a trap met an UNDEF\n" + "\n".join(
            l for l in vm.text.splitlines() if "UNDEF" in l)
    print("%s: userspace after %.1f s" % (cpu, boot_s))
