/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Asynchronous client of verge-hv's management channel (the VM's
 * mgmt.sock, docs/management-protocol.md) on the libuv loop: connects and
 * reconnects, says HELLO, sends requests with sequence numbers and
 * matches their replies with a deadline, and passes events on. Frames are
 * decoded and checked by proto/frame.c; reply sizes against
 * vp_payload_size().
 *
 * Held events (boot and power, verge_proto.h "Held events") are passed on
 * once each, in order, across late attaches, reconnects and hypervisor
 * restarts: after every HELLO the link asks the hypervisor to replay what
 * it holds after the cursor (hvlink_set_cursor: what the owner recorded),
 * and asks again whenever an event arrives out of order. The owner
 * records each held event together with hvlink_cursor(), then calls
 * hvlink_ack() so that the hypervisor may forget it.
 */
#ifndef VERGED_HVLINK_H
#define VERGED_HVLINK_H
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include <verge_proto.h>

struct hvlink;

struct hvlink_ops {
	void (*event)(void *arg, const struct vp_frame *f);
	/* up: HELLO answered with our version; !up: connection ended. */
	void (*state)(void *arg, bool up);
	/* n held events were dropped by the hypervisor (its queue was
	 * full) before they could be passed on; may be NULL. */
	void (*lost)(void *arg, uint64_t n);
};

/*
 * err is 0 with the reply, -EPROTO with an error reply (f is it),
 * -EBADMSG for a reply of the wrong size, -ETIMEDOUT, or -ECONNRESET when
 * the connection ended first (also from hvlink_close(), which must not
 * be called from a callback).
 */
typedef void (*hvlink_reply_fn)(void *arg, int err, const struct vp_frame *f);

int hvlink_open(uv_loop_t *loop, const char *path, int timeout_ms,
		const struct hvlink_ops *ops, void *arg,
		struct hvlink **ret_link);
int hvlink_request(struct hvlink *l, uint8_t type, const void *payload,
		   uint32_t len, hvlink_reply_fn cb, void *arg);
bool hvlink_up(const struct hvlink *l);
/* What the core offers the guest, from the last HELLO; NULL before one or
 * from a hypervisor that does not say. */
const struct vp_hello_cpu *hvlink_cpu(const struct hvlink *l);
/* The flags of the hypervisor's last HELLO reply (VP_HELLO_F_*). */
uint16_t hvlink_hello_flags(const struct hvlink *l);
/* Where held events resume: the boot_id and seq of the last one the
 * owner recorded (0, 0 for a QEMU just started). Call after open. */
void hvlink_set_cursor(struct hvlink *l, uint64_t boot_id, uint32_t seq);
/* The last held event passed on (or what set_cursor gave). */
void hvlink_cursor(const struct hvlink *l, uint64_t *ret_boot_id,
		   uint32_t *ret_seq);
/* Every held event passed on so far is recorded: the hypervisor may
 * forget them. Nothing when not connected. */
void hvlink_ack(struct hvlink *l);
void hvlink_close(struct hvlink *l);
/* The error reply's message, NUL-terminated into buf. */
const char *hvlink_error_text(const struct vp_frame *f, char *buf,
			      size_t n, int32_t *ret_code);
/* Accept only a server (QEMU) running as uid (a jailed VM's). */
void hvlink_expect_peer(struct hvlink *l, long long uid);
#endif
