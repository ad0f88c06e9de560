// SPDX-License-Identifier: Apache-2.0
/*
 * Management protocol framing: CRC-32, frame encoding, the stream decoder
 * and the per-type payload sizes. Freestanding C11 (only memcpy, memmove,
 * memset, memchr), built into verge-hv and into the host tools. Multi-byte
 * fields are copied with memcpy (the hypervisor runs with -mstrict-align);
 * every target is little-endian, so structures go on the wire as they are.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <verge_proto.h>

/* The wire layout is fixed: catch any change to it at compile time. */
_Static_assert(sizeof(struct vp_header) == VP_HEADER_SIZE, "vp_header");
_Static_assert(sizeof(struct vp_error) == 4, "vp_error");
_Static_assert(sizeof(struct vp_hello) == 4, "vp_hello");
_Static_assert(sizeof(struct vp_hello_reply) == 8, "vp_hello_reply");
_Static_assert(sizeof(struct vp_hello_cpu) == 16, "vp_hello_cpu");
_Static_assert(sizeof(struct vp_rate) == 8, "vp_rate");
_Static_assert(sizeof(struct vp_step) == 8, "vp_step");
_Static_assert(sizeof(struct vp_freq) == 8, "vp_freq");
_Static_assert(sizeof(struct vp_clock) == 96, "vp_clock");
_Static_assert(sizeof(struct vp_stats) == 128, "vp_stats");
_Static_assert(sizeof(struct vp_ev_boot) == 16, "vp_ev_boot");
_Static_assert(sizeof(struct vp_ev_power) == 16, "vp_ev_power");
/* Held events end with the boot_id (proto/evq.c fills it in). */
_Static_assert(offsetof(struct vp_ev_boot, boot_id) == 8, "vp_ev_boot");
_Static_assert(offsetof(struct vp_ev_power, boot_id) == 8, "vp_ev_power");
_Static_assert(sizeof(struct vp_events_ack) == 16, "vp_events_ack");
_Static_assert(sizeof(struct vp_events_state) == 24, "vp_events_state");
_Static_assert(sizeof(struct vp_ev_watchdog) == 24, "vp_ev_watchdog");
_Static_assert(offsetof(struct vp_ev_watchdog, boot_id) == 16,
	       "vp_ev_watchdog");
_Static_assert(sizeof(struct vp_ev_wdt_refresh) == 16, "vp_ev_wdt_refresh");
_Static_assert(sizeof(((struct vp_decoder *)0)->buf) == VP_MAX_FRAME,
	       "decoder holds one whole frame");

#define ANY	(-1)

/* Payload sizes by type: request, reply (events use the same for both). */
static const struct vp_type_info {
	uint8_t type;
	const char *name;
	int16_t req, rep;
} vp_types[] = {
	/* reply: vp_hello_reply, then vp_hello_cpu from newer hypervisors;
	 * vp_hello_reply_size() checks it */
	{ VP_HELLO, "HELLO", sizeof(struct vp_hello), ANY },
	{ VP_PING, "PING", ANY, ANY },
	{ VP_EVENTS_ACK, "EVENTS_ACK", sizeof(struct vp_events_ack),
	  sizeof(struct vp_events_state) },
	{ VP_CLOCK_GET, "CLOCK_GET", 0, sizeof(struct vp_clock) },
	{ VP_CLOCK_SET_RATE, "CLOCK_SET_RATE", sizeof(struct vp_rate),
	  sizeof(struct vp_clock) },
	{ VP_CLOCK_STEP, "CLOCK_STEP", sizeof(struct vp_step),
	  sizeof(struct vp_clock) },
	{ VP_CLOCK_SET_FREQ, "CLOCK_SET_FREQ", sizeof(struct vp_freq),
	  sizeof(struct vp_clock) },
	{ VP_STATS_GET, "STATS_GET", 0, sizeof(struct vp_stats) },
	{ VP_EV_BOOT, "EV_BOOT", sizeof(struct vp_ev_boot),
	  sizeof(struct vp_ev_boot) },
	{ VP_EV_POWER, "EV_POWER", sizeof(struct vp_ev_power),
	  sizeof(struct vp_ev_power) },
	{ VP_EV_CLOCK, "EV_CLOCK", sizeof(struct vp_clock),
	  sizeof(struct vp_clock) },
	{ VP_EV_PANIC, "EV_PANIC", ANY, ANY },
	{ VP_GUESTINFO_SET, "GUESTINFO_SET", ANY, 0 },
	{ VP_TCLO_PUSH, "TCLO_PUSH", ANY, 0 },
	{ VP_HOST_TIME_SET, "HOST_TIME_SET", sizeof(struct vp_host_time), 0 },
	{ VP_EV_RPCI, "EV_RPCI", ANY, ANY },
	{ VP_EV_TCLO_REPLY, "EV_TCLO_REPLY", ANY, ANY },
	{ VP_EV_GUESTINFO, "EV_GUESTINFO", ANY, ANY },
	{ VP_EV_WATCHDOG, "EV_WATCHDOG", sizeof(struct vp_ev_watchdog),
	  sizeof(struct vp_ev_watchdog) },
	{ VP_EV_WDT_REFRESH, "EV_WDT_REFRESH",
	  sizeof(struct vp_ev_wdt_refresh),
	  sizeof(struct vp_ev_wdt_refresh) },
};

