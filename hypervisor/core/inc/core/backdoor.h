/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMware-compatible backdoor (the "unified hypercall interface"): the
 * guest puts x86 registers in x0-x6 (eax, ebx, ecx, edx, esi, edi, ebp),
 * says in x7 which x86 I/O instruction it stands for, and traps with
 * `mrs xzr, mdccsr_el0` or `hvc #0x86`. Pure logic: it builds into the
 * hypervisor and, unchanged, into host unit tests; guest memory, time
 * and the message channels come in through struct bd_ctx.
 *
 * The wire ABI (magic, ports, commands, x7 layout) is
 * proto/inc/verge_backdoor.h; the exact register conventions are in
 * docs/backdoor.md.
 */
#ifndef CORE_BACKDOOR_H
#define CORE_BACKDOOR_H
#include <core/compat.h>
#include <verge_backdoor.h>

/* What GETVERSION reports: open-vm-tools' VERSION_MAGIC and
 * VMX_TYPE_SCALABLE_SERVER (checkvm -p prints "ESX Server"). */
#define BDOOR_VERSION		6
#define BDOOR_PRODUCT_TYPE	2
/* GETTIMEFULL's maximum time lag (ecx), microseconds. */
#define BDOOR_MAX_TIME_LAG_US	1000
/* The error convention: eax = all ones (no such command, no time). */
#define BDOOR_ERROR		0xffffffffu

/* x0-x6 as the x86 registers they stand for. */
enum bd_reg { BD_AX, BD_BX, BD_CX, BD_DX, BD_SI, BD_DI, BD_BP, BD_NREGS };

/* One decoded x7. */
struct bd_io {
	unsigned size;		/* 1, 2 or 4 bytes; 0: reserved encoding */
	bool in;		/* IN/INS: the guest reads */
	bool str;		/* INS/OUTS: the high-bandwidth form */
	bool df;		/* direction flag (strings move downwards) */
	uint16_t port;
};

/*
 * Decodes x7 (and the port from dx when x7 says so). False when
 * x7[47:32] is not 0x86: then the trapping access is no backdoor call.
 */
bool bd_decode(uint64_t x7, uint64_t dx, struct bd_io *ret);

struct gmsg;

/* What the hypervisor provides; a host test provides fakes. */
struct bd_ops {
	/* Host CLOCK_REALTIME now, ns; -EAGAIN before the host anchored it. */
	int (*host_time_ns)(void *ctx, uint64_t *ret_ns);
	/* Guest virtual memory as the caller sees it: 0 or -EFAULT. */
	int (*read_guest)(void *ctx, void *dst, uint64_t va, size_t n);
	int (*write_guest)(void *ctx, uint64_t va, const void *src, size_t n);
};

struct bd_ctx {
	const struct bd_ops *ops;
	void *ctx;
	uint64_t counter_hz;	/* counter frequency presented to the guest */
	const uint8_t *uuid;	/* 16 bytes, or NULL: GETUUID gives nil */
	struct gmsg *msg;	/* MESSAGE channels, or NULL: unsupported */
	uint64_t now_ms;	/* for idle channel reclaim */
	uint64_t entropy;	/* mixed into new channel cookies */
};

enum bd_result {
	BD_NOT_BACKDOOR,	/* x7 has no magic: not ours */
	BD_DONE,		/* the access was carried out */
};

/*
 * Carries out the I/O access x7 describes on x[0..6] (x0-x6). Backdoor
 * calls (the magic in eax, port 0x5658 or 0x5659) update the registers
 * as VMware's do; any other port behaves as an unclaimed x86 port: an IN
 * reads all ones, an OUT is dropped. Never fails on any input.
 */
enum bd_result bd_call(struct bd_ctx *b, uint64_t x7, uint64_t x[BD_NREGS]);
/*
 * The fast path: the basic commands that read only b->counter_hz and
 * b->uuid (GETVERSION, GETMHZ, GETHZ, GETUUID), answered before the
 * generic decode and without the caller's lock, time or guest memory.
 * True: done, with exactly the registers bd_call() gives. False: nothing
 * changed; bd_call() takes it.
 */
bool bd_fast_call(struct bd_ctx *b, uint64_t x7, uint64_t x[BD_NREGS]);
#endif
