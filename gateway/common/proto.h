/*
 * proto.h: protocol v1 constants shared by every program: frame types,
 * flags, limits and reason codes.  docs/PROTOCOL.md is the specification;
 * this file and frame.c must match it.
 */
#ifndef GW_PROTO_H
#define GW_PROTO_H

#include <stdint.h>

#define GW_PROTO_VERSION_MIN	1
#define GW_PROTO_VERSION_MAX	1

#define GW_HDR_LEN		12	/* type, flags, reserved, channel, length */
#define GW_PAYLOAD_HARD_MAX	(16u * 1024 * 1024)	/* no config may exceed */
#define GW_FINGERPRINT_LEN	32	/* SHA-256 of the DER certificate */
#define GW_DEFAULT_MAX_PAYLOAD	16384
#define GW_MAX_PAYLOAD_MIN	64	/* smallest max_payload HELLO may announce */
/*
 * DATA and ACK sequence numbers lie in 1..GW_SEQ_MAX, 2^63-1 (last_seq in
 * HELLO_ACK and OPEN_ACK in 0..GW_SEQ_MAX): the stores keep them as signed
 * 64-bit integers.  The codec takes any 64-bit value; each program checks the
 * range where a seq enters it.
 */
#define GW_SEQ_MAX		UINT64_C(0x7fffffffffffffff)

/* ENROLL_RESULT status. */
enum gw_enroll_status {
	GW_ENROLL_ISSUED	= 0,	/* chain holds the certificate */
	GW_ENROLL_PENDING	= 1,	/* poll again with request_id */
	GW_ENROLL_REFUSED	= 2,	/* reason and message say why */
	GW_ENROLL_STATUS_MAX	= 2
};

/*
 * HELLO and HELLO_ACK caps bits.  A peer uses a capability only when both
 * announced it: HELLO says what the sender supports, HELLO_ACK what the
 * session will use (the bits of the HELLO the answering side supports too).
 */
#define GW_CAP_COMMANDS		0x1u	/* COMMAND_ACK and RESULT (9.7) */
#define GW_CAP_FLEET		0x2u	/* upstream: OPEN's identity
					   extension and SEEN (9.12) */
#define GW_CAP_CHAIN		0x4u	/* upstream: OPEN's via, the
					   gateways of a chain (9.13) */
#define GW_CAP_ACKCREDIT	0x8u	/* downstream: ACK may carry a credit
					   increment, instead of a CREDIT
					   frame beside it (9.4) */
/* The bits a link may agree (gw-mgmt's HELLO_ACK: the HELLO's of these). */
#define GW_CAPS_KNOWN		(GW_CAP_COMMANDS | GW_CAP_FLEET | \
				 GW_CAP_CHAIN)
/* The bits gatewayd agrees with an agent (its HELLO's of these). */
#define GW_CAPS_AGENT		(GW_CAPS_KNOWN | GW_CAP_ACKCREDIT)

/* The longest sans of OPEN's identity extension. */
#define GW_SANS_MAX		4096

/*
 * OPEN's via (GW_CAP_CHAIN): at most GW_VIA_MAX gateway names, each 1 to
 * GW_VIA_NAME_MAX bytes, separated by one space.
 */
#define GW_VIA_MAX		8
#define GW_VIA_NAME_MAX		64
#define GW_VIA_LEN_MAX		(GW_VIA_MAX * (GW_VIA_NAME_MAX + 1) - 1)

/*
 * RESULT outcome: how the agent's handler ended.  A command is done when
 * its outcome is EXITED with status 0, failed otherwise.
 */
enum gw_outcome {
	GW_OUT_EXITED		= 0,	/* status: its exit status (0..255) */
	GW_OUT_KILLED		= 1,	/* status: the signal that ended it */
	GW_OUT_TIMEOUT		= 2,	/* killed at the agent's timeout */
	GW_OUT_NO_HANDLER	= 3,	/* the agent runs no handler */
	GW_OUT_SPAWN		= 4,	/* could not start; status: errno */
	GW_OUT_LOST		= 5,	/* the agent stopped while it ran: the
					   outcome is unknown, never run again */
	GW_OUT_MAX		= 5
};

/*
 * Commands without a RESULT that a server keeps outstanding on one channel,
 * and that gatewayd remembers per agent session (9.7).
 */
#define GW_COMMANDS_INFLIGHT	16

/* RESULT flags. */
#define GW_RESULT_TRUNCATED	0x1u	/* output was cut at the agent's bound */
#define GW_RESULT_FLAGS_KNOWN	GW_RESULT_TRUNCATED

