// SPDX-License-Identifier: Apache-2.0
/*
 * JSON-RPC 2.0 core: envelope checks, batches, the method table lookup,
 * parameter validation from the table, error objects, and the assembly of
 * replies in request order.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

static const struct {
	int code;
	const char *name;
} rpc_codes[] = {
	{ RPC_PARSE_ERROR, "parse_error" },
	{ RPC_INVALID_REQUEST, "invalid_request" },
	{ RPC_METHOD_NOT_FOUND, "method_not_found" },
	{ RPC_INVALID_PARAMS, "invalid_params" },
	{ RPC_INTERNAL_ERROR, "internal_error" },
	{ RPC_VM_NOT_FOUND, "vm_not_found" },
	{ RPC_VM_EXISTS, "vm_exists" },
	{ RPC_VM_STATE, "vm_state" },
	{ RPC_PERMISSION_DENIED, "permission_denied" },
	{ RPC_AGENT_UNAVAILABLE, "agent_unavailable" },
	{ RPC_HV_UNAVAILABLE, "hv_unavailable" },
	{ RPC_TIMEOUT, "timeout" },
	{ RPC_TOO_LARGE, "too_large" },
	{ RPC_STORE_FAILED, "store_failed" },
};

const char *rpc_code_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(rpc_codes) / sizeof(rpc_codes[0]); i++)
		if (rpc_codes[i].code == code)
			return rpc_codes[i].name;
	return "error";
}

/* One call's reply: JSON text (malloc) and its length. */
struct rpc_reply {
	char *text;
	size_t len;
};

/* One message: its calls and the reply slots, filled in any order. */
struct rpc_msg {
	const struct rpc_table *table;
	rpc_done_fn done;
	void *conn;
	bool batch;
	bool starting;		/* calls are still being started */
	bool full;		/* a reply was dropped: RPC_MAX_REPLY */
	size_t ncalls, pending;
	struct rpc_reply *replies;	/* per call; text NULL: nothing */
	size_t reply_bytes;
	struct rpc_call calls[];
};

static json_t *error_object(int code, json_t *data, const char *message)
{
	if (!data)
		data = json_object();
	json_object_set_new(data, "name", json_string(rpc_code_name(code)));
	return json_pack("{si ss so}", "code", code, "message", message,
			 "data", data);
}

static json_t *error_reply(json_t *id, int code, json_t *data,
			   const char *message)
{
	return json_pack("{ss sO so}", "jsonrpc", "2.0",
			 "id", id ? id : json_null(),
			 "error", error_object(code, data, message));
}

char *rpc_error_text(int code, const char *message, size_t *ret_len)
{
	json_t *r = error_reply(NULL, code, NULL, message);
	char *text = json_dumps(r, JSON_COMPACT);
	char *line;

	json_decref(r);
	if (!text)
		return NULL;
	*ret_len = strlen(text) + 1;
	line = realloc(text, *ret_len + 1);
	if (!line) {
		free(text);
		return NULL;
	}
	line[*ret_len - 1] = '\n';
	line[*ret_len] = '\0';
	return line;
}

/* --- parameters ----------------------------------------------------------- */

static int param_index(const struct rpc_method *m, const char *name)
{
	int i;

	for (i = 0; i < RPC_MAX_PARAMS && m->params[i].name; i++)
		if (!strcmp(m->params[i].name, name))
			return i;
	return -1;
}

bool rpc_has(const struct rpc_call *c, const char *name)
{
	int i = param_index(c->method, name);

	return i >= 0 && c->present[i];
}

const char *rpc_str(const struct rpc_call *c, const char *name)
{
	int i = param_index(c->method, name);

	return i >= 0 && c->present[i] ? c->args[i].s : NULL;
}

json_int_t rpc_int(const struct rpc_call *c, const char *name, json_int_t def)
{
	int i = param_index(c->method, name);

	return i >= 0 && c->present[i] ? c->args[i].i : def;
}

bool rpc_bool(const struct rpc_call *c, const char *name, bool def)
{
	int i = param_index(c->method, name);

	return i >= 0 && c->present[i] ? c->args[i].b != 0 : def;
}

