// SPDX-License-Identifier: Apache-2.0
/* Synchronous management channel client (see mgmt_client.h). POSIX. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <mgmt_client.h>

#define RETRY_MS	50

struct mgmt_client {
	int fd;
	uint32_t seq;
	int timeout_ms;
	mgmt_event_cb cb;
	void *userdata;
	uint8_t rbuf[4096];	/* read from the socket, not yet decoded */
	size_t roff, rlen;
	struct vp_decoder dec;
	int has_error;
	int32_t error_code;
	char error_msg[VP_MAX_PAYLOAD];
};

static const char *const error_names[] = {
	[VP_E_BAD_FRAME] = "BAD_FRAME",
	[VP_E_UNKNOWN_TYPE] = "UNKNOWN_TYPE",
	[VP_E_BAD_LENGTH] = "BAD_LENGTH",
	[VP_E_OUT_OF_RANGE] = "OUT_OF_RANGE",
	[VP_E_BAD_VERSION] = "BAD_VERSION",
	[VP_E_REFUSED] = "REFUSED",
};

const char *mgmt_error_name(int32_t code)
{
	if (code > 0 && (size_t)code < sizeof(error_names) / sizeof(error_names[0]) &&
	    error_names[code])
		return error_names[code];
	return "UNKNOWN_ERROR";
}

/* A deadline in CLOCK_MONOTONIC ms; -1: none. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Waits for events on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int r;

	for (;;) {
		left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left < 0)
			left = 0;
		r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (r > 0)
			return 0;
		if (r == 0 && deadline >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int write_all(int fd, const void *data, size_t len, int64_t deadline)
{
	const uint8_t *p = data;
	ssize_t n;
	int r;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The next checked frame from the socket, waiting until the deadline. */
static int read_frame(struct mgmt_client *c, int64_t deadline,
		      struct vp_frame *out)
{
	size_t took;
	ssize_t n;
	int r;

	for (;;) {
		if (vp_decoder_next(&c->dec, out))
			return 0;
		if (c->roff < c->rlen) {
			took = vp_decoder_push(&c->dec, c->rbuf + c->roff,
					       c->rlen - c->roff);
			if (!took)	/* cannot happen: a full buffer decodes */
				return -ENOBUFS;
			c->roff += took;
			continue;
		}
		r = wait_fd(c->fd, POLLIN, deadline);
		if (r < 0)
			return r;
		n = read(c->fd, c->rbuf, sizeof(c->rbuf));
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			return -errno;
		}
		c->roff = 0;
		c->rlen = (size_t)n;
	}
}

/* Whether a frame's length fits its type (errors: a code, then text). */
static int length_ok(const struct vp_frame *f)
{
	int want = vp_payload_size(f->hdr.type, f->hdr.flags);

	if (f->hdr.flags & VP_F_ERROR)
		return f->hdr.len >= sizeof(struct vp_error);
	return want < 0 || f->hdr.len == (uint32_t)want;
}

static void pass_on(struct mgmt_client *c, const struct vp_frame *f)
{
	if (c->cb && length_ok(f))
		c->cb(f, c->userdata);
}

static void save_error(struct mgmt_client *c, const struct vp_frame *f)
{
	size_t i, n = f->hdr.len - sizeof(struct vp_error);
	const char *msg = (const char *)f->payload + sizeof(struct vp_error);

	memcpy(&c->error_code, f->payload, sizeof(c->error_code));
	for (i = 0; i < n && i < sizeof(c->error_msg) - 1; i++)
		c->error_msg[i] = (unsigned char)msg[i] < 0x20 ||
				  msg[i] == 0x7f ? '?' : msg[i];
	c->error_msg[i] = '\0';
	c->has_error = 1;
}

int mgmt_connect(const char *path, int timeout_ms,
		 struct mgmt_client **ret_client)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = deadline_of(timeout_ms);
	struct mgmt_client *c;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->timeout_ms = MGMT_DEFAULT_TIMEOUT_MS;
	vp_decoder_init(&c->dec);
	for (;;) {
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			r = -errno;
			goto fail;
		}
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		r = -errno;
		close(c->fd);
		c->fd = -1;
		if (r != -ENOENT && r != -ECONNREFUSED && r != -EINTR)
			goto fail;
		if (deadline >= 0 && now_ms() + RETRY_MS > deadline)
			goto fail;
		nanosleep(&(struct timespec){ .tv_nsec = RETRY_MS * 1000000L },
			  NULL);
	}
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	*ret_client = c;
	return 0;
fail:
	mgmt_close(c);
	return r;
}

