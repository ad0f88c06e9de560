// SPDX-License-Identifier: Apache-2.0
/*
 * Configuration: command line over INI file over built-in defaults. The
 * INI keys are one table; the file is parsed with inih (Debian's
 * libinih-dev).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "etcd.h"
#include "log.h"
#include "rest.h"

enum key_type { KEY_STR, KEY_INT, KEY_BOOL };

/* Every key of verged.conf; docs/verged.md describes them. */
static const struct config_key {
	const char *section, *name;
	enum key_type type;
	size_t off;
	int min, max;
} config_keys[] = {
#define STR(s, n, f) { s, n, KEY_STR, offsetof(struct verged_config, f), 0, 0 }
#define INT(s, n, f, lo, hi) \
	{ s, n, KEY_INT, offsetof(struct verged_config, f), lo, hi }
#define BOOL(s, n, f) \
	{ s, n, KEY_BOOL, offsetof(struct verged_config, f), 0, 1 }
	STR("daemon", "socket", socket_path),
	STR("daemon", "state_dir", state_dir),
	STR("daemon", "run_dir", run_dir),
	STR("daemon", "group", group),
	BOOL("daemon", "verbose", verbose),
	STR("qemu", "binary", qemu),
	STR("qemu", "hypervisor", hv_bin),
	STR("qemu", "machine", machine),
	STR("qemu", "cpu", cpu),
	INT("vm", "stop_timeout_s", stop_timeout_s, 1, 3600),
	INT("vm", "agent_timeout_ms", agent_timeout_ms, 100, 600000),
	INT("vm", "mgmt_timeout_ms", mgmt_timeout_ms, 100, 600000),
	INT("store", "report_history", report_history, 1, 100000),
	INT("store", "event_history", event_history, 100, 10000000),
	/* REST API (docs/rest.md) */
	STR("rest", "listen", rest_listen),
	STR("rest", "token_file", rest_token_file),
	BOOL("rest", "metrics_token", rest_metrics_token),
	STR("rest", "peers", rest_peers),
	STR("rest", "host", rest_host),
	INT("rest", "peer_timeout_ms", rest_peer_timeout_ms, 50, 60000),
	INT("rest", "peer_cache_ms", rest_peer_cache_ms, 0, 600000),
	INT("rest", "max_connections", rest_max_connections, 1, 10000),
	INT("rest", "max_per_ip", rest_max_per_ip, 1, 10000),
	INT("rest", "timeout_s", rest_timeout_s, 1, 3600),
	/* fleet registry in etcd (issue 17) */
	STR("fleet", "etcd", fleet_etcd),
	STR("fleet", "etcd_prefix", fleet_prefix),
	STR("fleet", "url", fleet_url),
	STR("fleet", "site", fleet_site),
	STR("fleet", "etcd_ca", fleet_ca),
	STR("fleet", "etcd_cert", fleet_cert),
	STR("fleet", "etcd_key", fleet_key),
	STR("fleet", "etcd_user", fleet_user),
	STR("fleet", "etcd_password_file", fleet_password_file),
	INT("fleet", "ttl_s", fleet_ttl_s, 2, 3600),
	INT("fleet", "etcd_timeout_ms", fleet_timeout_ms, 100, 60000),
	/* jails (issue 13) */
	STR("jail", "isolation", jail_isolation),
	STR("jail", "sandbox", jail_sandbox),
	STR("jail", "helper", jail_helper),
	INT("jail", "uid_base", jail_uid_base, 1000, 2000000000),
	INT("jail", "uid_count", jail_uid_count, 2, 1000000),
	STR("jail", "cgroup_root", cgroup_root),
	STR("jail", "cgroup_parent", cgroup_parent),
	STR("jail", "cgroup_delegate", cgroup_delegate),
#undef STR
#undef INT
#undef BOOL
};

#define UNSET	INT_MIN

/* Installed location first, then the build tree (next to verged). */
static const char *const hv_installed = "/usr/lib/verge/verge-hv.bin";
static const char *const jail_installed = "/usr/lib/verge/verge-jail";

void config_usage(FILE *f)
{
	fputs("usage: verged [--config FILE] [--socket PATH] "
	      "[--state-dir DIR]\n"
	      "              [--run-dir DIR] [--rest ADDR:PORT|off]"
	      " [--qemu PATH]\n"
	      "              [--foreground] [--verbose]\n"
	      "       verged [--config FILE] --make-token\n"
	      "       verged --version | --help\n", f);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
	if (!*dst) {
		log_err("out of memory");
		exit(1);
	}
}

