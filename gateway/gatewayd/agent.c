/*
 * agent.c: one downstream agent session.
 *
 *   HANDSHAKE --TLS ok, identity+policy ok--> HELLO_WAIT --HELLO--> OPENING
 *   OPENING --OPEN_ACK from the server--> OPEN (DATA flows)
 *   OPENING/OPEN --link lost--> NO_LINK --a link is ready--> OPENING
 *   any state --agent_close()--> CLOSED
 *
 * The TLS layer has verified the chain (agent CA, validity, CRL) before
 * on_open; the name policy is checked there too, so no frame of an
 * unauthenticated peer is ever decoded.  agent_close() is the only exit.
 *
 * Every DATA relayed up is kept in the session's replay ring until the
 * management server ACKs it; credit goes back to the agent only then, so
 * the ring never holds more than agent_window frames; all rings together
 * stay within buffer_budget (agent_credit.c).  When a link is lost
 * (failover, fail-back), the session is not closed: it waits for a link,
 * opens a new channel, learns last_seq from OPEN_ACK, and resends the ring
 * above it in order.  The agent sees a delay, not an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "agent_impl.h"
#include "agent_names.h"
#include "conn.h"
#include "enroll.h"
#include "identity.h"
#include "listener.h"
#include "log.h"
#include "policy.h"
#include "upstream.h"

static const char *
agent_state_str(enum agent_state s)
{
	static const char *const names[] = {
		"handshake", "hello-wait", "opening", "open", "no-link",
		"closed"
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/*
 * Admission control (listener.c): a new session holds one of max_handshakes
 * slots until its handshake ends or AGENT_ADMIT_HOLD has passed, whichever
 * is first; one that is slow (a silent or stalled peer) goes on without
 * its slot, under handshake_timeout, and costs the others no more than
 * that wait.
 */
static void
agent_unadmit(struct agent *a)
{
	if (!a->admitted)
		return;
	a->admitted = 0;
	a->gw->nhandshakes--;
	listener_admit(a->gw->listener);
}

static void
agent_set_state(struct agent *a, enum agent_state s)
{
	log_debug("event=agent_state agent=%s peer=%s from=%s to=%s",
	    agent_name(a), conn_peer(a->c),
	    agent_state_str(a->state), agent_state_str(s));
	if (s != AGENT_HANDSHAKE)
		agent_unadmit(a);
	a->state = s;
}

/* agent_on_close sends CLOSE upstream and logs; agent_on_free frees. */
/**
 * agent_close(a, reason, detail): the one exit of a session: ERROR with
 * ${reason} to the agent (best effort), then close; safe in any state.
 */
void
agent_close(struct agent *a, unsigned reason, const char *detail)
{
	if (a->state == AGENT_CLOSED)
		return;
	/* Once TLS is up (even a policy refusal), the agent is told why. */
	if (conn_state(a->c) == CONN_OPEN && reason <= GW_R_WIRE_LAST &&
	    reason != GW_R_NORMAL) {
		struct gw_frame f = { .type = GW_T_ERROR };

		f.u.reason.code = (uint16_t)reason;
		f.u.reason.text.p = (const uint8_t *)detail;
		f.u.reason.text.len = (uint16_t)strnlen(detail, 200);
		(void)conn_send(a->c, &f);
	}
	conn_close(a->c, reason, detail);
}

static int
agent_send(struct agent *a, const struct gw_frame *f)
{
	if (conn_send(a->c, f) == 0)
		return 0;
	agent_close(a, GW_R_OVERLOAD, "agent does not read its frames");
	return -1;
}

static void
agent_flush_ack(struct agent *a)
{
	struct gw_frame f = { .type = GW_T_ACK };

	if (a->ack_todo == 0)
		return;
	f.u.ack.seq = a->ack_todo;
	if (conn_send(a->c, &f) != 0) {
		conn_notify_writable(a->c);
		return;		/* cumulative: the newest is enough later */
	}
	a->ack_todo = 0;
}