double rpc_num(const struct rpc_call *c, const char *name, double def)
{
	int i = param_index(c->method, name);

	return i >= 0 && c->present[i] ? c->args[i].f : def;
}

json_t *rpc_obj(const struct rpc_call *c, const char *name)
{
	int i = param_index(c->method, name);

	return i >= 0 && c->present[i] ? c->args[i].o : NULL;
}

static void *value_slot(union rpc_value *v, char fmt)
{
	switch (fmt) {
	case 's': return &v->s;
	case 'I': return &v->i;
	case 'F': return &v->f;
	case 'b': return &v->b;
	default: return &v->o;
	}
}

/* Checks bounds; returns a reason or NULL. */
static const char *out_of_range(const struct rpc_param *p,
				const union rpc_value *v, char *buf, size_t n)
{
	double x;

	switch (p->fmt[0]) {
	case 's':
		x = (double)strlen(v->s);
		if (x < p->min || (p->max > 0 && x > p->max)) {
			snprintf(buf, n, "must be %.0f to %.0f bytes long",
				 p->min, p->max);
			return buf;
		}
		return NULL;
	case 'I':
		x = (double)v->i;
		break;
	case 'F':
		x = v->f;
		if (!isfinite(x))
			return "must be a finite number";
		break;
	default:
		return NULL;
	}
	if (p->min == p->max)
		return NULL;
	if (x < p->min || x > p->max) {
		snprintf(buf, n, "must be in %.15g..%.15g", p->min, p->max);
		return buf;
	}
	return NULL;
}

static const char *type_name(const char *fmt)
{
	switch (fmt[0]) {
	case 's': return "a string";
	case 'I': return "an integer";
	case 'F': return "a number";
	case 'b': return "a boolean";
	default: return "a value";
	}
}

