/*
 * test_frame_errors.c: the protocol v1 codec's error paths: every precise
 * error code on the wire (header checks decided from the header alone),
 * every invalid frame refused by the encoder with the decoder's code, and
 * mutations and random bytes decoded against a guard page.
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
	{ "0f 00 0000 00000000 00000008", MAXP, GW_PERR_UNKNOWN_TYPE },
	{ "1f 00 0000 00000000 00004000", MAXP, GW_PERR_UNKNOWN_TYPE },
	{ "24 00 0000 00000001 00000008", MAXP, GW_PERR_UNKNOWN_TYPE },
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
	/* ACK: 8 or 12 bytes (GW_CAP_ACKCREDIT), nothing between or above. */
	{ "04 00 0000 00000000 0000000a  0000000000000001 0001",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "04 00 0000 00000000 0000000b  0000000000000001 000001",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "04 00 0000 00000000 0000000d  0000000000000001 00000001 00",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "04 00 0000 00000000 00000010  0000000000000001 0000000000000001",
	  MAXP, GW_PERR_BAD_LENGTH },
	/* OPEN_ACK and COMMAND_ACK have no credit: 12 bytes is too long. */
	{ "21 00 0000 00000001 0000000c  0000000000000001 00000001",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "0d 00 0000 00000001 0000000c  0000000000000001 00000001",
	  MAXP, GW_PERR_BAD_LENGTH },
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
	/* A 12-byte ACK carries a credit of at least 1. */
	{ "04 00 0000 00000000 0000000c  0000000000000001 00000000",
	  MAXP, GW_PERR_BAD_CREDIT },
	{ "04 00 0000 00000000 0000000c  0000000000000000 00000001",
	  MAXP, GW_PERR_BAD_SEQ },
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
	/* OPEN's extension: too short (1..9: test_open_ext), sans overruns;
	   after sans a via: one byte, empty, then bytes after it (more:
	   test_open_via). */
	{ "20 00 0000 00000001 0000002e  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0000 00", MAXP, GW_PERR_BAD_LENGTH },
	{ "20 00 0000 00000001 00000037  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0000 0000000000000000 0001",
	  MAXP, GW_PERR_BAD_STRING },
	{ "20 00 0000 00000001 00000038  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0000 0000000000000000 0002 41",
	  MAXP, GW_PERR_BAD_STRING },
	{ "20 00 0000 00000001 00000038  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0000 0000000000000000 0000 00",
	  MAXP, GW_PERR_BAD_STRING },
	{ "20 00 0000 00000001 0000003a  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0000 ffffffffffffffff 0001 41 0000",
	  MAXP, GW_PERR_BAD_STRING },
	{ "20 00 0000 00000001 0000003d  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0001 61 0000 0000 0000 0000 0000 ffffffffffffffff 0001 41"
	  " 0002 4142 00", MAXP, GW_PERR_TRAILING },
	/* The extension does not excuse an empty name. */
	{ "20 00 0000 00000001 00000036  "
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "  0000 0000 0000 0000 0000 0000 0000000000000000 0000",
	  MAXP, GW_PERR_BAD_STRING },
	/* SEEN: channel; empty; not whole ids; an id 0; too long. */
	{ "23 00 0000 00000001 00000004  00000001", MAXP,
	  GW_PERR_BAD_CHANNEL },
	{ "23 00 0000 00000000 00000000", MAXP, GW_PERR_BAD_LENGTH },
	{ "23 00 0000 00000000 00000003  000001", MAXP, GW_PERR_BAD_LENGTH },
	{ "23 00 0000 00000000 00000005  0000000101", MAXP,
	  GW_PERR_BAD_LENGTH },
	{ "23 00 0000 00000000 00000006  000000010000", MAXP,
	  GW_PERR_BAD_LENGTH },
	{ "23 00 0000 00000000 00000007  00000001000000", MAXP,
	  GW_PERR_BAD_LENGTH },
	{ "23 00 0000 00000000 00000004  00000000", MAXP, GW_PERR_BAD_VALUE },
	{ "23 00 0000 00000000 0000000c  00000001 00000002 00000000", MAXP,
	  GW_PERR_BAD_VALUE },
	{ "23 00 0000 00000000 00004004", MAXP, GW_PERR_LEN_TOO_BIG },
	/* ENROLL: ref 0; neither CSR nor request id; channel; short; extra. */
	{ "0b 00 0000 00000000 0000000f  00000000 0000 0000 0001 30 0000 0000",
	  MAXP, GW_PERR_BAD_VALUE },
	{ "0b 00 0000 00000000 0000000e  00000001 0000 0000 0000 0000 0000",
	  MAXP, GW_PERR_BAD_STRING },
	{ "0b 00 0000 00000001 0000000f  00000001 0000 0000 0001 30 0000 0000",
	  MAXP, GW_PERR_BAD_CHANNEL },
	{ "0b 00 0000 00000000 0000000d  00000001 0000 0000 0000 0000 00",
	  MAXP, GW_PERR_BAD_LENGTH },
	{ "0b 00 0000 00000000 00000010  00000001 0000 0000 0001 30 0000 0000"
	  " ff", MAXP, GW_PERR_TRAILING },
	{ "0b 00 0000 00000000 0000000f  00000001 0000 0000 0005 30 0000 0000",
	  MAXP, GW_PERR_BAD_STRING },
	/* ENROLL_RESULT: status 3; issued without chain; pending without id. */
	{ "0c 00 0000 00000000 00000012  00000001 0003 0000 00000000"
	  " 0000 0000 0000", MAXP, GW_PERR_BAD_VALUE },
	{ "0c 00 0000 00000000 00000012  00000000 0002 0000 00000000"
	  " 0000 0000 0000", MAXP, GW_PERR_BAD_VALUE },
	{ "0c 00 0000 00000000 00000012  00000001 0000 0000 00000000"
	  " 0000 0000 0000", MAXP, GW_PERR_BAD_STRING },
	{ "0c 00 0000 00000000 00000012  00000001 0001 0000 00000000"
	  " 0000 0000 0000", MAXP, GW_PERR_BAD_STRING },
	/* COMMAND_ACK: id 0; short; long. */
	{ "0d 00 0000 00000000 00000008  0000000000000000", MAXP,
	  GW_PERR_BAD_SEQ },
	{ "0d 00 0000 00000000 00000007  00000000000001", MAXP,
	  GW_PERR_BAD_LENGTH },
	{ "0d 00 0000 00000000 00000009  000000000000000101", MAXP,
	  GW_PERR_BAD_LENGTH },
	/* RESULT: id 0; outcome 6; an unknown flag; short. */
	{ "0e 00 0000 00000000 0000000e  0000000000000000 00 00 00000000",
	  MAXP, GW_PERR_BAD_SEQ },
	{ "0e 00 0000 00000000 0000000e  0000000000000001 06 00 00000000",
	  MAXP, GW_PERR_BAD_VALUE },
	{ "0e 00 0000 00000000 0000000e  0000000000000001 00 02 00000000",
	  MAXP, GW_PERR_BAD_VALUE },
	{ "0e 00 0000 00000000 0000000d  0000000000000001 00 00 000000",
	  MAXP, GW_PERR_BAD_LENGTH },
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
			    f.type == GW_T_ERROR || f.type == GW_T_ENROLL ||
			    f.type == GW_T_ENROLL_RESULT ||
			    f.type == GW_T_SEEN;
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
	f.type = 0x0f;
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
	f = samples[12].f;			/* COMMAND_ACK */
	f.u.ack.seq = 0;
	ENC(GW_PERR_BAD_SEQ);
	f = samples[13].f;			/* RESULT */
	f.u.result.id = 0;
	ENC(GW_PERR_BAD_SEQ);
	f = samples[13].f;
	f.u.result.outcome = GW_OUT_MAX + 1;
	ENC(GW_PERR_BAD_VALUE);
	f = samples[13].f;
	f.u.result.flags = 0x80;
	ENC(GW_PERR_BAD_VALUE);
	f = samples[13].f;
	f.u.result.output.p = NULL;
	ENC(GW_PERR_BAD_LENGTH);
	f = samples[5].f;			/* ACK */
	f.u.ack.seq = 0;
	ENC(GW_PERR_BAD_SEQ);
	f = samples[6].f;			/* CREDIT */
	f.u.credit.n = 0;
	ENC(GW_PERR_BAD_CREDIT);
	f = samples[SAMPLE_ACK_CREDIT].f;	/* ACK with credit */
	f.u.ack.seq = 0;
	ENC(GW_PERR_BAD_SEQ);
	/* Only ACK has the credit: OPEN_ACK or COMMAND_ACK cannot carry it. */
	f = samples[16].f;			/* OPEN_ACK */
	assert_int_equal(f.type, GW_T_OPEN_ACK);
	f.u.ack.credit = 1;
	ENC(GW_PERR_BAD_LENGTH);
	f = samples[12].f;			/* COMMAND_ACK */
	assert_int_equal(f.type, GW_T_COMMAND_ACK);
	f.u.ack.credit = 1;
	ENC(GW_PERR_BAD_LENGTH);

	f = samples[10].f;			/* ERROR */
	f.u.reason.text.p = NULL;
	ENC(GW_PERR_BAD_STRING);
	f = samples[15].f;			/* OPEN */
	f.u.open.name.len = 0;
	ENC(GW_PERR_BAD_STRING);
	f = samples[15].f;
	f.u.open.peer.p = NULL;
	ENC(GW_PERR_BAD_STRING);
	/* The extension: sans NULL, or above GW_SANS_MAX (unless no ext). */
	f = samples[SAMPLE_OPEN_EXT].f;
	f.u.open.sans.p = NULL;
	ENC(GW_PERR_BAD_STRING);
	f.u.open.sans.p = g_base;
	f.u.open.sans.len = GW_SANS_MAX + 1;
	ENC(GW_PERR_BAD_STRING);
	f.u.open.has_ext = 0;		/* not written: not checked */
	assert_int_equal(gw_frame_encode(buf, sizeof(buf), &f), 12 + 0x43);
	f = samples[SAMPLE_OPEN_EXT].f;
	f.u.open.name.len = 0;
	ENC(GW_PERR_BAD_STRING);
	/* The via: NULL, empty, not a via; not written without the
	   extension, so not checked. */
	f = samples[SAMPLE_OPEN_VIA].f;
	f.u.open.via.p = NULL;
	ENC(GW_PERR_BAD_STRING);
	f.u.open.via.p = (const uint8_t *)"gw a";
	f.u.open.via.len = 0;
	ENC(GW_PERR_BAD_STRING);
	f.u.open.via.len = 4;
	assert_int_equal(gw_frame_encode(buf, sizeof(buf), &f), 12 + 0x65);
	f.u.open.via.p = (const uint8_t *)"gw\\a";
	ENC(GW_PERR_BAD_STRING);
	f.u.open.has_ext = 0;
	assert_int_equal(gw_frame_encode(buf, sizeof(buf), &f), 12 + 0x43);
	/* SEEN: no ids, no view, an id 0 (anywhere), too many. */
	f = samples[SAMPLE_SEEN_3].f;
	f.u.seen.n = 0;
	ENC(GW_PERR_BAD_LENGTH);
	f = samples[SAMPLE_SEEN_3].f;
	f.u.seen.ids = NULL;
	ENC(GW_PERR_BAD_LENGTH);
	f = samples[SAMPLE_SEEN_3].f;
	f.channel = 5;
	ENC(GW_PERR_BAD_CHANNEL);
	f.channel = 0;
	f.u.seen.ids = (const uint8_t *)"\0\0\0\1\0\0\0\2\0\0\0\0";
	ENC(GW_PERR_BAD_VALUE);
	f.u.seen.ids = fp;		/* 0 first */
	ENC(GW_PERR_BAD_VALUE);
	f.u.seen.n = GW_PAYLOAD_HARD_MAX / 4 + 1;
	ENC(GW_PERR_LEN_TOO_BIG);

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

