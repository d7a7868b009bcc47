/*
 * test_frame.c: the protocol v1 codec on valid frames.  Golden byte
 * vectors for every frame type (the bytes of docs/PROTOCOL.md), both
 * round-trip invariants, every prefix (GW_ENEED) and every short output
 * (GW_ENOSPACE), payload and text limits, extensions, the constructors
 * (gw_str_bytes, gw_str_text, gw_frame_goaway), and every decode
 * done on input that ends just before a PROT_NONE page.
 * test_frame_errors.c has the error paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "frame.h"
#include "proto.h"

#include "frame_fixture.h"

static void
test_golden_roundtrip(void **state)
{
	uint8_t want[256], got[256];
	struct gw_frame d;
	size_t n, i;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		const struct gw_frame *f = &samples[i].f;

		n = unhex(samples[i].hex, want, sizeof(want));
		/* Exactly the specified bytes... */
		assert_int_equal(gw_frame_encode(got, sizeof(got), f), (int)n);
		assert_memory_equal(got, want, n);
		/* ...decoding to the same fields and encoding back. */
		check_decode_reencode(want, n, MAXP, &d);
		assert_frame_equal(f, &d);
		assert_string_not_equal(gw_type_str(d.type), "UNKNOWN");
	}
}

static void
test_need_every_prefix(void **state)
{
	uint8_t wire[256];
	struct gw_frame d;
	size_t n, k, i, used;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		n = unhex(samples[i].hex, wire, sizeof(wire));
		for (k = 0; k < n; k++)
			assert_int_equal(gdecode(wire, k, MAXP, &d, &used),
			    GW_ENEED);
		/* A NULL buffer of length 0 is just "need more". */
		assert_int_equal(gw_frame_decode(NULL, 0, MAXP, &d, &used),
		    GW_ENEED);
	}
}

static void
test_nospace_every_cap(void **state)
{
	uint8_t buf[256];
	size_t n, cap, i, j;
	uint8_t *g;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		n = (size_t)gw_frame_encode(buf, sizeof(buf), &samples[i].f);
		for (cap = 0; cap < n; cap++) {
			memset(buf, 0xa5, sizeof(buf));
			assert_int_equal(gw_frame_encode(buf, cap,
			    &samples[i].f), GW_ENOSPACE);
			for (j = 0; j < sizeof(buf); j++)
				assert_int_equal(buf[j], 0xa5);
		}
		/* Exactly enough room, against the guard page: no overrun. */
		g = g_base + g_size - n;
		assert_int_equal(gw_frame_encode(g, n, &samples[i].f), (int)n);
	}
}

/* All samples back to back: each decode consumes exactly one frame. */
static void
test_stream(void **state)
{
	uint8_t wire[4096];
	struct gw_frame d;
	size_t n = 0, off = 0, used, i;

	(void)state;
	for (i = 0; i < NSAMPLES; i++)
		n += unhex(samples[i].hex, wire + n, sizeof(wire) - n);
	for (i = 0; i < NSAMPLES; i++) {
		assert_int_equal(gdecode(wire + off, n - off, MAXP, &d, &used),
		    GW_OK);
		assert_frame_equal(&samples[i].f, &d);
		off += used;
	}
	assert_int_equal(off, n);
}


/* A payload of exactly max_payload is accepted, one byte more is not. */
static void
test_max_payload_boundary(void **state)
{
	static const size_t maxes[] = { 8, 64, 1000, MAXP, BIG };
	static uint8_t wire[GW_HDR_LEN + BIG + 1], body[BIG];
	struct gw_frame f = { .type = GW_T_DATA, .channel = 1 }, d;
	size_t i, n, used;
	uint8_t *huge, *g;

	(void)state;
	memset(body, 'x', sizeof(body));
	f.u.data.seq = 42;
	f.u.data.body.p = body;
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		f.u.data.body.len = (uint32_t)(maxes[i] - 8);
		n = (size_t)gw_frame_encode(wire, sizeof(wire), &f);
		assert_int_equal(n, GW_HDR_LEN + maxes[i]);
		check_decode_reencode(wire, n, maxes[i], &d);
		assert_frame_equal(&f, &d);
		assert_int_equal(gdecode(wire, n, maxes[i] - 1, &d, &used),
		    GW_PERR_LEN_TOO_BIG);
		assert_int_equal(gdecode(wire, GW_HDR_LEN, maxes[i] - 1, &d,
		    &used), GW_PERR_LEN_TOO_BIG);
	}

	/*
	 * The hard maximum caps any max_payload, and encode enforces it.  The
	 * biggest frame is encoded right against the guard page.
	 */
	huge = calloc(1, GW_PAYLOAD_HARD_MAX);
	assert_non_null(huge);
	f.u.data.body.p = huge;
	f.u.data.body.len = GW_PAYLOAD_HARD_MAX - 8;
	n = GW_HDR_LEN + GW_PAYLOAD_HARD_MAX;
	g = g_base + g_size - n;
	assert_int_equal(gw_frame_encode(g, n, &f), (int)n);
	assert_int_equal(gw_frame_decode(g, n, SIZE_MAX, &d, &used), GW_OK);
	assert_int_equal(used, n);
	assert_int_equal(d.u.data.body.len, GW_PAYLOAD_HARD_MAX - 8);
	assert_int_equal(gw_frame_decode(g, n, GW_PAYLOAD_HARD_MAX - 1, &d,
	    &used), GW_PERR_LEN_TOO_BIG);
	f.u.data.body.len = GW_PAYLOAD_HARD_MAX - 7;
	assert_int_equal(gw_frame_encode(g_base, g_size, &f),
	    GW_PERR_LEN_TOO_BIG);
	f.u.data.body.len = UINT32_MAX;
	assert_int_equal(gw_frame_encode(g_base, g_size, &f),
	    GW_PERR_LEN_TOO_BIG);
	free(huge);
}

