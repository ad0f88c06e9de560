# SPDX-License-Identifier: Apache-2.0
"""verge-guest-agent's host-side artefacts: the x86_64 binary on this
machine (the backdoor fault guard, detection from CPUID), the systemd
unit (systemd-analyze verify, and nothing in it that hides the guest's
network interfaces) and the man page (mandoc -Tlint)."""

import json
import re
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("VERGE_BUILD", "build"))
if not BUILD.is_absolute():
    BUILD = REPO / BUILD
AGENT = BUILD / "guest-agent" / "x86_64" / "verge-guest-agent"
UNIT = REPO / "guest-agent" / "verge-guest-agent.service"
MAN = REPO / "guest-agent" / "verge-guest-agent.8"


def run(*args, **kw):
    return subprocess.run([str(AGENT)] + list(args), capture_output=True,
                          text=True, timeout=60, **kw)


@pytest.fixture(autouse=True)
def built():
    if not AGENT.exists():
        pytest.fail("missing %s (run make)" % AGENT)


def cpu_says_hypervisor():
    with open("/proc/cpuinfo") as f:
        return any(l.startswith("flags") and " hypervisor" in l for l in f)


def test_x86_backdoor_guard():
    """Without a VMware backdoor the x86 `in` faults; the agent catches
    it and says so instead of dying."""
    p = run("probe")
    assert p.returncode == 1, p
    assert "no backdoor" in p.stdout
    p = run("rpc", "info-get guestinfo.k")
    assert p.returncode == 1 and "no backdoor" in p.stderr


def test_x86_detect_matches_cpuid():
    """detect follows the CPUID hypervisor bit of this machine; --json
    says why, and the exclusive-monitor method is marked unavailable."""
    p = run("detect", "--json")
    d = json.loads(p.stdout)
    assert d["virtualized"] == cpu_says_hypervisor()
    assert p.returncode == (0 if d["virtualized"] else 1)
    assert d["backdoor"]["state"] == "faulted"
    assert d["exclusive_monitor"]["available"] is False
    assert d["hints"]["cpuid_hypervisor_bit"] == cpu_says_hypervisor()
    p2 = run("detect")
    assert p2.stdout.strip() == d["verdict"]


def test_usage_errors():
    for args in (["detect", "--trials", "x"], ["run", "--interval", "0"],
                 ["rpc"], ["nosuch"], ["run", "extra"]):
        p = run(*args)
        assert p.returncode == 2, (args, p)
        assert p.stderr


def test_unit_verifies(tmp_path):
    """systemd-analyze verify accepts the unit (with its paths pointed at
    the built binary and the man page, which verify checks exist)."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    sbin = tmp_path / "sbin"
    man8 = tmp_path / "man" / "man8"
    sbin.mkdir()
    man8.mkdir(parents=True)
    shutil.copy(AGENT, sbin / "verge-guest-agent")
    shutil.copy(MAN, man8)
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/usr/sbin/", "%s/" % sbin))
    env = dict(os.environ, MANPATH=str(tmp_path / "man"))
    p = subprocess.run(["systemd-analyze", "verify", str(unit)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0 and not p.stderr.strip(), p.stderr


def unit_properties():
    """The [Service] section of the unit: {key: [values]} in order."""
    props, section = {}, None
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            k, _, v = line.partition("=")
            props.setdefault(k.strip(), []).append(v.strip())
    return props


def test_unit_sees_the_guests_interfaces():
    """The agent reports the guest's interfaces and addresses (getifaddrs,
    over rtnetlink): nothing in its unit may put it in a network namespace
    of its own, where it would see only lo, nor take away AF_NETLINK."""
    props = unit_properties()
    yes = ("1", "yes", "true", "on")
    assert not any(v.lower() in yes for v in props.get("PrivateNetwork", [])), \
        "PrivateNetwork= hides the guest's interfaces from the agent"
    for k in ("NetworkNamespacePath", "JoinsNamespaceOf"):
        assert not props.get(k), "%s= hides the guest's interfaces" % k
    for v in props.get("RestrictAddressFamilies", []):
        fams = v.split()
        if fams and fams[0].startswith("~"):
            assert "AF_NETLINK" not in [f.lstrip("~") for f in fams], v
        else:
            assert "AF_NETLINK" in fams, v
    # The rest of the hardening stays.
    for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                 ("CapabilityBoundingSet", "CAP_SYS_TIME"),
                 ("IPAddressDeny", "any")):
        assert props.get(k) == [v], (k, props.get(k))


def test_man_page_lints():
    if not shutil.which("mandoc"):
        pytest.skip("mandoc not installed")
    p = subprocess.run(["mandoc", "-Tlint", "-Wwarning", str(MAN)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_usage_matches_synopsis():
    """Every subcommand and option of the usage text is in the man page's
    SYNOPSIS, and the other way round."""
    p = run("--help")
    assert p.returncode == 0
    usage = set()
    for line in p.stdout.splitlines()[1:]:
        words = line.split()
        usage.add(words[1])
        usage |= {w.strip("[]") for w in words if w.strip("[").startswith("--")}
    synopsis = MAN.read_text().split(".Sh SYNOPSIS")[1].split(".Sh ")[0]
    man = set(re.findall(r"(?m)^\.Cm (\S+)", synopsis))
    man |= {"--" + o for o in re.findall(r"Fl -(\S+)", synopsis)}
    assert usage == man, (usage ^ man)
