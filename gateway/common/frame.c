/*
 * frame.c: the pure protocol v1 codec (docs/PROTOCOL.md is the
 * specification).  No I/O, no allocation, no global state.
 *
 * Both directions share one table of per-type rules (channel, payload
 * length bounds) and one check of the field values (check_fields), so that
 * what gw_frame_encode accepts, gw_frame_decode accepts, with the same
 * error codes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "proto.h"

/* Smallest max_payload a HELLO or HELLO_ACK may announce. */

/* Longest text after the u16 code of GOAWAY, ERROR and CLOSE. */
#define TEXT_MAX		65535u

/*
 * OPEN: fingerprint, then six strings (u16 length + bytes), then optionally
 * the identity extension: not_after (u64), then sans (a string), then
 * optionally via (a string).
 */
#define OPEN_NSTR		6
#define OPEN_MIN		(GW_FINGERPRINT_LEN + 2 * OPEN_NSTR)
#define OPEN_EXT_MIN		(8 + 2)

/* SEEN: one u32 channel id after another. */
#define SEEN_ID			4

/* ENROLL: ref, then five strings. */
#define ENROLL_FIXED		4
#define ENROLL_NSTR		5
#define ENROLL_MIN		(ENROLL_FIXED + 2 * ENROLL_NSTR)

/* ENROLL_RESULT: ref, status, reason, retry_after, then three strings. */
#define RESULT_FIXED		12
#define RESULT_NSTR		3
#define RESULT_MIN		(RESULT_FIXED + 2 * RESULT_NSTR)

/* ACK: seq, then (GW_CAP_ACKCREDIT) a credit increment. */
#define ACK_LEN			8
#define ACK_CREDIT_LEN		12

/* RESULT: id, outcome, flags, status, then the output. */
#define CMD_RESULT_MIN		14

#define NSTR_MAX		6

enum chan_rule {
	CH_ZERO,		/* connection-level: channel 0 only */
	CH_NONZERO,		/* per-agent channel: never 0 */
	CH_ANY			/* the session layer checks the context */
};

struct ftype {
	uint8_t		type;
	uint8_t		chan;		/* enum chan_rule */
	uint32_t	min;		/* smallest payload length */
	uint32_t	max;		/* largest; == min for fixed sizes */
};

static const struct ftype ftypes[] = {
	{ GW_T_HELLO,		CH_ZERO,	12,	12 },
	{ GW_T_HELLO_ACK,	CH_ZERO,	22,	22 },
	{ GW_T_DATA,		CH_ANY,		8,	GW_PAYLOAD_HARD_MAX },
	{ GW_T_ACK,		CH_ANY,		ACK_LEN, ACK_CREDIT_LEN },
	{ GW_T_CREDIT,		CH_ANY,		4,	4 },
	{ GW_T_PING,		CH_ZERO,	8,	8 },
	{ GW_T_PONG,		CH_ZERO,	8,	8 },
	{ GW_T_GOAWAY,		CH_ZERO,	2,	2 + TEXT_MAX },
	{ GW_T_ERROR,		CH_ZERO,	2,	2 + TEXT_MAX },
	{ GW_T_COMMAND,		CH_ANY,		8,	GW_PAYLOAD_HARD_MAX },
	{ GW_T_ENROLL,		CH_ZERO,	ENROLL_MIN, GW_PAYLOAD_HARD_MAX },
	{ GW_T_ENROLL_RESULT,	CH_ZERO,	RESULT_MIN, GW_PAYLOAD_HARD_MAX },
	{ GW_T_COMMAND_ACK,	CH_ANY,		8,	8 },
	{ GW_T_RESULT,		CH_ANY,		CMD_RESULT_MIN, GW_PAYLOAD_HARD_MAX },
	{ GW_T_OPEN,		CH_NONZERO,	OPEN_MIN, GW_PAYLOAD_HARD_MAX },
	{ GW_T_OPEN_ACK,	CH_NONZERO,	8,	8 },
	{ GW_T_CLOSE,		CH_NONZERO,	2,	2 + TEXT_MAX },
	{ GW_T_SEEN,		CH_ZERO,	SEEN_ID, GW_PAYLOAD_HARD_MAX },
};

