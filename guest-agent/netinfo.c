// SPDX-License-Identifier: Apache-2.0
/* The guest's interfaces and addresses (netinfo.h), from getifaddrs. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "netinfo.h"

static struct netinfo_if *find(struct netinfo *ni, const char *name)
{
	for (int i = 0; i < ni->nifs; i++)
		if (!strcmp(ni->ifs[i].name, name))
			return &ni->ifs[i];
	if (ni->nifs == NETINFO_IFS || strlen(name) >= sizeof(ni->ifs[0].name))
		return NULL;
	snprintf(ni->ifs[ni->nifs].name, sizeof(ni->ifs[0].name), "%s", name);
	return &ni->ifs[ni->nifs++];
}

static int prefix_len(const struct sockaddr *mask, int family)
{
	const unsigned char *p;
	int n = 0, len;

	if (!mask)
		return family == AF_INET ? 32 : 128;
	if (family == AF_INET) {
		p = (const unsigned char *)
			&((const struct sockaddr_in *)mask)->sin_addr;
		len = 4;
	} else {
		p = (const unsigned char *)
			&((const struct sockaddr_in6 *)mask)->sin6_addr;
		len = 16;
	}
	for (int i = 0; i < len; i++)
		for (int b = 7; b >= 0 && (p[i] >> b & 1); b--)
			n++;
	return n;
}

/* IPv4 addresses go before IPv6 ones: the first is the one to show. */
static void add_addr(struct netinfo_if *f, const char *text, bool v4)
{
	int at = f->naddr;

	if (f->naddr == NETINFO_ADDRS) {
		if (!v4 || strchr(f->addr[NETINFO_ADDRS - 1], ':') == NULL)
			return;
		at = NETINFO_ADDRS - 1;	/* an IPv6 one makes room */
	} else {
		f->naddr++;
	}
	if (v4)
		for (; at > 0 && strchr(f->addr[at - 1], ':'); at--)
			memcpy(f->addr[at], f->addr[at - 1], sizeof(f->addr[0]));
	snprintf(f->addr[at], sizeof(f->addr[0]), "%s", text);
}

int netinfo_read(struct netinfo *ni)
{
	struct ifaddrs *all, *a;
	struct netinfo_if *f;
	char ip[INET6_ADDRSTRLEN], text[64];

	memset(ni, 0, sizeof(*ni));
	if (getifaddrs(&all))
		return -errno;
	for (a = all; a; a = a->ifa_next) {
		int fam = a->ifa_addr ? a->ifa_addr->sa_family : AF_UNSPEC;

		if ((a->ifa_flags & IFF_LOOPBACK) || !a->ifa_name ||
		    (fam != AF_INET && fam != AF_INET6 && fam != AF_PACKET) ||
		    !(f = find(ni, a->ifa_name)))
			continue;
		if (fam == AF_PACKET) {
			const struct sockaddr_ll *ll =
				(const struct sockaddr_ll *)a->ifa_addr;

			if (ll->sll_halen == 6)
				snprintf(f->mac, sizeof(f->mac),
					 "%02x:%02x:%02x:%02x:%02x:%02x",
					 ll->sll_addr[0], ll->sll_addr[1],
					 ll->sll_addr[2], ll->sll_addr[3],
					 ll->sll_addr[4], ll->sll_addr[5]);
			continue;
		}
		if (!inet_ntop(fam, fam == AF_INET ?
			       (const void *)&((struct sockaddr_in *)
					       a->ifa_addr)->sin_addr :
			       (const void *)&((struct sockaddr_in6 *)
					       a->ifa_addr)->sin6_addr,
			       ip, sizeof(ip)))
			continue;
		snprintf(text, sizeof(text), "%s/%d", ip,
			 prefix_len(a->ifa_netmask, fam));
		add_addr(f, text, fam == AF_INET);
	}
	freeifaddrs(all);
	return 0;
}

void netinfo_json(const struct netinfo *ni, struct json *j)
{
	const char *first = NULL;

	json_arr_open(j, "interfaces");
	for (int i = 0; i < ni->nifs; i++) {
		const struct netinfo_if *f = &ni->ifs[i];

		json_obj_open(j, NULL);
		json_str(j, "name", f->name);
		if (f->mac[0])
			json_str(j, "mac", f->mac);
		json_arr_open(j, "addresses");
		for (int k = 0; k < f->naddr; k++) {
			json_str(j, NULL, f->addr[k]);
			if (!first)
				first = f->addr[k];
		}
		json_arr_close(j);
		json_obj_close(j);
	}
	json_arr_close(j);
	if (first) {	/* without the prefix length, as guestinfo.ip */
		json_strn(j, "ip", first, strcspn(first, "/"));
	}
}
