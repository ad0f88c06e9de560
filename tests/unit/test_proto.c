// SPDX-License-Identifier: Apache-2.0
/* Management protocol framing: CRC, encoding, stream decoder, sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <verge_proto.h>

#define FUZZ_CHUNKS	200000

static struct vp_decoder dec;
static struct vp_frame fr;

static int setup(void **state)
{
	(void)state;
	vp_decoder_init(&dec);
	memset(&fr, 0, sizeof(fr));
	return 0;
}

/* Encodes a frame whose payload is len bytes of a pattern from seq. */
static size_t make(uint8_t *buf, size_t cap, uint8_t type, uint16_t flags,
		   uint32_t seq, uint32_t len)
{
	uint8_t payload[VP_MAX_PAYLOAD];
	uint32_t i;

	for (i = 0; i < len; i++)
		payload[i] = (uint8_t)(seq * 7 + i * 13);
	return vp_encode(buf, cap, type, flags, seq, payload, len);
}

static void push_all(const void *data, size_t n)
{
	assert_int_equal(vp_decoder_push(&dec, data, n), n);
}

/* The next frame must be (type, flags, seq) with make()'s payload. */
static void expect_frame(uint8_t type, uint16_t flags, uint32_t seq,
			 uint32_t len)
{
	uint32_t i;

	assert_int_equal(vp_decoder_next(&dec, &fr), 1);
	assert_int_equal(fr.hdr.magic, VP_MAGIC);
	assert_int_equal(fr.hdr.version, VP_VERSION);
	assert_int_equal(fr.hdr.type, type);
	assert_int_equal(fr.hdr.flags, flags);
	assert_int_equal(fr.hdr.seq, seq);
	assert_int_equal(fr.hdr.len, len);
	for (i = 0; i < len; i++)
		assert_int_equal(fr.payload[i], (uint8_t)(seq * 7 + i * 13));
}

static void test_crc32(void **state)
{
	static const char digits[] = "123456789";

	(void)state;
	assert_int_equal(vp_crc32(0, digits, 9), 0xcbf43926u);
	assert_int_equal(vp_crc32(0, "", 0), 0);
	assert_int_equal(vp_crc32(0, "a", 1), 0xe8b7be43u);
	assert_int_equal(vp_crc32(0, "The quick brown fox jumps over the lazy dog",
				  43), 0x414fa339u);
	/* Chaining, as zlib: crc32(crc32(0, a), b) == crc32(0, ab). */
	assert_int_equal(vp_crc32(vp_crc32(0, digits, 4), digits + 4, 5),
			 0xcbf43926u);
}

static void test_encode_layout(void **state)
{
	uint8_t buf[64];
	static const uint8_t want[16] = {
		'V', 'R', 'G', 'E', VP_VERSION, VP_CLOCK_SET_RATE, 0x01, 0x00,
		0x78, 0x56, 0x34, 0x12, 8, 0, 0, 0,
	};
	struct vp_rate r = { 1, 3 };
	uint32_t crc;

	(void)state;
	assert_int_equal(vp_encode(buf, sizeof(buf), VP_CLOCK_SET_RATE,
				   VP_F_REPLY, 0x12345678, &r, sizeof(r)), 28);
	assert_memory_equal(buf, want, sizeof(want));
	assert_memory_equal(buf + 16, &r, sizeof(r));
	crc = vp_crc32(0, buf, 24);
	assert_int_equal(buf[24], crc & 0xff);
	assert_int_equal(buf[25], (crc >> 8) & 0xff);
	assert_int_equal(buf[26], (crc >> 16) & 0xff);
	assert_int_equal(buf[27], crc >> 24);
}

static const uint8_t all_types[] = {
	VP_HELLO, VP_PING, VP_CLOCK_GET, VP_CLOCK_SET_RATE, VP_CLOCK_STEP,
	VP_CLOCK_SET_FREQ, VP_STATS_GET, VP_EV_BOOT, VP_EV_POWER, VP_EV_CLOCK,
	VP_EV_PANIC, VP_EV_WATCHDOG, VP_EV_WDT_REFRESH,
};