int config_parse_args(struct verged_config *c, int argc, char **argv)
{
	enum { O_SOCKET = 256, O_STATE, O_RUN, O_REST, O_MAKE_TOKEN, O_QEMU };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "run-dir", required_argument, NULL, O_RUN },
		{ "rest", required_argument, NULL, O_REST },
		{ "qemu", required_argument, NULL, O_QEMU },
		{ "make-token", no_argument, NULL, O_MAKE_TOKEN },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int o;

	memset(c, 0, sizeof(*c));
	c->stop_timeout_s = c->agent_timeout_ms = c->mgmt_timeout_ms = UNSET;
	c->report_history = c->event_history = UNSET;
	c->rest_peer_timeout_ms = c->rest_peer_cache_ms = UNSET;
	c->rest_max_connections = c->rest_max_per_ip = UNSET;
	c->rest_timeout_s = UNSET;
	c->jail_uid_base = c->jail_uid_count = UNSET;
	c->fleet_ttl_s = c->fleet_timeout_ms = UNSET;
	c->verbose = false;
	optind = 1;
	while ((o = getopt_long(argc, argv, "c:fvVh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			set_str(&c->config_path, optarg);
			c->config_given = true;
			break;
		case O_SOCKET: set_str(&c->socket_path, optarg); break;
		case O_STATE: set_str(&c->state_dir, optarg); break;
		case O_RUN: set_str(&c->run_dir, optarg); break;
		case O_REST: set_str(&c->rest_listen, optarg); break;
		case O_QEMU: set_str(&c->qemu, optarg); break;
		case O_MAKE_TOKEN: c->make_token = true; break;
		case 'f': c->foreground = true; break;
		case 'v': c->verbose = true; break;
		case 'V':
			printf("verged %s (api %d)\n", VERGED_VERSION,
			       VERGED_API);
			return 1;
		case 'h':
			config_usage(stdout);
			return 1;
		default:
			config_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "verged: unexpected argument '%s'\n",
			argv[optind]);
		config_usage(stderr);
		return -EINVAL;
	}
	return 0;
}

struct ini_ctx {
	struct verged_config *c;
	const char *path;
	int err;
};

static int parse_value(const struct config_key *k, struct ini_ctx *x,
		       const char *value)
{
	void *field = (char *)x->c + k->off;
	char *end;
	long v;

	if (k->type == KEY_STR) {
		if (!*(char **)field)	/* the command line wins */
			set_str(field, value);
		return 0;
	}
	if (k->type == KEY_BOOL) {
		/* false never lowers a flag the command line raised */
		if (!strcmp(value, "true") || !strcmp(value, "yes") ||
		    !strcmp(value, "1"))
			*(bool *)field = true;
		else if (strcmp(value, "false") && strcmp(value, "no") &&
			 strcmp(value, "0"))
			goto bad;
		return 0;
	}
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < k->min || v > k->max)
		goto bad;
	*(int *)field = (int)v;
	return 0;
bad:
	log_err("%s: [%s] %s = '%s': expected %s", x->path,
		k->section, k->name, value,
		k->type == KEY_BOOL ? "true or false" : "an integer in range");
	return -EINVAL;
}

static int on_ini_key(void *user, const char *section, const char *name,
		       const char *value)
{
	struct ini_ctx *x = user;
	size_t i;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(k->section, section) || strcmp(k->name, name))
			continue;
		if (parse_value(k, x, value))
			x->err = -EINVAL;
		return 1;
	}
	log_err("%s: unknown key [%s] %s", x->path, section, name);
	x->err = -EINVAL;
	return 1;
}

/* The directory of /proc/self/exe + "/" + name, if that file exists. */
static char *beside_exe(const char *name)
{
	char exe[PATH_MAX], *slash, *p;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	slash[1] = '\0';
	if (asprintf(&p, "%s%s", exe, name) < 0)
		return NULL;
	if (access(p, R_OK)) {
		free(p);
		return NULL;
	}
	return p;
}

static void default_str(char **dst, const char *v)
{
	if (!*dst)
		set_str(dst, v);
}

static void default_int(int *dst, int v)
{
	if (*dst == UNSET)
		*dst = v;
}

