# SPDX-License-Identifier: Apache-2.0
"""Jails' resource groups (issue 13) on cgroup v2 and below a delegated
cgroup, with real QEMU.

This machine is a cgroup v1 hybrid: cpu, cpuacct, memory and pids are
bound to v1 hierarchies, and its cgroup2 hierarchy has no controller but
hugetlb. verged runs here in a mount namespace of its own where a cgroup2
hierarchy is mounted as its [jail] cgroup_root: the v2 path (detection,
groups, membership, core CPU accounting, removal, partitions, the limits
a missing controller cannot hold) runs for real; limits that a controller
would enforce are checked where the hierarchy has the controller, refused
by name where it has not.

Delegation ([jail] cgroup_delegate = on, as under systemd with
Delegate=yes): verged is started inside a group of its own and must make
its groups below it, on v2 (after moving itself to a leaf) and on v1.
"""

import os
import subprocess
from pathlib import Path

import pytest

import verged_harness as vh  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="jails need verged to run as root")

V1 = ("cpu", "cpuacct", "memory", "pids")


def wrap(v, script, *args):
    """v's verged started by `sh -c script ARGS... VERGED ARGS`."""
    w = v.tmp / "verged-wrapped"
    w.write_text("#!/bin/sh\nexec %s\n" % " ".join(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         "'%s'" % script] + ['"%s"' % a for a in args] +
        ['"%s"' % v.binary, '"$@"']))
    w.chmod(0o755)
    v.binary = w


def cg2_rmtree(rel):
    """Removes the groups below /REL of the cgroup2 hierarchy (mounted
    in a mount namespace of a helper's own), deepest first, and REL's
    parent if that is empty then."""
    subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         'd=$(mktemp -d) && mount -t cgroup2 none "$d" && '
         '[ -d "$d/$0" ] && find "$d/$0" -depth -type d -exec rmdir {} + ;'
         'rmdir "$d/${0%/*}" 2>/dev/null;'
         'umount "$d"; rmdir "$d"', rel], check=False)


def procs(d):
    return (d / "cgroup.procs").read_text().split()


def start(v, name, **params):
    vh.define_vm(v, name, **params)
    return v.call("vm.start", name=name)


def gone(d):
    return lambda: not d.exists()


# --- cgroup v2 in a private mount ---------------------------------------------


def test_cgroup_v2_path_in_a_private_mount():
    vh.guest_files()
    v = vh.Verged()
    cg = v.tmp / "cg2"
    cg.mkdir()
    with open(v.config, "a") as f:
        f.write("[jail]\ncgroup_root = %s\n" % cg)
    wrap(v, 'mount -t cgroup2 none "$0" && exec "$@"', cg)
    with vh.running(v):
        top = Path("/proc/%d/root" % v.pid) / str(cg)[1:]
        have = (top / "cgroup.controllers").read_text().split()
        parent = top / v.cgroup_parent
        try:
            vm = start(v, "w")
            assert vm["isolation"]["cgroup"] == "v2"
            grp = parent / "w"
            assert str(vm["pid"]) in procs(grp)
            assert not any((top / v1).exists() for v1 in V1)
            usage = vh.wait_for("w's CPU time", lambda: (
                lambda u: u if u.get("cpu_usage_s", 0) > 0 else None)(
                    v.call("vm.show", name="w")["isolation"]["usage"]), 30)
            # memory and pids usage only where the controller is here
            assert ("memory_bytes" in usage) == ("memory" in have), usage
            assert ("pids" in usage) == ("pids" in have), usage

            vh.define_vm(v, "lim", cpu_quota=50, memory_max=64 << 20,
                         pids_max=64)
            missing = [c for c in ("cpu", "memory", "pids")
                       if c not in have]
            if missing:     # this machine: all three are v1's
                with pytest.raises(vh.RpcError) as e:
                    v.call("vm.start", name="lim")
                assert "the %s controller is not enabled in this cgroup" \
                    " v2 hierarchy" % missing[0] in str(e.value), e.value
                assert v.call("vm.show", name="lim")["state"] == "defined"
            else:
                v.call("vm.start", name="lim")
                lim = parent / "lim"
                assert (lim / "cpu.max").read_text().split() == \
                    ["50000", "100000"]
                assert (lim / "pids.max").read_text().strip() == "64"
                assert int((lim / "memory.max").read_text()) == \
                    (256 << 20) + (64 << 20)
                v.call("vm.kill", name="lim")

            # a partition's group holds its VMs' groups
            v.call("partition.create", name="t")
            vm = start(v, "pw", partition="t")
            assert str(vm["pid"]) in procs(parent / "partition:t" / "pw")
            if "pids" not in have:
                with pytest.raises(vh.RpcError) as e:
                    v.call("partition.create", name="capped", pids_max=10)
                assert "no pids.max" in str(e.value), e.value
                assert [p["name"] for p in v.call("partition.list")] == \
                    ["t"]

            # groups removed as the VMs end, the partition's with it
            for name, d in (("w", grp), ("pw", parent / "partition:t" /
                                          "pw")):
                v.call("vm.kill", name=name)
                vh.wait_for("%s's group removed" % name, gone(d), 10)
            v.call("vm.undefine", name="pw")
            v.call("partition.delete", name="t")
            assert not (parent / "partition:t").exists()
        finally:
            for pid in v.qemu_pids():
                os.kill(pid, 9)
            cg2_rmtree(v.cgroup_parent)