/* Byte order helpers: big-endian, no alignment assumed. */
static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	return put32(p + 4, (uint32_t)v);
}

static uint8_t *
putbytes(uint8_t *p, const uint8_t *src, size_t n)
{
	/* memcpy(p, NULL, 0) is undefined: an empty view may be NULL. */
	if (n > 0)
		memcpy(p, src, n);
	return p + n;
}

/* The rules of defined type ${type}, or NULL (unknown or extension). */
static const struct ftype *
ftype_find(uint8_t type)
{
	size_t i;

	for (i = 0; i < sizeof(ftypes) / sizeof(ftypes[0]); i++)
		if (ftypes[i].type == type)
			return &ftypes[i];
	return NULL;
}

static int
chan_ok(const struct ftype *t, uint32_t channel)
{
	switch (t->chan) {
	case CH_ZERO:
		return channel == 0;
	case CH_NONZERO:
		return channel != 0;
	default:
		return 1;
	}
}

/*
 * The string fields of a frame with strings, in wire order
 * (docs/PROTOCOL.md), and the size of the fixed part before them.  Return
 * the number of strings (0: the type has none).
 */
static int
frame_strings(const struct gw_frame *f, struct gw_str *s[NSTR_MAX],
    size_t *fixed)
{
	struct gw_frame *m = (struct gw_frame *)(uintptr_t)f;
	struct gw_identity *id = &m->u.open;
	struct gw_enroll *e = &m->u.enroll;
	struct gw_enroll_result *r = &m->u.enroll_result;

	switch (f->type) {
	case GW_T_OPEN:
		s[0] = &id->name; s[1] = &id->subject; s[2] = &id->san;
		s[3] = &id->serial; s[4] = &id->issuer; s[5] = &id->peer;
		*fixed = GW_FINGERPRINT_LEN;
		return OPEN_NSTR;
	case GW_T_ENROLL:
		s[0] = &e->request_id; s[1] = &e->token; s[2] = &e->csr;
		s[3] = &e->source; s[4] = &e->client_cert;
		*fixed = ENROLL_FIXED;
		return ENROLL_NSTR;
	case GW_T_ENROLL_RESULT:
		s[0] = &r->request_id; s[1] = &r->message; s[2] = &r->chain;
		*fixed = RESULT_FIXED;
		return RESULT_NSTR;
	default:
		return 0;
	}
}

/*
 * SEEN's ids: at least one (and a view to read them from), no more than
 * the hard limit holds (the encoder's caller may ask for more), none 0.
 */
static int
check_seen(const struct gw_frame *f)
{
	uint32_t i;

	if (f->u.seen.n == 0 || f->u.seen.ids == NULL)
		return GW_PERR_BAD_LENGTH;
	if (f->u.seen.n > GW_PAYLOAD_HARD_MAX / SEEN_ID)
		return GW_PERR_LEN_TOO_BIG;
	for (i = 0; i < f->u.seen.n; i++)
		if (gw_seen_id(f, i) == 0)
			return GW_PERR_BAD_VALUE;
	return GW_OK;
}

/*
 * OPEN's identity: a name; the extension's sans bounded, and its via (if
 * any) valid.  What is not written (no extension) is not checked.
 */
static int
check_open(const struct gw_identity *id)
{
	if (id->name.len == 0)
		return GW_PERR_BAD_STRING;
	if (!id->has_ext)
		return GW_OK;
	if (id->sans.len > GW_SANS_MAX ||
	    (id->has_via && gw_via_count(&id->via) < 0))
		return GW_PERR_BAD_STRING;
	return GW_OK;
}

/*
 * Value rules shared by decode and encode, checked once the fields are
 * known: versions, sequence numbers, credit, announced limits, name.
 */
