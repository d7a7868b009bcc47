/*
 * fuzz_frame.c: the downstream codec on a byte stream, as gatewayd reads
 * an agent.  The first byte picks the receiver's max_payload.  Invariants:
 * a decoded frame lies inside the input and within max_payload, and
 * re-encodes to exactly the bytes it came from (and not into one byte
 * less); every refusal is a named GW_PERR_*.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxp[] = { GW_MAX_PAYLOAD_MIN, 16384, 1u << 20 };
	size_t max, off = 0, used;
	struct gw_frame f;
	uint8_t *out;
	int rc, n;

	if (size < 1)
		return 0;
	max = maxp[data[0] % 3];
	data++;
	size--;
	while (off < size) {
		rc = gw_frame_decode(data + off, size - off, max, &f, &used);
		if (rc == GW_ENEED)
			break;
		if (rc != GW_OK) {
			FUZZ_CHECK(rc <= GW_PERR_BAD_FLAGS &&
			    rc >= GW_PERR_BAD_VALUE);
			FUZZ_CHECK(strcmp(gw_perr_str(rc), "unknown error") != 0);
			break;
		}
		FUZZ_CHECK(used >= GW_HDR_LEN && used <= size - off);
		FUZZ_CHECK(f.len <= max && used == GW_HDR_LEN + f.len);
		FUZZ_CHECK((out = malloc(used)) != NULL);
		n = gw_frame_encode(out, used, &f);
		FUZZ_CHECK(n == (int)used);
		FUZZ_CHECK(memcmp(out, data + off, used) == 0);
		FUZZ_CHECK(gw_frame_encode(out, used - 1, &f) == GW_ENOSPACE);
		free(out);
		(void)gw_type_str(f.type);
		off += used;
	}
	return 0;
}
