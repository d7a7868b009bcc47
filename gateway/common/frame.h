/*
 * frame.h: the pure protocol v1 codec.  No I/O, no allocation, no global
 * state: the fuzzers, the unit tests and every program call exactly this.
 * Decoded frames are views into the caller's buffer (picohttpparser style).
 */
#ifndef GW_FRAME_H
#define GW_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Return codes.  GW_OK and GW_ENEED are not errors. */
#define GW_OK		0
#define GW_ENEED	(-1)	/* decode: a longer prefix is needed */
#define GW_ENOSPACE	(-2)	/* encode: the output buffer is too small */

/* Precise protocol errors from gw_frame_decode (and gw_frame_encode). */
enum gw_perr {
	GW_PERR_BAD_FLAGS	= -10,	/* flags not zero (v1 defines none) */
	GW_PERR_BAD_RESERVED	= -11,	/* header reserved field not zero */
	GW_PERR_LEN_TOO_BIG	= -12,	/* payload length above max_payload */
	GW_PERR_UNKNOWN_TYPE	= -13,	/* type < 0x80 and not defined */
	GW_PERR_BAD_LENGTH	= -14,	/* payload length wrong for type */
	GW_PERR_BAD_CHANNEL	= -15,	/* channel 0 / non-0 where not allowed */
	GW_PERR_BAD_VERSION	= -16,	/* version 0 or min > max */
	GW_PERR_BAD_SEQ		= -17,	/* sequence number 0 */
	GW_PERR_BAD_CREDIT	= -18,	/* credit increment 0 */
	GW_PERR_BAD_STRING	= -19,	/* string field overruns the payload */
	GW_PERR_TRAILING	= -20,	/* bytes after the last field */
	GW_PERR_BAD_VALUE	= -21	/* field value out of its range */
};

/* A (pointer, length) view of bytes inside a frame. */
struct gw_str {
	const uint8_t	*p;
	uint16_t	 len;
};

/* The agent identity attested by the gateway, carried by OPEN. */
struct gw_identity {
	uint8_t		fingerprint[GW_FINGERPRINT_LEN];
	struct gw_str	name;		/* certificate CN: the agent's name */
	struct gw_str	subject;	/* full subject DN */
	struct gw_str	san;		/* first DNS SAN, or empty */
	struct gw_str	serial;		/* serial, hex with colons */
	struct gw_str	issuer;		/* issuer DN */
	struct gw_str	peer;		/* source address "ip:port" */
	/* The extension (GW_CAP_FLEET): only if has_ext. */
	uint8_t		has_ext;	/* 0: legacy OPEN, nothing after peer */
	uint64_t	not_after_ms;	/* certificate notAfter, ms since the
					   epoch (UTC) */
	struct gw_str	sans;		/* every SAN, "TYPE:value" separated
					   by one space, <= GW_SANS_MAX */
	/* The chain (GW_CAP_CHAIN): only if has_ext and has_via. */
	uint8_t		has_via;	/* 0: nothing after sans */
	struct gw_str	via;		/* gateway names, the first the one
					   that verified the agent, the last
					   the sender; gw_via_count */
};

/* ENROLL: a new request (csr) or a poll (request_id). */
struct gw_enroll {
	uint32_t	ref;		/* correlation id, echoed; != 0 */
	struct gw_str	request_id;	/* poll: the id of a pending request */
	struct gw_str	token;		/* bootstrap token, or empty */
	struct gw_str	csr;		/* PKCS#10, DER, or empty (poll) */
	struct gw_str	source;		/* upstream: agent address seen */
	struct gw_str	client_cert;	/* upstream: DER of the verified TLS
					   client certificate (renewal) */
};

/* ENROLL_RESULT: the answer to one ENROLL. */
struct gw_enroll_result {
	uint32_t	ref;		/* the ENROLL's ref */
	uint16_t	status;		/* enum gw_enroll_status */
	uint16_t	reason;		/* enum gw_reason when refused */
	uint32_t	retry_after;	/* pending: seconds before polling */
	struct gw_str	request_id;	/* pending (and issued): the id */
	struct gw_str	message;	/* human-readable detail */
	struct gw_str	chain;		/* issued: PEM certificate chain */
};

