/*
 * test_frame.c: the protocol v1 codec.  Golden byte vectors for every frame
 * type (the bytes of docs/PROTOCOL.md), both round-trip invariants, every
 * return code, and every decode done on input that ends at the last byte
 * before a PROT_NONE page, so that any read past the input faults
 * (picohttpparser's guard-page trick).
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

#define MAXP	GW_DEFAULT_MAX_PAYLOAD
#define BIG	(64 * 1024)

/* The guard region: g_size usable bytes, then one PROT_NONE page. */
static uint8_t	*g_base;
static size_t	 g_size, g_page;

static int
guard_setup(void **state)
{
	(void)state;
	g_page = (size_t)sysconf(_SC_PAGESIZE);
	g_size = (GW_HDR_LEN + GW_PAYLOAD_HARD_MAX + g_page - 1) / g_page *
	    g_page;
	g_base = mmap(NULL, g_size + g_page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g_base == MAP_FAILED)
		return -1;
	if (mprotect(g_base + g_size, g_page, PROT_NONE) != 0)
		return -1;
	return 0;
}

static int
guard_teardown(void **state)
{
	(void)state;
	return munmap(g_base, g_size + g_page);
}

/* Copy ${n} bytes so the last one is the last readable byte; return them. */
static uint8_t *
guard_put(const uint8_t *src, size_t n)
{
	uint8_t *p = g_base + g_size - n;

	assert_true(n <= g_size);
	if (n > 0)
		memmove(p, src, n);
	return p;
}

/* Decode ${n} bytes of ${src} placed against the guard page. */
static int
gdecode(const uint8_t *src, size_t n, size_t max, struct gw_frame *out,
    size_t *used)
{
	return gw_frame_decode(guard_put(src, n), n, max, out, used);
}

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	for (; *hex != '\0'; hex++) {
		if (*hex == ' ')
			continue;
		assert_true(hex[1] != '\0');
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		hex++;
	}
	return n;
}

#define S(lit)	{ (const uint8_t *)(lit), sizeof(lit) - 1 }

struct sample {
	struct gw_frame	 f;
	const char	*hex;
};

/* One valid frame per type (some twice), with its exact wire bytes. */
static const struct sample samples[] = {
	{ { .type = GW_T_HELLO, .u.hello = { 1, 1, 0, 16384 } },
	  "01 00 0000 00000000 0000000c  0001 0001 00000000 00004000" },
	{ { .type = GW_T_HELLO, .u.hello = { 1, 3, 0xdeadbeef, 64 } },
	  "01 00 0000 00000000 0000000c  0001 0003 deadbeef 00000040" },
	{ { .type = GW_T_HELLO_ACK, .u.hello_ack = { 1, 0, 16384, 10000, 5 } },
	  "02 00 0000 00000000 00000016  0001 00000000 00004000 00002710"
	  " 0000000000000005" },
	{ { .type = GW_T_DATA, .u.data = { 1, { NULL, 0 } } },
	  "03 00 0000 00000000 00000008  0000000000000001" },
	{ { .type = GW_T_DATA, .channel = 7,
	    .u.data = { 0x0102030405060708ULL, { (const uint8_t *)"hi", 2 } } },
	  "03 00 0000 00000007 0000000a  0102030405060708 6869" },
	{ { .type = GW_T_ACK, .channel = 0xffffffff, .u.ack = { UINT64_MAX } },
	  "04 00 0000 ffffffff 00000008  ffffffffffffffff" },
	{ { .type = GW_T_CREDIT, .channel = 3, .u.credit = { 64 } },
	  "05 00 0000 00000003 00000004  00000040" },
	{ { .type = GW_T_PING, .u.ping = { 0x1122334455667788ULL } },
	  "06 00 0000 00000000 00000008  1122334455667788" },
	{ { .type = GW_T_PONG, .u.ping = { 0 } },
	  "07 00 0000 00000000 00000008  0000000000000000" },
	{ { .type = GW_T_GOAWAY, .u.reason = { GW_R_SHUTDOWN, { NULL, 0 } } },
	  "08 00 0000 00000000 00000002  0007" },
	{ { .type = GW_T_ERROR, .u.reason = { GW_R_PROTOCOL, S("bad") } },
	  "09 00 0000 00000000 00000005  0001 626164" },
	{ { .type = GW_T_COMMAND, .channel = 2,
	    .u.data = { 9, { (const uint8_t *)"{}", 2 } } },
	  "0a 00 0000 00000002 0000000a  0000000000000009 7b7d" },
	{ { .type = GW_T_OPEN, .channel = 1, .u.open = {
	    .fingerprint = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	      15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
	      31 },
	    .name = S("a"), .subject = S("CN=a"), .san = { NULL, 0 },
	    .serial = S("01"), .issuer = S("CN=ca"), .peer = S("127.0.0.1:9") } },
	  "20 00 0000 00000001 00000043"
	  "  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "  0001 61  0004 434e3d61  0000  0002 3031  0005 434e3d6361"
	  "  000b 3132372e302e302e313a39" },
	{ { .type = GW_T_OPEN_ACK, .channel = 1, .u.ack = { 0 } },
	  "21 00 0000 00000001 00000008  0000000000000000" },
	{ { .type = GW_T_CLOSE, .channel = 5,
	    .u.reason = { GW_R_UPSTREAM_LOST, S("x") } },
	  "22 00 0000 00000005 00000003  0009 78" },
	{ { .type = 0x80 },
	  "80 00 0000 00000000 00000000" },
	{ { .type = 0xff, .channel = 42, .len = 3,
	    .payload = (const uint8_t *)"\x00\x01\x02" },
	  "ff 00 0000 0000002a 00000003  000102" },
};
#define NSAMPLES	(sizeof(samples) / sizeof(samples[0]))

