/* SPDX-License-Identifier: Apache-2.0 */
/* The hypervisor's console: lines prefixed "verge-hv: " on the UART the
 * guest also uses (the guest owns it; the hypervisor only writes). */
#ifndef CORE_CONSOLE_H
#define CORE_CONSOLE_H

void console_init(unsigned long uart_base);
void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Raw output without the prefix and newline, for multi-part dumps. */
void hv_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For what a guest does wrong: limited, so a guest cannot flood the
 * console. */
void hv_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
