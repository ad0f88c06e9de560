// SPDX-License-Identifier: Apache-2.0
/* x86_64 has no load-/store-exclusive pair: the method does not apply
 * (detection uses CPUID, DMI and the backdoor probe there). */
#include <errno.h>

#include "excl.h"

int excl_run(struct excl_cand *c, unsigned trials)
{
	(void)c;
	(void)trials;
	return -ENOTSUP;
}