void mgmt_close(struct mgmt_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

void mgmt_set_event_cb(struct mgmt_client *c, mgmt_event_cb cb,
		       void *userdata)
{
	c->cb = cb;
	c->userdata = userdata;
}

void mgmt_set_timeout(struct mgmt_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

const char *mgmt_last_error(const struct mgmt_client *c, int32_t *ret_code)
{
	if (!c->has_error)
		return NULL;
	if (ret_code)
		*ret_code = c->error_code;
	return c->error_msg;
}

int mgmt_request(struct mgmt_client *c, uint8_t type, const void *payload,
		 uint32_t len, int timeout_ms, struct vp_frame *ret_reply)
{
	struct vp_frame f;
	uint8_t buf[VP_MAX_FRAME];
	int64_t deadline = deadline_of(timeout_ms);
	uint32_t seq;
	size_t n;
	int r;

	if (++c->seq == 0)	/* 0 is left to frames without a request */
		c->seq = 1;
	seq = c->seq;
	n = vp_encode(buf, sizeof(buf), type, 0, seq, payload, len);
	if (!n)
		return -EMSGSIZE;
	r = write_all(c->fd, buf, n, deadline);
	if (r < 0)
		return r;
	for (;;) {
		r = read_frame(c, deadline, &f);
		if (r < 0)
			return r;
		if ((f.hdr.flags & VP_F_EVENT) || !(f.hdr.flags & VP_F_REPLY) ||
		    f.hdr.seq != seq) {
			pass_on(c, &f);
			continue;
		}
		if (!length_ok(&f))
			return -EBADMSG;
		if (f.hdr.flags & VP_F_ERROR) {
			save_error(c, &f);
			r = -EPROTO;
		} else if (f.hdr.type != type) {
			return -EBADMSG;
		}
		if (ret_reply)
			memcpy(ret_reply, &f, sizeof(f.hdr) + f.hdr.len);
		return r;
	}
}

/* A request whose reply has a fixed size, copied into ret. */
static int request_fixed(struct mgmt_client *c, uint8_t type,
			 const void *payload, uint32_t len, void *ret,
			 size_t ret_len)
{
	struct vp_frame f;
	int r = mgmt_request(c, type, payload, len, c->timeout_ms, &f);

	if (r < 0)
		return r;
	if (f.hdr.len != ret_len)	/* checked already; keep it local */
		return -EBADMSG;
	memcpy(ret, f.payload, ret_len);
	return 0;
}

int mgmt_hello(struct mgmt_client *c, struct vp_hello_reply *ret_reply)
{
	return mgmt_hello_cpu(c, ret_reply, NULL);
}

int mgmt_hello_cpu(struct mgmt_client *c, struct vp_hello_reply *ret_reply,
		   struct vp_hello_cpu *ret_cpu)
{
	struct vp_hello h = { VP_VERSION, VP_VERSION };
	struct vp_hello_cpu cpu = { 0, 0, 0, 0 };
	struct vp_hello_reply rep;
	struct vp_frame f;
	int r;

	r = mgmt_request(c, VP_HELLO, &h, sizeof(h), c->timeout_ms, &f);
	if (r < 0)
		return r;
	if (!vp_hello_reply_size_ok(f.hdr.len))
		return -EBADMSG;
	memcpy(&rep, f.payload, sizeof(rep));
	if (f.hdr.len > sizeof(rep))
		memcpy(&cpu, f.payload + sizeof(rep), sizeof(cpu));
	if (rep.version != VP_VERSION)
		return -EPROTONOSUPPORT;
	*ret_reply = rep;
	if (ret_cpu)
		*ret_cpu = cpu;
	return 0;
}

int mgmt_clock_get(struct mgmt_client *c, struct vp_clock *ret_clock)
{
	return request_fixed(c, VP_CLOCK_GET, NULL, 0, ret_clock,
			     sizeof(*ret_clock));
}

int mgmt_set_rate(struct mgmt_client *c, uint32_t num, uint32_t den,
		  struct vp_clock *ret_clock)
{
	struct vp_rate r = { num, den };

	return request_fixed(c, VP_CLOCK_SET_RATE, &r, sizeof(r), ret_clock,
			     sizeof(*ret_clock));
}

int mgmt_step(struct mgmt_client *c, uint64_t ns, struct vp_clock *ret_clock)
{
	struct vp_step s = { ns };

	return request_fixed(c, VP_CLOCK_STEP, &s, sizeof(s), ret_clock,
			     sizeof(*ret_clock));
}

int mgmt_set_freq(struct mgmt_client *c, uint64_t hz,
		  struct vp_clock *ret_clock)
{
	struct vp_freq f = { hz };

	return request_fixed(c, VP_CLOCK_SET_FREQ, &f, sizeof(f), ret_clock,
			     sizeof(*ret_clock));
}

int mgmt_stats(struct mgmt_client *c, struct vp_stats *ret_stats)
{
	return request_fixed(c, VP_STATS_GET, NULL, 0, ret_stats,
			     sizeof(*ret_stats));
}

int mgmt_wait_event(struct mgmt_client *c, uint8_t type, int timeout_ms,
		    struct vp_frame *ret_frame)
{
	struct vp_frame f;
	int64_t deadline = deadline_of(timeout_ms);
	int r;

	for (;;) {
		r = read_frame(c, deadline, &f);
		if (r < 0)
			return r;
		if ((f.hdr.flags & VP_F_EVENT) && (!type || f.hdr.type == type) &&
		    length_ok(&f)) {
			memcpy(ret_frame, &f, sizeof(f.hdr) + f.hdr.len);
			return 0;
		}
		pass_on(c, &f);
	}
}

int mgmt_send_raw(struct mgmt_client *c, const void *data, size_t len)
{
	return write_all(c->fd, data, len, deadline_of(c->timeout_ms));
}

int mgmt_poll(struct mgmt_client *c, int timeout_ms)
{
	struct vp_frame f;
	int64_t deadline = deadline_of(timeout_ms < 0 ? 0 : timeout_ms);
	int r, n = 0;

	for (;;) {
		r = read_frame(c, deadline, &f);
		if (r == -ETIMEDOUT)
			return n;
		if (r < 0)
			return r;
		pass_on(c, &f);
		n++;
	}
}
