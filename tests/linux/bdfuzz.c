// SPDX-License-Identifier: Apache-2.0
/*
 * bdfuzz: a hostile user of verge's backdoor, from EL0 under Linux
 * (docs/backdoor.md). Built static for the test initramfs (/bin/bdfuzz).
 *
 *   bdfuzz fuzz N [SEED]   N calls with random registers, bad cookies,
 *                          oversize lengths, unmapped, kernel, read-only
 *                          and hypervisor addresses; then one GETVERSION
 *                          and one RPCI round trip. One summary line;
 *                          exit 0 when the hypervisor behaved.
 *   bdfuzz version         GETVERSION: "version V magic 0x... type T"
 *   bdfuzz info            GETUUID, GETMHZ, GETTIMEFULL_WITH_LAG:
 *                          "uuid U", "mhz M", "time S.US lag L" (or
 *                          "time none" before the host anchored it)
 *   bdfuzz rpc TEXT        one RPCI request; prints "reply: ..."
 *   bdfuzz tclo N [SECS]   receives N TCLO commands (printing
 *                          "tclo: TEXT") and answers each "OK TEXT"
 *
 * Calls whose x7 carries no 0x86 are plain DCC reads: Linux sets
 * MDSCR_EL1.TDCC, so each must end in SIGILL (the hypervisor emulates
 * TDCC). Anything else that raises a signal is a failure.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <verge_backdoor.h>

#define PAGE		4096

enum { AX, BX, CX, DX, SI, DI, BP };

struct regs {
	uint64_t r[7];
};

static void call(struct regs *b, uint64_t x7v)
{
	bd_call_mdccsr(b->r, x7v);
}

/* --- the well-behaved client ---------------------------------------- */

struct chan {
	uint16_t id;
	uint32_t hi, lo;
	bool open;
};

static uint16_t msg(const struct chan *c, unsigned type, uint32_t ebx,
		    struct regs *out)
{
	struct regs b = { { BDOOR_MAGIC, ebx,
			    (uint32_t)type << 16 | BDOOR_CMD_MESSAGE,
			    (uint32_t)c->id << 16 | BDOOR_PORT, c->hi, c->lo,
			    0 } };

	call(&b, BD_X7(BD_X7_LB_IN));
	if (out)
		*out = b;
	return (uint16_t)(b.r[CX] >> 16);
}

static uint16_t hb(const struct chan *c, bool in, uint64_t addr, uint32_t n)
{
	struct regs b = { { BDOOR_MAGIC, MSG_STATUS_SUCCESS << 16, n,
			    (uint32_t)c->id << 16 | BDOORHB_PORT, 0, 0, 0 } };

	b.r[in ? SI : BP] = c->hi;
	b.r[in ? BP : DI] = c->lo;
	b.r[in ? DI : SI] = addr;
	call(&b, in ? BD_X7(BD_X7_HB_IN) : BD_X7(BD_X7_HB_OUT));
	return (uint16_t)(b.r[BX] >> 16);
}

static bool chan_open(uint32_t proto, struct chan *c)
{
	struct chan z = { 0, 0, 0, false };
	struct regs b;

	if (!(msg(&z, MSG_OPEN, proto | GUESTMSG_FLAG_COOKIE, &b) &
	      MSG_STATUS_SUCCESS))
		return false;
	c->id = (uint16_t)(b.r[DX] >> 16);
	c->hi = (uint32_t)b.r[SI];
	c->lo = (uint32_t)b.r[DI];
	c->open = true;
	return true;
}

static bool chan_send(const struct chan *c, const char *s, size_t n)
{
	if (!(msg(c, MSG_SENDSIZE, (uint32_t)n, NULL) & MSG_STATUS_SUCCESS))
		return false;
	return !n ||
	       (hb(c, false, (uintptr_t)s, (uint32_t)n) & MSG_STATUS_SUCCESS);
}

/* Receives into buf (NUL-terminated); length, 0 if none, -1 on error. */
static long chan_recv(const struct chan *c, char *buf, size_t cap)
{
	struct regs b;
	uint16_t st = msg(c, MSG_RECVSIZE, 0, &b);
	uint32_t n = (uint32_t)b.r[BX];

	if (!(st & MSG_STATUS_SUCCESS))
		return -1;
	if (!(st & MSG_STATUS_DORECV))
		return 0;
	if (n >= cap ||
	    !(hb(c, true, (uintptr_t)buf, n) & MSG_STATUS_SUCCESS)) {
		msg(c, MSG_RECVPAYLOAD, 0, NULL);
		return -1;
	}
	buf[n] = 0;
	st = msg(c, MSG_RECVSTATUS, MSG_STATUS_SUCCESS, NULL);
	return st & MSG_STATUS_SUCCESS ? (long)n : -1;
}