# --- delegation ---------------------------------------------------------------


def test_delegated_cgroup_v2_verged_moves_to_a_leaf():
    """verged started in group SVC (as systemd starts a unit with
    Delegate=yes) moves itself to SVC/verged and makes its VMs' groups
    below SVC; a restarted verged re-attaches to them there."""
    vh.guest_files()
    v = vh.Verged()
    cg = v.tmp / "cg2"
    cg.mkdir()
    svc = "verge-test-svc-" + v.tmp.name
    with open(v.config, "a") as f:
        f.write("[jail]\ncgroup_root = %s\ncgroup_delegate = on\n" % cg)
    wrap(v, 'mount -t cgroup2 none "$0" && mkdir -p "$0/$1" && '
         'echo $$ > "$0/$1/cgroup.procs" && shift && exec "$@"', cg, svc)
    try:
        with vh.running(v):
            top = Path("/proc/%d/root" % v.pid) / str(cg)[1:]
            base = top / svc
            assert procs(base / "verged") == [str(v.pid)]
            assert procs(base) == []
            assert "jail: resource groups below %s/%s/%s (delegated)" % (
                cg, svc, v.cgroup_parent) in v.log_text()
            vm = start(v, "d")
            grp = base / v.cgroup_parent / "d"
            assert str(vm["pid"]) in procs(grp)
            v.kill9()
            v.start()
            top = Path("/proc/%d/root" % v.pid) / str(cg)[1:]
            grp = top / svc / v.cgroup_parent / "d"
            again = v.call("vm.show", name="d")
            assert again["state"] == "running" and again["pid"] == vm["pid"]
            assert again["isolation"]["usage"]["cpu_usage_s"] > 0
            assert procs(top / svc / "verged") == [str(v.pid)]
            v.call("vm.kill", name="d")
            vh.wait_for("d's group removed", gone(grp), 10)
    finally:
        cg2_rmtree(svc)


def v1_group_of(pid, ctl):
    for line in Path("/proc/%s/cgroup" % pid).read_text().splitlines():
        _, ctls, path = line.split(":", 2)
        if ctl in ctls.split(","):
            return path
    return None


@pytest.mark.skipif(not Path("/sys/fs/cgroup/cpu/tasks").exists(),
                    reason="needs cgroup v1 hierarchies")
def test_delegated_cgroup_v1_groups_below_verged_own():
    """On v1, the groups of a delegated verged are made below its own
    group in each hierarchy (no leaf needed: v1 lets a group with
    children hold processes)."""
    vh.guest_files()
    v = vh.Verged()
    svc = "verge-test-svc-" + v.tmp.name
    with open(v.config, "a") as f:
        f.write("[jail]\ncgroup_delegate = on\n")
    bases = {c: Path("/sys/fs/cgroup/%s%s/%s" % (
        c, v1_group_of("self", c).rstrip("/"), svc)) for c in V1}
    script = ['mkdir -p "%s" && echo $$ > "%s/cgroup.procs"' % (b, b)
              for b in bases.values()]
    wrap(v, " && ".join(script) + ' && exec "$@"', "sh")     # $0
    try:
        with vh.running(v):
            for c in V1:
                assert str(v.pid) in procs(bases[c])
            vm = start(v, "d1")
            dirs = [bases[c] / v.cgroup_parent / "d1" for c in V1]
            for d in dirs:
                assert str(vm["pid"]) in procs(d), d
            assert not any(d.exists() for d in v.cgroup_dirs("d1"))
            v.call("vm.kill", name="d1")
            vh.wait_for("d1's groups removed",
                        lambda: not any(d.exists() for d in dirs), 10)
    finally:
        for b in bases.values():
            if b.exists():
                subprocess.run(["find", str(b), "-depth", "-type", "d",
                                "-exec", "rmdir", "{}", "+"], check=False)
