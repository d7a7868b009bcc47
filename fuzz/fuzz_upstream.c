/*
 * fuzz_upstream.c: the upstream side, as gw-mgmt reads a gateway: frames
 * on channels, OPEN's attested identity copied and checked
 * (id_from_view, the name policy), reason texts, enrollment answers,
 * SEEN's ids, OPEN's via as a relaying gateway extends it.  Invariants:
 * an identity accepted is NUL-terminated printable text that fits its
 * fields; the policy never matches a name id_from_view refused; a SEEN
 * holds whole ids, none 0; a via decoded is 1..GW_VIA_MAX names of
 * printable bytes but '"' and '\', its last name a suffix that it holds,
 * and id_ext_via adds a name unless it is there or the via is full.
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

static void
check_via(const struct gw_identity *v)
{
	static struct id_ext x;
	struct gw_str last, me = gw_str_text("gw-fuzz");
	int n;

	if (!v->has_via)
		return;
	FUZZ_CHECK(v->has_ext && v->via.len <= GW_VIA_LEN_MAX);
	n = gw_via_count(&v->via);
	FUZZ_CHECK(n >= 1 && n <= GW_VIA_MAX);
	for (uint16_t i = 0; i < v->via.len; i++)
		FUZZ_CHECK(v->via.p[i] >= 0x20 && v->via.p[i] < 0x7f &&
		    v->via.p[i] != '"' && v->via.p[i] != '\\');
	last = gw_via_last(&v->via);
	FUZZ_CHECK(last.len >= 1 && last.len <= GW_VIA_NAME_MAX &&
	    last.p + last.len == v->via.p + v->via.len);
	FUZZ_CHECK(gw_via_has(&v->via, &last));
	if (id_ext_via(&x, &v->via, "gw-fuzz") != 0) {
		FUZZ_CHECK(x.via_len == 0 &&
		    (n == GW_VIA_MAX || gw_via_has(&v->via, &me)));
		return;
	}
	FUZZ_CHECK(x.via_len == v->via.len + 1 + me.len);
	last = gw_str_bytes(x.via, x.via_len);
	FUZZ_CHECK(gw_via_count(&last) == n + 1);
	FUZZ_CHECK(memcmp(x.via, v->via.p, v->via.len) == 0);
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
			check_via(&f.u.open);
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
