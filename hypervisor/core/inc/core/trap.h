/* SPDX-License-Identifier: Apache-2.0 */
/* Entry points from the EL2 vectors for traps from the guest. */
#ifndef CORE_TRAP_H
#define CORE_TRAP_H
#include <stdint.h>

struct trap_frame;
struct cpu;

void trap_guest_sync(struct trap_frame *f);
void trap_guest_irq(struct trap_frame *f);
void trap_guest_serror(struct trap_frame *f);
/* At EL2, interrupts masked: sleeps (wfi) until one is pending, then
 * handles what is: the hypervisor's own, and the guest's into its LRs. */
void trap_wait_irq(struct cpu *c);

/* Handlers in their own files. */
void psci_handle(struct cpu *c, struct trap_frame *f);
void hypercall_handle(struct cpu *c, struct trap_frame *f);
#endif