static void test_round_trip_each_type(void **state)
{
	static const uint16_t flag_sets[] = {
		0, VP_F_REPLY, VP_F_REPLY | VP_F_ERROR, VP_F_EVENT,
	};
	uint8_t buf[VP_MAX_FRAME];
	uint32_t seq = 1;
	size_t i, j, n;
	int size;

	(void)state;
	for (i = 0; i < sizeof(all_types); i++) {
		for (j = 0; j < sizeof(flag_sets) / sizeof(flag_sets[0]); j++) {
			size = vp_payload_size(all_types[i], flag_sets[j]);
			if (size < 0)
				size = 37;
			n = make(buf, sizeof(buf), all_types[i], flag_sets[j],
				 seq, (uint32_t)size);
			assert_int_equal(n, VP_HEADER_SIZE + size + VP_CRC_SIZE);
			push_all(buf, n);
			expect_frame(all_types[i], flag_sets[j], seq, size);
			assert_int_equal(dec.have, 0);
			seq++;
		}
	}
	/* Empty and largest payloads. */
	n = make(buf, sizeof(buf), VP_PING, 0, 1000, 0);
	push_all(buf, n);
	expect_frame(VP_PING, 0, 1000, 0);
	n = make(buf, sizeof(buf), VP_PING, 0, 1001, VP_MAX_PAYLOAD);
	assert_int_equal(n, VP_MAX_FRAME);
	push_all(buf, n);
	expect_frame(VP_PING, 0, 1001, VP_MAX_PAYLOAD);
	assert_int_equal(dec.frames, seq - 1 + 2);
	assert_int_equal(dec.bad_crc + dec.bad_header + dec.dropped_bytes, 0);
}

static void test_one_byte_pushes(void **state)
{
	uint8_t buf[VP_MAX_FRAME];
	size_t i, n;

	(void)state;
	n = make(buf, sizeof(buf), VP_EV_CLOCK, VP_F_EVENT, 42,
		 sizeof(struct vp_clock));
	for (i = 0; i < n; i++) {
		assert_int_equal(vp_decoder_next(&dec, &fr), 0);
		push_all(buf + i, 1);
	}
	expect_frame(VP_EV_CLOCK, VP_F_EVENT, 42, sizeof(struct vp_clock));
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	assert_int_equal(dec.have, 0);
}

static void test_garbage_before_frame(void **state)
{
	uint8_t garbage[300], buf[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 31 + 1);
	/* A partial magic ("VRG") and a near miss ("VRGx") inside. */
	memcpy(garbage + 100, "VRGx", 4);
	memcpy(garbage + sizeof(garbage) - 3, "VRG", 3);
	push_all(garbage, sizeof(garbage));
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	/* "VRG" at the end may start a magic: kept until the next byte. */
	assert_int_equal(dec.have, 3);
	assert_int_equal(dec.dropped_bytes, sizeof(garbage) - 3);
	n = make(buf, sizeof(buf), VP_CLOCK_GET, 0, 7, 0);
	push_all(buf, n);
	expect_frame(VP_CLOCK_GET, 0, 7, 0);
	assert_int_equal(dec.dropped_bytes, sizeof(garbage));
	assert_int_equal(dec.bad_header + dec.bad_crc, 0);
}

/* Pushes a corrupted frame then a good one: the good one must decode. */
static void corrupted_then_good(uint8_t *bad, size_t bad_n)
{
	uint8_t good[64];
	size_t n;

	push_all(bad, bad_n);
	n = make(good, sizeof(good), VP_PING, 0, 99, 4);
	push_all(good, n);
	expect_frame(VP_PING, 0, 99, 4);
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	assert_int_equal(dec.have, 0);
	assert_int_equal(dec.frames, 1);
	assert_int_equal(dec.dropped_bytes, bad_n);
}