static int
agent_on_open(struct conn *c, void *arg)
{
	struct agent *a = arg;
	const mbedtls_x509_crt *crt = conn_peer_crt(c);
	struct id_info id;
	char why[128];

	a->c = c;	/* the handshake may end inside conn_accept */
	if (crt == NULL || id_from_crt(crt, conn_peer(c), &id) != 0) {
		stats_refused(&a->gw->stats);
		agent_close(a, GW_R_POLICY, "certificate has no usable name");
		return CONN_CLOSED_RC;
	}
	memcpy(a->fp, id.fingerprint, sizeof(a->fp));
	if (agent_names_set(a, id.issuer, id.name) != 0) {
		agent_close(a, GW_R_OVERLOAD, "out of memory");
		return CONN_CLOSED_RC;
	}
	/* A resumed session's crt is its ticket's: the same check runs. */
	if (policy_check(a->gw->cfg->policy, crt, why, sizeof(why)) != 0) {
		stats_refused(&a->gw->stats);
		agent_close(a, GW_R_POLICY, why);
		return CONN_CLOSED_RC;
	}
	stats_accepted(&a->gw->stats, conn_resumed(c));
	agent_set_state(a, AGENT_HELLO_WAIT);
	log_info("event=agent_authenticated agent=%s peer=%s fp=%s serial=%s "
	    "tls=%s resumed=%s", id.name, conn_peer(c), id.fp_hex,
	    id.serial, conn_tls_info(c), conn_resumed(c) ? "yes" : "no");
	conn_timer(c, a->gw->cfg->hello_timeout);
	return 0;
}

static void
agent_no_link(struct agent *a)
{
	agent_set_state(a, AGENT_NO_LINK);
	a->ring_sent = 0;
	if (!a->on_no_link) {
		TAILQ_INSERT_TAIL(&a->gw->no_link, a, no_link);
		a->on_no_link = 1;
	}
}

/*
 * Open a channel on the least busy ready link.  Return 0 (OPENING, or
 * NO_LINK if no link is ready), GW_ENOSPACE (queued on the link: resumed
 * by agent_resume), or -1 (closed).
 */
static int
agent_open_channel(struct agent *a)
{
	struct upstream *u;
	struct id_info id;
	const uint8_t *der;
	size_t len;
	uint32_t chan;
	int rc;

	if ((u = upstream_pick(a->gw)) == NULL) {
		agent_no_link(a);
		return 0;
	}
	der = conn_peer_der(a->c, &len);
	if (id_from_der(der, len, conn_peer(a->c), &id) != 0) {
		agent_close(a, GW_R_INTERNAL, "certificate no longer parses");
		return -1;
	}
	rc = upstream_open(u, a, &id, &chan);
	if (rc == GW_ENOSPACE) {
		agent_no_link(a);
		return GW_ENOSPACE;
	}
	if (rc != 0) {
		agent_close(a, GW_R_INTERNAL, "cannot open a channel");
		return -1;
	}
	if (a->on_no_link) {
		TAILQ_REMOVE(&a->gw->no_link, a, no_link);
		a->on_no_link = 0;
	}
	agent_set_state(a, AGENT_OPENING);
	return 0;
}

/* HELLO: open a channel upstream; OPEN_ACK completes it. */
static int
agent_hello(struct agent *a, const struct gw_frame *f)
{
	if (f->type != GW_T_HELLO) {
		agent_close(a, GW_R_UNEXPECTED, "first frame must be HELLO");
		return CONN_CLOSED_RC;
	}
	if (f->u.hello.vmin > GW_PROTO_VERSION_MAX ||
	    f->u.hello.vmax < GW_PROTO_VERSION_MIN) {
		agent_close(a, GW_R_VERSION, "no common protocol version");
		return CONN_CLOSED_RC;
	}
	a->version = f->u.hello.vmax < GW_PROTO_VERSION_MAX ?
	    f->u.hello.vmax : GW_PROTO_VERSION_MAX;
	if (agent_names_claim(a) != 0)	/* supersedes an older session */
		return CONN_CLOSED_RC;
	/*
	 * No link yet, or no room on it (GW_ENOSPACE: queued): the agent
	 * waits for its HELLO_ACK, not an error.
	 */
	conn_timer(a->c, 0);
	return agent_open_channel(a) == -1 ? CONN_CLOSED_RC : CONN_OK;
}

