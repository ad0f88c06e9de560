// SPDX-License-Identifier: Apache-2.0
/* The watchdog device (wdog.h), through Linux's watchdog API. */
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "wdog.h"

int wdog_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int wdog_refresh(int fd)
{
	if (ioctl(fd, WDIOC_KEEPALIVE, 0) == 0)
		return 0;
	return write(fd, "k", 1) == 1 ? 0 : -errno;
}

void wdog_close(int fd)
{
	if (write(fd, "V", 1) != 1) {
		/* the driver keeps it armed (nowayout): nothing else to do */
	}
	close(fd);
}