static void test_bad_magic(void **state)
{
	uint8_t buf[64];
	size_t n;

	(void)state;
	n = make(buf, sizeof(buf), VP_PING, 0, 1, 8);
	buf[3] ^= 0x01;
	corrupted_then_good(buf, n);
	assert_int_equal(dec.bad_header + dec.bad_crc, 0);
}

static void test_bad_version(void **state)
{
	uint8_t buf[64];
	size_t n;

	(void)state;
	n = make(buf, sizeof(buf), VP_PING, 0, 1, 8);
	buf[4] = VP_VERSION + 1;
	corrupted_then_good(buf, n);
	assert_int_equal(dec.bad_header, 1);
	assert_int_equal(dec.bad_crc, 0);
}

static void test_oversize_len(void **state)
{
	uint8_t buf[64];
	uint32_t len = VP_MAX_PAYLOAD + 1;
	size_t n;

	(void)state;
	n = make(buf, sizeof(buf), VP_PING, 0, 1, 8);
	memcpy(buf + 12, &len, 4);
	corrupted_then_good(buf, n);
	assert_int_equal(dec.bad_header, 1);
	/* Header only, nothing else in the buffer yet: rejected at once. */
	vp_decoder_init(&dec);
	len = UINT32_MAX;
	memcpy(buf + 12, &len, 4);
	push_all(buf, VP_HEADER_SIZE);
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	assert_int_equal(dec.bad_header, 1);
	assert_int_equal(dec.have, 0);
}

static void test_bad_crc(void **state)
{
	uint8_t buf[64];
	size_t n;

	(void)state;
	n = make(buf, sizeof(buf), VP_CLOCK_SET_RATE, 0, 1, 8);
	buf[n - 1] ^= 0x80;
	corrupted_then_good(buf, n);
	assert_int_equal(dec.bad_crc, 1);
	assert_int_equal(dec.bad_header, 0);
	/* A flipped payload bit is caught the same way. */
	vp_decoder_init(&dec);
	n = make(buf, sizeof(buf), VP_CLOCK_SET_RATE, 0, 1, 8);
	buf[VP_HEADER_SIZE + 3] ^= 0x10;
	corrupted_then_good(buf, n);
	assert_int_equal(dec.bad_crc, 1);
}

static void test_truncated_then_good(void **state)
{
	uint8_t bad[VP_MAX_FRAME], good[64];
	size_t bad_n, good_n, pushed = 0;
	unsigned int goods = 0;

	(void)state;
	bad_n = make(bad, sizeof(bad), VP_PING, 0, 1, 200);
	bad_n = VP_HEADER_SIZE + 50; /* the sender stopped here */
	push_all(bad, bad_n);
	good_n = make(good, sizeof(good), VP_PING, 0, 2, 4);
	/* The truncated frame claims 200 payload bytes: good frames that
	 * follow wait until that many bytes are there, then resync. */
	while (pushed < 200 - 50 + VP_CRC_SIZE) {
		assert_int_equal(vp_decoder_next(&dec, &fr), 0);
		push_all(good, good_n);
		pushed += good_n;
		goods++;
	}
	while (goods--)
		expect_frame(VP_PING, 0, 2, 4);
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	assert_int_equal(dec.bad_crc, 1);
	assert_int_equal(dec.dropped_bytes, bad_n);
	assert_int_equal(dec.have, 0);
}

static void test_two_frames_one_push(void **state)
{
	uint8_t buf[256];
	size_t n;

	(void)state;
	n = make(buf, sizeof(buf), VP_EV_BOOT, VP_F_EVENT, 5, 8);
	n += make(buf + n, sizeof(buf) - n, VP_EV_POWER, VP_F_EVENT, 6, 8);
	push_all(buf, n);
	expect_frame(VP_EV_BOOT, VP_F_EVENT, 5, 8);
	expect_frame(VP_EV_POWER, VP_F_EVENT, 6, 8);
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	assert_int_equal(dec.frames, 2);
}

