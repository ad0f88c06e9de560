/* SPDX-License-Identifier: Apache-2.0 */
/* Test fixtures shared by the unit tests that need a real device tree. */
#ifndef UNIT_FIXTURE_H
#define UNIT_FIXTURE_H
#include <stddef.h>

/*
 * The QEMU virt DTB written by `make fixtures` (virtualization=on,
 * gic-version=3, 2 CPUs, 1 GiB): read from $VERGE_VIRT_DTB, else
 * $VERGE_CACHE/virt.dtb, else .cache/virt.dtb. Returns a malloc'ed copy
 * and its size, or NULL after printing why.
 */
void *fixture_virt_dtb(size_t *ret_size);

/* A copy of fdt opened into a buffer with extra bytes of free space. */
void *fixture_dt_copy(const void *fdt, size_t extra);
#endif