/*
 * OPEN's extension by the number of bytes after peer: none is a legacy
 * OPEN, 1..9 too short for not_after and sans's length, 10 the smallest
 * extension; after sans (at most GW_SANS_MAX) a via: one byte is too
 * short for its length, two zeros an empty via.
 */
static void
test_open_ext(void **state)
{
	static uint8_t wire[GW_HDR_LEN + 128 + GW_SANS_MAX + 16];
	struct gw_frame f = { .type = GW_T_OPEN, .channel = 1,
	    .u.open = { .name = { (const uint8_t *)"a", 1 } } }, d;
	size_t base, n, k, used;

	(void)state;
	base = (size_t)gw_frame_encode(wire, sizeof(wire), &f);
	assert_int_equal(base, GW_HDR_LEN + 32 + 12 + 1);
	for (k = 0; k <= 12; k++) {
		memset(wire + base, 0, k);
		wire[11] = (uint8_t)(base - GW_HDR_LEN + k);
		n = base + k;
		if (k == 0 || k == 10) {
			check_decode_reencode(wire, n, MAXP, &d);
			assert_int_equal(d.u.open.has_ext, k == 10);
			assert_int_equal(d.u.open.not_after_ms, 0);
			assert_int_equal(d.u.open.sans.len, 0);
		} else
			assert_int_equal(gdecode(wire, n, MAXP, &d, &used),
			    k < 10 ? GW_PERR_BAD_LENGTH : GW_PERR_BAD_STRING);
	}
	/* sans of GW_SANS_MAX bytes is taken, one more is refused. */
	f.u.open.has_ext = 1;
	f.u.open.not_after_ms = UINT64_MAX;
	f.u.open.sans.p = g_base;
	f.u.open.sans.len = GW_SANS_MAX;
	memset(g_base, 'x', GW_SANS_MAX + 1);
	n = (size_t)gw_frame_encode(wire, sizeof(wire), &f);
	assert_int_equal(n, base + 10 + GW_SANS_MAX);
	check_decode_reencode(wire, n, MAXP, &d);
	assert_frame_equal(&f, &d);
	wire[base + 8] = (GW_SANS_MAX + 1) >> 8;
	wire[base + 9] = (GW_SANS_MAX + 1) & 0xff;
	wire[n++] = 'x';
	wire[10] = (uint8_t)((n - GW_HDR_LEN) >> 8);
	wire[11] = (uint8_t)(n - GW_HDR_LEN);
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used),
	    GW_PERR_BAD_STRING);
}

