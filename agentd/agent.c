// SPDX-License-Identifier: Apache-2.0
/*
 * What verged does on a VM's management channel besides clock requests:
 * hypervisor events, the guest agent's RPCI messages (reports, hello),
 * TCLO commands to the agent matched to their replies by ID, and
 * guestinfo in both directions (docs/jsonrpc.md, "Guest agent messages").
 * Everything that comes from the guest is untrusted: bounded, checked,
 * and made valid UTF-8 before it is stored or shown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hvlink.h"
#include "log.h"
#include "qmp.h"
#include "rpc.h"
#include "store.h"
#include "verged.h"
#include "vm.h"

#define GUESTINFO_MAX_KEY	128
#define AGENT_MAX_STR		64
/* What one guest may add to the event log and the reports, sustained and
 * at once; the rest is dropped and counted (docs/jsonrpc.md). */
#define GUEST_EVENTS_PER_S	1.0
#define GUEST_EVENTS_BURST	20.0
#define GUEST_REPORTS_PER_S	2.0
#define GUEST_REPORTS_BURST	10.0

struct tclo_req {
	struct tclo_req *next;
	struct vm *vm;
	uint32_t id;
	struct rpc_call *call;	/* NULL once answered (timeout) */
	void (*done)(struct rpc_call *call, struct vm *vm, json_t *reply,
		     double rtt_ms);
	uv_timer_t *timer;
	uint64_t sent_ns;
	bool pushing;		/* the hypervisor has not acked the push */
};

/* --- text from the guest -------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *vm_text_json(const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	char *o = malloc(n * 3 + 1);
	size_t i = 0, j = 0, k;
	json_t *s;

	if (!o)
		return json_string("");
	while (i < n) {
		k = utf8_len(p + i, n - i);
		if (!k) {	/* U+FFFD for a byte that is not UTF-8 */
			memcpy(o + j, "\xef\xbf\xbd", 3);
			j += 3;
			i++;
		} else if (k == 1 && (p[i] < 0x20 || p[i] == 0x7f) &&
			   p[i] != '\n' && p[i] != '\t') {
			/* CRLF from the serial console: drop the CR */
			if (p[i] != '\r')
				o[j++] = '?';
			i++;
		} else {
			memcpy(o + j, p + i, k);
			j += k;
			i += k;
		}
	}
	s = json_stringn(o, j);
	free(o);
	return s ? s : json_string("");
}

static char *bounded_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || json_string_length(v) > AGENT_MAX_STR)
		return NULL;
	return strdup(json_string_value(v));
}

/* An IPv4 or IPv6 address the guest reports, or NULL. */
static char *address_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	unsigned char a[16];

	if (!s || strlen(s) >= INET6_ADDRSTRLEN ||
	    (inet_pton(AF_INET, s, a) != 1 && inet_pton(AF_INET6, s, a) != 1))
		return NULL;
	return strdup(s);
}

/* --- rate limits of what the guest causes --------------------------------- */

static bool guest_allow(struct vm *vm, struct vm_guest_bucket *b,
			double per_s, double burst)
{
	double now = (double)uv_now(vm->d->loop) / 1000.0;

	if (!b->at)
		b->tokens = burst;
	else if ((b->tokens += (now - b->at) * per_s) > burst)
		b->tokens = burst;
	b->at = now ? now : 1e-3;
	if (b->tokens < 1.0) {
		b->dropped++;
		return false;
	}
	b->tokens -= 1.0;
	return true;
}

/* Before the next guest record that passes, and when the VM's links
 * drop: how many did not pass. */
void vm_guest_flush(struct vm *vm)
{
	uint64_t ev = vm->guest_events.dropped, rep = vm->guest_reports.dropped;

	if (!ev && !rep)
		return;
	log_warn("%s: rate limit: dropped %llu guest events and %llu agent"
		 " reports", vm->def.name, (unsigned long long)ev,
		 (unsigned long long)rep);
	verged_guest_event(vm->d, vm->def.name, "guest.dropped",
			   json_pack("{sI sI}", "events", (json_int_t)ev,
				     "reports", (json_int_t)rep));
	vm->guest_events.dropped = vm->guest_reports.dropped = 0;
}