/* Frame types.  0x80-0xFF are extensions: a receiver ignores unknown ones. */
enum gw_type {
	GW_T_HELLO	= 0x01,
	GW_T_HELLO_ACK	= 0x02,
	GW_T_DATA	= 0x03,
	GW_T_ACK	= 0x04,
	GW_T_CREDIT	= 0x05,
	GW_T_PING	= 0x06,
	GW_T_PONG	= 0x07,
	GW_T_GOAWAY	= 0x08,
	GW_T_ERROR	= 0x09,
	GW_T_COMMAND	= 0x0A,
	GW_T_ENROLL	= 0x0B,	/* enrollment request (CSR, poll) */
	GW_T_ENROLL_RESULT = 0x0C,	/* issued, pending or refused */
	GW_T_COMMAND_ACK = 0x0D,	/* a COMMAND is taken (journaled) */
	GW_T_RESULT	= 0x0E,	/* a COMMAND's outcome */
	GW_T_OPEN	= 0x20,	/* upstream only */
	GW_T_OPEN_ACK	= 0x21,	/* upstream only */
	GW_T_CLOSE	= 0x22,	/* upstream only */
	GW_T_SEEN	= 0x23,	/* upstream only: channels heard */
	GW_T_EXT_FIRST	= 0x80
};

/*
 * Reason codes: carried by GOAWAY, ERROR and CLOSE, and used as the one
 * close reason of every connection in every program.  Values below 0x100 may
 * appear on the wire; values from 0x100 are local only (never sent).
 */
enum gw_reason {
	GW_R_NORMAL		= 0,	/* orderly end */
	GW_R_PROTOCOL		= 1,	/* malformed frame */
	GW_R_VERSION		= 2,	/* no common protocol version */
	GW_R_UNEXPECTED		= 3,	/* frame not valid in this state */
	GW_R_FLOW		= 4,	/* DATA sent without credit */
	GW_R_TOO_BIG		= 5,	/* frame larger than announced max */
	GW_R_SEQUENCE		= 6,	/* DATA sequence not increasing */
	GW_R_SHUTDOWN		= 7,	/* peer is going away */
	GW_R_SUPERSEDED		= 8,	/* same identity connected again */
	GW_R_UPSTREAM_LOST	= 9,	/* management server unavailable */
	GW_R_TIMEOUT		= 10,	/* peer too slow (HELLO, idle, ...) */
	GW_R_POLICY		= 11,	/* identity refused by policy */
	GW_R_REVOKED		= 12,	/* certificate revoked */
	GW_R_OVERLOAD		= 13,	/* limit reached (agents, buffers) */
	GW_R_INTERNAL		= 14,	/* bug or resource failure */
	GW_R_STORE		= 15,	/* durable store failed */
	GW_R_BAD_CSR		= 16,	/* CSR malformed, bad signature, weak key */
	GW_R_TOKEN_INVALID	= 17,	/* token forged, unknown or revoked */
	GW_R_TOKEN_EXPIRED	= 18,	/* token past its expiry */
	GW_R_TOKEN_USED		= 19,	/* token used up (use count) */
	GW_R_DENIED		= 20,	/* an operator or the hook said no */
	GW_R_REQUEST_UNKNOWN	= 21,	/* poll for a request never seen */
	GW_R_REQUEST_EXPIRED	= 22,	/* pending request expired */
	GW_R_NAME_TAKEN		= 23,	/* a valid certificate has the name */
	GW_R_WIRE_LAST		= 0xFF,

	GW_R_PEER_CLOSED	= 0x100,	/* TLS close_notify or EOF */
	GW_R_TLS_HANDSHAKE	= 0x101,	/* handshake failed */
	GW_R_TLS_ERROR		= 0x102,	/* TLS error after handshake */
	GW_R_IO_ERROR		= 0x103,	/* socket error */
	GW_R_CONNECT		= 0x104	/* connect() failed */
};

/** gw_reason_str(r): short lower-case name of reason ${r} ("protocol"). */
const char *gw_reason_str(unsigned r);

/** gw_enroll_status_str(s): "issued", "pending" or "refused" (any other). */
const char *gw_enroll_status_str(unsigned s);

/** gw_outcome_str(o): "exited", "killed", ... or "unknown". */
const char *gw_outcome_str(unsigned o);

/** gw_type_str(t): name of frame type ${t} ("DATA"), "EXT" or "UNKNOWN". */
const char *gw_type_str(unsigned t);

#endif /* GW_PROTO_H */