struct via_case {
	const char	*via;		/* after sans: u16 length + these */
	int		 want;		/* GW_OK: its number of names */
};

static const struct via_case via_cases[] = {
	{ "a", 1 },
	{ "gw-inner gw-outer", 2 },
	{ "a b c d e f g h", 8 },
	{ "!#$%&'()*+,-./0123456789:;<=>?@[]^_`{|}~", 1 },
	/* 64 bytes: the longest name. */
	{ "0123456789012345678901234567890123456789012345678901234567890123",
	  1 },
	{ "", GW_PERR_BAD_STRING },
	{ " ", GW_PERR_BAD_STRING },
	{ " a", GW_PERR_BAD_STRING },
	{ "a ", GW_PERR_BAD_STRING },
	{ "a  b", GW_PERR_BAD_STRING },
	{ "a b c d e f g h i", GW_PERR_BAD_STRING },
	{ "01234567890123456789012345678901234567890123456789012345678901234",
	  GW_PERR_BAD_STRING },
	{ "a \"b\"", GW_PERR_BAD_STRING },
	{ "a\\b", GW_PERR_BAD_STRING },
	{ "a\tb", GW_PERR_BAD_STRING },
	{ "a\x7f", GW_PERR_BAD_STRING },
	{ "a\x80", GW_PERR_BAD_STRING },
	{ "\x1f", GW_PERR_BAD_STRING },
	{ "a\nb", GW_PERR_BAD_STRING },
};

