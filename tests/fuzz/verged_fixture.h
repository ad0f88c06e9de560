/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A verged for the harnesses (fuzz_rpc.c, fuzz_rest.c): the real daemon
 * state on a real SQLite store in a fresh directory, as
 * tests/unit/test_verged_rpc.c builds it, with no socket and no loop
 * running. Two VMs are defined, one has agent reports and events.
 */
#ifndef VERGED_FIXTURE_H
#define VERGED_FIXTURE_H
#include "verged.h"

extern struct verged fx_d;
/* A readable file that vm.define accepts as a kernel. */
extern char fx_kernel[];

/* Sets up fx_d; rest_listen is the REST address or "off". Exits on
 * failure (a harness that cannot start must not look like a pass). */
void fx_start(const char *rest_listen, const char *token);
/* Runs one JSON-RPC message as user uid; the reply (malloc'd, "" for
 * none, NULL while a call is pending) goes to *ret_reply. */
void fx_rpc(const char *msg, size_t len, uid_t uid, char **ret_reply);
#endif
