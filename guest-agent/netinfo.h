/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's network interfaces and addresses, for the agent's report
 * (as qemu-ga's guest-network-get-interfaces and vmtoolsd's guestinfo.ip
 * tell their hosts): up to NETINFO_IFS interfaces other than loopback,
 * each with its MAC and up to NETINFO_ADDRS addresses (IPv4 first).
 */
#ifndef VGA_NETINFO_H
#define VGA_NETINFO_H

#define NETINFO_IFS	4
#define NETINFO_ADDRS	3

struct netinfo_if {
	char name[16];
	char mac[18];			/* "" when it has none */
	char addr[NETINFO_ADDRS][64];	/* "10.0.2.15/24", "fe80::1/64" */
	int naddr;
};

struct netinfo {
	struct netinfo_if ifs[NETINFO_IFS];
	int nifs;
};

/* Fills ni (zeroed first, so two reads compare with memcmp). 0 or -errno. */
int netinfo_read(struct netinfo *ni);

struct json;
/* "interfaces": [...] and "ip": the first address (or none). */
void netinfo_json(const struct netinfo *ni, struct json *j);
#endif