static int
check_fields(const struct gw_frame *f)
{
	switch (f->type) {
	case GW_T_HELLO:
		if (f->u.hello.vmin == 0 || f->u.hello.vmin > f->u.hello.vmax)
			return GW_PERR_BAD_VERSION;
		if (f->u.hello.max_payload < GW_MAX_PAYLOAD_MIN)
			return GW_PERR_BAD_LENGTH;
		break;
	case GW_T_HELLO_ACK:
		if (f->u.hello_ack.version == 0)
			return GW_PERR_BAD_VERSION;
		if (f->u.hello_ack.max_payload < GW_MAX_PAYLOAD_MIN)
			return GW_PERR_BAD_LENGTH;
		break;
	case GW_T_DATA:
	case GW_T_COMMAND:
		if (f->u.data.seq == 0)
			return GW_PERR_BAD_SEQ;
		break;
	case GW_T_ACK:
	case GW_T_COMMAND_ACK:
		if (f->u.ack.seq == 0)
			return GW_PERR_BAD_SEQ;
		break;
	case GW_T_RESULT:
		if (f->u.result.id == 0)
			return GW_PERR_BAD_SEQ;
		if (f->u.result.outcome > GW_OUT_MAX ||
		    (f->u.result.flags & ~GW_RESULT_FLAGS_KNOWN) != 0)
			return GW_PERR_BAD_VALUE;
		break;
	case GW_T_CREDIT:
		if (f->u.credit.n == 0)
			return GW_PERR_BAD_CREDIT;
		break;
	case GW_T_OPEN:
		return check_open(&f->u.open);
	case GW_T_SEEN:
		return check_seen(f);
	case GW_T_ENROLL:
		if (f->u.enroll.ref == 0)
			return GW_PERR_BAD_VALUE;
		if (f->u.enroll.csr.len == 0 &&
		    f->u.enroll.request_id.len == 0)
			return GW_PERR_BAD_STRING;
		break;
	case GW_T_ENROLL_RESULT:
		if (f->u.enroll_result.ref == 0 ||
		    f->u.enroll_result.status > GW_ENROLL_STATUS_MAX)
			return GW_PERR_BAD_VALUE;
		if ((f->u.enroll_result.status == GW_ENROLL_ISSUED &&
		    f->u.enroll_result.chain.len == 0) ||
		    (f->u.enroll_result.status == GW_ENROLL_PENDING &&
		    f->u.enroll_result.request_id.len == 0))
			return GW_PERR_BAD_STRING;
		break;
	default:
		break;
	}
	return GW_OK;
}

/*
 * Decode the ${ns} strings of ${s} from ${p}[0..${n}) and set ${used} to
 * the bytes they take.
 */
static int
decode_strings(const uint8_t *p, size_t n, struct gw_str **s, int ns,
    size_t *used)
{
	size_t off = 0;
	uint16_t l;
	int i;

	for (i = 0; i < ns; i++) {
		if (n - off < 2)
			return GW_PERR_BAD_STRING;
		l = get16(p + off);
		off += 2;
		if (n - off < l)
			return GW_PERR_BAD_STRING;
		s[i]->p = p + off;
		s[i]->len = l;
		off += l;
	}
	*used = off;
	return GW_OK;
}

/*
 * The ${n} bytes at ${p} after OPEN's peer: none (a legacy OPEN), or the
 * identity extension: not_after and sans, then none or via, then nothing.
 */
static int
decode_open_ext(struct gw_identity *id, const uint8_t *p, size_t n)
{
	struct gw_str *s = &id->sans, *v = &id->via;
	size_t off, used;
	int rc;

	if (n == 0)
		return GW_OK;
	if (n < OPEN_EXT_MIN)
		return GW_PERR_BAD_LENGTH;
	id->has_ext = 1;
	id->not_after_ms = get64(p);
	if ((rc = decode_strings(p + 8, n - 8, &s, 1, &used)) != GW_OK)
		return rc;
	if ((off = 8 + used) == n)
		return GW_OK;
	id->has_via = 1;
	if ((rc = decode_strings(p + off, n - off, &v, 1, &used)) != GW_OK)
		return rc;
	return off + used == n ? GW_OK : GW_PERR_TRAILING;
}

