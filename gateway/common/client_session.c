/*
 * client_session.c: the agent side of the downstream session (see
 * client_session.h).  One conn at a time; the queue survives reconnects.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client_session.h"
#include "client_session_impl.h"
#include "conn.h"
#include "failover.h"
#include "frame.h"
#include "log.h"
#include "proto.h"

#define CLIENT_MAX_PAYLOAD	65536
#define CLIENT_HB_MISSES		3
#define CLIENT_REFUSED_MAX	3	/* failed handshakes in a row, each */


#define CS_BIT(st)	(1u << (st))

/*
 * The transitions client_session_set_state() allows: from each state, the
 * states it may go to.  Any state may finish; a conn's end (on_close) is
 * CS_IDLE from every state that has one.
 */
static const unsigned client_session_next[CS_NSTATES] = {
	[CS_IDLE] = CS_BIT(CS_CONNECTING) | CS_BIT(CS_FINISHED),
	[CS_CONNECTING] = CS_BIT(CS_HELLO_WAIT) | CS_BIT(CS_IDLE) |
	    CS_BIT(CS_FINISHED),
	[CS_HELLO_WAIT] = CS_BIT(CS_HELLO_DRAINING) | CS_BIT(CS_OPEN) |
	    CS_BIT(CS_IDLE) | CS_BIT(CS_FINISHED),
	[CS_HELLO_DRAINING] = CS_BIT(CS_DRAINING) | CS_BIT(CS_IDLE) |
	    CS_BIT(CS_FINISHED),
	[CS_OPEN] = CS_BIT(CS_DRAINING) | CS_BIT(CS_LEAVING) |
	    CS_BIT(CS_IDLE) | CS_BIT(CS_FINISHED),
	[CS_DRAINING] = CS_BIT(CS_IDLE) | CS_BIT(CS_FINISHED),
	[CS_LEAVING] = CS_BIT(CS_IDLE) | CS_BIT(CS_FINISHED),
	[CS_FINISHED] = 0
};

/** client_session_state_str(st): the name of state ${st}. */
const char *
client_session_state_str(enum client_session_state st)
{
	static const char *const names[CS_NSTATES] = {
		"idle", "connecting", "hello-wait", "hello-draining", "open",
		"draining", "leaving", "finished"
	};

	return (unsigned)st < CS_NSTATES ? names[st] : "?";
}

/**
 * client_session_set_state(s, st): the one place that changes ${s}'s
 * state: to ${st}, logged; a transition that client_session_next does
 * not allow aborts.
 */
void
client_session_set_state(struct client_session *s,
    enum client_session_state st)
{
	if (s->state == st)
		return;
	if ((client_session_next[s->state] & CS_BIT(st)) == 0) {
		log_errx("event=bad_transition from=%s to=%s",
		    client_session_state_str(s->state),
		    client_session_state_str(st));
		abort();	/* a bug: no state may be skipped */
	}
	log_debug("event=state from=%s to=%s",
	    client_session_state_str(s->state), client_session_state_str(st));
	s->state = st;
}

/* HELLO sent, HELLO_ACK not yet received. */
static int
client_session_hello_wait(const struct client_session *s)
{
	return s->state == CS_HELLO_WAIT || s->state == CS_HELLO_DRAINING;
}

/* Finish at once if the input ended and every line is acknowledged. */
static int
client_session_check_done(struct client_session *s)
{
	if (!s->eof || !s->ever_open || sendq_len(s->p.queue) != 0 ||
	    s->status != CLIENT_ST_RUNNING)
		return 0;
	log_info("event=done acked=%llu", (unsigned long long)s->acked);
	client_session_fail(s, CLIENT_ST_DONE, "");
	return 1;
}

