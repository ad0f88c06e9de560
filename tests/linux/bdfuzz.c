/*
 * bdfuzz CALLS [SEED]: a hostile guest program. Issues CALLS backdoor
 * calls from EL0 with random registers: random x7 encodings (sizes,
 * directions, ports, strings, a few without the 0x86 marker), random
 * commands, MESSAGE steps on random channels with random and stolen
 * cookies, sizes up to 2^32, and high-bandwidth buffers that are NULL,
 * unmapped, kernel addresses, non-canonical, or run into a PROT_NONE
 * guard page (also within well-formed exchanges, so the hypervisor
 * really copies). Then it closes the channels it managed to open and checks
 * that a well-formed GETVERSION still answers. Prints one summary line,
 * "bdfuzz: PASS ..." or "bdfuzz: FAIL ..."; exit status 0 on PASS.
 * Built static with the guest agent's backdoor code.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backdoor.h"
#include "guard.h"
#include "msgchan.h"

#define PAGE 4096
#define MAX_OPEN 64

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint8_t *scratch;	/* two pages, then a PROT_NONE page */

static struct {
	uint16_t id;
	uint32_t hi, lo;
} opened[MAX_OPEN];
static unsigned nopened;

/* An address for a high-bandwidth buffer: never the fuzzer's own
 * memory other than the scratch pages. */
static uint64_t address(void)
{
	switch (rnd() % 8) {
	case 0: return 0;
	case 1: return 0x1000;
	case 2: return 0xffff000000000000ull + (rnd() & 0xffffffffffull);
	case 3: return 0x0000800000000000ull | rnd();	/* non-canonical */
	case 4: return (uint64_t)(uintptr_t)scratch + (rnd() % (2 * PAGE));
	case 5: return (uint64_t)(uintptr_t)scratch + 2 * PAGE - (rnd() % 64);
	case 6: return (uint64_t)(uintptr_t)scratch + 2 * PAGE; /* guard */
	default: return (uint64_t)(uintptr_t)scratch;
	}
}

static uint64_t size(void)
{
	switch (rnd() % 6) {
	case 0: return 0;
	case 1: return rnd() % 16;
	case 2: return rnd() % 8192;
	case 3: return 4096 + rnd() % 4;
	case 4: return 0xffffffffull;
	default: return rnd();
	}
}

struct call {
	struct bd_regs r;
	uint64_t x7;
};

static void do_call(void *p)
{
	struct call *c = p;
	register uint64_t a0 __asm__("x0") = c->r.ax;
	register uint64_t a1 __asm__("x1") = c->r.bx;
	register uint64_t a2 __asm__("x2") = c->r.cx;
	register uint64_t a3 __asm__("x3") = c->r.dx;
	register uint64_t a4 __asm__("x4") = c->r.si;
	register uint64_t a5 __asm__("x5") = c->r.di;
	register uint64_t a6 __asm__("x6") = c->r.bp;
	register uint64_t a7 __asm__("x7") = c->x7;

	__asm__ __volatile__("mrs xzr, mdccsr_el0"
			     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3),
			       "+r"(a4), "+r"(a5), "+r"(a6)
			     : "r"(a7) : "memory");
	c->r.ax = a0;
	c->r.bx = a1;
	c->r.cx = a2;
	c->r.dx = a3;
	c->r.si = a4;
	c->r.di = a5;
	c->r.bp = a6;
}

/* A channel id and cookies: a real pair, a real id with wrong cookies,
 * or random. */
static void channel(struct call *c)
{
	unsigned k = nopened ? (unsigned)(rnd() % nopened) : 0;

	switch (rnd() % 3) {
	case 0:
		if (nopened) {
			c->r.dx = (uint64_t)opened[k].id << 16;
			c->r.si = opened[k].hi;
			c->r.di = opened[k].lo;
			break;
		}
		/* fall through */
	case 1:
		c->r.dx = (rnd() % 10) << 16;
		c->r.si = rnd();
		c->r.di = rnd();
		break;
	default:
		c->r.dx = rnd() & 0xffff0000ull;
		break;
	}
}

static void make(struct call *c)
{
	uint64_t low;

	memset(c, 0, sizeof(*c));
	c->r.ax = BD_MAGIC;
	c->x7 = BD_X7_MAGIC << 32 | BD_X7_DX | BD_X7_IN | BD_X7_SIZE4;
	switch (rnd() % 10) {
	case 0:			/* anything at all */
		c->r = (struct bd_regs){ rnd(), rnd(), rnd(), rnd(),
					 address(), address(), rnd() };
		low = rnd() & 0x1fff;
		c->x7 = rnd() % 64 ? BD_X7_MAGIC << 32 | low : low;
		break;
	case 1:			/* random low-bandwidth command */
		c->r.bx = rnd();
		c->r.cx = rnd() % 128 | (rnd() & 0xffff0000ull);
		c->r.dx = BD_PORT;
		c->r.si = rnd();
		c->r.di = rnd();
		break;
	case 2:			/* open with random protocol and flags */
		c->r.cx = BD_CMD_MESSAGE;
		c->r.dx = BD_PORT;
		c->r.bx = rnd() % 2 ? (rnd() % 2 ? MSG_PROTO_RPCI :
					MSG_PROTO_TCLO) | (rnd() % 2 ?
					MSG_FLAG_COOKIE : 0) : rnd();
		break;
	case 3: case 4: case 5:	/* message steps on some channel */
		channel(c);
		c->r.cx = (rnd() % 8) << 16 | BD_CMD_MESSAGE;
		c->r.dx |= BD_PORT;
		c->r.bx = rnd() % 2 ? size() : rnd();
		break;
	default:		/* high bandwidth */
		channel(c);
		c->r.dx |= BD_PORT_HB;
		c->r.bx = (rnd() % 4) << 16 | rnd() % 3;
		c->r.cx = size();
		if (rnd() % 2) {
			c->x7 = BD_X7_MAGIC << 32 | BD_X7_REP | BD_X7_IN;
			c->r.di = address();
		} else {
			c->x7 = BD_X7_MAGIC << 32 | BD_X7_REP;
			c->r.si = address();
		}
		if (rnd() % 8 == 0)
			c->x7 |= BD_X7_DF | (rnd() % 4);
		c->r.bp = rnd() % 2 ? rnd() : c->r.si;
		break;
	}
}

