/* SPDX-License-Identifier: Apache-2.0 */
/* Command handlers and their human printers (run.c, show.c). */
#ifndef VERGE_CLI_RUN_H
#define VERGE_CLI_RUN_H
#include "cli.h"

int run_call(struct cli_ctx *ctx);
/* A transport or protocol failure r of a call to method, reported. */
int cli_call_failed(struct cli_ctx *ctx, const char *method, int r);
int run_stop(struct cli_ctx *ctx);
int run_events(struct cli_ctx *ctx);
int run_version(struct cli_ctx *ctx);
int run_fleet_status(struct cli_ctx *ctx);	/* fleet.c */
void show_fleet(struct cli_ctx *ctx, json_t *r);
/* `verge __complete CWORD WORD...` (complete.c), before any parsing. */
int cli_complete(int argc, char **argv);

void show_vm_list(struct cli_ctx *ctx, json_t *r);
void show_vm(struct cli_ctx *ctx, json_t *r);
void show_disks(struct cli_ctx *ctx, json_t *r);
void show_vm_state(struct cli_ctx *ctx, json_t *r);
void show_undefined(struct cli_ctx *ctx, json_t *r);
void show_console(struct cli_ctx *ctx, json_t *r);
void show_clock(struct cli_ctx *ctx, json_t *r);
void show_agent(struct cli_ctx *ctx, json_t *r);
void show_ping(struct cli_ctx *ctx, json_t *r);
void show_fields(struct cli_ctx *ctx, json_t *r);
void show_sync_time(struct cli_ctx *ctx, json_t *r);
void show_guestinfo(struct cli_ctx *ctx, json_t *r);
void show_nothing(struct cli_ctx *ctx, json_t *r);
void show_events(struct cli_ctx *ctx, json_t *r);
/* events --follow: the events so far, then one at a time. */
void events_follow_start(struct cli_ctx *ctx, json_t *list);
void events_follow_one(struct cli_ctx *ctx, json_t *event);
#endif