/* Send queued lines while credit and output space allow. */
static void
client_session_flush(struct client_session *s)
{
	const struct sendq_ent *e;
	struct gw_frame f;
	int rc;

	if (s->state != CS_OPEN || s->conn == NULL)
		return;
	/* Numbers first, made durable, then the lines go out under them. */
	if (sendq_number(s->p.queue, s->credit) > 0 &&
	    s->p.before_send != NULL && s->p.before_send(s->p.arg) != 0) {
		client_session_fail(s, CLIENT_ST_FAIL, "gw-agent: cannot write "
		    "the state file");
		return;
	}
	while (s->credit > 0 && (e = sendq_next(s->p.queue)) != NULL) {
		if (e->len + 8 > s->peer_max) {
			snprintf(s->msg, sizeof(s->msg), "gw-agent: line with "
			    "seq %llu is longer than the gateway accepts (%u)",
			    (unsigned long long)e->seq, s->peer_max);
			client_session_fail(s, CLIENT_ST_FAIL, s->msg);
			return;
		}
		memset(&f, 0, sizeof(f));
		f.type = GW_T_DATA;
		f.u.data.seq = e->seq;
		f.u.data.body.p = (const uint8_t *)e->body;
		f.u.data.body.len = (uint32_t)e->len;
		rc = conn_send(s->conn, &f);
		if (rc == GW_ENOSPACE)
			return;		/* on_writable resumes */
		if (rc < 0) {
			log_warnx("event=send_failed seq=%llu err=\"%s\"",
			    (unsigned long long)e->seq, gw_perr_str(rc));
			conn_close(s->conn, GW_R_INTERNAL, gw_perr_str(rc));
			return;
		}
		sendq_advance(s->p.queue);
		s->credit--;
	}
}

static const char *
client_session_gw(const struct client_session *s)
{
	return s->active >= 0 ? s->p.gateways[s->active] : "-";
}

/* PING a silent gateway; leave one silent for too long (hung). */
static void
client_session_heartbeat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client_session *s = client_session_arg(w->data);
	struct gw_frame f;

	(void)revents;
	if (s->conn == NULL || (!client_session_open(s) &&
	    !client_session_hello_wait(s)))
		return;
	switch (fo_hb_check(&s->hb, ev_now(loop), &s->pol)) {
	case FO_HB_PING:	/* after our HELLO, so the gateway takes it */
		memset(&f, 0, sizeof(f));
		f.type = GW_T_PING;
		f.u.ping.opaque = ++s->ping_id;
		(void)conn_send(s->conn, &f);	/* full: traffic enough */
		break;
	case FO_HB_DEAD:
		if (conn_input_pending(s->conn)) {	/* we were late */
			fo_hb_rx(&s->hb, ev_now(loop));
			break;
		}
		conn_close(s->conn, GW_R_TIMEOUT, "gateway heartbeat missed");
		break;
	case FO_HB_WAIT:
		break;
	}
}

/*
 * The caps our HELLO offers: COMMANDS only when the owner answers them;
 * ACKCREDIT unless the owner plays an agent of before it (legacy_acks).
 */
static uint32_t
client_session_offer(const struct client_session *s)
{
	return (s->p.on_command != NULL ? GW_CAP_COMMANDS : 0) |
	    (s->p.legacy_acks ? 0 : GW_CAP_ACKCREDIT);
}

static int
client_session_on_open(struct conn *c, void *arg)
{
	struct client_session *s = client_session_arg(arg);
	struct gw_frame f;

	log_info("event=connected gateway=%s tls=%s resumed=%s",
	    client_session_gw(s), conn_tls_info(c),
	    conn_resumed(c) ? "yes" : "no");
	conn_timer(c, 0);
	fo_hb_start(&s->hb, ev_now(s->loop));
	memset(&f, 0, sizeof(f));
	f.type = GW_T_HELLO;
	f.u.hello.vmin = GW_PROTO_VERSION_MIN;
	f.u.hello.vmax = GW_PROTO_VERSION_MAX;
	f.u.hello.caps = client_session_offer(s);
	f.u.hello.max_payload = CLIENT_MAX_PAYLOAD;
	if (conn_send(c, &f) != 0) {
		conn_close(c, GW_R_INTERNAL, "cannot send HELLO");
		return CONN_CLOSED_RC;
	}
	client_session_set_state(s, CS_HELLO_WAIT);
	return CONN_OK;
}

