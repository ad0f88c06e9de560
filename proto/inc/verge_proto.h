/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verge management protocol: binary frames between verge-hv and the host
 * (verged, verge-mgmt), over the VM's virtio console. Freestanding C: the
 * same code builds into the hypervisor and the host. All integers are
 * little-endian; structures are packed by construction (naturally aligned
 * fields, sizes multiple of 8 where they hold u64).
 *
 * Frame: header (16 bytes) | payload (len bytes) | CRC-32 (4 bytes,
 * IEEE 802.3 / zlib polynomial, over header and payload).
 */
#ifndef VERGE_PROTO_H
#define VERGE_PROTO_H
#include <stddef.h>
#include <stdint.h>

#define VP_MAGIC		0x45475256u	/* "VRGE" in memory order */
#define VP_VERSION		1
#define VP_MAX_PAYLOAD		1024
#define VP_HEADER_SIZE		16
#define VP_CRC_SIZE		4
#define VP_MAX_FRAME		(VP_HEADER_SIZE + VP_MAX_PAYLOAD + VP_CRC_SIZE)

struct vp_header {
	uint32_t magic;
	uint8_t version;
	uint8_t type;		/* enum vp_type */
	uint16_t flags;		/* VP_F_* */
	uint32_t seq;		/* a reply carries its request's */
	uint32_t len;		/* payload bytes, <= VP_MAX_PAYLOAD */
};

#define VP_F_REPLY	0x0001
#define VP_F_ERROR	0x0002	/* reply payload is struct vp_error */
#define VP_F_EVENT	0x0004	/* unsolicited, from the hypervisor */

enum vp_type {
	/* requests (host -> hypervisor), each answered by one reply */
	VP_HELLO = 0x01,	/* vp_hello -> vp_hello_reply */
	VP_PING = 0x02,		/* any payload, echoed */
	VP_EVENTS_ACK = 0x03,	/* vp_events_ack -> vp_events_state, then
				 * with VP_ACK_REPLAY the held events
				 * again ("Held events" below) */
	VP_CLOCK_GET = 0x10,	/* empty -> vp_clock */
	VP_CLOCK_SET_RATE = 0x11, /* vp_rate -> vp_clock */
	VP_CLOCK_STEP = 0x12,	/* vp_step -> vp_clock */
	VP_CLOCK_SET_FREQ = 0x13, /* vp_freq -> vp_clock (next boot) */
	VP_STATS_GET = 0x20,	/* empty -> vp_stats */
	/* guest tools (the backdoor's RPCI/TCLO channels, docs/backdoor.md) */
	VP_GUESTINFO_SET = 0x30, /* "key\0value" -> empty; key without the
				  * "guestinfo." prefix; an empty value
				  * deletes the key */
	VP_TCLO_PUSH = 0x31,	/* text: one TCLO command for the guest's
				 * tools -> empty; VP_E_REFUSED when the
				 * queue is full */
	VP_HOST_TIME_SET = 0x32, /* vp_host_time -> empty: anchors the
				  * backdoor's GETTIMEFULL to host time */
	/* events (hypervisor -> host, VP_F_EVENT) */
	VP_EV_BOOT = 0x40,	/* vp_ev_boot */
	VP_EV_POWER = 0x41,	/* vp_ev_power */
	VP_EV_CLOCK = 0x42,	/* vp_clock, after every clock change */
	VP_EV_PANIC = 0x43,	/* text, not NUL-terminated */
	VP_EV_RPCI = 0x44,	/* text: a guest RPCI request the hypervisor
				 * relays (verge.*, log, tools.*) */
	VP_EV_TCLO_REPLY = 0x45, /* text: the guest's answer to the oldest
				  * pushed TCLO command */
	VP_EV_GUESTINFO = 0x46,	/* "key\0value": the guest set
				 * guestinfo.key with info-set */
	VP_EV_WATCHDOG = 0x47,	/* vp_ev_watchdog: a boot guard stage, the
				 * watchdog's WS0, its expiry (held) */
	VP_EV_WDT_REFRESH = 0x48, /* vp_ev_wdt_refresh: the guest OS
				   * refreshes the watchdog it took over;
				   * at most one a second */
};

enum vp_error_code {
	VP_E_BAD_FRAME = 1,	/* CRC, magic or length wrong (counted) */
	VP_E_UNKNOWN_TYPE = 2,
	VP_E_BAD_LENGTH = 3,	/* payload size does not fit the type */
	VP_E_OUT_OF_RANGE = 4,	/* a value outside its documented range */
	VP_E_BAD_VERSION = 5,	/* no common protocol version */
	VP_E_REFUSED = 6,	/* valid, but not now (e.g. step backwards) */
};

struct vp_error {
	int32_t code;		/* enum vp_error_code */
	char msg[];		/* UTF-8, not NUL-terminated, len - 4 bytes */
};

struct vp_hello {
	uint16_t min_version, max_version;
};

struct vp_hello_reply {
	uint16_t version;	/* chosen: the highest both speak */
	uint16_t flags;		/* VP_HELLO_F_* */
	uint32_t hv_version;	/* 0x00MMmmpp */
};

