// SPDX-License-Identifier: Apache-2.0
/*
 * One GET over plain http:// without libcurl (http.h). Loading libcurl
 * and the TLS, Kerberos and LDAP libraries it brings is a third of what
 * `verge fleet status` costs (docs/fleet.md, "Scale"); a single http://
 * GET needs none of it. Only the plain case is handled here: anything
 * else (https, user info in the URL, a failed connection, a timeout, an
 * answer framed in a way not read here) returns an error and the caller
 * asks libcurl, which then says what went wrong in its own words.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

/* The status line and headers must fit in this. */
#define HEAD_MAX	(64u << 10)

struct target {
	char host[256];		/* without the brackets of an IPv6 address */
	char port[6];
	char authority[300];	/* for Host: */
	const char *prefix;	/* the base URL's path, may be "" */
};

static int parse_base(const char *base, struct target *t)
{
	const char *a = base + 7, *end, *colon, *host;
	size_t alen, hlen;

	if (strncmp(base, "http://", 7))
		return -EPROTONOSUPPORT;
	end = a + strcspn(a, "/?#");
	alen = (size_t)(end - a);
	if (!alen || alen >= sizeof(t->authority) || memchr(a, '@', alen) ||
	    *end == '?' || *end == '#')
		return -EINVAL;
	memcpy(t->authority, a, alen);
	t->authority[alen] = '\0';
	t->prefix = end;
	host = t->authority;
	if (*host == '[') {
		const char *rb = strchr(host, ']');

		if (!rb)
			return -EINVAL;
		hlen = (size_t)(rb - host - 1);
		host++;
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (!colon && rb[1])
			return -EINVAL;
	} else {
		colon = strchr(host, ':');
		hlen = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (!hlen || hlen >= sizeof(t->host))
		return -EINVAL;
	memcpy(t->host, host, hlen);
	t->host[hlen] = '\0';
	snprintf(t->port, sizeof(t->port), "80");
	if (colon) {
		char *e;
		long p = strtol(colon + 1, &e, 10);

		if (e == colon + 1 || *e || p < 1 || p > 65535)
			return -EINVAL;
		snprintf(t->port, sizeof(t->port), "%ld", p);
	}
	return 0;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - cli_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int dial(const struct target *t, int64_t deadline)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	int fd = -1, err = -ECONNREFUSED;
	socklen_t len = sizeof(err);

	if (getaddrinfo(t->host, t->port, &hints, &ai))
		return -EHOSTUNREACH;
	for (a = ai; a; a = a->ai_next) {
		int soerr = 0;

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, a->ai_addr, a->ai_addrlen))
			break;
		if (errno == EINPROGRESS && !wait_fd(fd, POLLOUT, deadline) &&
		    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) &&
		    !soerr)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd >= 0 ? fd : err;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	ssize_t w;
	int r;

	while (n) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			if ((r = wait_fd(fd, POLLOUT, deadline)))
				return r;
		} else if (w < 0 && errno != EINTR) {
			return -errno;
		}
	}
	return 0;
}

/* Everything until the server closes (Connection: close). */
static int recv_all(int fd, char **ret, size_t *ret_len, int64_t deadline)
{
	size_t len = 0, cap = 0, max = CLI_MAX_MESSAGE + HEAD_MAX;
	char *b = NULL, *nb;
	ssize_t n;
	int r = 0;

	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? 2 * cap : 1 << 20;
			if (!(nb = realloc(b, cap + 1))) {
				r = -ENOMEM;
				break;
			}
			b = nb;
		}
		n = recv(fd, b + len, cap - len, 0);
		if (n > 0) {
			len += (size_t)n;
			if (len > max) {
				r = -EMSGSIZE;
				break;
			}
		} else if (n == 0) {
			break;
		} else if (errno == EAGAIN) {
			if ((r = wait_fd(fd, POLLIN, deadline)))
				break;
		} else if (errno != EINTR) {
			r = -errno;
			break;
		}
	}
	if (r) {
		free(b);
		return r;
	}
	*ret = b;
	*ret_len = len;
	return 0;
}

