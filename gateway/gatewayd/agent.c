/*
 * agent.c: one downstream agent session.
 *
 *   HANDSHAKE --TLS ok, identity+policy ok--> HELLO_WAIT --HELLO--> OPENING
 *   (workers mode: HELLO_WAIT --HELLO--> CLAIMING --GRANT--> OPENING;
 *   DENY or no GRANT within hello_timeout: GOAWAY, the agent retries)
 *   OPENING --its channel's first OPEN_ACK--> OPEN (HELLO_ACK; DATA flows)
 *   any state --agent_close()--> CLOSED
 *
 * The TLS layer has verified the chain (agent CA, validity, CRL) before
 * on_open; the name policy is checked there too, so no frame of an
 * unauthenticated peer is ever decoded.  agent_close() is the only exit.
 *
 * Every DATA relayed up is kept in the replay ring of the session's
 * channel (chan.c) until the management server ACKs it; credit goes back
 * to the agent only then, so the ring never holds more than agent_window
 * frames; all rings together stay within buffer_budget (agent_credit.c).
 * When a link is lost (failover, fail-back), the session is not closed:
 * its channel moves to another link and resends the ring there.  The
 * agent sees a delay, not an error.  The channel talks back only through
 * struct chan_ops (agent_chan_ops below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "agent_impl.h"
#include "agent_names.h"
#include "chan.h"
#include "conn.h"
#include "enroll.h"
#include "handover.h"
#include "identity.h"
#include "listener.h"
#include "log.h"
#include "policy.h"

static const char *
agent_state_str(enum agent_state s)
{
	static const char *const names[] = {
		"handshake", "hello-wait", "claiming", "opening", "open",
		"closed"
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/*
 * Admission control (listener.c): a new session holds one of max_handshakes
 * slots until its handshake ends or AGENT_ADMIT_HOLD has passed, whichever
 * is first; one that is slow (a silent or stalled peer) goes on without
 * its slot, under handshake_timeout, and costs the others no more than
 * that wait.  Time the session waits for the loop instead (its bytes are
 * read and the handshake budget is spent: conn_hs_waiting) is not the
 * peer's: it keeps its slot, so in a storm that outruns the CPU the slots
 * still bound the handshakes under way.
 */
static void
agent_unadmit(struct agent *a)
{
	if (!a->admitted)
		return;
	a->admitted = 0;
	a->gw->agents->n.handshakes--;
	listener_admit(a->gw->listener);
}

/* The one place a session's state changes. */
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
	conn_close_error(a->c, reason, "%s", detail);
}

/**
 * agent_goaway_close(a, reason, text): GOAWAY ${reason} ${text} to the
 * agent, then close with the same (an ERROR follows it).
 */
void
agent_goaway_close(struct agent *a, unsigned reason, const char *text)
{
	struct gw_frame f = gw_frame_goaway(text);

	f.u.reason.code = (uint16_t)reason;
	(void)conn_send(a->c, &f);
	agent_close(a, reason, text);
}

static int
agent_send(struct agent *a, const struct gw_frame *f)
{
	if (conn_send(a->c, f) == 0)
		return 0;
	agent_close(a, GW_R_OVERLOAD, "agent does not read its frames");
	return -1;
}

/**
 * agent_flush_ack(a): send the ACK ${a} is owed (ack_todo), with the
 * credit folded into it (credit_fold); if its output is full, it goes
 * from agent_on_writable.
 */
void
agent_flush_ack(struct agent *a)
{
	struct gw_frame f = { .type = GW_T_ACK };

	if (a->ack_todo == 0)
		return;
	f.u.ack.seq = a->ack_todo;
	f.u.ack.credit = a->credit_fold;	/* 0 unless ACKCREDIT */
	if (conn_send(a->c, &f) != 0) {
		conn_notify_writable(a->c);
		return;		/* cumulative: the newest is enough later */
	}
	a->ack_todo = 0;
	a->credit_fold = 0;
}

/* agent_names_closer: a newer session of its agent supersedes ${arg}. */
static void
agent_superseded(void *arg, const char *detail)
{
	struct agent *a = agent_of(arg);
	char ed[LOG_ESC_MAX];

	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	log_info("event=agent_superseded agent=%s peer=%s detail=\"%s\"",
	    a->name, conn_peer(a->c), ed);
	agent_close(a, GW_R_SUPERSEDED, detail);	/* frees it */
}

