/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the presented counter frequency reaches the guest. CNTFRQ_EL0 is
 * writable only at the highest implemented exception level: with EL3
 * (every board whose firmware is TF-A) a write at EL2 is UNDEFINED. There
 * verge-hv never writes it and presents the frequency through the DT's
 * /timer clock-frequency alone (Linux takes the DT's value over CNTFRQ;
 * an ACPI guest reads only CNTFRQ, so it cannot be told another one).
 * Pure: host-tested.
 */
#ifndef CORE_CNTFRQ_H
#define CORE_CNTFRQ_H
#include <stdbool.h>
#include <stdint.h>

#define ID_AA64PFR0_EL3_SHIFT	12	/* 0: EL3 not implemented */

enum freq_by {
	FREQ_BY_NONE,		/* the host's frequency: nothing to present */
	FREQ_BY_CNTFRQ,		/* CNTFRQ_EL0 and the DT's clock-frequency */
	FREQ_BY_DT,		/* the DT's clock-frequency only (EL3) */
};

static inline bool cntfrq_writable(uint64_t id_aa64pfr0)
{
	return ((id_aa64pfr0 >> ID_AA64PFR0_EL3_SHIFT) & 0xf) == 0;
}

/* fg presented on a counter of fh Hz, on a core with that PFR0. */
static inline enum freq_by freq_mechanism(uint64_t id_aa64pfr0, uint64_t fg,
					  uint64_t fh)
{
	if (fg == fh)
		return FREQ_BY_NONE;
	return cntfrq_writable(id_aa64pfr0) ? FREQ_BY_CNTFRQ : FREQ_BY_DT;
}

static inline const char *freq_by_name(enum freq_by m)
{
	switch (m) {
	case FREQ_BY_CNTFRQ:
		return "CNTFRQ_EL0 and DT";
	case FREQ_BY_DT:
		return "DT only (EL3 owns CNTFRQ_EL0)";
	default:
		return "host's";
	}
}
#endif
