#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""acpi-compare.py [OUTDIR]: QEMU virt's own ACPI tables next to verge's.

1. QEMU dumps the virt DTB (virtualization=on, GICv3, 2 CPUs, 1 GiB).
2. verge-acpi converts it: OUTDIR/verge/<SIG>.dat.
3. The same machine boots EDK2 (Debian's qemu-efi-aarch64) and the test
   kernel with acpi=force; the initramfs shell dumps every table from
   /sys/firmware/acpi/tables (od), which is what QEMU generated and the
   firmware installed: OUTDIR/qemu/<SIG>.dat.
4. iasl -d both sets; print which tables each has and their sizes.

docs/acpi.md records the differences and their reasons. Environment:
VERGE_BUILD, VERGE_CACHE, QEMU (as the tests), EDK2 (firmware path).
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "linux"))
import linuxvm as lv  # noqa: E402

EDK2 = os.environ.get("EDK2", "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd")
MACHINE = "virt,virtualization=on,gic-version=3"
COMMON = ["-cpu", "cortex-a57", "-smp", "2", "-m", "1G", "-nographic"]


def dump_dtb(path):
    subprocess.run([lv.qemu_bin(), "-M", MACHINE + ",dumpdtb=" + str(path)]
                   + COMMON, check=True, stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=120)


def qemu_tables(outdir):
    cmd = [lv.qemu_bin(), "-M", MACHINE] + COMMON + [
        "-bios", EDK2, "-kernel", str(lv.cache_dir() / "Image"),
        "-initrd", str(lv.initrd_path()), "-append",
        "console=ttyAMA0 acpi=force", "-no-reboot"]
    vm = lv.VM(cmd, limit=400)
    try:
        vm.expect_line(lv.USERSPACE_UP, 300)
        vm.shell(30)
        sigs = vm.check("ls /sys/firmware/acpi/tables/").split()
        for sig in sigs:
            if sig in ("data", "dynamic"):
                continue
            out = vm.check("od -An -v -tx1 /sys/firmware/acpi/tables/" + sig)
            (outdir / (sig + ".dat")).write_bytes(
                bytes(int(x, 16) for x in out.split()))
    finally:
        vm.kill()


def disassemble(d):
    for f in sorted(d.glob("*.dat")):
        if f.stem != "RSDP":
            subprocess.run(["iasl", "-d", f.name], cwd=d, capture_output=True)


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else
               lv.build_dir() / "acpi-compare")
    (out / "qemu").mkdir(parents=True, exist_ok=True)
    dtb = out / "virt.dtb"
    dump_dtb(dtb)
    subprocess.run([str(lv.build_dir() / "verge-acpi"), "from-dtb", str(dtb),
                    "-o", str(out / "verge")], check=True)
    qemu_tables(out / "qemu")
    for d in ("verge", "qemu"):
        disassemble(out / d)
    sigs = sorted({f.stem for d in ("verge", "qemu")
                   for f in (out / d).glob("*.dat")} - {"RSDP", "XSDT"})
    print("%-5s %8s %8s" % ("table", "verge", "qemu"))
    for s in sigs:
        sizes = [(out / d / (s + ".dat")).stat().st_size
                 if (out / d / (s + ".dat")).exists() else "-"
                 for d in ("verge", "qemu")]
        print("%-5s %8s %8s" % (s, sizes[0], sizes[1]))
    print("disassembly in %s/{verge,qemu}/*.dsl" % out)


if __name__ == "__main__":
    main()