/*
 * Relay the ring's unsent DATA while the link takes it.  On a draining
 * link, send nothing new; once nothing sent on it waits for its ACK, move
 * the channel to another link (the rest of the ring follows there).
 */
static void
agent_pump(struct agent *a)
{
	uint32_t cap = a->gw->cfg->agent_window;

	if (a->state == AGENT_OPEN && upstream_draining(a->link.up)) {
		if (a->ring_sent > 0)
			return;		/* wait for the ACKs */
		upstream_release(a->link.up, a, a->link.chan, GW_R_NORMAL,
		    "moving to another link");
		(void)agent_open_channel(a);
		return;
	}
	while (a->state == AGENT_OPEN && a->ring_sent < a->ring_len) {
		struct replay *r = &a->ring[(a->ring_head + a->ring_sent) %
		    cap];

		if (upstream_data(a->link.up, a, a->link.chan, r->seq,
		    r->body, r->len) != 0)
			return;		/* the link wakes us: agent_resume */
		a->ring_sent++;
	}
}

static int
agent_data(struct agent *a, const struct gw_frame *f)
{
	struct replay *r;

	if (f->channel != 0) {
		agent_close(a, GW_R_PROTOCOL, "DATA on a non-zero channel");
		return CONN_CLOSED_RC;
	}
	if (a->credit == 0 || a->ring_len == a->gw->cfg->agent_window) {
		agent_close(a, GW_R_FLOW, "DATA without credit");
		return CONN_CLOSED_RC;
	}
	if (f->u.data.seq <= a->last_seq) {
		agent_close(a, GW_R_SEQUENCE, "DATA sequence not increasing");
		return CONN_CLOSED_RC;
	}
	/* Above it no store takes the row: refuse it here, to this agent. */
	if (f->u.data.seq > GW_SEQ_MAX) {
		agent_close(a, GW_R_SEQUENCE,
		    "DATA sequence above 2^63-1 (the largest one stored)");
		return CONN_CLOSED_RC;
	}
	if (a->ring == NULL && (a->ring = calloc(a->gw->cfg->agent_window,
	    sizeof(*a->ring))) == NULL) {
		agent_close(a, GW_R_OVERLOAD, "out of memory");
		return CONN_CLOSED_RC;
	}
	r = &a->ring[(a->ring_head + a->ring_len) % a->gw->cfg->agent_window];
	if ((r->body = malloc(f->u.data.body.len ? f->u.data.body.len : 1)) ==
	    NULL) {
		agent_close(a, GW_R_OVERLOAD, "out of memory");
		return CONN_CLOSED_RC;
	}
	memcpy(r->body, f->u.data.body.p, f->u.data.body.len);
	r->t = ev_now(a->gw->loop);
	r->seq = f->u.data.seq;
	r->len = f->u.data.body.len;
	a->ring_len++;
	a->last_seq = f->u.data.seq;
	agent_credit_used(a, r->len);
	agent_pump(a);
	return CONN_OK;
}

/* The answer to the agent's renewal request. */
static void
agent_enroll_answer(const struct gw_enroll_result *res, void *arg)
{
	struct agent *a = arg;
	struct gw_frame f = { .type = GW_T_ENROLL_RESULT };

	f.u.enroll_result = *res;
	f.u.enroll_result.ref = a->enroll_ref;
	a->enroll_ref = 0;
	stats_enroll(&a->gw->stats, res->status);
	log_info("event=agent_renewal agent=%s status=%s reason=%s",
	    agent_name(a), gw_enroll_status_str(res->status), res->status == GW_ENROLL_REFUSED ? gw_reason_str(res->reason) :
	    "-");
	(void)agent_send(a, &f);
}