static long rpc(const char *req, char *reply, size_t cap)
{
	struct chan c;
	long n = -1;

	if (!chan_open(RPCI_PROTOCOL, &c))
		return -1;
	if (chan_send(&c, req, strlen(req)))
		n = chan_recv(&c, reply, cap);
	msg(&c, MSG_CLOSE, 0, NULL);
	return n;
}

static bool version(struct regs *b)
{
	*b = (struct regs){ { BDOOR_MAGIC, ~(uint64_t)BDOOR_MAGIC,
			      BDOOR_CMD_GETVERSION, BDOOR_PORT } };
	call(b, BD_X7(BD_X7_LB_IN));
	return (uint32_t)b->r[BX] == BDOOR_MAGIC &&
	       (uint32_t)b->r[AX] != 0xffffffffu;
}

/* --- fuzz ------------------------------------------------------------ */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static sigjmp_buf jb;
static volatile sig_atomic_t last_sig;

static void on_signal(int sig)
{
	last_sig = sig;
	siglongjmp(jb, 1);
}

struct fz {
	struct chan ch[2];
	uint8_t *ro;		/* a read-only page: HB must never write it */
	uint8_t *edge;		/* last 64 bytes before an unmapped page */
	uint64_t bad[8];
	uint64_t calls, sigill, want_sigill, other_sig;
};

/* Addresses no buffer may come from or go to. */
static uint64_t bad_addr(struct fz *z)
{
	return z->bad[rnd() % 8] + (rnd() % 3 ? 0 : rnd() % PAGE);
}

static uint32_t bad_len(void)
{
	static const uint32_t lens[] = { 0, 1, 4, 4095, 4096, 4097, 65536,
					 0x7fffffff, 0xffffffff };

	return rnd() % 2 ? lens[rnd() % 9] : (uint32_t)rnd();
}

static void random_regs(struct regs *b)
{
	for (int i = 0; i < 7; i++)
		b->r[i] = rnd();
}

/* One hostile call of a random kind; returns the x7 used. */
static uint64_t hostile(struct fz *z, struct regs *b)
{
	struct chan *c = &z->ch[rnd() % 2];
	unsigned k = rnd() % 16;

	random_regs(b);
	if (k < 2)	/* all random, magic in x7 */
		return BD_X7(0) | (rnd() & 0x3f) | (rnd() & 0xff) << 5;
	b->r[AX] = BDOOR_MAGIC;
	b->r[DX] = (b->r[DX] & ~0xffffull) | BDOOR_PORT;
	if (k < 5) {	/* a known or random command */
		static const uint16_t cmds[] = { 1, 10, 19, 30, 45, 46, 55,
						 0, 0xffff };
		b->r[CX] = (b->r[CX] & ~0xffffull) | cmds[rnd() % 9];
		return BD_X7(BD_X7_LB_IN);
	}
	if (k < 11) {	/* MESSAGE steps: our channels, bad cookies, sizes */
		b->r[CX] = (rnd() % 9) << 16 | BDOOR_CMD_MESSAGE;
		b->r[DX] = (uint64_t)(rnd() % 3 ? c->id : rnd() % 10) << 16 |
			   BDOOR_PORT;
		b->r[SI] = rnd() % 4 ? c->hi : rnd();
		b->r[DI] = rnd() % 4 ? c->lo : rnd();
		b->r[BX] = bad_len();
		return BD_X7(BD_X7_LB_IN);
	}
	/* High bandwidth on our channels from and into bad places. */
	b->r[BX] = (uint64_t)(rnd() % 4 ? MSG_STATUS_SUCCESS : rnd()) << 16;
	b->r[CX] = bad_len();
	b->r[DX] = (uint64_t)c->id << 16 | BDOORHB_PORT;
	b->r[SI] = rnd() % 4 ? c->hi : bad_addr(z);
	b->r[BP] = rnd() % 4 ? c->lo : rnd();
	b->r[DI] = bad_addr(z);
	if (rnd() % 2) {	/* out: the address is esi */
		b->r[BP] = c->hi;
		b->r[DI] = rnd() % 4 ? c->lo : rnd();
		b->r[SI] = bad_addr(z);
		return BD_X7(BD_X7_HB_OUT) | (rnd() % 8 ? 0 : rnd() & 0x23);
	}
	return BD_X7(BD_X7_HB_IN) | (rnd() % 8 ? 0 : rnd() & 0x23);
}

