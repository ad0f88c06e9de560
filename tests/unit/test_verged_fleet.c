// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the fleet registry's pure parts (docs/fleet.md): the
 * [fleet] section of verged.conf (every refusal with its own message, the
 * defaults, the shipped verged.conf), the registration record's JSON, and
 * the check of records read from etcd (hostile ones refused with a
 * reason, good ones serialized again as a host entry and an SD group).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "etcd.h"

static char dir[] = "/tmp/verge-fleet-XXXXXX";
static char logged[4096];

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * config_load() of a file holding [rest] listen (unless text has one)
 * and text; what verged
 * logged goes to logged[]. Returns config_load()'s result.
 */
static int load(const char *text, struct verged_config *c)
{
	char path[256], logpath[256];
	char *argv[] = { "verged", "--config", path, NULL };
	int saved, fd, r;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/verged.conf", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	/* the first value of a key wins: the test's listen, if any */
	fprintf(f, "[daemon]\nstate_dir = %s\n%s%s", dir,
		strstr(text, "listen = ") ? "" :
		"[rest]\nlisten = 127.0.0.1:1\n", text);
	fclose(f);
	assert_int_equal(config_parse_args(c, 3, argv), 0);
	fflush(stderr);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	r = config_load(c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fd = open(logpath, O_RDONLY);
	n = read(fd, logged, sizeof(logged) - 1);
	close(fd);
	logged[n > 0 ? n : 0] = '\0';
	return r;
}

/* text is refused, and the message says why (contains why). */
static void refused(const char *text, const char *why)
{
	struct verged_config c;

	if (load(text, &c) != -EINVAL || !strstr(logged, why))
		fail_msg("accepted or wrong message for:\n%s\nlogged: %s",
			 text, logged);
	config_free(&c);
}

static void test_defaults(void **state)
{
	struct verged_config c;

	(void)state;
	assert_int_equal(load("", &c), 0);
	assert_null(c.fleet_etcd);
	assert_string_equal(c.fleet_prefix, "/verge");
	assert_int_equal(c.fleet_ttl_s, 10);
	assert_int_equal(c.fleet_timeout_ms, 2000);
	config_free(&c);
	assert_int_equal(load("[fleet]\netcd = http://127.0.0.1:2379,"
			      " https://e2:2379/\netcd_prefix = /a/b\n"
			      "ttl_s = 3\nsite = rack-7\n"
			      "url = http://me:8420\n", &c), 0);
	assert_string_equal(c.fleet_prefix, "/a/b");
	assert_int_equal(c.fleet_ttl_s, 3);
	assert_string_equal(c.fleet_site, "rack-7");
	config_free(&c);
	assert_int_equal(load("[fleet]\netcd = https://e:2379\netcd_ca = /ca\n"
			      "etcd_cert = /c\netcd_key = /k\netcd_user = u\n"
			      "etcd_password_file = /p\n", &c), 0);
	config_free(&c);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("[fleet]\netcd = 10.0.0.1:2379\n", "'10.0.0.1:2379': expected"
		" an http:// or https:// URL without a path");
	refused("[fleet]\netcd = http://e:2379/v3\n", "without a path");
	refused("[fleet]\netcd = http://\n", "without a path");
	refused("[fleet]\netcd = http://u@e:2379\n", "without a path");
	refused("[fleet]\netcd = ftp://e\n", "'ftp://e'");
	refused("[fleet]\netcd = ,\n", "no endpoint");
	refused("[fleet]\netcd = http://a http://b http://c http://d http://e"
		" http://f http://g http://h http://i http://j http://k"
		" http://l http://m http://n http://o http://p http://q\n",
		"more than 16 endpoints");
	refused("[fleet]\netcd = http://e\netcd_prefix = verge\n",
		"etcd_prefix = 'verge': expected an absolute key path");
	refused("[fleet]\netcd = http://e\netcd_prefix = /verge/\n",
		"without a trailing '/'");
	refused("[fleet]\netcd = http://e\netcd_prefix = /\n",
		"etcd_prefix = '/'");
	refused("[fleet]\netcd = http://e\netcd_prefix = /a//b\n",
		"etcd_prefix = '/a//b'");
	refused("[fleet]\netcd = https://e\netcd_cert = /c\n",
		"etcd_cert and etcd_key go together");
	refused("[fleet]\netcd = http://e\netcd_ca = /ca\n",
		"etcd_ca and etcd_cert need https:// endpoints");
	refused("[fleet]\netcd = http://e\netcd_user = u\n",
		"etcd_user and etcd_password_file go together");
	refused("[fleet]\netcd = http://e\netcd_user = a\"b\n"
		"etcd_password_file = /p\n", "without quotes or backslashes");
	refused("[fleet]\netcd_cert = /c\netcd_key = /k\n",
		"etcd_* settings without [fleet] etcd");
	refused("[fleet]\netcd = http://e\nurl = me:8420\n",
		"url = 'me:8420': expected this host's REST base URL");
	refused("[fleet]\netcd = http://e\nttl_s = 1\n",
		"[fleet] ttl_s = '1': expected an integer in range");
	refused("[fleet]\netcd = http://e\netcd_timeout_ms = 50\n",
		"[fleet] etcd_timeout_ms = '50'");
	refused("[fleet]\netcd = http://e\nsite = "
		"0123456789012345678901234567890123456789012345678901234567890"
		"123456789\n", "site: at most 64 characters");
	refused("[rest]\npeers = http://p:8420\n[fleet]\netcd = http://e\n",
		"[rest] peers and [fleet] etcd exclude each other");
	refused("[rest]\nlisten = off\n[fleet]\netcd = http://e\n",
		"[fleet] etcd needs the REST API");
	refused("[fleet]\netcd_servers = http://e\n",
		"unknown key [fleet] etcd_servers");
}

/* The shipped verged.conf loads (its [fleet] section among the rest). */
static void test_shipped_conf(void **state)
{
	struct verged_config c;
	char text[16384];
	FILE *f = fopen("agentd/verged.conf", "r");
	size_t n;

	(void)state;
	if (!f)
		skip();		/* run from outside the source tree */
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* ours first: the shipped [daemon] paths are the system's */
	assert_int_equal(load(text, &c), 0);
	assert_string_equal(c.fleet_prefix, "/verge");
	assert_int_equal(c.fleet_ttl_s, 10);
	config_free(&c);
}

static const char *const names[] = { "defined", "running", "stopped" };

static void test_record(void **state)
{
	unsigned counts[] = { 2, 3, 1 };
	struct etcd_self s = {
		.name = "edge-1", .url = "http://10.0.0.5:8420",
		.version = "0.1.0", .site = "rack \"7\"", .api = 1, .cpus = 4,
		.memory_mib = 8192, .nstates = 3, .state_names = names,
		.state_counts = counts, .agent_ok = 2, .agent_stale = 1,
		.clock_exact = 1, .clock_dilation = 2,
	};
	char *text, *entry, *sd, *url, err[160];
	json_t *j;

	(void)state;
	text = etcd_record(&s);
	assert_non_null(text);
	assert_string_equal(text,
		"{\"api\":1,\"capacity\":{\"cpus\":4,\"memory_mib\":8192},"
		"\"name\":\"edge-1\",\"site\":\"rack \\\"7\\\"\","
		"\"summary\":{\"agent\":{\"none\":0,\"ok\":2,\"stale\":1},"
		"\"clock\":{\"dilation\":2,\"exact\":1,\"unreported\":0},"
		"\"states\":{\"defined\":2,\"running\":3,\"stopped\":1},"
		"\"vms\":6},\"url\":\"http://10.0.0.5:8420\","
		"\"version\":\"0.1.0\"}");
	/* what another host makes of it */
	assert_int_equal(etcd_parse_record("edge-1", text, strlen(text),
					   &entry, &sd, &url, err,
					   sizeof(err)), 0);
	j = json_loads(entry, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
			    "edge-1");
	assert_true(json_is_false(json_object_get(j, "self")));
	assert_true(json_is_true(json_object_get(j, "reachable")));
	assert_int_equal(json_integer_value(json_object_get(j, "vms")), 6);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(j, "summary"), "states"), "running")), 3);
	json_decref(j);
	assert_string_equal(url, "http://10.0.0.5:8420");
	assert_string_equal(sd, "{\"targets\":[\"10.0.0.5:8420\"],\"labels\":"
			    "{\"__scheme__\":\"http\",\"__metrics_path__\":"
			    "\"/metrics\",\"host\":\"edge-1\",\"version\":"
			    "\"0.1.0\",\"site\":\"rack \\\"7\\\"\"}}");
	free(entry);
	free(sd);
	free(url);
	/* no site: null, and no site label */
	s.site = NULL;
	free(text);
	text = etcd_record(&s);
	assert_non_null(strstr(text, "\"site\":null"));
	free(text);
	sd = etcd_sd_group("https://h.example:9/base", "h", NULL, "");
	assert_string_equal(sd, "{\"targets\":[\"h.example:9\"],\"labels\":"
			    "{\"__scheme__\":\"https\",\"__metrics_path__\":"
			    "\"/metrics\",\"host\":\"h\"}}");
	free(sd);
}

