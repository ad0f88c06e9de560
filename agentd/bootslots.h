/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image slots A and B of a VM and its boot attempts (docs/bootguard.md,
 * "Image slots and rollback"): which slot the VM boots, which one last
 * booted (committed), the trial, the failures in a row and the counters.
 * Pure state, no I/O: verged (agent.c, methods.c) feeds it the outcome of
 * each boot attempt and stores the result; tests/unit/test_bootslots.c
 * drives it.
 *
 * Rules:
 * - A new image goes into the slot that is not the committed one and
 *   becomes the trial: the VM boots it from its next start.
 * - A successful boot of the trial commits it, or, with manual_commit,
 *   marks it booted and waits for bs_commit().
 * - attempts_max failed boots in a row of the trial roll back to the
 *   committed slot. Failures of the committed slot are counted only:
 *   there is nothing that booted more recently to go back to.
 * - bs_rollback() abandons the trial; without one it goes back to the
 *   other slot if that has booted before (it becomes the committed one).
 */
#ifndef VERGED_BOOTSLOTS_H
#define VERGED_BOOTSLOTS_H
#include <stdbool.h>
#include <stdint.h>

#define BS_SLOTS		2
#define BS_ATTEMPTS_DEFAULT	3
#define BS_ATTEMPTS_MAX		100

struct bootslots {
	/* configuration (vm.define) */
	int attempts_max;	/* K: failed boots in a row, 1..BS_ATTEMPTS_MAX */
	bool manual_commit;
	/* state */
	int active;		/* the slot the VM boots: 0 A, 1 B */
	int good;		/* the committed slot: the last that booted */
	bool trial_ok;		/* the trial booted; waiting for bs_commit */
	unsigned filled;	/* bit i: slot i holds images */
	unsigned booted;	/* bit i: slot i has booted at least once */
	int64_t failed;		/* failed boots in a row */
	/* counters, since the VM was defined */
	int64_t boots_ok, boots_failed, rollbacks;
};

/* What an outcome did to the slots. */
enum bs_action {
	BS_NONE,
	BS_COMMITTED,	/* the trial booted and is now the committed slot */
	BS_TRIAL_OK,	/* the trial booted; manual commit awaited */
	BS_ROLLED_BACK,	/* attempts_max failures: back to the committed slot */
};

/* A new VM: slot A holds its images and is committed. */
void bs_init(struct bootslots *b, int attempts_max, bool manual_commit);
/* Is a trial under way (the VM boots a slot that is not committed)? */
bool bs_trial(const struct bootslots *b);
const char *bs_slot_name(int slot);	/* "A", "B", else NULL */
/* "A"/"a" or "B"/"b": 0 or 1; else -EINVAL. */
int bs_slot_parse(const char *name);

/* New images: the slot to write them to (*ret_slot), now the trial.
 * Always succeeds; a trial under way is replaced. */
void bs_set(struct bootslots *b, int *ret_slot);
/* The boot under way succeeded / failed. */
enum bs_action bs_boot_ok(struct bootslots *b);
enum bs_action bs_boot_failed(struct bootslots *b);
/* Operator commit of the trial: -ENOENT no trial, -EAGAIN it has not
 * booted yet. */
int bs_commit(struct bootslots *b);
/* Operator rollback (above): -ENOENT when there is nowhere to go.
 * *ret_slot: the slot the VM boots now. */
int bs_rollback(struct bootslots *b, int *ret_slot);
/* A state read back from the store is coherent (slots 0/1, filled
 * slots, K in range); else -EINVAL. */
int bs_check(const struct bootslots *b);
#endif