static void fail_param(struct rpc_call *c, const char *name, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

static void fail_param(struct rpc_call *c, const char *name, const char *fmt,
		       ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rpc_fail(c, RPC_INVALID_PARAMS, json_pack("{ss}", "param", name),
		 "%s", msg);
}

/* Fills c->args from c->params with each parameter's jansson format.
 * Returns 0, or -EINVAL after failing the call. */
static int unpack_params(struct rpc_call *c)
{
	const struct rpc_method *m = c->method;
	const char *key, *why;
	json_error_t err;
	char buf[96];
	json_t *v;
	int i;

	json_object_foreach(c->params, key, v) {
		if (param_index(m, key) < 0) {
			fail_param(c, key, "%s: unknown parameter '%s'",
				   m->name, key);
			return -EINVAL;
		}
	}
	for (i = 0; i < RPC_MAX_PARAMS && m->params[i].name; i++) {
		const struct rpc_param *p = &m->params[i];

		v = json_object_get(c->params, p->name);
		if (!v || json_is_null(v)) {
			if (!p->required)
				continue;
			fail_param(c, p->name, "%s: parameter '%s' is required",
				   m->name, p->name);
			return -EINVAL;
		}
		if (json_unpack_ex(v, &err, 0, p->fmt,
				   value_slot(&c->args[i], p->fmt[0])) ||
		    (json_is_string(v) &&
		     strlen(json_string_value(v)) != json_string_length(v))) {
			fail_param(c, p->name, "%s: parameter '%s' must be %s",
				   m->name, p->name, type_name(p->fmt));
			return -EINVAL;
		}
		why = out_of_range(p, &c->args[i], buf, sizeof(buf));
		if (why) {
			fail_param(c, p->name, "%s: parameter '%s' %s",
				   m->name, p->name, why);
			return -EINVAL;
		}
		c->present[i] = true;
	}
	return 0;
}

/* --- completion ----------------------------------------------------------- */

static void msg_free(struct rpc_msg *m)
{
	size_t i;

	for (i = 0; i < m->ncalls; i++) {
		json_decref(m->calls[i].id);
		json_decref(m->calls[i].params);
		free(m->replies[i].text);
	}
	free(m->replies);
	free(m);
}

/* The replies joined: one text, or "[a,b]" for a batch; "\n" ends it.
 * A single reply is sent as it is, its slack taking the "\n". */
static void msg_finish(struct rpc_msg *m)
{
	size_t i, n = 0, len = 0;
	char *text = NULL, *p;

	for (i = 0; i < m->ncalls; i++)
		n += m->replies[i].text != NULL;
	if (n && !m->batch) {
		for (i = 0; !m->replies[i].text; i++)
			;
		len = m->replies[i].len;
		text = realloc(m->replies[i].text, len + 2);
		if (text) {
			m->replies[i].text = NULL;
			text[len++] = '\n';
			text[len] = '\0';
		}
	} else if (n && (text = malloc(m->reply_bytes + n + 3))) {
		p = text;
		*p++ = '[';
		for (i = 0; i < m->ncalls; i++) {
			if (!m->replies[i].text)
				continue;
			if (p > text + 1)
				*p++ = ',';
			memcpy(p, m->replies[i].text, m->replies[i].len);
			p += m->replies[i].len;
		}
		*p++ = ']';
		*p++ = '\n';
		*p = '\0';
		len = (size_t)(p - text);
	}
	if (m->done)
		m->done(m->conn, text, text ? len : 0);
	else
		free(text);
	msg_free(m);
}

/*
 * Records the call's reply. A result of a call that changes nothing is
 * dropped, and replaced by a too_large error, if it would take the
 * message's replies past RPC_MAX_REPLY (a result of a call that changed
 * state always goes out: the change happened).
 */
static void complete_text(struct rpc_call *c, char *text, size_t n,
			  bool droppable)
{
	struct rpc_msg *m = c->msg;

	if (c->id && text && droppable && m->reply_bytes + n > RPC_MAX_REPLY) {
		free(text);
		m->full = true;
		rpc_fail(c, RPC_TOO_LARGE, json_pack("{sI sI}", "reply_bytes",
			 (json_int_t)n, "limit_bytes",
			 (json_int_t)RPC_MAX_REPLY), "%s: reply of %zu bytes"
			 " dropped: the replies to one message may hold %d MiB"
			 " in all; ask for less or split the batch",
			 c->method->name, n, RPC_MAX_REPLY >> 20);
		return;
	}
	if (c->id && text) {
		m->replies[c->slot].text = text;
		m->replies[c->slot].len = n;
		m->reply_bytes += n;
	} else {
		free(text);
	}
	if (--m->pending == 0 && !m->starting)
		msg_finish(m);
}

static bool droppable(const struct rpc_call *c)
{
	return c->method && !(c->method->flags & RPC_CHANGES_STATE);
}

static void complete(struct rpc_call *c, json_t *reply, bool result)
{
	char *text = c->id ? json_dumps(reply, JSON_COMPACT) : NULL;

	complete_text(c, text, text ? strlen(text) : 0,
		      result && droppable(c));
	json_decref(reply);
}

/* A state-changing call is acknowledged only once its change is stored:
 * false after failing the call. */
static bool stored(struct rpc_call *c)
{
	const struct rpc_table *t = c->msg->table;

	if (!c->method || !(c->method->flags & RPC_CHANGES_STATE) ||
	    !t->commit || !t->commit(t->ctx))
		return true;
	rpc_fail(c, RPC_STORE_FAILED, NULL, "%s: done, but verged could not"
		 " store the change (see its log); a restart of verged will"
		 " not know of it", c->method->name);
	return false;
}

void rpc_reply_json(struct rpc_call *c, const char *result, size_t rl)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
	static const char mid[] = ",\"result\":";
	size_t hl = sizeof(head) - 1, ml = sizeof(mid) - 1, il, n;
	char *id, *text = NULL;

	if (!stored(c))
		return;
	if (!c->id) {
		complete_text(c, NULL, 0, false);
		return;
	}
	id = json_dumps(c->id, JSON_COMPACT | JSON_ENCODE_ANY);
	if (id) {
		il = strlen(id);
		n = hl + il + ml + rl + 1;
		/* + "\n\0": msg_finish() sends a single reply as it is */
		text = malloc(n + 2);
		if (text) {
			memcpy(text, head, hl);
			memcpy(text + hl, id, il);
			memcpy(text + hl + il, mid, ml);
			memcpy(text + hl + il + ml, result, rl);
			memcpy(text + n - 1, "}", 2);
		}
	}
	free(id);
	if (!text)
		rpc_fail(c, RPC_INTERNAL_ERROR, NULL, "out of memory");
	else
		complete_text(c, text, n, droppable(c));
}

