/* SPDX-License-Identifier: Apache-2.0 */
/* Common definitions of the bare-metal EL1 test guest. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define read_sysreg(r) __extension__({ uint64_t v_; \
	__asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define write_sysreg(r, v) \
	__asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

static inline void isb(void) { __asm__ volatile("isb" : : : "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb sy" : : : "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" : : : "memory"); }
static inline void irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" : : : "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" : : : "memory");
}

/* Single loads and stores without writeback, so a trap has a valid ISS. */
static inline uint32_t mmio_read32(uintptr_t a)
{
	uint32_t v;
	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline void mmio_write32(uintptr_t a, uint32_t v)
{
	__asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static inline uint64_t mmio_read64(uintptr_t a)
{
	uint64_t v;
	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

#define MPIDR_AFF_MASK 0xff00ffffffULL

static inline unsigned cpu_id(void)
{
	return read_sysreg(mpidr_el1) & 0xff;
}

/* uart.c, print.c */
void uart_putc(char c);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/* main.c: the test runner */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool expect_eq(const char *what, uint64_t got, uint64_t want);
const char *current_test(void);
/* Whether word appears in the DT blob the guest was given. */
bool dt_has(const char *word);
void __attribute__((noreturn)) finish(void);

/* exceptions.c: catching one expected synchronous exception */
struct fault {
	uint64_t esr;
	uint64_t far;
	uint64_t elr;
};

#define ESR_EC(esr)	(((esr) >> 26) & 0x3f)
#define ESR_WNR		(1u << 6)
#define EC_UNKNOWN	0x00
#define EC_IABT_CUR	0x21
#define EC_DABT_CUR	0x25
#define FSC_SEA		0x10

extern char vectors[];
void vectors_install(void);
void probe_arm(void);
bool probe_result(struct fault *ret_fault);
uint32_t irq_unexpected(void);

/* el0.S + backdoor.c: running a few instructions at EL0 */
struct el0_ctx {
	uint64_t x[8];		/* in and out */
	uint64_t pc;		/* EL0 code: ends with an SVC or a fault */
	uint64_t esr;		/* ESR_EL1 of the exception that ended it */
	uint64_t elr;
};
extern struct el0_ctx *el0_cur;
extern char el0_return[], el0_mdccsr_xzr[], el0_mdccsr_x0[];
extern char el0_a32_load[], el0_a32_spin[];
extern uint32_t el0_vector;	/* vector number (offset / 0x80) that ended it */
void el0_run(struct el0_ctx *ctx);
void el0_run32(struct el0_ctx *ctx);
void el0_exit(const uint64_t x[8], uint64_t esr, uint64_t elr);

/* timer.c: CNTVCT time and the periodic virtual timer (PPI 27) */
#define VTIMER_PPI 27
uint64_t timer_now(void);
uint64_t timer_freq(void);
uint64_t ms_to_ticks(uint64_t ms);
void delay_ms(uint64_t ms);
bool wait_change(const volatile uint32_t *p, uint32_t old, uint64_t ms);
void vtimer_start(uint32_t hz);
void vtimer_oneshot(uint64_t cval);
void vtimer_seen(uint64_t *ret_cntvct, uint64_t *ret_ctl);
void vtimer_stop(void);
void vtimer_irq(void);
uint32_t vtimer_count(void);

/* tests_clock.c: the trapped physical timer (PPI 30) */
#define PTIMER_PPI 30
void ptimer_irq(void);

/* smp.c: the secondary vCPU, which only records and never prints */
struct smp_state {
	volatile uint64_t ctx;
	volatile uint64_t el;
	volatile uint64_t fault_esr;
	volatile uint32_t started;
	volatile uint32_t gic_ok;
	volatile uint32_t sgi_count;
	volatile uint32_t last_sgi;
	volatile uint32_t sgi_mask;	/* SGIs seen on CPU 0 */
	void (*volatile job)(void);	/* run once by CPU 1 (smp_post) */
};

#define CPU1_MPIDR	1	/* QEMU virt: Aff0 = CPU index */

extern struct smp_state smp;

/* canary.S: the entry point every CPU_ON of the PSCI tests gets */
struct canary_log {
	volatile uint32_t runs;
	volatile uint32_t el_mask;	/* bit n: ran at ELn */
	volatile uint64_t ctx;
};
#define CANARY_EL2	(1u << 2)
extern struct canary_log canary;
void canary_entry(uint64_t ctx);
bool canary_wait_off(uint32_t runs, uint64_t ms);
void secondary_entry(uint64_t ctx);
void secondary_main(uint64_t ctx, uint64_t el);
void smp_sgi(uint32_t intid);
/* Has CPU 1 (running secondary_main) run fn once, with IRQs unmasked. */
void smp_post(void (*fn)(void));

/* cpu_off.S: CPU_OFF of the calling CPU, resumed where it was when
 * another CPU turns it on at cpu_resume_entry with ctx as context id.
 * Returns 0 then (IRQs masked, VBAR_EL1 and the GIC CPU interface to set
 * up again: the CPU starts from reset), or CPU_OFF's error. */
struct cpu_ctx {
	uint64_t x19_x30[12];
	uint64_t sp;
	uint64_t pad;
} __attribute__((aligned(16)));
int64_t cpu_off_resume(struct cpu_ctx *ctx);
void cpu_resume_entry(uint64_t ctx);

/* bench_sieve.c */
uint64_t sieve_requested(void);
void test_sieve(void);

/* tests_*.c */
void test_boot_el(void);
void test_idregs(void);
void test_lr_overflow(void);
void test_psci_version(void);
void test_cpu_on(void);
void test_psci_0_1_cpu_on(void);
void test_smc_not_forwarded(void);
void test_psci_allow_list(void);
void test_el0_aarch32(void);
void test_pmu_no_el2(void);
void test_hv_info(void);
void test_unknown_hvc(void);
void test_hv_memory_fault(void);
void test_hv_memory_exec(void);
void test_hv_ppi_hidden(void);
void test_hv_tick(void);
void test_vtimer_rate(void);
void test_sgi_cross_cpu(void);
void test_ptimer_rate(void);
void test_ptimer_fires_at_cval(void);
void test_ptimer_rearm(void);
void test_cntpct_cost(void);
void test_ptimer_far_cval(void);
void test_vtimer_wfi(void);
void test_vtimer_spin(void);
void test_bd_getversion(void);
void test_bd_errors(void);
void test_bd_uuid(void);
void test_bd_time(void);
void test_bd_mdscr_shadow(void);
void test_bd_debug_regs(void);
void test_bd_el0(void);
void test_bd_rpci(void);
void test_bd_guestinfo_host(void);
void test_bd_bad_cookie(void);
void test_bd_hb_refused(void);
void test_bd_channels(void);
void test_bd_cost(void);
void test_bd_throughput(void);
void test_bd_cookie_unpredictable(void);
void test_bd_relay_rate_limit(void);
void test_gic_ctlr_wide_write(void);
void test_gic_redist_beyond_last(void);
void test_gic_unaligned(void);
void test_gic_hostile_random(void);
/* tests_hostile_gic.c: n random accesses across the GIC windows */
void gic_hostile_run(unsigned n);
void test_hostile_gic(void);
/* tests_wdt.c: the boot guard's watchdog (SPI 14, INTID 46) */
#define WDT_IRQ_INTID 46
void wdt_irq(void);
void test_wdt_regs(void);
void test_wdt_ws0_irq(void);
void test_wdt_sealed_api(void);
void test_wdt_ws0_cpu0_off(void);
void test_wdt_ws0_storm(void);
void test_wdt_ws0_level(void);
void test_wdt_hostile(void);
void test_wdt_expiry(void);
void test_mgmt_cpu0_off(void);
void test_board_wdt_hidden(void);
void test_board_wdt_loader(void);

extern uint64_t boot_el;
extern uint64_t boot_dtb;	/* x0 at entry: the DT, or 0 */

/* tests_ecv.c: exact time with FEAT_ECV ("guest.tests=ecv") */
void test_ecv_present(void);
void test_vcounter_exact(void);
void test_vcounter_el0(void);
void test_vtimer_exact(void);
void test_vcounter_observed(void);
/* main.c: whether word appears in the guest's bootargs */
bool dt_has(const char *word);
void test_vtimer_rearm(void);

/* tests_hostile.c: the hostile-kernel suite */
void test_hostile_calls(void);
void test_hostile_sysregs(void);
/* tests_doorbell.c: the agent's doorbell (SPI 15, INTID 47) */
#define DOORBELL_IRQ_INTID 47
void doorbell_irq(void);
void test_hostile_doorbell(void);
void hostile_linger(void);
extern int gic_status;	/* GIC set-up on CPU 0: 0 or negative */

#endif
