// SPDX-License-Identifier: Apache-2.0
/* PL011 console of QEMU virt: transmit only, polled. */
#include "guest.h"

#define UART_BASE	0x09000000ul
#define UART_DR		0x00
#define UART_FR		0x18
#define UART_FR_TXFF	(1u << 5)

/* A transmitter stuck for 10 ms loses the character rather than hang. */
void uart_putc(char c)
{
	uint64_t end = 0;

	if (c == '\n')
		uart_putc('\r');
	while (mmio_read32(UART_BASE + UART_FR) & UART_FR_TXFF) {
		if (!end)
			end = timer_now() + ms_to_ticks(10);
		else if (timer_now() >= end)
			return;
	}
	mmio_write32(UART_BASE + UART_DR, (uint8_t)c);
}