void rpc_reply_text(struct rpc_call *c, char *result)
{
	if (!result) {	/* out of memory: still answer */
		if (stored(c)) {
			if (c->id)
				rpc_fail(c, RPC_INTERNAL_ERROR, NULL,
					 "out of memory");
			else
				complete_text(c, NULL, 0, false);
		}
		return;
	}
	rpc_reply_json(c, result, strlen(result));
	free(result);
}

void rpc_reply(struct rpc_call *c, json_t *result)
{
	if (!stored(c)) {
		json_decref(result);
		return;
	}
	complete(c, json_pack("{ss sO so}", "jsonrpc", "2.0", "id",
			      c->id ? c->id : json_null(),
			      "result", result ? result : json_object()), true);
}

void rpc_fail(struct rpc_call *c, int code, json_t *data, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	complete(c, error_reply(c->id, code, data, msg), false);
}

void rpc_msg_detach(struct rpc_msg *m)
{
	m->done = NULL;
	m->conn = NULL;
}

/* --- dispatch ------------------------------------------------------------- */

static const struct rpc_method *find_method(const struct rpc_table *t,
					    const char *name)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (!strcmp(t->methods[i].name, name))
			return &t->methods[i];
	return NULL;
}

static bool valid_id(json_t *id)
{
	return json_is_string(id) || json_is_integer(id) ||
	       json_is_real(id) || json_is_null(id);
}

/* Checks the envelope and runs one call; the call always completes. */
static void run_call(const struct rpc_table *t, struct rpc_call *c,
		     json_t *req)
{
	json_t *ver, *method, *params;

	if (!json_is_object(req)) {
		/* answered, like any invalid request */
		c->id = json_null();
		rpc_fail(c, RPC_INVALID_REQUEST, NULL,
			 "a request must be a JSON object");
		return;
	}
	c->id = json_incref(json_object_get(req, "id"));
	if (c->id && !valid_id(c->id)) {
		json_decref(c->id);
		c->id = json_null();
		rpc_fail(c, RPC_INVALID_REQUEST, NULL,
			 "id must be a string, a number or null");
		return;
	}
	ver = json_object_get(req, "jsonrpc");
	method = json_object_get(req, "method");
	params = json_object_get(req, "params");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") ||
	    !json_is_string(method)) {
		if (!c->id)	/* an invalid request is answered, always */
			c->id = json_null();
		rpc_fail(c, RPC_INVALID_REQUEST, NULL,
			 "not a JSON-RPC 2.0 request: \"jsonrpc\": \"2.0\" "
			 "and a \"method\" string are required");
		return;
	}
	c->method = find_method(t, json_string_value(method));
	if (!c->method) {
		rpc_fail(c, RPC_METHOD_NOT_FOUND,
			 json_pack("{ss}", "method", json_string_value(method)),
			 "unknown method '%s'", json_string_value(method));
		return;
	}
	if (params && !json_is_object(params) && !json_is_null(params)) {
		rpc_fail(c, RPC_INVALID_PARAMS, NULL,
			 "params must be an object of named parameters");
		return;
	}
	c->params = json_is_object(params) ? json_incref(params) :
		    json_object();
	if (unpack_params(c))
		return;
	if ((c->method->flags & RPC_CHANGES_STATE) && t->allowed &&
	    !t->allowed(t->ctx, &c->caller)) {
		rpc_fail(c, RPC_PERMISSION_DENIED,
			 json_pack("{sI}", "uid", (json_int_t)c->caller.uid),
			 "%s changes state: uid %u may not; use root, "
			 "verged's user or a member of the verge group",
			 c->method->name, (unsigned)c->caller.uid);
		return;
	}
	c->method->handler(c);
}

