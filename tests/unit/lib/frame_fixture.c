/*
 * frame_fixture.c: what the codec tests share (frame_fixture.h).
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

/* The guard region: g_size usable bytes, then one PROT_NONE page. */
uint8_t	*g_base;
size_t	 g_size, g_page;

int
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

int
guard_teardown(void **state)
{
	(void)state;
	return munmap(g_base, g_size + g_page);
}

/* Copy ${n} bytes so the last one is the last readable byte; return them. */
uint8_t *
guard_put(const uint8_t *src, size_t n)
{
	uint8_t *p = g_base + g_size - n;

	assert_true(n <= g_size);
	if (n > 0)
		memmove(p, src, n);
	return p;
}

/* Decode ${n} bytes of ${src} placed against the guard page. */
int
gdecode(const uint8_t *src, size_t n, size_t max, struct gw_frame *out,
    size_t *used)
{
	return gw_frame_decode(guard_put(src, n), n, max, out, used);
}

size_t
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

/* One valid frame per type (some twice), with its exact wire bytes. */
const struct sample samples[] = {
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
	{ { .type = GW_T_COMMAND_ACK, .channel = 2, .u.ack = { 9 } },
	  "0d 00 0000 00000002 00000008  0000000000000009" },
	{ { .type = GW_T_RESULT, .u.result = { 9, GW_OUT_EXITED, 0, 0,
	    { (const uint8_t *)"ok\n", 3 } } },
	  "0e 00 0000 00000000 00000011  0000000000000009 00 00 00000000"
	  " 6f6b0a" },
	{ { .type = GW_T_RESULT, .channel = 4, .u.result = { 10,
	    GW_OUT_KILLED, GW_RESULT_TRUNCATED, -1, { NULL, 0 } } },
	  "0e 00 0000 00000004 0000000e  000000000000000a 01 01 ffffffff" },
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
	{ { .type = GW_T_ENROLL, .u.enroll = { .ref = 7, .token = S("t"),
	    .csr = S("\x30\x00") } },
	  "0b 00 0000 00000000 00000011  00000007 0000 0001 74 0002 3000"
	  " 0000 0000" },
	{ { .type = GW_T_ENROLL_RESULT, .u.enroll_result = { .ref = 7,
	    .status = GW_ENROLL_PENDING, .retry_after = 30,
	    .request_id = S("ab"), .message = S("wait") } },
	  "0c 00 0000 00000000 00000018  00000007 0001 0000 0000001e"
	  " 0002 6162 0004 77616974 0000" },
	{ { .type = GW_T_ENROLL_RESULT, .u.enroll_result = { .ref = 1,
	    .status = GW_ENROLL_REFUSED, .reason = GW_R_TOKEN_USED } },
	  "0c 00 0000 00000000 00000012  00000001 0002 0013 00000000"
	  " 0000 0000 0000" },
	{ { .type = 0xff, .channel = 42, .len = 3,
	    .payload = (const uint8_t *)"\x00\x01\x02" },
	  "ff 00 0000 0000002a 00000003  000102" },
	/* OPEN with the identity extension (GW_CAP_FLEET), and SEEN. */
	{ { .type = GW_T_OPEN, .channel = 1, .u.open = {
	    .fingerprint = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	      15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
	      31 },
	    .name = S("a"), .subject = S("CN=a"), .san = { NULL, 0 },
	    .serial = S("01"), .issuer = S("CN=ca"), .peer = S("127.0.0.1:9"),
	    .has_ext = 1, .not_after_ms = 1798761600000ULL,
	    .sans = S("DNS:a IP:127.0.0.1") } },
	  "20 00 0000 00000001 0000005f"
	  "  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "  0001 61  0004 434e3d61  0000  0002 3031  0005 434e3d6361"
	  "  000b 3132372e302e302e313a39"
	  "  000001a2ce8bd400  0012 444e533a612049503a3132372e302e302e31" },
	{ { .type = GW_T_OPEN, .channel = 3, .u.open = {
	    .name = S("b"), .has_ext = 1 } },
	  "20 00 0000 00000003 00000037"
	  "  0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 62  0000  0000  0000  0000  0000  0000000000000000  0000" },
	{ { .type = GW_T_SEEN, .u.seen = {
	    (const uint8_t *)"\x00\x00\x00\x01", 1 } },
	  "23 00 0000 00000000 00000004  00000001" },
	{ { .type = GW_T_SEEN, .u.seen = { (const uint8_t *)
	    "\x00\x00\x00\x07\xff\xff\xff\xff\x00\x01\x00\x00", 3 } },
	  "23 00 0000 00000000 0000000c  00000007 ffffffff 00010000" },
	/* OPEN with the extension and via (GW_CAP_CHAIN). */
	{ { .type = GW_T_OPEN, .channel = 1, .u.open = {
	    .fingerprint = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	      15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
	      31 },
	    .name = S("a"), .subject = S("CN=a"), .san = { NULL, 0 },
	    .serial = S("01"), .issuer = S("CN=ca"), .peer = S("127.0.0.1:9"),
	    .has_ext = 1, .not_after_ms = 1798761600000ULL,
	    .sans = S("DNS:a IP:127.0.0.1"), .has_via = 1,
	    .via = S("gw-in gw-out") } },
	  "20 00 0000 00000001 0000006d"
	  "  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "  0001 61  0004 434e3d61  0000  0002 3031  0005 434e3d6361"
	  "  000b 3132372e302e302e313a39"
	  "  000001a2ce8bd400  0012 444e533a612049503a3132372e302e302e31"
	  "  000c 67772d696e2067772d6f7574" },
	/* ACK with a credit increment (GW_CAP_ACKCREDIT): 12 bytes. */
	{ { .type = GW_T_ACK, .u.ack = { 42, 8 } },
	  "04 00 0000 00000000 0000000c  000000000000002a 00000008" },
};
const size_t nsamples = sizeof(samples) / sizeof(samples[0]);