/* GOAWAY/ERROR/CLOSE text: 65535 bytes fit, a longer payload does not. */
static void
test_reason_text_limit(void **state)
{
	static uint8_t text[65536], wire[GW_HDR_LEN + 2 + 65536];
	struct gw_frame f = { .type = GW_T_CLOSE, .channel = 9 }, d;
	size_t n, used;

	(void)state;
	memset(text, 't', sizeof(text));
	f.u.reason.code = GW_R_POLICY;
	f.u.reason.text.p = text;
	f.u.reason.text.len = 65535;
	n = (size_t)gw_frame_encode(wire, sizeof(wire), &f);
	assert_int_equal(n, GW_HDR_LEN + 2 + 65535);
	check_decode_reencode(wire, n, BIG + 2, &d);
	assert_frame_equal(&f, &d);
	/* Patch the length to 65538 and append one byte. */
	wire[n] = 't';
	assert_int_equal(wire[11], 0x01);	/* 65537 = 0x00010001 */
	wire[11] = 0x02;
	assert_int_equal(gdecode(wire, n + 1, BIG + 2, &d, &used),
	    GW_PERR_BAD_LENGTH);
}

/* Extension types: passed through unchecked beyond the header. */
static void
test_extension(void **state)
{
	uint8_t wire[64], junk[9] = "\x00\x00\x00\x00\x00\x00\x00\x00";
	struct gw_frame f = { .type = 0x9c, .channel = 0, .len = 9 }, d;
	size_t n, used;
	unsigned t;

	(void)state;
	f.payload = junk;
	for (t = GW_T_EXT_FIRST; t <= 0xff; t++) {
		f.type = (uint8_t)t;
		f.channel = t * 7919u;
		n = (size_t)gw_frame_encode(wire, sizeof(wire), &f);
		assert_int_equal(n, GW_HDR_LEN + 9);
		assert_int_equal(wire[0], t);
		check_decode_reencode(wire, n, MAXP, &d);
		assert_frame_equal(&f, &d);
		assert_string_equal(gw_type_str(t), "EXT");
	}
	/* Header rules still apply. */
	wire[1] = 1;
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used), GW_PERR_BAD_FLAGS);
	wire[1] = 0;
	assert_int_equal(gdecode(wire, n, 8, &d, &used), GW_PERR_LEN_TOO_BIG);
	/* A NULL payload needs len 0. */
	f.payload = NULL;
	assert_int_equal(gw_frame_encode(wire, sizeof(wire), &f),
	    GW_PERR_BAD_LENGTH);
	f.len = 0;
	assert_int_equal(gw_frame_encode(wire, sizeof(wire), &f), GW_HDR_LEN);
	f.len = GW_PAYLOAD_HARD_MAX + 1;
	f.payload = junk;
	assert_int_equal(gw_frame_encode(wire, sizeof(wire), &f),
	    GW_PERR_LEN_TOO_BIG);
}