/* Once a reply of the batch was dropped, the calls not yet started are
 * answered without running. */
static void refuse_call(struct rpc_call *c, json_t *req)
{
	json_t *id = json_is_object(req) ? json_object_get(req, "id") :
		     json_null();

	if (id)
		c->id = valid_id(id) ? json_incref(id) : json_null();
	rpc_fail(c, RPC_TOO_LARGE, json_pack("{sI}", "limit_bytes",
		 (json_int_t)RPC_MAX_REPLY), "not run: the replies to this"
		 " batch passed %d MiB; send this request again in another"
		 " batch", RPC_MAX_REPLY >> 20);
}

static struct rpc_msg *msg_new(size_t ncalls, const struct rpc_table *t,
			       const struct rpc_caller *who)
{
	struct rpc_msg *m;
	size_t i;

	m = calloc(1, sizeof(*m) + ncalls * sizeof(m->calls[0]));
	if (!m)
		return NULL;
	m->replies = calloc(ncalls ? ncalls : 1, sizeof(m->replies[0]));
	if (!m->replies) {
		free(m);
		return NULL;
	}
	m->ncalls = ncalls;
	m->table = t;
	for (i = 0; i < ncalls; i++) {
		m->calls[i].msg = m;
		m->calls[i].slot = i;
		m->calls[i].ctx = t->ctx;
		m->calls[i].caller = *who;
	}
	return m;
}

/* A reply made of one error, for input that never became calls. */
static void reply_now(int code, const char *message, rpc_done_fn done,
		      void *conn)
{
	size_t len;
	char *text = rpc_error_text(code, message, &len);

	done(conn, text, text ? len : 0);
}

struct rpc_msg *rpc_process(const struct rpc_table *t,
			    const struct rpc_caller *who, const char *text,
			    size_t len, rpc_done_fn done, void *conn)
{
	json_error_t err;
	struct rpc_msg *m;
	json_t *root;
	size_t i, n;
	char msg[256];

	if (len > RPC_MAX_MESSAGE || rpc_check_depth(text, len,
						     RPC_MAX_DEPTH)) {
		reply_now(RPC_TOO_LARGE, len > RPC_MAX_MESSAGE ?
			  "message over 1 MiB" :
			  "message nested deeper than 32 levels", done, conn);
		return NULL;
	}
	root = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!root) {
		snprintf(msg, sizeof(msg), "not JSON: %s at byte %d",
			 err.text, err.position);
		reply_now(RPC_PARSE_ERROR, msg, done, conn);
		return NULL;
	}
	if (json_is_array(root) && json_array_size(root) == 0) {
		json_decref(root);
		reply_now(RPC_INVALID_REQUEST, "empty batch", done, conn);
		return NULL;
	}
	if (json_is_array(root) && json_array_size(root) > RPC_MAX_BATCH) {
		json_decref(root);
		reply_now(RPC_INVALID_REQUEST, "a batch of more than 1000"
			  " requests; split it", done, conn);
		return NULL;
	}
	n = json_is_array(root) ? json_array_size(root) : 1;
	m = msg_new(n, t, who);
	if (!m) {
		json_decref(root);
		reply_now(RPC_INTERNAL_ERROR, "out of memory", done, conn);
		return NULL;
	}
	m->batch = json_is_array(root);
	m->pending = n;
	/* Calls that complete at once must not finish the message before
	 * the last one has started. */
	m->starting = true;
	for (i = 0; i < n; i++) {
		json_t *req = m->batch ? json_array_get(root, i) : root;

		if (m->full)
			refuse_call(&m->calls[i], req);
		else
			run_call(t, &m->calls[i], req);
	}
	json_decref(root);
	m->starting = false;
	m->done = done;
	m->conn = conn;
	if (m->pending == 0) {
		msg_finish(m);
		return NULL;
	}
	return m;
}

int rpc_check_depth(const char *text, size_t len, int max)
{
	bool in_str = false, esc = false;
	int depth = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char ch = text[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > max)
				return -E2BIG;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return 0;
}
