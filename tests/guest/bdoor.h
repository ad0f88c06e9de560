/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest side of verge's backdoor, as open-vm-tools' arm64 backdoor
 * uses it (docs/backdoor.md): x0-x6 = eax..ebp, x7 = 0x86 << 32 | I/O
 * instruction, then `hvc #0x86` or `mrs xzr, mdccsr_el0`. The ABI's
 * constants are proto/inc/verge_backdoor.h.
 */
#ifndef BDOOR_H
#define BDOOR_H
#include "guest.h"
#include <verge_backdoor.h>

enum { AX, BX, CX, DX, SI, DI, BP };
enum bd_via { VIA_HVC, VIA_MDCCSR };

struct bd_regs {
	uint64_t r[7];
};

/* One call; false if the instruction itself raised an exception. */
bool bd_raw(struct bd_regs *b, uint64_t x7, enum bd_via via);
/* A low-bandwidth command with eax = magic, edx = port. */
bool bd_cmd(struct bd_regs *b, uint16_t cmd, enum bd_via via);

struct bd_chan {
	uint16_t id;
	uint32_t cookie_hi, cookie_lo;
};

/* MESSAGE steps; status bits of ecx[31:16] (or ebx[31:16] for HB). */
bool msg_open(uint32_t proto, struct bd_chan *ret);
uint16_t msg_step(const struct bd_chan *c, unsigned type, uint32_t ebx,
		  struct bd_regs *out);
bool msg_send(const struct bd_chan *c, const void *buf, uint32_t n, bool hb);
/* Receives into buf (cap bytes): length, or -1. */
long msg_recv(const struct bd_chan *c, void *buf, uint32_t cap, bool hb);
bool msg_close(const struct bd_chan *c);
/* HB transfer with explicit address and size (for refusal tests). */
uint16_t msg_hb(const struct bd_chan *c, bool in, uint64_t addr, uint32_t n);
#endif
