// SPDX-License-Identifier: Apache-2.0
/*
 * The secondary vCPU: started by the cpu_on test, it records how it
 * entered, sets up its GIC CPU interface and then waits for SGIs forever,
 * running the jobs CPU 0 posts (smp_post). It never prints; CPU 0 reads
 * struct smp.
 */
#include "gic.h"
#include "guest.h"

struct smp_state smp;

void secondary_main(uint64_t ctx, uint64_t el)
{
	vectors_install();
	smp.ctx = ctx;
	smp.el = el;
	smp.gic_ok = gic_init_cpu() == 0;
	dsb();
	smp.started = 1;
	dsb();
	irq_enable();
	for (;;) {
		void (*job)(void) = smp.job;

		if (job) {
			smp.job = NULL;
			dsb();
			job();
		}
		wfi();
	}
}

/* The SGI only wakes CPU 1 from its WFI; the job runs after it. */
#define SGI_WAKE	3

void smp_post(void (*fn)(void))
{
	smp.job = fn;
	dsb();
	gic_send_sgi(SGI_WAKE, CPU1_MPIDR);
}

void smp_sgi(uint32_t intid)
{
	smp.last_sgi = intid;
	if (cpu_id() == 0)
		smp.sgi_mask |= 1u << intid;
	dsb();
	smp.sgi_count++;
}
