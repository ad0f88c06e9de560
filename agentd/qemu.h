/* SPDX-License-Identifier: Apache-2.0 */
/* The QEMU command line of a VM (qemu.c). */
#ifndef VERGED_QEMU_H
#define VERGED_QEMU_H

struct vm;
struct verged_config;

/* Where verge-hv expects the guest Image (docs/hypervisor.md). */
#define QEMU_KERNEL_ADDR	"0x44000000"

/*
 * Checks the configured QEMU binary before verged serves anything: found
 * (in PATH if it has no '/'), executable, its -version parses; fills
 * c->qemu_path, qemu_version, qemu_datadir and the CPU models of its virt
 * machine (qemu_cpus). Logs why and returns -errno when it is unusable.
 */
int qemu_probe(struct verged_config *c);
/*
 * 0 if model is a CPU model the configured QEMU offers; else -EINVAL with
 * a few valid models in hint ("cortex-a57, cortex-a72, ...").
 */
int qemu_cpu_check(const struct verged_config *c, const char *model,
		   char *hint, size_t n);
/* A NULL-terminated argv (free with qemu_argv_free), or NULL. */
char **qemu_argv(const struct vm *vm, const struct verged_config *cfg);
void qemu_argv_free(char **argv);
#endif
