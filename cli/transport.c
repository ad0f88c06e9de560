// SPDX-License-Identifier: Apache-2.0
/* Choosing a transport (transport.h). */
#include <time.h>

#include "http.h"
#include "transport.h"

int64_t cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* `--url`: an "http://" or "https://" endpoint gets the HTTP transport. */
int cli_transport_open(const char *endpoint, int64_t deadline,
		       struct cli_transport **ret_t)
{
	if (cli_is_url(endpoint))
		return cli_http_open(endpoint, deadline, ret_t);
	return cli_unix_open(endpoint, deadline, ret_t);
}
