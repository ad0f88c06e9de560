/*
 * PSCI from the guest: SMC traps (HCR_EL2.TSC) and is forwarded to the
 * firmware (QEMU) with smc #0 from EL2, except CPU_ON, which starts the
 * target CPU in the hypervisor first.
 */
#include <arch/arch.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/trap.h>
#include <verge_proto.h>

#define PSCI_CPU_OFF		0x84000002u
#define PSCI_CPU_ON_32		0x84000003u
#define PSCI_CPU_ON_64		0xc4000003u
#define PSCI_SYSTEM_OFF		0x84000008u
#define PSCI_SYSTEM_RESET	0x84000009u
#define PSCI_INVALID_PARAMS	((uint64_t)-2)
#define PSCI_INVALID_ADDRESS	((uint64_t)-9)
#define MPIDR_AFF_MASK		0xff00ffffffUL

static int cpu_index(uint64_t mpidr)
{
	for (unsigned i = 0; i < hv.plat.ncpus && i < HV_MAX_CPUS; i++)
		if (hv.plat.cpu_mpidr[i] == (mpidr & MPIDR_AFF_MASK))
			return (int)i;
	return -1;
}

static void power_event(uint32_t what, uint32_t cpu)
{
	struct vp_ev_power ev = { .what = what, .cpu = cpu };

	mgmt_event(VP_EV_POWER, &ev, sizeof(ev));
}

static uint64_t cpu_on(uint64_t target, uint64_t entry, uint64_t context)
{
	int idx = cpu_index(target);
	uint64_t args[8] = { PSCI_CPU_ON_64, target,
			     (uint64_t)(uintptr_t)secondary_entry };
	uint64_t r;

	if (idx < 0)
		return PSCI_INVALID_PARAMS;
	if (entry >= hv.base && entry < hv.end)
		return PSCI_INVALID_ADDRESS;
	hv_cpus[idx].entry = entry;
	hv_cpus[idx].context = context;
	args[3] = (uint64_t)idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r = smc_call(args).x0;
	if (r == 0)
		power_event(VP_POWER_CPU_ON, (uint32_t)idx);
	return r;
}

static void forward(struct trap_frame *f)
{
	struct smc_result r = smc_call(f->x);

	f->x[0] = r.x0;
	f->x[1] = r.x1;
	f->x[2] = r.x2;
	f->x[3] = r.x3;
}

void psci_handle(struct cpu *c, struct trap_frame *f)
{
	uint32_t fn = (uint32_t)f->x[0];

	switch (fn) {
	case PSCI_CPU_ON_32:
		f->x[0] = cpu_on(f->x[1] & 0xffffffff, f->x[2] & 0xffffffff,
				 f->x[3] & 0xffffffff);
		return;
	case PSCI_CPU_ON_64:
		f->x[0] = cpu_on(f->x[1], f->x[2], f->x[3]);
		return;
	case PSCI_CPU_OFF:
		c->online = false;
		power_event(VP_POWER_CPU_OFF, c->id);
		break;
	case PSCI_SYSTEM_OFF:
		hv_log("guest powered the system off");
		stats_print();
		power_event(VP_POWER_OFF, c->id);
		break;
	case PSCI_SYSTEM_RESET:
		hv_log("guest reset the system: the hypervisor restarts with it");
		stats_print();
		power_event(VP_POWER_RESET, c->id);
		break;
	}
	forward(f);
	if (fn == PSCI_CPU_OFF)	/* CPU_OFF only returns on failure */
		c->online = true;
}
