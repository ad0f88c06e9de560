// SPDX-License-Identifier: Apache-2.0
/*
 * Files opened with a caller's credentials (agentd/ascaller.c): what the
 * caller may not open, verged does not open for it either, and what it
 * may comes back as a usable, blocking, close-on-exec descriptor. The
 * checks that take another identity need root (as verged runs jailed);
 * without it they are skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ascaller.h"

#define NOBODY	   65534
#define SOME_GROUP 4242 /* a group nobody is not in */

static char dir[64];

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

/* dir/name with text, mode and group; its path in buf. */
static void make_file(char *buf, size_t n, const char *name, mode_t mode,
		      gid_t gid)
{
	int fd;

	path_of(buf, n, name);
	fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "verge", 5), 5);
	if (geteuid() == 0)
		assert_int_equal(fchown(fd, 0, gid), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/verge-ascaller-XXXXXX");
	if (!mkdtemp(dir) || chmod(dir, 0755))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void unknown_credentials_refused(void **state)
{
	struct as_caller who = { (uid_t)-1, 0, NULL, 0 };
	char p[128];
	int fd = -7;

	(void)state;
	make_file(p, sizeof(p), "open", 0644, 0);
	assert_int_equal(as_caller_open(&who, p, O_RDONLY, &fd), -EPERM);
	who = (struct as_caller){ 0, (gid_t)-1, NULL, 0 };
	assert_int_equal(as_caller_open(&who, p, O_RDONLY, &fd), -EPERM);
	who = (struct as_caller){ 0, 0, NULL, -1 };
	assert_int_equal(as_caller_open(&who, p, O_RDONLY, NULL), -EPERM);
	assert_int_equal(fd, -7); /* untouched on failure */
}

/* What verged's own user may open (as root: as the caller, here root). */
static void opened_fd_is_usable(void **state)
{
	struct as_caller who = { geteuid(), getegid(), NULL, 0 };
	char p[128], buf[8] = "";
	int fd = -1;

	(void)state;
	make_file(p, sizeof(p), "mine", 0600, 0);
	assert_int_equal(as_caller_open(&who, p, O_RDONLY, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "verge", 5);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(as_caller_open(&who, p, O_RDONLY, NULL), 0);
	path_of(p, sizeof(p), "absent");
	fd = -7;
	assert_int_equal(as_caller_open(&who, p, O_RDONLY, &fd), -ENOENT);
	assert_int_equal(fd, -7);
}

/* A FIFO nobody writes to: opened (not waited on), then blocking. */
static void fifo_does_not_hang(void **state)
{
	struct as_caller who = { geteuid(), getegid(), NULL, 0 };
	char p[128];
	int fd = -1;

	(void)state;
	path_of(p, sizeof(p), "fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(as_caller_open(&who, p, O_RDONLY, &fd), 0);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
}

static void another_callers_rights(void **state)
{
	const gid_t member[] = { SOME_GROUP };
	struct as_caller nobody = { NOBODY, NOBODY, NULL, 0 };
	struct as_caller in_group = { NOBODY, NOBODY, member, 1 };
	char priv[128], pub[128], grp[128];
	int fd = -7;

	(void)state;
	if (geteuid() != 0)
		skip();
	make_file(priv, sizeof(priv), "private", 0600, 0);
	make_file(pub, sizeof(pub), "public", 0644, 0);
	make_file(grp, sizeof(grp), "group", 0640, SOME_GROUP);
	/* root's own file: not for nobody, though verged is root */
	assert_int_equal(as_caller_open(&nobody, priv, O_RDONLY, &fd), -EACCES);
	assert_int_equal(as_caller_open(&nobody, priv, O_RDONLY, NULL),
			 -EACCES);
	assert_int_equal(fd, -7);
	assert_int_equal(as_caller_open(&nobody, "/etc/shadow", O_RDONLY, NULL),
			 -EACCES);
	/* readable by all, writable by root only */
	assert_int_equal(as_caller_open(&nobody, pub, O_RDONLY, &fd), 0);
	close(fd);
	fd = -7;
	assert_int_equal(as_caller_open(&nobody, pub, O_RDWR, &fd), -EACCES);
	assert_int_equal(fd, -7);
	/* the supplementary groups are the caller's, not verged's */
	assert_int_equal(as_caller_open(&nobody, grp, O_RDONLY, NULL), -EACCES);
	assert_int_equal(as_caller_open(&in_group, grp, O_RDONLY, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_credentials_refused),
		cmocka_unit_test(opened_fd_is_usable),
		cmocka_unit_test(fifo_does_not_hang),
		cmocka_unit_test(another_callers_rights),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