static int
agent_on_open(struct conn *c, void *arg)
{
	struct agent *a = agent_of(arg);
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
	if (agent_names_set(&a->name, a, agent_superseded, id.issuer,
	    id.name) != 0) {
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
	/*
	 * Cut off: sent elsewhere before its HELLO (which would supersede a
	 * session of its name); an agent's fail-back probe hears it too.
	 */
	if (a->gw->agents->cut_off) {
		agent_goaway_close(a, GW_R_UPSTREAM_LOST, AGENT_CUT_OFF_TEXT);
		return CONN_CLOSED_RC;
	}
	return 0;
}

/**
 * agent_name_index(gw): the index of the sessions of ${gw} by agent, direct
 * and relayed alike (agent_names.h: one session per agent).
 */
struct namemap **
agent_name_index(struct gw *gw)
{
	return &gw->agents->names;
}

/**
 * agent_count_relayed(gw, more): a relayed session of ${gw} begins
 * (${more} nonzero) or ends: counted in sessions (agent_counts).
 */
void
agent_count_relayed(struct gw *gw, int more)
{
	if (more)
		gw->agents->n.sessions++;
	else
		gw->agents->n.sessions--;
}

/*
 * Supersede the older session of ${a}'s agent, direct or relayed
 * (agent_names.h), take the name.  0 or -1.
 */
static int
agent_claim_name(struct agent *a)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "a newer session of this agent "
	    "from %s", conn_peer(a->c));
	if (agent_names_claim(&a->gw->agents->names, a->name, detail) != 0) {
		agent_close(a, GW_R_OVERLOAD, "out of memory");
		return -1;
	}
	return 0;
}

/* Open its channel upstream; OPEN_ACK completes it. */
static int
agent_opening(struct agent *a)
{
	/*
	 * No link yet, or no room on it (GW_ENOSPACE: queued): the agent
	 * waits for its HELLO_ACK, not an error.
	 */
	conn_timer(a->c, 0);
	agent_set_state(a, AGENT_OPENING);
	return chan_open(&a->ch) == -1 ? CONN_CLOSED_RC : CONN_OK;
}

/*
 * handover_answer_fn: the parent's answer to the session's CLAIM, or its
 * RELEASE: the agent connected to another worker.
 */
static void
agent_granted(void *arg, int what)
{
	struct agent *a = agent_of(arg);

	if (what == HANDOVER_RELEASE)
		agent_superseded(a, "a newer session of this agent on another "
		    "worker of this gateway");
	else if (a->state != AGENT_CLAIMING)
		return;
	else if (what == HANDOVER_GRANT)
		(void)agent_opening(a);
	else
		agent_goaway_close(a, GW_R_OVERLOAD, HANDOVER_RETRY_TEXT);
}

/*
 * Workers mode: no channel before the parent's GRANT (handover.h); in a
 * single process, straight on.
 */
static int
agent_claim(struct agent *a)
{
	switch (handover_claim(a->gw, a->name, a, agent_granted, &a->ch.hk)) {
	case 0:
		return agent_opening(a);
	case 1:
		agent_set_state(a, AGENT_CLAIMING);
		conn_timer(a->c, a->gw->cfg->hello_timeout);
		return CONN_OK;
	default:
		agent_goaway_close(a, GW_R_OVERLOAD, HANDOVER_RETRY_TEXT);
		return CONN_CLOSED_RC;
	}
}

/* HELLO: claim the agent, open a channel upstream. */
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
	a->caps = f->u.hello.caps & GW_CAPS_AGENT;	/* unknown: ignored */
	if (f->u.hello.max_payload < a->cmd_max)	/* >= 64: decoded */
		a->cmd_max = f->u.hello.max_payload;
	if (agent_claim_name(a) != 0)	/* supersedes an older session */
		return CONN_CLOSED_RC;
	return agent_claim(a);
}

