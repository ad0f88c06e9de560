// SPDX-License-Identifier: Apache-2.0
/* The backdoor instructions under the fault guard, and the simple
 * commands (see backdoor.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "backdoor.h"
#include "guard.h"

struct bd_call_arg {
	struct bd_regs *r;
	uint32_t x7;
};

static void call_fn(void *p)
{
	struct bd_call_arg *a = p;

	bd_arch_call(a->r, a->x7);
}

/* One guarded instruction. The registers live in *r (memory), so nothing
 * a jump out of a fault might leave stale is read afterwards. */
static int guarded(struct bd_regs *r, uint32_t x7, uint16_t port)
{
	struct bd_call_arg a = { r, x7 };

	r->ax = BDOOR_MAGIC;
	r->dx = (r->dx & ~0xffffull) | port;
	return guard_call(call_fn, &a) ? -EFAULT : 0;
}

int bd_in(struct bd_regs *r)
{
	return guarded(r, BD_X7_LB_IN, BDOOR_PORT);
}

int bd_hb_out(struct bd_regs *r)
{
	return guarded(r, BD_X7_HB_OUT, BDOORHB_PORT);
}

int bd_hb_in(struct bd_regs *r)
{
	return guarded(r, BD_X7_HB_IN, BDOORHB_PORT);
}

int bd_probe(struct bd_version *ret)
{
	struct bd_regs r = { .bx = ~(uint64_t)BDOOR_MAGIC & 0xffffffff,
			     .cx = BDOOR_CMD_GETVERSION };
	int err = bd_in(&r);

	if (err)
		return err;
	/* The magic must come back in ebx; eax is the version, and
	 * 0xffffffff there means "no such command". */
	if ((uint32_t)r.bx != BDOOR_MAGIC || (uint32_t)r.ax == 0xffffffffu)
		return -ENODEV;
	if (ret) {
		ret->version = (uint32_t)r.ax;
		ret->product = (uint32_t)r.cx;
	}
	return 0;
}

bool bd_present(void)
{
	static int state = -1;

	if (state < 0)
		state = bd_probe(NULL) == 0;
	return state;
}

/* One time command: 0, -EAGAIN (eax all ones: not anchored, or not
 * supported), -EPROTO. */
static int gettime(uint16_t cmd, struct bd_time *ret)
{
	struct bd_regs r = { .cx = cmd };
	int err = bd_in(&r);

	if (err)
		return err;
	/* Success leaves eax (the magic) alone; all ones means no time. */
	if ((uint32_t)r.ax == 0xffffffffu)
		return -EAGAIN;
	if ((uint32_t)r.ax != BDOOR_MAGIC || (uint32_t)r.bx >= 1000000)
		return -EPROTO;
	ret->sec = ((uint64_t)(uint32_t)r.si << 32) | (uint32_t)r.dx;
	ret->usec = (uint32_t)r.bx;
	ret->max_lag_us = (uint32_t)r.cx;
	return 0;
}

/* GETTIMEFULL_WITH_LAG first, then GETTIMEFULL, as open-vm-tools'
 * timeSync does (the first is newer; a host may lack it). */
int bd_gettime(struct bd_time *ret)
{
	int err;

	if (!bd_present())
		return -ENODEV;
	err = gettime(BDOOR_CMD_GETTIMEFULL_WITH_LAG, ret);
	if (err == -EAGAIN || err == -EPROTO)
		err = gettime(BDOOR_CMD_GETTIMEFULL, ret);
	return err;
}

int bd_getuuid(uint8_t ret[16])
{
	struct bd_regs r = { .cx = BDOOR_CMD_GETUUID };
	uint64_t w[4];
	int i, err;

	if (!bd_present())
		return -ENODEV;
	err = bd_in(&r);
	if (err)
		return err;
	w[0] = r.ax;
	w[1] = r.bx;
	w[2] = r.cx;
	w[3] = r.dx;
	for (i = 0; i < 16; i++)
		ret[i] = (uint8_t)(w[i / 4] >> (8 * (i % 4)));
	return 0;
}

void bd_uuid_str(const uint8_t u[16], char *buf, size_t cap)
{
	snprintf(buf, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
		 u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
}