/* Keeps the id and cookies of a successful OPEN (to use, then close). */
static void note_open(const struct call *before, const struct call *c)
{
	if ((uint16_t)before->r.cx != BD_CMD_MESSAGE ||
	    (before->r.cx >> 16 & 0xffff) != MSG_OPEN ||
	    (uint16_t)before->r.dx != BD_PORT ||
	    (before->x7 & 0xff) != (BD_X7_DX | BD_X7_IN | BD_X7_SIZE4) ||
	    !((c->r.cx >> 16) & MSG_ST_SUCCESS) || nopened == MAX_OPEN)
		return;
	opened[nopened].id = (uint16_t)(c->r.dx >> 16);
	opened[nopened].hi = (uint32_t)c->r.si;
	opened[nopened].lo = (uint32_t)c->r.di;
	nopened++;
}

static void close_all(void)
{
	unsigned i;

	for (i = 0; i < nopened; i++) {
		struct bd_regs r = {
			.cx = (uint32_t)MSG_CLOSE << 16 | BD_CMD_MESSAGE,
			.dx = (uint64_t)opened[i].id << 16,
			.si = opened[i].hi, .di = opened[i].lo,
		};

		bd_in(&r);
	}
}

/* A well-formed RPCI exchange whose high-bandwidth buffers have the
 * exact sizes the channel expects but may run into the guard page, lie
 * in the kernel or be unmapped: the copies the hypervisor really makes. */
static unsigned long sequence(void)
{
	struct msg_chan ch;
	struct bd_regs r;
	uint32_t n = 1 + (uint32_t)(rnd() % 64);
	uint64_t buf;

	if (msg_open(&ch, MSG_PROTO_RPCI, true))
		return 1;
	memset(&r, 0, sizeof(r));
	r.bx = n;
	r.cx = (uint32_t)MSG_SENDSIZE << 16 | BD_CMD_MESSAGE;
	r.dx = (uint64_t)ch.id << 16;
	r.si = ch.cookie_hi;
	r.di = ch.cookie_lo;
	bd_in(&r);
	buf = rnd() % 2 ? (uint64_t)(uintptr_t)scratch + 2 * PAGE -
			  rnd() % (n + 1) : address();
	memset(&r, 0, sizeof(r));
	r.bx = (uint32_t)MSG_ST_SUCCESS << 16 | BD_HB_CMD_MESSAGE;
	r.cx = n;
	r.dx = (uint64_t)ch.id << 16;
	r.si = buf;
	r.di = ch.cookie_lo;
	r.bp = ch.cookie_hi;
	bd_hb_out(&r);
	memset(&r, 0, sizeof(r));
	r.cx = (uint32_t)MSG_RECVSIZE << 16 | BD_CMD_MESSAGE;
	r.dx = (uint64_t)ch.id << 16;
	r.si = ch.cookie_hi;
	r.di = ch.cookie_lo;
	bd_in(&r);
	if ((r.cx >> 16) & MSG_ST_DORECV) {
		n = (uint32_t)r.bx;
		buf = rnd() % 2 ? (uint64_t)(uintptr_t)scratch + 2 * PAGE -
				  rnd() % (n + 1) : address();
		memset(&r, 0, sizeof(r));
		r.bx = (uint32_t)MSG_ST_SUCCESS << 16 | BD_HB_CMD_MESSAGE;
		r.cx = n;
		r.dx = (uint64_t)ch.id << 16;
		r.di = buf;
		r.si = ch.cookie_hi;
		r.bp = ch.cookie_lo;
		bd_hb_in(&r);
	}
	msg_close(&ch);
	return 6;
}

int main(int argc, char **argv)
{
	unsigned long n, i, signals = 0, opens = 0;
	struct bd_version v;
	struct call c, before;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bdfuzz CALLS [SEED]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	if (argc == 3)
		rng = strtoull(argv[2], NULL, 0) | 1;
	scratch = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED || mprotect(scratch + 2 * PAGE, PAGE,
					       PROT_NONE)) {
		perror("bdfuzz: mmap");
		return 1;
	}
	memset(scratch, 0x5a, 2 * PAGE);
	if (bd_probe(&v)) {
		printf("bdfuzz: FAIL no backdoor before fuzzing\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (i % 16 == 0) {
			i += sequence() - 1;
			continue;
		}
		make(&c);
		before = c;
		if (guard_call(do_call, &c))
			signals++;
		else
			note_open(&before, &c);
		if (i % 4096 == 4095 && nopened) {
			opens += nopened;
			close_all();
			nopened = 0;
		}
	}
	opens += nopened;
	close_all();
	if (bd_probe(&v)) {
		printf("bdfuzz: FAIL GETVERSION unanswered after %lu calls\n",
		       n);
		return 1;
	}
	printf("bdfuzz: PASS %lu calls, %lu signalled (no 0x86 marker), "
	       "%lu channels opened and closed; GETVERSION %u still answers\n",
	       n, signals, opens, v.version);
	return 0;
}