static void test_buffer_full(void **state)
{
	uint8_t buf[2 * VP_MAX_FRAME];
	size_t n;

	(void)state;
	n = make(buf, sizeof(buf), VP_PING, 0, 1, VP_MAX_PAYLOAD);
	n += make(buf + n, sizeof(buf) - n, VP_PING, 0, 2, VP_MAX_PAYLOAD);
	assert_int_equal(n, sizeof(buf));
	assert_int_equal(vp_decoder_push(&dec, buf, n), VP_MAX_FRAME);
	assert_int_equal(vp_decoder_push(&dec, buf + VP_MAX_FRAME, 1), 0);
	expect_frame(VP_PING, 0, 1, VP_MAX_PAYLOAD);
	assert_int_equal(vp_decoder_push(&dec, buf + VP_MAX_FRAME, 100), 100);
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	assert_int_equal(vp_decoder_push(&dec, buf + VP_MAX_FRAME + 100,
					 VP_MAX_FRAME), VP_MAX_FRAME - 100);
	expect_frame(VP_PING, 0, 2, VP_MAX_PAYLOAD);
	/* A full buffer of garbage is dropped, never stuck. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(vp_decoder_push(&dec, buf, sizeof(buf)), VP_MAX_FRAME);
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	assert_int_equal(dec.have, 0);
	assert_int_equal(vp_decoder_push(&dec, buf, 0), 0);
}

/* The HELLO reply: the old 8 bytes, or followed by vp_hello_cpu; nothing
 * in between or beyond. */
static void test_hello_reply_sizes(void **state)
{
	(void)state;
	assert_true(vp_hello_reply_size_ok(8));
	assert_true(vp_hello_reply_size_ok(24));
	assert_false(vp_hello_reply_size_ok(0));
	assert_false(vp_hello_reply_size_ok(16));
	assert_false(vp_hello_reply_size_ok(25));
	assert_string_equal(vp_cpu_feature_name(VP_CPU_SVE), "sve");
	assert_string_equal(vp_cpu_feature_name(VP_CPU_PMU), "pmu");
	assert_null(vp_cpu_feature_name(VP_CPU_COUNT));
	for (unsigned i = 0; i < VP_CPU_COUNT; i++)
		assert_non_null(vp_cpu_feature_name(i));
}

/* The clock mode names verged, the CLI and verge-mgmt show. */
static void test_clock_mode_names(void **state)
{
	(void)state;
	assert_string_equal(vp_clock_mode_name(VP_CLOCK_DILATION), "dilation");
	assert_string_equal(vp_clock_mode_name(VP_CLOCK_EXACT), "exact");
	assert_string_equal(vp_clock_mode_name(2), "unknown");
	assert_int_equal(offsetof(struct vp_clock, mode), 88);
}

static void test_payload_sizes(void **state)
{
	static const struct {
		uint8_t type;
		int req, rep;
	} want[] = {
		{ VP_HELLO, 4, -1 },	/* vp_hello_reply_size_ok() */
		{ VP_PING, -1, -1 },
		{ VP_CLOCK_GET, 0, 96 },
		{ VP_CLOCK_SET_RATE, 8, 96 },
		{ VP_CLOCK_STEP, 8, 96 },
		{ VP_CLOCK_SET_FREQ, 8, 96 },
		{ VP_STATS_GET, 0, 128 },
		{ VP_EVENTS_ACK, 16, 24 },
		{ VP_EV_BOOT, 16, 16 },
		{ VP_EV_POWER, 16, 16 },
		{ VP_EV_CLOCK, 96, 96 },
		{ VP_EV_PANIC, -1, -1 },
		{ VP_EV_WATCHDOG, 24, 24 },
		{ VP_EV_WDT_REFRESH, 16, 16 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(vp_payload_size(want[i].type, 0), want[i].req);
		assert_int_equal(vp_payload_size(want[i].type, VP_F_REPLY),
				 want[i].rep);
		assert_int_equal(vp_payload_size(want[i].type,
						 VP_F_REPLY | VP_F_ERROR), -1);
		assert_int_equal(vp_payload_size(want[i].type, VP_F_ERROR), -1);
		assert_string_not_equal(vp_type_name(want[i].type), "UNKNOWN");
	}
	assert_int_equal(vp_payload_size(VP_EV_BOOT, VP_F_EVENT), 16);
	assert_int_equal(vp_payload_size(VP_EV_CLOCK, VP_F_EVENT), 96);
	assert_int_equal(vp_payload_size(0x7f, 0), -1);
	assert_int_equal(vp_payload_size(0, VP_F_REPLY), -1);
	assert_string_equal(vp_type_name(VP_CLOCK_SET_RATE), "CLOCK_SET_RATE");
	assert_string_equal(vp_type_name(0x7f), "UNKNOWN");
}

static void test_encode_refuses(void **state)
{
	static uint8_t payload[VP_MAX_PAYLOAD + 1];
	uint8_t buf[VP_MAX_FRAME + 8];

	(void)state;
	assert_int_equal(vp_encode(buf, sizeof(buf), VP_PING, 0, 1, payload,
				   VP_MAX_PAYLOAD + 1), 0);
	assert_int_equal(vp_encode(buf, sizeof(buf), VP_PING, 0, 1, payload,
				   UINT32_MAX), 0);
	assert_int_equal(vp_encode(buf, 27, VP_PING, 0, 1, payload, 8), 0);
	assert_int_equal(vp_encode(buf, 28, VP_PING, 0, 1, payload, 8), 28);
	assert_int_equal(vp_encode(buf, 19, VP_CLOCK_GET, 0, 1, NULL, 0), 0);
	assert_int_equal(vp_encode(buf, 20, VP_CLOCK_GET, 0, 1, NULL, 0), 20);
	assert_int_equal(vp_encode(buf, sizeof(buf), VP_PING, 0, 1, NULL, 4), 0);
	assert_int_equal(vp_encode(NULL, 0, VP_PING, 0, 1, NULL, 0), 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t bound)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 16) % bound);
}