/*
 * OPEN's via after sans: every rule of a valid via, on the wire and by
 * gw_via_count, and gw_via_last and gw_via_has of those that decode; a NUL
 * inside; a length that overruns.
 */
static void
test_open_via(void **state)
{
	static uint8_t wire[GW_HDR_LEN + 256];
	struct gw_frame f = { .type = GW_T_OPEN, .channel = 1,
	    .u.open = { .name = { (const uint8_t *)"a", 1 }, .has_ext = 1 } },
	    d;
	struct gw_str v, last;
	size_t base, n, i, k, used;

	(void)state;
	base = (size_t)gw_frame_encode(wire, sizeof(wire), &f);
	assert_int_equal(base, GW_HDR_LEN + 32 + 12 + 1 + 10);
	for (i = 0; i < sizeof(via_cases) / sizeof(via_cases[0]); i++) {
		k = strlen(via_cases[i].via);
		wire[base] = 0;
		wire[base + 1] = (uint8_t)k;
		memcpy(wire + base + 2, via_cases[i].via, k);
		n = base + 2 + k;
		wire[11] = (uint8_t)(n - GW_HDR_LEN);
		v = gw_str_bytes(via_cases[i].via, k);
		if (via_cases[i].want < 0) {
			assert_int_equal(gdecode(wire, n, MAXP, &d, &used),
			    via_cases[i].want);
			assert_int_equal(gw_via_count(&v), -1);
			continue;
		}
		check_decode_reencode(wire, n, MAXP, &d);
		assert_int_equal(d.u.open.has_via, 1);
		assert_view_equal(d.u.open.via.p, d.u.open.via.len,
		    v.p, v.len);
		assert_int_equal(gw_via_count(&d.u.open.via),
		    via_cases[i].want);
		last = gw_via_last(&d.u.open.via);
		assert_true(gw_via_has(&d.u.open.via, &last));
		assert_true(last.len > 0 && last.p + last.len ==
		    d.u.open.via.p + d.u.open.via.len);
		assert_true(last.p == d.u.open.via.p || last.p[-1] == ' ');
	}
	/* A NUL inside; a length one past the payload. */
	memcpy(wire + base, "\0\3a\0b", 5);
	n = base + 5;
	wire[11] = (uint8_t)(n - GW_HDR_LEN);
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used),
	    GW_PERR_BAD_STRING);
	wire[base + 1] = 4;
	assert_int_equal(gdecode(wire, n, MAXP, &d, &used),
	    GW_PERR_BAD_STRING);
	/* gw_via_count of no view at all. */
	v = gw_str_bytes(NULL, 0);
	assert_int_equal(gw_via_count(&v), -1);
}

