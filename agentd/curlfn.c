// SPDX-License-Identifier: Apache-2.0
/* libcurl through dlopen() (curlfn.h). */
#include <dlfcn.h>
#include <stdbool.h>

#include "curlfn.h"

static struct curl_fns fns;
static bool loaded;

const struct curl_fns *curl_fns_load(const char **why)
{
	void *h;

	if (loaded)
		return &fns;
	h = dlopen(CURLFN_SONAME, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		*why = dlerror();
		return NULL;
	}
	/* POSIX: a function pointer may be read through a void * */
#define CURLFN_LOAD(name)						\
	if (!(*(void **)&fns.name = dlsym(h, "curl_" #name))) {		\
		*why = dlerror();					\
		dlclose(h);						\
		return NULL;						\
	}
	CURLFN_LIST(CURLFN_LOAD)
#undef CURLFN_LOAD
	loaded = true;
	return &fns;
}

void curl_fns_setup(CURL *h, const char *url, long connect_ms,
		    long timeout_ms, struct curl_slist *headers)
{
	fns.easy_setopt(h, CURLOPT_URL, url);
	fns.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	fns.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	fns.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	fns.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (headers)
		fns.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
}
