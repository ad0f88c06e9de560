// SPDX-License-Identifier: Apache-2.0
/* The agent's real x86_64 backdoor instructions (backdoor_x86_64.c), with
 * VMware played by a SIGSEGV handler: `in` from user space faults here,
 * and the handler carries the instruction out on the saved registers
 * (through the same fake host as test_ga_msgchan) and steps over it, as
 * a hypervisor would. This checks the asm's register marshalling (rbp
 * included, which carries a cookie) and that the guard leaves a handled
 * instruction alone. x86_64 hosts only. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "backdoor.h"
#include "ga_fakehost.h"
#include "guard.h"
#include "rpc.h"

static unsigned emulated;

static void vmware(int sig, siginfo_t *si, void *p)
{
	static const int regs[7] = { REG_RAX, REG_RBX, REG_RCX, REG_RDX,
				     REG_RSI, REG_RDI, REG_RBP };
	greg_t *g = ((ucontext_t *)p)->uc_mcontext.gregs;
	const uint8_t *ip = (const uint8_t *)g[REG_RIP];
	uint64_t v[7];
	struct bd_regs r;
	uint32_t x7;
	int i, len;

	(void)sig;
	(void)si;
	if (ip[0] == 0xed) {			/* in eax, dx */
		x7 = BD_X7_LB_IN;
		len = 1;
	} else if (ip[0] == 0xf3 && ip[1] == 0x6c) {	/* rep insb */
		x7 = BD_X7_HB_IN;
		len = 2;
	} else if (ip[0] == 0xf3 && ip[1] == 0x6e) {	/* rep outsb */
		x7 = BD_X7_HB_OUT;
		len = 2;
	} else {
		abort();			/* a real crash */
	}
	for (i = 0; i < 7; i++)
		v[i] = (uint64_t)g[regs[i]];
	memcpy(&r, v, sizeof(r));
	fakehost_call(&r, x7);
	memcpy(v, &r, sizeof(r));
	for (i = 0; i < 7; i++)
		g[regs[i]] = (greg_t)v[i];
	g[REG_RIP] += len;
	emulated++;
}

/* cmocka installs its own SIGSEGV handler around every test and fixture,
 * so ours goes in at the start of each test body. The guard's handlers were installed by
 * the group setup (its first guarded call faults: no VMware yet). */
static int setup_group(void **state)
{
	(void)state;
	fakehost_reset();
	h.present = false;
	assert_int_equal(bd_probe(NULL), -EFAULT);
	return 0;
}

static void install_vmware(void)
{
	struct sigaction sa;

	fakehost_reset();
	emulated = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = vmware;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, NULL), 0);
	/* The channel layer probes once per process: do it now, so the
	 * counts below are the operation's own. */
	assert_true(bd_present());
	emulated = 0;
}

static void test_probe(void **state)
{
	struct bd_version v;

	(void)state;
	install_vmware();
	assert_int_equal(bd_probe(&v), 0);
	assert_int_equal(v.version, 6);
	assert_int_equal(v.product, 2);
	assert_int_equal(emulated, 1);
	h.present = false;			/* in completes, no answer */
	assert_int_equal(bd_probe(&v), -ENODEV);
}

static void roundtrip(bool hb)
{
	char reply[RPC_MAX_REPLY];
	size_t n = 0;

	install_vmware();
	h.hb = hb;
	assert_int_equal(rpci_call("info-get guestinfo.abc", 22, reply,
				   sizeof(reply), &n, true), 0);
	assert_string_equal(reply, "info-get guestinfo.abc");
	assert_int_equal(h.bad_cookies, 0);
}

static void test_rpci_lb(void **state)
{
	(void)state;
	roundtrip(false);
	/* open, size, 6 payload words, recvsize, 6 words, status, close */
	assert_int_equal(emulated, 17);
	assert_int_equal(h.hb_calls, 0);
}

static void test_rpci_hb(void **state)
{
	(void)state;
	roundtrip(true);
	/* open, size, rep outsb, recvsize, rep insb, status, close: the HB
	 * cookie travels in ebp and edi/esi. */
	assert_int_equal(h.hb_calls, 2);
	assert_int_equal(emulated, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_rpci_lb),
		cmocka_unit_test(test_rpci_hb),
	};

	return cmocka_run_group_tests(tests, setup_group, NULL);
}
