/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verged's configuration: built-in defaults, then the INI file
 * (/etc/verge/verged.conf unless --config), then the command line.
 * docs/verged.md lists every key.
 */
#ifndef VERGED_CONFIG_H
#define VERGED_CONFIG_H
#include <stdbool.h>
#include <stdio.h>

#ifndef VERGE_VERSION
#error "VERGE_VERSION comes from the top-level VERSION file (Makefile)"
#endif
#define VERGED_VERSION		VERGE_VERSION
#define VERGED_API		1
#define VERGED_DEFAULT_CONFIG	"/etc/verge/verged.conf"

struct verged_config {
	char *config_path;	/* NULL: the default, which may be absent */
	bool config_given;	/* --config: the file must exist */
	char *socket_path;
	char *state_dir;
	char *run_dir;
	char *group;		/* socket group, "verge" */
	char *qemu;		/* QEMU binary */
	char *hv_bin;		/* verge-hv.bin */
	char *machine;		/* -M */
	char *cpu;		/* -cpu: the default of vm.define */
	/* what qemu_probe() found out about the QEMU binary (qemu.c) */
	char *qemu_path;	/* absolute */
	char *qemu_version;	/* "10.0.2" */
	char *qemu_datadir;	/* -L: ../share/qemu beside a QEMU outside
				 * /usr, else NULL */
	char **qemu_cpus;	/* -M virt -cpu help, NULL-terminated */
	bool foreground;
	bool make_token;	/* --make-token: the token file, then exit */
	bool verbose;
	int stop_timeout_s;	/* vm.stop default */
	int agent_timeout_ms;	/* TCLO requests */
	int mgmt_timeout_ms;	/* management-channel requests */
	int report_history;	/* agent reports kept per VM */
	int event_history;	/* events kept in all */
	/* REST API (rest.c, docs/rest.md): [rest] and --rest */
	char *rest_listen;	/* "ADDR:PORT", "[ADDR6]:PORT" or "off" */
	bool rest_explicit;	/* listen was configured, not the default */
	bool rest_metrics_token;	/* /metrics needs the token too */
	char *rest_token_file;	/* bearer token; STATE_DIR/rest.token */
	char *rest_peers;	/* peers' base URLs */
	char *rest_host;	/* this host's name in the fleet */
	int rest_peer_timeout_ms, rest_peer_cache_ms;
	int rest_max_connections, rest_max_per_ip, rest_timeout_s;
	/* fleet registry in etcd (etcd.c, docs/fleet.md): [fleet] */
	char *fleet_etcd;	/* endpoints, comma or space separated */
	char *fleet_prefix;	/* key prefix, "/verge" */
	char *fleet_url;	/* this host's REST URL as others reach it */
	char *fleet_site;	/* a label for Prometheus ("" : none) */
	char *fleet_ca;		/* CA bundle for https endpoints */
	char *fleet_cert, *fleet_key;	/* client certificate and key */
	char *fleet_user;	/* etcd user (with password_file) */
	char *fleet_password_file;
	int fleet_ttl_s;	/* the lease's TTL */
	int fleet_timeout_ms;	/* one request to one endpoint */
	/* jails (jail.c, docs/verged.md): [jail] */
	char *jail_isolation;	/* "on" or "off" */
	char *jail_sandbox;	/* QEMU's -sandbox: "on" or "off" */
	char *jail_helper;	/* verge-jail */
	int jail_uid_base, jail_uid_count;
	char *cgroup_root;	/* /sys/fs/cgroup */
	char *cgroup_parent;	/* "verge" */
	/* groups below verged's own ("on", "off", "auto": under systemd) */
	char *cgroup_delegate;
};

/*
 * Parses argv. Returns 0 to run, 1 when --help or --version was handled
 * (exit 0), or -EINVAL after printing a usage error (exit 2).
 */
int config_parse_args(struct verged_config *c, int argc, char **argv);
/* Defaults, then the INI file, then the arguments already parsed. */
int config_load(struct verged_config *c);
void config_free(struct verged_config *c);
void config_usage(FILE *f);
#endif
