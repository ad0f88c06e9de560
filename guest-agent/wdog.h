/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent as the guest's watchdog daemon (`run --watchdog DEV`): it
 * opens the watchdog device the guest OS took over from verge-hv's boot
 * guard (Linux's sbsa_gwdt, docs/bootguard.md), refreshes it every second
 * while it runs, and on a clean stop writes the magic 'V' so the watchdog
 * is disarmed; killed or hung, it stops refreshing and the guest is reset.
 */
#ifndef VGA_WDOG_H
#define VGA_WDOG_H

/* The device opened, or a negative errno. */
int wdog_open(const char *path);
/* One refresh (WDIOC_KEEPALIVE, else a write). 0 or a negative errno. */
int wdog_refresh(int fd);
/* The magic close: disarms the watchdog where the driver allows it. */
void wdog_close(int fd);
#endif
