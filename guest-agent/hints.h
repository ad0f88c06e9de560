/* SPDX-License-Identifier: Apache-2.0 */
/* Platform hints about a hypervisor: the device tree, DMI (SMBIOS) and,
 * on x86, CPUID. Each names a hypervisor only when it says so itself. */
#ifndef VGA_HINTS_H
#define VGA_HINTS_H

#include <stdbool.h>

#define HINT_LEN 64

struct hints {
	char dt_hypervisor[HINT_LEN];	/* /proc/device-tree/hypervisor/compatible */
	char dt_compatible[HINT_LEN];	/* the machine's first compatible */
	char dt_model[HINT_LEN];
	char dmi_sys_vendor[HINT_LEN];
	char dmi_product_name[HINT_LEN];
	char dmi_bios_vendor[HINT_LEN];
	char cpuid_vendor[13];		/* leaf 0x40000000, x86 only */
	bool cpuid_hv_bit;		/* CPUID.1:ECX[31] */
	bool kvm_dev;			/* /dev/kvm: this kernel owns EL2/VMX */
	const char *named;		/* hypervisor the hints name, or NULL */
	const char *named_by;		/* the hint that named it */
};

/* Reads whatever exists (absent files leave fields empty); never fails. */
void hints_read(struct hints *h);
/* The hypervisor a hint string names (table lookup), or NULL. Exposed
 * for the unit tests. source: "cpuid", "dt", "dmi". */
const char *hints_match(const char *source, const char *value);

#endif
