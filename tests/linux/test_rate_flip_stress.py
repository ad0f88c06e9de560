# SPDX-License-Identifier: Apache-2.0
"""Random live rate flips in one Linux boot on 2 vCPUs, on a busy host (two
CPU-bound processes started here, killed by their pids): the "possible
hang under rate flips" (a VM that stopped answering on its console and its
management channel after flips 1/2, 2, 1 and a clockcheck). Each round sets
a rate drawn among 0.1..10 (1 included), then runs clockcheck (on both
vCPUs, time never going back), a shell command, or clockcheck while 5-30
more flips and some clock steps come at random intervals, and asks the
management channel for the clock: all must answer within their limits, which are
generous host-time limits for a hang, not bounds.

VERGE_FLIP_ROUNDS (default 8: about 30 s of rounds after a 25 s boot)
sets the number of rounds; VERGE_FLIP_SEED the random seed (printed, to replay a failure).
"""

import os
import random
import re
import time

import pytest

import clocktest as ct
import linuxvm as lv
from test_dilation_load import host_load, start  # noqa: F401 (fixture)

RATES = [(1, 10), (1, 4), (1, 2), (1, 1), (2, 1), (4, 1), (10, 1), (3, 10),
         (7, 5)]
HANG_S = 120    # host seconds: a hang, not a bound


@pytest.fixture(autouse=True)
def needs_hv():
    if lv.BARE:
        pytest.skip("needs verge-hv and its management channel")


def test_random_rate_flips_no_hang(start_vm, host_load):  # noqa: F811
    rounds = int(os.environ.get("VERGE_FLIP_ROUNDS", "8"))
    seed = int(os.environ.get("VERGE_FLIP_SEED", str(int(time.time()))))
    rnd = random.Random(seed)
    print("seed %d, %d rounds" % (seed, rounds))
    vm, m = start(start_vm)
    done = []
    try:
        lv.boot(vm)
        t0 = time.monotonic()
        for i in range(rounds):
            num, den = rnd.choice(RATES)
            c = m.set_rate(num, den)
            assert (c["rate_num"], c["rate_den"]) == (num, den), c
            what = rnd.choice(("clockcheck", "shell", "flips"))
            if what == "clockcheck":
                # 0.3 s of guest time: at most 3 s of host time at 0.1
                vm.skip()
                vm.send("clockcheck 0.3 2000; echo clockcheck-exit=$?\n")
                out = vm.expect(ct.CLOCKCHECK_RE, HANG_S)
                back, _, cross, _, reads, _ = map(int, out.groups())
                assert reads > 0 and back == 0 and cross == 0, out.group(0)
                vm.expect(r"clockcheck-exit=0\n", HANG_S)
            elif what == "shell":
                vm.check("cat /proc/uptime; grep -c . /proc/interrupts",
                         HANG_S)
            else:
                # flips (1 included) and steps while clockcheck runs
                vm.skip()
                vm.send("clockcheck 0.3 2000; echo clockcheck-exit=$?\n")
                for _ in range(rnd.randint(5, 30)):
                    m.set_rate(*rnd.choice(RATES))
                    if rnd.random() < 0.2:
                        m.step(rnd.randint(1, 20) * 1000 * 1000)
                    time.sleep(rnd.random() * 0.04)
                m.set_rate(num, den)
                out = vm.expect(ct.CLOCKCHECK_RE, HANG_S)
                back, _, cross, _, reads, _ = map(int, out.groups())
                assert reads > 0 and back == 0 and cross == 0, out.group(0)
                vm.expect(r"clockcheck-exit=0\n", HANG_S)
            clk = m.clock()
            done.append("%d/%d %s" % (num, den, what))
            assert (clk["rate_num"], clk["rate_den"]) == (num, den), clk
        m.set_rate(1, 1)
        vm.check("echo alive", HANG_S)
        print("%d rounds in %.1f s: %s" % (rounds, time.monotonic() - t0,
                                           ", ".join(done)))
        # A vCPU thread off its core for 100 ms (a gather given up): not a
        # hang, counted (test_dilation_load.py asserts it does not happen).
        print("gathers given up: %d"
              % vm.text.count("did not stop for the clock correction"))
        assert not re.search(r"verge-hv: (panic|PANIC)", vm.text)
    except BaseException:
        print("seed %d; rounds done: %s\n--- console tail ---\n%s"
              % (seed, ", ".join(done), vm.tail(60)))
        raise
    finally:
        m.close()