/*
 * ENROLL on an open session: a renewal.  The session's verified
 * certificate goes with it as the proof of who asks; the new certificate
 * must keep the name.
 */
static int
agent_enroll(struct agent *a, const struct gw_frame *f)
{
	size_t der_len;
	const uint8_t *der = conn_peer_der(a->c, &der_len);
	struct gw_enroll req = f->u.enroll;

	if (a->enroll_ref != 0 || der == NULL || der_len > 16384) {
		agent_close(a, GW_R_UNEXPECTED,
		    "one enrollment request at a time");
		return CONN_CLOSED_RC;
	}
	req.source.p = (const uint8_t *)conn_peer(a->c);
	req.source.len = (uint16_t)strlen(conn_peer(a->c));
	req.client_cert.p = der;
	req.client_cert.len = (uint16_t)der_len;
	req.token.len = 0;	/* the certificate is the credential */
	a->enroll_ref = f->u.enroll.ref;
	enroll_submit(a->gw, &req, agent_name(a), agent_enroll_answer, a);
	return conn_state(a->c) == CONN_CLOSED ? CONN_CLOSED_RC : CONN_OK;
}

static int
agent_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct agent *a = arg;
	char text[128];

	a->frames_in++;
	if (a->state == AGENT_HELLO_WAIT)
		return agent_hello(a, f);
	if (a->gw->cfg->idle_timeout > 0 && a->hello_done)
		conn_timer(c, a->gw->cfg->idle_timeout);
	if (f->type >= GW_T_EXT_FIRST)
		return CONN_OK;		/* extensions are ignored */
	switch (f->type) {
	case GW_T_DATA:
		if (a->hello_done)	/* kept in the ring while no link */
			return agent_data(a, f);
		break;
	case GW_T_PING: {
		struct gw_frame p = { .type = GW_T_PONG };

		/* Quiet since the last heartbeat: the ring goes until DATA. */
		if (a->ring_len == 0) {
			free(a->ring);
			a->ring = NULL;
			a->ring_head = 0;
		}
		p.u.ping.opaque = f->u.ping.opaque;
		return agent_send(a, &p) == 0 ? CONN_OK : CONN_CLOSED_RC;
	}
	case GW_T_PONG:
		return CONN_OK;
	case GW_T_ENROLL:
		if (a->hello_done)
			return agent_enroll(a, f);
		break;
	case GW_T_GOAWAY:
		agent_close(a, GW_R_NORMAL, "agent is going away");
		return CONN_CLOSED_RC;
	case GW_T_ERROR:
		snprintf(text, sizeof(text), "agent sent ERROR %s: %.*s",
		    gw_reason_str(f->u.reason.code),
		    (int)f->u.reason.text.len,
		    (const char *)f->u.reason.text.p);
		agent_close(a, GW_R_PEER_CLOSED, text);
		return CONN_CLOSED_RC;
	default:
		break;
	}
	snprintf(text, sizeof(text), "unexpected %s in state %s",
	    gw_type_str(f->type), agent_state_str(a->state));
	agent_close(a, GW_R_UNEXPECTED, text);
	return CONN_CLOSED_RC;
}

static void
agent_on_writable(struct conn *c, void *arg)
{
	struct agent *a = arg;

	(void)c;
	agent_flush_ack(a);
	agent_grant(a);
}

static void
agent_on_timeout(struct conn *c, void *arg)
{
	struct agent *a = arg;

	if (a->state == AGENT_HANDSHAKE && a->admitted) {
		/* Its slot's time is up; the handshake may go on. */
		agent_unadmit(a);
		conn_timer(c, a->gw->cfg->handshake_timeout - AGENT_ADMIT_HOLD);
		return;
	}
	agent_close(a, GW_R_TIMEOUT, a->state == AGENT_HANDSHAKE ?
	    "TLS handshake too slow" : a->hello_done ?
	    "idle timeout" : "no HELLO in time");
}