struct gw_frame {
	uint8_t		 type;		/* enum gw_type or an extension */
	uint8_t		 flags;
	uint32_t	 channel;	/* 0: connection; else channel id */
	uint32_t	 len;		/* payload length */
	const uint8_t	*payload;	/* points into the decoded buffer */
	union {
		struct {
			uint16_t vmin, vmax;
			uint32_t caps;
			uint32_t max_payload;
		} hello;
		struct {
			uint16_t version;
			uint32_t caps;
			uint32_t max_payload;
			uint32_t heartbeat_ms;
			uint64_t last_seq;
		} hello_ack;
		struct {
			uint64_t seq;
			struct {
				const uint8_t *p;
				uint32_t len;
			} body;
		} data;			/* DATA and COMMAND (seq = command id) */
		struct {
			uint64_t seq;
			uint32_t credit;	/* ACK only (GW_CAP_ACKCREDIT):
						   credit granted with it, a
						   12-byte ACK; 0: none, the
						   8-byte ACK */
		} ack;			/* ACK, OPEN_ACK (last_seq) and
					   COMMAND_ACK (seq = command id) */
		struct {
			uint64_t id;	/* the COMMAND's */
			uint8_t	 outcome;	/* enum gw_outcome */
			uint8_t	 flags;		/* GW_RESULT_* */
			int32_t	 status;	/* exit status, signal, errno */
			struct {
				const uint8_t *p;
				uint32_t len;
			} output;	/* what the handler wrote (bounded) */
		} result;
		struct {
			uint32_t n;
		} credit;
		struct {
			uint64_t opaque;
		} ping;			/* PING and PONG */
		struct {
			uint16_t code;	/* enum gw_reason */
			struct gw_str text;
		} reason;		/* GOAWAY, ERROR and CLOSE */
		struct {
			const uint8_t *ids;	/* n big-endian u32 ids:
						   gw_seen_id */
			uint32_t n;		/* >= 1 */
		} seen;
		struct gw_identity open;
		struct gw_enroll enroll;
		struct gw_enroll_result enroll_result;
	} u;
};

/**
 * gw_frame_decode(buf, len, max_payload, out, consumed):
 * Decode one frame from the first ${len} bytes of ${buf}.  On GW_OK fill
 * ${out} (its pointers point into ${buf}) and set ${consumed} to the frame's
 * size.  Return GW_ENEED if ${buf} holds only a prefix of a valid frame, or
 * an enum gw_perr.  A payload longer than ${max_payload} is refused as soon
 * as the header is complete.
 */
int gw_frame_decode(const uint8_t *buf, size_t len, size_t max_payload,
    struct gw_frame *out, size_t *consumed);

/**
 * gw_frame_encode(buf, cap, f):
 * Encode ${f} into ${buf} (capacity ${cap}).  The payload is built from the
 * typed fields of ${f}->u; ${f}->len and ${f}->payload are ignored except
 * for extension types, whose payload is copied as is.  Return the number of
 * bytes written, GW_ENOSPACE, or an enum gw_perr if ${f} is not a valid
 * frame (what encodes also decodes).
 */
int gw_frame_encode(uint8_t *buf, size_t cap, const struct gw_frame *f);

/**
 * gw_seen_id(f, i): the ${i}th channel id (from 0, below ${f}->u.seen.n)
 * of SEEN frame ${f}.
 */
uint32_t gw_seen_id(const struct gw_frame *f, uint32_t i);

/**
 * gw_seen_put(ids, i, id): write channel id ${id} as the ${i}th id of the
 * SEEN id array ${ids} (big-endian, 4 bytes each), for u.seen.ids.
 */
void gw_seen_put(uint8_t *ids, uint32_t i, uint32_t id);

/**
 * gw_via_count(via): the number of names (1..GW_VIA_MAX) of OPEN's ${via},
 * or -1 if it is not a valid via: empty, an empty name (a space first,
 * last or twice), a name above GW_VIA_NAME_MAX bytes, a byte not printable
 * ASCII or one of space (except between names), '"' and '\', or more than
 * GW_VIA_MAX names.
 */
int gw_via_count(const struct gw_str *via);

/**
 * gw_via_last(via): the last name of the valid via ${via} (the gateway
 * that sent the OPEN).
 */
struct gw_str gw_via_last(const struct gw_str *via);

/**
 * gw_via_has(via, name): 1 if one of the names of the valid via ${via} is
 * ${name} (byte for byte), else 0.
 */
int gw_via_has(const struct gw_str *via, const struct gw_str *name);

/**
 * gw_str_cstr(s, buf, len): view ${s} as a C string in ${buf} (capacity
 * ${len}).  Return 0, or -1 if it does not fit or holds a NUL byte.
 */
int gw_str_cstr(const struct gw_str *s, char *buf, size_t len);

/**
 * gw_str_bytes(p, len): a view of the ${len} bytes at ${p} (of its first
 * 65535 bytes if longer: the caller checks a length that may be).
 */
struct gw_str gw_str_bytes(const void *p, size_t len);

/**
 * gw_str_text(s): a view of the C string ${s} without its NUL (of its
 * first 65535 bytes if longer), or an empty view if ${s} is NULL.
 */
struct gw_str gw_str_text(const char *s);

/* The longest reason text gw_frame_goaway puts in a GOAWAY (rest cut). */
#define GW_GOAWAY_TEXT_MAX	200

/**
 * gw_frame_goaway(text): a GOAWAY, reason shutdown, with ${text} (its
 * first GW_GOAWAY_TEXT_MAX bytes; ${text} must outlive the frame).
 */
struct gw_frame gw_frame_goaway(const char *text);

/**
 * gw_frame_size(buf, len): the size of the frame that starts ${buf}, from
 * its header alone (no check), or 0 if ${len} is shorter than a header.
 */
size_t gw_frame_size(const uint8_t *buf, size_t len);

/** gw_perr_str(rc): a short message for any return code of this module. */
const char *gw_perr_str(int rc);

#endif /* GW_FRAME_H */