void vm_guest_event(struct vm *vm, const char *type, json_t *detail)
{
	if (!guest_allow(vm, &vm->guest_events, GUEST_EVENTS_PER_S,
			 GUEST_EVENTS_BURST)) {
		json_decref(detail);
		return;
	}
	vm_guest_flush(vm);
	verged_guest_event(vm->d, vm->def.name, type, detail);
}

/* --- RPCI: messages the agent sends --------------------------------------- */

static void agent_report(struct vm *vm, const char *json_text, size_t n)
{
	json_t *r;
	char *dump;

	if (!guest_allow(vm, &vm->guest_reports, GUEST_REPORTS_PER_S,
			 GUEST_REPORTS_BURST))
		return;
	vm_guest_flush(vm);
	r = json_loadb(json_text, n, 0, NULL);
	if (!json_is_object(r)) {
		log_warn("%s: agent report is not a JSON object; ignored",
			 vm->def.name);
		json_decref(r);
		return;
	}
	dump = json_dumps(r, JSON_COMPACT);
	if (dump && store_report_add(vm->d->store, vm->def.id, verged_now(),
				     dump, vm->d->cfg.report_history) == 0)
		verged_dirty(vm->d);
	free(dump);
	vm->agent_at = verged_now();
	vm_boot_succeeded(vm);
	free(vm->agent_detect);
	free(vm->agent_hostname);
	vm->agent_detect = bounded_str(r, "detect");
	vm->agent_hostname = bounded_str(r, "hostname");
	free(vm->agent_channel);
	vm->agent_channel = bounded_str(r, "channel");
	free(vm->agent_ip);
	vm->agent_ip = address_str(r, "ip");
	json_decref(r);
}

static void agent_hello(struct vm *vm, const char *json_text, size_t n)
{
	json_t *h = json_loadb(json_text, n, 0, NULL);

	if (!json_is_object(h)) {
		json_decref(h);
		h = json_pack("{so}", "text", vm_text_json(json_text, n));
	}
	vm_guest_event(vm, "agent.hello", h);
}

static const struct {
	const char *prefix;
	void (*fn)(struct vm *vm, const char *rest, size_t n);
} rpci_handlers[] = {
	{ "verge.report ", agent_report },
	{ "verge.hello ", agent_hello },
};

static void on_rpci(struct vm *vm, const char *text, size_t n)
{
	size_t i, plen;

	for (i = 0; i < sizeof(rpci_handlers) / sizeof(rpci_handlers[0]);
	     i++) {
		plen = strlen(rpci_handlers[i].prefix);
		if (n >= plen && !memcmp(text, rpci_handlers[i].prefix, plen)) {
			rpci_handlers[i].fn(vm, text + plen, n - plen);
			return;
		}
	}
	log_debug("%s: RPCI '%.*s' not for verged", vm->def.name,
		  (int)(n > 40 ? 40 : n), text);
}

/* --- TCLO: commands verged sends, replies matched by ID ------------------- */

static void timer_closed(uv_handle_t *h)
{
	free(h);
}

static void tclo_free(struct tclo_req *t)
{
	if (t->timer) {
		t->timer->data = NULL;
		uv_close((uv_handle_t *)t->timer, timer_closed);
	}
	free(t);
}

static void tclo_unlink(struct tclo_req *t)
{
	struct tclo_req **pp = &t->vm->tclo;

	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
}

/* Answers the call (if still waiting) with an error; frees the request
 * unless the hypervisor still holds it. */
static void tclo_fail(struct tclo_req *t, int code, const char *why)
{
	if (t->call)
		rpc_fail(t->call, code, NULL, "%s: %s", t->vm->def.name, why);
	t->call = NULL;
	tclo_unlink(t);
	if (!t->pushing)
		tclo_free(t);
}

static void tclo_timeout(uv_timer_t *h)
{
	struct tclo_req *t = h->data;

	if (t)
		tclo_fail(t, RPC_AGENT_UNAVAILABLE,
			  "the guest agent did not answer in time; is "
			  "verge-guest-agent running in the guest?");
}

