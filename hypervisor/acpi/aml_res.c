// SPDX-License-Identifier: Apache-2.0
/* AML resource templates: ACPI 6.x 6.4 (resource data types). */
#include <acpi/aml.h>

/* Resource templates. */

#define RES_MEM32_FIXED	0x86
#define RES_DWORD	0x87
#define RES_WORD	0x88
#define RES_EXT_IRQ	0x89
#define RES_QWORD	0x8a
#define RES_GPIO	0x8c
#define RES_END_TAG	0x79

void aml_res_init(struct aml_res *r)
{
	r->len = 0;
	r->err = 0;
}

/* Room for n more bytes, or NULL with r->err set. */
static uint8_t *res_take(struct aml_res *r, size_t n)
{
	uint8_t *p;

	if (r->err || n > sizeof(r->b) - r->len) {
		if (!r->err)
			r->err = -ENOSPC;
		return NULL;
	}
	p = r->b + r->len;
	memset(p, 0, n);
	r->len += n;
	return p;
}

/* A large item: tag, then the length of what follows (6.4.3). */
static uint8_t *res_large(struct aml_res *r, uint8_t tag, size_t body)
{
	uint8_t *p = res_take(r, 3 + body);

	if (p) {
		p[0] = tag;
		aml_put_le(p + 1, body, 2);
	}
	return p;
}

void aml_res_mem32(struct aml_res *r, uint32_t base, uint32_t size)
{
	uint8_t *p = res_large(r, RES_MEM32_FIXED, 9);

	if (!p)
		return;
	p[3] = 1;		/* read-write */
	aml_put_le(p + 4, base, 4);
	aml_put_le(p + 8, size, 4);
}

void aml_res_irq(struct aml_res *r, uint32_t gsi, unsigned flags)
{
	uint8_t *p = res_large(r, RES_EXT_IRQ, 6);

	if (!p)
		return;
	p[3] = (uint8_t)(flags | 1);	/* bit 0: ResourceConsumer */
	p[4] = 1;			/* one interrupt */
	aml_put_le(p + 5, gsi, 4);
}

void aml_res_addr(struct aml_res *r, const struct aml_addr *w)
{
	static const struct { uint8_t tag; unsigned size; uint64_t max; } f[] = {
		{ RES_WORD, 2, 0xffff }, { RES_DWORD, 4, 0xffffffff },
		{ RES_QWORD, 8, UINT64_MAX },
	};
	uint64_t top = w->max > w->length ? w->max : w->length;
	size_t i = w->type == AML_RES_BUS ? 0 : 1;
	uint8_t *p;

	if (w->offset > top)
		top = w->offset;
	while (top > f[i].max)
		i++;
	p = res_large(r, f[i].tag, 3 + 5 * f[i].size);
	if (!p)
		return;
	p[3] = (uint8_t)w->type;
	/* _MAF | _MIF, positive decode; bit 0 set for a consumer. */
	p[4] = 0x0c | (w->producer ? 0 : 1);
	if (w->type == AML_RES_MEM)	/* _RW, _MEM: 3 prefetchable */
		p[5] = 1 | (w->prefetch ? 3 : 0) << 1;
	else if (w->type == AML_RES_IO)	/* _RNG entire range, _TTP */
		p[5] = 3 | (w->translation ? 1 << 4 : 0);
	aml_put_le(p + 6 + 1 * f[i].size, w->min, f[i].size);
	aml_put_le(p + 6 + 2 * f[i].size, w->max, f[i].size);
	aml_put_le(p + 6 + 3 * f[i].size, w->offset, f[i].size);
	aml_put_le(p + 6 + 4 * f[i].size, w->length, f[i].size);
}

/*
 * GPIO Connection Descriptor (6.4.3.8.1): 23 fixed bytes, the pin
 * table, then the controller's name; offsets count from the tag.
 */
void aml_res_gpio_int(struct aml_res *r, uint16_t pin, bool edge,
		      bool active_low, const char *source)
{
	size_t slen = strlen(source) + 1;
	uint8_t *p = res_large(r, RES_GPIO, 20 + 2 + slen);

	if (!p)
		return;
	p[3] = 1;				/* revision */
	p[4] = 0;				/* interrupt connection */
	aml_put_le(p + 5, 1, 2);			/* consumer */
	aml_put_le(p + 7, (edge ? 1 : 0) | (active_low ? 2 : 0), 2);
	aml_put_le(p + 14, 23, 2);			/* pin table */
	aml_put_le(p + 17, 25, 2);			/* resource source */
	aml_put_le(p + 19, 25 + slen, 2);		/* vendor data (none) */
	aml_put_le(p + 23, pin, 2);
	memcpy(p + 25, source, slen);
}

void aml_res_end(struct aml_res *r, struct aml *a)
{
	uint8_t *p = res_take(r, 2);
	uint8_t sum = 0;

	if (r->err) {
		if (!a->err)
			a->err = r->err;
		return;
	}
	p[0] = RES_END_TAG;
	for (size_t i = 0; i < r->len - 1; i++)
		sum += r->b[i];
	p[1] = (uint8_t)-sum;
	aml_buffer(a, r->b, r->len);
}
