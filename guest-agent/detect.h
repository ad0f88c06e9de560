/* SPDX-License-Identifier: Apache-2.0 */
/* `verge-guest-agent detect`: gathers the evidence (backdoor probe,
 * exclusive-monitor trials, DT/DMI/CPUID hints) and decides. */
#ifndef VGA_DETECT_H
#define VGA_DETECT_H

#include <stdio.h>

#include "backdoor.h"
#include "excl.h"
#include "hints.h"
#include "json.h"
#include "verdict.h"

#define DETECT_TRIALS 1000

struct detect {
	int bd_err;			/* bd_probe(): 0 answered */
	struct bd_version bd;
	struct hints hints;
	int ncand;			/* excl_run(): count or -errno */
	struct excl_cand cand[EXCL_MAX_CANDS];
	struct excl_verdict excl;
	struct detect_answer answer;
};

/* trials: exclusive-monitor trials per candidate (0: skip the method). */
int detect_run(struct detect *d, unsigned trials);
/* The whole evidence as one JSON object (key NULL: a bare value). */
void detect_json(const struct detect *d, struct json *j, const char *key,
		 bool full);
/* Human-readable evidence, one fact a line. */
void detect_print(const struct detect *d, FILE *f);

#endif