/* Occasionally drives our channels into a real state to attack. */
static void prepare(struct fz *z)
{
	struct chan *c = &z->ch[rnd() % 2];

	/* A channel our hostile calls closed or wedged: close it (so it
	 * does not stay taken) and open a fresh one. */
	if (!c->open || !(msg(c, MSG_RECVSIZE, 0, NULL) & MSG_STATUS_SUCCESS)) {
		msg(c, MSG_CLOSE, 0, NULL);
		c->open = chan_open(RPCI_PROTOCOL, c);
	}
	if (c->open && rnd() % 2)
		msg(c, MSG_SENDSIZE, (uint32_t)(rnd() % 64 + 1), NULL);
	else if (c->open && chan_send(c, "info-get guestinfo.x", 20))
		msg(c, MSG_RECVSIZE, 0, NULL);	/* receiving: HB in is next */
}

static void fuzz_one(struct fz *z)
{
	struct regs b;
	uint64_t x7;
	bool plain = rnd() % 64 == 0;

	if (rnd() % 32 == 0)
		prepare(z);
	x7 = plain ? rnd() & ~(0xffffull << 32) : hostile(z, &b);
	if (plain)
		random_regs(&b);
	z->calls++;
	z->want_sigill += plain;
	/* No mask save: SA_NODEFER keeps the signals unblocked, and one
	 * sigprocmask per call would dominate the run. */
	if (sigsetjmp(jb, 0)) {
		if (last_sig == SIGILL)
			z->sigill++;
		else
			z->other_sig++;
		return;
	}
	call(&b, x7);
}

static int fuzz_setup(struct fz *z)
{
	uint8_t *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa;

	if (p == MAP_FAILED)
		return -1;
	memset(p, 0xa5, PAGE);
	if (mprotect(p, PAGE, PROT_READ) || munmap(p + 2 * PAGE, PAGE))
		return -1;
	z->ro = p;
	z->edge = p + 2 * PAGE - 64;
	z->bad[0] = 0;
	z->bad[1] = (uintptr_t)z->ro;
	z->bad[2] = (uintptr_t)z->edge;		/* runs into the hole */
	z->bad[3] = 0xffff800008000000ull;	/* kernel */
	z->bad[4] = 0x40000000ull;		/* the hypervisor's PA */
	z->bad[5] = 0x40080000ull;
	z->bad[6] = 0x0000fffffffff000ull;	/* top of user space */
	z->bad[7] = rnd();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	return chan_open(RPCI_PROTOCOL, &z->ch[0]) &&
	       chan_open(RPCI_PROTOCOL, &z->ch[1]) ? 0 : -1;
}

static bool ro_intact(const struct fz *z)
{
	for (int i = 0; i < PAGE; i++)
		if (z->ro[i] != 0xa5)
			return false;
	return true;
}