static int
client_session_hello_ack(struct client_session *s, const struct gw_frame *f)
{
	size_t dropped;

	if (f->u.hello_ack.version < GW_PROTO_VERSION_MIN ||
	    f->u.hello_ack.version > GW_PROTO_VERSION_MAX) {
		conn_close_error(s->conn, GW_R_VERSION, "version not offered");
		return CONN_CLOSED_RC;
	}
	if (f->u.hello_ack.last_seq > GW_SEQ_MAX) {
		conn_close_error(s->conn, GW_R_SEQUENCE,
		    "last_seq above 2^63-1");
		return CONN_CLOSED_RC;
	}
	s->peer_max = f->u.hello_ack.max_payload;
	/* Only what we offered: a bit we did not announce is not agreed. */
	s->caps = f->u.hello_ack.caps & client_session_offer(s);
	/*
	 * A last_seq above our own numbering is someone else's writing
	 * under our name: taking it would drop our unacknowledged lines as
	 * durable.  Stop instead, the queue (and the journal) as they are.
	 */
	if (sendq_foreign(s->p.queue, f->u.hello_ack.last_seq)) {
		snprintf(s->msg, sizeof(s->msg), "gw-agent: the store holds "
		    "seq %llu for this identity, above this agent's numbering "
		    "(next %llu): another agent writes under this name; "
		    "stopping with %zu line(s) queued",
		    (unsigned long long)f->u.hello_ack.last_seq,
		    (unsigned long long)sendq_next_seq(s->p.queue),
		    sendq_len(s->p.queue));
		log_errx("event=foreign_last_seq last_seq=%llu next_seq=%llu "
		    "queued=%zu", (unsigned long long)f->u.hello_ack.last_seq,
		    (unsigned long long)sendq_next_seq(s->p.queue),
		    sendq_len(s->p.queue));
		client_session_fail(s, CLIENT_ST_FAIL, s->msg);
		return CONN_CLOSED_RC;
	}
	dropped = sendq_hello(s->p.queue, f->u.hello_ack.last_seq);
	s->acked += dropped;
	if (dropped > 0 && s->p.on_acked != NULL) {
		s->p.on_acked(f->u.hello_ack.last_seq, s->p.arg);
		/* The owner may have stopped us (its input failed). */
		if (s->status != CLIENT_ST_RUNNING)
			return CONN_CLOSED_RC;
	}
	s->refused = 0;
	s->ever_open = 1;
	if (s->gws[s->active].health != FO_UP)
		log_info("event=gateway_health gateway=%s to=up",
		    client_session_gw(s));
	fo_up(&s->gws[s->active], ev_now(s->loop));
	client_session_set_state(s, s->state == CS_HELLO_DRAINING ?
	    CS_DRAINING : CS_OPEN);
	log_info("event=hello_ack last_seq=%llu next_seq=%llu queued=%zu "
	    "heartbeat_ms=%u", (unsigned long long)f->u.hello_ack.last_seq,
	    (unsigned long long)sendq_next_seq(s->p.queue),
	    sendq_len(s->p.queue), f->u.hello_ack.heartbeat_ms);
	/* The gateway's PING interval, unless ours is shorter. */
	fo_policy_heartbeat(&s->pol, s->p.heartbeat,
	    f->u.hello_ack.heartbeat_ms / 1000.0);
	if (client_session_check_done(s))
		return CONN_CLOSED_RC;
	return CONN_OK;
}