void
assert_view_equal(const uint8_t *ap, size_t al, const uint8_t *bp, size_t bl)
{
	assert_int_equal(al, bl);
	if (al > 0)
		assert_memory_equal(ap, bp, al);
}


/* Field-by-field equality of the parts of ${a} and ${b} that ${a} uses. */
void
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
	case GW_T_COMMAND_ACK:
		assert_int_equal(a->u.ack.seq, b->u.ack.seq);
		assert_int_equal(a->u.ack.credit, b->u.ack.credit);
		break;
	case GW_T_RESULT:
		assert_int_equal(a->u.result.id, b->u.result.id);
		assert_int_equal(a->u.result.outcome, b->u.result.outcome);
		assert_int_equal(a->u.result.flags, b->u.result.flags);
		assert_int_equal(a->u.result.status, b->u.result.status);
		assert_int_equal(a->u.result.output.len,
		    b->u.result.output.len);
		if (a->u.result.output.len > 0)
			assert_memory_equal(a->u.result.output.p,
			    b->u.result.output.p, a->u.result.output.len);
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
		assert_int_equal(a->u.open.has_ext, b->u.open.has_ext);
		if (!a->u.open.has_ext)
			break;
		assert_int_equal(a->u.open.not_after_ms,
		    b->u.open.not_after_ms);
		assert_str_equal_(a->u.open.sans, b->u.open.sans);
		assert_int_equal(a->u.open.has_via, b->u.open.has_via);
		if (a->u.open.has_via)
			assert_str_equal_(a->u.open.via, b->u.open.via);
		break;
	case GW_T_SEEN:
		assert_int_equal(a->u.seen.n, b->u.seen.n);
		assert_memory_equal(a->u.seen.ids, b->u.seen.ids,
		    4 * (size_t)a->u.seen.n);
		break;
	case GW_T_ENROLL:
		assert_int_equal(a->u.enroll.ref, b->u.enroll.ref);
		assert_str_equal_(a->u.enroll.request_id, b->u.enroll.request_id);
		assert_str_equal_(a->u.enroll.token, b->u.enroll.token);
		assert_str_equal_(a->u.enroll.csr, b->u.enroll.csr);
		assert_str_equal_(a->u.enroll.source, b->u.enroll.source);
		assert_str_equal_(a->u.enroll.client_cert,
		    b->u.enroll.client_cert);
		break;
	case GW_T_ENROLL_RESULT:
		assert_int_equal(a->u.enroll_result.ref, b->u.enroll_result.ref);
		assert_int_equal(a->u.enroll_result.status,
		    b->u.enroll_result.status);
		assert_int_equal(a->u.enroll_result.reason,
		    b->u.enroll_result.reason);
		assert_int_equal(a->u.enroll_result.retry_after,
		    b->u.enroll_result.retry_after);
		assert_str_equal_(a->u.enroll_result.request_id,
		    b->u.enroll_result.request_id);
		assert_str_equal_(a->u.enroll_result.message,
		    b->u.enroll_result.message);
		assert_str_equal_(a->u.enroll_result.chain,
		    b->u.enroll_result.chain);
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
void
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

