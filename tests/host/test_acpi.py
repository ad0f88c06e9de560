# SPDX-License-Identifier: Apache-2.0
"""verge-acpi on QEMU virt device trees: every table disassembles with
iasl, checksums hold, the disassembly agrees with the DT (read here by an
independent parser), and hostile DTBs get a clear error under ASan.

The DTBs are dumped by QEMU itself (1, 2 and 4 CPUs, with and without PCI
devices, and with an SMMUv3) into $VERGE_BUILD/acpi-test.
"""

import os
import random
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import fdtparse

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("VERGE_BUILD", "build"))
BUILD = BUILD if BUILD.is_absolute() else REPO / BUILD
WORK = BUILD / "acpi-test"
TOOL = BUILD / "verge-acpi"
ASAN_TOOL = BUILD / "asan" / "verge-acpi"
QEMU = os.environ.get("QEMU", "qemu-system-aarch64")

PCI_DEVS = ["-device", "virtio-net-pci", "-device", "virtio-rng-pci"]
CONFIGS = {
    "smp1": ("", 1, []),
    "smp2": ("", 2, []),
    "smp4": ("", 4, []),
    "smp1-pci": ("", 1, PCI_DEVS),
    "smp2-pci": ("", 2, PCI_DEVS),
    "smp4-pci": ("", 4, PCI_DEVS),
    "smp2-smmu": (",iommu=smmuv3", 2, PCI_DEVS),
}
TABLES = ["XSDT", "FACP", "DSDT", "APIC", "GTDT", "PPTT", "SPCR", "DBG2",
          "MCFG", "IORT"]


def dump_dtb(name):
    machine, smp, devs = CONFIGS[name]
    path = WORK / (name + ".dtb")
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        cmd = [QEMU, "-M", "virt,virtualization=on,gic-version=3%s,dumpdtb=%s"
               % (machine, path), "-cpu", "cortex-a57", "-smp", str(smp),
               "-m", "1G", "-nographic", "-nic", "none"] + devs
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=120)
        assert path.exists(), "QEMU did not dump a DTB: %s" % r.stderr
    return path


def iasl_fields(dsl):
    """iasl's data-table listing as [(field name, value string)]."""
    out = []
    for line in dsl.splitlines():
        m = re.match(r"\[[0-9A-F]+h [0-9]+ +[0-9]+\] +(.*?) : (.*)$", line)
        if m:
            out.append((m.group(1).strip(), m.group(2).strip()))
    return out


def hexval(s):
    return int(s.split()[0], 16)


