// SPDX-License-Identifier: Apache-2.0
/*
 * The HTTP server of the REST API (http.h). Each worker thread runs an
 * epoll loop over its connections; all of them wait on the one listening
 * socket with EPOLLEXCLUSIVE, so a new connection wakes one of them.
 *
 * Why threads and not the libuv loop: the loop is verged's, and a REST
 * client must never delay JSON-RPC, so REST cannot run there; a second
 * libuv loop would work but buys nothing over epoll for a server whose
 * handlers answer from immutable snapshots in microseconds, and a fixed
 * pool of REST_THREADS keeps /v1/fleet close to nginx on two cores.
 *
 * A connection is in one state at a time:
 *   C_READ    waiting for (the rest of) a request head, EPOLLIN;
 *   C_WRITE   an answer being sent, EPOLLOUT;
 *   C_HANDLER in its handler (on this thread, never seen by epoll);
 *   C_SUSPENDED out of epoll until http_resume() queues it back;
 *   C_DRAIN   after an error answer: the write side shut down, what the
 *             client still sends read and dropped until it closes (so
 *             that our answer is not lost to a reset), for a short while.
 * Requests on a connection are answered one at a time, in order: bytes
 * after a request head (a pipelined request) wait in the buffer until the
 * answer before them has been sent.
 *
 * Limits: a connection slot is reserved before accept(); when every slot
 * is taken a worker leaves the listening socket out of its epoll set, and
 * the kernel's backlog holds the newcomers until a slot frees. The
 * per-address count is a small table under a mutex (touched on accept and
 * close only). A deadline per connection (timeout_s from its accept or
 * last answer, moved on when a slow answer makes progress) covers idle
 * connections and slow request heads alike; partial request bytes do not
 * move it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"

#define QUERY_MAX    32	  /* key=value pairs of a query */
#define EXTRA_MAX    2048 /* header lines a handler adds */
#define HDR_MAX	     (EXTRA_MAX + 512)
#define DRAIN_MS     2000 /* C_DRAIN at most this long */
#define ACCEPT_BURST 16

enum cstate { C_READ, C_HANDLER, C_WRITE, C_SUSPENDED, C_DRAIN };

struct worker;

struct http_req {
	struct conn *c;
	const char *method;
	char *path;
	int minor; /* HTTP/1.minor */
	bool head_method, keep_alive, resumed, answered, suspended;
	size_t nh;
	struct {
		const char *name, *value;
	} h[HTTP_HEADERS_MAX];
	size_t nq;
	struct {
		const char *key, *value;
	} qp[QUERY_MAX];
	size_t extra_len;
	char extra[EXTRA_MAX];
};

struct conn {
	struct worker *w;
	struct conn *prev, *next; /* the worker's connections */
	struct conn *qnext;	  /* the worker's resume queue */
	int fd;
	enum cstate state;
	bool in_epoll;
	uint32_t events;
	bool eof, close_after;
	int64_t deadline; /* ms, CLOCK_MONOTONIC */
	unsigned char ip[16];
	/* the request head(s) received */
	char *in;
	size_t in_len, scanned, head_len;
	struct http_req req;
	/* the answer */
	char hdr[HDR_MAX];
	size_t hdr_len, hdr_off;
	const char *body;
	size_t body_len, body_off;
	void (*release)(void *);
	void *release_arg;
};

struct ip_count {
	unsigned char ip[16];
	unsigned n;
};

struct worker {
	struct http_server *s;
	pthread_t thread;
	bool started;
	int ep, evfd;
	bool listening;
	struct conn *conns;
	int64_t next_check;
	pthread_mutex_t qlock;
	struct conn *resumed;
	time_t date_at;
	char date[40];
};

struct http_server {
	struct http_config cfg;
	int lfd;
	atomic_bool stopping, full;
	atomic_uint nconns;
	pthread_mutex_t iplock;
	struct ip_count *ips;
	size_t nips;
	size_t nworkers;
	struct worker w[];
};

/* epoll data of the two fds that are not connections */
static char tag_listen, tag_wake;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- reasons and refusals ------------------------------------------------- */

