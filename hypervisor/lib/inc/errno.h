/* SPDX-License-Identifier: Apache-2.0 */
/* The errno values verge-hv returns (negated), same numbers as Linux. */
#ifndef VERGE_ERRNO_H
#define VERGE_ERRNO_H
#define EPERM	1
#define ENOENT	2
#define E2BIG	7
#define EAGAIN	11
#define ENOMEM	12
#define EFAULT	14
#define EEXIST	17
#define EINVAL	22
#define ENOSPC	28
#define EDOM	33
#define ERANGE	34
#endif