/* A session ended by one of the limits: count it (limit.c logs). */
static void
agent_count_limit(struct agent *a, enum agent_state was, unsigned reason)
{
	struct limits *l = &a->gw->limits;

	switch (reason) {
	case GW_R_TIMEOUT:
		limit_hit(l, was == AGENT_HANDSHAKE ? LIMIT_HANDSHAKE_TIMEOUT :
		    a->hello_done ? LIMIT_IDLE_TIMEOUT : LIMIT_HELLO_TIMEOUT);
		break;
	case GW_R_TOO_BIG:
		limit_hit(l, LIMIT_FRAME_SIZE);
		break;
	case GW_R_OVERLOAD:
		limit_hit(l, LIMIT_AGENT_OUTPUT);
		break;
	case GW_R_FLOW:
		limit_hit(l, LIMIT_AGENT_WINDOW);
		break;
	default:
		break;
	}
}

static void
agent_on_close(struct conn *c, unsigned reason, const char *detail,
    void *arg)
{
	struct agent *a = arg;
	struct gw *gw = a->gw;
	enum agent_state was = a->state;
	char ed[LOG_ESC_MAX], en[LOG_ESC_MAX];	/* escaped for the log */

	agent_set_state(a, AGENT_CLOSED);
	agent_names_drop(a);
	agent_count_limit(a, was, reason);
	stats_closed(&gw->stats, was == AGENT_HANDSHAKE, reason);
	if (a->enroll_ref != 0)
		enroll_cancel(gw, a);
	if (a->on_no_link)
		TAILQ_REMOVE(&a->gw->no_link, a, no_link);
	while (a->ring_len > 0) {
		struct replay *r = &a->ring[a->ring_head];

		a->gw->replay_bytes -= r->len;
		free(r->body);
		a->ring_head = (a->ring_head + 1) % a->gw->cfg->agent_window;
		a->ring_len--;
	}
	free(a->ring);
	agent_credit_close(a);
	if (a->link.wait_up != NULL)
		upstream_unwait(a->link.wait_up, a);
	if (a->link.up != NULL)
		upstream_release(a->link.up, a, a->link.chan, reason, detail);
	/* The detail may carry an agent's ERROR text, its name a CA's CN. */
	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	log_esc(en, sizeof(en), agent_name(a), LOG_ESC_STR, LOG_ESC_BARE);
	if (was == AGENT_HANDSHAKE && reason == GW_R_TIMEOUT)
		log_debug("event=agent_refused peer=%s reason=timeout "
		    "detail=\"%s\"", conn_peer(c), ed);	/* limit_hit */
	else if (a->name == NULL && (was == AGENT_HANDSHAKE ||
	    reason == GW_R_POLICY))
		log_warnx("event=agent_refused peer=%s reason=%s detail=\"%s\"",
		    conn_peer(c), gw_reason_str(reason), ed);
	else if (was == AGENT_HANDSHAKE || reason == GW_R_POLICY) {
		char fp[2 * GW_FINGERPRINT_LEN + 1];

		id_fp_hex(a->fp, fp);
		log_warnx("event=agent_refused agent=%s peer=%s reason=%s "
		    "detail=\"%s\" fp=%s", en, conn_peer(c),
		    gw_reason_str(reason), ed, fp);
	}
	else if (was == AGENT_HELLO_WAIT && a->frames_in == 0)
		log_debug("event=agent_probe agent=%s peer=%s", en,
		    conn_peer(c));	/* an agent checking we are alive */
	else
		log_info("event=agent_closed agent=%s peer=%s reason=%s "
		    "detail=\"%s\" state=%s frames=%llu last_seq=%llu "
		    "reopens=%llu", en, conn_peer(c),
		    gw_reason_str(reason), ed, agent_state_str(was),
		    (unsigned long long)a->frames_in,
		    (unsigned long long)a->last_seq,
		    (unsigned long long)a->reopens);
	a->gw->nagents--;
	if ((*a->prevp = a->next) != NULL)
		a->next->prevp = a->prevp;
	if (gw_is_drained(gw))
		ev_break(gw->loop, EVBREAK_ALL);
}

