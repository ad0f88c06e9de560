// SPDX-License-Identifier: Apache-2.0
/*
 * The secondary vCPU: started by the cpu_on test, it records how it
 * entered, sets up its GIC CPU interface and then waits for SGIs forever.
 * It never prints; CPU 0 reads struct smp.
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
	for (;;)
		wfi();
}

void smp_sgi(uint32_t intid)
{
	smp.last_sgi = intid;
	if (cpu_id() == 0)
		smp.sgi_mask |= 1u << intid;
	dsb();
	smp.sgi_count++;
}