static int
agent_data(struct agent *a, const struct gw_frame *f)
{
	if (f->channel != 0) {
		agent_close(a, GW_R_PROTOCOL, "DATA on a non-zero channel");
		return CONN_CLOSED_RC;
	}
	/* Credit folded into an ACK not yet sent is not the agent's yet. */
	if (a->credit <= a->credit_fold ||
	    chan_ring_len(&a->ch) == a->gw->cfg->agent_window) {
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
	if (chan_push(&a->ch, f->u.data.seq, f->u.data.body.p,
	    f->u.data.body.len) != 0) {
		agent_close(a, GW_R_OVERLOAD, "out of memory");
		return CONN_CLOSED_RC;
	}
	a->last_seq = f->u.data.seq;
	agent_credit_used(a);
	chan_pump(&a->ch);
	return CONN_OK;
}

/* The answer to the agent's renewal request. */
static void
agent_enroll_answer(const struct gw_enroll_result *res, void *arg)
{
	struct agent *a = agent_of(arg);
	struct gw_frame f = { .type = GW_T_ENROLL_RESULT };

	f.u.enroll_result = *res;
	f.u.enroll_result.ref = a->enroll_ref;
	a->enroll_ref = 0;
	stats_enroll(&a->gw->stats, res->status);
	log_info("event=agent_renewal agent=%s status=%s reason=%s",
	    agent_name(a), gw_enroll_status_str(res->status),
	    res->status == GW_ENROLL_REFUSED ? gw_reason_str(res->reason) :
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
	struct agent *a = agent_of(arg);
	char text[128];

	a->frames_in++;
	if (a->state == AGENT_HELLO_WAIT)
		return agent_hello(a, f);
	if (a->gw->cfg->idle_timeout > 0 && a->state == AGENT_OPEN)
		conn_timer(c, a->gw->cfg->idle_timeout);
	chan_heard(&a->ch);		/* alive: the next SEEN says so */
	if (f->type >= GW_T_EXT_FIRST)
		return CONN_OK;		/* extensions are ignored */
	switch (f->type) {
	case GW_T_DATA:
		if (a->state == AGENT_OPEN)	/* kept while no link */
			return agent_data(a, f);
		break;
	case GW_T_PING: {
		struct gw_frame p = { .type = GW_T_PONG };

		/* Quiet since the last heartbeat: the ring goes until DATA. */
		chan_trim(&a->ch);
		p.u.ping.opaque = f->u.ping.opaque;
		return agent_send(a, &p) == 0 ? CONN_OK : CONN_CLOSED_RC;
	}
	case GW_T_PONG:
		return CONN_OK;
	case GW_T_ENROLL:
		if (a->state == AGENT_OPEN)
			return agent_enroll(a, f);
		break;
	case GW_T_COMMAND_ACK:
	case GW_T_RESULT:
		if (a->state == AGENT_OPEN)
			return agent_cmd_answer(a, f);
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
	struct agent *a = agent_of(arg);

	(void)c;
	agent_flush_ack(a);
	agent_grant(a);
}

/* The output is written: the residence of the ACKs in it ends (stats.h). */
static void
agent_on_flushed(struct conn *c, void *arg)
{
	struct agent *a = agent_of(arg);

	(void)c;
	stats_flushed(&a->gw->stats, STATS_RES_ACK, &a->ack_pend, 1,
	    a->gw->loop);
}

static void
agent_on_timeout(struct conn *c, void *arg)
{
	struct agent *a = agent_of(arg);

	if (a->state == AGENT_HANDSHAKE && a->admitted &&
	    conn_hs_waiting(c)) {
		/* The wait is ours (the handshake budget): keep the slot. */
		conn_timer(c, AGENT_ADMIT_HOLD);
		return;
	}
	if (a->state == AGENT_HANDSHAKE && a->admitted) {
		/* Its slot's time is up; the handshake may go on. */
		agent_unadmit(a);
		conn_timer(c, a->gw->cfg->handshake_timeout - AGENT_ADMIT_HOLD);
		return;
	}
	if (a->state == AGENT_CLAIMING) {
		agent_goaway_close(a, GW_R_OVERLOAD, HANDOVER_RETRY_TEXT);
		return;
	}
	agent_close(a, GW_R_TIMEOUT, a->state == AGENT_HANDSHAKE ?
	    "TLS handshake too slow" : a->state == AGENT_OPEN ?
	    "idle timeout" : "no HELLO in time");
}

/* OPENs after the first: how often its channel moved. */
static uint64_t
agent_reopens(const struct agent *a)
{
	return a->ch.opens > 1 ? a->ch.opens - 1 : 0;
}

/* A session ended by one of the limits: count it (limit.c logs). */
static void
agent_count_limit(struct agent *a, enum agent_state was, unsigned reason)
{
	struct limits *l = &a->gw->limits;

	if (was == AGENT_CLAIMING)
		return;		/* no limit: a hand-over (handover.h) */
	switch (reason) {
	case GW_R_TIMEOUT:
		limit_hit(l, was == AGENT_HANDSHAKE ? LIMIT_HANDSHAKE_TIMEOUT :
		    was == AGENT_OPEN ? LIMIT_IDLE_TIMEOUT :
		    LIMIT_HELLO_TIMEOUT);
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
	struct agent *a = agent_of(arg);
	struct gw *gw = a->gw;
	enum agent_state was = a->state;
	char ed[LOG_ESC_MAX], en[LOG_ESC_MAX];	/* escaped for the log */

	agent_set_state(a, AGENT_CLOSED);
	agent_names_drop(&gw->agents->names, a->name);
	agent_count_limit(a, was, reason);
	stats_closed(&gw->stats, was == AGENT_HANDSHAKE, reason);
	if (a->enroll_ref != 0)
		enroll_cancel(gw, a);
	chan_close(&a->ch, reason, detail);
	handover_end(gw, a->name, a);
	agent_cmd_free(a);
	agent_credit_close(a, was == AGENT_OPEN);
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
		    (unsigned long long)agent_reopens(a));
	gw->agents->n.agents--;
	gw->agents->n.sessions--;
	if ((*a->prevp = a->next) != NULL)
		a->next->prevp = a->prevp;
	if (gw_is_drained(gw))
		ev_break(gw->loop, EVBREAK_ALL);
}

/* No call of ${arg} is on the stack any more (conn.h): free it. */
static void
agent_on_free(void *arg)
{
	struct agent *a = agent_of(arg);

	a->magic = 0;
	agent_names_free(&a->name);
	free(a);
}

/*
 * chan_ops.identity: what OPEN attests, from the session's certificate
 * (the conn keeps its DER: nothing of it is kept per session); its via is
 * this gateway alone (sent on a CHAIN link only: id_view_ext).
 */
static int
agent_chan_identity(void *arg, struct id_info *id, struct id_ext *ext)
{
	struct agent *a = agent_of(arg);
	const uint8_t *der;
	size_t len;

	der = conn_peer_der(a->c, &len);
	if (id_from_der_ext(der, len, conn_peer(a->c), id, ext) != 0) {
		agent_close(a, GW_R_INTERNAL, "certificate no longer parses");
		return -1;
	}
	/* Its path (GW_CAP_CHAIN): this gateway verified it. */
	if (ext != NULL)	/* a CN that is no via name: none */
		(void)id_ext_via(ext, NULL, a->gw->cfg->via_name);
	return 0;
}

/* The first OPEN_ACK: HELLO_ACK, and the window, as memory backs it. */
static void
agent_hello_ack(struct agent *a, uint64_t last_seq)
{
	struct gw_frame f = { .type = GW_T_HELLO_ACK };
	const struct gw_config *cfg = a->gw->cfg;

	f.u.hello_ack.version = a->version;
	f.u.hello_ack.caps = a->caps;
	f.u.hello_ack.max_payload = cfg->max_payload;
	f.u.hello_ack.heartbeat_ms = (uint32_t)(cfg->heartbeat * 1000);
	f.u.hello_ack.last_seq = last_seq;
	a->last_seq = a->acked = last_seq;
	if (agent_send(a, &f) != 0)
		return;
	agent_set_state(a, AGENT_OPEN);
	agent_credit_open(a);
	conn_timer(a->c, cfg->idle_timeout);
	log_debug("event=agent_open agent=%s channel=%u last_seq=%llu",
	    agent_name(a), a->ch.id, (unsigned long long)last_seq);
}

/*
 * The ACK owed (ack_todo, if any) and the credit of the ${n} DATA it
 * frees.  With GW_CAP_ACKCREDIT the credit rides the ACK: one frame, not
 * two; without, the ACK goes first, then any CREDIT, as always (in one
 * record either way: conn_send writes once per loop iteration).
 */
static void
agent_ack_credit(struct agent *a, uint32_t n)
{
	if (!(a->caps & GW_CAP_ACKCREDIT))
		agent_flush_ack(a);
	if (n > 0)
		agent_credit_back(a, n);
	agent_flush_ack(a);
}

/*
 * chan_ops.opened: the management server opened the channel; ${last_seq}
 * is durable.  The first time, answer HELLO_ACK and grant the window;
 * after a move, ${n} DATA of the ring were ACKed by it (the rest is
 * resent).
 */
static void
agent_chan_opened(void *arg, uint64_t last_seq, uint32_t n)
{
	struct agent *a = agent_of(arg);

	if (a->state == AGENT_OPENING) {
		agent_hello_ack(a, last_seq);
		return;
	}
	log_info("event=agent_reopened agent=%s channel=%u last_seq=%llu "
	    "resend=%u", agent_name(a), a->ch.id,
	    (unsigned long long)last_seq, chan_ring_len(&a->ch));
	if (last_seq > a->acked)
		a->acked = a->ack_todo = last_seq;
	agent_ack_credit(a, n);
}

/* chan_ops.acked: relay a cumulative ACK to the agent. */
static void
agent_chan_acked(void *arg, uint64_t seq, uint32_t n)
{
	struct agent *a = agent_of(arg);

	if (seq <= a->acked)
		return;
	a->acked = seq;
	if (seq > a->ack_todo)
		a->ack_todo = seq;
	stats_down(&a->gw->stats, 0);
	stats_pend_add(&a->ack_pend, 1, ev_now(a->gw->loop));
	if (a->gw->draining && chan_ring_len(&a->ch) == 0) {
		agent_flush_ack(a);
		agent_close(a, GW_R_SHUTDOWN, "gateway drained");
		return;
	}
	agent_ack_credit(a, n);
}

/* chan_ops.command: relay a COMMAND frame to the agent (agent_cmd.c). */
static void
agent_chan_command(void *arg, const struct gw_frame *f)
{
	agent_cmd_relay(agent_of(arg), f);
}

/* chan_ops.ended: the channel ended for good: so does the session. */
static void
agent_chan_ended(void *arg, unsigned reason, const char *text)
{
	agent_close(agent_of(arg), reason, text);
}

static const struct chan_ops agent_chan_ops = {
	.identity = agent_chan_identity,
	.opened = agent_chan_opened,
	.acked = agent_chan_acked,
	.command = agent_chan_command,
	.ended = agent_chan_ended,
};

static const struct conn_ops agent_conn_ops = {
	.on_open = agent_on_open,
	.on_frame = agent_on_frame,
	.on_writable = agent_on_writable,
	.on_flushed = agent_on_flushed,
	.on_timeout = agent_on_timeout,
	.on_close = agent_on_close,
	.on_free = agent_on_free,
};

/** agent_accept(gw, fd): start a session on accepted socket ${fd}. */
void
agent_accept(struct gw *gw, int fd)
{
	const struct gw_config *cfg = gw->cfg;
	struct agent_all *aa = gw->agents;
	struct conn_params p = {
		.in_cap = cfg->max_payload + GW_HDR_LEN + 1024,
		.out_cap = cfg->agent_output_buffer,
		.max_payload = cfg->max_payload,
		.hs_budget = AGENT_HS_BUDGET,
	};
	struct agent *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		log_warnx("event=agent_refused reason=overload detail=ENOMEM");
		close(fd);
		return;
	}
	a->magic = AGENT_MAGIC;	/* born AGENT_HANDSHAKE (zeroed) */
	a->gw = gw;
	a->cmd_max = (uint32_t)(p.out_cap - GW_HDR_LEN);	/* >= 1 KiB */
	chan_init(&a->ch, gw, cfg->agent_window, &agent_chan_ops, a);
	if ((a->c = conn_accept(gw->loop, fd, gw->agent_tls, &p, &agent_conn_ops,
	    a)) == NULL) {
		log_warnx("event=agent_refused reason=overload "
		    "detail=\"cannot set up TLS\"");
		free(a);
		return;
	}
	aa->n.agents++;
	aa->n.sessions++;
	if ((a->next = aa->list) != NULL)
		a->next->prevp = &a->next;
	aa->list = a;
	a->prevp = &aa->list;
	if (cfg->handshake_timeout > AGENT_ADMIT_HOLD) {
		a->admitted = 1;	/* agent_unadmit() gives it back */
		aa->n.handshakes++;
		conn_timer(a->c, AGENT_ADMIT_HOLD);
	} else
		conn_timer(a->c, cfg->handshake_timeout);
}

/** gw_is_drained(gw): draining and no session is left. */
int
gw_is_drained(const struct gw *gw)
{
	return gw->draining && gw->agents->n.agents == 0;
}

/**
 * agent_adopt_all(gw): a link is ready: open channels for the sessions
 * that have none, in the order they lost theirs.
 */
void
agent_adopt_all(struct gw *gw)
{
	chan_adopt_all(gw);
}
