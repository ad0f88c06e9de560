// SPDX-License-Identifier: Apache-2.0
/*
 * The REST transport and parallel GETs (http.h). A JSON-RPC request is
 * mapped to its REST path by one table; the answer (or the REST error)
 * is turned back into a JSON-RPC reply, so the handlers and printers of
 * the Unix-socket path serve --url unchanged.
 */
#define _GNU_SOURCE	/* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../agentd/curlfn.h"

#include "http.h"

#define MAX_TOKEN	512

static const char *token_file;
static bool token_sent;
/* Where the token sent came from, or why none was sent (messages). */
static char token_from[300];

/* libcurl, loaded by the first --url request (agentd/curlfn.h) */
static const struct curl_fns *cu;

static int load_curl(void)
{
	const char *why;

	if (!cu && !(cu = curl_fns_load(&why)))
		return -ENOPKG;
	return 0;
}

void cli_http_set_token_file(const char *path)
{
	token_file = path;
}

bool cli_is_url(const char *s)
{
	return s && (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8));
}

static int read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/*
 * --token-file, else $VERGE_TOKEN, else CLI_DEFAULT_TOKEN_FILE if it can
 * be read; trailing blanks dropped; "" if none. -errno (a named file
 * that cannot be read, a token that would split the header).
 */
static int read_token(char *buf, size_t size)
{
	const char *env = getenv("VERGE_TOKEN");
	size_t n;
	int r = 0;

	buf[0] = '\0';
	if (token_file) {
		r = read_file(token_file, buf, size);
		snprintf(token_from, sizeof(token_from), "%s%s%s", token_file,
			 r ? ": " : "", r ? strerror(-r) : "");
	} else if (env && *env) {
		if (strlen(env) >= size)
			return -E2BIG;
		snprintf(buf, size, "%s", env);
		snprintf(token_from, sizeof(token_from), "$VERGE_TOKEN");
	} else {
		r = read_file(CLI_DEFAULT_TOKEN_FILE, buf, size);
		snprintf(token_from, sizeof(token_from), "%s%s%s",
			 CLI_DEFAULT_TOKEN_FILE, r ? ": " : "",
			 r == -EACCES ? "only root and the verge group may "
			 "read it" : r ? strerror(-r) : "");
		if (r) {
			buf[0] = '\0';
			return 0;	/* sent without: verged says 401 */
		}
	}
	if (r)
		return r;
	n = strlen(buf);
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (!n)
		snprintf(token_from + strlen(token_from),
			 sizeof(token_from) - strlen(token_from), ": empty");
	/* a header must not be split by what the file holds */
	return strpbrk(buf, "\r\n") ? -EINVAL : 0;
}

void cli_http_explain_401(char *buf, size_t size)
{
	if (token_sent)
		snprintf(buf, size, "verged refused the token from %s",
			 token_from);
	else
		snprintf(buf, size, "verged needs its REST token and none was"
			 " found (--token-file FILE, $VERGE_TOKEN, or %s)",
			 token_from[0] ? token_from : CLI_DEFAULT_TOKEN_FILE);
}

/* --- GETs ----------------------------------------------------------------- */

struct xfer {
	CURL *easy;
	struct cli_http_result *res;
	size_t cap;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct cli_http_result *r = x->res;
	size_t n = size * nmemb;
	char *b;

	if (r->len + n > CLI_MAX_MESSAGE) {
		x->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > x->cap) {
		x->cap = (r->len + n + 1) * 2;
		b = realloc(r->body, x->cap);
		if (!b)
			return 0;
		r->body = b;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static int curl_errno(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST: return -ECONNREFUSED;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	default: return -EIO;
	}
}

static int setup(struct xfer *x, const char *base, const char *path,
		 long timeout_ms, struct curl_slist *headers)
{
	char *url;

	if (asprintf(&url, "%s%s", base, path) < 0)
		return -ENOMEM;
	x->easy = cu->easy_init();
	if (!x->easy) {
		free(url);
		return -ENOMEM;
	}
	curl_fns_setup(x->easy, url, timeout_ms, timeout_ms, headers);
	free(url);
	cu->easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	cu->easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	return 0;
}

static void finish(struct xfer *x, CURLcode c)
{
	struct cli_http_result *r = x->res;

	cu->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (x->too_big) {
		r->err = -EMSGSIZE;
		snprintf(r->why, sizeof(r->why), "answer larger than %u MiB",
			 CLI_MAX_MESSAGE >> 20);
	} else if (c != CURLE_OK) {
		r->err = curl_errno(c);
		snprintf(r->why, sizeof(r->why), "%s", cu->easy_strerror(c));
	}
}

static struct curl_slist *auth_headers(int *ret_err)
{
	char token[MAX_TOKEN + 2], line[MAX_TOKEN + 32];
	struct curl_slist *h;

	*ret_err = read_token(token, sizeof(token));
	h = cu->slist_append(NULL, "Accept: application/json");
	token_sent = !*ret_err && token[0];
	if (token_sent) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		h = cu->slist_append(h, line);
		memset(line, 0, sizeof(line));
	}
	memset(token, 0, sizeof(token));
	return h;
}

