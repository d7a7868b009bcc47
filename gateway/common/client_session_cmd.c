/*
 * client_session_cmd.c: COMMANDs on an agent session (PROTOCOL.md 9.7):
 * each one to the owner (on_command) when the session agreed
 * GW_CAP_COMMANDS, and the owner's answers, COMMAND_ACK and RESULT, out.
 * Part of the client session module: it shares client_session_impl.h.
 */
#include "client_session.h"
#include "client_session_impl.h"
#include "conn.h"
#include "frame.h"
#include "log.h"
#include "proto.h"

/**
 * client_session_command(s, f): COMMAND ${f} on the open session ${s}: to
 * the owner if the session agreed GW_CAP_COMMANDS, else logged and
 * ignored.  CONN_OK, or CONN_CLOSED_RC if the conn was closed.
 */
int
client_session_command(struct client_session *s, const struct gw_frame *f)
{
	if ((s->caps & GW_CAP_COMMANDS) == 0) {
		log_info("event=command id=%llu len=%u (ignored)",
		    (unsigned long long)f->u.data.seq, f->u.data.body.len);
		return CONN_OK;
	}
	if (f->u.data.seq > GW_SEQ_MAX) {
		conn_close_error(s->conn, GW_R_SEQUENCE,
		    "COMMAND id above 2^63-1");
		return CONN_CLOSED_RC;
	}
	log_debug("event=command id=%llu len=%u",
	    (unsigned long long)f->u.data.seq, f->u.data.body.len);
	s->p.on_command(f->u.data.seq, f->u.data.body.p, f->u.data.body.len,
	    s->p.arg);
	return s->conn == NULL ? CONN_CLOSED_RC : CONN_OK;
}

/**
 * client_session_caps(s): the capabilities (GW_CAP_*) the open session's
 * HELLO_ACK agreed, or 0 when no session is open.
 */
uint32_t
client_session_caps(const struct client_session *s)
{
	return client_session_open(s) && s->conn != NULL ? s->caps : 0;
}

/**
 * client_session_command_ack(s, id): send COMMAND_ACK(${id}) on the open
 * session.  0, or -1 if no session is open, GW_CAP_COMMANDS was not
 * agreed, or the output is full (the server sends the COMMAND again).
 */
int
client_session_command_ack(struct client_session *s, uint64_t id)
{
	struct gw_frame f = { .type = GW_T_COMMAND_ACK };

	if ((client_session_caps(s) & GW_CAP_COMMANDS) == 0)
		return -1;
	f.u.ack.seq = id;
	return conn_send(s->conn, &f) == 0 ? 0 : -1;
}

/**
 * client_session_result(s, id, outcome, flags, status, out, len): send
 * RESULT(${id}, ${outcome}, ${flags}, ${status}) with the ${len} bytes of
 * ${out}, cut to what the gateway's max_payload allows (then flags gets
 * GW_RESULT_TRUNCATED).  0, or -1 as client_session_command_ack().
 */
int
client_session_result(struct client_session *s, uint64_t id,
    unsigned outcome, unsigned flags, int32_t status, const uint8_t *out,
    size_t len)
{
	struct gw_frame f = { .type = GW_T_RESULT };
	size_t max;

	if ((client_session_caps(s) & GW_CAP_COMMANDS) == 0)
		return -1;
	max = s->peer_max - 14;		/* the codec: >= 64 */
	if (len > max) {
		len = max;
		flags |= GW_RESULT_TRUNCATED;
	}
	f.u.result.id = id;
	f.u.result.outcome = (uint8_t)outcome;
	f.u.result.flags = (uint8_t)flags;
	f.u.result.status = status;
	f.u.result.output.p = out;
	f.u.result.output.len = (uint32_t)len;
	return conn_send(s->conn, &f) == 0 ? 0 : -1;
}
