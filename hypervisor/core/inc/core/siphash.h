/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012): a keyed pseudo-random function. Seeing any number of its
 * outputs reveals neither the key nor the output for another input.
 * Pure code: host-tested against the paper's test vectors.
 */
#ifndef CORE_SIPHASH_H
#define CORE_SIPHASH_H
#include <core/compat.h>

struct sip_key {
	uint64_t k0, k1;	/* the 16 key bytes, little-endian halves */
};

uint64_t siphash24(const struct sip_key *key, const void *msg, size_t len);
#endif