static void tclo_pushed(void *arg, int err, const struct vp_frame *f)
{
	struct tclo_req *t = arg;

	(void)f;
	t->pushing = false;
	if (!t->call) {		/* answered meanwhile */
		tclo_free(t);
		return;
	}
	if (err)
		tclo_fail(t, err == -EPROTO ? RPC_AGENT_UNAVAILABLE :
			  RPC_HV_UNAVAILABLE, err == -EPROTO ?
			  "the hypervisor's TCLO queue is full; retry" :
			  "the hypervisor did not take the command");
}

static void on_tclo_reply(struct vm *vm, const char *text, size_t n)
{
	char buf[VP_MAX_PAYLOAD + 1], *rest, *end;
	struct tclo_req *t;
	unsigned long id;
	bool ok;
	json_t *j;

	memcpy(buf, text, n);
	buf[n] = '\0';
	ok = !strncmp(buf, "OK ", 3);
	if (!ok && strncmp(buf, "ERROR ", 6)) {
		log_debug("%s: TCLO reply '%.20s' is not ours", vm->def.name,
			  buf);
		return;
	}
	id = strtoul(buf + (ok ? 3 : 6), &end, 10);
	for (t = vm->tclo; t && t->id != id; t = t->next)
		;
	if (!t || !t->call || (*end && *end != ' ')) {
		log_debug("%s: TCLO reply for no pending ID", vm->def.name);
		return;
	}
	rest = *end ? end + 1 : end;
	if (!ok) {
		char why[VP_MAX_PAYLOAD + 64];

		snprintf(why, sizeof(why), "the guest agent says: %s", rest);
		tclo_fail(t, RPC_AGENT_UNAVAILABLE, why);
		return;
	}
	j = *rest ? json_loads(rest, 0, NULL) : json_object();
	if (!j) {
		tclo_fail(t, RPC_AGENT_UNAVAILABLE,
			  "the guest agent's reply is not JSON");
		return;
	}
	t->done(t->call, vm, j,
		(double)(uv_hrtime() - t->sent_ns) / 1e6);
	json_decref(j);
	t->call = NULL;
	tclo_unlink(t);
	if (!t->pushing)
		tclo_free(t);
}