static void bad_record(const char *key, const char *value, const char *why)
{
	char *entry, *sd, *url, err[160];

	if (etcd_parse_record(key, value, strlen(value), &entry, &sd, &url,
			      err, sizeof(err)) != -EBADMSG ||
	    !strstr(err, why))
		fail_msg("%s: accepted or wrong reason: %s", value, err);
	assert_null(entry);
	assert_null(sd);
	assert_null(url);
}

#define GOOD_TAIL "\"version\":\"1\",\"api\":1,\"capacity\":{\"cpus\":1," \
	"\"memory_mib\":1},\"summary\":{\"vms\":0,\"states\":{},\"agent\"" \
	":{},\"clock\":{}}}"

static void test_hostile_records(void **state)
{
	char big[ETCD_MAX_RECORD + 10];

	(void)state;
	bad_record("h", "not json", "not a verge host record");
	bad_record("h", "{}", "not a verge host record");
	bad_record("h", "[1]", "not a verge host record");
	bad_record("h", "{\"name\":\"other\",\"url\":\"http://x\"," GOOD_TAIL,
		   "its name 'other' is not its key's");
	bad_record("h", "{\"name\":\"h\",\"url\":\"file:///etc\"," GOOD_TAIL,
		   "out of range");
	bad_record("h", "{\"name\":\"h\",\"url\":\"http://x\\\"y\","
		   GOOD_TAIL, "out of range");
	bad_record("h", "{\"name\":\"h\",\"name\":\"h\",\"url\":\"http://x\","
		   GOOD_TAIL, "not a verge host record");
	bad_record("h", "{\"name\":\"h\",\"url\":\"http://x\",\"version\":"
		   "\"1\",\"api\":0,\"capacity\":{\"cpus\":1,\"memory_mib\":1},"
		   "\"summary\":{\"vms\":0,\"states\":{},\"agent\":{},"
		   "\"clock\":{}}}", "out of range");
	bad_record("h", "{\"name\":\"h\",\"url\":\"http://x\",\"version\":"
		   "\"1\",\"api\":1,\"capacity\":{\"cpus\":1,\"memory_mib\":1},"
		   "\"summary\":{\"vms\":0,\"states\":{\"running\":-1},"
		   "\"agent\":{},\"clock\":{}}}", "out of range");
	bad_record("h", "{\"name\":\"h\",\"url\":\"http://x\",\"version\":"
		   "\"1\",\"api\":1,\"capacity\":{\"cpus\":1,\"memory_mib\":1},"
		   "\"summary\":{\"vms\":0,\"states\":{\"x\":{}},"
		   "\"agent\":{},\"clock\":{}}}", "out of range");
	memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	bad_record("h", big, "record larger than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_shipped_conf),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_hostile_records),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