static const struct vp_type_info *type_info(uint8_t type)
{
	size_t i;

	for (i = 0; i < sizeof(vp_types) / sizeof(vp_types[0]); i++)
		if (vp_types[i].type == type)
			return &vp_types[i];
	return NULL;
}

/* Unknown types have no size constraint here: the receiver answers them
 * with VP_E_UNKNOWN_TYPE instead. */
int vp_payload_size(uint8_t type, uint16_t flags)
{
	const struct vp_type_info *t = type_info(type);

	if (!t || (flags & VP_F_ERROR))
		return ANY;
	return (flags & VP_F_REPLY) ? t->rep : t->req;
}

int vp_hello_reply_size_ok(uint32_t len)
{
	return len == sizeof(struct vp_hello_reply) ||
	       len == sizeof(struct vp_hello_reply) +
		      sizeof(struct vp_hello_cpu);
}

static const char *const cpu_names[VP_CPU_COUNT] = {
	[VP_CPU_FP] = "fp", [VP_CPU_SIMD] = "simd", [VP_CPU_SVE] = "sve",
	[VP_CPU_SVE2] = "sve2", [VP_CPU_SME] = "sme", [VP_CPU_SME2] = "sme2",
	[VP_CPU_PAUTH] = "pauth", [VP_CPU_BTI] = "bti", [VP_CPU_MTE] = "mte",
	[VP_CPU_FGT] = "fgt", [VP_CPU_FGT2] = "fgt2", [VP_CPU_HCX] = "hcx",
	[VP_CPU_ECV] = "ecv", [VP_CPU_RAS] = "ras", [VP_CPU_SPE] = "spe",
	[VP_CPU_TRBE] = "trbe", [VP_CPU_AMU] = "amu", [VP_CPU_MOPS] = "mops",
	[VP_CPU_NV] = "nv", [VP_CPU_PMU] = "pmu",
};

const char *vp_cpu_feature_name(unsigned bit)
{
	return bit < VP_CPU_COUNT ? cpu_names[bit] : NULL;
}

int vp_event_held(uint8_t type)
{
	return type == VP_EV_BOOT || type == VP_EV_POWER ||
	       type == VP_EV_WATCHDOG;
}

const char *vp_type_name(uint8_t type)
{
	const struct vp_type_info *t = type_info(type);

	return t ? t->name : "UNKNOWN";
}

const char *vp_clock_mode_name(uint32_t mode)
{
	switch (mode) {
	case VP_CLOCK_DILATION:
		return "dilation";
	case VP_CLOCK_EXACT:
		return "exact";
	default:
		return "unknown";
	}
}

