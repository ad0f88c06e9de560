# SPDX-License-Identifier: Apache-2.0
"""verge-hv's clock and firmware options through verged and verge:
vm.define's ptimer, acpi and freq_hz (verge --ptimer, --acpi, --freq),
stored, shown by vm.show and `verge vm show`, passed to verge-hv as
verge.ptimer=1 / verge.acpi=1 / verge.freq=HZ, and refused with a clear
error when bad; a stored rate of 1 is passed and restored when the VM has
a presented frequency; rates get the one parser's errors. QEMU is the
stand-in fake_qemu.py (it records the -append and the SET_RATE requests
it gets)."""

import json
import re
import time

import pytest

import verged_harness as vh  # noqa: E402
from verged_harness import RpcError  # noqa: E402


def wait_for(what, fn, timeout=15):
    deadline = time.monotonic() + timeout
    while not fn():
        if time.monotonic() > deadline:
            raise AssertionError("timeout waiting for " + what)
        time.sleep(0.1)


def fake_log(vd, name):
    p = vd.run / "vms" / name / "fake.log"
    if not p.exists():
        return []
    return [json.loads(x) for x in p.read_text().splitlines()]


@pytest.fixture(scope="module")
def vd():
    v = vh.fake_qemu_verged()
    v.start()
    yield v
    v.cleanup()


def define(vd, name, **kw):
    return vd.call("vm.define", name=name, kernel=str(vd.tmp / "Image"), **kw)


def appended(vd, name):
    vd.call("vm.start", name=name)
    wait_for("argv", lambda: any("argv" in x for x in fake_log(vd, name)))
    argv = [x["argv"] for x in fake_log(vd, name) if "argv" in x][0]
    return argv[argv.index("-append") + 1]


def test_ptimer_and_freq_at_rate_1(vd):
    vm = define(vd, "pt", ptimer=True, freq_hz=125000000)
    assert vm["ptimer"] is True and vm["acpi"] is False
    shown = vd.call("vm.show", name="pt")
    assert shown["ptimer"] is True and shown["acpi"] is False
    assert shown["clock"]["freq_hz"] == 125000000
    assert shown["clock"]["rate"] == "1/1"
    # Rate 1 is passed with the frequency: verge.freq alone would make
    # verge-hv run the guest at 62.5/125 = 1/2 (docs/hypervisor.md).
    assert appended(vd, "pt") == (
        "verge.kernel=0x44000000 verge.uuid=%s verge.rate=1/1 "
        "verge.freq=125000000 verge.ptimer=1 -- console=ttyAMA0"
        % vm["uuid"])
    # and restored when verge-hv comes up (as after a guest reboot)
    wait_for("SET_RATE 1/1", lambda: [1, 1] in [
        x["set_rate"] for x in fake_log(vd, "pt") if "set_rate" in x])
    # how the frequency is presented: the stand-in's HELLO has no flags
    assert vd.call("clock.show", name="pt")["freq_by"] == "cntfrq"
    vd.call("vm.kill", name="pt")


def test_acpi(vd):
    vm = define(vd, "ac", acpi=True)
    assert vm["acpi"] is True and vm["ptimer"] is False
    assert appended(vd, "ac") == (
        "verge.kernel=0x44000000 verge.uuid=%s verge.acpi=1 -- "
        "console=ttyAMA0" % vm["uuid"])
    vd.call("vm.kill", name="ac")
    # stored: a restarted verged still has it
    vd.stop()
    vd.start()
    assert vd.call("vm.show", name="ac")["acpi"] is True
    assert vd.call("vm.show", name="pt")["ptimer"] is True


@pytest.mark.parametrize("params, param, words", [
    ({"ptimer": True, "acpi": True}, "ptimer", "cannot be combined"),
    ({"ptimer": "yes"}, "ptimer", "must be a boolean"),
    ({"acpi": 1}, "acpi", "must be a boolean"),
    ({"freq_hz": 999}, "freq_hz", "must be in 1000000..4000000000"),
    ({"freq_hz": 5000000000}, "freq_hz", "must be in 1000000..4000000000"),
    ({"rate": "0.3333333"}, "rate", "finer than a rate's precision"),
    ({"rate": "200"}, "rate", "outside 0.01..100"),
    ({"rate": " 0.5"}, "rate", "not a rate"),
], ids=["ptimer_with_acpi", "ptimer_string", "acpi_number", "freq_low",
        "freq_high", "rate_precision", "rate_range", "rate_syntax"])
def test_bad_values(vd, params, param, words):
    with pytest.raises(RpcError) as e:
        define(vd, "bad", **params)
    assert e.value.code == -32602 and e.value.data["param"] == param, \
        e.value.error
    assert words in e.value.error["message"], e.value.error
    with pytest.raises(RpcError):
        vd.call("vm.show", name="bad")      # nothing was defined


@pytest.fixture(scope="module")
def cli():
    d = vh.Verged().start()
    (d.tmp / "Image").write_bytes(b"\0" * 4096)
    yield d
    d.cleanup()


def test_cli_define_show(cli):
    r = cli.verge("vm", "define", "c1", "--kernel", "Image", "--ptimer",
                  "--freq", "125MHz", "--rate", "1", cwd=cli.tmp)
    assert r.returncode == 0, r.stderr
    r = cli.verge("vm", "show", "c1")
    fields = dict(re.split(r":\s+", line, maxsplit=1)
                  for line in r.stdout.splitlines())
    assert fields["Guest timer"] == "physical only (ptimer)", r.stdout
    assert fields["Firmware"] == "device tree", r.stdout
    r = cli.verge("--json", "vm", "show", "c1")
    j = json.loads(r.stdout)
    assert j["ptimer"] is True and j["acpi"] is False
    assert j["clock"]["freq_hz"] == 125000000 and j["clock"]["rate"] == "1/1"


@pytest.mark.parametrize("args, words", [
    (("--ptimer", "--acpi"), "ptimer and acpi cannot be combined"),
    (("--freq", "100"), "freq_hz"),
    (("--rate", "0.3333333"), "--rate: '0.3333333' is finer than a rate's"
     " precision"),
    (("--ptimer=1",), "--ptimer"),
], ids=["ptimer_acpi", "freq_low", "rate_precision", "flag_value"])
def test_cli_bad_values(cli, args, words):
    r = cli.verge("vm", "define", "c2", "--kernel", "Image", *args,
                  cwd=cli.tmp)
    assert r.returncode != 0
    assert words in r.stderr, r.stderr
