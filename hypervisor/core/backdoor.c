// SPDX-License-Identifier: Apache-2.0
/*
 * The backdoor's x7 decoding and its basic commands. Registers are x86
 * ones: only their low 32 bits are read, and a result is written as a
 * 32-bit x86 register write would be on x86-64 (zero-extended).
 */
#include <core/backdoor.h>
#include <core/guestmsg.h>

#define NS_PER_S	1000000000ull
#define NS_PER_US	1000ull

bool bd_decode(uint64_t x7, uint64_t dx, struct bd_io *ret)
{
	unsigned low = (unsigned)x7;
	unsigned sz = low & BD_X7_SIZE_MASK;

	if (((x7 >> BD_X7_MAGIC_SHIFT) & 0xffff) != BD_X7_MAGIC)
		return false;
	ret->size = sz == 3 ? 0 : 1u << sz;
	ret->in = low & BD_X7_IN;
	ret->str = low & BD_X7_STR;
	/* Only string instructions have a direction; the others carry an
	 * imm8 port where the flag would be. */
	ret->df = ret->str && (low & BD_X7_DF);
	if ((low & BD_X7_DX) || ret->str)
		ret->port = (uint16_t)dx;
	else
		ret->port = (low >> BD_X7_IMM_SHIFT) & 0xff;
	return true;
}

static uint32_t lo32(uint64_t v)
{
	return (uint32_t)v;
}

static void set32(uint64_t *r, uint32_t v)
{
	*r = v;
}

/* --- basic commands ------------------------------------------------ */

typedef void (*bd_cmd_fn)(struct bd_ctx *b, uint64_t r[BD_NREGS]);

static void cmd_getversion(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	(void)b;
	set32(&r[BD_AX], BDOOR_VERSION);
	set32(&r[BD_BX], BDOOR_MAGIC);
	set32(&r[BD_CX], BDOOR_PRODUCT_TYPE);
}

static void cmd_getmhz(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	set32(&r[BD_AX], (uint32_t)((b->counter_hz + 500000) / 1000000));
	set32(&r[BD_BX], BDOOR_MAGIC);
}

static void cmd_gethz(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	set32(&r[BD_AX], lo32(b->counter_hz));
	set32(&r[BD_BX], (uint32_t)(b->counter_hz >> 32));
	set32(&r[BD_CX], 0);	/* no local APIC timer on Arm */
}

/* eax..edx hold UUID bytes 0-3 .. 12-15, byte 0 in bits 7:0; the nil
 * UUID when the host gave none (verge.uuid). */
static void cmd_getuuid(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	for (unsigned i = 0; i < 4; i++) {
		uint32_t v = 0;

		for (unsigned j = 0; b->uuid && j < 4; j++)
			v |= (uint32_t)b->uuid[i * 4 + j] << (8 * j);
		set32(&r[BD_AX + i], v);
	}
}

/* eax stays the magic on success (open-vm-tools checks that); si:dx =
 * seconds, bx = microseconds, cx = maximum lag. */
static bool time_full(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	uint64_t ns, s;

	if (!b->ops->host_time_ns || b->ops->host_time_ns(b->ctx, &ns) < 0) {
		set32(&r[BD_AX], BDOOR_ERROR);
		return false;
	}
	s = ns / NS_PER_S;
	set32(&r[BD_SI], (uint32_t)(s >> 32));
	set32(&r[BD_DX], lo32(s));
	set32(&r[BD_BX], (uint32_t)(ns % NS_PER_S / NS_PER_US));
	set32(&r[BD_CX], BDOOR_MAX_TIME_LAG_US);
	return true;
}

static void cmd_gettimefull(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	time_full(b, r);
}

/* The time is read at the trap, so there is no interrupt lag (edi). */
static void cmd_gettimefull_lag(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	if (time_full(b, r))
		set32(&r[BD_DI], 0);
}

static void cmd_message(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	if (!b->msg) {
		set32(&r[BD_AX], BDOOR_ERROR);
		return;
	}
	gmsg_call(b->msg, b, r);
}