/* gw_via_last and gw_via_has: names whole, never a part of one. */
static void
test_via_names(void **state)
{
	struct gw_str via = gw_str_text("gw-a gw-bb gw-c"), n;

	(void)state;
	n = gw_via_last(&via);
	assert_view_equal(n.p, n.len, (const uint8_t *)"gw-c", 4);
	n = gw_str_text("gw-a");
	assert_true(gw_via_has(&via, &n));
	n = gw_str_text("gw-bb");
	assert_true(gw_via_has(&via, &n));
	n = gw_str_text("gw-c");
	assert_true(gw_via_has(&via, &n));
	n = gw_str_text("gw-b");
	assert_false(gw_via_has(&via, &n));
	n = gw_str_text("gw-bbb");
	assert_false(gw_via_has(&via, &n));
	n = gw_str_text("gw-a gw-bb");
	assert_false(gw_via_has(&via, &n));
	n = gw_str_text("");
	assert_false(gw_via_has(&via, &n));
	via = gw_str_text("solo");
	n = gw_via_last(&via);
	assert_view_equal(n.p, n.len, (const uint8_t *)"solo", 4);
	assert_true(gw_via_has(&via, &n));
}

/* SEEN: gw_seen_put and gw_seen_id agree; max_payload / 4 ids fit. */
static void
test_seen(void **state)
{
	static uint8_t ids[MAXP + 4], wire[GW_HDR_LEN + MAXP + 4];
	struct gw_frame f = { .type = GW_T_SEEN }, d;
	uint32_t i;
	size_t used;

	(void)state;
	for (i = 0; i < MAXP / 4; i++)
		gw_seen_put(ids, i, 0xfffffff0u - i * 7);
	f.u.seen.ids = ids;
	f.u.seen.n = MAXP / 4;
	assert_int_equal(gw_frame_encode(wire, sizeof(wire), &f),
	    GW_HDR_LEN + MAXP);
	check_decode_reencode(wire, GW_HDR_LEN + MAXP, MAXP, &d);
	assert_int_equal(d.u.seen.n, MAXP / 4);
	for (i = 0; i < MAXP / 4; i++)
		assert_int_equal(gw_seen_id(&d, i), 0xfffffff0u - i * 7);
	assert_int_equal(gw_seen_id(&d, 0), 0xfffffff0u);
	/* One more id is above the receiver's max_payload. */
	f.u.seen.n = MAXP / 4 + 1;
	gw_seen_put(ids, MAXP / 4, 1);
	assert_int_equal(gw_frame_encode(wire, sizeof(wire), &f),
	    GW_HDR_LEN + MAXP + 4);
	assert_int_equal(gdecode(wire, GW_HDR_LEN + MAXP + 4, MAXP, &d,
	    &used), GW_PERR_LEN_TOO_BIG);
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
				    rc >= GW_PERR_BAD_VALUE));
			}
		}
	}
	/* Both outcomes occur, or the test would prove little. */
	assert_true(ok > 1000);
	assert_true(refused > 1000);
#undef RND
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_wire),
		cmocka_unit_test(test_header_early),
		cmocka_unit_test(test_bad_encode),
		cmocka_unit_test(test_open_ext),
		cmocka_unit_test(test_open_via),
		cmocka_unit_test(test_via_names),
		cmocka_unit_test(test_seen),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
