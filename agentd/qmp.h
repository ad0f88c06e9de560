/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QMP client (QEMU Machine Protocol) on the VM's qmp.sock: connects
 * (retrying while QEMU starts), negotiates capabilities, runs commands
 * and passes events on. QEMU is the server, so verged can reconnect after
 * a restart.
 */
#ifndef VERGED_QMP_H
#define VERGED_QMP_H
#include <stdbool.h>

#include <jansson.h>
#include <uv.h>

struct qmp;

struct qmp_ops {
	void (*event)(void *arg, const char *name, json_t *data);
	/* up: capabilities negotiated; !up: the connection ended. */
	void (*state)(void *arg, bool up);
};

/* ret is the command's "return" or NULL with err its "error" (or NULL
 * when the connection ended first). Both borrowed. */
typedef void (*qmp_reply_fn)(void *arg, json_t *ret, json_t *err);

int qmp_open(uv_loop_t *loop, const char *path, const struct qmp_ops *ops,
	     void *arg, struct qmp **ret_qmp);
/* args stolen (may be NULL); cb may be NULL. */
int qmp_command(struct qmp *q, const char *cmd, json_t *args,
		qmp_reply_fn cb, void *arg);
bool qmp_up(const struct qmp *q);
/* Accept only a server (QEMU) running as uid (a jailed VM's). */
void qmp_expect_peer(struct qmp *q, long long uid);
/* Closes; pending commands are answered (ret NULL, err NULL) first. */
void qmp_close(struct qmp *q);
#endif
