/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-physical-CPU state. verge runs one vCPU per physical CPU, pinned, so
 * the guest's EL1 system registers stay in hardware and only the general
 * registers are saved, on the EL2 stack, in a trap frame.
 */
#ifndef CORE_CPU_H
#define CORE_CPU_H
#include <core/stats.h>
#include <core/vgic.h>
#include <core/vtime.h>
#include <stdbool.h>
#include <stdint.h>

#define HV_MAX_CPUS	8
#define HV_STACK_SIZE	(16 * 1024)

struct trap_frame {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
	uint64_t pad;
};

struct cpu {
	unsigned id;
	uint64_t mpidr;
	bool online;
	bool starting;		/* CPU_ON accepted, not yet online */
	/* Where the guest asked this CPU to start (PSCI CPU_ON). */
	uint64_t entry;
	uint64_t context;
	/* Hypervisor tick (EL2 physical timer, PPI 26). */
	uint64_t ticks;
	uint64_t next_tick;
	uintptr_t gicr;		/* this CPU's redistributor RD_base */
	struct trap_frame *frame;	/* the guest's registers, during a trap */
	struct vgic_cpu vgic;
	struct vtime_cpu vt;
	uint64_t mdscr;		/* the guest's MDSCR_EL1 (TDCC emulated) */
	struct exit_stats stats;
};

/* A trapped instruction's transfer register Rt: 31 is XZR (reads 0,
 * writes are dropped). */
static inline uint64_t frame_reg(const struct trap_frame *f, unsigned r)
{
	return r == 31 ? 0 : f->x[r];
}

static inline void frame_set_reg(struct trap_frame *f, unsigned r,
				 uint64_t v)
{
	if (r != 31)
		f->x[r] = v;
}

extern struct cpu hv_cpus[HV_MAX_CPUS];
extern unsigned hv_ncpus;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(c));
	return c;
}

/* boot.S: where CPUs started by PSCI CPU_ON begin, at EL2. */
void secondary_entry(void);
#endif