static void
assert_view_equal(const uint8_t *ap, size_t al, const uint8_t *bp, size_t bl)
{
	assert_int_equal(al, bl);
	if (al > 0)
		assert_memory_equal(ap, bp, al);
}

#define assert_str_equal_(a, b) \
	assert_view_equal((a).p, (a).len, (b).p, (b).len)

/* Field-by-field equality of the parts of ${a} and ${b} that ${a} uses. */
static void
assert_frame_equal(const struct gw_frame *a, const struct gw_frame *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->channel, b->channel);
	switch (a->type) {
	case GW_T_HELLO:
		assert_int_equal(a->u.hello.vmin, b->u.hello.vmin);
		assert_int_equal(a->u.hello.vmax, b->u.hello.vmax);
		assert_int_equal(a->u.hello.caps, b->u.hello.caps);
		assert_int_equal(a->u.hello.max_payload,
		    b->u.hello.max_payload);
		break;
	case GW_T_HELLO_ACK:
		assert_int_equal(a->u.hello_ack.version,
		    b->u.hello_ack.version);
		assert_int_equal(a->u.hello_ack.caps, b->u.hello_ack.caps);
		assert_int_equal(a->u.hello_ack.max_payload,
		    b->u.hello_ack.max_payload);
		assert_int_equal(a->u.hello_ack.heartbeat_ms,
		    b->u.hello_ack.heartbeat_ms);
		assert_int_equal(a->u.hello_ack.last_seq,
		    b->u.hello_ack.last_seq);
		break;
	case GW_T_DATA:
	case GW_T_COMMAND:
		assert_int_equal(a->u.data.seq, b->u.data.seq);
		assert_str_equal_(a->u.data.body, b->u.data.body);
		break;
	case GW_T_ACK:
	case GW_T_OPEN_ACK:
		assert_int_equal(a->u.ack.seq, b->u.ack.seq);
		break;
	case GW_T_CREDIT:
		assert_int_equal(a->u.credit.n, b->u.credit.n);
		break;
	case GW_T_PING:
	case GW_T_PONG:
		assert_int_equal(a->u.ping.opaque, b->u.ping.opaque);
		break;
	case GW_T_GOAWAY:
	case GW_T_ERROR:
	case GW_T_CLOSE:
		assert_int_equal(a->u.reason.code, b->u.reason.code);
		assert_str_equal_(a->u.reason.text, b->u.reason.text);
		break;
	case GW_T_OPEN:
		assert_memory_equal(a->u.open.fingerprint,
		    b->u.open.fingerprint, GW_FINGERPRINT_LEN);
		assert_str_equal_(a->u.open.name, b->u.open.name);
		assert_str_equal_(a->u.open.subject, b->u.open.subject);
		assert_str_equal_(a->u.open.san, b->u.open.san);
		assert_str_equal_(a->u.open.serial, b->u.open.serial);
		assert_str_equal_(a->u.open.issuer, b->u.open.issuer);
		assert_str_equal_(a->u.open.peer, b->u.open.peer);
		break;
	default:
		assert_true(a->type >= GW_T_EXT_FIRST);
		assert_view_equal(a->payload, a->len, b->payload, b->len);
		break;
	}
}

