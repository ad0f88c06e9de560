/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Core logic (bootargs, DT rewriting, stage-2 tables, GIC filtering) builds
 * both into the hypervisor and, unchanged, into host unit tests.
 */
#ifndef CORE_COMPAT_H
#define CORE_COMPAT_H
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if __STDC_HOSTED__
#include <stdio.h>
#else
#include <printf.h>
#endif

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((uint64_t)(a) - 1)) == 0)
#define SZ_4K			0x1000UL
#define SZ_64K			0x10000UL
#define SZ_2M			0x200000UL
#define SZ_1G			0x40000000UL

/* A message for the console, filled by the function that failed. */
struct hv_err {
	char msg[160];
};

#define hv_err_set(e, ...) \
	((e) ? (void)snprintf((e)->msg, sizeof((e)->msg), __VA_ARGS__) : (void)0)
#endif
