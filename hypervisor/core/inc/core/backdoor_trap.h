/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The backdoor in the hypervisor: the trapping instructions, guest
 * memory, host time and the management requests around the pure logic of
 * backdoor.h, guestmsg.h and rpci.h. One lock serialises every vCPU's
 * calls and the management channel's changes.
 */
#ifndef CORE_BACKDOOR_TRAP_H
#define CORE_BACKDOOR_TRAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpu;
struct trap_frame;

void backdoor_init(void);
/* `mrs xzr, mdccsr_el0` or `hvc #0x86`: false when x7 names no backdoor
 * call (the caller emulates the instruction), else the call is done. */
bool backdoor_trap(struct cpu *c, struct trap_frame *f);

/* Management requests (one at a time, on any CPU): 0 or a negative
 * errno. */
int backdoor_guestinfo_set(const void *payload, size_t len);
int backdoor_tclo_push(const void *text, size_t len);
void backdoor_host_time_set(uint64_t unix_ns);
#endif
