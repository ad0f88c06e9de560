/* SPDX-License-Identifier: Apache-2.0 */
/* Run a function that may execute an instruction the platform does not
 * allow (SIGILL, SIGSEGV, SIGBUS) and come back instead of dying. */
#ifndef VGA_GUARD_H
#define VGA_GUARD_H

/* 0 when fn returned, or the signal number it raised. */
int guard_call(void (*fn)(void *), void *arg);

#endif
