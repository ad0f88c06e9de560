/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synchronous host client for verge-hv's management channel: QEMU serves
 * the VM's virtconsole on a unix socket; this connects to it and exchanges
 * verge_proto.h frames. Functions return 0 or a negative errno; ret_*
 * parameters are left untouched on failure (except the error reply that
 * mgmt_request() leaves in ret_reply with -EPROTO). Not thread-safe.
 */
#ifndef VERGE_MGMT_CLIENT_H
#define VERGE_MGMT_CLIENT_H
#include <stddef.h>
#include <stdint.h>

#include <verge_proto.h>

#define MGMT_DEFAULT_TIMEOUT_MS	2000

struct mgmt_client;

/*
 * Called with every checked frame that is not the reply being waited for:
 * events (VP_F_EVENT), and replies nobody waits for, such as the error
 * replies to frames the hypervisor could not parse.
 */
typedef void (*mgmt_event_cb)(const struct vp_frame *f, void *userdata);

/* Connects to the socket at path, retrying until it exists (timeout_ms). */
int mgmt_connect(const char *path, int timeout_ms,
		 struct mgmt_client **ret_client);
void mgmt_close(struct mgmt_client *c);
void mgmt_set_event_cb(struct mgmt_client *c, mgmt_event_cb cb,
		       void *userdata);
/* Timeout of the convenience wrappers below (default 2000 ms). */
void mgmt_set_timeout(struct mgmt_client *c, int timeout_ms);

/*
 * Sends a request with the next sequence number and reads frames until
 * its reply arrives (-ETIMEDOUT after timeout_ms). The reply's length is
 * checked against vp_payload_size(); -EBADMSG if it does not fit. An error
 * reply returns -EPROTO with the frame in ret_reply (if not NULL); see
 * mgmt_last_error().
 */
int mgmt_request(struct mgmt_client *c, uint8_t type, const void *payload,
		 uint32_t len, int timeout_ms, struct vp_frame *ret_reply);

/* Negotiates VP_VERSION: -EPROTONOSUPPORT if the hypervisor chose another. */
int mgmt_hello(struct mgmt_client *c, struct vp_hello_reply *ret_reply);
/* The same, and what the core offers the guest (all zero from a
 * hypervisor that does not say). */
int mgmt_hello_cpu(struct mgmt_client *c, struct vp_hello_reply *ret_reply,
		   struct vp_hello_cpu *ret_cpu);
int mgmt_clock_get(struct mgmt_client *c, struct vp_clock *ret_clock);
int mgmt_set_rate(struct mgmt_client *c, uint32_t num, uint32_t den,
		  struct vp_clock *ret_clock);
int mgmt_step(struct mgmt_client *c, uint64_t ns, struct vp_clock *ret_clock);
int mgmt_set_freq(struct mgmt_client *c, uint64_t hz,
		  struct vp_clock *ret_clock);
int mgmt_stats(struct mgmt_client *c, struct vp_stats *ret_stats);

/* Waits for an event of this type (0: any); others go to the callback. */
int mgmt_wait_event(struct mgmt_client *c, uint8_t type, int timeout_ms,
		    struct vp_frame *ret_frame);

/*
 * Raw access, for fuzzing: writes bytes as they are, and passes every
 * frame that arrives within timeout_ms to the callback. mgmt_poll()
 * returns how many frames it passed on.
 */
int mgmt_send_raw(struct mgmt_client *c, const void *data, size_t len);
int mgmt_poll(struct mgmt_client *c, int timeout_ms);

/*
 * The last error reply: its code (enum vp_error_code) and its message,
 * NUL-terminated with control characters replaced. NULL if there was none.
 */
const char *mgmt_last_error(const struct mgmt_client *c, int32_t *ret_code);
/* "OUT_OF_RANGE" for VP_E_OUT_OF_RANGE, ..., "UNKNOWN_ERROR" otherwise. */
const char *mgmt_error_name(int32_t code);
#endif
