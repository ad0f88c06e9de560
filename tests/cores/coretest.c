// SPDX-License-Identifier: Apache-2.0
/*
 * coretest: what the guest of a modern core relies on, checked from
 * userspace (tests/cores). Static arm64, built with
 * -mbranch-protection=standard; the SVE and MTE instructions are
 * assembled per asm block, so the program runs on every core and each
 * mode first checks the kernel's hwcaps.
 *
 *   coretest fp|sve SECONDS PROCS  PROCS processes, each pinned to CPU i,
 *       fill all 32 V (or Z) registers, run chained vector adds in them
 *       and compare with the same sums done in C, round after round for
 *       SECONDS of guest time; one more process makes backdoor calls
 *       (traps to EL2) all the while. Any difference is corruption.
 *   coretest pauth   sign and authenticate pointers (PACIA/AUTIA)
 *   coretest bti     an indirect call to a page mapped PROT_BTI: with a
 *       BTI landing pad it runs, without one it gets SIGILL
 *   coretest mte     a PROT_MTE page: a matching tag reads, a wrong tag
 *       gets SIGSEGV with si_code SEGV_MTESERR
 *   coretest hwcaps  prints the hwcaps this program tests
 *
 * Prints "coretest MODE: PASS ..." and exits 0, "coretest MODE: FAIL ..."
 * and exits 1, or "coretest MODE: SKIP ..." and exits 77 when the core
 * (as the kernel reports it) lacks the feature.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verge_backdoor.h"

#ifndef HWCAP_SVE
#define HWCAP_SVE	(1UL << 22)
#endif
#ifndef HWCAP_PACA
#define HWCAP_PACA	(1UL << 30)
#endif
#ifndef HWCAP2_MTE
#define HWCAP2_MTE	(1UL << 18)
#endif
#ifndef HWCAP2_BTI
#define HWCAP2_BTI	(1UL << 17)
#endif
#ifndef PROT_BTI
#define PROT_BTI	0x10
#endif
#ifndef PROT_MTE
#define PROT_MTE	0x20
#endif
#ifndef PR_SET_TAGGED_ADDR_CTRL
#define PR_SET_TAGGED_ADDR_CTRL	55
#define PR_TAGGED_ADDR_ENABLE	(1UL << 0)
#endif
#ifndef PR_MTE_TCF_SYNC
#define PR_MTE_TCF_SYNC		(1UL << 1)
#define PR_MTE_TAG_SHIFT	3
#endif
#ifndef SEGV_MTESERR
#define SEGV_MTESERR	9
#endif

#define NREGS	32
#define SPINS	500
#define MAXVL	256	/* bytes: the architecture's largest vector */

enum { PASS = 0, FAIL = 1, SKIP = 77 };

static const char *mode;

