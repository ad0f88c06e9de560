/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Waking up for host commands, and for the changes a report tells
 * (docs/guest-agent.md).
 *
 * The doorbell: verge-hv gives the guest an interrupt-only gpio-keys
 * device labelled "verge-doorbell" and makes its interrupt pending when
 * it queues a TCLO command. Debian's stock kernel drives it (gpio_keys,
 * evdev); the agent finds its /dev/input/eventN by name and sleeps in
 * poll() until it has an event.
 *
 * The watchers: the hostname (/proc/sys/kernel/hostname is pollable:
 * POLLPRI after sethostname), a set realtime clock (a CLOCK_REALTIME
 * timerfd with TFD_TIMER_CANCEL_ON_SET) and the interfaces and
 * addresses (rtnetlink groups). With all three an idle agent needs no
 * periodic check.
 */
#ifndef VGA_DOORBELL_H
#define VGA_DOORBELL_H

#include <poll.h>
#include <stdbool.h>

#define DOORBELL_NAME	"verge-doorbell"

/* The doorbell's event device, opened non-blocking: fd, or -ENOENT when
 * no input device has that name (no doorbell, or its drivers are not
 * loaded), or another negative errno. sysfs and dev are the roots to
 * look in ("/sys/class/input", "/dev/input"). */
int doorbell_open(const char *sysfs, const char *dev);
/* Reads every pending event; how many rings that was (0: none). */
int doorbell_drain(int fd);

enum { W_HOSTNAME, W_CLOCK, W_NET, W_COUNT };

struct watch {
	int fd[W_COUNT];	/* -1 when that one could not be opened */
};

/* Opens what it can; true when all three work (no periodic check
 * needed). */
bool watch_open(struct watch *w);
/* Fills pfd[0..W_COUNT) (fd -1 entries are ignored by poll()). */
void watch_pollfds(const struct watch *w, struct pollfd *pfd);
/* After poll(): consumes what fired and re-arms; true if anything did. */
bool watch_fired(struct watch *w, const struct pollfd *pfd);
void watch_close(struct watch *w);

#endif
