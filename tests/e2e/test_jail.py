# SPDX-License-Identifier: Apache-2.0
"""Jails (issue 13): every VM's QEMU in its own namespaces, root, uid and
resource group, with QEMU's seccomp sandbox, and images read with the
rights of the caller who defined the VM. Real QEMU, real Linux guests;
what each VM sees is read from the host through /proc/PID of its QEMU
(ns, status, root, net/dev) and with nsenter.

Needs root (verged makes the namespaces and changes uid): skipped
otherwise, saying so.
"""

import json
import os
import pwd
import re
import signal
import socket
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import rest_harness as rh
import verged_harness as vh

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="jails need verged to run as root")

BOOT_TIMEOUT = 120
NS = ("mnt", "pid", "net", "uts", "ipc", "cgroup")


def status(pid):
    out = {}
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def gone_or_zombie(pid):
    """The process has exited (it may vanish between two looks)."""
    try:
        return status(pid)["State"].startswith("Z")
    except FileNotFoundError:
        return True


def ns_of(pid, ns):
    return os.readlink("/proc/%s/ns/%s" % (pid, ns))


@pytest.fixture(scope="module")
def vd():
    vh.guest_files()
    with vh.running(rh.RestVerged(host="jail-host")) as v:
        vh.define_vm(v, "a", pids_max=64, memory_max=512 << 20,
                     cpu_quota=150, cpu_weight=200)
        # b boots from copies of the images elsewhere: each jail must
        # show its own images and not the other's
        kernel, initrd = readable_copies(v.tmp / "img-b")
        vh.define_vm(v, "b", kernel=str(kernel), initrd=str(initrd))
        for name in ("a", "b"):
            v.call("vm.start", name=name)
        for name in ("a", "b"):
            vh.wait_for("%s running" % name,
                        lambda: v.call("vm.show", name=name)["state"] ==
                        "running", 30)
        yield v


def qemu_pid(vd, name):
    return vd.call("vm.show", name=name)["pid"]


