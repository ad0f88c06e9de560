/* SPDX-License-Identifier: Apache-2.0 */
/* The exclusive-monitor trials (load-exclusive, a candidate instruction,
 * store-exclusive), run by the architecture part. */
#ifndef VGA_EXCL_H
#define VGA_EXCL_H

#include "verdict.h"

#define EXCL_MAX_CANDS 8
#define EXCL_MAX_TRIALS 100000

/* Runs `trials` trials of every candidate of this architecture into c
 * (at most EXCL_MAX_CANDS); the number of candidates, or -ENOTSUP where
 * the method does not exist (x86_64), or another negative errno. */
int excl_run(struct excl_cand *c, unsigned trials);

#endif
