// SPDX-License-Identifier: Apache-2.0
/* Console output with a lock so that lines from two CPUs do not mix. */
#include <arch/sysreg.h>
#include <core/console.h>
#include <core/spinlock.h>
#include <drivers/pl011.h>
#include <printf.h>
#include <stdarg.h>

#define QEMU_VIRT_UART	0x09000000UL

static unsigned long uart = QEMU_VIRT_UART;
static struct spinlock lock;

void console_init(unsigned long uart_base)
{
	if (uart_base)
		uart = uart_base;
}

/* Exclusives need the MMU on (normal memory); before that, one CPU runs. */
static int mmu_on(void)
{
	return read_sysreg(sctlr_el2) & 1;
}

static void console_lock(void)
{
	if (mmu_on())
		spin_lock(&lock);
}

static void console_unlock(void)
{
	if (mmu_on())
		spin_unlock(&lock);
}

static void put_str(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			pl011_putc(uart, '\r');
		pl011_putc(uart, *s);
	}
}

static void vlog(const char *prefix, const char *fmt, va_list ap,
		 const char *suffix)
{
	char buf[256];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	console_lock();
	put_str(prefix);
	put_str(buf);
	put_str(suffix);
	console_unlock();
}

void hv_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("verge-hv: ", fmt, ap, "\n");
	va_end(ap);
}

void hv_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, "");
	va_end(ap);
}

#define REPORT_LIMIT	64

void hv_report(const char *fmt, ...)
{
	static unsigned count;
	unsigned n = __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (n > REPORT_LIMIT)
		return;
	if (n == REPORT_LIMIT) {
		hv_log("further guest fault reports suppressed");
		return;
	}
	va_start(ap, fmt);
	vlog("verge-hv: ", fmt, ap, "\n");
	va_end(ap);
}
