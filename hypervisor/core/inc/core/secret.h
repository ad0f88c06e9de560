/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hypervisor's boot-time secret, from which keys the guest must not
 * know are derived (backdoor channel cookies, the guest's own DT seeds).
 * Sources, all mixed: the core's RNDR where it has FEAT_RNG; the machine
 * DT's /chosen rng-seed and kaslr-seed, which are consumed (wiped from
 * the machine DT, which lies in guest RAM, so the guest never reads
 * them); and the counter's low bits at several points of boot.
 */
#ifndef CORE_SECRET_H
#define CORE_SECRET_H
#include <core/siphash.h>

#define SECRET_GUEST_SEED	40	/* rng-seed (32) + kaslr-seed (8) */

enum secret_source {
	SECRET_RNDR = 1 << 0,
	SECRET_DT_SEED = 1 << 1,
	SECRET_COUNTER = 1 << 2,
};

/* Before the guest DT is built; fdt is the machine DT (written to).
 * Returns the sources used (enum secret_source). */
unsigned secret_init(void *fdt);
/* A key for one purpose, named by label. */
void secret_key(const char *label, struct sip_key *ret);
/* Fresh seeds for the guest DT, unrelated to the secret's own. */
void secret_guest_seed(uint8_t out[SECRET_GUEST_SEED]);
#endif