class Converted:
    """One DTB converted, every table disassembled."""

    def __init__(self, name):
        self.dtb = dump_dtb(name)
        self.dt = fdtparse.parse(self.dtb.read_bytes())
        self.dir = WORK / name
        shutil.rmtree(self.dir, ignore_errors=True)
        r = subprocess.run([str(TOOL), "from-dtb", str(self.dtb), "-o",
                            str(self.dir), "--describe"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        self.describe = r.stdout
        self.iasl = {}
        self.dsl = {}
        for f in sorted(self.dir.glob("*.dat")):
            sig = f.stem
            if sig == "RSDP":
                continue
            r = subprocess.run(["iasl", "-d", f.name], cwd=self.dir,
                               capture_output=True, text=True, timeout=60)
            self.iasl[sig] = (r.returncode, r.stdout + r.stderr)
            dsl = self.dir / (sig + ".dsl")
            self.dsl[sig] = dsl.read_text() if dsl.exists() else ""

    def table(self, sig):
        return (self.dir / (sig + ".dat")).read_bytes()

    def fields(self, sig):
        return iasl_fields(self.dsl[sig])

    def field(self, sig, name):
        vals = [v for n, v in self.fields(sig) if n == name]
        assert vals, "%s: no field %r" % (sig, name)
        return vals


@pytest.fixture(scope="module")
def converted():
    if not TOOL.exists():
        pytest.fail("missing %s (run make)" % TOOL)
    if not shutil.which("iasl"):
        pytest.fail("iasl missing (Debian acpica-tools; scripts/deps.sh)")
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = Converted(name)
        return cache[name]
    return get


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_table_disassembles(converted, name):
    c = converted(name)
    for sig in TABLES:
        rc, out = c.iasl[sig]
        assert rc == 0, "%s: iasl exit %d\n%s" % (sig, rc, out)
        assert not re.search(r"\b(Error|Warning)\b", out), out
        assert c.dsl[sig], "%s: no disassembly" % sig
        assert "Invalid" not in c.dsl[sig] and "**** " not in c.dsl[sig], \
            c.dsl[sig]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_checksums_and_pointers(converted, name):
    c = converted(name)
    rsdp = c.table("RSDP")
    assert rsdp[:8] == b"RSD PTR " and rsdp[15] == 2
    assert sum(rsdp[:20]) % 256 == 0 and sum(rsdp[:36]) % 256 == 0
    blob = (c.dir / "tables.bin").read_bytes()
    base = 0x40000000
    xsdt_addr = struct.unpack("<Q", rsdp[24:32])[0]
    xsdt = c.table("XSDT")
    assert blob[xsdt_addr - base:xsdt_addr - base + len(xsdt)] == xsdt
    listed = set()
    for i in range(36, len(xsdt), 8):
        a = struct.unpack("<Q", xsdt[i:i + 8])[0] - base
        listed.add(blob[a:a + 4].decode())
    assert listed == set(TABLES) - {"XSDT", "DSDT"}
    for sig in TABLES:
        t = c.table(sig)
        assert t[:4].decode() == sig
        assert struct.unpack("<I", t[4:8])[0] == len(t)
        assert sum(t) % 256 == 0, "%s checksum" % sig
    fadt = c.table("FACP")
    dsdt = struct.unpack("<Q", fadt[140:148])[0] - base
    assert blob[dsdt:dsdt + 4] == b"DSDT"


def subtables(fields):
    """MADT subtables as dicts of their fields (the first of each name)."""
    out = []
    for n, v in fields:
        if n == "Subtable Type":
            out.append({"type": hexval(v)})
        elif out:
            out[-1][n if n not in out[-1] else n + "#2"] = v
    return out


def gic_of(dt):
    return fdtparse.by_compatible(dt, "arm,gic-v3")[0]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_madt_matches_dt(converted, name):
    c = converted(name)
    gic = gic_of(c.dt)
    regs = gic.reg()
    cpus = [n for n in c.dt.walk() if n.props.get("device_type") == b"cpu\0"]
    assert len(cpus) == CONFIGS[name][1]
    mpidrs = [hexval(v) for v in c.field("APIC", "ARM MPIDR")]
    assert mpidrs == [n.u32s("reg")[0] for n in cpus]
    subs = subtables(c.fields("APIC"))
    gicd = [hexval(t["Base Address"]) for t in subs if t["type"] == 0x0C]
    assert gicd == [regs[0][0]]
    gicr = [(hexval(t["Base Address"]), hexval(t["Length#2"])) for t in subs
            if t["type"] == 0x0E]
    assert gicr == [regs[1]]
    its = [hexval(t["Base Address"]) for t in subs if t["type"] == 0x0F]
    assert its == [n.reg()[0][0] for n in
                   fdtparse.by_compatible(c.dt, "arm,gic-v3-its")]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_gtdt_matches_dt(converted, name):
    c = converted(name)
    timer = fdtparse.by_compatible(c.dt, "arm,armv8-timer")[0]
    cells = timer.u32s("interrupts")
    want = [16 + cells[3 * i + 1] for i in range(4)]
    got = [hexval(c.field("GTDT", n)[0]) for n in (
        "Secure EL1 Interrupt", "Non-Secure EL1 Interrupt",
        "Virtual Timer Interrupt", "Non-Secure EL2 Interrupt")]
    assert got == want


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_uart_matches_dt(converted, name):
    c = converted(name)
    uart = fdtparse.by_compatible(c.dt, "arm,pl011")[0]
    base = uart.reg()[0][0]
    gsiv = 32 + uart.u32s("interrupts")[1]
    assert hexval(c.field("SPCR", "Address")[0]) == base
    assert hexval(c.field("SPCR", "Interrupt")[0]) == gsiv
    assert hexval(c.field("SPCR", "Interface Type")[0]) == 3
    assert hexval(c.field("DBG2", "Address")[0]) == base
    com0 = re.search(r"Device \(COM0\).*?\n        \}", c.dsl["DSDT"], re.S)
    assert com0 and '"ARMH0011"' in com0.group(0)
    assert re.search(r"0x%08X,\s+// Address Base" % base, com0.group(0))
    assert re.search(r"\{\s*0x%08X,\s*\}" % gsiv, com0.group(0))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_pci_matches_dt(converted, name):
    c = converted(name)
    pci = fdtparse.by_compatible(c.dt, "pci-host-ecam-generic")[0]
    ecam = pci.reg()[0]
    assert hexval(c.field("MCFG", "Base Address")[0]) == ecam[0]
    assert hexval(c.field("MCFG", "Start Bus Number")[0]) == 0
    assert hexval(c.field("MCFG", "End Bus Number")[0]) == (ecam[1] >> 20) - 1
    dsdt = c.dsl["DSDT"]
    assert re.search(r"Name \(_CBA, 0x0*%X\)" % ecam[0], dsdt)
    # RES0 (PNP0C02) reserves the ECAM window
    res0 = re.search(r"Device \(RES0\).*?\n            \}", dsdt, re.S)
    assert res0 and 'EisaId ("PNP0C02")' in res0.group(0)
    assert re.search(r"0x0*%X, // Range Minimum" % ecam[0], res0.group(0))
    assert re.search(r"0x0*%X, // Length" % ecam[1], res0.group(0))
    assert 'EisaId ("PNP0A08")' in dsdt and 'EisaId ("PNP0A03")' in dsdt
    assert re.search(r'Method \(_OSC, 4, NotSerialized\)[^\n]*\s*\{\s*'
                     r'CreateDWordField \(Arg3, Zero, CDW1\)\s*'
                     r'If \(\(Arg0 == ToUUID \("33db4d5b-1ff7-401c-9657-'
                     r'7441c03dd766"\)', dsdt)
    # _PRT: every slot x pin, the GSIV the DT interrupt-map gives
    imap = pci.u32s("interrupt-map")
    mask = pci.u32s("interrupt-map-mask")
    dt_map = {}
    for i in range(0, len(imap), 10):
        dt_map[(imap[i], imap[i + 3])] = 32 + imap[i + 6 + 2]
    prt = re.findall(r"Package \(0x04\)\s*\{\s*(\w+),\s*(\w+),\s*Zero,\s*(\w+)",
                     dsdt)
    assert len(prt) == 128

    def num(s):
        return {"Zero": 0, "One": 1}[s] if s in ("Zero", "One") else int(s, 16)
    for addr, pin, gsiv in prt:
        slot = num(addr) >> 16
        key = ((slot << 11) & mask[0], (num(pin) + 1) & mask[3])
        assert dt_map[key] == num(gsiv), (slot, pin)
    # _CRS windows from "ranges": CPU address = bus address + translation
    rng = pci.u32s("ranges")
    for i in range(0, len(rng), 7):
        cpu = rng[i + 3] << 32 | rng[i + 4]
        size = rng[i + 5] << 32 | rng[i + 6]
        assert re.search(r"0x0*%X,\s+// Length" % size, dsdt), hex(size)
        if rng[i] >> 24 & 3 == 1:
            assert re.search(r"0x0*%X,\s+// Translation Offset" % cpu, dsdt)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_dsdt_devices(converted, name):
    c = converted(name)
    dsdt = c.dsl["DSDT"]
    virtio = fdtparse.by_compatible(c.dt, "virtio,mmio")
    assert dsdt.count('"LNRO0005"') == len(virtio)
    assert dsdt.count('"ACPI0007"') == CONFIGS[name][1]
    # gpio-keys -> PL061 with _AEI and a control-method power button
    assert '"ARMH0061"' in dsdt and 'EisaId' not in dsdt.split("PWRB")[0][-1:]
    assert re.search(r"Method \(_E03, 0", dsdt)
    assert "Notify (\\_SB.PWRB, 0x80)" in dsdt
    assert '"PNP0C0C"' in dsdt
    # no ACPI ID for the PL031 RTC: PRP0001 + _DSD compatible
    assert '"PRP0001"' in dsdt and '"arm,pl031"' in dsdt
    assert 'ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301")' in dsdt


def test_iort_smmu_matches_dt(converted):
    """RC -> SMMUv3 (iommu-map) -> ITS (msi-map), GSIVs by interrupt name."""
    c = converted("smp2-smmu")
    smmu = fdtparse.by_compatible(c.dt, "arm,smmu-v3")[0]
    pci = fdtparse.by_compatible(c.dt, "pci-host-ecam-generic")[0]
    names = smmu.strings("interrupt-names")
    irqs = smmu.u32s("interrupts")
    gsiv = {n: 32 + irqs[3 * i + 1] for i, n in enumerate(names)}
    f = dict((n, v) for n, v in c.fields("IORT")[::-1])
    assert hexval(f["Base Address"]) == smmu.reg()[0][0]
    assert hexval(f["Event GSIV"]) == gsiv["eventq"]
    assert hexval(f["PRI GSIV"]) == gsiv["priq"]
    assert hexval(f["GERR GSIV"]) == gsiv["gerror"]
    assert hexval(f["Sync GSIV"]) == gsiv["cmdq-sync"]
    types = [hexval(v) for n, v in c.fields("IORT") if n == "Type"]
    assert types == [0, 4, 2]          # ITS group, SMMUv3, root complex
    refs = [hexval(v) for n, v in c.fields("IORT") if n == "Output Reference"]
    offs = [hexval(v) for n, v in c.fields("IORT") if n == "Node Offset"]
    # SMMU -> ITS group (the first node), RC -> SMMU (the second)
    assert refs[0] == offs[0]
    rid_base, _, _, length = pci.u32s("iommu-map")
    counts = [hexval(v) for n, v in c.fields("IORT") if n == "ID Count"]
    assert counts == [length - 1, length - 1]
    assert refs[1] > refs[0]


@pytest.mark.parametrize("name", ["smp1", "smp4"])
def test_pptt_matches_cpu_map(converted, name):
    """One hierarchy node per cpu-map node; leaves name the CPUs in /cpus
    order (the MADT UIDs); the socket is a physical package."""
    c = converted(name)
    cpus = [n for n in c.dt.walk() if n.props.get("device_type") == b"cpu\0"]
    index = {n.u32s("phandle")[0]: i for i, n in enumerate(cpus)}
    cmap = [n for n in c.dt.walk() if n.name == "cpu-map"][0]
    want = []                     # (name, parent name, cpu index or None)

    def walk(n, parent):
        cpu = index[n.u32s("cpu")[0]] if "cpu" in n.props else None
        want.append((n.name, parent, cpu))
        for ch in n.children:
            walk(ch, n.name)
    for ch in cmap.children:
        walk(ch, None)
    f = c.fields("PPTT")
    flags = [hexval(v) for n, v in f if n == "Flags (decoded below)"]
    ids = [hexval(v) for n, v in f if n == "ACPI Processor ID"]
    parents = [hexval(v) for n, v in f if n == "Parent"]
    assert len(flags) == len(want)
    offset = {}
    for i, (nm, parent, cpu) in enumerate(want):
        offset[nm] = 0x24 + 20 * i
        assert parents[i] == (offset[parent] if parent else 0)
        assert bool(flags[i] & 1) == nm.startswith("socket")
        if cpu is None:
            assert not flags[i] & 0xa
        else:
            assert flags[i] & 0xa == 0xa and ids[i] == cpu


@pytest.mark.parametrize("shift,width,spcr", [(None, None, 0x00),
                                              (2, 4, 0x12)])
def test_16550_console(tmp_path, shift, width, spcr):
    """A 16550 console (ns16550a; reg-shift 2 / reg-io-width 4 is SPCR's
    16550-with-GAS type, with the layout also in COM0's _DSD)."""
    p = tmp_path / "u.dtb"
    shutil.copy(dump_dtb("smp2"), p)
    fdtput(p, "-t", "s", "/pl011@9000000", "compatible", "ns16550a")
    if shift is not None:
        fdtput(p, "-t", "x", "/pl011@9000000", "reg-shift", str(shift))
        fdtput(p, "-t", "x", "/pl011@9000000", "reg-io-width", str(width))
    out = tmp_path / "o"
    r = subprocess.run([str(TOOL), "from-dtb", str(p), "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    fields = {}
    for sig in ("SPCR", "DBG2", "DSDT"):
        r = subprocess.run(["iasl", "-d", sig + ".dat"], cwd=out,
                           capture_output=True, text=True)
        assert r.returncode == 0 and "Error" not in r.stdout + r.stderr
        fields[sig] = iasl_fields((out / (sig + ".dsl")).read_text())
    bits = 8 * (width or 1)
    assert dict(fields["SPCR"])["Interface Type"] == "%02X" % spcr
    assert hexval(dict(fields["SPCR"])["Bit Width"]) == bits
    assert hexval(dict(fields["DBG2"])["Port Subtype"]) == spcr
    dsdt = (out / "DSDT.dsl").read_text()
    com0 = re.search(r"Device \(COM0\).*?\n        \}", dsdt, re.S).group(0)
    assert '"PNP0501"' in com0
    assert ('"reg-shift"' in com0) == (shift is not None)


def _soc_dtb(tmp_path, uart_reg="0 1000"):
    """The UART and RTC moved under /soc, a simple-bus whose ranges map
    its 0.. addresses to 0x9000000.. (as many boards' DTs do)."""
    p = tmp_path / "soc.dtb"
    shutil.copy(dump_dtb("smp2"), p)
    fdtdel(p, "/pl011@9000000")
    fdtdel(p, "/pl031@9010000")
    fdtput(p, "-c", "/soc", "/soc/serial@0", "/soc/rtc@10000")
    fdtput(p, "-t", "s", "/soc", "compatible", "simple-bus")
    fdtput(p, "-t", "x", "/soc", "#address-cells", "1")
    fdtput(p, "-t", "x", "/soc", "#size-cells", "1")
    fdtput(p, "-t", "x", "/soc", "ranges", "0", "0", "9000000", "100000")
    for node, compat, reg, irq in (("serial@0", "arm,pl011", uart_reg, "1"),
                                   ("rtc@10000", "arm,pl031", "10000 1000",
                                    "2")):
        fdtput(p, "-t", "s", "/soc/" + node, "compatible", compat)
        fdtput(p, "-t", "x", "/soc/" + node, "reg", *reg.split())
        fdtput(p, "-t", "x", "/soc/" + node, "interrupts", "0", irq, "4")
    fdtput(p, "-t", "s", "/chosen", "stdout-path", "/soc/serial@0")
    return p


def test_translated_bus_addresses(tmp_path):
    p = _soc_dtb(tmp_path)
    out = tmp_path / "o"
    r = subprocess.run([str(TOOL), "from-dtb", str(p), "-o", str(out),
                        "--describe"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "mapped    /soc/serial@0: SPCR" in r.stdout
    assert "at 0x9000000" in r.stdout
    for sig in ("SPCR", "DSDT"):
        subprocess.run(["iasl", "-d", sig + ".dat"], cwd=out,
                       capture_output=True, check=True)
    spcr = dict(iasl_fields((out / "SPCR.dsl").read_text()))
    assert hexval(spcr["Address"]) == 0x9000000
    dsdt = (out / "DSDT.dsl").read_text()
    rtc = re.search(r'"arm,pl031"', dsdt)
    assert rtc and re.search(r"0x09010000,\s+// Address Base", dsdt)


def test_translation_outside_ranges_refused(tmp_path):
    p = _soc_dtb(tmp_path, uart_reg="200000 1000")
    r = subprocess.run([str(TOOL), "from-dtb", str(p), "-o",
                        str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 1
    assert "/soc/serial@0: reg is outside every range" in r.stderr


def test_16550_odd_layout_refused(tmp_path):
    p = tmp_path / "u.dtb"
    shutil.copy(dump_dtb("smp2"), p)
    fdtput(p, "-t", "s", "/pl011@9000000", "compatible", "ns16550a")
    fdtput(p, "-t", "x", "/pl011@9000000", "reg-shift", "1")
    r = subprocess.run([str(TOOL), "from-dtb", str(p), "-o",
                        str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 1 and "reg-shift" in r.stderr, r.stderr


def test_describe_names_nodes_and_omissions(converted):
    c = converted("smp2-smmu")
    d = c.describe
    assert re.search(r"^mapped +/pl011@9000000: SPCR", d, re.M)
    assert re.search(r"^mapped +/cpus/cpu@1: MADT GICC 1, MPIDR 0x1", d, re.M)
    assert re.search(r"^left out +/apb-pclk: clocks", d, re.M)
    assert re.search(r"^mapped +/smmuv3@[0-9a-f]+: IORT SMMUv3", d, re.M)
    assert re.search(r"^table +DSDT at 0x[0-9a-f]+, \d+ bytes", d, re.M)


def test_cli_usage_and_errors(tmp_path):
    r = subprocess.run([str(TOOL), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("usage: verge-acpi")
    for args in ([], ["frob"], ["from-dtb"], ["from-dtb", "x.dtb"],
                 ["from-dtb", "--bogus", "x.dtb", "-o", "d"],
                 ["from-dtb", "x.dtb", "-o", "d", "--align", "zz"]):
        r = subprocess.run([str(TOOL)] + args, capture_output=True, text=True)
        assert r.returncode == 2, args
        assert "verge-acpi" in r.stderr and "usage" in r.stderr
    r = subprocess.run([str(TOOL), "from-dtb", str(tmp_path / "none.dtb"),
                        "-o", str(tmp_path / "o")], capture_output=True,
                       text=True)
    assert r.returncode == 3 and "No such file" in r.stderr
    bad = tmp_path / "bad.dtb"
    bad.write_bytes(b"\xd0\x0d\xfe\xed" + b"\0" * 60)
    r = subprocess.run([str(TOOL), "from-dtb", str(bad), "-o",
                        str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 1
    assert "not a valid device tree blob" in r.stderr
    r = subprocess.run([str(TOOL), "from-dtb", str(dump_dtb("smp2")), "-o",
                        str(bad)], capture_output=True, text=True)
    assert r.returncode == 3, r.stderr


# Hostile DTBs, run under ASan + UBSan: an error that says what is wrong,
# exit status 1, never a signal or a sanitizer report.

ASAN_ENV = dict(os.environ,
                ASAN_OPTIONS="exitcode=99:detect_leaks=1",
                UBSAN_OPTIONS="halt_on_error=1:exitcode=98:print_stacktrace=1")


@pytest.fixture(scope="module")
def asan_tool():
    r = subprocess.run(["make", "--no-print-directory", "-C", str(REPO),
                        "O=" + str(BUILD), "acpi-asan"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return ASAN_TOOL


def run_asan(tool, dtb, out):
    r = subprocess.run([str(tool), "from-dtb", str(dtb), "-o", str(out)],
                       capture_output=True, text=True, timeout=60,
                       env=ASAN_ENV)
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, \
        r.stderr
    assert r.returncode in (0, 1), (r.returncode, r.stderr)
    if r.returncode:
        assert re.match(r"verge-acpi: .*\.dtb: \S", r.stderr), r.stderr
    return r


def fdtput(path, *args):
    subprocess.run(["fdtput"] + [str(path)] + list(args), check=True,
                   capture_output=True)


def fdtdel(path, node):
    subprocess.run(["fdtput", "-r", str(path), node], check=True,
                   capture_output=True)


# (description, edit(path), the error message must contain)
def _imap_cut(p):
    dt = fdtparse.parse(p.read_bytes())
    v = fdtparse.by_compatible(dt, "pci-host-ecam-generic")[0].u32s(
        "interrupt-map")
    fdtput(p, "-t", "x", "/pcie@10000000", "interrupt-map",
           *["%x" % x for x in v[:-3]])


def _imap_wrong_parent(p):
    dt = fdtparse.parse(p.read_bytes())
    v = fdtparse.by_compatible(dt, "pci-host-ecam-generic")[0].u32s(
        "interrupt-map")
    v[4] = 0x8005          # the PL061, not the GIC
    fdtput(p, "-t", "x", "/pcie@10000000", "interrupt-map",
           *["%x" % x for x in v])


HOSTILE = [
    ("no timer", lambda p: fdtdel(p, "/timer"), "arm,armv8-timer"),
    ("no psci", lambda p: fdtdel(p, "/psci"), "PSCI"),
    ("no cpus", lambda p: fdtdel(p, "/cpus"), "/cpus"),
    ("psci method", lambda p: fdtput(p, "/psci", "method", "spin-table"),
     "method"),
    ("huge #address-cells /cpus",
     lambda p: fdtput(p, "-t", "x", "/cpus", "#address-cells", "ffffffff"),
     "#address-cells"),
    ("huge #address-cells root",
     lambda p: fdtput(p, "-t", "x", "/", "#address-cells", "40000000"),
     "#address-cells"),
    ("huge #address-cells GIC",
     lambda p: fdtput(p, "-t", "x", "/intc@8000000", "#address-cells",
                      "10000000"), "#address-cells"),
    ("huge #redistributor-regions",
     lambda p: fdtput(p, "-t", "x", "/intc@8000000",
                      "#redistributor-regions", "ffffffff"),
     "#redistributor-regions"),
    ("interrupt-parent loop",
     lambda p: (fdtput(p, "-t", "x", "/pl011@9000000", "phandle", "77"),
                fdtput(p, "-t", "x", "/pl011@9000000", "interrupt-parent",
                       "77")), "interrupt parent is not the GIC"),
    ("interrupt-parent dangling",
     lambda p: fdtput(p, "-t", "x", "/pl011@9000000", "interrupt-parent",
                      "deadbeef"), "interrupt parent is not the GIC"),
    ("uart without reg", lambda p: subprocess.run(
        ["fdtput", "-d", str(p), "/pl011@9000000", "reg"], check=True),
     "no reg"),
    ("uart irq cut",
     lambda p: fdtput(p, "-t", "x", "/pl011@9000000", "interrupts", "0", "1"),
     "3-cell GIC"),
    ("uart SPI out of range",
     lambda p: fdtput(p, "-t", "x", "/pl011@9000000", "interrupts", "0",
                      "ffffffff", "4"), "bad GIC interrupt specifier"),
    ("gic reg odd", lambda p: fdtput(p, "-t", "x", "/intc@8000000", "reg",
                                     "0", "8000000", "0"), "multiple"),
    ("interrupt-map entry cut", _imap_cut, "does not fit"),
    ("interrupt-map parent not GIC", _imap_wrong_parent,
     "does not point at the GIC"),
    ("pci ranges odd", lambda p: fdtput(p, "-t", "x", "/pcie@10000000",
                                        "ranges", "1000000", "0", "0"),
     "ranges"),
    ("pci bus-range", lambda p: fdtput(p, "-t", "x", "/pcie@10000000",
                                       "bus-range", "0", "1ff"), "bus-range"),
    ("pci #address-cells", lambda p: fdtput(p, "-t", "x", "/pcie@10000000",
                                            "#address-cells", "2"),
     "#address-cells"),
    ("msi-map odd", lambda p: fdtput(p, "-t", "x", "/pcie@10000000",
                                     "msi-map", "0", "8004"), "msi-map"),
    ("virtio above 4G", lambda p: fdtput(
        p, "-t", "x", "/virtio_mmio@a000000", "reg", "1", "0", "0", "200"),
     "above 4 GiB"),
    ("reg wraps", lambda p: fdtput(
        p, "-t", "x", "/virtio_mmio@a000000", "reg", "ffffffff", "ffffff00",
        "0", "1000"), "wraps"),
]


@pytest.mark.parametrize("desc,edit,msg", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_properties(asan_tool, tmp_path, desc, edit, msg):
    p = tmp_path / "hostile.dtb"
    shutil.copy(dump_dtb("smp2"), p)
    edit(p)
    r = run_asan(asan_tool, p, tmp_path / "out")
    assert r.returncode == 1, "%s: accepted" % desc
    assert msg in r.stderr, r.stderr


def test_gpio_key_phandle_loop(asan_tool, tmp_path):
    """gpios pointing at a node that is not a PL061 (here the key itself):
    the power button is left out, the rest converts."""
    p = tmp_path / "loop.dtb"
    shutil.copy(dump_dtb("smp2"), p)
    fdtput(p, "-t", "x", "/gpio-keys/poweroff", "phandle", "99")
    fdtput(p, "-t", "x", "/gpio-keys/poweroff", "gpios", "99", "3", "0")
    run_asan(asan_tool, p, tmp_path / "out")
    r = subprocess.run([str(asan_tool), "from-dtb", str(p), "--describe"],
                       capture_output=True, text=True, env=ASAN_ENV)
    assert r.returncode == 0
    assert re.search(r"left out +/gpio-keys/poweroff: gpios is not one pin",
                     r.stdout)


def test_bad_cpu_map_left_out(asan_tool, tmp_path):
    """A cpu-map leaf that names no CPU: no PPTT, the rest converts."""
    p = tmp_path / "cm.dtb"
    shutil.copy(dump_dtb("smp2"), p)
    fdtput(p, "-t", "x", "/cpus/cpu-map/socket0/cluster0/core0", "cpu",
           "1234")
    run_asan(asan_tool, p, tmp_path / "out")
    assert not (tmp_path / "out" / "PPTT.dat").exists()
    r = subprocess.run([str(asan_tool), "from-dtb", str(p), "--describe"],
                       capture_output=True, text=True, env=ASAN_ENV)
    assert "left out  /cpus/cpu-map: no PPTT: a leaf names no CPU" in r.stdout


def test_non_ascii_compatible_left_out(asan_tool, tmp_path):
    """AML strings are ASCII: such a device is left out, not a failure."""
    p = tmp_path / "na.dtb"
    shutil.copy(dump_dtb("smp2"), p)
    fdtput(p, "/pl031@9010000", "compatible", "arm,pl\xe9")
    run_asan(asan_tool, p, tmp_path / "out")
    r = subprocess.run([str(asan_tool), "from-dtb", str(p), "--describe"],
                       capture_output=True, text=True, env=ASAN_ENV)
    assert r.returncode == 0, r.stderr
    assert "left out  /pl031@9010000: no printable compatible" in r.stdout
    # control characters in a node name are printed as '?'
    blob = dump_dtb("smp2").read_bytes().replace(b"pl031@", b"pl\x1b31@", 1)
    p.write_bytes(blob)
    r = subprocess.run([str(asan_tool), "from-dtb", str(p), "--describe"],
                       capture_output=True, env=ASAN_ENV)
    assert r.returncode == 0 and b"\x1b" not in r.stdout, r.stderr
    assert b"mapped    /pl?31@9010000: DSDT device PRP0001" in r.stdout


def test_truncated_and_corrupted(asan_tool, tmp_path):
    blob = dump_dtb("smp2").read_bytes()
    total = struct.unpack(">I", blob[4:8])[0]
    blob = blob[:total]
    p = tmp_path / "bad.dtb"
    outcomes = {}
    cuts = [0, 1, 39, 40, 56, 100, total // 2, total - 9, total - 1]
    for n in cuts:
        p.write_bytes(blob[:n])
        r = run_asan(asan_tool, p, tmp_path / "out")
        assert r.returncode == 1, "truncated at %d accepted" % n
        assert "not a valid device tree blob" in r.stderr
    # flips in the header, structure and strings (not the free space
    # QEMU leaves after them)
    off_strings, size_strings = struct.unpack(">I", blob[12:16])[0], \
        struct.unpack(">I", blob[32:36])[0]
    used = off_strings + size_strings
    rnd = random.Random(8)
    for i in range(80):
        b = bytearray(blob)
        for _ in range(rnd.randrange(1, 8)):
            b[rnd.randrange(used)] = rnd.randrange(256)
        p.write_bytes(bytes(b))
        r = run_asan(asan_tool, p, tmp_path / "out")
        outcomes[r.returncode] = outcomes.get(r.returncode, 0) + 1
    # the header and structure flips must be among the refusals
    assert outcomes.get(1, 0) > 0


def test_hostile_smmu(asan_tool, tmp_path):
    """A broken iommu-map is an error; an SMMU whose interrupts cannot be
    named is left out (with the reason) and the rest converts."""
    p = tmp_path / "smmu.dtb"
    shutil.copy(dump_dtb("smp2-smmu"), p)
    fdtput(p, "-t", "x", "/pcie@10000000", "iommu-map", "0", "8005")
    r = run_asan(asan_tool, p, tmp_path / "out")
    assert r.returncode == 1 and "iommu-map" in r.stderr, r.stderr
    shutil.copy(dump_dtb("smp2-smmu"), p)
    fdtput(p, "/smmuv3@9050000", "interrupt-names", "a", "b")
    run_asan(asan_tool, p, tmp_path / "out")
    r = subprocess.run([str(asan_tool), "from-dtb", str(p), "--describe"],
                       capture_output=True, text=True, env=ASAN_ENV)
    assert r.returncode == 0, r.stderr
    assert re.search(r"left out +/smmuv3@9050000: needs wired eventq", r.stdout)
    assert re.search(r"left out +/pcie@10000000: iommu-map: not to a", r.stdout)