/* ERROR or GOAWAY from the gateway. */
static int
client_session_reason(struct client_session *s, const struct gw_frame *f)
{
	char text[256], et[LOG_ESC_MAX];
	unsigned code = f->u.reason.code;

	snprintf(text, sizeof(text), "%.*s", (int)f->u.reason.text.len,
	    (const char *)f->u.reason.text.p);
	/* The gateway's text, escaped for the log and our exit message. */
	log_esc(et, sizeof(et), f->u.reason.text.p, f->u.reason.text.len, 0);
	log_warnx("event=%s code=%s detail=\"%s\"",
	    f->type == GW_T_GOAWAY ? "goaway" : "error", gw_reason_str(code),
	    et);
	if (f->type == GW_T_GOAWAY) {
		/*
		 * Send nothing new; the gateway closes once it has what we
		 * sent acknowledged, and we move to another gateway.
		 */
		client_session_set_state(s, client_session_hello_wait(s) ?
		    CS_HELLO_DRAINING : CS_DRAINING);
		fo_down(&s->gws[s->active], code == GW_R_UPSTREAM_LOST ?
		    FO_R_UPSTREAM_LOST : FO_R_GOAWAY, ev_now(s->loop),
		    &s->pol, (uint32_t)random());
		return CONN_OK;
	}
	/*
	 * superseded: another agent connected under our name; reconnecting
	 * would only close its session in turn.
	 */
	if (f->type == GW_T_ERROR && (code == GW_R_POLICY ||
	    code == GW_R_REVOKED || code == GW_R_VERSION ||
	    code == GW_R_SUPERSEDED)) {
		snprintf(s->msg, sizeof(s->msg),
		    "gw-agent: gateway refused us: %s: %s",
		    gw_reason_str(code), et);
		client_session_fail(s, CLIENT_ST_REFUSED, s->msg);
		return CONN_CLOSED_RC;
	}
	conn_close(s->conn, code, text);
	return CONN_CLOSED_RC;
}

/*
 * ACK on an open session: drop what it acknowledges; a credit in it
 * (GW_CAP_ACKCREDIT, agreed or the session ends) adds as a CREDIT does.
 */
static int
client_session_ack(struct client_session *s, const struct gw_frame *f)
{
	size_t dropped;

	if (f->u.ack.seq > GW_SEQ_MAX) {
		conn_close_error(s->conn, GW_R_SEQUENCE, "ACK above 2^63-1");
		return CONN_CLOSED_RC;
	}
	if (f->u.ack.credit != 0 && !(s->caps & GW_CAP_ACKCREDIT)) {
		conn_close_error(s->conn, GW_R_PROTOCOL,
		    "ACK with a credit, ACKCREDIT not agreed");
		return CONN_CLOSED_RC;
	}
	s->credit += f->u.ack.credit;	/* used once on_acked ran */
	dropped = sendq_ack(s->p.queue, f->u.ack.seq);
	s->acked += dropped;
	log_debug("event=ack seq=%llu dropped=%zu credit=%u",
	    (unsigned long long)f->u.ack.seq, dropped, f->u.ack.credit);
	if (dropped > 0 && s->p.on_acked != NULL)
		s->p.on_acked(f->u.ack.seq, s->p.arg);
	if (client_session_check_done(s) || s->conn == NULL)
		return CONN_CLOSED_RC;
	if (f->u.ack.credit != 0)
		client_session_flush(s);
	return s->conn == NULL ? CONN_CLOSED_RC : CONN_OK;
}

