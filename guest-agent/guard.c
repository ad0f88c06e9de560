// SPDX-License-Identifier: Apache-2.0
/* Fault guard (see guard.h).
 *
 * The handlers are installed once with SA_NODEFER and jump back with
 * siglongjmp() to a sigsetjmp(…, 0) taken just before the call: with
 * SA_NODEFER the signal is not blocked inside the handler, so leaving it
 * by a jump needs no sigprocmask() and a guarded call costs no syscall.
 * A fault outside a guarded call is a real crash: the handler restores
 * the default action and returns, the instruction faults again and the
 * process dies as it would have without us. Single-threaded use only. */
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "guard.h"

static sigjmp_buf guard_env;
static volatile sig_atomic_t guard_armed;
static volatile sig_atomic_t guard_sig;
static int guard_ready;

static const int guard_signals[] = { SIGILL, SIGSEGV, SIGBUS };

static void guard_handler(int sig)
{
	if (!guard_armed) {
		signal(sig, SIG_DFL);
		return;
	}
	guard_armed = 0;
	guard_sig = sig;
	siglongjmp(guard_env, 1);
}

static void guard_install(void)
{
	struct sigaction sa;
	size_t i;

	if (guard_ready)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = guard_handler;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(guard_signals) / sizeof(guard_signals[0]); i++)
		sigaction(guard_signals[i], &sa, NULL);
	guard_ready = 1;
}

int guard_call(void (*fn)(void *), void *arg)
{
	guard_install();
	if (sigsetjmp(guard_env, 0))
		return guard_sig;
	guard_armed = 1;
	fn(arg);
	guard_armed = 0;
	return 0;
}
