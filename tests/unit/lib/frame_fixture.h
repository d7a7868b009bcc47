/*
 * frame_fixture.h: what the codec tests (test_frame.c, test_frame_errors.c)
 * share: a region that ends at a PROT_NONE page, so that any read past the
 * input faults (picohttpparser's guard-page trick); hex vectors; one valid
 * frame per type with its exact wire bytes (the bytes of docs/PROTOCOL.md);
 * field-by-field frame comparison.
 */
#ifndef GW_FRAME_FIXTURE_H
#define GW_FRAME_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define MAXP	GW_DEFAULT_MAX_PAYLOAD
#define BIG	(64 * 1024)
#define S(lit)	{ (const uint8_t *)(lit), sizeof(lit) - 1 }
#define assert_str_equal_(a, b) \
	assert_view_equal((a).p, (a).len, (b).p, (b).len)

struct sample {
	struct gw_frame	 f;
	const char	*hex;
};

/* The guard region: g_size usable bytes, then one PROT_NONE page. */
extern uint8_t	*g_base;
extern size_t	 g_size, g_page;

/* One valid frame per type (some twice), with its exact wire bytes. */
extern const struct sample samples[];
extern const size_t nsamples;
#define NSAMPLES	nsamples
#define SAMPLE_OPEN_EXT	23	/* OPEN with the identity extension */
#define SAMPLE_SEEN_3	26	/* SEEN of three ids */
#define SAMPLE_OPEN_VIA	27	/* OPEN with the extension and via */
#define SAMPLE_ACK_CREDIT 28	/* ACK with a credit (GW_CAP_ACKCREDIT) */

/** guard_setup / guard_teardown: cmocka group setup and teardown. */
int guard_setup(void **state);
int guard_teardown(void **state);

/** guard_put(src, n): ${n} bytes ending at the last readable byte. */
uint8_t *guard_put(const uint8_t *src, size_t n);

/** gdecode(src, n, max, out, used): decode ${src} placed at the guard. */
int gdecode(const uint8_t *src, size_t n, size_t max, struct gw_frame *out,
    size_t *used);

/** unhex(hex, out, cap): "01 00 0a..." into bytes; return how many. */
size_t unhex(const char *hex, uint8_t *out, size_t cap);

void assert_view_equal(const uint8_t *ap, size_t al, const uint8_t *bp,
    size_t bl);

/** assert_frame_equal(a, b): the parts of ${a} that ${a} uses match. */
void assert_frame_equal(const struct gw_frame *a, const struct gw_frame *b);

/**
 * check_decode_reencode(wire, n, max, out): ${wire} decodes (guarded) as
 * one whole frame whose views point into the guarded copy and whose
 * re-encoding is the same bytes.
 */
void check_decode_reencode(const uint8_t *wire, size_t n, size_t max,
    struct gw_frame *out);

#endif /* GW_FRAME_FIXTURE_H */
