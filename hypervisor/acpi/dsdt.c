// SPDX-License-Identifier: Apache-2.0
/*
 * The DSDT: devices under \_SB that the OS binds drivers to. IDs: ACPI
 * 6.x 5.6.6 (ACPI0007 processor), Arm SBBR / Linux (ARMH0011 PL011,
 * ARMH0061 PL061), Linaro LNRO0005 (virtio-mmio), PNP0A08/PNP0A03 (PCIe
 * root), PNP0C0C (power button), PRP0001 + _DSD device properties UUID
 * daffd814-6eba-4d8c-8a91-bc9bbf4aa301 (DSD Device Properties for ACPI).
 */
#include "tables.h"
#include <acpi/aml.h>

#define DSD_PROPERTIES_UUID	"daffd814-6eba-4d8c-8a91-bc9bbf4aa301"
#define POWER_BUTTON_NOTIFY	0x80
#define PCI_HOST_OSC_UUID	"33db4d5b-1ff7-401c-9657-7441c03dd766"
#define OSC_BAD_UUID		0x04	/* _OSC status: unrecognized UUID */
#define OSC_BAD_REVISION	0x08	/* unrecognized revision */

static void name_str(struct aml *a, const char *name, const char *s)
{
	aml_name_decl(a, name);
	aml_string(a, s);
}

static void name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_name_decl(a, name);
	aml_int(a, v);
}

/* prefix + i in upper-case hex, 4 characters: "C", 5 -> "C005". */
static void numbered(char name[5], const char *prefix, unsigned i)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(prefix);

	memcpy(name, prefix, n);
	for (size_t k = 4; k > n; k--, i >>= 4)
		name[k - 1] = hex[i & 0xf];
	name[4] = '\0';
}

static unsigned irq_flags(const struct irq *i)
{
	return (i->edge ? AML_IRQ_EDGE : 0) |
	       (i->active_low ? AML_IRQ_ACTIVE_LOW : 0);
}

/* Name (_CRS, ResourceTemplate () { Memory32Fixed ..., Interrupt ... }) */
static void dev_crs(struct aml *a, const struct dev *d)
{
	struct aml_res r;

	aml_res_init(&r);
	for (unsigned i = 0; i < d->nreg; i++)
		aml_res_mem32(&r, (uint32_t)d->reg[i].base,
			      (uint32_t)d->reg[i].size);
	if (d->irq.gsiv)
		aml_res_irq(&r, d->irq.gsiv, irq_flags(&d->irq));
	aml_name_decl(a, "_CRS");
	aml_res_end(&r, a);
}

static void simple_dev(struct aml *a, const char *name, const char *hid,
		       unsigned uid, const struct dev *d)
{
	aml_device(a, name);
	name_str(a, "_HID", hid);
	name_int(a, "_UID", uid);
	if (d->coherent)
		name_int(a, "_CCA", 1);
	dev_crs(a, d);
}

static void cpus(struct aml *a, const struct board *b)
{
	char name[5];

	for (unsigned i = 0; i < b->ncpus; i++) {
		numbered(name, "C", i);
		aml_device(a, name);
		name_str(a, "_HID", "ACPI0007");
		name_int(a, "_UID", i);
		aml_close(a);
	}
}

/* Name (_DSD, Package () { ToUUID (properties), Package () { ... } })
 * with integer properties. */
static void dsd_ints(struct aml *a, const char *const *names,
		     const uint64_t *vals, unsigned n)
{
	aml_name_decl(a, "_DSD");
	aml_package(a, 2);
	aml_uuid(a, DSD_PROPERTIES_UUID);
	aml_package(a, n);
	for (unsigned i = 0; i < n; i++) {
		aml_package(a, 2);
		aml_string(a, names[i]);
		aml_int(a, vals[i]);
		aml_close(a);
	}
	aml_close(a);
	aml_close(a);
}

static void uart(struct aml *a, const struct board *b)
{
	static const char *const props[] = { "reg-shift", "reg-io-width" };

	if (b->uart_kind == UART_NONE)
		return;
	simple_dev(a, "COM0", b->uart_type->hid, 0, &b->uart);
	if (b->uart_kind == UART_16550_GAS) {
		uint64_t v[] = { b->uart_shift, b->uart_type->width };

		dsd_ints(a, props, v, 2);
	}
	aml_close(a);
}

static void virtio(struct aml *a, const struct board *b)
{
	char name[5];

	for (unsigned i = 0; i < b->nvirtio; i++) {
		numbered(name, "VR", i);
		simple_dev(a, name, "LNRO0005", i, &b->virtio[i]);
		aml_close(a);
	}
}

/* The PL061 signals the key through _AEI; _Exx notifies PWRB. */
static void power_button(struct aml *a, const struct board *b)
{
	const struct pwrbtn_info *p = &b->pwrbtn;
	struct aml_res r;
	char method[5];

	if (!p->present)
		return;
	simple_dev(a, "GPO0", "ARMH0061", 0, &p->gpio);
	aml_res_init(&r);
	aml_res_gpio_int(&r, (uint16_t)p->pin, true, p->active_low, "\\_SB.GPO0");
	aml_name_decl(a, "_AEI");
	aml_res_end(&r, a);
	numbered(method, "_E", p->pin);
	aml_method(a, method, 0, false);
	aml_notify(a, "\\_SB.PWRB", POWER_BUTTON_NOTIFY);
	aml_close(a);
	aml_close(a);
	aml_device(a, "PWRB");
	name_str(a, "_HID", "PNP0C0C");
	name_int(a, "_UID", 0);
	aml_close(a);
}