static int
client_session_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct client_session *s = client_session_arg(arg);
	struct gw_frame r;

	(void)c;
	fo_hb_rx(&s->hb, ev_now(s->loop));
	if (f->type >= GW_T_EXT_FIRST)
		return CONN_OK;		/* unknown extension: ignore */
	if (f->channel != 0) {
		conn_close_error(s->conn, GW_R_PROTOCOL, "channel not 0");
		return CONN_CLOSED_RC;
	}
	switch (f->type) {
	case GW_T_ERROR:
	case GW_T_GOAWAY:
		return client_session_reason(s, f);
	case GW_T_PING:
		memset(&r, 0, sizeof(r));
		r.type = GW_T_PONG;
		r.u.ping.opaque = f->u.ping.opaque;
		(void)conn_send(s->conn, &r);
		return CONN_OK;
	case GW_T_PONG:
		return CONN_OK;
	case GW_T_HELLO_ACK:
		if (!client_session_hello_wait(s))
			break;
		if (client_session_hello_ack(s, f) != CONN_OK)
			return CONN_CLOSED_RC;
		client_session_flush(s);
		if (s->conn != NULL && s->p.on_open != NULL)
			s->p.on_open(s->p.arg);
		return s->conn == NULL ? CONN_CLOSED_RC : CONN_OK;
	case GW_T_ENROLL_RESULT:
		if (!client_session_open(s))
			break;
		if (s->p.on_enroll != NULL)
			s->p.on_enroll(&f->u.enroll_result, s->p.arg);
		return s->conn == NULL ? CONN_CLOSED_RC : CONN_OK;
	case GW_T_CREDIT:
		if (!client_session_open(s))
			break;
		s->credit += f->u.credit.n;
		client_session_flush(s);
		return s->conn == NULL ? CONN_CLOSED_RC : CONN_OK;
	case GW_T_ACK:
		if (!client_session_open(s))
			break;
		return client_session_ack(s, f);
	case GW_T_COMMAND:
		if (!client_session_open(s))
			break;
		return client_session_command(s, f);
	default:
		break;
	}
	log_warnx("event=unexpected_frame type=%s state=%s",
	    gw_type_str(f->type), client_session_state_str(s->state));
	conn_close_error(s->conn, GW_R_UNEXPECTED,
	    "frame not valid in this state");
	return CONN_CLOSED_RC;
}

static void
client_session_on_writable(struct conn *c, void *arg)
{
	struct client_session *s = client_session_arg(arg);

	(void)c;
	client_session_flush(s);
}

/* Connect to the best gateway that may be tried, now or when one may. */
static void
client_session_retry_later(struct client_session *s)
{
	double now = ev_now(s->loop), d = 0;

	if (fo_choose(s->gws, s->p.ngateways, now) < 0)
		d = fo_next_retry(s->gws, s->p.ngateways) - now;
	if (d < 0.001)
		d = 0.001;
	log_debug("event=reconnect_in seconds=%.3f", d);
	ev_timer_set(&s->retry, d, 0.);
	ev_timer_start(s->loop, &s->retry);
}

/* What the end of a connection says about its gateway. */
static enum fo_reason
client_session_fo_reason(enum client_session_state was, unsigned reason)
{
	if (was == CS_LEAVING || was == CS_DRAINING ||
	    was == CS_HELLO_DRAINING)
		return FO_R_NONE;	/* not a failure / counted already */
	switch (reason) {
	case GW_R_CONNECT:
		return FO_R_REFUSED;
	case GW_R_TIMEOUT:
		return was == CS_CONNECTING ? FO_R_CONNECT_TIMEOUT :
		    FO_R_HEARTBEAT;
	case GW_R_TLS_HANDSHAKE:
	case GW_R_TLS_ERROR:
		return FO_R_TLS;
	case GW_R_PROTOCOL:
	case GW_R_UNEXPECTED:
	case GW_R_VERSION:
	case GW_R_TOO_BIG:
		return FO_R_PROTOCOL;
	case GW_R_UPSTREAM_LOST:	/* the gateway is cut off */
		return FO_R_UPSTREAM_LOST;
	default:
		return FO_R_CLOSED;
	}
}