/* The HELLO reply continues with this: what the core offers the guest.
 * A reply of sizeof(struct vp_hello_reply) alone comes from an older
 * hypervisor that does not say. */
struct vp_hello_cpu {
	uint64_t features;	/* 1 << enum vp_cpu_feature */
	uint16_t sve_vl;	/* SVE vector length, bytes; 0 without */
	uint16_t sme_vl;	/* SME streaming vector length, bytes */
	uint32_t reserved;
};

enum vp_cpu_feature {
	VP_CPU_FP, VP_CPU_SIMD, VP_CPU_SVE, VP_CPU_SVE2, VP_CPU_SME,
	VP_CPU_SME2, VP_CPU_PAUTH, VP_CPU_BTI, VP_CPU_MTE, VP_CPU_FGT,
	VP_CPU_FGT2, VP_CPU_HCX, VP_CPU_ECV, VP_CPU_RAS, VP_CPU_SPE,
	VP_CPU_TRBE, VP_CPU_AMU, VP_CPU_MOPS, VP_CPU_NV, VP_CPU_PMU,
	VP_CPU_COUNT,
};

/* "fp", "sve", ...; NULL for a bit without a name. */
const char *vp_cpu_feature_name(unsigned bit);
/* A HELLO reply's length: the old 8 bytes or with vp_hello_cpu. */
int vp_hello_reply_size_ok(uint32_t len);
/* The presented frequency reaches the guest by the DT only: EL3 owns
 * CNTFRQ_EL0, which keeps the host's value (docs/hypervisor.md). */
#define VP_HELLO_F_FREQ_DT_ONLY	0x0001

/* Rates are rationals: guest seconds per host second = num / den,
 * 0.01 <= num/den <= 100, den != 0. */
struct vp_rate {
	uint32_t num, den;
};

struct vp_step {
	uint64_t ns;		/* forward only; > 0, <= 1 day */
};

struct vp_freq {
	uint64_t hz;		/* presented counter frequency, next boot */
};

struct vp_clock {
	uint64_t host_counter;	/* physical counter P when sampled */
	uint64_t host_freq;	/* its frequency, Hz */
	uint64_t guest_counter;	/* G(P), in guest ticks */
	uint64_t guest_freq;	/* frequency presented to the guest now */
	uint64_t next_freq;	/* presented at the next boot, 0 = same */
	uint32_t rate_num, rate_den;
	uint64_t cntvoff;	/* CNTVOFF_EL2 (dilation of CNTVCT) */
	uint64_t stalled_ticks;	/* host ticks the vCPUs spent stalled */
	uint64_t counter_traps;	/* trapped counter reads (CNTPCT; with
				 * FEAT_ECV also CNTVCT, CNT[PV]CTSS) */
	uint64_t timer_traps;	/* trapped CNTP_* (and CNTV_*) accesses */
	uint64_t max_error_ticks; /* largest |CNTVCT - G| seen at a tick */
	uint32_t mode;		/* enum vp_clock_mode: how CNTVCT follows G */
	uint32_t reserved;	/* 0 */
};

enum vp_clock_mode {
	VP_CLOCK_DILATION = 0,	/* CNTVOFF steered, vCPUs stalled (no ECV) */
	VP_CLOCK_EXACT = 1,	/* FEAT_ECV: CNTVCT and CNTV_* trapped and
				 * scaled when G is not natural */
};

struct vp_stats {
	uint64_t exits_total;
	uint64_t exits[10];	/* irq sgi tick maint hvc smc sysreg dabt iabt other */
	uint64_t rx_frames, rx_bad_frames, rx_dropped_bytes, tx_frames,
		 tx_dropped;
};

enum vp_boot_stage {
	VP_BOOT_HV_UP = 1,	/* hypervisor initialised, channel ready */
	VP_BOOT_GUEST_ENTERED = 2,
};

struct vp_ev_boot {
	uint32_t stage;
	uint32_t cpu;
	uint64_t boot_id;	/* held events end with their sender's */
};

enum vp_power {
	VP_POWER_OFF = 1,
	VP_POWER_RESET = 2,
	VP_POWER_CPU_ON = 3,
	VP_POWER_CPU_OFF = 4,
};

/* The boot guard (docs/bootguard.md). */
enum vp_wdt_what {
	VP_WDT_STAGE = 1,	/* stage entered */
	VP_WDT_WS0 = 2,		/* first timeout: the guest's interrupt */
	VP_WDT_EXPIRED = 3,	/* second timeout: the guest is reset */
};

enum vp_wdt_stage {
	VP_WDT_POWER_ON = 1,	/* service installed, watchdog off */
	VP_WDT_OS_LOADING = 2,	/* armed with verge.wdt, if given */
	VP_WDT_HANDED_OFF = 3,	/* API sealed; the guest OS owns it */
};

struct vp_ev_watchdog {
	uint32_t what;		/* enum vp_wdt_what */
	uint32_t stage;		/* enum vp_wdt_stage */
	uint32_t enabled;	/* 0 or 1 */
	uint32_t timeout_ms;	/* last refresh to reset */
	uint64_t boot_id;	/* held events end with their sender's */
};

