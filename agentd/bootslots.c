// SPDX-License-Identifier: Apache-2.0
/* Image slots and boot attempts (bootslots.h). */
#include <errno.h>
#include <string.h>

#include "bootslots.h"

void bs_init(struct bootslots *b, int attempts_max, bool manual_commit)
{
	memset(b, 0, sizeof(*b));
	b->attempts_max = attempts_max;
	b->manual_commit = manual_commit;
	b->filled = 1u << 0;
}

bool bs_trial(const struct bootslots *b)
{
	return b->active != b->good;
}

const char *bs_slot_name(int slot)
{
	return slot == 0 ? "A" : slot == 1 ? "B" : NULL;
}

int bs_slot_parse(const char *name)
{
	if (!name || !name[0] || name[1])
		return -EINVAL;
	if (name[0] == 'A' || name[0] == 'a')
		return 0;
	if (name[0] == 'B' || name[0] == 'b')
		return 1;
	return -EINVAL;
}

void bs_set(struct bootslots *b, int *ret_slot)
{
	int slot = 1 - b->good;

	b->filled |= 1u << slot;
	b->booted &= ~(1u << slot);	/* new images have never booted */
	b->active = slot;
	b->trial_ok = false;
	b->failed = 0;
	*ret_slot = slot;
}

static void commit(struct bootslots *b)
{
	b->good = b->active;
	b->trial_ok = false;
}

enum bs_action bs_boot_ok(struct bootslots *b)
{
	b->boots_ok++;
	b->failed = 0;
	b->booted |= 1u << b->active;
	if (!bs_trial(b) || b->trial_ok)
		return BS_NONE;
	if (b->manual_commit) {
		b->trial_ok = true;
		return BS_TRIAL_OK;
	}
	commit(b);
	return BS_COMMITTED;
}

enum bs_action bs_boot_failed(struct bootslots *b)
{
	b->boots_failed++;
	b->failed++;
	if (!bs_trial(b) || b->failed < b->attempts_max)
		return BS_NONE;
	/* A manual-commit trial that booted once and now fails K times in
	 * a row is not committed: it goes back as well. */
	b->active = b->good;
	b->trial_ok = false;
	b->failed = 0;
	b->rollbacks++;
	return BS_ROLLED_BACK;
}

int bs_commit(struct bootslots *b)
{
	if (!bs_trial(b))
		return -ENOENT;
	if (!b->trial_ok)
		return -EAGAIN;
	commit(b);
	return 0;
}

int bs_rollback(struct bootslots *b, int *ret_slot)
{
	int other = 1 - b->active;

	if (bs_trial(b)) {
		b->active = b->good;
	} else if ((b->filled & b->booted) & (1u << other)) {
		b->active = b->good = other;
	} else {
		return -ENOENT;
	}
	b->trial_ok = false;
	b->failed = 0;
	b->rollbacks++;
	*ret_slot = b->active;
	return 0;
}

int bs_check(const struct bootslots *b)
{
	if ((b->active != 0 && b->active != 1) ||
	    (b->good != 0 && b->good != 1) ||
	    !(b->filled & (1u << b->active)) ||
	    !(b->filled & (1u << b->good)) || b->filled > 3 ||
	    b->booted > 3 || b->failed < 0 || b->attempts_max < 1 ||
	    b->attempts_max > BS_ATTEMPTS_MAX)
		return -EINVAL;
	return 0;
}
