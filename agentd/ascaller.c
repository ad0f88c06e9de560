// SPDX-License-Identifier: Apache-2.0
/*
 * Files opened with a caller's credentials (ascaller.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ascaller.h"

/* The child's answer: an errno (0: opened) and, if asked, the fd. */
static __attribute__((noreturn)) void child_reply(int sock, int e, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &e, .iov_len = sizeof(e) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	_exit(sendmsg(sock, &m, 0) < 0 ? EIO : 0);
}

/* In the child: take who's credentials, open, answer. Never returns. */
static __attribute__((noreturn)) void child_open(const struct as_caller *who,
						 const char *path, int flags,
						 int sock, bool want_fd)
{
	int fd;

	/* Raw system calls: this thread only, nothing else to do. */
	if (syscall(SYS_setgroups, (size_t)who->ngroups, who->groups) ||
	    syscall(SYS_setresgid, who->gid, who->gid, who->gid) ||
	    syscall(SYS_setresuid, who->uid, who->uid, who->uid))
		child_reply(sock, EPERM, -1);
	fd = open(path, flags);
	if (fd < 0)
		child_reply(sock, errno, -1);
	child_reply(sock, 0, want_fd ? fd : -1);
}

/* In the parent: the child's answer. 0 and *fd (or -1), or an errno. */
static int parent_reply(int sock, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int e = 0;
	struct iovec iov = { .iov_base = &e, .iov_len = sizeof(e) };
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t got;

	*fd = -1;
	do
		got = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(e))
		return EIO; /* the child died or could not answer */
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (e && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return e;
}

int as_caller_open(const struct as_caller *who, const char *path, int flags,
		   int *ret_fd)
{
	int sv[2], fd = -1, e, st;
	pid_t pid;

	if (who->uid == (uid_t)-1 || who->gid == (gid_t)-1 || who->ngroups < 0)
		return -EPERM; /* unknown: -1 would mean "unchanged" */
	flags |= O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (geteuid() != 0) {
		fd = open(path, flags);
		if (fd < 0)
			return -errno;
		goto opened;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0) {
		close(sv[0]);
		child_open(who, path, flags, sv[1], ret_fd != NULL);
	}
	close(sv[1]);
	e = parent_reply(sv[0], &fd);
	close(sv[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!e && ret_fd && fd < 0)
		e = EIO; /* opened, but no descriptor came back */
	if (e)
		return -(e & 0xffff);
opened:
	if (!ret_fd) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* blocking from here on; O_NONBLOCK only kept a FIFO from hanging */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*ret_fd = fd;
	return 0;
}