void vm_tclo(struct vm *vm, const char *verb, const char *arg,
	     unsigned timeout_factor, struct rpc_call *call,
	     void (*done)(struct rpc_call *call, struct vm *vm, json_t *reply,
			  double rtt_ms))
{
	struct tclo_req *t;
	char text[VP_MAX_PAYLOAD];
	int n;

	if (!hvlink_up(vm->hv)) {
		rpc_fail(call, RPC_HV_UNAVAILABLE, NULL, "%s: the management"
			 " channel is not connected; is the VM running?",
			 vm->def.name);
		return;
	}
	t = calloc(1, sizeof(*t));
	if (t)
		t->timer = calloc(1, sizeof(*t->timer));
	if (!t || !t->timer) {
		free(t);
		rpc_fail(call, RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	t->vm = vm;
	t->id = ++vm->tclo_id;
	t->call = call;
	t->done = done;
	n = snprintf(text, sizeof(text), "%s %u%s%s", verb, t->id,
		     arg ? " " : "", arg ? arg : "");
	uv_timer_init(vm->d->loop, t->timer);
	t->timer->data = t;
	t->next = vm->tclo;
	vm->tclo = t;
	t->sent_ns = uv_hrtime();
	t->pushing = true;
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    hvlink_request(vm->hv, VP_TCLO_PUSH, text, (uint32_t)n,
			   tclo_pushed, t)) {
		t->pushing = false;
		tclo_fail(t, RPC_HV_UNAVAILABLE,
			  "cannot send to the hypervisor");
		return;
	}
	uv_timer_start(t->timer, tclo_timeout,
		       (uint64_t)vm->d->cfg.agent_timeout_ms * timeout_factor, 0);
}

void vm_tclo_cancel_all(struct vm *vm, const char *why)
{
	struct tclo_req *t;

	/* Called after the link is closed: no push callback will come. */
	while ((t = vm->tclo)) {
		t->pushing = false;
		tclo_fail(t, RPC_HV_UNAVAILABLE, why);
	}
}

/* --- guestinfo ------------------------------------------------------------ */

static void gi_pushed(void *arg, int err, const struct vp_frame *f)
{
	(void)f;
	if (err)
		log_warn("%s: guestinfo push failed (%d)", (char *)arg, err);
}

void vm_guestinfo_push(struct vm *vm, const char *key, const char *value)
{
	char buf[VP_MAX_PAYLOAD];
	size_t k = strlen(key), v = strlen(value);

	if (!hvlink_up(vm->hv) || k + 1 + v > sizeof(buf))
		return;
	memcpy(buf, key, k + 1);
	memcpy(buf + k + 1, value, v);
	/* The name outlives the request: hvlink_close drops callbacks. */
	hvlink_request(vm->hv, VP_GUESTINFO_SET, buf, (uint32_t)(k + 1 + v),
		       gi_pushed, vm->def.name);
}

static void push_one(const char *k, const char *v, void *arg)
{
	vm_guestinfo_push(arg, k, v);
}

static void push_all_guestinfo(struct vm *vm)
{
	store_guestinfo_foreach_host(vm->d->store, vm->def.id, push_one, vm);
}

static bool valid_key(const char *k, size_t n)
{
	size_t i;

	if (!n || n > GUESTINFO_MAX_KEY)
		return false;
	for (i = 0; i < n; i++)
		if (k[i] <= 0x20 || k[i] >= 0x7f)
			return false;
	return true;
}

static void on_guestinfo(struct vm *vm, const char *p, size_t n)
{
	const char *nul = memchr(p, '\0', n);
	json_t *value;

	if (!nul || !valid_key(p, (size_t)(nul - p))) {
		log_warn("%s: malformed guestinfo from the guest; ignored",
			 vm->def.name);
		return;
	}
	value = vm_text_json(nul + 1, n - (size_t)(nul - p) - 1);
	if (store_guestinfo_set(vm->d->store, vm->def.id, p,
				json_string_value(value), "guest") == 0)
		verged_dirty(vm->d);
	json_decref(value);
}

/* --- events and connection state ------------------------------------------ */

static void rate_restored(void *arg, int err, const struct vp_frame *f)
{
	(void)f;
	if (err)
		log_warn("%s: could not restore the clock rate (%d)",
			 (char *)arg, err);
}

/* --- boot attempts and image slots (docs/bootguard.md) --------------------- */

/* Stage and boot attempt events are logged for VMs defined with a
 * watchdog or a boot deadline, or that have a second image slot; the
 * counters are kept for every VM. */
static bool guarded(const struct vm *vm)
{
	return vm->def.watchdog_s > 0 || vm->def.boot_deadline_s > 0 ||
	       (vm->def.bs.filled & 2);
}

static void save_boot(struct vm *vm)
{
	if (store_vm_set_boot(vm->d->store, &vm->def) == 0)
		verged_dirty(vm->d);
}

static void stop_deadline(struct vm *vm)
{
	if (vm->boot_timer)
		uv_timer_stop(vm->boot_timer);
}

static json_t *slot_json(int slot)
{
	return json_string(bs_slot_name(slot));
}

/* attempts_max failures in a row of the trial: the VM boots its
 * committed slot again, in a new QEMU if one runs. */
static void rolled_back(struct vm *vm, int from, const char *reason)
{
	const struct bootslots *b = &vm->def.bs;

	verged_event(vm->d, vm->def.name, "vm.image.rollback", -1,
		     json_pack("{so so ss sI ss}", "from", slot_json(from),
			       "to", slot_json(b->active), "why",
			       "failed boots in a row", "failed",
			       (json_int_t)b->attempts_max, "last_failure",
			       reason));
	if (vm_apply_slot(vm))
		log_err("%s: out of memory switching images", vm->def.name);
	if (vm_is_active(vm))
		vm_restart_images(vm);
}

/* The attempt under way failed: the watchdog expired, the guest was
 * reset (in the same QEMU) before it succeeded, or the deadline passed. */
static void boot_failed(struct vm *vm, const char *reason)
{
	struct vm_record *r = &vm->def;
	int from = r->bs.active;
	int64_t n = r->bs.failed + 1;
	enum bs_action a;
	char *why = strdup(reason);

	stop_deadline(vm);
	r->attempt_pid = 0;
	if (why) {
		free(r->fail_reason);
		r->fail_reason = why;
	}
	r->fail_stage = vm->wdt_stage;
	r->fail_at = verged_now();
	a = bs_boot_failed(&r->bs);
	save_boot(vm);
	if (guarded(vm))
		vm_guest_event(vm, "vm.boot_failed",
			     json_pack("{ss so sI so sI}", "reason", reason,
				       "stage",
				       vm_wdt_stage_name(vm->wdt_stage) ?
				       json_string(vm_wdt_stage_name(
						   vm->wdt_stage)) :
				       json_null(),
				       "failed_in_a_row", (json_int_t)n,
				       "slot", slot_json(from), "attempts",
				       (json_int_t)r->bs.attempts_max));
	if (a == BS_ROLLED_BACK)
		rolled_back(vm, from, reason);
}

/* The attempt under way succeeded: the agent reported, or the guest
 * refreshed the watchdog for boot_ok_after_s seconds. */
static void boot_succeeded(struct vm *vm, const char *by)
{
	struct vm_record *r = &vm->def;
	int64_t before = r->bs.failed;
	int slot = r->bs.active;
	enum bs_action a;

	if (!r->attempt_pid || r->attempt_pid != vm->pid)
		return;
	stop_deadline(vm);
	r->attempt_pid = 0;
	a = bs_boot_ok(&r->bs);
	save_boot(vm);
	if (guarded(vm))
		vm_guest_event(vm, "vm.boot_ok",
			     json_pack("{sI ss so}", "failed_before",
				       (json_int_t)before, "by", by, "slot",
				       slot_json(slot)));
	if (a == BS_COMMITTED)
		verged_event(vm->d, vm->def.name, "vm.image.commit", -1,
			     json_pack("{so ss}", "slot", slot_json(slot),
				       "by", "boot"));
	else if (a == BS_TRIAL_OK)
		verged_event(vm->d, vm->def.name, "vm.image.trial_ok", -1,
			     json_pack("{so ss}", "slot", slot_json(slot),
				       "commit", "manual"));
}

void vm_boot_succeeded(struct vm *vm)
{
	boot_succeeded(vm, "agent");
}

static void deadline_cb(uv_timer_t *t)
{
	struct vm *vm = t->data;

	if (!vm || !vm->def.attempt_pid || vm->def.attempt_pid != vm->pid)
		return;
	log_warn("%s: no successful boot within %lld s", vm->def.name,
		 (long long)vm->def.boot_deadline_s);
	boot_failed(vm, "deadline");
	/* The guest may be stuck where no watchdog sees it: the next
	 * attempt starts with a reset (unless a rollback restarts QEMU). */
	if (vm_is_active(vm) && !vm->image_restart)
		qmp_command(vm->qmp, "system_reset", NULL, NULL, NULL);
}

static void arm_deadline(struct vm *vm, double left_s)
{
	if (vm->def.boot_deadline_s <= 0)
		return;
	if (!vm->boot_timer) {
		vm->boot_timer = calloc(1, sizeof(*vm->boot_timer));
		if (!vm->boot_timer)
			return;
		uv_timer_init(vm->d->loop, vm->boot_timer);
		vm->boot_timer->data = vm;
	}
	uv_timer_start(vm->boot_timer, deadline_cb,
		       left_s > 0 ? (uint64_t)(left_s * 1000) : 0, 0);
}

void vm_boot_resume(struct vm *vm)
{
	const struct vm_record *r = &vm->def;

	if (r->attempt_pid && r->attempt_pid == vm->pid)
		arm_deadline(vm, r->attempt_at + r->boot_deadline_s -
			     verged_now());
}

/* verge-hv is up: a new attempt; an open one in the same QEMU failed. */
static void boot_begins(struct vm *vm)
{
	struct vm_record *r = &vm->def;

	if (r->attempt_pid && r->attempt_pid == vm->pid)
		boot_failed(vm, "reset");
	vm->wdt_stage = 0;
	vm->refresh_from = 0;
	if (vm->image_restart)	/* this QEMU is on its way out */
		return;
	r->attempt_pid = vm->pid;
	r->attempt_at = verged_now();
	save_boot(vm);
	arm_deadline(vm, (double)r->boot_deadline_s);
}

/* The guest refreshed the watchdog after the hand-off (verge-hv says so
 * at most once a second): boot_ok_after_s seconds of it is a success. */
static void on_wdt_refresh(struct vm *vm, const struct vp_frame *f)
{
	struct vp_ev_wdt_refresh e;
	double now = verged_now();

	memcpy(&e, f->payload, sizeof(e));
	if (!e.enabled || vm->def.boot_ok_after_s <= 0 ||
	    !vm->def.attempt_pid || vm->def.attempt_pid != vm->pid)
		return;
	if (!vm->refresh_from) {
		vm->refresh_from = now;
		return;
	}
	if (now - vm->refresh_from >= (double)vm->def.boot_ok_after_s)
		boot_succeeded(vm, "watchdog");
}

static void on_boot(struct vm *vm, const struct vp_frame *f)
{
	struct vp_ev_boot b;
	struct vp_rate rate = { vm->def.rate_num, vm->def.rate_den };

	memcpy(&b, f->payload, sizeof(b));
	if (b.stage == VP_BOOT_HV_UP)
		boot_begins(vm);
	push_all_guestinfo(vm);
	if (b.stage == VP_BOOT_HV_UP && rate.num && rate.den)
		/* After a guest reset the hypervisor starts from its command
		 * line; the rate may have been changed live since, to 1 too. */
		hvlink_request(vm->hv, VP_CLOCK_SET_RATE, &rate, sizeof(rate),
			       rate_restored, vm->def.name);
	if (b.stage == VP_BOOT_GUEST_ENTERED)
		vm_guest_event(vm, "vm.boot",
			       json_pack("{si}", "cpu", (int)b.cpu));
}

const char *vm_wdt_stage_name(uint32_t stage)
{
	switch (stage) {
	case VP_WDT_POWER_ON: return "power-on";
	case VP_WDT_OS_LOADING: return "os-loading";
	case VP_WDT_HANDED_OFF: return "handed-off";
	}
	return NULL;
}

/* The boot guard (docs/bootguard.md): stages as vm.bootguard, the
 * watchdog's WS0 and expiry (a reset) as vm.watchdog. */
static void on_watchdog(struct vm *vm, const struct vp_frame *f)
{
	static const char *const signals[] = {
		[VP_WDT_WS0] = "ws0", [VP_WDT_EXPIRED] = "expired",
	};
	struct vp_ev_watchdog w;
	const char *stage;

	memcpy(&w, f->payload, sizeof(w));
	stage = vm_wdt_stage_name(w.stage);
	if (!stage || w.enabled > 1 || w.what < VP_WDT_STAGE ||
	    w.what > VP_WDT_EXPIRED) {
		log_warn("%s: watchdog event %u in stage %u; ignored",
			 vm->def.name, w.what, w.stage);
		return;
	}
	if (w.what == VP_WDT_STAGE) {
		vm->wdt_stage = w.stage;
		if (!guarded(vm))
			return;
		vm_guest_event(vm, "vm.bootguard",
			     json_pack("{ss sb sI}", "stage", stage,
				       "watchdog", (int)w.enabled, "timeout_ms",
				       (json_int_t)w.timeout_ms));
		return;
	}
	vm->wdt_stage = w.stage;	/* its stage events may predate us */
	if (w.what == VP_WDT_EXPIRED)
		vm->wdt_expiries++;
	vm_guest_event(vm, "vm.watchdog",
		     json_pack("{ss ss ss sI}", "signal", signals[w.what],
			       "action", w.what == VP_WDT_EXPIRED ? "reset" :
					 "interrupt",
			       "stage", stage, "timeout_ms",
			       (json_int_t)w.timeout_ms));
	if (w.what == VP_WDT_EXPIRED && vm->def.attempt_pid &&
	    vm->def.attempt_pid == vm->pid)
		boot_failed(vm, "watchdog");
}

/* A held event is in the batch: the cursor joins it, the batch is
 * committed, and only then may the hypervisor forget the event. A verged
 * killed before the commit gets it again, one killed after does not. */
static void held_recorded(struct vm *vm)
{
	hvlink_cursor(vm->hv, &vm->def.hv_boot, &vm->def.hv_seq);
	if (store_vm_set_held(vm->d->store, vm->def.id, vm->def.hv_boot,
			      vm->def.hv_seq) == 0)
		verged_dirty(vm->d);
	verged_commit(vm->d);
	hvlink_ack(vm->hv);
}

void vm_hv_lost(void *arg, uint64_t n)
{
	struct vm *vm = arg;

	verged_event(vm->d, vm->def.name, "vm.events_lost", -1,
		     json_pack("{sI}", "count", (json_int_t)n));
	held_recorded(vm);
}

/* The clock mode (exact or dilation), asked for at every connection. */
static void clock_mode_done(void *arg, int err, const struct vp_frame *f)
{
	struct vm *vm = arg;
	struct vp_clock clk;

	if (err || !f || f->hdr.len != sizeof(clk))
		return;
	memcpy(&clk, f->payload, sizeof(clk));
	vm->clock_mode = (int)clk.mode;
}

void vm_hv_event(void *arg, const struct vp_frame *f)
{
	struct vm *vm = arg;
	int want = vp_payload_size(f->hdr.type, f->hdr.flags);
	const char *text = (const char *)f->payload;

	/* vm.list: a report, a boot stage, an expiry... may change what it
	 * shows (the REST snapshot follows verged_dirty() and fingerprints) */
	vm->d->list.stale = true;
	if (want >= 0 && f->hdr.len != (uint32_t)want) {
		log_warn("%s: event %s of %u bytes; ignored", vm->def.name,
			 vp_type_name(f->hdr.type), f->hdr.len);
		return;
	}
	switch (f->hdr.type) {
	case VP_EV_BOOT:
		on_boot(vm, f);
		break;
	case VP_EV_PANIC:
		vm_guest_event(vm, "vm.panic", json_pack("{so}", "text",
			       vm_text_json(text, f->hdr.len)));
		break;
	case VP_EV_RPCI:
		on_rpci(vm, text, f->hdr.len);
		break;
	case VP_EV_TCLO_REPLY:
		on_tclo_reply(vm, text, f->hdr.len);
		break;
	case VP_EV_GUESTINFO:
		on_guestinfo(vm, text, f->hdr.len);
		break;
	case VP_EV_WATCHDOG:
		on_watchdog(vm, f);
		break;
	case VP_EV_WDT_REFRESH:
		on_wdt_refresh(vm, f);
		break;
	case VP_EV_CLOCK:
		clock_mode_done(vm, 0, f);
		break;
	default:	/* EV_POWER: QMP covers it */
		break;
	}
	if (vp_event_held(f->hdr.type) && f->hdr.seq)
		held_recorded(vm);
}

void vm_held_reset(struct vm *vm)
{
	vm->def.hv_boot = 0;
	vm->def.hv_seq = 0;
	store_vm_set_held(vm->d->store, vm->def.id, 0, 0);
}

void vm_hv_state(void *arg, bool up)
{
	struct vm *vm = arg;

	log_info("%s: management channel %s", vm->def.name,
		 up ? "connected" : "lost");
	vm->clock_mode = -1;
	vm->d->list.stale = true;	/* the core its HELLO reported */
	if (up) {
		push_all_guestinfo(vm);
		if (hvlink_request(vm->hv, VP_CLOCK_GET, NULL, 0,
				   clock_mode_done, vm))
			log_warn("%s: cannot ask the clock mode", vm->def.name);
	} else {
		vm_tclo_cancel_all(vm, "the management channel was lost");
	}
}
