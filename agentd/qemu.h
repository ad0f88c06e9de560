/* SPDX-License-Identifier: Apache-2.0 */
/* The QEMU command line of a VM (qemu.c). */
#ifndef VERGED_QEMU_H
#define VERGED_QEMU_H

struct vm;
struct verged_config;

/* Where verge-hv expects the guest Image (docs/hypervisor.md). */
#define QEMU_KERNEL_ADDR	"0x44000000"

/* A NULL-terminated argv (free with qemu_argv_free), or NULL. */
char **qemu_argv(const struct vm *vm, const struct verged_config *cfg);
void qemu_argv_free(char **argv);
#endif