static void apply_defaults(struct verged_config *c)
{
	default_str(&c->socket_path, "/run/verge/verged.sock");
	default_str(&c->state_dir, "/var/lib/verge");
	default_str(&c->run_dir, "/run/verge");
	default_str(&c->group, "verge");
	default_str(&c->qemu, "qemu-system-aarch64");
	default_str(&c->machine, "virt,virtualization=on,gic-version=3");
	default_str(&c->cpu, "cortex-a57");
	if (!c->hv_bin && access(hv_installed, R_OK) == 0)
		set_str(&c->hv_bin, hv_installed);
	if (!c->hv_bin)
		c->hv_bin = beside_exe("verge-hv.bin");
	/* none found: the installed path, for the error message */
	default_str(&c->hv_bin, hv_installed);
	default_int(&c->stop_timeout_s, 30);
	default_int(&c->agent_timeout_ms, 5000);
	default_int(&c->mgmt_timeout_ms, 3000);
	default_int(&c->report_history, 100);
	default_int(&c->event_history, 100000);
	default_str(&c->rest_listen, REST_DEFAULT_LISTEN);
	if (!c->rest_token_file &&
	    asprintf(&c->rest_token_file, "%s/" REST_TOKEN_NAME,
		     c->state_dir) < 0) {
		log_err("out of memory");
		exit(1);
	}
	default_int(&c->rest_peer_timeout_ms, 1000);
	default_int(&c->rest_peer_cache_ms, 1000);
	default_int(&c->rest_max_connections, 256);
	default_int(&c->rest_max_per_ip, 64);
	default_int(&c->rest_timeout_s, 10);
	default_str(&c->fleet_prefix, "/verge");
	default_int(&c->fleet_ttl_s, 10);
	default_int(&c->fleet_timeout_ms, 2000);
	default_str(&c->jail_isolation, "on");
	default_str(&c->jail_sandbox, "on");
	if (!c->jail_helper && access(jail_installed, X_OK) == 0)
		set_str(&c->jail_helper, jail_installed);
	if (!c->jail_helper)
		c->jail_helper = beside_exe("verge-jail");
	default_str(&c->jail_helper, jail_installed);
	default_int(&c->jail_uid_base, 3000000);
	default_int(&c->jail_uid_count, 65536);
	default_str(&c->cgroup_root, "/sys/fs/cgroup");
	default_str(&c->cgroup_parent, "verge");
	default_str(&c->cgroup_delegate, "auto");
}

static bool on_off(const char *v)
{
	return !strcmp(v, "on") || !strcmp(v, "off");
}

/* The [jail] values inih cannot check for us. */
static int check_jail(const struct verged_config *c)
{
	const char *p = c->cgroup_parent;

	if (!on_off(c->jail_isolation) || !on_off(c->jail_sandbox)) {
		log_err("%s: [jail] isolation and sandbox are 'on' or 'off'",
			c->config_path);
		return -EINVAL;
	}
	if (!on_off(c->cgroup_delegate) && strcmp(c->cgroup_delegate, "auto")) {
		log_err("%s: [jail] cgroup_delegate is 'on', 'off' or 'auto'",
			c->config_path);
		return -EINVAL;
	}
	if (c->cgroup_root[0] != '/' || !*p || p[0] == '/' ||
	    strstr(p, "..") || c->jail_helper[0] != '/') {
		log_err("%s: [jail] cgroup_root and helper are absolute paths;"
			" cgroup_parent is a relative one without '..'",
			c->config_path);
		return -EINVAL;
	}
	return 0;
}

static bool is_http_url(const char *u)
{
	return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8);
}

static bool empty(const char *s)
{
	return !s || !*s;
}

/*
 * The [fleet] values (docs/fleet.md): etcd endpoints are http:// or
 * https:// URLs without a path; the prefix an absolute key path; TLS and
 * user settings only with endpoints that can use them.
 */
