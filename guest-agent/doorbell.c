// SPDX-License-Identifier: Apache-2.0
/* Waking up for host commands and for changes (doorbell.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "doorbell.h"

/* Whether sysfs/<ent>/device/name is the doorbell's. */
static bool is_doorbell(const char *sysfs, const char *ent)
{
	char path[256], name[64];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s/device/name", sysfs, ent) >=
	    (int)sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, name, sizeof(name) - 1);
	close(fd);
	if (n <= 0)
		return false;
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return strcmp(name, DOORBELL_NAME) == 0;
}

int doorbell_open(const char *sysfs, const char *dev)
{
	char path[256];
	struct dirent *e;
	int fd = -ENOENT;
	DIR *d = opendir(sysfs);

	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "event", 5) ||
		    !is_doorbell(sysfs, e->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dev, e->d_name) >=
		    (int)sizeof(path))
			continue;
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		break;
	}
	closedir(d);
	return fd;
}

int doorbell_drain(int fd)
{
	struct input_event ev[16];
	int rings = 0;
	ssize_t n;

	while ((n = read(fd, ev, sizeof(ev))) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++)
			if (ev[i].type == EV_KEY && ev[i].value == 1)
				rings++;
	return rings;
}

/* --- the watchers -------------------------------------------------- */

/* The hostname file reports a change once per read: read it to re-arm. */
static void rearm_hostname(int fd)
{
	char buf[80];

	lseek(fd, 0, SEEK_SET);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Fires (read fails with ECANCELED) when CLOCK_REALTIME is set; the
 * expiry itself is far away. */
static int arm_clock(int fd)
{
	struct itimerspec its = { .it_value = { .tv_sec = INT32_MAX } };

	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			       &its, NULL);
}

static int open_net(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
			     RTMGRP_IPV6_IFADDR,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

bool watch_open(struct watch *w)
{
	bool all = true;

	w->fd[W_HOSTNAME] = open("/proc/sys/kernel/hostname",
				 O_RDONLY | O_CLOEXEC);
	if (w->fd[W_HOSTNAME] >= 0)
		rearm_hostname(w->fd[W_HOSTNAME]);
	w->fd[W_CLOCK] = timerfd_create(CLOCK_REALTIME,
					TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->fd[W_CLOCK] >= 0 && arm_clock(w->fd[W_CLOCK]) < 0) {
		close(w->fd[W_CLOCK]);
		w->fd[W_CLOCK] = -1;
	}
	w->fd[W_NET] = open_net();
	for (int i = 0; i < W_COUNT; i++)
		all = all && w->fd[i] >= 0;
	return all;
}

void watch_pollfds(const struct watch *w, struct pollfd *pfd)
{
	for (int i = 0; i < W_COUNT; i++) {
		pfd[i].fd = w->fd[i];
		pfd[i].events = i == W_HOSTNAME ? POLLPRI : POLLIN;
		pfd[i].revents = 0;
	}
}

bool watch_fired(struct watch *w, const struct pollfd *pfd)
{
	char buf[4096];
	uint64_t n;
	bool any = false;

	if (w->fd[W_HOSTNAME] >= 0 &&
	    pfd[W_HOSTNAME].revents & (POLLPRI | POLLERR)) {
		rearm_hostname(w->fd[W_HOSTNAME]);
		any = true;
	}
	if (w->fd[W_CLOCK] >= 0 && pfd[W_CLOCK].revents) {
		if (read(w->fd[W_CLOCK], &n, sizeof(n)) < 0 &&
		    errno == ECANCELED)
			any = true;
		arm_clock(w->fd[W_CLOCK]);
	}
	if (w->fd[W_NET] >= 0 && pfd[W_NET].revents) {
		while (recv(w->fd[W_NET], buf, sizeof(buf), 0) > 0)
			;
		any = true;
	}
	return any;
}

void watch_close(struct watch *w)
{
	for (int i = 0; i < W_COUNT; i++)
		if (w->fd[i] >= 0)
			close(w->fd[i]);
}