/* One http:// GET without loading libcurl (http_plain.c); false when
 * libcurl must do it. */
static bool get_plain(const char *base, const char *path, int64_t deadline,
		      struct cli_http_result *res)
{
	char token[MAX_TOKEN + 2];
	bool ok;

	if (strncmp(base, "http://", 7) || read_token(token, sizeof(token)))
		return false;
	token_sent = token[0] != '\0';
	ok = !cli_http_plain_get(base, path, token_sent ? token : NULL,
				 deadline, res);
	memset(token, 0, sizeof(token));
	return ok;
}

int cli_http_get_many(char *const *bases, size_t n, const char *path,
		      int64_t deadline, struct cli_http_result *res)
{
	long timeout;
	struct curl_slist *headers;
	struct xfer *x;
	CURLM *multi;
	int running = 0, left, err;
	CURLMsg *msg;
	size_t i;

	if (n == 1 && get_plain(bases[0], path, deadline, res))
		return 0;
	timeout = (long)(deadline - cli_now_ms());
	if (load_curl())
		return -ENOPKG;
	x = calloc(n ? n : 1, sizeof(*x));
	multi = cu->multi_init();
	memset(res, 0, n * sizeof(*res));
	headers = auth_headers(&err);
	if (!x || !multi || !headers) {
		free(x);
		cu->multi_cleanup(multi);
		cu->slist_free_all(headers);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		x[i].res = &res[i];
		if (err) {
			res[i].err = err;
			snprintf(res[i].why, sizeof(res[i].why),
				 "token: %.200s", err == -EINVAL ? "holds a line break" :
				 token_from[0] ? token_from : strerror(-err));
		} else if (setup(&x[i], bases[i], path, timeout > 1 ? timeout
				 : 1, headers) ||
			   cu->multi_add_handle(multi, x[i].easy)) {
			res[i].err = -ENOMEM;
		}
	}
	do {
		cu->multi_perform(multi, &running);
		while ((msg = cu->multi_info_read(multi, &left))) {
			struct xfer *done;

			if (msg->msg != CURLMSG_DONE)
				continue;
			cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&done);
			finish(done, msg->data.result);
		}
		if (running)
			cu->multi_poll(multi, NULL, 0, 100, NULL);
	} while (running);
	for (i = 0; i < n; i++) {
		if (!x[i].easy)
			continue;
		cu->multi_remove_handle(multi, x[i].easy);
		cu->easy_cleanup(x[i].easy);
	}
	free(x);
	cu->multi_cleanup(multi);
	cu->slist_free_all(headers);
	return 0;
}

void cli_http_result_free(struct cli_http_result *r)
{
	free(r->body);
	r->body = NULL;
}

/* --- the transport -------------------------------------------------------- */

/* The methods the REST API can answer: path, and where the result is. */
static const struct rest_map {
	const char *method;
	const char *path;	/* %s: the VM name, escaped */
	const char *field;	/* result = body[field]; NULL: the body */
} rest_map[] = {
	{ "vm.list", "/v1/vms", "vms" },
	{ "vm.show", "/v1/vms/%s", NULL },
	{ "clock.show", "/v1/vms/%s/clock", NULL },
	{ "agent.show", "/v1/vms/%s/agent", NULL },
	{ "events.list", "/v1/events", "events" },
	{ "daemon.version", "/healthz", NULL },
};

/* REST status -> the JSON-RPC error verge's tables know. */
static const struct {
	long status;
	int code;
	const char *name;
} status_map[] = {
	{ 400, -32602, "invalid_params" },
	{ 401, -32004, "permission_denied" },
	{ 404, -32001, "vm_not_found" },
};

struct http_t {
	struct cli_transport base;
	char *url;
	char *reply;		/* the answer to the last request */
	size_t reply_len;
};

static const struct rest_map *find_map(const char *method)
{
	size_t i;

	for (i = 0; method && i < sizeof(rest_map) / sizeof(rest_map[0]); i++)
		if (!strcmp(rest_map[i].method, method))
			return &rest_map[i];
	return NULL;
}

/* The path (and query) of the request, or NULL. */
static char *rest_path(const struct rest_map *m, json_t *params)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	const char *vm = json_string_value(json_object_get(params, "vm"));
	json_t *since = json_object_get(params, "since");
	json_t *limit = json_object_get(params, "limit");
	char *esc = NULL, *p = NULL, *q;

	if (strstr(m->path, "%s")) {
		esc = cu->easy_escape(NULL, name ? name : "", 0);
		if (!esc || asprintf(&p, m->path, esc) < 0)
			p = NULL;
		cu->free(esc);
		return p;
	}
	if (strcmp(m->method, "events.list"))
		return strdup(m->path);
	esc = vm ? cu->easy_escape(NULL, vm, 0) : NULL;
	if (asprintf(&q, "%s?since=%lld&limit=%lld%s%s", m->path,
		     (long long)json_integer_value(since),
		     limit ? (long long)json_integer_value(limit) : 100LL,
		     esc ? "&vm=" : "", esc ? esc : "") < 0)
		q = NULL;
	cu->free(esc);
	return q;
}