/* No call of ${arg} is on the stack any more (conn.h): free it. */
static void
agent_on_free(void *arg)
{
	struct agent *a = arg;

	a->magic = 0;
	agent_names_free(a);
	free(a);
}

static const struct conn_ops agent_ops = {
	.on_open = agent_on_open,
	.on_frame = agent_on_frame,
	.on_writable = agent_on_writable,
	.on_timeout = agent_on_timeout,
	.on_close = agent_on_close,
	.on_free = agent_on_free,
};

/** agent_accept(gw, fd): start a session on accepted socket ${fd}. */
void
agent_accept(struct gw *gw, int fd)
{
	const struct gw_config *cfg = gw->cfg;
	struct conn_params p = {
		.in_cap = cfg->max_payload + GW_HDR_LEN + 1024,
		.out_cap = cfg->agent_output_buffer,
		.max_payload = cfg->max_payload,
	};
	struct agent *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		log_warnx("event=agent_refused reason=overload detail=ENOMEM");
		close(fd);
		return;
	}
	a->magic = AGENT_MAGIC;
	a->state = AGENT_HANDSHAKE;
	a->gw = gw;
	a->link.self = a;
	if ((a->c = conn_accept(gw->loop, fd, gw->agent_tls, &p, &agent_ops,
	    a)) == NULL) {
		log_warnx("event=agent_refused reason=overload "
		    "detail=\"cannot set up TLS\"");
		free(a);
		return;
	}
	gw->nagents++;
	if ((a->next = gw->agents) != NULL)
		a->next->prevp = &a->next;
	gw->agents = a;
	a->prevp = &gw->agents;
	if (cfg->handshake_timeout > AGENT_ADMIT_HOLD) {
		a->admitted = 1;	/* agent_unadmit() gives it back */
		gw->nhandshakes++;
		conn_timer(a->c, AGENT_ADMIT_HOLD);
	} else
		conn_timer(a->c, cfg->handshake_timeout);
}

/** agent_link(a): the upstream-side links of ${a} (for upstream.c). */
struct agent_link *
agent_link(struct agent *a)
{
	return &a->link;
}

/** agent_resume(a): the upstream has room again: go on relaying. */
void
agent_resume(struct agent *a)
{
	if (a->state == AGENT_NO_LINK) {
		if (agent_open_channel(a) == 0)
			agent_adopt_all(a->gw);	/* the next ones, in order */
	} else if (a->state == AGENT_OPEN)
		agent_pump(a);
}

/**
 * agent_adopt_all(gw): a link is ready: open channels for the sessions
 * that have none, in the order they lost theirs.
 */
void
agent_adopt_all(struct gw *gw)
{
	struct agent *a;

	while ((a = TAILQ_FIRST(&gw->no_link)) != NULL)
		if (agent_open_channel(a) != 0 || a->on_no_link)
			return;		/* no room or no link: resumed later */
}

/* Drop the ring's DATA up to ${seq}: durable.  Return how many. */
static uint32_t
agent_ring_ack(struct agent *a, uint64_t seq)
{
	uint32_t cap = a->gw->cfg->agent_window, n = 0;

	while (a->ring_len > 0 && a->ring[a->ring_head].seq <= seq) {
		struct replay *r = &a->ring[a->ring_head];

		stats_ack(&a->gw->stats, ev_now(a->gw->loop) - r->t);
		a->gw->replay_bytes -= r->len;
		free(r->body);
		r->body = NULL;
		a->ring_head = (a->ring_head + 1) % cap;
		a->ring_len--;
		if (a->ring_sent > 0)
			a->ring_sent--;
		n++;
	}
	return n;
}