/* After the hand-off: sent on a CPU's tick when the guest has refreshed
 * the watchdog since the last one, at most once a second (not held: a
 * lost one only delays what the host concludes from the next). */
struct vp_ev_wdt_refresh {
	uint32_t refreshes;	/* guest refreshes since the hand-off */
	uint32_t enabled;	/* 0 or 1 */
	uint32_t timeout_ms;	/* last refresh to reset */
	uint32_t reserved;	/* 0 */
};

/* Host CLOCK_REALTIME when the request was sent; the hypervisor pairs it
 * with its counter on receipt. */
struct vp_host_time {
	uint64_t unix_ns;
};

struct vp_ev_power {
	uint32_t what;
	uint32_t cpu;
	uint64_t boot_id;	/* held events end with their sender's */
};

/*
 * Held events: boot-stage and power events reach the host once, in
 * order, even when it attaches late or restarts (QEMU discards what the
 * hypervisor writes while no host is connected).
 *
 * EV_BOOT, EV_POWER and EV_WATCHDOG are "held" (vp_event_held()): their
 * header's seq
 * is an event sequence number, 1, 2, ... from each start of the
 * hypervisor, and their payload ends with that start's boot_id (never 0;
 * no earlier start in the same QEMU process had it). The hypervisor keeps
 * the newest
 * VP_EVQ_DEPTH held events until a host acknowledges them; when the queue
 * is full the oldest is dropped and counted in `lost`. Every other event
 * carries seq 0 and is sent once, to whoever is connected.
 *
 * The host keeps a cursor: the boot_id and seq of the last held event it
 * recorded (0, 0 for a QEMU it has just started). After HELLO it sends
 * EVENTS_ACK {cursor, VP_ACK_REPLAY}: the hypervisor forgets its held
 * events up to seq if boot_id is its own, replies with vp_events_state
 * and then sends every event it still holds again, oldest first, before
 * any newer event. The host ignores held events from that request until
 * its reply, starts over from seq 0 when the reply names another boot_id,
 * then takes a held event only when its boot_id is the cursor's and its
 * seq the cursor's plus one. Any other (a gap: frames lost on the way; a
 * duplicate; another boot_id: the hypervisor restarted) makes it send
 * EVENTS_ACK with VP_ACK_REPLAY again. Once an event and the cursor are
 * recorded durably (together), the host sends EVENTS_ACK without
 * VP_ACK_REPLAY so that the hypervisor may forget it.
 * proto/evq.c holds both sides' logic (struct vp_evq, struct vp_evcursor).
 */
#define VP_EVQ_DEPTH	32
#define VP_ACK_REPLAY	0x1	/* vp_events_ack.flags: send held events again */

struct vp_events_ack {
	uint64_t boot_id;	/* of the cursor; 0: none */
	uint32_t seq;		/* last held event recorded; 0: none */
	uint32_t flags;		/* VP_ACK_*; other bits: VP_E_OUT_OF_RANGE */
};

struct vp_events_state {
	uint64_t boot_id;	/* this start of the hypervisor */
	uint32_t first_seq;	/* oldest held event; next_seq if none */
	uint32_t next_seq;	/* the next held event's seq */
	uint64_t lost;		/* held events dropped unacknowledged */
};

/* --- framing (proto/frame.c) --------------------------------------- */

uint32_t vp_crc32(uint32_t crc, const void *data, size_t len);

/*
 * Encodes one frame into out (cap bytes). Returns the frame size, or 0 if
 * it does not fit or len > VP_MAX_PAYLOAD.
 */
size_t vp_encode(void *out, size_t cap, uint8_t type, uint16_t flags,
		 uint32_t seq, const void *payload, uint32_t len);

/* A decoded frame: header fields and a copy of the payload. */
struct vp_frame {
	struct vp_header hdr;
	uint8_t payload[VP_MAX_PAYLOAD];
};

/*
 * Stream decoder: bytes in, whole checked frames out. Garbage before a
 * magic, a bad version, an oversize length or a bad CRC are skipped and
 * counted; the decoder then resynchronises on the next magic.
 */
struct vp_decoder {
	uint8_t buf[VP_MAX_FRAME];
	uint32_t have;
	uint64_t frames, bad_crc, bad_header, dropped_bytes;
};

void vp_decoder_init(struct vp_decoder *d);
/* Takes up to n bytes; returns how many it took (less when full). */
size_t vp_decoder_push(struct vp_decoder *d, const void *data, size_t n);
/* 1 and *out filled when a frame is complete, 0 when more bytes are needed. */
int vp_decoder_next(struct vp_decoder *d, struct vp_frame *out);

/* Payload size a request or reply of this type must have, or -1 if any
 * size is allowed (PING, EV_PANIC, errors). */
int vp_payload_size(uint8_t type, uint16_t flags);
/* 1 for the held event types (EV_BOOT, EV_POWER, EV_WATCHDOG), else 0. */
int vp_event_held(uint8_t type);
const char *vp_type_name(uint8_t type);
/* "exact", "dilation", or "unknown" for a value this build does not know. */
const char *vp_clock_mode_name(uint32_t mode);
#endif
