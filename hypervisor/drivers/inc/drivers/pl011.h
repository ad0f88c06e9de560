/* SPDX-License-Identifier: Apache-2.0 */
/* ARM PL011 UART, transmit only. */
#ifndef DRIVERS_PL011_H
#define DRIVERS_PL011_H

void pl011_putc(unsigned long base, char c);
#endif