static const struct {
	uint16_t cmd;
	bd_cmd_fn fn;
} commands[] = {
	{ BDOOR_CMD_GETMHZ, cmd_getmhz },
	{ BDOOR_CMD_GETVERSION, cmd_getversion },
	{ BDOOR_CMD_GETUUID, cmd_getuuid },
	{ BDOOR_CMD_MESSAGE, cmd_message },
	{ BDOOR_CMD_GETHZ, cmd_gethz },
	{ BDOOR_CMD_GETTIMEFULL, cmd_gettimefull },
	{ BDOOR_CMD_GETTIMEFULL_WITH_LAG, cmd_gettimefull_lag },
};

static void low_bandwidth(struct bd_ctx *b, uint64_t r[BD_NREGS])
{
	uint16_t cmd = (uint16_t)r[BD_CX];	/* BDOOR_CMD(ecx) */

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].cmd == cmd) {
			commands[i].fn(b, r);
			return;
		}
	set32(&r[BD_AX], BDOOR_ERROR);
}

static void high_bandwidth(struct bd_ctx *b, const struct bd_io *io,
			   uint64_t r[BD_NREGS])
{
	/* Only forward byte strings are VMware's; the rest fail like a
	 * message error: status 0 in ebx[31:16]. */
	if (!b->msg || io->df || io->size != 1 ||
	    (uint16_t)r[BD_BX] != BDOORHB_CMD_MESSAGE) {
		set32(&r[BD_BX], 0);
		return;
	}
	gmsg_hb(b->msg, b, io->in, r);
}

/* An x86 port nobody claims: IN reads all ones, OUT goes nowhere. */
static void unclaimed_port(const struct bd_io *io, uint64_t r[BD_NREGS])
{
	uint64_t mask;

	if (!io->in || io->str || !io->size)
		return;
	if (io->size == 4) {
		set32(&r[BD_AX], BDOOR_ERROR);
		return;
	}
	mask = (1ull << (8 * io->size)) - 1;
	r[BD_AX] |= mask;
}

/* The low-bandwidth IN that carries every basic command: x7[47:32] the
 * magic, a 4-byte IN from the port in DX, not a string (the direction
 * and imm8 bits mean nothing then: bd_decode() ignores them too). */
#define FAST_X7_MASK	(0xffffull << BD_X7_MAGIC_SHIFT | BD_X7_SIZE_MASK | \
			 BD_X7_IN | BD_X7_DX | BD_X7_STR)
#define FAST_X7		BD_X7(BD_X7_LB_IN)

bool bd_fast_call(struct bd_ctx *b, uint64_t x7, uint64_t x[BD_NREGS])
{
	if ((x7 & FAST_X7_MASK) != FAST_X7 ||
	    lo32(x[BD_AX]) != BDOOR_MAGIC ||
	    (uint16_t)x[BD_DX] != BDOOR_PORT)
		return false;
	switch ((uint16_t)x[BD_CX]) {
	case BDOOR_CMD_GETVERSION:
		cmd_getversion(b, x);
		return true;
	case BDOOR_CMD_GETMHZ:
		cmd_getmhz(b, x);
		return true;
	case BDOOR_CMD_GETHZ:
		cmd_gethz(b, x);
		return true;
	case BDOOR_CMD_GETUUID:
		cmd_getuuid(b, x);
		return true;
	default:
		return false;
	}
}

enum bd_result bd_call(struct bd_ctx *b, uint64_t x7, uint64_t x[BD_NREGS])
{
	struct bd_io io;

	if (!bd_decode(x7, x[BD_DX], &io))
		return BD_NOT_BACKDOOR;
	if (lo32(x[BD_AX]) != BDOOR_MAGIC || !io.size)
		unclaimed_port(&io, x);
	else if (io.port == BDOOR_PORT && !io.str && io.size == 4)
		low_bandwidth(b, x);
	else if (io.port == BDOORHB_PORT && io.str)
		high_bandwidth(b, &io, x);
	else
		unclaimed_port(&io, x);
	return BD_DONE;
}