static int cmd_fuzz(int argc, char **argv)
{
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
	struct fz z = { 0 };
	struct timespec t0, t1;
	struct regs b;
	char reply[256];
	bool v_ok, r_ok, ro_ok;
	long len;

	rng = argc > 3 ? strtoull(argv[3], NULL, 0) : (uint64_t)time(NULL);
	rng |= 1;
	printf("bdfuzz: seed %" PRIu64 ", %" PRIu64 " calls\n", rng, n);
	fflush(stdout);
	if (fuzz_setup(&z) < 0) {
		printf("bdfuzz: set-up failed (no backdoor?)\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (z.calls < n)
		fuzz_one(&z);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	signal(SIGILL, SIG_DFL);
	msg(&z.ch[0], MSG_CLOSE, 0, NULL);
	msg(&z.ch[1], MSG_CLOSE, 0, NULL);
	ro_ok = ro_intact(&z);
	v_ok = version(&b) && b.r[AX] == 6;
	len = rpc("info-set guestinfo.bdfuzz done", reply, sizeof(reply));
	r_ok = len == 2 && !strcmp(reply, "1 ");
	len = rpc("info-get guestinfo.bdfuzz", reply, sizeof(reply));
	r_ok = r_ok && len == 6 && !strcmp(reply, "1 done");
	printf("bdfuzz: calls=%" PRIu64 " seconds=%.1f sigill=%" PRIu64
	       " expected_sigill=%" PRIu64 " other_signals=%" PRIu64
	       " ro_intact=%d getversion=%s rpci=%s\n", z.calls,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       z.sigill, z.want_sigill, z.other_sig, ro_ok,
	       v_ok ? "ok" : "FAIL", r_ok ? "ok" : "FAIL");
	return v_ok && r_ok && ro_ok && !z.other_sig &&
	       z.sigill == z.want_sigill ? 0 : 1;
}

/* --- small clients --------------------------------------------------- */

static int cmd_version(void)
{
	struct regs b;

	if (!version(&b)) {
		printf("no backdoor (eax 0x%" PRIx64 " ebx 0x%" PRIx64 ")\n",
		       b.r[AX], b.r[BX]);
		return 1;
	}
	printf("version %" PRIu64 " magic 0x%" PRIx64 " type %" PRIu64 "\n",
	       b.r[AX], b.r[BX], b.r[CX]);
	return 0;
}

static bool lb(struct regs *b, uint16_t cmd)
{
	*b = (struct regs){ { BDOOR_MAGIC, 0, cmd, BDOOR_PORT } };
	call(b, BD_X7(BD_X7_LB_IN));
	return (uint32_t)b->r[AX] != 0xffffffffu;
}

static int cmd_info(void)
{
	struct regs b;

	lb(&b, 19);
	printf("uuid ");
	for (int i = 0; i < 16; i++)
		printf("%02x", (unsigned)(b.r[AX + i / 4] >> (8 * (i % 4))) & 0xff);
	printf("\n");
	lb(&b, 1);
	printf("mhz %" PRIu64 "\n", b.r[AX]);
	if (!lb(&b, 55))
		printf("time none\n");
	else
		printf("time %" PRIu64 ".%06" PRIu64 " lag %" PRIu64 "\n",
		       b.r[SI] << 32 | b.r[DX], b.r[BX], b.r[CX]);
	return 0;
}

static int cmd_rpc(int argc, char **argv)
{
	char reply[4097];
	long n;

	if (argc < 3)
		return 2;
	n = rpc(argv[2], reply, sizeof(reply));
	if (n < 0) {
		printf("rpc: channel error\n");
		return 1;
	}
	printf("reply: %s\n", reply);
	return 0;
}

/* Polls the TCLO channel as open-vm-tools' RpcIn does: send the reply to
 * the previous command (empty at first), then receive the next. */
static int cmd_tclo(int argc, char **argv)
{
	long want = argc > 2 ? strtol(argv[2], NULL, 0) : 1;
	long secs = argc > 3 ? strtol(argv[3], NULL, 0) : 30;
	char cmd[1100], answer[1200] = "";
	time_t end = time(NULL) + secs;
	struct chan c;
	long got = 0, n;

	if (!chan_open(TCLO_PROTOCOL, &c)) {
		printf("tclo: open failed\n");
		return 1;
	}
	printf("tclo: ready\n");
	fflush(stdout);
	while (got < want && time(NULL) < end) {
		if (!chan_send(&c, answer, strlen(answer)) ||
		    (n = chan_recv(&c, cmd, sizeof(cmd))) < 0) {
			printf("tclo: channel error\n");
			return 1;
		}
		answer[0] = 0;
		if (n == 0) {
			usleep(20000);
			continue;
		}
		printf("tclo: %s\n", cmd);
		fflush(stdout);
		snprintf(answer, sizeof(answer), "OK %s", cmd);
		got++;
	}
	if (answer[0])
		chan_send(&c, answer, strlen(answer));
	msg(&c, MSG_CLOSE, 0, NULL);
	printf("tclo: %ld commands\n", got);
	return got == want ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "fuzz"))
		return cmd_fuzz(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "version"))
		return cmd_version();
	if (argc >= 2 && !strcmp(argv[1], "info"))
		return cmd_info();
	if (argc >= 2 && !strcmp(argv[1], "rpc"))
		return cmd_rpc(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "tclo"))
		return cmd_tclo(argc, argv);
	fprintf(stderr, "usage: bdfuzz fuzz [N [SEED]] | version | info | "
		"rpc TEXT | tclo [N [SECONDS]]\n");
	return 2;
}