/*
 * The strings of ${f} (a type with strings) after its fixed part, then
 * OPEN's extension; nothing may follow.
 */
static int
decode_tail(struct gw_frame *f)
{
	struct gw_str *s[NSTR_MAX];
	size_t fixed = 0, used;
	int ns, rc;

	if ((ns = frame_strings(f, s, &fixed)) == 0)
		return GW_OK;
	if ((rc = decode_strings(f->payload + fixed, f->len - fixed, s, ns,
	    &used)) != GW_OK)
		return rc;
	if (f->type == GW_T_OPEN)
		return decode_open_ext(&f->u.open, f->payload + fixed + used,
		    f->len - fixed - used);
	return fixed + used == f->len ? GW_OK : GW_PERR_TRAILING;
}

/* Fill ${f}->u from the ${f}->len bytes at ${f}->payload (length checked). */
static int
decode_fields(struct gw_frame *f)
{
	const uint8_t *p = f->payload;

	switch (f->type) {
	case GW_T_HELLO:
		f->u.hello.vmin = get16(p);
		f->u.hello.vmax = get16(p + 2);
		f->u.hello.caps = get32(p + 4);
		f->u.hello.max_payload = get32(p + 8);
		break;
	case GW_T_HELLO_ACK:
		f->u.hello_ack.version = get16(p);
		f->u.hello_ack.caps = get32(p + 2);
		f->u.hello_ack.max_payload = get32(p + 6);
		f->u.hello_ack.heartbeat_ms = get32(p + 10);
		f->u.hello_ack.last_seq = get64(p + 14);
		break;
	case GW_T_DATA:
	case GW_T_COMMAND:
		f->u.data.seq = get64(p);
		f->u.data.body.p = p + 8;
		f->u.data.body.len = f->len - 8;
		break;
	case GW_T_ACK:
		/* 8 bytes, or 12 with a credit of at least 1: nothing else. */
		if (f->len != ACK_LEN && f->len != ACK_CREDIT_LEN)
			return GW_PERR_BAD_LENGTH;
		f->u.ack.seq = get64(p);
		if (f->len == ACK_CREDIT_LEN &&
		    (f->u.ack.credit = get32(p + 8)) == 0)
			return GW_PERR_BAD_CREDIT;
		break;
	case GW_T_OPEN_ACK:
	case GW_T_COMMAND_ACK:
		f->u.ack.seq = get64(p);
		break;
	case GW_T_RESULT:
		f->u.result.id = get64(p);
		f->u.result.outcome = p[8];
		f->u.result.flags = p[9];
		f->u.result.status = (int32_t)get32(p + 10);
		f->u.result.output.p = p + CMD_RESULT_MIN;
		f->u.result.output.len = f->len - CMD_RESULT_MIN;
		break;
	case GW_T_CREDIT:
		f->u.credit.n = get32(p);
		break;
	case GW_T_PING:
	case GW_T_PONG:
		f->u.ping.opaque = get64(p);
		break;
	case GW_T_GOAWAY:
	case GW_T_ERROR:
	case GW_T_CLOSE:
		f->u.reason.code = get16(p);
		f->u.reason.text.p = p + 2;
		f->u.reason.text.len = (uint16_t)(f->len - 2);
		break;
	case GW_T_OPEN:
		memcpy(f->u.open.fingerprint, p, GW_FINGERPRINT_LEN);
		break;
	case GW_T_ENROLL:
		f->u.enroll.ref = get32(p);
		break;
	case GW_T_ENROLL_RESULT:
		f->u.enroll_result.ref = get32(p);
		f->u.enroll_result.status = get16(p + 4);
		f->u.enroll_result.reason = get16(p + 6);
		f->u.enroll_result.retry_after = get32(p + 8);
		break;
	case GW_T_SEEN:
		if (f->len % SEEN_ID != 0)
			return GW_PERR_BAD_LENGTH;
		f->u.seen.ids = p;
		f->u.seen.n = f->len / SEEN_ID;
		break;
	}
	return decode_tail(f);
}

