/*
 * proto.c: names of the protocol v1 constants of proto.h, for logs and
 * metrics.  Constant tables only.
 */
#include <stddef.h>

#include "proto.h"

/* Reasons that may appear on the wire, by value. */
static const char *const reason_wire[] = {
	[GW_R_NORMAL]		= "normal",
	[GW_R_PROTOCOL]		= "protocol",
	[GW_R_VERSION]		= "version",
	[GW_R_UNEXPECTED]	= "unexpected",
	[GW_R_FLOW]		= "flow",
	[GW_R_TOO_BIG]		= "too-big",
	[GW_R_SEQUENCE]		= "sequence",
	[GW_R_SHUTDOWN]		= "shutdown",
	[GW_R_SUPERSEDED]	= "superseded",
	[GW_R_UPSTREAM_LOST]	= "upstream-lost",
	[GW_R_TIMEOUT]		= "timeout",
	[GW_R_POLICY]		= "policy",
	[GW_R_REVOKED]		= "revoked",
	[GW_R_OVERLOAD]		= "overload",
	[GW_R_INTERNAL]		= "internal",
	[GW_R_STORE]		= "store",
	[GW_R_BAD_CSR]		= "bad-csr",
	[GW_R_TOKEN_INVALID]	= "token-invalid",
	[GW_R_TOKEN_EXPIRED]	= "token-expired",
	[GW_R_TOKEN_USED]	= "token-used-up",
	[GW_R_DENIED]		= "denied",
	[GW_R_REQUEST_UNKNOWN]	= "request-unknown",
	[GW_R_REQUEST_EXPIRED]	= "request-expired",
	[GW_R_NAME_TAKEN]	= "name-taken",
};

/* Local-only reasons (never sent), from GW_R_PEER_CLOSED. */
static const char *const reason_local[] = {
	[GW_R_PEER_CLOSED - GW_R_PEER_CLOSED]	= "peer-closed",
	[GW_R_TLS_HANDSHAKE - GW_R_PEER_CLOSED]	= "tls-handshake",
	[GW_R_TLS_ERROR - GW_R_PEER_CLOSED]	= "tls-error",
	[GW_R_IO_ERROR - GW_R_PEER_CLOSED]	= "io-error",
	[GW_R_CONNECT - GW_R_PEER_CLOSED]	= "connect",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/** gw_reason_str(r): short lower-case name of reason ${r} ("protocol"). */
const char *
gw_reason_str(unsigned r)
{
	if (r < NELEM(reason_wire))
		return reason_wire[r];
	if (r >= GW_R_PEER_CLOSED && r - GW_R_PEER_CLOSED < NELEM(reason_local))
		return reason_local[r - GW_R_PEER_CLOSED];
	return "unknown";
}

/** gw_enroll_status_str(s): "issued", "pending" or "refused" (any other). */
const char *
gw_enroll_status_str(unsigned s)
{
	return s == GW_ENROLL_ISSUED ? "issued" : s == GW_ENROLL_PENDING ?
	    "pending" : "refused";
}

static const char *const outcome_names[] = {
	[GW_OUT_EXITED]		= "exited",
	[GW_OUT_KILLED]		= "killed",
	[GW_OUT_TIMEOUT]	= "timeout",
	[GW_OUT_NO_HANDLER]	= "no-handler",
	[GW_OUT_SPAWN]		= "spawn-failed",
	[GW_OUT_LOST]		= "lost",
};

/** gw_outcome_str(o): "exited", "killed", ... or "unknown". */
const char *
gw_outcome_str(unsigned o)
{
	return o < NELEM(outcome_names) ? outcome_names[o] : "unknown";
}

/* Defined frame types; gaps are NULL. */
static const char *const type_names[] = {
	[GW_T_HELLO]		= "HELLO",
	[GW_T_HELLO_ACK]	= "HELLO_ACK",
	[GW_T_DATA]		= "DATA",
	[GW_T_ACK]		= "ACK",
	[GW_T_CREDIT]		= "CREDIT",
	[GW_T_PING]		= "PING",
	[GW_T_PONG]		= "PONG",
	[GW_T_GOAWAY]		= "GOAWAY",
	[GW_T_ERROR]		= "ERROR",
	[GW_T_COMMAND]		= "COMMAND",
	[GW_T_ENROLL]		= "ENROLL",
	[GW_T_ENROLL_RESULT]	= "ENROLL_RESULT",
	[GW_T_COMMAND_ACK]	= "COMMAND_ACK",
	[GW_T_RESULT]		= "RESULT",
	[GW_T_OPEN]		= "OPEN",
	[GW_T_OPEN_ACK]		= "OPEN_ACK",
	[GW_T_CLOSE]		= "CLOSE",
	[GW_T_SEEN]		= "SEEN",
};

/** gw_type_str(t): name of frame type ${t} ("DATA"), "EXT" or "UNKNOWN". */
const char *
gw_type_str(unsigned t)
{
	if (t < NELEM(type_names) && type_names[t] != NULL)
		return type_names[t];
	if (t >= GW_T_EXT_FIRST && t <= 0xFF)
		return "EXT";
	return "UNKNOWN";
}
