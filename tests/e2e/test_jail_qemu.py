# SPDX-License-Identifier: Apache-2.0
"""A QEMU outside /usr in a jail (issue 13): verged binds the binary and
every library the dynamic loader resolves for it outside the system
directories (ldd, with the jail's empty environment) read-only into the
VM's root, so that QEMU 10 unpacked in the cache runs jailed, and so does
a program whose library sits next to it (found through its RUNPATH)."""

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

import verged_harness as vh  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="jails need verged to run as root")

QEMU10 = Path(os.path.abspath(vh.cache_dir())) / "qemu10" / "usr" / \
    "bin" / "qemu-system-aarch64"


def verged_with(binary):
    return vh.Verged(config_extra="binary = %s\n" % binary)


@pytest.mark.skipif(not QEMU10.exists(), reason="no QEMU 10 in the cache")
def test_qemu10_from_the_cache_runs_jailed():
    vh.guest_files()
    with vh.running(verged_with(QEMU10)) as v:
        vh.define_vm(v, "q10")
        vm = v.call("vm.start", name="q10")
        root = Path("/proc/%d/root" % vm["pid"])
        assert os.readlink("/proc/%d/exe" % vm["pid"]).endswith(
            "qemu10/usr/bin/qemu-system-aarch64")
        real = QEMU10.resolve()     # verged binds the resolved path
        assert (root / str(real)[1:]).exists()
        # nothing else of the cache is in the jail
        assert not (root / str(real.parents[2] / "etc")[1:]).exists()
        vh.wait_for("q10 userspace",
                    lambda: "verge-init: userspace up" in
                    v.call("vm.console", name="q10")["text"], 180)
        assert v.call("vm.show", name="q10")["isolation"]["jail"] is True
        v.call("vm.kill", name="q10")


PROG = r"""
#include <stdio.h>
#include <string.h>
#include <unistd.h>
const char *jail_lib_hello(void);
int main(int argc, char **argv)
{
	/* verged's start-up checks of its QEMU (agentd/qemu.c) */
	if (argc == 2 && !strcmp(argv[1], "-version")) {
		printf("QEMU emulator version 7.2.0\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[argc - 1], "help")) {
		printf("Available CPUs:\n  cortex-a57\n");
		return 0;
	}
	printf("%s\n", jail_lib_hello());
	fflush(stdout);
	sleep(60);
	return 0;
}
"""

LIB = r"""
const char *jail_lib_hello(void) { return "jail-lib loaded"; }
"""


def test_a_library_outside_the_system_dirs_is_bound():
    """A stand-in QEMU in /tmp whose library is in /tmp too (RUNPATH):
    its output in qemu.log shows the loader found the library in the
    jail (before, the jail held only the binary: "error while loading
    shared libraries: libjailtest.so")."""
    d = Path(tempfile.mkdtemp(prefix="vg-prefix-", dir="/tmp")) / "prefix"
    (d / "lib").mkdir(parents=True)
    (d / "bin").mkdir()
    for p in (d.parent, d, d / "lib", d / "bin"):
        p.chmod(0o755)
    (d / "lib.c").write_text(LIB)
    (d / "prog.c").write_text(PROG)
    subprocess.run(["cc", "-shared", "-fPIC", "-o",
                    str(d / "lib" / "libjailtest.so"), str(d / "lib.c")],
                   check=True)
    subprocess.run(["cc", "-o", str(d / "bin" / "qemu"), str(d / "prog.c"),
                    "-L", str(d / "lib"), "-ljailtest",
                    "-Wl,-rpath," + str(d / "lib")], check=True)
    vh.guest_files()
    try:
        with vh.running(verged_with(d / "bin" / "qemu")) as v:
            vh.define_vm(v, "fake")
            try:
                v.call("vm.start", name="fake")
            except vh.RpcError:
                pass        # it speaks no QMP: verged may give up on it
            log = v.state / "vms" / "fake" / "qemu.log"
            vh.wait_for("its output", lambda: log.exists() and
                        ("jail-lib loaded" in log.read_text() or
                         "error while loading" in log.read_text()), 20)
            assert "jail-lib loaded" in log.read_text(), log.read_text()
    finally:
        subprocess.run(["rm", "-rf", str(d.parent)], check=False)
