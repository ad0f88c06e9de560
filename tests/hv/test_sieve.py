# SPDX-License-Identifier: Apache-2.0
"""The test guest's sieve (bench/sieve.py's memory-bound program) gives
the right count with its MMU off and on, under verge-hv (guest RAM in
4 KiB stage-2 pages) as on bare QEMU (VERGE_HV_BARE=1). Not a timing test:
the benchmark is bench/sieve.py."""

import re

import qemu_run

OPT = "loader,addr=0x47fff000,data=0x%x,data-len=8" % (1 << 32 | 0x56454953)
LINE = re.compile(r"^SIEVE mmu=(on|off) n=1000000 primes=(\d+) ticks=\d+ "
                  r"freq=\d+$", re.M)


def test_sieve_mmu_off_and_on(qemu_cmd):
    rc, text = qemu_run.run(qemu_cmd(extra_args=["-device", OPT]), 120)
    got = {m.group(1): int(m.group(2)) for m in LINE.finditer(text)}
    tail = "\n".join(text.splitlines()[-20:])
    assert got == {"off": 78498, "on": 78498}, tail
    assert re.search(r"^2 passed, 0 failed$", text, re.M), tail
    assert rc == 0, tail