def test_namespaces_are_the_vms_own(vd):
    pa, pb = qemu_pid(vd, "a"), qemu_pid(vd, "b")
    for ns in NS:
        mine = ns_of("self", ns)
        assert ns_of(pa, ns) != mine, ns
        assert ns_of(pb, ns) != mine, ns
        assert ns_of(pa, ns) != ns_of(pb, ns), ns
    # its own hostname: the VM's name
    for name, pid in (("a", pa), ("b", pb)):
        out = subprocess.run(["nsenter", "-t", str(pid), "-u", "hostname"],
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == name


def test_no_privileges_left(vd):
    uids = set()
    for name in ("a", "b"):
        pid = qemu_pid(vd, name)
        st = status(pid)
        uid = vd.call("vm.show", name=name)["isolation"]["uid"]
        assert st["Uid"].split() == [str(uid)] * 4
        assert st["Gid"].split() == [str(uid)] * 4
        assert st["Groups"] == ""
        for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(st[cap], 16) == 0, (cap, st[cap])
        assert st["NoNewPrivs"] == "1"
        assert st["Seccomp"] == "2"     # QEMU's -sandbox filter
        uids.add(uid)
        # the environment is empty
        assert Path("/proc/%d/environ" % pid).read_bytes() == b""
        # stdin is /dev/null, 1 and 2 QEMU's log (opened by verged); every
        # other descriptor is QEMU's own: a socket, pipe, event or a file
        # of its jail; nothing of verged's
        qlog = str(vd.state / "vms" / name / "qemu.log")
        assert os.readlink("/proc/%d/fd/0" % pid) == "/dev/null"
        assert os.readlink("/proc/%d/fd/1" % pid) == qlog
        assert os.readlink("/proc/%d/fd/2" % pid) == qlog
        root = Path("/proc/%d/root" % pid)
        for fd in os.listdir("/proc/%d/fd" % pid):
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            if target.startswith("/memfd:"):    # anonymous memory
                continue
            if int(fd) <= 2 or not target.startswith("/"):
                assert target.split(":")[0] in ("socket", "pipe",
                                                "anon_inode") or \
                    int(fd) <= 2, (fd, target)
                continue
            assert (root / target[1:]).exists(), (fd, target)
            # of verged's state, only its own console.log, bound in
            assert not target.startswith(str(vd.state)) or target == \
                str(vd.state / "vms" / name / "console.log"), (fd, target)
        # rlimits: no core, 4096 descriptors
        limits = Path("/proc/%d/limits" % pid).read_text()
        assert re.search(r"^Max core file size\s+0\s+0\s", limits, re.M)
        assert re.search(r"^Max open files\s+4096\s+4096\s", limits, re.M)
    assert len(uids) == 2 and 0 not in uids     # one uid per VM


def test_helper_closes_fds_and_clears_the_environment(tmp_path):
    """verge-jail itself, no VM: descriptors it inherits are closed but
    the --keep-fd ones, its environment is not passed on, and the rlimits
    are set, as the program in the jail sees them."""
    root = tmp_path / "root"
    root.mkdir()
    keep = os.open("/dev/null", os.O_RDONLY)
    leak = os.open("/etc/hostname", os.O_RDONLY)
    prog = ("import os\nprint(sorted(int(x) for x in "
            "os.listdir('/proc/self/fd')))\n"
            "print(repr(open('/proc/self/environ', 'rb').read()))\n"
            "print(open('/proc/self/limits').read())\n")
    try:
        r = subprocess.run(
            [str(vh.build_dir() / "verge-jail"), "--name", "fds", "--root",
             str(root), "--uid", "3999999", "--gid", "3999999",
             "--keep-fd", str(keep), "--nofile", "512", "--nproc", "77",
             "--", "/usr/bin/python3", "-c", prog],
            capture_output=True, text=True, timeout=60,
            pass_fds=(keep, leak),
            env=dict(os.environ, VERGE_SECRET="s3cret"))
    finally:
        os.close(keep)
        os.close(leak)
    assert r.returncode == 0, r.stderr
    fds, environ, limits = r.stdout.split("\n", 2)
    fds = eval(fds)
    # 0-2, the kept one, and the one listdir opened: not the leaked one
    assert leak not in fds and keep in fds, fds
    assert len(set(fds) - {0, 1, 2, keep}) == 1, fds
    assert environ == "b''", environ
    assert re.search(r"^Max open files\s+512\s+512\s", limits, re.M)
    assert re.search(r"^Max processes\s+77\s+77\s", limits, re.M)
    assert re.search(r"^Max core file size\s+0\s+0\s", limits, re.M)


def test_helper_names_a_refused_namespace(tmp_path):
    """A kernel that refuses a namespace (here: a user namespace whose
    max_net_namespaces is 0, which leaves the host's limit alone): the
    helper's status line names the namespace and the kernel's reason,
    and the program never runs."""
    root = tmp_path / "root"
    root.mkdir()
    marker = tmp_path / "ran"
    r = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c",
         "echo 0 > /proc/sys/user/max_net_namespaces && exec \"$@\"", "sh",
         str(vh.build_dir() / "verge-jail"), "--name", "ns", "--root",
         str(root), "--uid", "1", "--gid", "1", "--status-fd", "1", "--",
         "/usr/bin/touch", str(marker)],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 126, (r.stdout, r.stderr)
    assert r.stdout == ("error unshare(network namespace): No space left"
                        " on device\n"), r.stdout
    assert not marker.exists()


def test_root_shows_only_its_own(vd):
    pa, pb = qemu_pid(vd, "a"), qemu_pid(vd, "b")
    run = vd.run / "vms"
    ra, rb = Path("/proc/%d/root" % pa), Path("/proc/%d/root" % pb)
    # its own run directory, none of the other VM's
    assert (ra / str(run / "a")[1:] / "qmp.sock").exists()
    assert not (ra / str(run / "b")[1:]).exists()
    assert (rb / str(run / "b")[1:] / "qmp.sock").exists()
    assert not (rb / str(run / "a")[1:]).exists()
    # nothing of verged's: not its socket, state or database
    assert not (ra / str(vd.socket)[1:]).exists()
    assert not (ra / str(vd.state / "verged.db")[1:]).exists()
    # its own images, read-only, and not the other VM's
    ka, kb = vd.call("vm.show", name="a")["kernel"], \
        vd.call("vm.show", name="b")["kernel"]
    ia, ib = vd.call("vm.show", name="a")["initrd"], \
        vd.call("vm.show", name="b")["initrd"]
    assert ka != kb and ia != ib
    for r, mine, theirs in ((ra, (ka, ia), (kb, ib)),
                            (rb, (kb, ib), (ka, ia))):
        for f in mine:
            assert (r / f[1:]).is_file(), f
            with pytest.raises(OSError):
                open(r / f[1:], "ab")
        for f in theirs:
            assert not (r / f[1:]).exists(), f
    top = sorted(os.listdir(ra))
    assert "root" not in top and "home" not in top and "var" not in top
    # a minimal /dev
    assert sorted(os.listdir(ra / "dev")) == ["full", "null", "random",
                                              "urandom", "zero"]
    # its own processes only: QEMU is PID 1 of its namespace
    procs = [p for p in os.listdir(ra / "proc") if p.isdigit()]
    assert procs == ["1"], procs
    # the binaries are read-only
    with pytest.raises(OSError):
        open(ra / "usr" / "bin" / "jail-test-write", "w")


