/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files opened as a caller would open them: a child process takes exactly
 * the caller's credentials, opens the file and passes the descriptor back
 * over a socket (SCM_RIGHTS). One rule for the images verged checks at
 * define (methods.c), at boot (vm.c) and the disks it opens (devices.c).
 */
#ifndef VERGED_ASCALLER_H
#define VERGED_ASCALLER_H
#include <sys/types.h>

struct as_caller {
	uid_t uid;	     /* (uid_t)-1: unknown */
	gid_t gid;	     /* (gid_t)-1: unknown */
	const gid_t *groups; /* supplementary groups */
	int ngroups;	     /* < 0: unknown */
};

/*
 * Opens path with flags (O_CLOEXEC, O_NOCTTY added; O_NONBLOCK while
 * opening, so a FIFO does not hang) as who would. ret_fd NULL: only
 * whether who may. Unknown credentials: -EPERM. Not root: verged cannot
 * take another's identity and opens no more than its own user may.
 * 0 with *ret_fd a blocking descriptor, or the negative errno of the
 * open (-EACCES) and *ret_fd untouched.
 */
int as_caller_open(const struct as_caller *who, const char *path, int flags,
		   int *ret_fd);

#endif
