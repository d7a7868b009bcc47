/*
 * fuzz_upstream.c: the upstream side, as gw-mgmt reads a gateway: frames
 * on channels, OPEN's attested identity copied and checked
 * (id_from_view, the name policy), reason texts, enrollment answers,
 * SEEN's ids.  Invariants: an identity accepted is NUL-terminated
 * printable text that fits its fields; the policy never matches a name
 * id_from_view refused; a SEEN holds whole ids, none 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	FUZZ_CHECK(n < cap);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, used;
	struct gw_frame f;
	struct id_info id;
	char text[160];

	while (off < size) {
		if (gw_frame_decode(data + off, size - off, 1u << 20, &f,
		    &used) != GW_OK)
			break;
		off += used;
		switch (f.type) {
		case GW_T_OPEN:
			if (id_from_view(&f.u.open, &id) != 0)
				break;
			check_text(id.name, sizeof(id.name));
			check_text(id.subject, sizeof(id.subject));
			check_text(id.peer, sizeof(id.peer));
			(void)id_policy_match("agent-*,dmz-?.x", id.name);
			(void)id_policy_match(id.name, "agent-1");
			break;
		case GW_T_CLOSE:
		case GW_T_ERROR:
		case GW_T_GOAWAY:
			snprintf(text, sizeof(text), "%s %.*s",
			    gw_reason_str(f.u.reason.code),
			    (int)f.u.reason.text.len,
			    (const char *)f.u.reason.text.p);
			break;
		case GW_T_SEEN:
			FUZZ_CHECK(f.u.seen.n >= 1 &&
			    (size_t)f.u.seen.n * 4 == f.len);
			for (uint32_t i = 0; i < f.u.seen.n; i++)
				FUZZ_CHECK(gw_seen_id(&f, i) != 0);
			break;
		case GW_T_ENROLL_RESULT:
			FUZZ_CHECK(f.u.enroll_result.status <=
			    GW_ENROLL_STATUS_MAX);
			(void)gw_reason_str(f.u.enroll_result.reason);
			break;
		default:
			break;
		}
	}
	return 0;
}