/*
 * Decode ${n} bytes at ${wire} (guarded) and check the result is one whole
 * frame whose views point into the guarded copy and whose re-encoding is
 * the same bytes.
 */
static void
check_decode_reencode(const uint8_t *wire, size_t n, size_t max,
    struct gw_frame *out)
{
	static uint8_t again[GW_HDR_LEN + BIG + 64];
	size_t used = 0;
	uint8_t *g = guard_put(wire, n);

	assert_int_equal(gw_frame_decode(g, n, max, out, &used), GW_OK);
	assert_int_equal(used, n);
	assert_int_equal(out->len, n - GW_HDR_LEN);
	assert_ptr_equal(out->payload, g + GW_HDR_LEN);
	assert_int_equal(gw_frame_encode(again, sizeof(again), out), (int)n);
	assert_memory_equal(again, g, n);
}

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

struct bad {
	const char	*hex;
	size_t		 max;
	int		 want;
};

static const struct bad bad_wire[] = {
	/* Header checks, with only the header present. */
	{ "03 01 0000 00000000 00000008", MAXP, GW_PERR_BAD_FLAGS },
	{ "03 80 0000 00000000 ffffffff", MAXP, GW_PERR_BAD_FLAGS },
	{ "03 00 0001 00000000 00000008", MAXP, GW_PERR_BAD_RESERVED },
	{ "03 00 8000 00000000 ffffffff", MAXP, GW_PERR_BAD_RESERVED },
	{ "03 00 0000 00000000 ffffffff", MAXP, GW_PERR_LEN_TOO_BIG },
	{ "03 00 0000 00000000 00004001", MAXP, GW_PERR_LEN_TOO_BIG },
	{ "03 00 0000 00000000 01000001", SIZE_MAX, GW_PERR_LEN_TOO_BIG },
	{ "00 00 0000 00000000 7fffffff", MAXP, GW_PERR_LEN_TOO_BIG },
	{ "80 00 0000 00000000 00004001", MAXP, GW_PERR_LEN_TOO_BIG },
	{ "00 00 0000 00000000 00000000", MAXP, GW_PERR_UNKNOWN_TYPE },
	{ "0b 00 0000 00000000 00000008", MAXP, GW_PERR_UNKNOWN_TYPE },
	{ "1f 00 0000 00000000 00004000", MAXP, GW_PERR_UNKNOWN_TYPE },
	{ "23 00 0000 00000001 00000008", MAXP, GW_PERR_UNKNOWN_TYPE },
	{ "7f 00 0000 00000000 00000000", MAXP, GW_PERR_UNKNOWN_TYPE },
	/* Wrong channel. */
	{ "01 00 0000 00000001 0000000c  0001 0001 00000000 00004000",
	  MAXP, GW_PERR_BAD_CHANNEL },
	{ "02 00 0000 00000001 00000016  0001 00000000 00004000 00002710"
	  " 0000000000000005", MAXP, GW_PERR_BAD_CHANNEL },
	{ "06 00 0000 00000001 00000008  0000000000000000",
	  MAXP, GW_PERR_BAD_CHANNEL },
	{ "07 00 0000 80000000 00000008  0000000000000000",
	  MAXP, GW_PERR_BAD_CHANNEL },
	{ "08 00 0000 00000002 00000002  0007", MAXP, GW_PERR_BAD_CHANNEL },
	{ "09 00 0000 00000003 00000002  0001", MAXP, GW_PERR_BAD_CHANNEL },
	{ "21 00 0000 00000000 00000008  0000000000000000",
	  MAXP, GW_PERR_BAD_CHANNEL },
	{ "22 00 0000 00000000 00000002  0000", MAXP, GW_PERR_BAD_CHANNEL },
	{ "20 00 0000 00000000 0000002d  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0000", MAXP, GW_PERR_BAD_CHANNEL },
	/* Wrong payload length for the type. */
	{ "01 00 0000 00000000 0000000b  0001 0001 00000000 000040",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "01 00 0000 00000000 0000000d  0001 0001 00000000 00004000 00",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "02 00 0000 00000000 00000015  0001 00000000 00004000 00002710"
	  " 00000000000000", MAXP, GW_PERR_BAD_LENGTH },
	{ "03 00 0000 00000000 00000007  00000000000001",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "04 00 0000 00000000 00000009  000000000000000100",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "04 00 0000 00000000 00000000", MAXP, GW_PERR_BAD_LENGTH },
	{ "05 00 0000 00000000 00000003  000001", MAXP, GW_PERR_BAD_LENGTH },
	{ "05 00 0000 00000000 00000005  0000000100",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "06 00 0000 00000000 00000007  00000000000000",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "07 00 0000 00000000 00000009  000000000000000000",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "08 00 0000 00000000 00000001  00", MAXP, GW_PERR_BAD_LENGTH },
	{ "09 00 0000 00000000 00000000", MAXP, GW_PERR_BAD_LENGTH },
	{ "0a 00 0000 00000000 00000004  00000001", MAXP,
	  GW_PERR_BAD_LENGTH },
	{ "20 00 0000 00000001 0000002b  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0000 0000 0000 0000 0000 00", MAXP, GW_PERR_BAD_LENGTH },
	{ "21 00 0000 00000001 00000007  00000000000000",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "22 00 0000 00000001 00000001  00", MAXP, GW_PERR_BAD_LENGTH },
	/* max_payload announced below 64. */
	{ "01 00 0000 00000000 0000000c  0001 0001 00000000 0000003f",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "02 00 0000 00000000 00000016  0001 00000000 0000003f 00002710"
	  " 0000000000000005", MAXP, GW_PERR_BAD_LENGTH },
	/* Versions. */
	{ "01 00 0000 00000000 0000000c  0000 0001 00000000 00004000",
	  MAXP, GW_PERR_BAD_VERSION },
	{ "01 00 0000 00000000 0000000c  0002 0001 00000000 00004000",
	  MAXP, GW_PERR_BAD_VERSION },
	{ "02 00 0000 00000000 00000016  0000 00000000 00004000 00002710"
	  " 0000000000000005", MAXP, GW_PERR_BAD_VERSION },
	/* Sequence numbers and credit. */
	{ "03 00 0000 00000000 00000008  0000000000000000",
	  MAXP, GW_PERR_BAD_SEQ },
	{ "03 00 0000 00000004 0000000a  0000000000000000 6869",
	  MAXP, GW_PERR_BAD_SEQ },
	{ "04 00 0000 00000000 00000008  0000000000000000",
	  MAXP, GW_PERR_BAD_SEQ },
	{ "0a 00 0000 00000001 00000008  0000000000000000",
	  MAXP, GW_PERR_BAD_SEQ },
	{ "05 00 0000 00000000 00000004  00000000", MAXP, GW_PERR_BAD_CREDIT },
	/* OPEN strings. */
	{ "20 00 0000 00000001 0000002c  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0000 0000 0000 0000 0000 0000", MAXP, GW_PERR_BAD_STRING },
	{ "20 00 0000 00000001 0000002d  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0002 61 0000 0000 0000 0000 0000", MAXP, GW_PERR_BAD_STRING },
	{ "20 00 0000 00000001 0000002d  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0001", MAXP, GW_PERR_BAD_STRING },
	{ "20 00 0000 00000001 0000002d  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0001 61 0000 0000 0000 00", MAXP, GW_PERR_BAD_STRING },
	{ "20 00 0000 00000001 0000002e  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0000 00", MAXP, GW_PERR_TRAILING },
};

