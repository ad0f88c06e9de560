# SPDX-License-Identifier: Apache-2.0
"""Disks and network cards (docs/verged.md, "Disks and network cards"):
real QEMU, real Debian guests under verge-hv, jailed as verged runs them.

What a user relies on: what the guest writes to a disk is on the image
after a stop and there at the next boot; a snapshot disk forgets; an
overlay keeps the VM's writes apart from a base that several VMs share;
a forwarded port reaches a server in the guest; images are opened with
the rights of whoever defined the VM and never probed by QEMU.
"""

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

import verged_harness as vh  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="jails need verged to run as root")

BOOT_TIMEOUT = 120
MARK = b"verge-disk-%d" % os.getpid()


def qemu_img(*args):
    subprocess.run(["qemu-img"] + list(args), check=True,
                   capture_output=True)


def boot(vd, name):
    """Starts the VM; its console once the guest's shell answers."""
    log = vd.state / "vms" / name / "console.log"
    start = log.stat().st_size if log.exists() else 0   # earlier boots'

    def up():
        with open(log, "rb") as f:
            f.seek(start)
            return b"verge-init: userspace up" in f.read()
    vd.call("vm.start", name=name)
    vh.wait_for("%s userspace" % name, up, BOOT_TIMEOUT)
    return vh.Console(vd, name, BOOT_TIMEOUT)


def stop(vd, name):
    vm = vd.call("vm.stop", name=name, timeout_s=60)
    assert vm["state"] in ("stopped", "crashed"), vm


def sector0(path, n=len(MARK)):
    with open(path, "rb") as f:
        return f.read(n)


@pytest.fixture(scope="module")
def vd(tmp_path_factory):
    vh.guest_files()
    with vh.running(vh.Verged()) as v:
        yield v


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp("images")
    qemu_img("create", "-f", "raw", str(d / "data.raw"), "16M")
    qemu_img("create", "-f", "raw", str(d / "scratch.raw"), "16M")
    qemu_img("create", "-f", "qcow2", str(d / "base.qcow2"), "32M")
    return d


def test_disks_keep_forget_and_share(vd, images):
    """vda (raw, read-write) keeps what the guest wrote, on the image
    itself; vdb (a snapshot) forgets at the stop; vdc (an overlay over a
    base qcow2 two VMs share) keeps each VM's writes apart from the base
    and from the other VM. vdd, a raw disk whose guest wrote a qcow2
    header naming /etc/shadow as its backing file, stays a raw disk: its
    guest reads back its own bytes, not the host's file (QEMU is told the
    format and opens no file by name)."""
    data, scratch, base, probe = (str(images / n) for n in
                                  ("data.raw", "scratch.raw", "base.qcow2",
                                   "probe.raw"))
    qemu_img("create", "-f", "raw", probe, "4M")
    base_before = Path(base).read_bytes()
    vm = vh.define_vm(vd, "disks", disks=[
        data, scratch + ",snapshot", base + ",overlay", probe])
    assert [d["format"] for d in vm["disks"]] == ["raw", "raw", "qcow2",
                                                  "raw"]
    assert vm["disks"][0]["size"] == 16 << 20
    assert vm["disks"][2]["size"] == 32 << 20
    assert vm["disks"][2]["overlay_path"].startswith(str(vd.state))
    vh.define_vm(vd, "twin", disks=[base + ",overlay"])
    evil = images / "evil.qcow2"
    qemu_img("create", "-f", "qcow2", "-F", "raw", "-b", "/etc/shadow",
             str(evil), "64M")
    header = evil.read_bytes()[:4096]
    with open(probe, "r+b") as f:   # what a guest can write to its disk
        f.write(header)

    con = boot(vd, "disks")
    try:
        out = con.run("cat /sys/block/vda/size /sys/block/vdb/size "
                      "/sys/block/vdc/size /sys/block/vdd/size")
        # vdd: the raw file's 4 MiB, not the 64 MiB of a qcow2's view
        assert out.split() == [b"32768", b"32768", b"65536", b"8192"], out
        out = con.run("dd if=/dev/vdd bs=4096 count=1 2>/dev/null | "
                      "od -An -tx1 -v | tr -d ' \\n'")
        assert bytes.fromhex(out.decode().strip()) == header
        for dev in ("vda", "vdb", "vdc"):
            con.run("printf '%s-%s' | dd of=/dev/%s conv=fsync 2>/dev/null"
                    % (MARK.decode(), dev, dev))
    finally:
        con.close()
    stop(vd, "disks")
    assert sector0(data, len(MARK) + 4) == MARK + b"-vda"
    assert sector0(scratch, len(MARK)) == b"\0" * len(MARK)

    con = boot(vd, "twin")
    try:
        con.run("printf twin | dd of=/dev/vda conv=fsync 2>/dev/null")
        out = con.run("dd if=/dev/vda bs=4 count=1 2>/dev/null")
        assert out.startswith(b"twin"), out
    finally:
        con.close()
    stop(vd, "twin")

    con = boot(vd, "disks")
    try:
        out = con.run("for d in vda vdb vdc; do dd if=/dev/$d bs=%d "
                      "count=1 2>/dev/null; echo; done" % (len(MARK) + 4))
    finally:
        con.close()
    stop(vd, "disks")
    lines = out.split(b"\n")
    assert lines[0] == MARK + b"-vda", out          # kept
    assert lines[1].strip(b"\0") == b"", out        # snapshot: forgotten
    assert lines[2] == MARK + b"-vdc", out          # overlay: kept, own
    assert Path(base).read_bytes() == base_before   # the base untouched