/* Reflected IEEE 802.3 polynomial 0xedb88320, four bits at a time. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
	0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

/* Same as zlib's crc32(crc, data, len): pass 0 to start, chain the result. */
uint32_t vp_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
	}
	return ~crc;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

size_t vp_encode(void *out, size_t cap, uint8_t type, uint16_t flags,
		 uint32_t seq, const void *payload, uint32_t len)
{
	struct vp_header h = {
		.magic = VP_MAGIC, .version = VP_VERSION, .type = type,
		.flags = flags, .seq = seq, .len = len,
	};
	uint8_t *o = out;
	size_t size;

	if (len > VP_MAX_PAYLOAD || (len && !payload))
		return 0;
	size = VP_HEADER_SIZE + len + VP_CRC_SIZE;
	if (!out || cap < size)
		return 0;
	/* memmove: the caller may have built the payload in place. */
	if (len)
		memmove(o + VP_HEADER_SIZE, payload, len);
	memcpy(o, &h, sizeof(h));
	put_le32(o + VP_HEADER_SIZE + len, vp_crc32(0, o, VP_HEADER_SIZE + len));
	return size;
}

void vp_decoder_init(struct vp_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

size_t vp_decoder_push(struct vp_decoder *d, const void *data, size_t n)
{
	size_t room = sizeof(d->buf) - d->have;

	if (n > room)
		n = room;
	if (n) {
		memcpy(d->buf + d->have, data, n);
		d->have += (uint32_t)n;
	}
	return n;
}

/* Removes n <= have bytes from the front of the buffer. */
static void consume(struct vp_decoder *d, uint32_t n)
{
	memmove(d->buf, d->buf + n, d->have - n);
	d->have -= n;
}

static void drop(struct vp_decoder *d, uint32_t n)
{
	d->dropped_bytes += n;
	consume(d, n);
}

/*
 * Drops the bytes that cannot start a frame: everything before the first
 * position that holds the magic, or a prefix of it at the end of the
 * buffer. Returns 1 if a whole magic now starts the buffer.
 */
static int find_magic(struct vp_decoder *d)
{
	static const uint8_t magic[4] = {
		VP_MAGIC & 0xff, (VP_MAGIC >> 8) & 0xff,
		(VP_MAGIC >> 16) & 0xff, VP_MAGIC >> 24,
	};
	const uint8_t *p = d->buf, *end = d->buf + d->have;
	size_t i;

	while ((p = memchr(p, magic[0], (size_t)(end - p)))) {
		for (i = 1; i < 4 && p + i < end && p[i] == magic[i]; i++)
			;
		if (i == 4 || p + i == end)
			break;
		p++;
	}
	drop(d, p ? (uint32_t)(p - d->buf) : d->have);
	return d->have >= 4;
}

/*
 * Every byte leaves the buffer either in a decoded frame or counted in
 * dropped_bytes, so pushed bytes == frame bytes + dropped_bytes + have.
 * Each pass returns or drops at least one byte: the loop ends.
 */
int vp_decoder_next(struct vp_decoder *d, struct vp_frame *out)
{
	struct vp_header h;
	uint32_t size;

	while (find_magic(d)) {
		if (d->have < VP_HEADER_SIZE)
			return 0;
		memcpy(&h, d->buf, sizeof(h));
		if (h.version != VP_VERSION || h.len > VP_MAX_PAYLOAD) {
			d->bad_header++;
			drop(d, 1);
			continue;
		}
		size = VP_HEADER_SIZE + h.len + VP_CRC_SIZE;
		if (d->have < size)
			return 0;
		if (vp_crc32(0, d->buf, VP_HEADER_SIZE + h.len) !=
		    get_le32(d->buf + VP_HEADER_SIZE + h.len)) {
			d->bad_crc++;
			drop(d, 1);
			continue;
		}
		out->hdr = h;
		memcpy(out->payload, d->buf + VP_HEADER_SIZE, h.len);
		consume(d, size);
		d->frames++;
		return 1;
	}
	return 0;
}