static void
test_bad_wire(void **state)
{
	uint8_t wire[256];
	struct gw_frame d;
	size_t n, i, used;

	(void)state;
	for (i = 0; i < sizeof(bad_wire) / sizeof(bad_wire[0]); i++) {
		n = unhex(bad_wire[i].hex, wire, sizeof(wire));
		assert_int_equal(gdecode(wire, n, bad_wire[i].max, &d, &used),
		    bad_wire[i].want);
		assert_string_not_equal(gw_perr_str(bad_wire[i].want),
		    "unknown error");
	}
}

/* Header checks need nothing but the header; later ones wait for more. */
static void
test_header_early(void **state)
{
	uint8_t wire[64];
	struct gw_frame d;
	size_t n, used;

	(void)state;
	/* A 4 GiB length is refused with just 12 bytes in hand. */
	n = unhex("03 00 0000 00000000 ffffffff", wire, sizeof(wire));
	assert_int_equal(gdecode(wire, n, SIZE_MAX, &d, &used),
	    GW_PERR_LEN_TOO_BIG);
	/* Order: flags, reserved, length, type. */
	n = unhex("7f 01 0001 00000000 ffffffff", wire, sizeof(wire));
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used), GW_PERR_BAD_FLAGS);
	wire[1] = 0;
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used),
	    GW_PERR_BAD_RESERVED);
	wire[3] = 0;
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used),
	    GW_PERR_LEN_TOO_BIG);
	memset(wire + 8, 0, 4);
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used),
	    GW_PERR_UNKNOWN_TYPE);
	/* Below 12 bytes even a bad header is only "need more". */
	assert_int_equal(gdecode(wire, 11, MAXP, &d, &used), GW_ENEED);
	/* Channel and payload checks come once the payload is complete. */
	n = unhex("01 00 0000 00000001 0000000c  0000", wire, sizeof(wire));
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used), GW_ENEED);
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

