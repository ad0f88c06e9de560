// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the REST building blocks: the snapshot slot under
 * concurrent readers (no torn or freed snapshot, generations in order),
 * ETags, the growable buffer, the Prometheus text helpers, and the token
 * file (created 0640 when missing, refused when others may read it, never
 * through a symbolic link) and its comparison.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "metrics.h"
#include "names.h"
#include "snapshot.h"
#include "token.h"

#include <sys/stat.h>
#include <unistd.h>

/* A snapshot whose /v1/vms body names its generation. */
static struct snapshot *make(uint64_t gen)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	struct buf b = { 0 };

	assert_non_null(s);
	atomic_init(&s->refs, 1);
	s->generation = gen;
	buf_printf(&b, "{\"generation\":%llu}", (unsigned long long)gen);
	s->vms.data = buf_steal(&b, &s->vms.len);
	rest_body_etag(&s->vms);
	return s;
}

struct reader {
	struct snapshot_slot *slot;
	volatile int *stop;
	atomic_ulong reads;
	int torn;
	int backwards;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	uint64_t last = 0;
	char want[64];

	while (!*r->stop) {
		struct snapshot *s = snapshot_slot_get(r->slot);

		if (!s)
			continue;
		snprintf(want, sizeof(want), "{\"generation\":%llu}",
			 (unsigned long long)s->generation);
		if (strcmp(s->vms.data, want))
			r->torn++;
		if (s->generation < last)
			r->backwards++;
		last = s->generation;
		atomic_fetch_add(&r->reads, 1);
		snapshot_unref(s);
	}
	return NULL;
}

static bool readers_busy(struct reader *r)
{
	return atomic_load(&r[0].reads) >= 10000 &&
	       atomic_load(&r[1].reads) >= 10000;
}

/* Readers on two threads while the "loop" publishes at least 20,000
 * snapshots and each reader has read 10,000 times (run under ASan, a use
 * after free would abort). */
static void test_slot_concurrent(void **state)
{
	struct snapshot_slot slot;
	struct reader r[2];
	pthread_t t[2];
	volatile int stop = 0;
	uint64_t g;
	int i;

	(void)state;
	snapshot_slot_init(&slot);
	for (i = 0; i < 2; i++) {
		r[i] = (struct reader){ .slot = &slot, .stop = &stop };
		assert_int_equal(pthread_create(&t[i], NULL, read_loop, &r[i]),
				 0);
	}
	for (g = 1; g <= 20000 || (!readers_busy(r) && g < 50000000); g++)
		snapshot_slot_publish(&slot, make(g));
	stop = 1;
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].torn, 0);
		assert_int_equal(r[i].backwards, 0);
		assert_true(atomic_load(&r[i].reads) >= 10000);
	}
	snapshot_slot_destroy(&slot);
}

/* A reference taken before a publish keeps the old snapshot whole. */
static void test_slot_reference_outlives_publish(void **state)
{
	struct snapshot_slot slot;
	struct snapshot *held;

	(void)state;
	snapshot_slot_init(&slot);
	assert_null(snapshot_slot_get(&slot));
	snapshot_slot_publish(&slot, make(1));
	held = snapshot_slot_get(&slot);
	snapshot_slot_publish(&slot, make(2));
	assert_string_equal(held->vms.data, "{\"generation\":1}");
	snapshot_unref(held);
	held = snapshot_slot_get(&slot);
	assert_int_equal(held->generation, 2);
	snapshot_unref(held);
	snapshot_slot_destroy(&slot);
}

static void test_etag(void **state)
{
	struct rest_body a = { .data = "{\"x\":1}", .len = 7 };
	struct rest_body b = { .data = "{\"x\":2}", .len = 7 };
	struct rest_body c = { .data = "{\"x\":1}", .len = 7 };

	(void)state;
	rest_body_etag(&a);
	rest_body_etag(&b);
	rest_body_etag(&c);
	assert_int_equal(strlen(a.etag), 18);
	assert_true(a.etag[0] == '"' && a.etag[17] == '"');
	assert_string_not_equal(a.etag, b.etag);
	assert_string_equal(a.etag, c.etag);
}

static void test_buf(void **state)
{
	struct buf b = { 0 };
	json_t *j = json_pack("{si}", "a", 1);
	size_t len;
	char *p;
	int i;

	(void)state;
	buf_str(&b, "x");
	buf_printf(&b, "%d-%s", 42, "y");
	buf_json(&b, j);
	buf_json_str(&b, "q\"\n");
	for (i = 0; i < 10000; i++)
		buf_add(&b, "z", 1);
	p = buf_steal(&b, &len);
	assert_int_equal(len, strlen(p));
	assert_memory_equal(p, "x42-y{\"a\":1}\"q\\\"\\n\"zzz", 22);
	assert_null(b.data);
	free(p);
	json_decref(j);
	buf_add(&b, "", 0);	/* an empty buffer is an empty string */
	p = buf_steal(&b, &len);
	assert_string_equal(p, "");
	free(p);
}

