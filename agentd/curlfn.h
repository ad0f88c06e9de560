/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcurl, loaded the first time verged needs it (peers.c: a fleet with
 * peers; etcd.c), or verge (cli/http.c: --url with https://, or several
 * URLs at once; a single http:// GET goes without it, cli/http_plain.c).
 * Linked in, libcurl and the TLS, Kerberos, LDAP, SSH and RTMP
 * libraries it brings cost every verged about 3 MB of resident memory at
 * start, for a feature a host without peers never uses, and verge about
 * 80 ms at every start (docs/verged.md, "vm.list and memory").
 */
#ifndef VERGED_CURLFN_H
#define VERGED_CURLFN_H
#include <curl/curl.h>

/* The libcurl functions verged calls, typed after libcurl's header. */
#define CURLFN_LIST(X) \
	X(global_init) \
	X(global_cleanup) \
	X(easy_init) \
	X(easy_cleanup) \
	X(easy_setopt) \
	X(easy_getinfo) \
	X(easy_strerror) \
	X(easy_escape) \
	X(easy_reset) \
	X(easy_perform) \
	X(free) \
	X(multi_init) \
	X(multi_cleanup) \
	X(multi_add_handle) \
	X(multi_remove_handle) \
	X(multi_info_read) \
	X(multi_perform) \
	X(multi_poll) \
	X(multi_wakeup) \
	X(slist_append) \
	X(slist_free_all)

struct curl_fns {
#define CURLFN_FIELD(name) __typeof__(curl_##name) *name;
	CURLFN_LIST(CURLFN_FIELD)
#undef CURLFN_FIELD
};

/* The library's soname: the one the -dev package links against. */
#define CURLFN_SONAME	"libcurl.so.4"

/*
 * libcurl's functions (loaded once, never unloaded), or NULL with *why
 * set to dlerror()'s text. Call it on one thread before any other uses
 * them (peers_start() does, before its thread exists).
 */
const struct curl_fns *curl_fns_load(const char **why);

/*
 * What every transfer of verged and verge sets on h (after
 * curl_fns_load()): the URL, http and https only, no signals, a
 * connection timeout and a whole-transfer timeout (0: none) in ms, and
 * the request headers (may be NULL).
 */
void curl_fns_setup(CURL *h, const char *url, long connect_ms,
		    long timeout_ms, struct curl_slist *headers);
#endif