def test_disk_list_add_remove(vd, images):
    extra = images / "extra.raw"
    qemu_img("create", "-f", "raw", str(extra), "1M")
    vh.define_vm(vd, "edit")
    assert vd.call("vm.disk.list", name="edit") == []
    disks = vd.call("vm.disk.add", name="edit",
                    disk=str(images / "base.qcow2") + ",overlay")
    overlay = Path(disks[0]["overlay_path"])
    assert overlay.exists()
    disks = vd.call("vm.disk.add", name="edit",
                    disk={"path": str(extra), "readonly": True})
    assert [d["readonly"] for d in disks] == [False, True]
    assert vd.call("vm.show", name="edit")["disks"] == disks
    disks = vd.call("vm.disk.remove", name="edit", index=0)
    assert [d["path"] for d in disks] == [str(extra)]
    assert not overlay.exists()         # verged's overlay went with it
    with pytest.raises(vh.RpcError) as e:
        vd.call("vm.disk.remove", name="edit", path="/nonexistent")
    assert "no such disk" in str(e.value)
    # kept across a restart of verged
    vd.stop()
    vd.start()
    assert vd.call("vm.disk.list", name="edit") == disks
    vd.call("vm.undefine", name="edit")


@pytest.mark.parametrize("disk,why", [
    ("relative.img", "the path must be absolute"),
    ("/nonexistent.img", "No such file or directory"),
    ("{dir}/base.qcow2,format=raw", "it is a qcow2 image, not raw"),
    ("{dir}/data.raw,format=qcow2", "it is a raw image, not qcow2"),
    ("{dir}/data.raw,readonly,overlay", "exclude each other"),
    ("{dir}/data.raw,discard", "unknown option 'discard'"),
    ("{dir}/backed.qcow2", "with a backing file is not accepted"),
    ("{dir}/tiny.raw", "smaller than one sector"),
])
def test_bad_disks_are_refused(vd, images, disk, why):
    if not (images / "backed.qcow2").exists():
        qemu_img("create", "-f", "qcow2", "-F", "raw", "-b", "/etc/shadow",
                 str(images / "backed.qcow2"), "1M")
        (images / "tiny.raw").write_bytes(b"x" * 100)
    with pytest.raises(vh.RpcError) as e:
        vh.define_vm(vd, "bad", disks=[disk.format(dir=images)])
    assert e.value.code == -32602, e.value
    assert why in str(e.value), e.value
    assert [v["name"] for v in vd.call("vm.list")
            if v["name"] == "bad"] == []