static void
client_session_on_close(struct conn *c, unsigned reason, const char *detail,
    void *arg)
{
	struct client_session *s = client_session_arg(arg);
	enum client_session_state was = s->state;
	enum fo_reason why = client_session_fo_reason(was, reason);
	char ed[LOG_ESC_MAX];	/* may be the gateway's ERROR text */

	(void)c;
	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	s->conn = NULL;
	s->credit = 0;
	s->caps = 0;
	ev_timer_stop(s->loop, &s->heartbeat);
	sendq_rewind(s->p.queue);
	if (s->status != CLIENT_ST_RUNNING) {
		log_debug("event=disconnected reason=%s detail=\"%s\"",
		    gw_reason_str(reason), ed);
		return;
	}
	log_warnx("event=disconnected gateway=%s reason=%s detail=\"%s\" "
	    "state=%s unacked=%zu", client_session_gw(s),
	    gw_reason_str(reason), ed, client_session_state_str(was),
	    sendq_len(s->p.queue));
	client_session_set_state(s, CS_IDLE);
	if (why != FO_R_NONE) {
		fo_down(&s->gws[s->active], why, ev_now(s->loop), &s->pol,
		    (uint32_t)random());
		log_warnx("event=gateway_health gateway=%s to=down reason=%s "
		    "fails=%u", client_session_gw(s), fo_reason_str(why),
		    s->gws[s->active].fails);
	}
	/*
	 * A refused certificate shows as a failed handshake, or with TLS 1.3
	 * (the client finishes first) as a fatal alert before HELLO_ACK.
	 * Only a HELLO_ACK resets the count.  A connection closed or reset
	 * without an alert (peer-closed: a gateway shedding load in a
	 * reconnect storm) is no refusal: it is retried, forever.
	 */
	if (reason == GW_R_TLS_HANDSHAKE || ((was == CS_HELLO_WAIT ||
	    was == CS_HELLO_DRAINING) && reason == GW_R_TLS_ERROR)) {
		if (++s->refused >= CLIENT_REFUSED_MAX *
		    (int)s->p.ngateways) {
			/* "certificate ...": our check of the gateway's. */
			if (strncmp(detail, "certificate ", 12) == 0)
				snprintf(s->msg, sizeof(s->msg),
				    "gw-agent: we refused the gateway's "
				    "certificate %d times (--ca must be its "
				    "CA, --server-name a name in it): %s",
				    s->refused, ed);
			else
				snprintf(s->msg, sizeof(s->msg),
				    "gw-agent: gateway refused us: TLS failed "
				    "during the handshake %d times (is our "
				    "certificate from the gateway's agent CA, "
				    "and valid?): %s", s->refused, ed);
			client_session_fail(s, CLIENT_ST_REFUSED, s->msg);
			return;
		}
	}
	client_session_retry_later(s);
}

static const struct conn_ops client_session_ops = {
	.on_open = client_session_on_open,
	.on_frame = client_session_on_frame,
	.on_writable = client_session_on_writable,
	.on_timeout = NULL,
	.on_close = client_session_on_close
};

