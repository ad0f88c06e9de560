/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact scaling of the virtual counter and timer on cores with FEAT_ECV
 * (Armv8.6). CNTHCTL_EL2.EL1TVCT traps the guest's CNTVCT_EL0 and
 * CNTVCTSS_EL0 reads (EL1, and EL0 where CNTKCTL_EL1 lets EL0 read:
 * the vDSO), EL1TVT its CNTV_CTL/CVAL/TVAL accesses. Trapped, CNTVCT
 * reads return G(P) and CNTV_CVAL becomes a host deadline, as the
 * physical counter and timer are handled (vtime.c): no stalls, no
 * rendezvous, no CNTVOFF steps. While G is natural (one guest tick per
 * host tick: rate 1 at the host's frequency, or a presented frequency
 * alone) and not ahead of P, nothing traps and CNTVOFF_EL2 = P - G keeps
 * CNTVCT on G. Trapped, CNTVOFF_EL2 is 0.
 *
 * A change of G goes: ecv_trap_all() (every vCPU traps before G moves,
 * so no vCPU reads an untrapped CNTVCT ahead of the new G), the change,
 * ecv_changed() (traps off again if G is natural). On the CPU serving
 * the management request, one at a time.
 */
#ifndef CORE_ECV_H
#define CORE_ECV_H
#include <arch/esr.h>
#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct trap_frame;

/* Boot CPU: detect FEAT_ECV; trap: G is not natural at boot. */
void ecv_init(bool trap);
/* True when the exact mode is in use (FEAT_ECV, not verge.dilate=1). */
bool ecv_active(void);
void ecv_cpu_init(struct cpu *c);
/* CNTVCT(SS)_EL0, CNTPCTSS_EL0, CNTV_* traps; false: not one of them. */
bool ecv_sysreg(struct cpu *c, struct trap_frame *f,
		const struct sysreg_info *s);
/* AArch32 EL0 MRRC of CNT[PV]CT(SS) (EC 0x04); false: not one. */
bool ecv_cp15_64(struct cpu *c, struct trap_frame *f, uint64_t esr);
void ecv_trap_all(struct cpu *c);
void ecv_changed(struct cpu *c, bool natural);
/* Another CPU, on the clock SGI: apply the traps, re-arm the vtimer. */
void ecv_sync(struct cpu *c);
/* Adds the trapped virtual counter reads and timer accesses. */
void ecv_stats(uint64_t *counter_traps, uint64_t *timer_traps);
#endif