@pytest.mark.parametrize("nic,why", [
    ("user,hostfwd=tcp::2222-:22", "addresses are IPv4 literals"),
    ("user,hostfwd=tcp:127.0.0.1:22-:22", "the host port is 1024-65535"),
    ("user,hostfwd=sctp:127.0.0.1:2222-:22", "tcp or udp"),
    ("user,mac=01:00:5e:00:00:01", "not a unicast address"),
    ("tap", "tap mode needs bridge=NAME"),
    ("vde", "mode must be user"),
])
def test_bad_nics_are_refused(vd, nic, why):
    with pytest.raises(vh.RpcError) as e:
        vh.define_vm(vd, "badnic", nics=[nic])
    assert e.value.code == -32602, e.value
    assert why in str(e.value), e.value


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_user_network_forwards_a_port(vd):
    """A web server in the guest, reached from the host through hostfwd
    on loopback; the MAC verged made is the guest's and is kept."""
    port = free_port()
    vm = vh.define_vm(vd, "web",
                      cmdline="console=ttyAMA0 verge_net=1 verge_agent=1",
                      nics=["user,hostfwd=tcp:127.0.0.1:%d-:8080" % port])
    mac = vm["nics"][0]["mac"]
    assert re.fullmatch(r"52:54:00(:[0-9a-f]{2}){3}", mac), mac
    con = boot(vd, "web")
    try:
        vh.wait_for("eth0 configured", lambda: "verge-init: eth0 10.0.2.15"
                    in vd.call("vm.console", name="web")["text"], 60)
        assert con.run("cat /sys/class/net/eth0/address").strip() == \
            mac.encode()
        con.run("mkdir -p /tmp/www && echo hello-%d > /tmp/www/index.html"
                " && httpd -p 8080 -h /tmp/www" % os.getpid())
        body = None
        for _ in range(50):
            try:
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/" % port, timeout=10) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.2)
        assert body == b"hello-%d\n" % os.getpid(), body
        # the guest agent reports its interfaces; vm list shows the first
        # address
        vh.wait_for("agent ip", lambda: vd.call("vm.show", name="web")
                    ["agent"].get("ip") == "10.0.2.15", 60)
        report = vd.call("agent.show", name="web")["report"]
        eth0 = [i for i in report["interfaces"] if i["name"] == "eth0"]
        assert eth0 and eth0[0]["mac"] == mac, report
        assert "10.0.2.15/24" in eth0[0]["addresses"], report
        rows = [line.split() for line in subprocess.run(
            [str(vh.build_dir() / "verge"), "--socket", str(vd.socket),
             "vm", "list"], capture_output=True, text=True,
            check=True).stdout.splitlines()]
        assert rows[0][-1] == "ADDRESS"
        assert [r[-1] for r in rows if r[0] == "web"] == ["10.0.2.15"], rows
    finally:
        con.close()
    vd.call("vm.kill", name="web")
    assert vd.call("vm.show", name="web")["nics"][0]["mac"] == mac


@pytest.fixture
def member():
    """A real non-root user in a group verged's [daemon] group names."""
    with vh.member("vdv%d" % os.getpid()) as m:
        yield m


def test_a_member_uses_only_disks_it_may(member, tmp_path):
    """Disks are opened with the rights of who defined the VM: a member
    of the verge group cannot give a VM /etc/shadow or a disk of root's,
    nor write to an image it may only read."""
    user, group = member
    v = vh.Verged(config_extra="[daemon]\ngroup = %s\n" % group.gr_name)
    with vh.running(v):
        v.tmp.chmod(0o755)      # the member reaches the socket
        img = v.tmp / "img"
        img.mkdir(mode=0o755)
        kernel = img / "Image"
        kernel.write_bytes(vh.guest_files()[0].read_bytes())
        kernel.chmod(0o644)
        ro = img / "ro.raw"
        qemu_img("create", "-f", "raw", str(ro), "1M")
        ro.chmod(0o644)         # root's, readable by all
        base = {"name": "m", "kernel": str(kernel)}
        r = vh.call_as(user, v.socket, "vm.define",
                       dict(base, disks=["/etc/shadow"]))
        assert r["error"]["code"] == -32602, r
        assert "/etc/shadow: Permission denied for uid %d" % user.pw_uid \
            in r["error"]["message"], r
        r = vh.call_as(user, v.socket, "vm.define",
                       dict(base, disks=[str(ro)]))
        assert "Permission denied" in r["error"]["message"], r
        assert "add ,readonly, ,snapshot or ,overlay" in \
            r["error"]["message"], r
        r = vh.call_as(user, v.socket, "vm.define",
                       dict(base, disks=[str(ro) + ",snapshot"]))
        assert r["result"]["disks"][0]["snapshot"] is True, r
        assert v.call("vm.list")[0]["name"] == "m"