/**
 * gw_frame_decode(buf, len, max_payload, out, consumed):
 * Decode one frame from the first ${len} bytes of ${buf}.  On GW_OK fill
 * ${out} (its pointers point into ${buf}) and set ${consumed} to the frame's
 * size.  Return GW_ENEED if ${buf} holds only a prefix of a valid frame, or
 * an enum gw_perr.  A payload longer than ${max_payload} is refused as soon
 * as the header is complete.
 */
/**
 * gw_frame_size(buf, len): the size of the frame that starts ${buf}, from
 * its header alone (no check), or 0 if ${len} is shorter than a header.
 */
size_t
gw_frame_size(const uint8_t *buf, size_t len)
{
	return len < GW_HDR_LEN ? 0 : GW_HDR_LEN + (size_t)get32(buf + 8);
}

int
gw_frame_decode(const uint8_t *buf, size_t len, size_t max_payload,
    struct gw_frame *out, size_t *consumed)
{
	const struct ftype *t;
	uint32_t plen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < GW_HDR_LEN)
		return GW_ENEED;

	/* Header checks: decided by the 12 header bytes alone. */
	if (buf[1] != 0)
		return GW_PERR_BAD_FLAGS;
	if (get16(buf + 2) != 0)
		return GW_PERR_BAD_RESERVED;
	plen = get32(buf + 8);
	if (plen > max_payload || plen > GW_PAYLOAD_HARD_MAX)
		return GW_PERR_LEN_TOO_BIG;
	t = ftype_find(buf[0]);
	if (t == NULL && buf[0] < GW_T_EXT_FIRST)
		return GW_PERR_UNKNOWN_TYPE;
	if (len - GW_HDR_LEN < plen)
		return GW_ENEED;

	out->type = buf[0];
	out->flags = buf[1];
	out->channel = get32(buf + 4);
	out->len = plen;
	out->payload = buf + GW_HDR_LEN;

	/* Per-type checks: channel, payload length, fields, values. */
	if (t != NULL) {
		if (!chan_ok(t, out->channel))
			return GW_PERR_BAD_CHANNEL;
		if (plen < t->min || plen > t->max)
			return GW_PERR_BAD_LENGTH;
		if ((rc = decode_fields(out)) != GW_OK)
			return rc;
		if ((rc = check_fields(out)) != GW_OK)
			return rc;
	}
	if (consumed != NULL)
		*consumed = GW_HDR_LEN + (size_t)plen;
	return GW_OK;
}

/*
 * Validate ${f} as the decoder would and compute its payload length into
 * ${plen}.  Return GW_OK or an enum gw_perr.
 */