static const struct {
	unsigned status;
	const char *reason, *code;
} statuses[] = {
	{ 200, "OK", NULL },
	{ 304, "Not Modified", NULL },
	{ 400, "Bad Request", "bad_request" },
	{ 401, "Unauthorized", "unauthorized" },
	{ 404, "Not Found", "not_found" },
	{ 405, "Method Not Allowed", "method_not_allowed" },
	{ 411, "Length Required", "length_required" },
	{ 413, "Content Too Large", "content_too_large" },
	{ 414, "URI Too Long", "uri_too_long" },
	{ 431, "Request Header Fields Too Large", "header_fields_too_large" },
	{ 500, "Internal Server Error", "internal_error" },
	{ 503, "Service Unavailable", "unavailable" },
	{ 505, "HTTP Version Not Supported", "http_version_not_supported" },
};

static size_t status_idx(unsigned status)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return i;
	return status == 500 ? 0 : status_idx(500);
}

/* --- per-address counts --------------------------------------------------- */

static void ip_key(const struct sockaddr_storage *ss, unsigned char *ip)
{
	memset(ip, 0, 16);
	if (ss->ss_family == AF_INET)
		memcpy(ip, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(ip, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

static bool ip_acquire(struct http_server *s, const unsigned char *ip)
{
	bool ok = true;
	size_t i;

	pthread_mutex_lock(&s->iplock);
	for (i = 0; i < s->nips && memcmp(s->ips[i].ip, ip, 16); i++)
		;
	if (i == s->nips) {
		/* nips < max_conns: a slot was reserved for this one */
		memcpy(s->ips[i].ip, ip, 16);
		s->ips[i].n = 0;
		s->nips++;
	}
	if (s->ips[i].n >= s->cfg.max_per_ip)
		ok = false;
	else
		s->ips[i].n++;
	if (!s->ips[i].n)
		s->ips[i] = s->ips[--s->nips];
	pthread_mutex_unlock(&s->iplock);
	return ok;
}

static void ip_release(struct http_server *s, const unsigned char *ip)
{
	size_t i;

	pthread_mutex_lock(&s->iplock);
	for (i = 0; i < s->nips && memcmp(s->ips[i].ip, ip, 16); i++)
		;
	if (i < s->nips && --s->ips[i].n == 0)
		s->ips[i] = s->ips[--s->nips];
	pthread_mutex_unlock(&s->iplock);
}

/* --- connection slots and the listening socket ---------------------------- */

static bool slot_reserve(struct http_server *s)
{
	unsigned n = atomic_load(&s->nconns);

	while (n < s->cfg.max_conns)
		if (atomic_compare_exchange_weak(&s->nconns, &n, n + 1))
			return true;
	return false;
}

static void wake(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("http: eventfd: %s", strerror(errno));
}

static void slot_release(struct http_server *s)
{
	size_t i;

	atomic_fetch_sub(&s->nconns, 1);
	/* a worker that found every slot taken waits to be told */
	if (atomic_exchange(&s->full, false))
		for (i = 0; i < s->nworkers; i++)
			wake(&s->w[i]);
}

static void listen_arm(struct worker *w, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
				  .data.ptr = &tag_listen };

	if (w->listening == on)
		return;
	if (epoll_ctl(w->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w->s->lfd,
		      &ev) == 0)
		w->listening = on;
}

/* --- connections ---------------------------------------------------------- */

static void set_deadline(struct conn *c, int64_t ms)
{
	c->deadline = now_ms() + ms;
	if (c->deadline < c->w->next_check)
		c->w->next_check = c->deadline;
}

static void set_events(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->in_epoll && c->events == events)
		return;
	if (epoll_ctl(c->w->ep, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		      c->fd, &ev) == 0) {
		c->in_epoll = true;
		c->events = events;
	}
}

static void answer_release(struct conn *c)
{
	if (c->release)
		c->release(c->release_arg);
	c->release = NULL;
	c->body = NULL;
	c->body_len = c->body_off = c->hdr_len = c->hdr_off = 0;
}

static void conn_close(struct conn *c)
{
	struct worker *w = c->w;

	answer_release(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd); /* leaves the epoll set with it */
	ip_release(w->s, c->ip);
	slot_release(w->s);
	free(c->in);
	free(c);
}

static void on_accept(struct worker *w)
{
	struct http_server *s = w->s;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct conn *c;
	int fd, i, one = 1;

	for (i = 0; i < ACCEPT_BURST; i++) {
		if (!slot_reserve(s)) {
			listen_arm(w, false);
			atomic_store(&s->full, true);
			/* a slot freed since: someone must listen */
			if (atomic_load(&s->nconns) < s->cfg.max_conns &&
			    atomic_exchange(&s->full, false))
				listen_arm(w, true);
			return;
		}
		sl = sizeof(ss);
		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			slot_release(s);
			if (errno != EAGAIN && errno != ECONNABORTED &&
			    errno != EINTR)
				log_debug("http: accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			ip_key(&ss, c->ip);
		if (!c || !ip_acquire(s, c->ip)) {
			/* over the per-address limit: closed at once */
			free(c);
			close(fd);
			slot_release(s);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->w = w;
		c->req.c = c;
		c->fd = fd;
		c->state = C_READ;
		c->next = w->conns;
		if (w->conns)
			w->conns->prev = c;
		w->conns = c;
		set_deadline(c, (int64_t)s->cfg.timeout_s * 1000);
		set_events(c, EPOLLIN);
		if (!c->in_epoll)
			conn_close(c);
	}
}

/* --- parsing -------------------------------------------------------------- */

static bool is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decodes s in place ('+' too with plus). false on a bad escape
 * or a %00. */
static bool unescape(char *s, bool plus)
{
	char *o = s;
	int hi, lo;

	for (; *s; s++) {
		if (*s == '%') {
			hi = hexval(s[1]);
			lo = hi < 0 ? -1 : hexval(s[2]);
			if (lo < 0 || (hi | lo) == 0)
				return false;
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*o++ = plus && *s == '+' ? ' ' : *s;
		}
	}
	*o = '\0';
	return true;
}

/* The end of the line at p (its terminator: "\r\n" or "\n"), NUL-
 * terminated in place; NULL on a bare '\r'. */
static char *line_end(char *p, char **next)
{
	char *nl = strchr(p, '\n');

	if (nl > p && nl[-1] == '\r') {
		nl[-1] = '\0';
	} else if (memchr(p, '\r', (size_t)(nl - p))) {
		return NULL;
	}
	*nl = '\0';
	*next = nl + 1;
	return p;
}

static bool has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok), k;

	while (*list) {
		list += strspn(list, " \t,");
		k = strcspn(list, ",");
		while (k && (list[k - 1] == ' ' || list[k - 1] == '\t'))
			k--;
		if (k == n && !strncasecmp(list, tok, n))
			return true;
		list += strcspn(list, ",");
	}
	return false;
}

static bool split_query(struct http_req *q, char *query)
{
	char *kv, *save = NULL, *eq;

	for (kv = strtok_r(query, "&", &save); kv;
	     kv = strtok_r(NULL, "&", &save)) {
		if (q->nq == QUERY_MAX)
			return false;
		eq = strchr(kv, '=');
		if (eq)
			*eq++ = '\0';
		if (!unescape(kv, true) || (eq && !unescape(eq, true)))
			return false;
		q->qp[q->nq].key = kv;
		q->qp[q->nq].value = eq;
		q->nq++;
	}
	return true;
}

/*
 * Parses the head in c->in[0..c->head_len) (NUL-terminated in place) into
 * c->req. 0 or the status of the refusal; *msg says why.
 */
static unsigned parse(struct conn *c, const char **msg)
{
	struct http_req *q = &c->req;
	char *p = c->in, *line, *next, *sp, *target, *query, *v, *colon, *e;
	unsigned hosts = 0;
	long long clen = -1, n;
	bool te = false, close_tok = false, ka_tok = false;
	size_t i;

	memset(q, 0, offsetof(struct http_req, extra));
	q->c = c;
	line = line_end(p, &next);
	if (!line) {
		*msg = "a bare CR in the request line";
		return 400;
	}
	if (strlen(line) > HTTP_LINE_MAX) {
		*msg = "the request line is too long";
		return 414;
	}
	/* method SP target SP HTTP/x.y */
	*msg = "malformed request line: expected METHOD /path HTTP/1.1";
	for (sp = line; is_tchar((unsigned char)*sp); sp++)
		;
	if (sp == line || *sp != ' ')
		return 400;
	*sp = '\0';
	q->method = line;
	target = sp + 1;
	for (sp = target; *sp > 0x20 && *sp < 0x7f; sp++)
		;
	if (sp == target || *sp != ' ')
		return 400;
	*sp = '\0';
	v = sp + 1;
	if (strncmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9' || v[8])
		return 400;
	if (v[5] != '1') {
		*msg = "only HTTP/1.0 and HTTP/1.1 are spoken here";
		return 505;
	}
	q->minor = v[7] - '0';
	q->head_method = !strcmp(q->method, "HEAD");
	if (target[0] != '/') {
		*msg = "the target must be a path (origin-form, /...)";
		return 400;
	}
	query = strchr(target, '?');
	if (query)
		*query++ = '\0';
	q->path = target;
	if (!unescape(target, false)) {
		*msg = "bad percent-encoding in the path";
		return 400;
	}
	if (query && !split_query(q, query)) {
		*msg = "bad query: bad percent-encoding, or more than 32"
		       " parameters";
		return 400;
	}
	/* header fields */
	for (p = next; *p; p = next) {
		line = line_end(p, &next);
		if (!line) {
			*msg = "a bare CR in a header field";
			return 400;
		}
		if (!*line)
			break;
		if (*line == ' ' || *line == '\t') {
			*msg = "obsolete line folding in a header field";
			return 400;
		}
		for (colon = line; is_tchar((unsigned char)*colon); colon++)
			;
		if (colon == line || *colon != ':') {
			*msg = "malformed header field: expected Name: value";
			return 400;
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (e = v; *e; e++)
			if ((unsigned char)*e < 0x20 && *e != '\t') {
				*msg = "a control character in a header field";
				return 400;
			} else if (*e == 0x7f) {
				*msg = "a control character in a header field";
				return 400;
			}
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (q->nh == HTTP_HEADERS_MAX) {
			*msg = "too many header fields (at most 64)";
			return 431;
		}
		q->h[q->nh].name = line;
		q->h[q->nh].value = v;
		q->nh++;
	}
	for (i = 0; i < q->nh; i++) {
		const char *name = q->h[i].name, *val = q->h[i].value;

		if (!strcasecmp(name, "Host")) {
			hosts++;
		} else if (!strcasecmp(name, "Content-Length")) {
			*msg = "bad Content-Length";
			if (!*val || strspn(val, "0123456789") != strlen(val) ||
			    strlen(val) > 18)
				return 400;
			n = strtoll(val, NULL, 10);
			if (clen >= 0 && n != clen)
				return 400;
			clen = n;
		} else if (!strcasecmp(name, "Transfer-Encoding")) {
			te = true;
		} else if (!strcasecmp(name, "Connection")) {
			close_tok |= has_token(val, "close");
			ka_tok |= has_token(val, "keep-alive");
		}
	}
	if (hosts > 1 || (q->minor >= 1 && !hosts)) {
		*msg = "HTTP/1.1 requires exactly one Host header field";
		return 400;
	}
	if (te && (clen >= 0 || q->minor == 0)) {
		*msg = "Transfer-Encoding with Content-Length, or in HTTP/1.0";
		return 400;
	}
	if (te) {
		*msg = "the REST API is read-only: no request body (no"
		       " Transfer-Encoding)";
		return 411;
	}
	if (clen > 0) {
		*msg = "the REST API is read-only: no request body";
		return 413;
	}
	q->keep_alive = !close_tok && (q->minor >= 1 || ka_tok);
	*msg = NULL;
	return 0;
}

/* --- answers -------------------------------------------------------------- */

static const char *date_of(struct worker *w)
{
	time_t t = time(NULL);
	struct tm tm;

	if (t != w->date_at) {
		gmtime_r(&t, &tm);
		strftime(w->date, sizeof(w->date), "%a, %d %b %Y %H:%M:%S GMT",
			 &tm);
		w->date_at = t;
	}
	return w->date;
}

void http_add_header(struct http_req *q, const char *name, const char *value)
{
	size_t room = sizeof(q->extra) - q->extra_len;
	int n = snprintf(q->extra + q->extra_len, room, "%s: %s\r\n", name,
			 value);

	if (n < 0 || (size_t)n >= room) {
		q->extra[q->extra_len] = '\0';
		log_err("http: header %s dropped: too long", name);
		return;
	}
	q->extra_len += (size_t)n;
}

void http_respond(struct http_req *q, unsigned status, const char *type,
		  const void *body, size_t len, void (*release)(void *),
		  void *arg)
{
	struct conn *c = q->c;
	size_t k = status_idx(status);
	int n;

	if (q->answered) { /* a handler's bug; the first answer stands */
		if (release)
			release(arg);
		return;
	}
	q->answered = true;
	c->release = release;
	c->release_arg = arg;
	if (!status) {
		c->close_after = true;
		return;
	}
	if (!q->keep_alive)
		c->close_after = true;
	n = snprintf(c->hdr, sizeof(c->hdr), "HTTP/1.1 %u %s\r\nDate: %s\r\n",
		     status, statuses[k].reason, date_of(c->w));
	if (type)
		n += snprintf(c->hdr + n, sizeof(c->hdr) - (size_t)n,
			      "Content-Type: %s\r\n", type);
	if (status != 304)
		n += snprintf(c->hdr + n, sizeof(c->hdr) - (size_t)n,
			      "Content-Length: %zu\r\n", len);
	if (c->close_after)
		n += snprintf(c->hdr + n, sizeof(c->hdr) - (size_t)n,
			      "Connection: close\r\n");
	else if (q->minor == 0)
		n += snprintf(c->hdr + n, sizeof(c->hdr) - (size_t)n,
			      "Connection: keep-alive\r\n");
	/* fits: HDR_MAX leaves 512 bytes beside the handler's EXTRA_MAX */
	memcpy(c->hdr + n, q->extra, q->extra_len);
	n += (int)q->extra_len;
	memcpy(c->hdr + n, "\r\n", 2);
	c->hdr_len = (size_t)n + 2;
	if (!q->head_method && status != 304) {
		c->body = body;
		c->body_len = len;
	}
}

/* A refusal by the parser: JSON as the API's errors (docs/rest.md), and
 * the connection is closed after it. */
static void refuse(struct conn *c, unsigned status, const char *msg)
{
	char *body = NULL;
	int len;

	c->req.answered = c->req.suspended = false;
	c->req.keep_alive = c->req.head_method = false;
	c->req.extra_len = 0;
	len = asprintf(&body,
		       "{\"error\":{\"code\":\"%s\",\"status\":%u,"
		       "\"message\":\"%s\"}}",
		       statuses[status_idx(status)].code, status, msg);
	if (len < 0) {
		http_respond(&c->req, 0, NULL, NULL, 0, NULL, NULL);
		return;
	}
	http_respond(&c->req, status, "application/json", body, (size_t)len,
		     free, body);
}

/* --- the connection's work ------------------------------------------------ */

/*
 * The functions below return false when they closed (freed) c. Done with
 * the answer: C_READ for the next request (process() parses it), or
 * C_DRAIN.
 */
static bool answered(struct conn *c)
{
	struct http_server *s = c->w->s;

	answer_release(c);
	if (c->close_after) {
		/* let the client read the answer: no reset from unread
		 * bytes; drop what it still sends, briefly */
		if (shutdown(c->fd, SHUT_WR)) {
			conn_close(c);
			return false;
		}
		c->state = C_DRAIN;
		set_deadline(c, s->cfg.timeout_s * 1000 < DRAIN_MS ?
					(int64_t)s->cfg.timeout_s * 1000 :
					DRAIN_MS);
		set_events(c, EPOLLIN);
		return true;
	}
	memmove(c->in, c->in + c->head_len, c->in_len - c->head_len);
	c->in_len -= c->head_len;
	c->head_len = c->scanned = 0;
	c->state = C_READ;
	set_deadline(c, (int64_t)s->cfg.timeout_s * 1000);
	set_events(c, c->eof ? 0 : EPOLLIN);
	return true;
}

/* Sends what it can of the answer. */
static bool send_answer(struct conn *c)
{
	struct iovec iov[2];
	struct msghdr mh = { .msg_iov = iov };
	ssize_t n;

	c->state = C_WRITE;
	for (;;) {
		mh.msg_iovlen = 0;
		if (c->hdr_off < c->hdr_len) {
			iov[mh.msg_iovlen].iov_base = c->hdr + c->hdr_off;
			iov[mh.msg_iovlen++].iov_len = c->hdr_len - c->hdr_off;
		}
		if (c->body_off < c->body_len) {
			iov[mh.msg_iovlen].iov_base =
				(char *)c->body + c->body_off;
			iov[mh.msg_iovlen++].iov_len =
				c->body_len - c->body_off;
		}
		if (!mh.msg_iovlen)
			return answered(c);
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			set_events(c, EPOLLOUT);
			return true;
		}
		if (n <= 0) {
			conn_close(c);
			return false;
		}
		if ((size_t)n <= c->hdr_len - c->hdr_off) {
			c->hdr_off += (size_t)n;
		} else {
			c->body_off += (size_t)n - (c->hdr_len - c->hdr_off);
			c->hdr_off = c->hdr_len;
		}
		/* progress: a slow reader is not an idle one */
		set_deadline(c, (int64_t)c->w->s->cfg.timeout_s * 1000);
	}
}

/* After the handler ran (or the parser refused): send, or wait. */
static bool after_handler(struct conn *c)
{
	struct http_req *q = &c->req;

	if (q->suspended && !q->answered) {
		c->state = C_SUSPENDED;
		if (c->in_epoll)
			epoll_ctl(c->w->ep, EPOLL_CTL_DEL, c->fd, NULL);
		c->in_epoll = false;
		return true;
	}
	if (!q->answered) {
		log_err("http: %s %s: the handler gave no answer", q->method,
			q->path);
		refuse(c, 500, "no answer");
	}
	if (!c->hdr_len) { /* status 0: closed without an answer */
		conn_close(c);
		return false;
	}
	return send_answer(c);
}

static bool dispatch(struct conn *c)
{
	struct http_server *s = c->w->s;

	c->state = C_HANDLER;
	s->cfg.handler(s->cfg.arg, &c->req);
	return after_handler(c);
}

/* The end of the head in c->in (after the empty line), or 0. */
static size_t head_end(struct conn *c)
{
	size_t i = c->scanned > 2 ? c->scanned - 2 : 0;

	for (; i < c->in_len; i++) {
		if (c->in[i] != '\n')
			continue;
		if (i + 1 < c->in_len && c->in[i + 1] == '\n')
			return i + 2;
		if (i + 2 < c->in_len && c->in[i + 1] == '\r' &&
		    c->in[i + 2] == '\n')
			return i + 3;
	}
	c->scanned = c->in_len;
	return 0;
}

/* One request from the buffer, if it holds one: parsed and answered (or
 * refused). 1: one was, 0: none is complete yet, -1: c was closed. */
static int process_one(struct conn *c)
{
	const char *msg;
	unsigned status;
	size_t skip, end;
	char *nl, save;

	/* empty lines before a request are ignored (RFC 9112 2.2) */
	for (skip = 0;
	     skip < c->in_len && (c->in[skip] == '\r' || c->in[skip] == '\n');
	     skip++)
		;
	if (skip) {
		memmove(c->in, c->in + skip, c->in_len - skip);
		c->in_len -= skip;
		c->scanned = 0;
	}
	end = c->in_len ? head_end(c) : 0;
	if (!end) {
		nl = c->in_len ? memchr(c->in, '\n', c->in_len) : NULL;
		if ((!nl && c->in_len > HTTP_LINE_MAX) ||
		    (nl && nl - c->in > HTTP_LINE_MAX)) {
			refuse(c, 414, "the request line is too long");
		} else if (c->in_len >= HTTP_HEAD_MAX) {
			refuse(c, 431, "the request head is over 16 KiB");
		} else if (c->eof) {
			conn_close(c);
			return -1;
		} else {
			return 0;
		}
		return after_handler(c) ? 1 : -1;
	}
	c->head_len = end;
	/* NUL-terminated: the head ends with '\n', replaced */
	c->in[end - 1] = '\0';
	if (memchr(c->in, '\0', end - 1)) {
		refuse(c, 400, "a NUL byte in the request head");
		return after_handler(c) ? 1 : -1;
	}
	c->in[end - 1] = '\n';
	save = c->in[end];
	c->in[end] = '\0';
	status = parse(c, &msg);
	c->in[end] = save;
	if (status) {
		refuse(c, status, msg);
		return after_handler(c) ? 1 : -1;
	}
	return dispatch(c) ? 1 : -1;
}

/* Answers the requests in the buffer, in order, while it can: a loop,
 * not a recursion, however many are pipelined. */
static void process(struct conn *c)
{
	while (c->state == C_READ && process_one(c) > 0)
		;
}

static void on_readable(struct conn *c)
{
	ssize_t n;
	char drop[4096];

	if (c->state == C_DRAIN) {
		n = recv(c->fd, drop, sizeof(drop), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	if (c->state != C_READ)
		return;
	if (c->in_len >= HTTP_HEAD_MAX) { /* process() refused it */
		process(c);
		return;
	}
	if (!c->in && !(c->in = malloc(HTTP_HEAD_MAX + 1))) {
		conn_close(c);
		return;
	}
	n = recv(c->fd, c->in + c->in_len, HTTP_HEAD_MAX - c->in_len, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	if (n == 0) {
		c->eof = true;
		/* nothing more comes: stop listening for it */
		set_events(c, 0);
	}
	c->in_len += (size_t)n;
	process(c);
}

static void on_event(struct conn *c, uint32_t ev)
{
	if (c->state == C_WRITE && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (send_answer(c))
			process(c);
		return;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		if ((ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLIN)) {
			conn_close(c);
			return;
		}
		on_readable(c);
	}
}

/* Closes connections past their deadline; the next one to check. */
static void sweep(struct worker *w)
{
	int64_t now = now_ms(), next = INT64_MAX;
	struct conn *c, *n;

	if (now < w->next_check)
		return;
	for (c = w->conns; c; c = n) {
		n = c->next;
		if (c->state == C_SUSPENDED || c->state == C_HANDLER)
			continue;
		if (c->deadline <= now)
			conn_close(c);
		else if (c->deadline < next)
			next = c->deadline;
	}
	w->next_check = next;
}

static void run_resumed(struct worker *w)
{
	struct conn *c, *n;

	pthread_mutex_lock(&w->qlock);
	c = w->resumed;
	w->resumed = NULL;
	pthread_mutex_unlock(&w->qlock);
	for (; c; c = n) {
		n = c->qnext;
		c->qnext = NULL;
		c->req.suspended = false;
		c->req.resumed = true;
		if (dispatch(c))
			process(c);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	int i, n, timeout;
	int64_t now;
	uint64_t v;

	while (!atomic_load(&w->s->stopping)) {
		now = now_ms();
		timeout = w->next_check == INT64_MAX ?
				  -1 :
			  w->next_check <= now ?
				  0 :
				  (int)(w->next_check - now > 60000 ?
						60000 :
						w->next_check - now);
		n = epoll_wait(w->ep, evs, 64, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("http: epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &tag_listen) {
				on_accept(w);
			} else if (evs[i].data.ptr == &tag_wake) {
				if (read(w->evfd, &v, sizeof(v)) < 0)
					v = 0;
				if (!w->listening &&
				    atomic_load(&w->s->nconns) <
					    w->s->cfg.max_conns)
					listen_arm(w, true);
				run_resumed(w);
			} else {
				on_event(evs[i].data.ptr, evs[i].events);
			}
		}
		sweep(w);
	}
	return NULL;
}

/* --- the request's accessors ---------------------------------------------- */

const char *http_method(const struct http_req *q)
{
	return q->method;
}

const char *http_path(const struct http_req *q)
{
	return q->path;
}

const char *http_header(const struct http_req *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->nh; i++)
		if (!strcasecmp(q->h[i].name, name))
			return q->h[i].value;
	return NULL;
}

bool http_query_each(struct http_req *q,
		     bool (*fn)(void *arg, const char *key, const char *value),
		     void *arg)
{
	size_t i;

	for (i = 0; i < q->nq; i++)
		if (!fn(arg, q->qp[i].key, q->qp[i].value))
			return false;
	return true;
}

bool http_resumed(const struct http_req *q)
{
	return q->resumed;
}

void http_suspend(struct http_req *q)
{
	q->suspended = true;
}

void http_resume(struct http_req *q)
{
	struct conn *c = q->c;
	struct worker *w = c->w;

	pthread_mutex_lock(&w->qlock);
	c->qnext = w->resumed;
	w->resumed = c;
	pthread_mutex_unlock(&w->qlock);
	wake(w);
}

/* --- start and stop ------------------------------------------------------- */

static int listen_on(const struct http_config *c)
{
	const struct sockaddr_storage *ss = c->addr;
	socklen_t len = ss->ss_family == AF_INET6 ?
				sizeof(struct sockaddr_in6) :
				sizeof(struct sockaddr_in);
	int fd = socket(ss->ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
	    one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) ||
	    listen(fd, c->backlog)) {
		log_debug("http: cannot listen: %s", strerror(errno));
		close(fd);
		return -EADDRNOTAVAIL;
	}
	return fd;
}

int http_start(const struct http_config *cfg, struct http_server **ret)
{
	struct http_server *s;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_wake };
	size_t i, nw = cfg->threads ? cfg->threads : 1;
	int err = 0;

	s = calloc(1, sizeof(*s) + nw * sizeof(s->w[0]));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->cfg.addr = NULL;
	if (!s->cfg.max_per_ip)
		s->cfg.max_per_ip = 1;
	s->ips = calloc(cfg->max_conns ? cfg->max_conns : 1, sizeof(*s->ips));
	pthread_mutex_init(&s->iplock, NULL);
	s->lfd = listen_on(cfg);
	if (!s->ips || s->lfd < 0) {
		err = s->ips ? s->lfd : -ENOMEM;
		if (s->lfd >= 0)
			close(s->lfd);
		s->lfd = -1;
		free(s->ips);
		pthread_mutex_destroy(&s->iplock);
		free(s);
		return err;
	}
	for (i = 0; i < nw; i++) {
		struct worker *w = &s->w[i];

		w->s = s;
		w->next_check = INT64_MAX;
		pthread_mutex_init(&w->qlock, NULL);
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		s->nworkers++;
		if (w->ep < 0 || w->evfd < 0 ||
		    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->evfd, &ev)) {
			err = -errno;
			break;
		}
		listen_arm(w, true);
		if (!w->listening) {
			err = -errno;
			break;
		}
		err = -pthread_create(&w->thread, NULL, worker_main, w);
		if (err)
			break;
		w->started = true;
	}
	if (err) {
		http_stop(s);
		return err;
	}
	*ret = s;
	return 0;
}

void http_stop(struct http_server *s)
{
	size_t i;

	if (!s)
		return;
	atomic_store(&s->stopping, true);
	for (i = 0; i < s->nworkers; i++)
		if (s->w[i].started)
			wake(&s->w[i]);
	for (i = 0; i < s->nworkers; i++)
		if (s->w[i].started)
			pthread_join(s->w[i].thread, NULL);
	/* no wake() from slot_release() now: full is left false */
	atomic_store(&s->full, false);
	for (i = 0; i < s->nworkers; i++)
		while (s->w[i].conns)
			conn_close(s->w[i].conns);
	for (i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->w[i];

		if (w->ep >= 0)
			close(w->ep);
		if (w->evfd >= 0)
			close(w->evfd);
		pthread_mutex_destroy(&w->qlock);
	}
	close(s->lfd);
	free(s->ips);
	pthread_mutex_destroy(&s->iplock);
	free(s);
}
