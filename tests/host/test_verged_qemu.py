# SPDX-License-Identifier: Apache-2.0
"""verged's QEMU binary and a VM's CPU model (issue 14): [qemu] binary and
--qemu are checked at start (exists, runs, -version parses), vm.define's
cpu is one of the models that QEMU offers for its virt machine, and
vm.show (and `verge vm show`) says which model and which QEMU. A QEMU
unpacked outside /usr gets -L with its data directory. fake_qemu.py plays
QEMU (its -version says 7.2.99; its CPU list is FAKE_CPUS)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import verged_harness as vh  # noqa: E402
from verged_harness import RpcError  # noqa: E402

FAKE = Path(__file__).resolve().parent / "fake_qemu.py"


def fake_verged(binary):
    return vh.fake_qemu_verged(qemu=binary)


def define(v, name, **kw):
    return v.call("vm.define", name=name, kernel=str(v.tmp / "Image"),
                  memory_mib=256, cpus=1, **kw)


def argv_of(v, name):
    """The command line verged gave the fake QEMU of VM name."""
    log = v.run / "vms" / name / "fake.log"
    vh.wait_for("fake.log of " + name, lambda: log.exists()
                and "argv" in log.read_text(), 10)
    for line in log.read_text().splitlines():
        rec = json.loads(line)
        if "argv" in rec:
            return rec["argv"]
    raise AssertionError("no argv in " + str(log))


@pytest.fixture(scope="module")
def vd():
    with vh.running(fake_verged(FAKE)) as v:
        yield v


def test_cpu_default_and_chosen(vd):
    """Without cpu a VM gets [qemu] cpu (cortex-a57); with one, that
    model; vm.show names it and the QEMU version and binary; QEMU is
    started with it."""
    a = define(vd, "dflt")
    assert a["cpu"] == "cortex-a57"
    assert a["qemu"] == {"version": "7.2.99", "binary": str(FAKE.resolve())}
    b = define(vd, "n-max", cpu="max")
    assert b["cpu"] == "max"
    assert vd.call("vm.show", name="n-max")["cpu"] == "max"
    vd.call("vm.start", name="n-max")
    try:
        argv = argv_of(vd, "n-max")
        assert argv[argv.index("-cpu") + 1] == "max"
        assert "-L" not in argv     # the fake sits in no .../usr/bin
    finally:
        vd.call("vm.kill", name="n-max")


@pytest.mark.parametrize("bad", ["cortex-a99", "max,sve=off", "max ",
                                 "cortex-a57,pauth=on", "-machine"])
def test_unknown_cpu_refused(vd, bad):
    """A model QEMU does not list (or one with options smuggled after a
    comma) is refused, naming the parameter, the QEMU and valid models."""
    with pytest.raises(RpcError) as e:
        define(vd, "bad-cpu", cpu=bad)
    assert e.value.name == "invalid_params", e.value
    assert e.value.data.get("param") == "cpu"
    msg = e.value.error["message"]
    assert "QEMU 7.2.99" in msg and "cortex-a57, cortex-a72" in msg, msg
    assert "-cpu help" in msg
    assert all(v["name"] != "bad-cpu" for v in vd.call("vm.list"))


def test_cli_shows_cpu_model(vd):
    """`verge vm show` prints the model and the QEMU version;
    `verge vm define --cpu` sends the model."""
    verge = str(vh.build_dir() / "verge")
    r = subprocess.run([verge, "--socket", str(vd.socket), "vm", "define",
                        "cli-a76", "--kernel", str(vd.tmp / "Image"),
                        "--memory", "256", "--cpu", "cortex-a76"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([verge, "--socket", str(vd.socket), "vm", "show",
                        "cli-a76"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    line = [x for x in r.stdout.splitlines() if "CPU model" in x]
    assert line and line[0].split(None, 2)[2] == \
        "cortex-a76 (QEMU 7.2.99)", r.stdout
    r = subprocess.run([verge, "--socket", str(vd.socket), "vm", "define",
                        "cli-bad", "--kernel", str(vd.tmp / "Image"),
                        "--cpu", "cortex-a99"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "cortex-a99" in r.stderr, r.stderr


def run_verged(args):
    v = fake_verged(FAKE)
    try:
        return subprocess.run([str(v.binary), "--foreground", "--config",
                               str(v.config)] + args, capture_output=True,
                              text=True, timeout=30)
    finally:
        v.cleanup()


def test_qemu_option_checked_at_start(tmp_path):
    """--qemu (over [qemu] binary) must name a QEMU: a missing file, a
    program whose -version is not QEMU's, or a [qemu] cpu that QEMU does
    not offer stop verged with the reason."""
    r = run_verged(["--qemu", str(tmp_path / "nope")])
    assert r.returncode == 1
    assert "nope: No such file" in r.stderr, r.stderr
    r = run_verged(["--qemu", "/bin/true"])
    assert r.returncode == 1
    assert "does not say 'QEMU emulator version" in r.stderr, r.stderr
    r = run_verged(["--qemu", "no-such-qemu-here"])
    assert r.returncode == 1 and "not found in PATH" in r.stderr, r.stderr
    v = fake_verged(FAKE)
    try:
        v.config.write_text(v.config.read_text() + "cpu = cortex-a99\n")
        r = subprocess.run([str(v.binary), "--foreground", "--config",
                            str(v.config)], capture_output=True, text=True,
                           timeout=30)
    finally:
        v.cleanup()
    assert r.returncode == 1
    assert "[qemu] cpu cortex-a99" in r.stderr, r.stderr


def test_qemu_outside_usr_gets_its_data_dir(tmp_path):
    """A QEMU unpacked as scripts/fetch-qemu10.sh does (DIR/usr/bin/...,
    DIR/usr/share/qemu), given with --qemu: verged starts it with
    -L DIR/usr/share/qemu, and vm.show names that binary."""
    root = tmp_path / "qemu10"
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "share" / "qemu").mkdir(parents=True)
    q = root / "usr" / "bin" / "qemu-system-aarch64"
    q.write_text("#!/bin/sh\nexec %s %s \"$@\"\n" % (sys.executable, FAKE))
    q.chmod(0o755)
    v = fake_verged(FAKE)
    try:
        v.start(args=["--qemu", str(q)])
        r = define(v, "ten", cpu="cortex-a76")
        assert r["qemu"]["binary"] == str(q)
        v.call("vm.start", name="ten")
        argv = argv_of(v, "ten")
        assert argv[argv.index("-L") + 1] == str(root / "usr/share/qemu")
        assert argv[argv.index("-cpu") + 1] == "cortex-a76"
        v.call("vm.kill", name="ten")
    finally:
        v.cleanup()


def test_start_refuses_a_model_the_new_qemu_lacks(tmp_path):
    """A VM defined under one QEMU keeps its model; when verged restarts
    with a QEMU that lacks it, vm.start refuses it, naming the model and
    that QEMU, and starts nothing."""
    small = tmp_path / "qemu-small"
    small.write_text(
        "#!/bin/sh\n"
        "if [ \"$*\" = '-M virt -cpu help' ]; then\n"
        "  printf 'Available CPUs:\\n  cortex-a57\\n  max\\n'; exit 0\n"
        "fi\n"
        "exec %s %s \"$@\"\n" % (sys.executable, FAKE))
    small.chmod(0o755)
    v = fake_verged(FAKE)
    try:
        v.start()
        define(v, "a76", cpu="cortex-a76")
        v.stop()
        v.start(args=["--qemu", str(small)])
        assert v.call("vm.show", name="a76")["cpu"] == "cortex-a76"
        with pytest.raises(RpcError) as e:
            v.call("vm.start", name="a76")
        msg = e.value.error["message"]
        assert "cpu cortex-a76: QEMU 7.2.99 (%s) has no such model" \
            % small in msg, msg
        assert v.call("vm.show", name="a76")["state"] == "defined"
        assert not (v.run / "vms" / "a76" / "fake.log").exists()
    finally:
        v.cleanup()
