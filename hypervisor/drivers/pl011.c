// SPDX-License-Identifier: Apache-2.0
/* ARM PL011 UART: the hypervisor writes; the guest owns the device. */
#include <drivers/pl011.h>
#include <stdint.h>

#define UART_DR		0x00
#define UART_FR		0x18
#define UART_FR_TXFF	(1u << 5)

void pl011_putc(unsigned long base, char c)
{
	volatile uint32_t *fr = (volatile uint32_t *)(base + UART_FR);

	while (*fr & UART_FR_TXFF)
		;
	*(volatile uint32_t *)(base + UART_DR) = (unsigned char)c;
}