/* The value of header name in the head (NUL-terminated), or NULL. */
static const char *header(const char *head, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p && p[2]) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1, *e;

			v += strspn(v, " \t");
			e = strstr(v, "\r\n");
			*vlen = e ? (size_t)(e - v) : strlen(v);
			while (*vlen && strchr(" \t", v[*vlen - 1]))
				(*vlen)--;
			return v;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* A chunked body decoded in place; its length or -EBADMSG. */
static ssize_t dechunk(char *b, size_t n)
{
	size_t in = 0, out = 0, size;
	char *e;

	for (;;) {
		if (in >= n || !strchr("0123456789abcdefABCDEF", b[in]))
			return -EBADMSG;
		errno = 0;
		size = strtoul(b + in, &e, 16);
		if (errno || (size_t)(e - b) >= n)
			return -EBADMSG;
		in = (size_t)(e - b);
		while (in + 1 < n && memcmp(b + in, "\r\n", 2))
			in++;	/* chunk extensions */
		if (in + 2 > n)
			return -EBADMSG;
		in += 2;
		if (!size)
			return (ssize_t)out;
		if (size > n - in || n - in - size < 2 ||
		    memcmp(b + in + size, "\r\n", 2))
			return -EBADMSG;
		memmove(b + out, b + in, size);
		out += size;
		in += size + 2;
	}
}

/* The answer in b (len bytes) into res; -EBADMSG if not read here. */
static int parse_answer(char *b, size_t len, struct cli_http_result *res)
{
	char *end, *body, *e;
	const char *v;
	size_t vlen, blen;
	long status;

	b[len] = '\0';
	end = memmem(b, len, "\r\n\r\n", 4);
	if (!end || (size_t)(end - b) > HEAD_MAX || strncmp(b, "HTTP/1.", 7) ||
	    !b[7] || b[8] != ' ')
		return -EBADMSG;
	status = strtol(b + 9, &e, 10);
	if (e != b + 12 || status < 200 || status > 599)
		return -EBADMSG;
	*end = '\0';
	body = end + 4;
	blen = len - (size_t)(body - b);
	if ((v = header(b, "Transfer-Encoding", &vlen))) {
		ssize_t n;

		if (vlen != 7 || strncasecmp(v, "chunked", 7))
			return -EBADMSG;
		n = dechunk(body, blen);
		if (n < 0)
			return -EBADMSG;
		blen = (size_t)n;
	} else if ((v = header(b, "Content-Length", &vlen))) {
		unsigned long long cl;

		if (!vlen || strspn(v, "0123456789") != vlen)
			return -EBADMSG;
		cl = strtoull(v, NULL, 10);
		if (cl > blen)
			return -EBADMSG;	/* cut short */
		blen = (size_t)cl;
	}
	if (blen > CLI_MAX_MESSAGE)
		return -EBADMSG;
	res->body = malloc(blen + 1);
	if (!res->body)
		return -ENOMEM;
	memcpy(res->body, body, blen);
	res->body[blen] = '\0';
	res->len = blen;
	res->status = status;
	return 0;
}

int cli_http_plain_get(const char *base, const char *path,
		       const char *token, int64_t deadline,
		       struct cli_http_result *res)
{
	struct target t;
	char *req = NULL, *ans = NULL;
	size_t len = 0;
	int fd, r;

	memset(res, 0, sizeof(*res));
	if ((r = parse_base(base, &t)))
		return r;
	if (strpbrk(path, " \r\n") || strpbrk(t.prefix, " \r\n"))
		return -EINVAL;
	if (asprintf(&req, "GET %s%s HTTP/1.1\r\nHost: %s\r\nAccept:"
		     " application/json\r\n%s%s%sConnection: close\r\n\r\n",
		     t.prefix, path, t.authority,
		     token ? "Authorization: Bearer " : "", token ? token : "",
		     token ? "\r\n" : "") < 0)
		return -ENOMEM;
	fd = dial(&t, deadline);
	if (fd < 0) {
		free(req);
		return fd;
	}
	r = send_all(fd, req, strlen(req), deadline);
	explicit_bzero(req, strlen(req));
	free(req);
	if (!r)
		r = recv_all(fd, &ans, &len, deadline);
	close(fd);
	if (!r)
		r = parse_answer(ans, len, res);
	free(ans);
	if (r) {
		free(res->body);
		memset(res, 0, sizeof(*res));
	}
	return r;
}