static int
encode_check(const struct gw_frame *f, const struct ftype *t, uint64_t *plen)
{
	struct gw_str *s[NSTR_MAX];
	size_t fixed = 0;
	uint64_t n;
	int i, ns, rc;

	if (f->flags != 0)
		return GW_PERR_BAD_FLAGS;
	if (t == NULL) {
		if (f->type < GW_T_EXT_FIRST)
			return GW_PERR_UNKNOWN_TYPE;
		if (f->payload == NULL && f->len > 0)
			return GW_PERR_BAD_LENGTH;
		n = f->len;
		goto done;
	}
	if (!chan_ok(t, f->channel))
		return GW_PERR_BAD_CHANNEL;
	if ((rc = check_fields(f)) != GW_OK)
		return rc;
	switch (f->type) {
	case GW_T_DATA:
	case GW_T_COMMAND:
		if (f->u.data.body.p == NULL && f->u.data.body.len > 0)
			return GW_PERR_BAD_LENGTH;
		n = 8 + (uint64_t)f->u.data.body.len;
		break;
	case GW_T_RESULT:
		if (f->u.result.output.p == NULL && f->u.result.output.len > 0)
			return GW_PERR_BAD_LENGTH;
		n = CMD_RESULT_MIN + (uint64_t)f->u.result.output.len;
		break;
	case GW_T_GOAWAY:
	case GW_T_ERROR:
	case GW_T_CLOSE:
		if (f->u.reason.text.p == NULL && f->u.reason.text.len > 0)
			return GW_PERR_BAD_STRING;
		n = 2 + (uint64_t)f->u.reason.text.len;
		break;
	case GW_T_OPEN:
	case GW_T_ENROLL:
	case GW_T_ENROLL_RESULT:
		ns = frame_strings(f, s, &fixed);
		n = fixed;
		for (i = 0; i < ns; i++) {
			if (s[i]->p == NULL && s[i]->len > 0)
				return GW_PERR_BAD_STRING;
			n += 2 + (uint64_t)s[i]->len;
		}
		if (f->type == GW_T_OPEN && f->u.open.has_ext) {
			if (f->u.open.sans.p == NULL && f->u.open.sans.len > 0)
				return GW_PERR_BAD_STRING;
			n += OPEN_EXT_MIN + (uint64_t)f->u.open.sans.len;
			if (f->u.open.has_via)
				n += 2 + (uint64_t)f->u.open.via.len;
		}
		break;
	case GW_T_SEEN:
		n = SEEN_ID * (uint64_t)f->u.seen.n;
		break;
	case GW_T_ACK:
		n = f->u.ack.credit != 0 ? ACK_CREDIT_LEN : ACK_LEN;
		break;
	case GW_T_OPEN_ACK:
	case GW_T_COMMAND_ACK:
		if (f->u.ack.credit != 0)	/* only ACK has the field */
			return GW_PERR_BAD_LENGTH;
		n = t->min;
		break;
	default:
		n = t->min;	/* fixed size */
		break;
	}
done:
	if (n > GW_PAYLOAD_HARD_MAX)
		return GW_PERR_LEN_TOO_BIG;
	*plen = n;
	return GW_OK;
}

/* Write OPEN's identity extension of ${id} at ${p}: sans, then any via. */
static void
encode_open_ext(uint8_t *p, const struct gw_identity *id)
{
	p = put64(p, id->not_after_ms);
	p = put16(p, id->sans.len);
	p = putbytes(p, id->sans.p, id->sans.len);
	if (id->has_via) {
		p = put16(p, id->via.len);
		putbytes(p, id->via.p, id->via.len);
	}
}