static json_t *rpc_error(json_t *id, long status, const char *message)
{
	int code = -32603;
	const char *name = "internal_error";
	size_t i;

	for (i = 0; i < sizeof(status_map) / sizeof(status_map[0]); i++)
		if (status_map[i].status == status) {
			code = status_map[i].code;
			name = status_map[i].name;
		}
	return json_pack("{ss sO s{si ss s{ss}}}", "jsonrpc", "2.0", "id", id,
			 "error", "code", code, "message", message, "data",
			 "name", name);
}

/* The REST answer r to the request as a JSON-RPC reply. */
static json_t *rpc_reply(json_t *id, const struct rest_map *m,
			 struct cli_http_result *r)
{
	json_t *body = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	json_t *result, *reply;
	const char *msg;

	if (r->status != 200) {
		msg = json_string_value(json_object_get(json_object_get(body,
						"error"), "message"));
		reply = rpc_error(id, r->status, msg ? msg :
				  "the REST API answered without a message");
		if (r->status == 401) {
			char why[400];

			cli_http_explain_401(why, sizeof(why));
			json_object_set_new(json_object_get(reply, "error"),
					    "message", json_string(why));
		}
		json_decref(body);
		return reply;
	}
	result = m->field ? json_object_get(body, m->field) : body;
	if (!result) {
		json_decref(body);
		return rpc_error(id, 500, "the REST answer lacks its field");
	}
	reply = json_pack("{ss sO sO}", "jsonrpc", "2.0", "id", id, "result",
			  result);
	json_decref(body);
	return reply;
}

/* The reply's text in malloc() memory (the caller free()s it; jansson's
 * own allocations may come from verge's arena). */
static int set_reply(struct http_t *h, json_t *reply)
{
	size_t n = reply ? json_dumpb(reply, NULL, 0, JSON_COMPACT) : 0;

	free(h->reply);
	h->reply = n ? malloc(n + 1) : NULL;
	if (h->reply) {
		json_dumpb(reply, h->reply, n, JSON_COMPACT);
		h->reply[n] = '\0';
		h->reply_len = n;
	}
	json_decref(reply);
	return h->reply ? 0 : -ENOMEM;
}

static int http_send(struct cli_transport *t, const char *msg, size_t len,
		     int64_t deadline)
{
	struct http_t *h = (struct http_t *)t;
	struct cli_http_result res;
	const struct rest_map *m;
	json_t *req, *id;
	char *path;
	int r;

	req = json_loadb(msg, len, 0, NULL);
	id = json_object_get(req, "id");
	m = find_map(json_string_value(json_object_get(req, "method")));
	if (!m) {
		char text[200];

		snprintf(text, sizeof(text), "'%s' is not available through "
			 "--url: the REST API is read-only; use verged's "
			 "socket",
			 json_string_value(json_object_get(req, "method")) ?:
			 "?");
		r = set_reply(h, json_pack("{ss sO s{si ss s{ss}}}", "jsonrpc",
			"2.0", "id", id ? id : json_null(), "error", "code",
			-32000, "message", text, "data", "name", "read_only"));
		json_decref(req);
		return r;
	}
	path = rest_path(m, json_object_get(req, "params"));
	if (!path || cli_http_get_many(&h->url, 1, path, deadline, &res)) {
		free(path);
		json_decref(req);
		return -ENOMEM;
	}
	free(path);
	r = res.err;
	if (!r)
		r = set_reply(h, rpc_reply(id, m, &res));
	cli_http_result_free(&res);
	json_decref(req);
	return r;
}

static int http_recv(struct cli_transport *t, int64_t deadline,
		     char **ret_msg, size_t *ret_len)
{
	struct http_t *h = (struct http_t *)t;

	(void)deadline;
	if (!h->reply)
		return -ECONNRESET;	/* nothing more comes over REST */
	*ret_msg = h->reply;
	*ret_len = h->reply_len;
	h->reply = NULL;
	return 0;
}

static void http_close(struct cli_transport *t)
{
	struct http_t *h = (struct http_t *)t;

	free(h->reply);
	free(h->url);
	free(h);
}

static const struct cli_transport_ops http_ops = {
	.send = http_send, .recv = http_recv, .close = http_close,
};

int cli_http_open(const char *url, int64_t deadline,
		  struct cli_transport **ret_t)
{
	struct http_t *h;
	size_t n = strlen(url);

	(void)deadline;	/* nothing to connect yet: each request does */
	if (!cli_is_url(url))
		return -EINVAL;
	if (load_curl())
		return -ENOPKG;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	while (n > 8 && url[n - 1] == '/')
		n--;
	h->url = strndup(url, n);
	if (!h->url) {
		free(h);
		return -ENOMEM;
	}
	h->base.ops = &http_ops;
	*ret_t = &h->base;
	return 0;
}
