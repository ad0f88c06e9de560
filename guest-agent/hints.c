// SPDX-License-Identifier: Apache-2.0
/* Platform hints (see hints.h). Names follow systemd-detect-virt's. */
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "hints.h"

/* One place for what each hint value means. A value matches when it
 * starts with `prefix`. Only identifications a hypervisor makes of
 * itself are listed: QEMU's "linux,dummy-virt" machine is no hypervisor
 * (TCG runs the kernel on the emulated hardware itself). */
static const struct {
	const char *source;
	const char *prefix;
	const char *name;
} table[] = {
	{ "cpuid", "KVMKVMKVM", "kvm" },
	{ "cpuid", "VMwareVMware", "vmware" },
	{ "cpuid", "Microsoft Hv", "microsoft" },
	{ "cpuid", "XenVMMXenVMM", "xen" },
	{ "cpuid", "TCGTCGTCGTCG", "qemu" },
	{ "cpuid", "VBoxVBoxVBox", "oracle" },
	{ "cpuid", "bhyve bhyve ", "bhyve" },
	{ "cpuid", "ACRNACRNACRN", "acrn" },
	{ "cpuid", "QNXQVMBSQG", "qnx" },
	{ "cpuid", "Linux KVM Hv", "kvm" },
	{ "dt", "verge,", "verge" },
	{ "dt", "xen,", "xen" },
	{ "dt", "linux,kvm", "kvm" },
	{ "dt", "vmware", "vmware" },
	{ "dmi", "VMware", "vmware" },
	{ "dmi", "QEMU", "qemu" },
	{ "dmi", "KVM", "kvm" },
	{ "dmi", "Xen", "xen" },
	{ "dmi", "innotek GmbH", "oracle" },
	{ "dmi", "VirtualBox", "oracle" },
	{ "dmi", "Microsoft Corporation Virtual", "microsoft" },
	{ "dmi", "Amazon EC2", "amazon" },
	{ "dmi", "Google Compute Engine", "google" },
	{ "dmi", "Parallels", "parallels" },
	{ "dmi", "BHYVE", "bhyve" },
	{ "dmi", "Apple Virtualization", "apple" },
};

const char *hints_match(const char *source, const char *value)
{
	size_t i;

	if (!value || !*value)
		return NULL;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].source, source) &&
		    !strncmp(value, table[i].prefix, strlen(table[i].prefix)))
			return table[i].name;
	return NULL;
}

/* The first line (or first NUL-separated string, for DT properties) of a
 * small file, printable characters only. */
static void read_hint(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	size_t i;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	for (i = 0; i < (size_t)n; i++) {
		if (buf[i] == '\n' || buf[i] == '\0') {
			buf[i] = '\0';
			break;
		}
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = '?';
	}
}

#if defined(__x86_64__)
#include <cpuid.h>

static void read_cpuid(struct hints *h)
{
	unsigned a, b, c, d;

	__cpuid(1, a, b, c, d);
	h->cpuid_hv_bit = c & (1u << 31);
	if (!h->cpuid_hv_bit)
		return;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(h->cpuid_vendor + 0, &b, 4);
	memcpy(h->cpuid_vendor + 4, &c, 4);
	memcpy(h->cpuid_vendor + 8, &d, 4);
	h->cpuid_vendor[12] = '\0';
}
#else
static void read_cpuid(struct hints *h)
{
	(void)h;
}
#endif

static void name_it(struct hints *h, const char *source, const char *value,
		    const char *what)
{
	if (!h->named && (h->named = hints_match(source, value)))
		h->named_by = what;
}

void hints_read(struct hints *h)
{
	char both[2 * HINT_LEN + 1];

	memset(h, 0, sizeof(*h));
	read_hint("/proc/device-tree/hypervisor/compatible", h->dt_hypervisor,
		  sizeof(h->dt_hypervisor));
	read_hint("/proc/device-tree/compatible", h->dt_compatible,
		  sizeof(h->dt_compatible));
	read_hint("/proc/device-tree/model", h->dt_model, sizeof(h->dt_model));
	read_hint("/sys/class/dmi/id/sys_vendor", h->dmi_sys_vendor,
		  sizeof(h->dmi_sys_vendor));
	read_hint("/sys/class/dmi/id/product_name", h->dmi_product_name,
		  sizeof(h->dmi_product_name));
	read_hint("/sys/class/dmi/id/bios_vendor", h->dmi_bios_vendor,
		  sizeof(h->dmi_bios_vendor));
	read_cpuid(h);
	h->kvm_dev = access("/dev/kvm", F_OK) == 0;

	name_it(h, "cpuid", h->cpuid_vendor, "cpuid");
	name_it(h, "dt", h->dt_hypervisor, "dt-hypervisor");
	/* "Microsoft Corporation" names Hyper-V only with its product. */
	memcpy(both, h->dmi_sys_vendor, strlen(h->dmi_sys_vendor) + 1);
	strcat(both, " ");
	strcat(both, h->dmi_product_name);
	name_it(h, "dmi", both, "dmi");
	name_it(h, "dmi", h->dmi_product_name, "dmi");
	name_it(h, "dmi", h->dmi_bios_vendor, "dmi");
}
