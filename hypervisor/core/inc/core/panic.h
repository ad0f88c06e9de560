/* SPDX-License-Identifier: Apache-2.0 */
/* Fatal errors: print what is known and stop every CPU. */
#ifndef CORE_PANIC_H
#define CORE_PANIC_H

struct trap_frame;

void hv_panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* An exception taken at EL2 itself: a hypervisor bug. */
void hv_fault(struct trap_frame *f, unsigned vector) __attribute__((noreturn));
/* Stop this CPU for good (others are stopped by hv_panic). */
void hv_halt(void) __attribute__((noreturn));
/* Called on every CPU that takes the hypervisor SGI. */
void panic_sgi(void);
#endif
