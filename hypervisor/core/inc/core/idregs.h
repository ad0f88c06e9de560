/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the guest is told about the CPU: HCR_EL2.TID3 traps every read of
 * the ID register space (op0 3, op1 0, CRn 0, CRm 1-7) and the guest gets
 * the core's value through the policy in core/idregs.c, which
 * docs/hypervisor.md mirrors as a table (tests/hv/test_idregs.py checks
 * a guest's view against that table).
 */
#ifndef CORE_IDREGS_H
#define CORE_IDREGS_H
#include <stdbool.h>
#include <stdint.h>

/* The guest's view of ID register (3, 0, 0, crm, op2) given a way to read
 * the core's; pure. */
uint64_t idregs_guest_view(unsigned crm, unsigned op2,
			   bool (*read_core)(unsigned crm, unsigned op2,
					     uint64_t *ret));
#endif