/* Every invalid frame is refused by encode with the decoder's code. */
static void
test_bad_encode(void **state)
{
	static const uint8_t fp[GW_FINGERPRINT_LEN];
	uint8_t buf[256];
	struct gw_frame f;
	size_t i;
	int c;

	(void)state;
#define ENC(want) do {							\
	assert_int_equal(gw_frame_encode(buf, sizeof(buf), &f), (want));\
	/* Invalid beats too small: the code does not depend on cap. */	\
	assert_int_equal(gw_frame_encode(buf, 0, &f), (want));		\
} while (0)
	/* Channel rules: try 0 and 1 on every defined type. */
	for (i = 0; i < NSAMPLES; i++) {
		for (c = 0; c <= 1; c++) {
			int zero_only, nonzero_only;

			f = samples[i].f;
			f.channel = (uint32_t)c;
			zero_only = f.type == GW_T_HELLO ||
			    f.type == GW_T_HELLO_ACK || f.type == GW_T_PING ||
			    f.type == GW_T_PONG || f.type == GW_T_GOAWAY ||
			    f.type == GW_T_ERROR;
			nonzero_only = f.type == GW_T_OPEN ||
			    f.type == GW_T_OPEN_ACK || f.type == GW_T_CLOSE;
			if ((zero_only && c == 1) || (nonzero_only && c == 0))
				ENC(GW_PERR_BAD_CHANNEL);
			else
				assert_true(gw_frame_encode(buf, sizeof(buf),
				    &f) > 0);
			f.flags = 0x01;
			ENC(GW_PERR_BAD_FLAGS);
		}
	}
	memset(&f, 0, sizeof(f));
	f.type = 0x00;
	ENC(GW_PERR_UNKNOWN_TYPE);
	f.type = 0x0b;
	ENC(GW_PERR_UNKNOWN_TYPE);
	f.type = 0x7f;
	ENC(GW_PERR_UNKNOWN_TYPE);

	f = samples[0].f;
	f.u.hello.vmin = 0;
	ENC(GW_PERR_BAD_VERSION);
	f.u.hello.vmin = 2;
	f.u.hello.vmax = 1;
	ENC(GW_PERR_BAD_VERSION);
	f.u.hello.vmin = 1;
	f.u.hello.max_payload = 63;
	ENC(GW_PERR_BAD_LENGTH);
	f = samples[2].f;
	f.u.hello_ack.version = 0;
	ENC(GW_PERR_BAD_VERSION);
	f.u.hello_ack.version = 1;
	f.u.hello_ack.max_payload = 63;
	ENC(GW_PERR_BAD_LENGTH);

	f = samples[4].f;			/* DATA */
	f.u.data.seq = 0;
	ENC(GW_PERR_BAD_SEQ);
	f.u.data.seq = 1;
	f.u.data.body.p = NULL;
	ENC(GW_PERR_BAD_LENGTH);
	f = samples[11].f;			/* COMMAND */
	f.u.data.seq = 0;
	ENC(GW_PERR_BAD_SEQ);
	f = samples[5].f;			/* ACK */
	f.u.ack.seq = 0;
	ENC(GW_PERR_BAD_SEQ);
	f = samples[6].f;			/* CREDIT */
	f.u.credit.n = 0;
	ENC(GW_PERR_BAD_CREDIT);

	f = samples[10].f;			/* ERROR */
	f.u.reason.text.p = NULL;
	ENC(GW_PERR_BAD_STRING);
	f = samples[12].f;			/* OPEN */
	f.u.open.name.len = 0;
	ENC(GW_PERR_BAD_STRING);
	f = samples[12].f;
	f.u.open.peer.p = NULL;
	ENC(GW_PERR_BAD_STRING);

	/* The biggest OPEN (six 65535-byte strings) still encodes. */
	memset(&f, 0, sizeof(f));
	f.type = GW_T_OPEN;
	f.channel = 1;
	memcpy(f.u.open.fingerprint, fp, sizeof(fp));
	f.u.open.name.p = f.u.open.subject.p = f.u.open.san.p =
	    f.u.open.serial.p = f.u.open.issuer.p = f.u.open.peer.p = g_base;
	f.u.open.name.len = f.u.open.subject.len = f.u.open.san.len =
	    f.u.open.serial.len = f.u.open.issuer.len = f.u.open.peer.len =
	    65535;
	assert_int_equal(gw_frame_encode(g_base + 65536, g_size - 65536, &f),
	    GW_HDR_LEN + GW_FINGERPRINT_LEN + 6 * (2 + 65535));
