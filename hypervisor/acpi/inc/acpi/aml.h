/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small AML (ACPI Machine Language) encoder: the subset a DSDT for an
 * Arm board needs. Encodings follow ACPI 6.x chapter 20 (AML grammar) and
 * 6.4 (resource descriptors).
 *
 * Every emitter appends to a bounded buffer; the first failure (no room,
 * bad name, nesting too deep) is kept in a->err and later calls do
 * nothing, so a caller checks once at the end.
 */
#ifndef ACPI_AML_H
#define ACPI_AML_H
#include <core/compat.h>

#define AML_MAX_DEPTH	16
#define AML_MAX_SEGS	32	/* NameSegs in one path (the grammar allows 255) */

/* Opcodes the builder emits (ACPI 6.x 20.3). */
#define AML_ZERO	0x00
#define AML_ONE		0x01
#define AML_NAME	0x08
#define AML_BYTE	0x0a
#define AML_WORD	0x0b
#define AML_DWORD	0x0c
#define AML_STRING	0x0d
#define AML_QWORD	0x0e
#define AML_SCOPE	0x10
#define AML_BUFFER	0x11
#define AML_PACKAGE	0x12
#define AML_METHOD	0x14
#define AML_DUAL_NAME	0x2e
#define AML_MULTI_NAME	0x2f
#define AML_EXT		0x5b
#define AML_DEVICE	0x82	/* after AML_EXT */
#define AML_ROOT	0x5c	/* '\' */
#define AML_PARENT	0x5e	/* '^' */
#define AML_NOTIFY	0x86
#define AML_RETURN	0xa4
#define AML_LOCAL0	0x60
#define AML_ARG0	0x68
#define AML_STORE	0x70
#define AML_AND		0x7b
#define AML_OR		0x7d
#define AML_CREATE_DWORD_FIELD	0x8a
#define AML_LNOT	0x92
#define AML_LEQUAL	0x93
#define AML_IF		0xa0
#define AML_ELSE	0xa1
#define AML_ONES	0xff

struct aml {
	uint8_t *buf;
	size_t len, cap;
	int err;
	unsigned depth;
	size_t open[AML_MAX_DEPTH];	/* offset of each open PkgLength */
};

void aml_init(struct aml *a, void *buf, size_t cap);
/* n bytes of v, little-endian (AML and resource data are). */
void aml_put_le(uint8_t *p, uint64_t v, unsigned n);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);

/* PkgLength for a package whose body (after PkgLength) is body bytes:
 * writes 1-4 bytes to out, returns the count, or 0 if too large. */
unsigned aml_pkglength(uint8_t out[4], size_t body);

/* Integer with the shortest encoding: Zero, One, Ones, Byte..QWord. */
void aml_int(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* NameString: "\_SB.PCI0", "^GPO0.PWRB", "_HID", segments of 1-4
 * characters [A-Z_][A-Z0-9_]*, padded with '_'. */
void aml_name(struct aml *a, const char *path);
/* Name (name, <value the caller emits next>) */
void aml_name_decl(struct aml *a, const char *name);
/* EISAID("PNP0A08") as a DWord. */
void aml_eisaid(struct aml *a, const char *id);
/* Buffer { bytes } */
void aml_buffer(struct aml *a, const void *p, size_t n);
/* ToUUID("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") as a 16-byte Buffer. */
void aml_uuid(struct aml *a, const char *uuid);

/* Opening a construct with a PkgLength; aml_close() ends the innermost. */
void aml_scope(struct aml *a, const char *name);
void aml_device(struct aml *a, const char *name);
void aml_method(struct aml *a, const char *name, unsigned nargs,
		bool serialized);
void aml_package(struct aml *a, unsigned nelems);
void aml_close(struct aml *a);

/* ArgN (0-6) and LocalN (0-7) as operands. */
void aml_arg(struct aml *a, unsigned n);
void aml_local(struct aml *a, unsigned n);
/*
 * Operators in prefix form: the caller emits the operands after the
 * opcode (AML_LEQUAL a b; AML_LNOT x; AML_AND a b target; AML_OR a b
 * target; AML_STORE value target). No target is a NullName (aml_name "").
 */
void aml_op(struct aml *a, uint8_t opcode);
/* If (<predicate the caller emits next>) { ... aml_close }, Else { ... } */
void aml_if(struct aml *a);
void aml_else(struct aml *a);
/* CreateDWordField (ArgN, byte_index, name) */
void aml_create_dword_field(struct aml *a, unsigned arg, unsigned index,
			    const char *name);

/* Notify (target, value) and Return (<caller emits the value>). */
void aml_notify(struct aml *a, const char *target, uint64_t value);
void aml_return(struct aml *a);

/*
 * Resource templates (ACPI 6.x 6.4): built into their own small buffer,
 * then emitted as a Buffer with aml_res_end(), which appends the End Tag
 * with its checksum.
 */
struct aml_res {
	uint8_t b[512];
	size_t len;
	int err;
};

enum aml_addr_type { AML_RES_MEM = 0, AML_RES_IO = 1, AML_RES_BUS = 2 };

/* flags for aml_res_irq */
#define AML_IRQ_EDGE		(1u << 1)
#define AML_IRQ_ACTIVE_LOW	(1u << 2)
#define AML_IRQ_SHARED		(1u << 3)

struct aml_addr {
	enum aml_addr_type type;
	bool producer;		/* a bridge's window (ResourceProducer) */
	bool prefetch;		/* memory: prefetchable; else non-cacheable */
	bool translation;	/* I/O: TypeTranslation (CPU memory cycles) */
	uint64_t min, max, offset, length;
};

void aml_res_init(struct aml_res *r);
void aml_res_mem32(struct aml_res *r, uint32_t base, uint32_t size);
void aml_res_irq(struct aml_res *r, uint32_t gsi, unsigned flags);
/* Word (bus numbers), DWord or QWord address space, by size: the
 * smallest that holds min, max, offset and length. */
void aml_res_addr(struct aml_res *r, const struct aml_addr *w);
/* GpioInt(Edge, ActiveHigh, Exclusive, PullDefault, 0, source) {pin} */
void aml_res_gpio_int(struct aml_res *r, uint16_t pin, bool edge,
		      bool active_low, const char *source);
/* End Tag + checksum, emitted as a Buffer into a; r->err goes to a. */
void aml_res_end(struct aml_res *r, struct aml *a);
#endif