/* Write the payload of defined type ${f}->type at ${p}. */
static void
encode_fields(uint8_t *p, const struct gw_frame *f)
{
	struct gw_str *s[NSTR_MAX];
	size_t fixed = 0;
	int i, ns;

	switch (f->type) {
	case GW_T_HELLO:
		p = put16(p, f->u.hello.vmin);
		p = put16(p, f->u.hello.vmax);
		p = put32(p, f->u.hello.caps);
		put32(p, f->u.hello.max_payload);
		break;
	case GW_T_HELLO_ACK:
		p = put16(p, f->u.hello_ack.version);
		p = put32(p, f->u.hello_ack.caps);
		p = put32(p, f->u.hello_ack.max_payload);
		p = put32(p, f->u.hello_ack.heartbeat_ms);
		put64(p, f->u.hello_ack.last_seq);
		break;
	case GW_T_DATA:
	case GW_T_COMMAND:
		p = put64(p, f->u.data.seq);
		putbytes(p, f->u.data.body.p, f->u.data.body.len);
		break;
	case GW_T_ACK:
	case GW_T_OPEN_ACK:
	case GW_T_COMMAND_ACK:
		p = put64(p, f->u.ack.seq);
		if (f->u.ack.credit != 0)	/* ACK: encode_check */
			put32(p, f->u.ack.credit);
		break;
	case GW_T_RESULT:
		p = put64(p, f->u.result.id);
		*p++ = f->u.result.outcome;
		*p++ = f->u.result.flags;
		p = put32(p, (uint32_t)f->u.result.status);
		putbytes(p, f->u.result.output.p, f->u.result.output.len);
		break;
	case GW_T_CREDIT:
		put32(p, f->u.credit.n);
		break;
	case GW_T_PING:
	case GW_T_PONG:
		put64(p, f->u.ping.opaque);
		break;
	case GW_T_GOAWAY:
	case GW_T_ERROR:
	case GW_T_CLOSE:
		p = put16(p, f->u.reason.code);
		putbytes(p, f->u.reason.text.p, f->u.reason.text.len);
		break;
	case GW_T_OPEN:
		p = putbytes(p, f->u.open.fingerprint, GW_FINGERPRINT_LEN);
		break;
	case GW_T_ENROLL:
		p = put32(p, f->u.enroll.ref);
		break;
	case GW_T_ENROLL_RESULT:
		p = put32(p, f->u.enroll_result.ref);
		p = put16(p, f->u.enroll_result.status);
		p = put16(p, f->u.enroll_result.reason);
		p = put32(p, f->u.enroll_result.retry_after);
		break;
	case GW_T_SEEN:
		putbytes(p, f->u.seen.ids, SEEN_ID * (size_t)f->u.seen.n);
		break;
	}
	ns = frame_strings(f, s, &fixed);
	for (i = 0; i < ns; i++) {
		p = put16(p, s[i]->len);
		p = putbytes(p, s[i]->p, s[i]->len);
	}
	if (f->type == GW_T_OPEN && f->u.open.has_ext)
		encode_open_ext(p, &f->u.open);
}

/**
 * gw_frame_encode(buf, cap, f):
 * Encode ${f} into ${buf} (capacity ${cap}).  The payload is built from the
 * typed fields of ${f}->u; ${f}->len and ${f}->payload are ignored except
 * for extension types, whose payload is copied as is.  Return the number of
 * bytes written, GW_ENOSPACE, or an enum gw_perr if ${f} is not a valid
 * frame (what encodes also decodes).
 */
int
gw_frame_encode(uint8_t *buf, size_t cap, const struct gw_frame *f)
{
	const struct ftype *t = ftype_find(f->type);
	uint64_t plen;
	uint8_t *p;
	int rc;

	if ((rc = encode_check(f, t, &plen)) != GW_OK)
		return rc;
	/* Nothing is written unless the whole frame fits. */
	if (cap < GW_HDR_LEN || cap - GW_HDR_LEN < plen)
		return GW_ENOSPACE;

	p = buf;
	*p++ = f->type;
	*p++ = 0;			/* flags */
	p = put16(p, 0);		/* reserved */
	p = put32(p, f->channel);
	p = put32(p, (uint32_t)plen);
	if (t == NULL)
		putbytes(p, f->payload, (size_t)plen);
	else
		encode_fields(p, f);
	return (int)(GW_HDR_LEN + plen);
}

/**
 * gw_seen_id(f, i): the ${i}th channel id (from 0, below ${f}->u.seen.n)
 * of SEEN frame ${f}.
 */
uint32_t
gw_seen_id(const struct gw_frame *f, uint32_t i)
{
	return get32(f->u.seen.ids + (size_t)i * SEEN_ID);
}

/**
 * gw_seen_put(ids, i, id): write channel id ${id} as the ${i}th id of the
 * SEEN id array ${ids} (big-endian, 4 bytes each), for u.seen.ids.
 */
void
gw_seen_put(uint8_t *ids, uint32_t i, uint32_t id)
{
	put32(ids + (size_t)i * SEEN_ID, id);
}