/**
 * agent_open_ack(a, last_seq): the management server opened the channel;
 * ${last_seq} is durable.  The first time, answer HELLO_ACK and grant the
 * window, as much as memory can back; after a lost link, resend the ring
 * above ${last_seq}.
 */
void
agent_open_ack(struct agent *a, uint64_t last_seq)
{
	struct gw_frame f = { .type = GW_T_HELLO_ACK };
	const struct gw_config *cfg = a->gw->cfg;
	uint32_t n;

	if (a->state != AGENT_OPENING) {
		agent_close(a, GW_R_PROTOCOL, "server sent a second OPEN_ACK");
		return;
	}
	agent_set_state(a, AGENT_OPEN);
	a->ring_sent = 0;
	if (!a->hello_done) {
		f.u.hello_ack.version = a->version;
		f.u.hello_ack.max_payload = cfg->max_payload;
		f.u.hello_ack.heartbeat_ms = (uint32_t)(cfg->heartbeat * 1000);
		f.u.hello_ack.last_seq = last_seq;
		a->last_seq = a->acked = last_seq;
		if (agent_send(a, &f) != 0)
			return;
		a->hello_done = 1;
		agent_credit_open(a);
		conn_timer(a->c, cfg->idle_timeout);
		log_debug("event=agent_open agent=%s channel=%u last_seq=%llu",
		    agent_name(a), a->link.chan, (unsigned long long)last_seq);
		return;
	}
	a->reopens++;
	n = agent_ring_ack(a, last_seq);
	log_info("event=agent_reopened agent=%s channel=%u last_seq=%llu "
	    "resend=%u", agent_name(a), a->link.chan,
	    (unsigned long long)last_seq, a->ring_len);
	if (last_seq > a->acked) {
		a->acked = a->ack_todo = last_seq;
		agent_flush_ack(a);
	}
	if (n > 0)
		agent_credit_back(a, n);
	agent_pump(a);
}

/** agent_ack(a, seq): relay a cumulative ACK to the agent. */
void
agent_ack(struct agent *a, uint64_t seq)
{
	uint32_t n;

	if (a->state != AGENT_OPEN || seq <= a->acked)
		return;
	n = agent_ring_ack(a, seq);
	a->acked = seq;
	if (seq > a->ack_todo)
		a->ack_todo = seq;
	stats_down(&a->gw->stats, 0);
	agent_flush_ack(a);
	if (a->gw->draining && a->ring_len == 0) {
		agent_close(a, GW_R_SHUTDOWN, "gateway drained");
		return;
	}
	if (n > 0)
		agent_credit_back(a, n);
	if (a->state == AGENT_OPEN && upstream_draining(a->link.up))
		agent_pump(a);		/* may move now */
}

/** agent_command(a, f): relay a COMMAND frame to the agent. */
void
agent_command(struct agent *a, const struct gw_frame *f)
{
	struct gw_frame d = *f;

	if (a->state != AGENT_OPEN)
		return;
	d.channel = 0;
	if (conn_send(a->c, &d) != 0)
		log_warnx("event=command_dropped agent=%s id=%llu len=%u "
		    "reason=\"agent output full\"", agent_name(a),
		    (unsigned long long)f->u.data.seq, f->u.data.body.len);
	else {
		stats_down(&a->gw->stats, f->u.data.body.len);
	}
}

/**
 * agent_lost(a, reason, text): the channel is gone.  The link is already
 * cleared.  A lost link (upstream-lost) keeps the session: it waits for
 * another link and resends; anything else (CLOSE from the server, the
 * gateway stopping) closes it with ${reason}.
 */
void
agent_lost(struct agent *a, unsigned reason, const char *text)
{
	if (reason == GW_R_UPSTREAM_LOST && !a->gw->stopping &&
	    (a->state == AGENT_OPEN || a->state == AGENT_OPENING)) {
		log_debug("event=agent_link_lost agent=%s unacked=%u",
		    agent_name(a), a->ring_len);
		agent_no_link(a);
		return;
	}
	agent_close(a, reason, text);
}
