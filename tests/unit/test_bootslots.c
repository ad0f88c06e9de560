// SPDX-License-Identifier: Apache-2.0
/*
 * Image slots A/B and boot attempts (agentd/bootslots.c): trial, commit
 * on success (automatic and manual), rollback after K failures in a row,
 * failures that are not in a row, operator rollback, and what a stored
 * state must satisfy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "bootslots.h"

static void test_new_vm(void **state)
{
	struct bootslots b;

	(void)state;
	bs_init(&b, 3, false);
	assert_int_equal(b.active, 0);
	assert_int_equal(b.good, 0);
	assert_false(bs_trial(&b));
	assert_int_equal(b.filled, 1);
	assert_int_equal(bs_check(&b), 0);
	/* failures of the committed slot are counted, nothing moves */
	for (int i = 0; i < 10; i++)
		assert_int_equal(bs_boot_failed(&b), BS_NONE);
	assert_int_equal(b.active, 0);
	assert_int_equal(b.failed, 10);
	assert_int_equal(b.boots_failed, 10);
	assert_int_equal(bs_boot_ok(&b), BS_NONE);
	assert_int_equal(b.failed, 0);
	assert_int_equal(b.booted, 1);
	assert_int_equal(b.rollbacks, 0);
}

static void test_set_trial_commits_on_success(void **state)
{
	struct bootslots b;
	int slot = -1;

	(void)state;
	bs_init(&b, 3, false);
	bs_boot_ok(&b);
	bs_set(&b, &slot);
	assert_int_equal(slot, 1);
	assert_true(bs_trial(&b));
	assert_int_equal(b.active, 1);
	assert_int_equal(b.good, 0);
	assert_int_equal(bs_boot_failed(&b), BS_NONE);	/* 1 of 3 */
	assert_int_equal(bs_boot_ok(&b), BS_COMMITTED);
	assert_int_equal(b.good, 1);
	assert_false(bs_trial(&b));
	assert_int_equal(b.failed, 0);
	assert_int_equal(b.booted, 3);
	/* the next image goes into A, the slot that is not committed */
	bs_set(&b, &slot);
	assert_int_equal(slot, 0);
	assert_int_equal(b.booted, 2);	/* A's new images never booted */
	assert_int_equal(bs_check(&b), 0);
}

static void test_k_failures_roll_back(void **state)
{
	struct bootslots b;
	int slot;

	(void)state;
	bs_init(&b, 2, false);
	bs_boot_ok(&b);
	bs_set(&b, &slot);
	assert_int_equal(bs_boot_failed(&b), BS_NONE);
	assert_int_equal(b.failed, 1);
	assert_int_equal(bs_boot_failed(&b), BS_ROLLED_BACK);
	assert_int_equal(b.active, 0);
	assert_int_equal(b.good, 0);
	assert_false(bs_trial(&b));
	assert_int_equal(b.failed, 0);
	assert_int_equal(b.rollbacks, 1);
	assert_int_equal(b.boots_failed, 2);
	/* B still holds its images but is not booted again */
	assert_int_equal(b.filled, 3);
	assert_int_equal(bs_boot_ok(&b), BS_NONE);
	assert_int_equal(b.boots_ok, 2);
}

static void test_failures_not_in_a_row(void **state)
{
	struct bootslots b;
	int slot;

	(void)state;
	bs_init(&b, 2, true);
	bs_set(&b, &slot);
	assert_int_equal(bs_boot_failed(&b), BS_NONE);
	/* manual commit: the success resets the run, and waits */
	assert_int_equal(bs_boot_ok(&b), BS_TRIAL_OK);
	assert_true(b.trial_ok);
	assert_true(bs_trial(&b));
	assert_int_equal(bs_boot_ok(&b), BS_NONE);	/* reported once */
	assert_int_equal(bs_boot_failed(&b), BS_NONE);
	/* a booted but uncommitted trial that then fails K times goes back */
	assert_int_equal(bs_boot_failed(&b), BS_ROLLED_BACK);
	assert_int_equal(b.active, 0);
	assert_false(b.trial_ok);
}

