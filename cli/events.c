// SPDX-License-Identifier: Apache-2.0
/*
 * verge events: the latest events, and with --follow every new one.
 *
 * verged's events.list pages forward from an event id (`since`, oldest
 * first, jsonrpc.md); it has no "the latest N". verge finds the newest id
 * by doubling and halving probes of one event each (about 2 log2(ids)
 * calls, 40 for a million events), then reads forward from just before
 * the tail. Event ids are consecutive, so without a VM filter one window
 * of N ids holds the N latest events; with one, the window grows until it
 * holds N of that VM's events.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "rpc.h"
#include "run.h"

#define PAGE		1000	/* events.list's largest limit */
#define DEFAULT_LIMIT	100	/* events.list's default limit */

static json_int_t event_id(json_t *e)
{
	return json_integer_value(json_object_get(e, "id"));
}

/* events.list with these parameters (vm copied from the command line). */
static int list(struct cli_ctx *ctx, json_int_t since, json_int_t limit,
		bool filter, json_t **ret)
{
	json_t *p = json_pack("{s:I, s:I}", "since", since, "limit", limit);
	json_t *vm = json_object_get(ctx->inv.params, "vm");
	int r;

	if (filter && vm)
		json_object_set(p, "vm", vm);
	r = cli_call(ctx, "events.list", p, ret);
	json_decref(p);
	if (r == 0 && !json_is_array(*ret)) {
		json_decref(*ret);
		return cli_fail(ctx, CLI_EXIT_ERROR, "protocol", NULL,
				"verged's events.list did not return a list");
	}
	return r;
}

/* *ret_more: whether any event has an id above since. */
static int any_after(struct cli_ctx *ctx, json_int_t since, bool *ret_more)
{
	json_t *a;
	int r;

	r = list(ctx, since, 1, false, &a);
	if (r)
		return r;
	*ret_more = json_array_size(a) > 0;
	json_decref(a);
	return 0;
}

/* The newest event id (0: none): any_after(lo) holds, any_after(hi) not. */
static int newest_id(struct cli_ctx *ctx, json_int_t *ret_id)
{
	json_int_t lo = 0, step = 1, hi, mid;
	bool more;
	int r;

	for (;;) {
		r = any_after(ctx, lo + step, &more);
		if (r)
			return r;
		if (!more)
			break;
		lo += step;
		step *= 2;
	}
	hi = lo + step;
	if (lo == 0) {
		r = any_after(ctx, 0, &more);
		if (r || !more) {
			*ret_id = 0;	/* no events at all */
			return r;
		}
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		r = any_after(ctx, mid, &more);
		if (r)
			return r;
		if (more)
			lo = mid;
		else
			hi = mid;
	}
	*ret_id = hi;
	return 0;
}

/* Appends every event after since to all, keeping the last n. */
static int read_forward(struct cli_ctx *ctx, json_int_t since, size_t n,
			json_int_t first_limit, json_t *all)
{
	json_int_t limit = first_limit;
	json_t *page;
	size_t got;
	int r;

	do {
		r = list(ctx, since, limit, true, &page);
		if (r)
			return r;
		got = json_array_size(page);
		if (got)
			since = event_id(json_array_get(page, got - 1));
		json_array_extend(all, page);
		json_decref(page);
		while (json_array_size(all) > n)
			json_array_remove(all, 0);
		got = got == (size_t)limit;
		limit = PAGE;
	} while (got);
	return 0;
}

/* The n latest events (of the VM, if one is named), oldest first. */
static int latest(struct cli_ctx *ctx, size_t n, json_t **ret)
{
	json_int_t newest, window = (json_int_t)n, since;
	json_t *all;
	int r;

	r = newest_id(ctx, &newest);
	if (r)
		return r;
	for (;;) {
		since = newest > window ? newest - window : 0;
		all = json_array();
		/* The first page asks for n: verged checks --limit's range. */
		r = read_forward(ctx, since, n, (json_int_t)n, all);
		if (r || json_array_size(all) >= n || since == 0)
			break;
		json_decref(all);
		window *= 8;
	}
	if (r) {
		json_decref(all);
		return r;
	}
	*ret = all;
	return 0;
}

static size_t limit_of(struct cli_ctx *ctx)
{
	json_t *l = json_object_get(ctx->inv.params, "limit");

	return l ? (size_t)json_integer_value(l) : DEFAULT_LIMIT;
}

/* The events the command asked for: after --since, else the latest. */
static int first_events(struct cli_ctx *ctx, json_t **ret)
{
	if (json_object_get(ctx->inv.params, "since"))
		return cli_call(ctx, "events.list", ctx->inv.params, ret);
	return latest(ctx, limit_of(ctx), ret);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Ctrl-C, SIGTERM and a closed terminal end --follow with status 0. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int stream(struct cli_ctx *ctx, json_int_t last)
{
	json_t *n, *e;
	int r;

	while (!interrupted) {
		r = cli_rpc_next(ctx->rpc, -1, &n);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return cli_call_failed(ctx, "events.subscribe", r);
		e = json_object_get(n, "params");
		if (!strcmp(cli_jstr(n, "method"), "event") &&
		    json_is_object(e) && event_id(e) > last) {
			last = event_id(e);
			events_follow_one(ctx, e);
		}
		json_decref(n);
	}
	return CLI_EXIT_OK;
}

/*
 * Subscribe first, then list: an event that happens in between is
 * queued by the subscription and printed once, after the list.
 */
static int follow(struct cli_ctx *ctx)
{
	json_t *sub = json_object(), *res = NULL, *list = NULL;
	json_t *vm = json_object_get(ctx->inv.params, "vm");
	json_int_t last = 0;
	int r;

	if (vm)
		json_object_set(sub, "vm", vm);
	catch_signals();
	r = cli_call(ctx, "events.subscribe", sub, &res);
	json_decref(sub);
	json_decref(res);
	if (r == 0)
		r = first_events(ctx, &list);
	if (r)
		return r;
	for (size_t i = 0; i < json_array_size(list); i++)
		if (event_id(json_array_get(list, i)) > last)
			last = event_id(json_array_get(list, i));
	events_follow_start(ctx, list);
	json_decref(list);
	cli_arena_stop();	/* from here on verge runs for hours */
	return stream(ctx, last);
}

int run_events(struct cli_ctx *ctx)
{
	json_t *list;
	int r;

	if (json_is_true(json_object_get(ctx->inv.local, "follow")))
		return follow(ctx);
	r = first_events(ctx, &list);
	if (r)
		return r;
	if (ctx->json)
		cli_print_json(ctx, ctx->out, list);
	else
		show_events(ctx, list);
	json_decref(list);
	return CLI_EXIT_OK;
}
