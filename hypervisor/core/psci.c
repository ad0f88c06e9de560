// SPDX-License-Identifier: Apache-2.0
/*
 * PSCI and SMCCC from the guest: SMC traps (HCR_EL2.TSC) and meets an
 * allow-list. Only the calls below are answered; each is either answered
 * here or passed to the firmware (QEMU) with arguments the hypervisor
 * built itself from checked values, never with the guest's registers.
 * Everything else, PSCI 0.1 included (QEMU's 0.1 CPU_ON would start a CPU
 * at EL2 at the guest's address), gets NOT_SUPPORTED. docs/hypervisor.md
 * gives the list and the reason for each entry.
 */
#include <arch/arch.h>
#include <arch/sysreg.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/trap.h>
#include <verge_proto.h>
#include <verge_psci.h>

#define MPIDR_AFF_MASK		0xff00ffffffUL
#define SMCCC_FN_64		(1u << 30)

/* The index of the CPU with exactly this MPIDR affinity, or -1. */
static int cpu_index(uint64_t mpidr)
{
	if (mpidr & ~MPIDR_AFF_MASK)
		return -1;
	for (unsigned i = 0; i < hv.plat.ncpus && i < HV_MAX_CPUS; i++)
		if (hv.plat.cpu_mpidr[i] == mpidr)
			return (int)i;
	return -1;
}

/* Guest RAM: a memory region of the machine, outside the hypervisor. */
static bool guest_ram(uint64_t a)
{
	const struct region *r;

	if (a >= hv.base && a < hv.end)
		return false;
	r = platform_find(&hv.plat, a);
	return r && r->kind == REGION_RAM;
}

static void power_event(uint32_t what, uint32_t cpu)
{
	struct vp_ev_power ev = { .what = what, .cpu = cpu };

	mgmt_event(VP_EV_POWER, &ev, sizeof(ev));
}

/* A firmware call with only the given arguments; returns its x0. */
static int64_t firmware(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t args[8] = { fn, a1, a2, a3 };

	return (int64_t)smc_call(args).x0;
}

/* The target starts in the hypervisor (secondary_entry), which enters
 * the guest at entry once it has set the CPU up. */
static int64_t cpu_on(uint64_t target, uint64_t entry, uint64_t context)
{
	int idx = cpu_index(target);
	int64_t r;

	if (idx < 0)
		return PSCI_INVALID_PARAMS;
	if (!guest_ram(entry) || (entry & 3))
		return PSCI_INVALID_ADDRESS;
	if (hv_cpus[idx].online)
		return PSCI_ALREADY_ON;
	/* One caller at a time: QEMU's firmware says SUCCESS again until
	 * the target actually runs, and would merge the two starts. */
	if (__atomic_exchange_n(&hv_cpus[idx].starting, true, __ATOMIC_SEQ_CST))
		return PSCI_ON_PENDING;
	hv_cpus[idx].entry = entry;
	hv_cpus[idx].context = context;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r = firmware(PSCI_CPU_ON_64, hv.plat.cpu_mpidr[idx],
		     (uint64_t)(uintptr_t)secondary_entry, (uint64_t)idx);
	if (r == PSCI_SUCCESS)
		power_event(VP_POWER_CPU_ON, (uint32_t)idx);
	else
		__atomic_store_n(&hv_cpus[idx].starting, false, __ATOMIC_SEQ_CST);
	return r;
}

/* Every state is a standby that returns here: a power-down request
 * resumes after the SMC, never at an entry point (as QEMU does). */
static int64_t cpu_suspend(uint64_t power_state)
{
	if (power_state & PSCI_SUSPEND_RES_MASK)
		return PSCI_INVALID_PARAMS;
	wfi();
	return PSCI_SUCCESS;
}

static int64_t affinity_info(uint64_t target, uint64_t level)
{
	int idx = cpu_index(target);

	if (idx < 0 || level != 0)
		return PSCI_INVALID_PARAMS;
	return firmware(PSCI_AFFINITY_INFO_64, hv.plat.cpu_mpidr[idx], 0, 0);
}

/* Only a refusal returns. QEMU's firmware may come back to the SMC's
 * next instruction before its power-off takes effect (x0 unchanged): that
 * CPU waits here, masked, for it, and never runs the guest again. */
static int64_t cpu_off(struct cpu *c)
{
	c->online = false;
	mgmt_cpu_off(c);	/* host requests: answered by a CPU still on */
	power_event(VP_POWER_CPU_OFF, c->id);
	if (firmware(PSCI_CPU_OFF, 0, 0, 0) == PSCI_DENIED) {
		c->online = true;
		return PSCI_DENIED;
	}
	for (;;)
		wfi();
}

static void system_off(struct cpu *c, uint32_t fn)
{
	if (fn == PSCI_SYSTEM_OFF) {
		hv_log("guest powered the system off");
		stats_print();
		power_event(VP_POWER_OFF, c->id);
	} else {
		hv_log("guest reset the system: the hypervisor restarts with it");
		stats_print();
		power_event(VP_POWER_RESET, c->id);
	}
	firmware(fn, 0, 0, 0);
}

/* PSCI_FEATURES: 0 (no feature flags) for what this file answers. */
static int64_t psci_features(uint32_t fn)
{
	switch (fn) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return PSCI_SUCCESS;
	default:
		return PSCI_NOT_SUPPORTED;
	}
}

/* SMCCC_ARCH_FEATURES: no firmware workaround or SoC ID is offered. */
static int64_t arch_features(uint32_t fn)
{
	if (fn == SMCCC_VERSION || fn == SMCCC_ARCH_FEATURES)
		return PSCI_SUCCESS;
	return SMCCC_NOT_SUPPORTED;
}

static int64_t dispatch(struct cpu *c, uint32_t fn, const uint64_t a[3])
{
	switch (fn) {
	case PSCI_VERSION:
		return PSCI_VERSION_1_0;
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		return cpu_suspend(a[0]);
	case PSCI_CPU_OFF:
		return cpu_off(c);
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		return cpu_on(a[0], a[1], a[2]);
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		return affinity_info(a[0], a[1]);
	case PSCI_MIGRATE_INFO_TYPE:
		return PSCI_TOS_NOT_PRESENT;
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
		system_off(c, fn);
		return PSCI_DENIED;	/* the firmware refused */
	case PSCI_FEATURES:
		return psci_features((uint32_t)a[0]);
	case SMCCC_VERSION:
		return SMCCC_VERSION_1_1;
	case SMCCC_ARCH_FEATURES:
		return arch_features((uint32_t)a[0]);
	default:
		return SMCCC_NOT_SUPPORTED;
	}
}

void psci_handle(struct cpu *c, struct trap_frame *f)
{
	uint32_t fn = (uint32_t)f->x[0];
	uint64_t mask = fn & SMCCC_FN_64 ? UINT64_MAX : UINT32_MAX;
	uint64_t a[3] = { f->x[1] & mask, f->x[2] & mask, f->x[3] & mask };

	f->x[0] = (uint64_t)dispatch(c, fn, a);
}