static void
test_strings(void **state)
{
	static const char *const reasons[] = { "normal", "protocol",
	    "version", "unexpected", "flow", "too-big", "sequence",
	    "shutdown", "superseded", "upstream-lost", "timeout", "policy",
	    "revoked", "overload", "internal", "store", "bad-csr",
	    "token-invalid", "token-expired", "token-used-up", "denied",
	    "request-unknown", "request-expired", "name-taken" };
	static const char *const local[] = { "peer-closed", "tls-handshake",
	    "tls-error", "io-error", "connect" };
	static const struct { unsigned t; const char *s; } types[] = {
		{ 0x01, "HELLO" }, { 0x02, "HELLO_ACK" }, { 0x03, "DATA" },
		{ 0x04, "ACK" }, { 0x05, "CREDIT" }, { 0x06, "PING" },
		{ 0x07, "PONG" }, { 0x08, "GOAWAY" }, { 0x09, "ERROR" },
		{ 0x0a, "COMMAND" }, { 0x20, "OPEN" }, { 0x21, "OPEN_ACK" },
		{ 0x22, "CLOSE" }, { 0x80, "EXT" }, { 0xff, "EXT" },
		{ 0x0b, "ENROLL" }, { 0x0c, "ENROLL_RESULT" },
		{ 0x0d, "COMMAND_ACK" }, { 0x0e, "RESULT" },
		{ 0x00, "UNKNOWN" }, { 0x0f, "UNKNOWN" }, { 0x1f, "UNKNOWN" },
		{ 0x23, "SEEN" }, { 0x24, "UNKNOWN" }, { 0x7f, "UNKNOWN" },
		{ 0x100, "UNKNOWN" },
	};
	const char *seen[32];
	unsigned i, j;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		assert_string_equal(gw_reason_str(i), reasons[i]);
	for (i = 0; i < 5; i++)
		assert_string_equal(gw_reason_str(GW_R_PEER_CLOSED + i),
		    local[i]);
	assert_string_equal(gw_reason_str(GW_R_CONNECT), "connect");
	assert_string_equal(gw_reason_str(GW_R_NAME_TAKEN + 1), "unknown");
	assert_string_equal(gw_reason_str(GW_R_WIRE_LAST), "unknown");
	assert_string_equal(gw_reason_str(0xff + 1 + 5), "unknown");
	assert_string_equal(gw_reason_str(~0u), "unknown");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_string_equal(gw_type_str(types[i].t), types[i].s);

	/* gw_perr_str: every code named, all names distinct. */
	j = 0;
	seen[j++] = gw_perr_str(GW_OK);
	seen[j++] = gw_perr_str(GW_ENEED);
	seen[j++] = gw_perr_str(GW_ENOSPACE);
	for (rc = GW_PERR_BAD_FLAGS; rc >= GW_PERR_BAD_VALUE; rc--)
		seen[j++] = gw_perr_str(rc);
	for (i = 0; i < j; i++) {
		assert_string_not_equal(seen[i], "unknown error");
		for (unsigned k = 0; k < i; k++)
			assert_string_not_equal(seen[i], seen[k]);
	}
	assert_string_equal(gw_perr_str(GW_PERR_BAD_VALUE - 1),
	    "unknown error");
	assert_string_equal(gw_perr_str(1), "unknown error");
	assert_string_equal(gw_perr_str(-3), "unknown error");
}

/* The constructors: string views cut at 65535 bytes; the one GOAWAY. */
static void
test_constructors(void **state)
{
	static char big[70001];
	static const uint8_t bye[] = { 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
	    0, GW_R_SHUTDOWN, 'b', 'y', 'e' };
	uint8_t wire[GW_HDR_LEN + 2 + 300];
	struct gw_frame f, d;
	struct gw_str v;
	size_t n, used;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	v = gw_str_bytes(big, 3);
	assert_ptr_equal(v.p, big);
	assert_int_equal(v.len, 3);
	assert_int_equal(gw_str_bytes(big, 65535).len, 65535);
	assert_int_equal(gw_str_bytes(big, 70000).len, 65535);
	assert_int_equal(gw_str_bytes(NULL, 0).len, 0);
	v = gw_str_text("abc");
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.p, "abc", 3);
	assert_int_equal(gw_str_text("").len, 0);
	assert_int_equal(gw_str_text(NULL).len, 0);
	assert_int_equal(gw_str_text(big).len, 65535);

	/* GOAWAY: reason shutdown, channel 0, the text as given... */
	f = gw_frame_goaway("bye");
	assert_int_equal(gw_frame_encode(wire, sizeof(wire), &f), sizeof(bye));
	assert_memory_equal(wire, bye, sizeof(bye));
	/* ... and cut to GW_GOAWAY_TEXT_MAX bytes. */
	big[GW_GOAWAY_TEXT_MAX] = 'y';
	f = gw_frame_goaway(big);
	n = (size_t)gw_frame_encode(wire, sizeof(wire), &f);
	assert_int_equal(n, GW_HDR_LEN + 2 + GW_GOAWAY_TEXT_MAX);
	assert_int_equal(gdecode(wire, n, BIG, &d, &used), GW_OK);
	assert_int_equal(d.type, GW_T_GOAWAY);
	assert_int_equal(d.channel, 0);
	assert_int_equal(d.u.reason.code, GW_R_SHUTDOWN);
	assert_int_equal(d.u.reason.text.len, GW_GOAWAY_TEXT_MAX);
	assert_memory_equal(d.u.reason.text.p, big, GW_GOAWAY_TEXT_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_roundtrip),
		cmocka_unit_test(test_need_every_prefix),
		cmocka_unit_test(test_nospace_every_cap),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_max_payload_boundary),
		cmocka_unit_test(test_reason_text_limit),
		cmocka_unit_test(test_extension),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_constructors),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