def test_no_host_network(vd):
    for name in ("a", "b"):
        dev = Path("/proc/%d/net/dev" % qemu_pid(vd, name)).read_text()
        ifaces = [line.split(":")[0].strip()
                  for line in dev.splitlines()[2:]]
        assert ifaces == ["lo"], ifaces


def test_vm_cannot_open_anothers_sockets(vd):
    """A process with VM a's uid cannot connect to VM b's QMP socket (the
    run directories are 0700, each owned by its VM's uid); verged, root,
    still talks to both (the VMs run and their channels are up)."""
    ua = vd.call("vm.show", name="a")["isolation"]["uid"]
    target = str(vd.run / "vms" / "b" / "qmp.sock")
    code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
            "try:\n s.connect(sys.argv[1])\nexcept PermissionError:\n"
            " sys.exit(13)\nsys.exit(0)\n")
    r = subprocess.run(["setpriv", "--reuid=%d" % ua, "--regid=%d" % ua,
                        "--clear-groups", sys.executable, "-c", code,
                        target])
    assert r.returncode == 13
    st = os.stat(vd.run / "vms" / "b")
    assert st.st_mode & 0o777 == 0o700
    assert st.st_uid == vd.call("vm.show", name="b")["isolation"]["uid"]
    for name in ("a", "b"):
        vh.wait_for("%s management channel" % name,
                    lambda: vh.live_clock(vd, name), BOOT_TIMEOUT)


def test_resource_group_limits_and_usage(vd):
    a = vd.call("vm.show", name="a")
    iso = a["isolation"]
    assert iso["jail"] is True and iso["cgroup"] == "v1"
    assert iso["limits"] == {"cpu_quota_pct": 150, "cpu_weight": 200,
                             "memory_max": 512 << 20, "pids_max": 64}
    assert iso["usage"]["pids"] >= 2 and iso["usage"]["memory_bytes"] > 0
    assert iso["usage"]["cpu_usage_s"] > 0
    # vm.stats has them too, beside verge-hv's counters
    vh.wait_for("a management channel", lambda: vh.live_clock(vd, "a"),
                BOOT_TIMEOUT)
    st = vd.call("vm.stats", name="a")
    assert st["exits_total"] > 0
    assert st["isolation"]["limits"]["pids_max"] == 64
    assert st["isolation"]["usage"]["pids"] >= 2
    cpu, cpuacct, mem, pids = vd.cgroup_dirs("a")
    assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "150000"
    assert (cpu / "cpu.cfs_period_us").read_text().strip() == "100000"
    assert (cpu / "cpu.shares").read_text().strip() == str(200 * 1024 // 100
                                                            + 2)
    assert int((mem / "memory.limit_in_bytes").read_text()) == \
        (256 << 20) + (512 << 20)
    assert (pids / "pids.max").read_text().strip() == "64"
    pid = a["pid"]
    assert str(pid) in (pids / "cgroup.procs").read_text().split()
    # b has no limits
    cpu_b = vd.cgroup_dirs("b")[0]
    assert (cpu_b / "cpu.cfs_quota_us").read_text().strip() == "-1"
    # and the guest runs within them
    vh.wait_for("a userspace",
                lambda: "verge-init: userspace up" in
                vd.call("vm.console", name="a")["text"], BOOT_TIMEOUT)