#undef ENC
}

static unsigned
rnd(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/*
 * Mutations of valid frames and random bytes, all decoded against the
 * guard page: anything accepted must re-encode to the same bytes, anything
 * refused must be refused with a defined code.
 */
static void
test_mutations(void **state)
{
	uint8_t wire[256], m[256], out[512];
	struct gw_frame d, d2;
	size_t n, mn, used, used2, i, k;
	unsigned seed = 20240601, it;
	int rc, ok = 0, refused = 0;

	(void)state;
#define RND()	rnd(&seed)
	for (i = 0; i < NSAMPLES; i++) {
		n = unhex(samples[i].hex, wire, sizeof(wire));
		for (it = 0; it < 3000; it++) {
			memcpy(m, wire, n);
			mn = n;
			for (k = RND() % 4 + 1; k > 0; k--) {
				size_t at = RND() % n;

				m[at] = (uint8_t)RND();
			}
			if (RND() % 4 == 0)
				mn = RND() % (n + 1);
			if (RND() % 8 == 0)
				for (k = 0; k < mn; k++)
					m[k] = (uint8_t)RND();
			rc = gdecode(m, mn, MAXP, &d, &used);
			if (rc == GW_OK) {
				ok++;
				assert_true(used <= mn);
				rc = gw_frame_encode(out, sizeof(out), &d);
				assert_int_equal(rc, (int)used);
				assert_memory_equal(out, g_base + g_size - mn,
				    used);
				assert_int_equal(gw_frame_decode(out, used,
				    MAXP, &d2, &used2), GW_OK);
				assert_frame_equal(&d, &d2);
			} else {
				refused++;
				assert_true(rc == GW_ENEED ||
				    (rc <= GW_PERR_BAD_FLAGS &&
				    rc >= GW_PERR_TRAILING));
			}
		}
	}
	/* Both outcomes occur, or the test would prove little. */
	assert_true(ok > 1000);
	assert_true(refused > 1000);
#undef RND
}

static void
test_strings(void **state)
{
	static const char *const reasons[] = { "normal", "protocol",
	    "version", "unexpected", "flow", "too-big", "sequence",
	    "shutdown", "superseded", "upstream-lost", "timeout", "policy",
	    "revoked", "overload", "internal", "store" };
	static const char *const local[] = { "peer-closed", "tls-handshake",
	    "tls-error", "io-error", "connect" };
	static const struct { unsigned t; const char *s; } types[] = {
		{ 0x01, "HELLO" }, { 0x02, "HELLO_ACK" }, { 0x03, "DATA" },
		{ 0x04, "ACK" }, { 0x05, "CREDIT" }, { 0x06, "PING" },
		{ 0x07, "PONG" }, { 0x08, "GOAWAY" }, { 0x09, "ERROR" },
		{ 0x0a, "COMMAND" }, { 0x20, "OPEN" }, { 0x21, "OPEN_ACK" },
		{ 0x22, "CLOSE" }, { 0x80, "EXT" }, { 0xff, "EXT" },
		{ 0x00, "UNKNOWN" }, { 0x0b, "UNKNOWN" }, { 0x1f, "UNKNOWN" },
		{ 0x23, "UNKNOWN" }, { 0x7f, "UNKNOWN" }, { 0x100, "UNKNOWN" },
	};
	const char *seen[32];
	unsigned i, j;
	int rc;

	(void)state;
	for (i = 0; i < 16; i++)
		assert_string_equal(gw_reason_str(i), reasons[i]);
	for (i = 0; i < 5; i++)
		assert_string_equal(gw_reason_str(GW_R_PEER_CLOSED + i),
		    local[i]);
	assert_string_equal(gw_reason_str(GW_R_CONNECT), "connect");
	assert_string_equal(gw_reason_str(16), "unknown");
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
	for (rc = GW_PERR_BAD_FLAGS; rc >= GW_PERR_TRAILING; rc--)
		seen[j++] = gw_perr_str(rc);
	for (i = 0; i < j; i++) {
		assert_string_not_equal(seen[i], "unknown error");
		for (unsigned k = 0; k < i; k++)
			assert_string_not_equal(seen[i], seen[k]);
	}
	assert_string_equal(gw_perr_str(GW_PERR_TRAILING - 1),
	    "unknown error");
	assert_string_equal(gw_perr_str(1), "unknown error");
	assert_string_equal(gw_perr_str(-3), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_roundtrip),
		cmocka_unit_test(test_need_every_prefix),
		cmocka_unit_test(test_nospace_every_cap),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_bad_wire),
		cmocka_unit_test(test_header_early),
		cmocka_unit_test(test_max_payload_boundary),
		cmocka_unit_test(test_reason_text_limit),
		cmocka_unit_test(test_extension),
		cmocka_unit_test(test_bad_encode),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
