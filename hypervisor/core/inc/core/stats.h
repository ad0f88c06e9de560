/* SPDX-License-Identifier: Apache-2.0 */
/* Exit counters, by class, per CPU. */
#ifndef CORE_STATS_H
#define CORE_STATS_H
#include <stdint.h>

enum exit_class {
	EXIT_IRQ,	/* a guest interrupt forwarded */
	EXIT_SGI,	/* a guest IPI forwarded */
	EXIT_TICK,	/* the hypervisor's own timer */
	EXIT_MAINT,	/* GIC maintenance: list registers refilled */
	EXIT_HVC,
	EXIT_SMC,
	EXIT_SYSREG,
	EXIT_DABT,
	EXIT_IABT,
	EXIT_OTHER,
	EXIT_NCLASSES,
};

struct exit_stats {
	uint64_t total;
	uint64_t by_class[EXIT_NCLASSES];
};

void stats_print(void);
/* The same, stamped with the physical counter value given. */
void stats_print_at(uint64_t counter);
#endif
