/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How verge reaches verged: one small interface, so that an HTTP
 * transport (`--url`) can sit beside the Unix socket one. A
 * transport moves whole messages: send() one JSON text, recv() the next
 * one verged sent (a reply or a notification). Deadlines are
 * CLOCK_MONOTONIC milliseconds (cli_now_ms()); -1 waits for ever.
 * Functions return 0 or a negative errno: -ETIMEDOUT, -EINTR (a signal,
 * e.g. Ctrl-C), -ECONNRESET (verged closed the connection), -EMSGSIZE.
 */
#ifndef VERGE_CLI_TRANSPORT_H
#define VERGE_CLI_TRANSPORT_H
#include <stddef.h>
#include <stdint.h>

/* Replies larger than this are refused: vm.list of 1,000 VMs is ~0.6 MiB. */
#define CLI_MAX_MESSAGE	(16u << 20)

struct cli_transport;

struct cli_transport_ops {
	int (*send)(struct cli_transport *t, const char *msg, size_t len,
		    int64_t deadline);
	/* *ret_msg is NUL-terminated and the caller's to free(). */
	int (*recv)(struct cli_transport *t, int64_t deadline, char **ret_msg,
		    size_t *ret_len);
	void (*close)(struct cli_transport *t);
};

struct cli_transport {
	const struct cli_transport_ops *ops;
};

int64_t cli_now_ms(void);

/*
 * Connects to verged at endpoint: today a Unix socket path; the one place
 * where another kind (an http:// URL) would be told apart.
 * -ENOENT, -ECONNREFUSED, -EACCES...
 */
int cli_transport_open(const char *endpoint, int64_t deadline,
		       struct cli_transport **ret_t);
int cli_unix_open(const char *path, int64_t deadline,
		  struct cli_transport **ret_t);
#endif
