/* SPDX-License-Identifier: Apache-2.0 */
/* The arm64 hooks the core calls. */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H
#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

struct smc_result {
	uint64_t x0, x1, x2, x3;
};

/* SMCCC call from EL2 (QEMU implements PSCI for it). */
struct smc_result smc_call(const uint64_t args[8]);

/* Exceptions injected into the guest's EL1, as the hardware would. */
void inject_undef(struct trap_frame *f);
void inject_abort(struct trap_frame *f, bool instruction, bool write,
		  uint64_t far);
/* A trapped MSR/MRS (EC 0x18, this ISS) taken to EL1, e.g. MDSCR_EL1.TDCC. */
void inject_sysreg_trap(struct trap_frame *f, uint32_t iss);

/* Breakpoint and watchpoint registers n (n < dbg_count(kind)). */
enum dbg_kind { DBG_BVR, DBG_BCR, DBG_WVR, DBG_WCR, DBG_NKINDS };
unsigned dbg_count(enum dbg_kind k);
uint64_t dbg_read(enum dbg_kind k, unsigned n);
void dbg_write(enum dbg_kind k, unsigned n, uint64_t v);
/* PMU registers by encoding (pmuregs.c): false for an encoding that is
 * not a PMU register this PMU has, or not in that direction. */
struct sysreg_info;
unsigned pmu_counters(void);
bool pmu_reg_access(const struct sysreg_info *s, uint64_t *v);

/* A guest VA through the guest's stage 1 (EL0 or EL1 view) and stage 2:
 * 0 and the PA, or -EFAULT. */
int guest_translate(uint64_t va, bool write, bool el0, uint64_t *ret_pa);
bool guest_caches_off(void);
void dcache_civac_range(uint64_t start, uint64_t size);
/* rng.c: a number from the core's RNDR (false: no FEAT_RNG or none now),
 * and the physical counter. */
bool arch_random(uint64_t *ret);
uint64_t arch_counter(void);

/* cpufeat.c: the core's ID register (3, 0, 0, crm, op2) where it is one
 * core/idregs.c passes on; false for any other encoding. */
bool arch_id_read(unsigned crm, unsigned op2, uint64_t *ret);

/* EL2 stage-1: identity map, device below 1 GiB, normal memory above. */
void mmu_init(void);
void mmu_enable(void);
/* Maps [pa, pa + size) as Device memory at EL2, at an address of its own
 * (the identity map may say Normal there): that address, 0 when full. */
uintptr_t mmu_map_device(uint64_t pa, uint64_t size);

/* Per-CPU EL2 controls for running the guest with the given stage-2. */
void arch_guest_init(uint64_t stage2_root);
/* Sets SP to sp and erets to EL1h at entry with x0; x1-x30 zero. */
void guest_enter(uint64_t entry, uint64_t x0, uint64_t sp)
	__attribute__((noreturn));
void dcache_clean_range(uint64_t start, uint64_t size);
#endif