/*
 * Random garbage, good frames, frames with flipped bits, bad CRCs, bad
 * versions, oversize and truncated frames, in random chunks. Each good
 * frame has a unique seq: every decoded frame must be one of them, intact,
 * and every byte pushed must be accounted for.
 */
static void test_fuzz(void **state)
{
	static uint8_t sent_ok[FUZZ_CHUNKS];
	static uint8_t chunk[VP_MAX_FRAME + 64];
	uint64_t pushed = 0, frame_bytes = 0, good = 0;
	uint32_t seq, len, i, n, off;

	(void)state;
	for (seq = 1; seq < FUZZ_CHUNKS; seq++) {
		len = rnd(8) == 0 ? rnd(VP_MAX_PAYLOAD + 1) : rnd(100);
		n = (uint32_t)make(chunk, sizeof(chunk),
				   all_types[rnd(sizeof(all_types))],
				   (uint16_t)rnd(8), seq, len);
		switch (rnd(10)) {
		case 0: /* random bytes, sometimes holding a magic */
			n = rnd(64) + 1;
			for (i = 0; i < n; i++)
				chunk[i] = (uint8_t)rnd(256);
			if (n >= 4 && rnd(2))
				memcpy(chunk + rnd(n - 3), "VRGE", 4);
			break;
		case 1: /* flipped bits (a burst CRC-32 always catches) */
			chunk[rnd(n)] ^= (uint8_t)(rnd(255) + 1);
			break;
		case 2: /* wrong CRC */
			chunk[n - 1 - rnd(4)] ^= (uint8_t)(rnd(255) + 1);
			break;
		case 3: /* oversize len */
			len = VP_MAX_PAYLOAD + 1 + rnd(1u << 20);
			memcpy(chunk + 12, &len, 4);
			break;
		case 4: /* truncated before its CRC (a frame cut inside its
			 * CRC is completed by the next byte 1 time in 256) */
			n = rnd(n - VP_CRC_SIZE);
			break;
		case 5: /* bad version */
			chunk[4] = (uint8_t)(VP_VERSION + 1 + rnd(250));
			break;
		default:
			sent_ok[seq] = 1;
			good++;
			break;
		}
		for (off = 0; off < n;) {
			/* Random split points across pushes. */
			i = vp_decoder_push(&dec, chunk + off,
					    rnd(2) ? n - off : rnd(n - off) + 1);
			off += i;
			pushed += i;
			while (vp_decoder_next(&dec, &fr)) {
				assert_true(fr.hdr.seq < FUZZ_CHUNKS);

				assert_int_equal(sent_ok[fr.hdr.seq], 1);
				sent_ok[fr.hdr.seq] = 2;
				for (i = 0; i < fr.hdr.len; i++)
					assert_int_equal(fr.payload[i],
						(uint8_t)(fr.hdr.seq * 7 + i * 13));
				frame_bytes += VP_HEADER_SIZE + fr.hdr.len +
					       VP_CRC_SIZE;
			}
			assert_true(dec.have <= VP_MAX_FRAME);
		}
	}
	/* VP_MAX_FRAME bytes without a magic complete or reject whatever is
	 * pending: then no good frame has been lost. */
	memset(chunk, 0, sizeof(chunk));
	for (off = 0; off < VP_MAX_FRAME; off += n) {
		n = (uint32_t)vp_decoder_push(&dec, chunk, VP_MAX_FRAME - off);
		pushed += n;
		while (vp_decoder_next(&dec, &fr)) {
			assert_int_equal(sent_ok[fr.hdr.seq], 1);
			sent_ok[fr.hdr.seq] = 2;
			frame_bytes += VP_HEADER_SIZE + fr.hdr.len +
				       VP_CRC_SIZE;
		}
	}
	assert_int_equal(vp_decoder_next(&dec, &fr), 0);
	assert_int_equal(dec.have, 0);
	assert_int_equal(pushed, frame_bytes + dec.dropped_bytes);
	assert_int_equal(dec.frames, good);
	for (seq = 1; seq < FUZZ_CHUNKS; seq++)
		assert_int_not_equal(sent_ok[seq], 1);
	assert_true(dec.bad_crc > 0 && dec.bad_header > 0);
	print_message("fuzz: %u chunks, %llu bytes, %llu/%llu good frames "
		      "decoded, %llu bad CRC, %llu bad header, %llu dropped\n",
		      FUZZ_CHUNKS, (unsigned long long)pushed,
		      (unsigned long long)dec.frames, (unsigned long long)good,
		      (unsigned long long)dec.bad_crc,
		      (unsigned long long)dec.bad_header,
		      (unsigned long long)dec.dropped_bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test_setup(test_round_trip_each_type, setup),
		cmocka_unit_test_setup(test_one_byte_pushes, setup),
		cmocka_unit_test_setup(test_garbage_before_frame, setup),
		cmocka_unit_test_setup(test_bad_magic, setup),
		cmocka_unit_test_setup(test_bad_version, setup),
		cmocka_unit_test_setup(test_oversize_len, setup),
		cmocka_unit_test_setup(test_bad_crc, setup),
		cmocka_unit_test_setup(test_truncated_then_good, setup),
		cmocka_unit_test_setup(test_two_frames_one_push, setup),
		cmocka_unit_test_setup(test_buffer_full, setup),
		cmocka_unit_test(test_payload_sizes),
		cmocka_unit_test(test_hello_reply_sizes),
		cmocka_unit_test(test_clock_mode_names),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test_setup(test_fuzz, setup),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