/* Known IDs as they are; the rest PRP0001 with _DSD "compatible". */
static void others(struct aml *a, const struct board *b)
{
	char name[5];

	for (unsigned i = 0; i < b->nother; i++) {
		const struct dev *d = &b->other[i];
		bool prp = !strcmp(b->other_hid[i], "PRP0001");

		numbered(name, "DV", i);
		simple_dev(a, name, b->other_hid[i], i, d);
		if (prp) {
			aml_name_decl(a, "_DSD");
			aml_package(a, 2);
			aml_uuid(a, DSD_PROPERTIES_UUID);
			aml_package(a, 1);
			aml_package(a, 2);
			aml_string(a, "compatible");
			aml_string(a, d->compat);
			aml_close(a);
			aml_close(a);
			aml_close(a);
		}
		aml_close(a);
	}
}

static void pci_crs(struct aml *a, const struct pci_info *p)
{
	struct aml_res r;
	struct aml_addr bus = {
		AML_RES_BUS, true, false, false, p->bus_start, p->bus_end, 0,
		p->bus_end - p->bus_start + 1,
	};

	aml_res_init(&r);
	aml_res_addr(&r, &bus);
	for (unsigned i = 0; i < p->nwin; i++) {
		const struct pci_window *w = &p->win[i];
		struct aml_addr x = {
			w->space == 1 ? AML_RES_IO : AML_RES_MEM, true,
			w->prefetch, w->space == 1, w->pci, w->pci + w->size - 1,
			w->cpu - w->pci, w->size,
		};

		aml_res_addr(&r, &x);
	}
	aml_name_decl(a, "_CRS");
	aml_res_end(&r, a);
}

/* _PRT: Package { Package { slot << 16 | 0xffff, pin, 0, GSIV } ... } */
static void pci_prt(struct aml *a, const struct pci_info *p)
{
	if (!p->nimap)
		return;
	aml_name_decl(a, "_PRT");
	aml_package(a, p->nimap);
	for (unsigned i = 0; i < p->nimap; i++) {
		aml_package(a, 4);
		aml_int(a, (uint32_t)p->imap[i].slot << 16 | 0xffff);
		aml_int(a, p->imap[i].pin);
		aml_int(a, 0);
		aml_int(a, p->imap[i].gsiv);
		aml_close(a);
	}
	aml_close(a);
}

/* RES0: the ECAM window as motherboard resources (PNP0C02), so the OS
 * knows it is reserved (PCI Firmware Spec 3.2, 4.1.2). */
static void pci_res0(struct aml *a, const struct pci_info *p)
{
	struct aml_res r;
	uint64_t len = (uint64_t)(p->bus_end - p->bus_start + 1) << 20;
	struct aml_addr ecam = {
		AML_RES_MEM, false, false, false, p->ecam, p->ecam + len - 1,
		0, len,
	};

	aml_device(a, "RES0");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_res_init(&r);
	aml_res_addr(&r, &ecam);
	aml_name_decl(a, "_CRS");
	aml_res_end(&r, a);
	aml_close(a);
}

/*
 * _OSC (PCI Firmware Spec 3.2, 4.5): there is no firmware-first handling
 * behind these tables, so every control the OS asks for is granted (the
 * returned Capabilities Buffer is the request), as a DT boot has them.
 */
static void pci_osc(struct aml *a)
{
	aml_method(a, "_OSC", 4, false);
	aml_create_dword_field(a, 3, 0, "CDW1");
	aml_if(a);
	aml_op(a, AML_LEQUAL);
	aml_arg(a, 0);
	aml_uuid(a, PCI_HOST_OSC_UUID);
	aml_if(a);
	aml_op(a, AML_LNOT);
	aml_op(a, AML_LEQUAL);
	aml_arg(a, 1);
	aml_int(a, 1);
	aml_op(a, AML_OR);
	aml_name(a, "CDW1");
	aml_int(a, OSC_BAD_REVISION);
	aml_name(a, "CDW1");
	aml_close(a);
	aml_return(a);
	aml_arg(a, 3);
	aml_close(a);
	aml_op(a, AML_OR);
	aml_name(a, "CDW1");
	aml_int(a, OSC_BAD_UUID);
	aml_name(a, "CDW1");
	aml_return(a);
	aml_arg(a, 3);
	aml_close(a);
}

static void pci(struct aml *a, const struct board *b)
{
	const struct pci_info *p = &b->pci;

	if (!b->has_pci)
		return;
	aml_device(a, "PCI0");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name_decl(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	name_int(a, "_SEG", p->segment);
	name_int(a, "_BBN", p->bus_start);
	name_int(a, "_UID", p->segment);
	name_int(a, "_CBA", p->ecam - ((uint64_t)p->bus_start << 20));
	if (p->coherent)
		name_int(a, "_CCA", 1);
	pci_prt(a, p);
	pci_crs(a, p);
	pci_osc(a);
	pci_res0(a, p);
	aml_close(a);
}

int table_dsdt(struct out *o, const struct board *b)
{
	size_t room;
	uint8_t *p = out_free(o, &room);
	struct aml a;

	if (!p || room < ACPI_HDR_LEN)
		return -ENOSPC;
	aml_init(&a, p + ACPI_HDR_LEN, room - ACPI_HDR_LEN);
	aml_scope(&a, "\\_SB");
	cpus(&a, b);
	uart(&a, b);
	virtio(&a, b);
	power_button(&a, b);
	others(&a, b);
	pci(&a, b);
	aml_close(&a);
	if (a.err)
		return a.err;
	/* Revision 2: integers are 64 bits. */
	return out_table_written(o, "DSDT", ACPI_HDR_LEN + a.len, 2) ? 0 : o->err;
}