static void
client_session_connect(struct client_session *s)
{
	struct conn_params cp = {
		.in_cap = CLIENT_MAX_PAYLOAD + 64,
		.out_cap = 256 * 1024,
		.max_payload = CLIENT_MAX_PAYLOAD,
		.server_name = s->p.server_name,
		.record_per_frame = s->p.record_per_frame
	};

	int i = fo_choose(s->gws, s->p.ngateways, ev_now(s->loop));

	if (i < 0) {
		client_session_retry_later(s);
		return;
	}
	if (i != s->active && s->active >= 0)
		log_warnx("event=%s from=%s to=%s reason=%s", i < s->active ?
		    "failback" : "failover", client_session_gw(s),
		    s->p.gateways[i], i < s->active ? "better-gateway-up" :
		    fo_reason_str(s->gws[s->active].reason));
	s->active = i;
	client_session_set_state(s, CS_CONNECTING);
	s->credit = 0;
	cp.ticket = &s->tickets[i];
	s->conn = conn_connect(s->loop, s->p.gateways[i], s->p.tls, &cp,
	    &client_session_ops, s);
	if (s->conn == NULL && errno == EINVAL) {
		snprintf(s->msg, sizeof(s->msg), "gw-agent: bad gateway "
		    "address %s (want host:port)", s->p.gateways[i]);
		client_session_fail(s, CLIENT_ST_FAIL, s->msg);
		return;
	}
	if (s->conn == NULL) {
		log_warn("event=disconnected gateway=%s reason=%s",
		    s->p.gateways[i], gw_reason_str(GW_R_CONNECT));
		client_session_set_state(s, CS_IDLE);
		fo_down(&s->gws[i], FO_R_REFUSED, ev_now(s->loop), &s->pol,
		    (uint32_t)random());
		client_session_retry_later(s);
		return;
	}
	conn_timer(s->conn, s->p.connect_timeout);
	fo_hb_start(&s->hb, ev_now(s->loop));
	ev_timer_set(&s->heartbeat, s->p.heartbeat / 4, s->p.heartbeat / 4);
	ev_timer_start(s->loop, &s->heartbeat);
}

static void
client_session_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client_session *s = client_session_arg(w->data);

	(void)loop;
	(void)revents;
	if (s->status == CLIENT_ST_RUNNING && s->conn == NULL)
		client_session_connect(s);
}

/**
 * client_session_new(loop, p): a session on ${loop} with the parameters
 * ${p} (copied; the strings, tls and queue must outlive it).  It connects
 * once client_session_start() is called.  Return NULL on error.
 */
struct client_session *
client_session_new(struct ev_loop *loop, const struct client_session_params *p)
{
	struct client_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->magic = CLIENT_SESSION_MAGIC;	/* calloc: CS_IDLE */
	s->loop = loop;
	s->p = *p;
	if (s->p.connect_timeout <= 0)
		s->p.connect_timeout = CLIENT_CONNECT_TIMEOUT;
	s->status = CLIENT_ST_RUNNING;
	s->peer_max = CLIENT_MAX_PAYLOAD;
	s->active = -1;
	s->probe_idx = -1;
	fo_policy_init(&s->pol, CLIENT_BACKOFF_MIN, CLIENT_BACKOFF_MAX,
	    p->failback_hold, p->heartbeat, CLIENT_HB_MISSES);
	for (size_t i = 0; i < p->ngateways; i++)
		fo_peer_init(&s->gws[i], ev_now(loop));
	ev_timer_init(&s->retry, client_session_retry_cb, 0., 0.);
	s->retry.data = s;
	ev_timer_init(&s->heartbeat, client_session_heartbeat_cb, 0., 0.);
	s->heartbeat.data = s;
	ev_timer_init(&s->probe_timer, client_session_probe_timer_cb, 1., 1.);
	s->probe_timer.data = s;
	if (p->ngateways > 1 && p->failback_hold >= 0)
		ev_timer_start(loop, &s->probe_timer);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	return s;
}

/** client_session_start(s): connect to the gateway. */
void
client_session_start(struct client_session *s)
{
	if (s->state == CS_IDLE && s->conn == NULL)
		client_session_connect(s);
}

/** client_session_kick(s): new lines are queued: send what credit allows. */
void
client_session_kick(struct client_session *s)
{
	client_session_flush(s);
}

/**
 * client_session_eof(s): the input has ended; finish (ev_break) once every
 * line is acknowledged.
 */
void
client_session_eof(struct client_session *s)
{
	s->eof = 1;
	(void)client_session_check_done(s);
}

/**
 * client_session_fail(s, status, msg): stop with ${status} and the message
 * ${msg}: close the connection, cancel the timers and ev_break (or
 * on_finish).
 */