static int result(int r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int result(int r, const char *fmt, ...)
{
	va_list ap;

	printf("coretest %s: %s ", mode,
	       r == PASS ? "PASS" : r == SKIP ? "SKIP" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return r;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- FP/SIMD and SVE: chained adds in all 32 registers ---------------- */

/* v[i] += v[(i + 1) % 32], i = 0..31, SPINS times: in registers (asm) and
 * in C (the reference). lanes: 32-bit lanes per register. */
static void ref_spin(uint32_t *r, int lanes)
{
	for (int s = 0; s < SPINS; s++)
		for (int i = 0; i < NREGS; i++)
			for (int l = 0; l < lanes; l++)
				r[i * lanes + l] +=
					r[((i + 1) % NREGS) * lanes + l];
}

#define A4(a, b, c, d) a b c d
#define V_ADD(i, j) "add v" #i ".4s, v" #i ".4s, v" #j ".4s\n"
/* The 32 chained adds, one instruction ADD(i, j) each. */
#define CHAIN_ADDS(ADD)                                                   \
	A4(ADD(0, 1), ADD(1, 2), ADD(2, 3), ADD(3, 4))                    \
	A4(ADD(4, 5), ADD(5, 6), ADD(6, 7), ADD(7, 8))                    \
	A4(ADD(8, 9), ADD(9, 10), ADD(10, 11), ADD(11, 12))               \
	A4(ADD(12, 13), ADD(13, 14), ADD(14, 15), ADD(15, 16))            \
	A4(ADD(16, 17), ADD(17, 18), ADD(18, 19), ADD(19, 20))            \
	A4(ADD(20, 21), ADD(21, 22), ADD(22, 23), ADD(23, 24))            \
	A4(ADD(24, 25), ADD(25, 26), ADD(26, 27), ADD(27, 28))            \
	A4(ADD(28, 29), ADD(29, 30), ADD(30, 31), ADD(31, 0))
#define V_LD(a, b, c, d) \
	"ld1 {v" #a ".4s, v" #b ".4s, v" #c ".4s, v" #d ".4s}, [x9], #64\n"
#define V_ST(a, b, c, d) \
	"st1 {v" #a ".4s, v" #b ".4s, v" #c ".4s, v" #d ".4s}, [x9], #64\n"
/* clang-format off */
#define V_ALL(OP) \
	OP(0, 1, 2, 3) OP(4, 5, 6, 7) OP(8, 9, 10, 11) OP(12, 13, 14, 15) \
	OP(16, 17, 18, 19) OP(20, 21, 22, 23) OP(24, 25, 26, 27)          \
	OP(28, 29, 30, 31)
/* clang-format on */

#define V_CLOBBERS                                                      \
	"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",      \
	"v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18",   \
	"v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27",   \
	"v28", "v29", "v30", "v31"
/* After pre: all 32 registers loaded from r (LD), ADD chained SPINS
 * times, stored back (ST); the clobbers beyond x9 and x10 last. */
#define SPIN_ASM(r, pre, LD, ADD, ST, ...)                                \
	__asm__ volatile(pre "mov x9, %0\n" V_ALL(LD)                     \
			 "mov x10, %1\n"                                   \
			 "1:\n" CHAIN_ADDS(ADD)                            \
			 "subs x10, x10, #1\n"                             \
			 "b.ne 1b\n"                                       \
			 "mov x9, %0\n" V_ALL(ST)                          \
			 :                                                 \
			 : "r"(r), "r"((uint64_t)SPINS)                    \
			 : "x9", "x10", "memory", "cc", __VA_ARGS__)

static void fp_spin(uint32_t *r)
{
	SPIN_ASM(r, "", V_LD, V_ADD, V_ST, V_CLOBBERS);
}

#define Z_ADD(i, j) "add z" #i ".s, z" #i ".s, z" #j ".s\n"
/* Four Z registers at x9, then x9 moves on by four vector lengths. */
#define Z_LD(a, b, c, d)                          \
	"ld1w {z" #a ".s}, p0/z, [x9, #0, mul vl]\n" \
	"ld1w {z" #b ".s}, p0/z, [x9, #1, mul vl]\n" \
	"ld1w {z" #c ".s}, p0/z, [x9, #2, mul vl]\n" \
	"ld1w {z" #d ".s}, p0/z, [x9, #3, mul vl]\n" \
	"addvl x9, x9, #4\n"
#define Z_ST(a, b, c, d)                       \
	"st1w {z" #a ".s}, p0, [x9, #0, mul vl]\n" \
	"st1w {z" #b ".s}, p0, [x9, #1, mul vl]\n" \
	"st1w {z" #c ".s}, p0, [x9, #2, mul vl]\n" \
	"st1w {z" #d ".s}, p0, [x9, #3, mul vl]\n" \
	"addvl x9, x9, #4\n"

static void sve_spin(uint32_t *r)
{
	SPIN_ASM(r, ".arch_extension sve\nptrue p0.s\n", Z_LD, Z_ADD, Z_ST,
		 "p0", V_CLOBBERS);
}

static unsigned sve_vl(void)
{
	uint64_t vl;

	__asm__ volatile(".arch_extension sve\nrdvl %0, #1" : "=r"(vl));
	return (unsigned)vl;
}

/* One pinned worker: rounds until the deadline; 0 or the failed round. */
static int worker(int cpu, int sve, double deadline)
{
	static uint32_t reg[NREGS * MAXVL / 4], ref[NREGS * MAXVL / 4];
	int lanes = sve ? (int)sve_vl() / 4 : 4;
	unsigned seed = (unsigned)getpid() * 2654435761u;
	cpu_set_t set;
	long round = 0;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "coretest: cpu %d: %s\n", cpu, strerror(errno));
	if (lanes < 4 || lanes > MAXVL / 4) {
		printf("coretest: bad vector length %d bytes\n", lanes * 4);
		return 1;
	}
	do {
		int n = NREGS * lanes;

		for (int i = 0; i < n; i++)
			reg[i] = ref[i] = seed = seed * 1103515245u + 12345u;
		if (sve)
			sve_spin(reg);
		else
			fp_spin(reg);
		ref_spin(ref, lanes);
		for (int i = 0; i < n; i++) {
			if (reg[i] == ref[i])
				continue;
			printf("coretest: cpu %d round %ld: %c%d lane %d is "
			       "%#x, expected %#x\n", cpu, round,
			       sve ? 'z' : 'v', i / lanes, i % lanes, reg[i],
			       ref[i]);
			return 1;
		}
		round++;
	} while (now() < deadline);
	printf("coretest: cpu %d: %ld rounds, vl %d bytes\n", cpu, round,
	       lanes * 4);
	fflush(stdout);
	return 0;
}

static sigjmp_buf jb;
static volatile sig_atomic_t got_sig, got_code;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	siglongjmp(jb, 1);
}

static void catch(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_signal,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	sigaction(sig, &sa, NULL);
}

/* Backdoor GETVERSION calls until the deadline: traps to EL2. Without a
 * hypervisor the kernel may refuse the EL0 access (MDSCR_EL1.TDCC): SIGILL
 * ends the calls, which the caller sees as 0 answered. */
static int hammer(double until)
{
	volatile long calls = 0, ok = 0;
	volatile double deadline = until;

	catch(SIGILL);
	if (sigsetjmp(jb, 1)) {
		printf("coretest: backdoor call got SIGILL (no hypervisor)\n");
		deadline = 0;
	}
	while (now() < deadline) {
		uint64_t v[7] = { BDOOR_MAGIC, ~0ull, BDOOR_CMD_GETVERSION,
				  BDOOR_PORT };

		bd_call_mdccsr(v, BD_X7(BD_X7_LB_IN));
		calls++;
		ok += (uint32_t)v[1] == BDOOR_MAGIC;
	}
	printf("coretest: backdoor %ld calls, %ld answered\n", calls, ok);
	fflush(stdout);
	return 0;
}

static int stress(int sve, int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 10, deadline;
	int procs = argc > 3 ? atoi(argv[3]) : 2, bad = 0;
	pid_t pid;

	if (sve && !(getauxval(AT_HWCAP) & HWCAP_SVE))
		return result(SKIP, "no sve in AT_HWCAP");
	if (secs <= 0 || procs < 1 || procs > 64)
		return result(FAIL, "usage: coretest %s SECONDS PROCS", mode);
	deadline = now() + secs;
	for (int i = 0; i <= procs; i++) {
		pid = fork();
		if (pid < 0)
			return result(FAIL, "fork: %s", strerror(errno));
		if (pid == 0)
			_exit(i == procs ? hammer(deadline)
					 : worker(i, sve, deadline));
	}
	for (int i = 0; i <= procs; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	if (bad)
		return result(FAIL, "%d of %d processes", bad, procs + 1);
	return result(PASS, "%d processes, %.0f s", procs, secs);
}

/* ---- PAuth ------------------------------------------------------------ */

/* PACIA x0, x1 and AUTIA x0, x1 as encodings: no -march needed. */
static uint64_t pacia(uint64_t p, uint64_t mod)
{
	register uint64_t x0 __asm__("x0") = p;
	register uint64_t x1 __asm__("x1") = mod;

	__asm__ volatile(".inst 0xdac10020" : "+r"(x0) : "r"(x1));
	return x0;
}

static uint64_t autia(uint64_t p, uint64_t mod)
{
	register uint64_t x0 __asm__("x0") = p;
	register uint64_t x1 __asm__("x1") = mod;

	__asm__ volatile(".inst 0xdac11020" : "+r"(x0) : "r"(x1));
	return x0;
}

static int pauth(void)
{
	static int target;
	uint64_t p = (uint64_t)&target;
	volatile int changed = 0, caught = 0, i;

	if (!(getauxval(AT_HWCAP) & HWCAP_PACA))
		return result(SKIP, "no paca in AT_HWCAP");
	catch(SIGILL);
	catch(SIGSEGV);
	for (i = 0; i < 16; i++) {
		uint64_t s = pacia(p, i), a;

		changed += s != p;
		if (autia(s, i) != p)
			return result(FAIL, "autia(pacia(%#lx, %d)) != itself",
				      (unsigned long)p, i);
		/* The wrong modifier: a poisoned pointer (or, with FEAT_FPAC,
		 * a fault). A 7-bit PAC may match by chance: 1 in 128. */
		if (sigsetjmp(jb, 1)) {
			caught++;
			continue;
		}
		a = autia(s, i + 1000);
		caught += a != p;
	}
	if (changed < 12 || caught < 12)
		return result(FAIL, "%d of 16 pointers signed, %d of 16 wrong "
			      "modifiers caught", changed, caught);
	return result(PASS, "%d of 16 pointers signed, %d of 16 wrong "
		      "modifiers caught", changed, caught);
}

/* ---- BTI -------------------------------------------------------------- */

static int bti(void)
{
	/* bti c; mov w0, #42; ret  and  nop; mov w0, #42; ret */
	static const uint32_t pad[] = { 0xd503245f, 0x52800540, 0xd65f03c0 };
	static const uint32_t nopad[] = { 0xd503201f, 0x52800540, 0xd65f03c0 };
	long pg = sysconf(_SC_PAGESIZE);
	int (*volatile fn)(void);
	char *m;

	if (!(getauxval(AT_HWCAP2) & HWCAP2_BTI))
		return result(SKIP, "no bti in AT_HWCAP2");
	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return result(FAIL, "mmap: %s", strerror(errno));
	memcpy(m, pad, sizeof(pad));
	memcpy(m + pg, nopad, sizeof(nopad));
	if (mprotect(m, 2 * pg, PROT_READ | PROT_EXEC | PROT_BTI))
		return result(FAIL, "mprotect PROT_BTI: %s", strerror(errno));
	__builtin___clear_cache(m, m + 2 * pg);
	fn = (int (*)(void))(void *)m;
	if (fn() != 42)
		return result(FAIL, "the landing pad's function");
	catch(SIGILL);
	if (sigsetjmp(jb, 1) == 0) {
		fn = (int (*)(void))(void *)(m + pg);
		fn();
		return result(FAIL, "an indirect call without BTI ran");
	}
	return result(PASS, "landing pad runs, a call without one gets "
		      "signal %d", (int)got_sig);
}

/* ---- MTE -------------------------------------------------------------- */

static int mte(void)
{
	unsigned long ctrl = PR_TAGGED_ADDR_ENABLE | PR_MTE_TCF_SYNC |
			     (0xfffeUL << PR_MTE_TAG_SHIFT);
	volatile char *p, *bad;
	uint64_t t;
	char *m;

	if (!(getauxval(AT_HWCAP2) & HWCAP2_MTE))
		return result(SKIP, "no mte in AT_HWCAP2");
	if (prctl(PR_SET_TAGGED_ADDR_CTRL, ctrl, 0, 0, 0))
		return result(FAIL, "prctl tagged addr: %s", strerror(errno));
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_MTE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return result(FAIL, "mmap PROT_MTE: %s", strerror(errno));
	/* a random nonzero tag (IRG x1, x0), stored for the first granule
	 * (STG x1, [x1]); encodings, as binutils' memtag needs -march */
	{
		register uint64_t x0 __asm__("x0") = (uint64_t)m;
		register uint64_t x1 __asm__("x1");

		__asm__ volatile(".inst 0x9adf1001\n"
				 ".inst 0xd9200821\n"
				 : "=&r"(x1) : "r"(x0) : "memory");
		t = x1;
	}
	p = (volatile char *)t;
	*p = 1;
	if (*p != 1)
		return result(FAIL, "tagged store and load");
	bad = (volatile char *)(t ^ (1ULL << 56));	/* another tag */
	catch(SIGSEGV);
	if (sigsetjmp(jb, 1) == 0) {
		(void)*bad;
		return result(FAIL, "a load with a wrong tag (%#lx, memory "
			      "tag of %#lx) did not fault",
			      (unsigned long)(uintptr_t)bad,
			      (unsigned long)t);
	}
	if (got_code != SEGV_MTESERR)
		return result(FAIL, "SIGSEGV with si_code %d, not SEGV_MTESERR",
			      (int)got_code);
	return result(PASS, "tag %lu: SIGSEGV SEGV_MTESERR on a wrong tag",
		      (unsigned long)(t >> 56) & 0xf);
}

static int hwcaps(void)
{
	unsigned long h = getauxval(AT_HWCAP), h2 = getauxval(AT_HWCAP2);

	printf("coretest hwcaps: sve=%d paca=%d bti=%d mte=%d\n",
	       !!(h & HWCAP_SVE), !!(h & HWCAP_PACA), !!(h2 & HWCAP2_BTI),
	       !!(h2 & HWCAP2_MTE));
	return PASS;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "fp"))
		return stress(0, argc, argv);
	if (!strcmp(mode, "sve"))
		return stress(1, argc, argv);
	if (!strcmp(mode, "pauth"))
		return pauth();
	if (!strcmp(mode, "bti"))
		return bti();
	if (!strcmp(mode, "mte"))
		return mte();
	if (!strcmp(mode, "hwcaps"))
		return hwcaps();
	fprintf(stderr, "usage: coretest fp|sve SECONDS PROCS | pauth | bti "
		"| mte | hwcaps\n");
	return 2;
}