def test_pids_limit_stops_a_fork_bomb(vd):
    """A helper in VM a's jail settings (its uid, its resource group,
    namespaces of its own) forks as fast as it can: the group's pids
    limit stops it, and the VM keeps running."""
    a = vd.call("vm.show", name="a")
    uid = a["isolation"]["uid"]
    pids = vd.cgroup_dirs("a")[3]
    root = vd.tmp / "bomb-root"
    root.mkdir()
    bomb = ("import os, time\nmade = failed = 0\n"
            "for i in range(300):\n"
            "    try:\n        pid = os.fork()\n"
            "    except OSError:\n        failed += 1\n        continue\n"
            "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n"
            "    made += 1\n"
            "print(made, failed)\n")
    args = [str(vh.build_dir() / "verge-jail"), "--name", "bomb",
            "--root", str(root), "--uid", str(uid), "--gid", str(uid)]
    args += sum((["--cgroup", str(d)] for d in vd.cgroup_dirs("a")), [])
    threads = int(status(a["pid"])["Threads"])
    r = subprocess.run(args + ["--", "/usr/bin/python3", "-c", bomb],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    made, failed = map(int, r.stdout.split())
    # 64 tasks in the group in all: QEMU's threads, the helper, python
    assert failed > 0 and made + 2 + threads <= 64, (made, failed, threads)
    assert int((pids / "pids.events").read_text().split()[1]) >= failed
    assert vd.call("vm.show", name="a")["state"] == "running"
    assert status(a["pid"])["State"][0] in "RS"


def test_sandbox_refuses_spawn(vd):
    """QEMU's own seccomp filter: a QMP migrate to "exec:" makes QEMU
    fork and exec a shell; spawn=deny refuses it (QEMU is killed by
    SIGSYS), and the command never runs. verged is stopped first (it
    leaves its VMs running) so that the test can take the QMP socket."""
    pid = qemu_pid(vd, "b")
    marker = vd.run / "vms" / "b" / "spawned"
    vd.stop()
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(str(vd.run / "vms" / "b" / "qmp.sock"))
        f = s.makefile("rw")
        assert "QMP" in f.readline()
        f.write('{"execute": "qmp_capabilities"}\n')
        f.flush()
        assert "return" in f.readline()
        f.write(json.dumps({"execute": "migrate", "arguments": {
            "uri": "exec:touch %s" % marker}}) + "\n")
        f.flush()
        try:
            f.readline()
        except OSError:
            pass
        vh.wait_for("QEMU gone", lambda: gone_or_zombie(pid), 20)
        time.sleep(0.5)
        assert not marker.exists()
    finally:
        vd.start()
    vm = vh.wait_for("b crashed", lambda: vd.call("vm.show", name="b")
                     if vd.call("vm.show", name="b")["state"] == "crashed"
                     else None, 30)
    assert vm["state"] == "crashed"
    dirs = vd.cgroup_dirs("b")          # a VM that crashed: group gone
    vh.wait_for("b's groups removed",
                lambda: not any(d.exists() for d in dirs), 10)
    vd.call("vm.start", name="b")       # and it starts again, jailed
    vh.wait_for("b running", lambda: vd.call("vm.show", name="b")["state"]
                == "running", 30)


def test_metrics_and_show_say_jailed(vd):
    text = vd.get("/metrics").body.decode()
    assert re.search(r'^verge_vm_jailed\{vm="a"\} 1$', text, re.M), text
    out = subprocess.run([str(vh.build_dir() / "verge"), "--socket",
                          str(vd.socket), "vm", "show", "a"],
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"Isolation:\s+jail \(uid \d+, cgroup v1\)", out), out
    assert re.search(r"Limits:\s+cpu 150% weight 200 memory \+512 MiB "
                     r"pids 64", out), out
    # the group's usage: in vm show, REST and /metrics
    assert re.search(r"Usage:\s+cpu \d+\.\d\d s, memory \d+ MiB, pids "
                     r"[2-9]\d*", out), out
    rest = vd.get("/v1/vms/a").json()["isolation"]
    assert rest["usage"]["pids"] >= 2 and rest["usage"]["cpu_usage_s"] > 0
    for family, low in (("verge_vm_cpu_usage_seconds_total", 0),
                        ("verge_vm_memory_bytes", 1 << 20),
                        ("verge_vm_pids", 2)):
        m = re.search(r'^%s\{vm="a"\} ([0-9.e+]+)$' % family, text, re.M)
        assert m and float(m.group(1)) > low, (family, text)


def test_kill9_and_reattach_keep_the_jail(vd):
    before = {n: qemu_pid(vd, n) for n in ("a", "b")}
    uid_a = vd.call("vm.show", name="a")["isolation"]["uid"]
    vd.kill9()
    vd.start()
    for name, pid in before.items():
        vm = vd.call("vm.show", name=name)
        assert vm["state"] == "running" and vm["pid"] == pid
        assert vm["isolation"]["usage"]["pids"] >= 2
    assert status(before["a"])["Uid"].split()[0] == str(uid_a)
    assert all(d.exists() for d in vd.cgroup_dirs("a"))


def test_verged_talks_only_to_the_vms_own_qemu(vd):
    """A VM owns its run directory, so a compromised QEMU could put a
    link to another VM's QMP socket in place of its own: verged checks
    the server's uid (SO_PEERCRED) and refuses it."""
    ua = vd.call("vm.show", name="a")["isolation"]["uid"]
    ub = vd.call("vm.show", name="b")["isolation"]["uid"]
    qb = vd.run / "vms" / "b" / "qmp.sock"
    vd.kill9()
    real = qb.with_name("qmp.sock.real")
    qb.rename(real)
    qb.symlink_to(vd.run / "vms" / "a" / "qmp.sock")
    try:
        vd.start()
        vh.wait_for("the refusal", lambda: "served by uid %d, not the VM's"
                    " uid %d" % (ua, ub) in vd.log_text(), 20)
    finally:
        qb.unlink()
        real.rename(qb)
    vh.wait_for("b's own QMP", lambda: vd.call("vm.show", name="b")
                ["state"] == "running", 10)


def test_group_removed_when_the_vm_ends(vd):
    dirs = vd.cgroup_dirs("a")
    assert all(d.exists() for d in dirs)
    vd.call("vm.kill", name="a")
    vh.wait_for("a's groups removed",
                lambda: not any(d.exists() for d in dirs), 10)
    assert vd.call("vm.show", name="a")["isolation"]["usage"] == {}


def test_memory_limit_stops_the_vm_as_oom(vd):
    """A VM whose group allows its QEMU 1 MiB beyond the guest's RAM:
    once the guest touches all of its RAM, the group's memory limit kills
    QEMU; verged shows the VM as oom (state and event) and the other VM
    runs on."""
    vh.define_vm(vd, "c", memory_max=1 << 20)
    vd.call("vm.start", name="c")
    vh.wait_for("c userspace",
                lambda: "verge-init: userspace up" in
                vd.call("vm.console", name="c")["text"], BOOT_TIMEOUT)
    with vh.Console(vd, "c") as con:
        # the guest touches most of its RAM at once: a 180 MiB buffer
        con.send(b"\ndd if=/dev/zero of=/dev/null bs=180M count=1\n")
        vm = vh.wait_for("c oom", lambda: (lambda x: x if x["state"] != "running"
                                           else None)(
            vd.call("vm.show", name="c")), 120)
    assert vm["state"] == "oom", vm
    ev = [e for e in vd.call("events.list", vm="c", limit=1000)
          if e["type"] == "vm.oom"]
    assert ev and ev[-1]["detail"]["memory_limit"] == (256 << 20) + (1 << 20)
    assert vd.call("vm.show", name="b")["state"] == "running"
    vd.call("vm.undefine", name="c")


def test_cpu_quota_holds(vd):
    """A VM with --cpu-quota 20 while its guest boots (TCG: busy all
    along): over 10 s its group's own accounting (cpuacct.usage) shows at
    most 20 % of a CPU, give or take a few percent; at least half of it,
    unless the host is too loaded to give it that."""
    vh.define_vm(vd, "q", cpu_quota=20)
    vd.call("vm.start", name="q")
    try:
        acct = vd.cgroup_dirs("q")[1] / "cpuacct.usage"
        time.sleep(1)
        u0, t0 = int(acct.read_text()), time.monotonic()
        time.sleep(10)
        u1, t1 = int(acct.read_text()), time.monotonic()
        share = (u1 - u0) / 1e9 / (t1 - t0)
        assert share <= 0.20 * 1.05, share
        assert share >= 0.10, share
    finally:
        vd.call("vm.kill", name="q")
        vd.call("vm.undefine", name="q")


def uids_running(uids):
    """Pids of the processes whose real uid is one of uids."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int(status(int(p.name))["Uid"].split()[0]) in uids:
                    out.append(int(p.name))
            except (OSError, KeyError):
                pass
    return out


def test_partitions_bound_their_vms(vd):
    """Three VMs, two in partition t1 (at most 40 tasks in all) and one
    in t2: their groups nest in their partition's, each jail is its own
    (its processes, hostname, run directory, no host network), REST
    shows the partitions, and a fork bomb in one VM of t1 (which has no
    limit of its own) is stopped by t1's limit. verged killed with
    SIGKILL and restarted re-attaches to all three with their groups and
    partitions; once they stop nothing of them is left: no process of
    their uids, no group, no jail mount."""
    vd.call("partition.create", name="t1", pids_max=40)
    vd.call("partition.create", name="t2", cpu_quota=300)
    for name, part in (("p1", "t1"), ("p2", "t1"), ("p3", "t2")):
        vh.define_vm(vd, name, partition=part)
        vd.call("vm.start", name=name)
    try:
        for name in ("p1", "p2", "p3"):
            vh.wait_for("%s running" % name, lambda: vd.call(
                "vm.show", name=name)["state"] == "running", BOOT_TIMEOUT)
        pids = {n: qemu_pid(vd, n) for n in ("p1", "p2", "p3")}
        for name, part in (("p1", "t1"), ("p2", "t1"), ("p3", "t2")):
            cg = Path("/proc/%d/cgroup" % pids[name]).read_text()
            assert re.search(r"^\d+:pids:/%s/partition:%s/%s$"
                             % (re.escape(vd.cgroup_parent), part, name),
                             cg, re.M), cg
        assert ns_of(pids["p1"], "pid") != ns_of(pids["p2"], "pid")
        assert ns_of(pids["p1"], "net") != ns_of(pids["p2"], "net")
        run = vd.run / "vms"
        for name, pid in pids.items():
            for ns in NS:
                assert [ns_of(pids[o], ns) for o in pids].count(
                    ns_of(pid, ns)) == 1, (name, ns)
            out = subprocess.run(["nsenter", "-t", str(pid), "-u",
                                  "hostname"], capture_output=True,
                                 text=True, check=True).stdout.strip()
            assert out == name
            root = Path("/proc/%d/root" % pid)
            assert [p for p in os.listdir(root / "proc")
                    if p.isdigit()] == ["1"]
            assert (root / str(run / name)[1:] / "qmp.sock").exists()
            for other in pids:
                if other != name:
                    assert not (root / str(run / other)[1:]).exists()
            dev = Path("/proc/%d/net/dev" % pid).read_text()
            assert [x.split(":")[0].strip()
                    for x in dev.splitlines()[2:]] == ["lo"]
        rest = vd.get("/v1/partitions/t1").json()
        assert rest["vms"] == ["p1", "p2"] and rest["usage"]["pids"] >= 4
        assert re.search(r'^verge_partition_pids\{partition="t1"\} '
                         r'([4-9]|[1-9]\d+)$', vd.get("/metrics").body
                         .decode(), re.M)
        t1 = vd.call("partition.show", name="t1")
        assert t1["vms"] == ["p1", "p2"] and t1["limits"]["pids_max"] == 40
        assert t1["usage"]["pids"] >= 4
        with pytest.raises(vh.RpcError) as e:
            vd.call("partition.delete", name="t1")
        assert "holds VM" in str(e.value)
        # the fork bomb, in p1's group
        uid = vd.call("vm.show", name="p1")["isolation"]["uid"]
        root = vd.tmp / "bomb-root-p1"
        root.mkdir()
        bomb = ("import os, time\nmade = failed = 0\n"
                "for i in range(300):\n"
                "    try:\n        pid = os.fork()\n"
                "    except OSError:\n        failed += 1\n"
                "        continue\n"
                "    if pid == 0:\n        time.sleep(60)\n"
                "        os._exit(0)\n"
                "    made += 1\n"
                "print(made, failed)\n")
        args = [str(vh.build_dir() / "verge-jail"), "--name", "bomb",
                "--root", str(root), "--uid", str(uid), "--gid", str(uid)]
        args += sum((["--cgroup", str(d)] for d in vd.cgroup_dirs(
            "partition:t1/p1")), [])
        r = subprocess.run(args + ["--", "/usr/bin/python3", "-c", bomb],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        made, failed = map(int, r.stdout.split())
        assert failed > 0 and made < 40, (made, failed)
        # the VMs run on (one still starting on a loaded host gets there;
        # one the bomb had killed would not)
        for name in ("p1", "p2", "p3"):
            vh.wait_for("%s running" % name, lambda: vd.call(
                "vm.show", name=name)["state"] == "running", 60)
        out = subprocess.run([str(vh.build_dir() / "verge"), "--socket",
                              str(vd.socket), "partition", "list"],
                             capture_output=True, text=True,
                             check=True).stdout
        assert "t1" in out and "t2" in out, out
        # kill -9 and restart: re-attached, groups and partitions kept
        uids = {vd.call("vm.show", name=n)["isolation"]["uid"]
                for n in pids}
        vd.kill9()
        vd.start()
        for name, part in (("p1", "t1"), ("p2", "t1"), ("p3", "t2")):
            vm = vd.call("vm.show", name=name)
            assert vm["state"] == "running" and vm["pid"] == pids[name]
            assert vm["isolation"]["partition"] == part
            assert vm["isolation"]["usage"]["pids"] >= 2
            assert all(d.exists() for d in vd.cgroup_dirs(
                "partition:%s/%s" % (part, name)))
        assert vd.call("partition.show", name="t1")["vms"] == ["p1", "p2"]
        assert vd.call("partition.show", name="t1")["limits"][
            "pids_max"] == 40
    finally:
        for name in ("p1", "p2", "p3"):
            vd.call("vm.kill", name=name)
            vd.call("vm.undefine", name=name)
    # nothing left of them
    vh.wait_for("their processes gone", lambda: not uids_running(uids), 10)
    for name, part in (("p1", "t1"), ("p2", "t1"), ("p3", "t2")):
        dirs = vd.cgroup_dirs("partition:%s/%s" % (part, name))
        vh.wait_for("%s's groups removed" % name,   # as its tasks leave
                    lambda: not any(d.exists() for d in dirs), 5)
        jail = vd.run / "jails" / name
        assert not jail.exists() or os.listdir(jail) == []
    assert str(vd.run / "jails") not in Path(
        "/proc/self/mountinfo").read_text()
    for part in ("t1", "t2"):
        vd.call("partition.delete", name=part)
        dirs = vd.cgroup_dirs("partition:" + part)
        vh.wait_for("%s's groups removed" % part,
                    lambda: not any(d.exists() for d in dirs), 5)
    assert vd.call("partition.list") == []


@pytest.fixture
def member():
    """A real non-root user in a group of its own that verged's [daemon]
    group names; removed afterwards."""
    with vh.member("vjt%d" % os.getpid()) as m:
        yield m


def define_as(user, sock, name, kernel, initrd):
    return vh.call_as(user, sock, "vm.define", {
        "name": name, "kernel": kernel, "initrd": initrd})


def readable_copies(d):
    """The guest's images copied into d (made 0755, files 0644): the
    checkout itself may sit below a directory only root can enter."""
    d.mkdir(mode=0o755, exist_ok=True)
    d.chmod(0o755)
    out = []
    for f in vh.guest_files():
        c = d / f.name
        shutil.copyfile(f, c)
        c.chmod(0o644)
        out.append(c)
    return out


def test_member_cannot_boot_a_file_it_cannot_read(member):
    user, group = member
    v = vh.Verged(config_extra="[daemon]\ngroup = %s\n" % group.gr_name)
    with vh.running(v):
        v.tmp.chmod(0o755)      # the member reaches the socket
        kernel, initrd = readable_copies(v.tmp / "img")
        bad = define_as(user, str(v.socket), "shadow", str(kernel),
                        "/etc/shadow")
        assert "error" in bad, "accepted: %s" % bad
        assert bad["error"]["code"] == -32602, bad
        assert "/etc/shadow: Permission denied: uid %d may not read it" \
            % user.pw_uid in bad["error"]["message"], bad
        assert [x["name"] for x in v.call("vm.list")] == []
        # the same member, images it may read: defined, owned by it
        good = define_as(user, str(v.socket), "ok", str(kernel),
                         str(initrd))
        assert good["result"]["name"] == "ok", good
        # a VM whose image became unreadable to its definer is refused
        # at start, with the reason
        private = v.tmp / "private-initrd"
        private.write_bytes(Path(initrd).read_bytes())
        private.chmod(0o644)
        late = define_as(user, str(v.socket), "late", str(kernel),
                         str(private))
        assert late["result"]["name"] == "late", late
        private.chmod(0o600)
        with pytest.raises(vh.RpcError) as e:
            v.call("vm.start", name="late")
        assert "Permission denied for uid %d, who defined the VM" \
            % user.pw_uid in str(e.value)


def test_a_refused_step_is_named_and_nothing_starts():
    """Where a step of the jail fails, vm.start says which and why, and
    starts nothing: here a cgroup hierarchy that is not mounted."""
    vh.guest_files()
    v = vh.Verged(config_extra="[jail]\ncgroup_root = /nonexistent-cg\n")
    with vh.running(v):
        vh.define_vm(v, "r")
        with pytest.raises(vh.RpcError) as e:
            v.call("vm.start", name="r")
        msg = str(e.value)
        assert "resource group /nonexistent-cg/cpu/" in msg, msg
        assert "No such file or directory" in msg, msg
        assert "set [jail] isolation = off" in msg, msg
        vm = v.call("vm.show", name="r")
        assert vm["state"] == "defined" and vm["pid"] is None
        assert v.qemu_pids() == []


def test_a_refused_namespace_is_named_by_vm_start():
    """The kernel refuses the jail a namespace (verge-jail run in a user
    namespace whose max_net_namespaces is 0): vm.start fails naming the
    namespace and the kernel's reason, nothing runs, no group is left."""
    vh.guest_files()
    v = vh.Verged()
    wrapper = v.tmp / "helper-no-netns"
    wrapper.write_text(
        "#!/bin/sh\nexec unshare --user --map-root-user sh -c 'echo 0 >"
        " /proc/sys/user/max_net_namespaces && exec \"$@\"' sh %s \"$@\"\n"
        % (vh.build_dir() / "verge-jail"))
    wrapper.chmod(0o755)
    v.config.write_text(v.config.read_text() +
                        "[jail]\nhelper = %s\n" % wrapper)
    with vh.running(v):
        vh.define_vm(v, "n")
        with pytest.raises(vh.RpcError) as e:
            v.call("vm.start", name="n")
        msg = str(e.value)
        assert "jail: unshare(network namespace): No space left on device"\
            in msg, msg
        assert "set [jail] isolation = off" in msg, msg
        vm = v.call("vm.show", name="n")
        assert vm["state"] == "defined" and vm["pid"] is None
        assert v.qemu_pids() == []
        dirs = v.cgroup_dirs("n")
        vh.wait_for("n's groups removed",
                    lambda: not any(d.exists() for d in dirs), 10)


def test_a_verged_that_is_not_root_refuses_to_start_jailed():
    vh.guest_files()
    v = vh.Verged()
    nobody = pwd.getpwnam("nobody")
    os.chown(v.tmp, nobody.pw_uid, nobody.pw_gid)
    wrapper = v.tmp / "verged-as-nobody"
    wrapper.write_text("#!/bin/sh\nexec setpriv --reuid=%d --regid=%d "
                       "--clear-groups %s \"$@\"\n"
                       % (nobody.pw_uid, nobody.pw_gid, v.binary))
    wrapper.chmod(0o755)
    v.binary = wrapper
    kernel, initrd = readable_copies(v.tmp / "img")
    hv = v.tmp / "img" / "verge-hv.bin"
    shutil.copyfile(vh.build_dir() / "verge-hv.bin", hv)
    hv.chmod(0o644)
    v.config.write_text(v.config.read_text().replace(
        str(vh.build_dir() / "verge-hv.bin"), str(hv)))
    with vh.running(v):
        vh.define_vm(v, "n", kernel=str(kernel), initrd=str(initrd))
        with pytest.raises(vh.RpcError) as e:
            v.call("vm.start", name="n")
        assert "jail: verged runs as uid %d, not root" % nobody.pw_uid \
            in str(e.value)
        assert v.call("vm.show", name="n")["state"] == "defined"


def test_isolation_off_runs_unjailed_and_says_so():
    vh.guest_files()
    with vh.running(rh.RestVerged(host="off-host", isolation="off")) as v:
        vh.define_vm(v, "free")
        vm = v.call("vm.start", name="free")
        assert vm["isolation"]["jail"] is False
        assert vm["isolation"]["uid"] is None
        st = status(vm["pid"])
        assert st["Uid"].split()[0] == "0"
        assert ns_of(vm["pid"], "mnt") == ns_of("self", "mnt")
        vh.wait_for("QEMU's sandbox",       # it stays on
                    lambda: status(vm["pid"])["Seccomp"] == "2", 30)
        out = subprocess.run([str(vh.build_dir() / "verge"), "--socket",
                              str(v.socket), "vm", "show", "free"],
                             capture_output=True, text=True,
                             check=True).stdout
        assert re.search(r"Isolation:\s+off: QEMU runs unjailed", out), out
        # on every vm show: a VM that does not run says it too
        vh.define_vm(v, "idle")
        out = v.verge("vm", "show", "idle").stdout
        assert re.search(r"Isolation:\s+off: QEMU runs unjailed", out), out
        text = v.get("/metrics").body.decode()
        for name in ("free", "idle"):
            assert re.search(r'^verge_vm_jailed\{vm="%s"\} 0$' % name,
                             text, re.M), text
        assert re.search(r"^verge_isolation 0$", text, re.M), text
        assert "verge_vm_pids{" not in text     # no group: no usage
        v.call("vm.kill", name="free")