static int check_fleet(const struct verged_config *c)
{
	const char *path = c->config_path, *p = c->fleet_prefix;
	char *list, *tok, *save = NULL;
	size_t n = 0;
	bool http = false;
	int err = 0;

	if (empty(c->fleet_etcd)) {
		if (!empty(c->fleet_ca) || !empty(c->fleet_cert) ||
		    !empty(c->fleet_key) || !empty(c->fleet_user) ||
		    !empty(c->fleet_password_file)) {
			log_err("%s: [fleet] etcd_* settings without [fleet]"
				" etcd (the endpoints)", path);
			return -EINVAL;
		}
		return 0;
	}
	list = strdup(c->fleet_etcd);
	if (!list)
		return -ENOMEM;
	for (tok = strtok_r(list, " ,\t", &save); tok && !err;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		bool tls = !strncmp(tok, "https://", 8);
		const char *host = is_http_url(tok) ? tok + (tls ? 8 : 7) : tok;
		const char *slash = strchr(host, '/');

		if (!is_http_url(tok) || !*host || *host == '/' ||
		    (slash && slash[1]) || strlen(tok) > 512 ||
		    strpbrk(tok, "?#@")) {
			log_err("%s: [fleet] etcd: '%s': expected an http:// or"
				" https:// URL without a path (e.g."
				" http://10.0.0.1:2379)", path, tok);
			err = -EINVAL;
		} else if (++n > ETCD_MAX_ENDPOINTS) {
			log_err("%s: [fleet] etcd: more than %d endpoints",
				path, ETCD_MAX_ENDPOINTS);
			err = -EINVAL;
		}
		http |= !tls;
	}
	free(list);
	if (err)
		return err;
	if (!n) {
		log_err("%s: [fleet] etcd: no endpoint", path);
		return -EINVAL;
	}
	if (p[0] != '/' || strlen(p) < 2 || strlen(p) > 128 ||
	    p[strlen(p) - 1] == '/' || strpbrk(p, " \t\r\n") ||
	    strstr(p, "//")) {
		log_err("%s: [fleet] etcd_prefix = '%s': expected an absolute"
			" key path without a trailing '/' (e.g. /verge)", path,
			p);
		return -EINVAL;
	}
	if (empty(c->fleet_cert) != empty(c->fleet_key)) {
		log_err("%s: [fleet] etcd_cert and etcd_key go together",
			path);
		return -EINVAL;
	}
	if ((!empty(c->fleet_cert) || !empty(c->fleet_ca)) && http) {
		log_err("%s: [fleet] etcd_ca and etcd_cert need https://"
			" endpoints", path);
		return -EINVAL;
	}
	if (empty(c->fleet_user) != empty(c->fleet_password_file)) {
		log_err("%s: [fleet] etcd_user and etcd_password_file go"
			" together", path);
		return -EINVAL;
	}
	if (!empty(c->fleet_user) && (strlen(c->fleet_user) > 128 ||
				      strpbrk(c->fleet_user, "\"\\"))) {
		log_err("%s: [fleet] etcd_user: at most 128 characters,"
			" without quotes or backslashes", path);
		return -EINVAL;
	}
	if (!empty(c->fleet_url) && (!is_http_url(c->fleet_url) ||
				     strlen(c->fleet_url) > 512)) {
		log_err("%s: [fleet] url = '%s': expected this host's REST"
			" base URL, http:// or https://", path, c->fleet_url);
		return -EINVAL;
	}
	if (!empty(c->fleet_site) && strlen(c->fleet_site) > 64) {
		log_err("%s: [fleet] site: at most 64 characters", path);
		return -EINVAL;
	}
	if (!empty(c->rest_peers)) {
		log_err("%s: [rest] peers and [fleet] etcd exclude each other:"
			" with etcd, the fleet is who is registered", path);
		return -EINVAL;
	}
	if (!strcmp(c->rest_listen, "off")) {
		log_err("%s: [fleet] etcd needs the REST API (its URL is what"
			" the host registers); [rest] listen is off", path);
		return -EINVAL;
	}
	return 0;
}

int config_load(struct verged_config *c)
{
	struct ini_ctx x = { .c = c };
	int r;

	default_str(&c->config_path, VERGED_DEFAULT_CONFIG);
	x.path = c->config_path;
	r = ini_parse(c->config_path, on_ini_key, &x);
	if (r == -1 && !c->config_given && errno == ENOENT) {
		log_debug("no %s: built-in defaults", c->config_path);
	} else if (r == -1) {
		log_err("%s: cannot read: %s", c->config_path, strerror(errno));
		return -errno;
	} else if (r > 0) {
		log_err("%s:%d: syntax error", c->config_path, r);
		return -EINVAL;
	} else if (r < 0) {
		log_err("%s: cannot parse (%d)", c->config_path, r);
		return -EINVAL;
	}
	if (x.err)
		return x.err;
	c->rest_explicit = c->rest_listen != NULL;
	apply_defaults(c);
	r = check_jail(c);
	return r ? r : check_fleet(c);
}

void config_free(struct verged_config *c)
{
	size_t i;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (config_keys[i].type == KEY_STR)
			free(*(char **)((char *)c + config_keys[i].off));
	free(c->config_path);
	free(c->qemu_path);
	free(c->qemu_version);
	free(c->qemu_datadir);
	for (i = 0; c->qemu_cpus && c->qemu_cpus[i]; i++)
		free(c->qemu_cpus[i]);
	free(c->qemu_cpus);
	memset(c, 0, sizeof(*c));
}