void
client_session_fail(struct client_session *s, enum client_status status,
    const char *msg)
{
	if (s->status != CLIENT_ST_RUNNING)
		return;
	s->status = status;
	if (msg != s->msg)
		snprintf(s->msg, sizeof(s->msg), "%s", msg);
	client_session_set_state(s, CS_FINISHED);
	ev_timer_stop(s->loop, &s->retry);
	ev_timer_stop(s->loop, &s->heartbeat);
	ev_timer_stop(s->loop, &s->probe_timer);
	if (s->probe != NULL)
		conn_close(s->probe, GW_R_NORMAL, "stopping");
	if (s->conn != NULL)
		conn_close(s->conn, status == CLIENT_ST_DONE ? GW_R_NORMAL :
		    GW_R_SHUTDOWN, status == CLIENT_ST_DONE ? "done" :
		    "stopping");
	if (s->p.on_finish != NULL)
		s->p.on_finish(status, s->p.arg);
	else
		ev_break(s->loop, EVBREAK_ALL);
}

/** client_session_status(s): the exit status, or CLIENT_ST_RUNNING. */
enum client_status
client_session_status(const struct client_session *s)
{
	return s->status;
}

/** client_session_msg(s): the failure message, or "". */
const char *
client_session_msg(const struct client_session *s)
{
	return s->msg;
}

/** client_session_acked(s): lines acknowledged so far. */
uint64_t
client_session_acked(const struct client_session *s)
{
	return s->acked;
}

/**
 * client_session_enroll(s, csr, len, rid): send ENROLL (a renewal: ${csr},
 * or a poll for request ${rid}) on the open session; the answer comes to
 * on_enroll.  0, or -1 if no session is open or the output is full.
 */
int
client_session_enroll(struct client_session *s, const uint8_t *csr,
    size_t len, const char *rid)
{
	struct gw_frame f = { .type = GW_T_ENROLL };

	if (s->state != CS_OPEN || s->conn == NULL || len > UINT16_MAX)
		return -1;
	f.u.enroll.ref = 1;
	f.u.enroll.csr.p = csr;
	f.u.enroll.csr.len = (uint16_t)len;
	if (rid != NULL) {
		f.u.enroll.request_id.p = (const uint8_t *)rid;
		f.u.enroll.request_id.len = (uint16_t)strlen(rid);
	}
	return conn_send(s->conn, &f) == 0 ? 0 : -1;
}

/**
 * client_session_set_tls(s, tls): use ${tls} from the next connection on
 * (the live one keeps its own); the caller keeps ${tls} alive.
 */
void
client_session_set_tls(struct client_session *s, const struct tls_conf *tls)
{
	s->p.tls = tls;
	/* A new certificate is shown in a full handshake, not resumed. */
	for (size_t i = 0; i < CLIENT_MAX_GATEWAYS; i++) {
		conn_ticket_free(s->tickets[i]);
		s->tickets[i] = NULL;
	}
}

/**
 * client_session_resumed(s): 1 if ${s}'s connection resumed a TLS session
 * from the gateway's ticket (no full handshake), else 0.
 */
int
client_session_resumed(const struct client_session *s)
{
	return s->conn != NULL && conn_resumed(s->conn);
}

/** client_session_free(s): free ${s}; client_session_free(NULL) is a no-op. */
void
client_session_free(struct client_session *s)
{
	if (s == NULL)
		return;
	if (s->probe != NULL)
		conn_close(s->probe, GW_R_NORMAL, "stopping");
	/* A running session's on_close starts the retry timer: stop after. */
	if (s->conn != NULL)
		conn_close(s->conn, GW_R_SHUTDOWN, "exiting");
	ev_timer_stop(s->loop, &s->retry);
	ev_timer_stop(s->loop, &s->heartbeat);
	ev_timer_stop(s->loop, &s->probe_timer);
	for (size_t i = 0; i < CLIENT_MAX_GATEWAYS; i++)
		conn_ticket_free(s->tickets[i]);
	s->magic = 0;
	free(s);
}