static void test_manual_commit(void **state)
{
	struct bootslots b;
	int slot;

	(void)state;
	bs_init(&b, 3, true);
	assert_int_equal(bs_commit(&b), -ENOENT);	/* no trial */
	bs_set(&b, &slot);
	assert_int_equal(bs_commit(&b), -EAGAIN);	/* not booted yet */
	assert_int_equal(bs_boot_ok(&b), BS_TRIAL_OK);
	assert_int_equal(b.good, 0);
	assert_int_equal(bs_commit(&b), 0);
	assert_int_equal(b.good, 1);
	assert_int_equal(b.active, 1);
	assert_false(bs_trial(&b));
	assert_false(b.trial_ok);
	assert_int_equal(bs_commit(&b), -ENOENT);
}

static void test_set_replaces_trial(void **state)
{
	struct bootslots b;
	int slot;

	(void)state;
	bs_init(&b, 3, false);
	bs_set(&b, &slot);
	bs_boot_failed(&b);
	bs_boot_failed(&b);
	bs_set(&b, &slot);	/* the trial again, its run starts over */
	assert_int_equal(slot, 1);
	assert_int_equal(b.failed, 0);
	assert_int_equal(bs_boot_failed(&b), BS_NONE);
	assert_int_equal(bs_boot_failed(&b), BS_NONE);
	assert_int_equal(bs_boot_failed(&b), BS_ROLLED_BACK);
}

static void test_operator_rollback(void **state)
{
	struct bootslots b;
	int slot = -1;

	(void)state;
	bs_init(&b, 3, false);
	/* nothing else has images */
	assert_int_equal(bs_rollback(&b, &slot), -ENOENT);
	assert_int_equal(slot, -1);
	bs_boot_ok(&b);
	bs_set(&b, &slot);
	assert_int_equal(bs_rollback(&b, &slot), 0);	/* abandon the trial */
	assert_int_equal(slot, 0);
	assert_false(bs_trial(&b));
	assert_int_equal(b.rollbacks, 1);
	/* B never booted: no way back to it */
	assert_int_equal(bs_rollback(&b, &slot), -ENOENT);
	bs_set(&b, &slot);
	assert_int_equal(bs_boot_ok(&b), BS_COMMITTED);	/* B committed */
	/* A booted before: rollback goes to it and commits it */
	assert_int_equal(bs_rollback(&b, &slot), 0);
	assert_int_equal(slot, 0);
	assert_int_equal(b.good, 0);
	assert_int_equal(b.active, 0);
	assert_int_equal(b.rollbacks, 2);
}

static void test_check(void **state)
{
	struct bootslots b;

	(void)state;
	bs_init(&b, 3, false);
	assert_int_equal(bs_check(&b), 0);
	b.active = 1;	/* B holds nothing */
	assert_int_equal(bs_check(&b), -EINVAL);
	bs_init(&b, 0, false);
	assert_int_equal(bs_check(&b), -EINVAL);
	bs_init(&b, BS_ATTEMPTS_MAX + 1, false);
	assert_int_equal(bs_check(&b), -EINVAL);
	bs_init(&b, 3, false);
	b.good = 2;
	assert_int_equal(bs_check(&b), -EINVAL);
	bs_init(&b, 3, false);
	b.failed = -1;
	assert_int_equal(bs_check(&b), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(bs_slot_parse("A"), 0);
	assert_int_equal(bs_slot_parse("b"), 1);
	assert_int_equal(bs_slot_parse("C"), -EINVAL);
	assert_int_equal(bs_slot_parse("AB"), -EINVAL);
	assert_int_equal(bs_slot_parse(""), -EINVAL);
	assert_int_equal(bs_slot_parse(NULL), -EINVAL);
	assert_string_equal(bs_slot_name(1), "B");
	assert_null(bs_slot_name(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_vm),
		cmocka_unit_test(test_set_trial_commits_on_success),
		cmocka_unit_test(test_k_failures_roll_back),
		cmocka_unit_test(test_failures_not_in_a_row),
		cmocka_unit_test(test_manual_commit),
		cmocka_unit_test(test_set_replaces_trial),
		cmocka_unit_test(test_operator_rollback),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