/* An error message that quotes a URL with bytes that are not UTF-8 is
 * still sent (found by tests/fuzz/fuzz_rest: "/v1/vms/%A2" got no
 * answer at all, the connection was closed). Valid UTF-8 is kept. */
static void test_buf_json_str_not_utf8(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "no VM named '\xa2x'", "\"no VM named '?x'\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"" },
		{ "cut \xc3", "\"cut ?\"" },			/* at the end */
		{ "\xc0\xaf \xed\xa0\x80 \xf5", "\"?? ??? ?\"" },	/* overlong,
							 * surrogate, too big */
	};
	struct buf b = { 0 };
	size_t i, len;
	char *p;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_json_str(&b, cases[i].in);
		p = buf_steal(&b, &len);
		assert_non_null(p);
		assert_string_equal(p, cases[i].out);
		free(p);
	}
}

/* The one name rule of JSON-RPC and REST (names.h). */
static void test_valid_name(void **state)
{
	static const char *const good[] = { "a", "web-1", "db_2.prod", "A.-_z",
		"0" };
	static const char *const bad[] = { "", ".", "..", ".hidden", "-x",
		"a/b", "a b", "a\n", "caf\xc3\xa9", "x;y", "%2e" };
	char longest[VERGED_NAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(verged_valid_name(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(verged_valid_name(bad[i]));
	memset(longest, 'n', sizeof(longest));
	longest[VERGED_NAME_MAX] = '\0';
	assert_true(verged_valid_name(longest));
	longest[VERGED_NAME_MAX] = 'n';
	longest[VERGED_NAME_MAX + 1] = '\0';
	assert_false(verged_valid_name(longest));
}

static void test_metrics_text(void **state)
{
	struct buf b = { 0 };
	struct metrics m;
	char *p;
	size_t len;

	(void)state;
	metrics_label(&b, "vm", "a\"b\\c\nd");
	buf_add(&b, " ", 1);
	metrics_sample(&b, "x_total", "k=\"v\"", 3);
	metrics_sample(&b, "y", NULL, 0.25);
	p = buf_steal(&b, &len);
	assert_string_equal(p, "vm=\"a\\\"b\\\\c\\nd\" x_total{k=\"v\"} 3\n"
			       "y 0.25\n");
	free(p);
	memset(&m, 0, sizeof(m));
	metrics_count(&m, EP_VMS, 200);
	metrics_count(&m, EP_VMS, 200);
	metrics_count(&m, EP_VM, 404);
	metrics_count(&m, EP_VM, 418);	/* not in the table: counted as 500 */
	metrics_count(&m, EP_COUNT, 200);	/* ignored */
	metrics_requests(&b, &m);
	p = buf_steal(&b, &len);
	assert_non_null(strstr(p, "verge_http_requests_total{endpoint="
			       "\"/v1/vms\",code=\"200\"} 2\n"));
	assert_non_null(strstr(p, "endpoint=\"/v1/vms/{name}\",code=\"404\"}"
			       " 1\n"));
	assert_non_null(strstr(p, "endpoint=\"/v1/vms/{name}\",code=\"500\"}"
			       " 1\n"));
	assert_non_null(strstr(p, "# TYPE verge_http_requests_total counter"));
	free(p);
}

static void test_token_equal(void **state)
{
	(void)state;
	assert_true(token_equal("s3cret", "s3cret"));
	assert_false(token_equal("s3cret", "s3cre"));
	assert_false(token_equal("s3cret", "s3cret2"));
	assert_false(token_equal("s3cret", "S3cret"));
	assert_false(token_equal("s3cret", ""));
	assert_false(token_equal("s3cret", "s3cres"));
}

static void test_token_file(void **state)
{
	char dir[] = "/tmp/verge-token-XXXXXX", path[64], link_path[64];
	char *a = NULL, *b = NULL;
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rest.token", dir);
	snprintf(link_path, sizeof(link_path), "%s/link.token", dir);
	/* missing: created, 0640, 43 base64url characters */
	assert_int_equal(token_load(path, 0, false, &a), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				"opqrstuvwxyz0123456789-_"), 43);
	/* present: the same token */
	assert_int_equal(token_load(path, 0, false, &b), 0);
	assert_string_equal(a, b);
	free(b);
	b = NULL;
	/* others may read it, or the group write it: refused */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(token_load(path, 0, false, &b), -EPERM);
	assert_int_equal(chmod(path, 0660), 0);
	assert_int_equal(token_load(path, 0, false, &b), -EPERM);
	assert_null(b);
	/* a symbolic link is not followed, nor replaced */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(symlink(path, link_path), 0);
	assert_int_equal(token_load(link_path, 0, false, &b), -ELOOP);
	assert_null(b);
	unlink(link_path);
	unlink(path);
	rmdir(dir);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_concurrent),
		cmocka_unit_test(test_slot_reference_outlives_publish),
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_buf_json_str_not_utf8),
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_token_equal),
		cmocka_unit_test(test_token_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
