/*
 * relay.c: the relayed sessions of one downstream link (relay.h).
 *
 *   OPEN --checked, chan_open--> OPENING --first OPEN_ACK up--> OPEN
 *   (OPEN_ACK down); any --CLOSE either way, the link's end--> CLOSED
 *   (workers mode: OPEN --checked--> CLAIMING --GRANT--> OPENING)
 *
 * A relay is a struct chan whose session side is this file: the channel
 * module moves it between upstream links and resends its ring as it does
 * an agent's, and tells it what happens through relay_chan_ops.  An ended
 * relay leaves the map at once and is freed later (relay_reap), when no
 * call of its channel is on the stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ev.h>

#include "agent.h"
#include "agent_names.h"
#include "chan.h"
#include "chanmap.h"
#include "conn.h"
#include "gw.h"
#include "handover.h"
#include "identity.h"
#include "log.h"
#include "policy.h"
#include "proto.h"
#include "relay.h"
#include "relay_issuer.h"

#define RELAY_MAGIC	0x52656c79u	/* "Rely" */
#define RELAY_SET_MAGIC	0x52536574u	/* "RSet" */

/* While paused for want of budget (no ACK of ours may come): retry. */
#define RELAY_RETRY	0.05

enum relay_state {
	RELAY_OPENING,		/* OPEN taken, its channel opens upstream */
	RELAY_OPEN,		/* OPEN_ACK sent down: DATA flows */
	RELAY_CLOSED,
	RELAY_CLAIMING		/* workers mode: waiting for the parent's
				   GRANT (handover.h) */
};

/* The relayed channels of one downstream link. */
struct relay_set {
	unsigned	 magic;
	struct gw	*gw;
	struct conn	*c;		/* the downlink's conn */
	const char	*gateway;	/* the inner gateway's CN (its link's
					   memory, for logs) */
	uint32_t	 caps;		/* agreed in HELLO_ACK */
	uint32_t	 peer_max;	/* the inner's max_payload (HELLO) */
	uint32_t	 max_chan;	/* the highest channel id opened */
	unsigned	*count;		/* relayed sessions of the gateway
					   (max_agents counts them) */
	struct namemap	**names;	/* the gateway's sessions by agent,
					   direct and relayed
					   (agent_names.h): one each */
	struct chanmap	*map;		/* id -> struct relay */
	struct relay	*dead;		/* ended, freed by relay_reap */
	int		 paused;	/* reading paused: a ring or the
					   budget is full */
	ev_timer	 retry;		/* resumes reading while paused */
	uint64_t	 ignored;	/* frames for channels closed */
	struct stats_pend pend[STATS_LINK_RUNS];	/* ACKs down unwritten */
};

struct relay {
	unsigned		 magic;
	enum relay_state	 state;
	struct relay_set	*set;
	uint32_t		 id;		/* its channel on the downlink */
	struct chan		 ch;		/* its channel upstream, ring */
	struct id_info		 who;		/* the identity OPEN attests */
	struct id_ext		*ext;		/* its extension and via */
	int			 has_ext;	/* the OPEN had an extension */
	char			*key;		/* its agent in set->names
						   (agent_names_set), or NULL */
	uint64_t		 last_seq;	/* highest DATA seq received */
	uint64_t		 acked;		/* highest seq ACKed down */
	uint64_t		 frames_in;
	struct relay		*next_dead;	/* on set->dead */
};

static const char *
relay_state_str(enum relay_state s)
{
	static const char *const names[] = { "opening", "open", "closed",
		"claiming" };

	return (unsigned)s < 4 ? names[s] : "?";
}

static struct relay *
relay_of(void *arg)
{
	struct relay *r = arg;

	if (r == NULL || r->magic != RELAY_MAGIC)
		abort();
	return r;
}

static struct relay_set *
relay_set_of(void *arg)
{
	struct relay_set *s = arg;

	if (s == NULL || s->magic != RELAY_SET_MAGIC)
		abort();
	return s;
}

/* The one place a relay's state changes. */
static void
relay_set_state(struct relay *r, enum relay_state st)
{
	log_debug("event=relay_state channel=%u from=%s to=%s", r->id,
	    relay_state_str(r->state), relay_state_str(st));
	r->state = st;
}

/* What a frame handler returns once it is done: is the link still up? */
static int
relay_rc(const struct relay_set *s)
{
	return conn_state(s->c) == CONN_CLOSED ? CONN_CLOSED_RC : CONN_OK;
}

/*
 * Queue ${f} down.  An inner gateway that leaves a megabyte of our frames
 * unread is stuck: its link closes (overload).  0 or -1.
 */
static int
relay_send(struct relay_set *s, const struct gw_frame *f)
{
	if (conn_send(s->c, f) == 0)
		return 0;
	conn_close_error(s->c, GW_R_OVERLOAD,
	    "inner gateway does not read its frames");
	return -1;
}

/* CLOSE ${reason} ${text} on channel ${id} down.  0 or -1 (closed). */
static int
relay_close_down(struct relay_set *s, uint32_t id, unsigned reason,
    const char *text)
{
	struct gw_frame f = { .type = GW_T_CLOSE, .channel = id };

	f.u.reason.code = (uint16_t)reason;
	f.u.reason.text.p = (const uint8_t *)text;
	f.u.reason.text.len = (uint16_t)strnlen(text, 200);
	return relay_send(s, &f);
}

/* A connection error: close the link, naming the frame. */
static int
relay_violation(struct relay_set *s, unsigned code, const char *why,
    const struct gw_frame *f)
{
	conn_close_error(s->c, code, "%s (%s on channel %u)", why,
	    gw_type_str(f->type), f->channel);
	return CONN_CLOSED_RC;
}

/* Read the link again: at once (an ACK freed room) or after ${after}. */
static void
relay_resume(struct relay_set *s, double after)
{
	if (!s->paused)
		return;
	ev_timer_stop(s->gw->loop, &s->retry);
	ev_timer_set(&s->retry, after, 0.);
	ev_timer_start(s->gw->loop, &s->retry);
}

static void
relay_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_set *s = relay_set_of(w->data);

	(void)loop;
	(void)revents;
	s->paused = 0;
	conn_resume(s->c);	/* the paused frame is read again */
}

/*
 * ${r} ends with ${reason} ${text}: out of the map (later frames for its
 * id are ignored), its channel closed upstream, CLOSE down if ${down};
 * freed by relay_reap.
 */
static void
relay_end(struct relay *r, unsigned reason, const char *text, int down)
{
	struct relay_set *s = r->set;
	enum relay_state was = r->state;
	char en[LOG_ESC_MAX], eg[LOG_ESC_MAX], et[LOG_ESC_MAX];

	if (was == RELAY_CLOSED)
		return;
	relay_set_state(r, RELAY_CLOSED);
	agent_names_drop(s->names, r->key);
	chanmap_del(s->map, r->id);
	(*s->count)--;
	agent_count_relayed(s->gw, 0);
	chan_close(&r->ch, reason, text);
	handover_end(s->gw, r->key, r);
	r->next_dead = s->dead;
	s->dead = r;
	log_esc(en, sizeof(en), r->who.name, LOG_ESC_STR, LOG_ESC_BARE);
	log_esc(eg, sizeof(eg), s->gateway, LOG_ESC_STR, LOG_ESC_BARE);
	log_esc(et, sizeof(et), text, LOG_ESC_STR, 0);
	log_info("event=relay_closed agent=%s gateway=%s channel=%u reason=%s "
	    "detail=\"%s\" state=%s frames=%llu last_seq=%llu", en, eg, r->id,
	    gw_reason_str(reason), et, relay_state_str(was),
	    (unsigned long long)r->frames_in,
	    (unsigned long long)r->last_seq);
	if (down)
		(void)relay_close_down(s, r->id, reason, text);
}

/*
 * chan_ops.identity: what the inner gateway's OPEN attested; 1 (none sent
 * up) if it had no extension: not a zeroed one, a notAfter of 1970.
 */
static int
relay_chan_identity(void *arg, struct id_info *id, struct id_ext *ext)
{
	struct relay *r = relay_of(arg);

	*id = r->who;
	if (!r->has_ext)
		return 1;
	if (ext != NULL)
		memcpy(ext, r->ext, sizeof(*ext));
	return 0;
}

/* ACK ${seq} down if it is news. */
static void
relay_ack_down(struct relay *r, uint64_t seq)
{
	struct gw_frame f = { .type = GW_T_ACK, .channel = r->id };

	if (seq <= r->acked)
		return;
	r->acked = seq;
	f.u.ack.seq = seq;
	if (relay_send(r->set, &f) == 0)
		stats_pend_add(r->set->pend, STATS_LINK_RUNS,
		    ev_now(r->set->gw->loop));
}

/*
 * chan_ops.opened: the first time, OPEN_ACK down (DATA may flow); after a
 * move, ACK down what the server holds that is news.  Ring slots freed:
 * read again.
 */
static void
relay_chan_opened(void *arg, uint64_t last_seq, uint32_t n)
{
	struct relay *r = relay_of(arg);
	struct gw_frame f = { .type = GW_T_OPEN_ACK, .channel = r->id };

	if (r->state == RELAY_OPENING) {
		f.u.ack.seq = last_seq;
		if (relay_send(r->set, &f) != 0)
			return;
		relay_set_state(r, RELAY_OPEN);
		r->last_seq = r->acked = last_seq;
		log_debug("event=relay_open channel=%u last_seq=%llu", r->id,
		    (unsigned long long)last_seq);
		return;
	}
	relay_ack_down(r, last_seq);
	if (n > 0)
		relay_resume(r->set, 0.);
}

/* chan_ops.acked: ACK down; the ring has room again. */
static void
relay_chan_acked(void *arg, uint64_t seq, uint32_t n)
{
	struct relay *r = relay_of(arg);

	relay_ack_down(r, seq);
	if (n > 0)
		relay_resume(r->set, 0.);
}

/*
 * chan_ops.command: COMMAND down on the relay's channel, if the inner
 * gateway agreed COMMANDS and takes its size; else dropped (the server
 * sends it again on the agent's next channel).
 */
static void
relay_chan_command(void *arg, const struct gw_frame *f)
{
	struct relay *r = relay_of(arg);
	struct gw_frame g = *f;

	if (r->state != RELAY_OPEN ||
	    !(r->set->caps & GW_CAP_COMMANDS) ||
	    (size_t)8 + f->u.data.body.len > r->set->peer_max ||
	    conn_send(r->set->c, (g.channel = r->id, &g)) != 0)
		log_debug("event=relay_command_dropped channel=%u id=%llu",
		    r->id, (unsigned long long)f->u.data.seq);
}

/* chan_ops.ended: the channel ended for good: CLOSE down, same reason. */
static void
relay_chan_ended(void *arg, unsigned reason, const char *text)
{
	relay_end(relay_of(arg), reason, text, 1);
}

static const struct chan_ops relay_chan_ops = {
	.identity = relay_chan_identity,
	.opened = relay_chan_opened,
	.acked = relay_chan_acked,
	.command = relay_chan_command,
	.ended = relay_chan_ended,
};

/*
 * May the inner gateway speak for ${r}'s agent?  [downstream] agent_names
 * and agent_issuers, and [gateway] deny_names and deny_fingerprints as for
 * agents here (the CN, the DNS SANs of the extension, the fingerprint),
 * read at each OPEN (a reload changes them).  0, or -1 with the reason in
 * ${why}.
 */
static int
relay_allowed(const struct relay_set *s, const struct relay *r,
    char *why, size_t len)
{
	const struct gw_config *cfg = s->gw->cfg;
	const struct id_info *id = &r->who;
	char deny[128];

	if (policy_deny(cfg->policy, id->name, id->fingerprint, r->ext->sans,
	    r->has_ext ? r->ext->sans_len : 0, deny, sizeof(deny)) != 0) {
		snprintf(why, len, "%s ([gateway])", deny);
		return -1;
	}
	if (!id_policy_match(cfg->down_agent_names, id->name)) {
		snprintf(why, len, "agent not allowed by [downstream] "
		    "agent_names");
		return -1;
	}
	if (cfg->down_agent_issuers != NULL &&
	    !relay_issuer_match(cfg->down_agent_issuers, id->issuer)) {
		snprintf(why, len, "issuer not allowed by [downstream] "
		    "agent_issuers");
		return -1;
	}
	if (agent_counts(s->gw)->sessions >= cfg->max_agents) {
		snprintf(why, len, "max_agents (%u) reached", cfg->max_agents);
		return -1;
	}
	return 0;
}

/* An OPEN refused: logged, CLOSE ${reason} down; ${r} freed. */
static int
relay_refuse(struct relay_set *s, struct relay *r, uint32_t id,
    unsigned reason, const char *why)
{
	char en[LOG_ESC_MAX], eg[LOG_ESC_MAX], ew[LOG_ESC_MAX];

	log_esc(en, sizeof(en), r != NULL ? r->who.name : "-", LOG_ESC_STR,
	    LOG_ESC_BARE);
	log_esc(eg, sizeof(eg), s->gateway, LOG_ESC_STR, LOG_ESC_BARE);
	log_esc(ew, sizeof(ew), why, LOG_ESC_STR, 0);
	log_warnx("event=relay_refused agent=%s gateway=%s channel=%u "
	    "reason=%s detail=\"%s\"", en, eg, id, gw_reason_str(reason), ew);
	if (r != NULL) {
		agent_names_free(&r->key);
		free(r->ext);
	}
	free(r);
	(void)relay_close_down(s, id, reason, why);
	return relay_rc(s);
}

/*
 * Keep OPEN's extension ${v} in ${r}, checked as the server checks it,
 * and its via with our name appended (docs/PROTOCOL.md 9.13): the last
 * name must be the inner gateway's, as we verified it; ours in it is a
 * loop.  No via from the inner gateway: none sent on (the path is
 * unknown).  0, or -1 with ${reason} and ${why}.
 */
static int
relay_keep_ext(const struct relay_set *s, struct relay *r,
    const struct gw_identity *v, unsigned *reason, char *why, size_t len)
{
	struct gw_str last, inner = gw_str_text(s->gateway);

	*reason = GW_R_PROTOCOL;
	if ((r->ext = malloc(sizeof(*r->ext))) == NULL) {
		*reason = GW_R_INTERNAL;
		snprintf(why, len, "out of memory");
		return -1;
	}
	if (id_ext_from_view(v, r->ext) != 0) {
		snprintf(why, len, "bad identity extension in OPEN");
		return -1;
	}
	r->has_ext = v->has_ext;
	if (!v->has_ext || !v->has_via || s->gw->cfg->via_name[0] == '\0')
		return 0;
	last = gw_via_last(&v->via);
	if (last.len != inner.len || memcmp(last.p, inner.p, inner.len)) {
		snprintf(why, len, "via's last name is not the sending "
		    "gateway's (%s)", s->gateway);
		return -1;
	}
	if (id_ext_via(r->ext, &v->via, s->gw->cfg->via_name) != 0) {
		*reason = GW_R_POLICY;
		snprintf(why, len, "loop: via \"%.*s\" holds this gateway (%s) "
		    "or %d names", (int)v->via.len, (const char *)v->via.p,
		    s->gw->cfg->via_name, GW_VIA_MAX);
		return -1;
	}
	return 0;
}

/* agent_names_closer: a newer session of its agent supersedes ${arg}. */
static void
relay_superseded(void *arg, const char *detail)
{
	relay_end(relay_of(arg), GW_R_SUPERSEDED, detail, 1);
}

/*
 * One session per agent (its issuer and name, agent_names.h), direct or
 * relayed: a newer OPEN of it, from any inner gateway, supersedes the
 * older relayed session (CLOSE superseded down and up) or the agent's
 * direct session here (ERROR superseded), as an agent's HELLO does.  0, or
 * -1 (memory).
 */
static int
relay_claim(struct relay_set *s, struct relay *r)
{
	char why[160];

	if (agent_names_set(&r->key, r, relay_superseded, r->who.issuer,
	    r->who.name) != 0)
		return -1;
	snprintf(why, sizeof(why), "a newer session of this agent via %s",
	    s->gateway);
	return agent_names_claim(s->names, r->key, why);
}

/* handover_answer_fn: the parent's answer to its CLAIM, or RELEASE. */
static void
relay_granted(void *arg, int what)
{
	struct relay *r = relay_of(arg);

	if (what == HANDOVER_RELEASE)
		relay_superseded(r, "a newer session of this agent on another "
		    "worker of this gateway");
	else if (r->state != RELAY_CLAIMING)
		return;
	else if (what == HANDOVER_GRANT) {
		relay_set_state(r, RELAY_OPENING);
		(void)chan_open(&r->ch);	/* -1: ended, CLOSE down */
	} else
		relay_end(r, GW_R_OVERLOAD, HANDOVER_RETRY_TEXT, 1);
}

/*
 * OPEN: a new channel id, above every one before (else the link closes);
 * its identity checked, then a channel opened upstream for it: OPEN_ACK
 * goes down when the server's comes up.
 */
static int
relay_open(struct relay_set *s, const struct gw_frame *f)
{
	const struct gw_identity *v = &f->u.open;
	struct relay *r;
	unsigned reason;
	int rc;
	char why[200];

	if (f->channel <= s->max_chan)
		return relay_violation(s, GW_R_PROTOCOL, "channel id reused",
		    f);
	if (v->has_ext && !(s->caps & GW_CAP_FLEET))
		return relay_violation(s, GW_R_UNEXPECTED,
		    "FLEET not agreed in HELLO", f);
	if (v->has_via && !(s->caps & GW_CAP_CHAIN))
		return relay_violation(s, GW_R_UNEXPECTED,
		    "CHAIN not agreed in HELLO", f);
	s->max_chan = f->channel;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return relay_refuse(s, NULL, f->channel, GW_R_INTERNAL,
		    "out of memory");
	if (id_from_view(v, &r->who) != 0 || r->who.name[0] == '\0' ||
	    r->who.issuer[0] == '\0')
		return relay_refuse(s, r, f->channel, GW_R_PROTOCOL,
		    "bad identity in OPEN");
	if (relay_keep_ext(s, r, v, &reason, why, sizeof(why)) != 0)
		return relay_refuse(s, r, f->channel, reason, why);
	if (relay_allowed(s, r, why, sizeof(why)) != 0)
		return relay_refuse(s, r, f->channel, strstr(why, "max_") ?
		    GW_R_OVERLOAD : GW_R_POLICY, why);
	r->magic = RELAY_MAGIC;		/* relay_end may see it from now */
	r->set = s;
	r->id = f->channel;
	if (chanmap_put(s->map, f->channel, r) != 0) {
		r->magic = 0;
		return relay_refuse(s, r, f->channel, GW_R_INTERNAL,
		    "out of memory");
	}
	(*s->count)++;
	agent_count_relayed(s->gw, 1);
	chan_init(&r->ch, s->gw, s->gw->cfg->agent_window, &relay_chan_ops, r);
	if (relay_claim(s, r) != 0) {
		relay_end(r, GW_R_INTERNAL, "out of memory", 1);
		return relay_rc(s);
	}
	log_debug("event=relay_opening channel=%u", r->id);
	/* Workers mode: its channel opens once the parent grants. */
	rc = handover_claim(s->gw, r->key, r, relay_granted, &r->ch.hk);
	if (rc == 0)
		(void)chan_open(&r->ch);	/* -1: ended, CLOSE went down */
	else if (rc == 1)
		relay_set_state(r, RELAY_CLAIMING);
	else
		relay_end(r, GW_R_OVERLOAD, HANDOVER_RETRY_TEXT, 1);
	return relay_rc(s);
}

/* Would DATA of ${len} bytes pass buffer_budget (agent_credit.c)? */
static int
relay_budget_short(const struct relay_set *s, uint32_t len)
{
	const struct gw *gw = s->gw;

	return chan_replay_bytes(gw) + agent_counts(gw)->reserved_bytes +
	    len > gw->cfg->buffer_budget;
}

/*
 * DATA on ${r}: the server's checks (docs/PROTOCOL.md 9.8: channel
 * errors), then into the ring and up; a full ring or budget pauses the
 * link before anything changes (the frame is read again).
 */
static int
relay_data(struct relay_set *s, struct relay *r, const struct gw_frame *f)
{
	uint64_t seq = f->u.data.seq;

	if (r->state != RELAY_OPEN)
		relay_end(r, GW_R_UNEXPECTED, "DATA before OPEN_ACK", 1);
	else if (seq <= r->last_seq)
		relay_end(r, GW_R_SEQUENCE, "DATA sequence not increasing", 1);
	else if (seq > GW_SEQ_MAX)
		relay_end(r, GW_R_SEQUENCE, "DATA sequence above 2^63-1", 1);
	else if (chan_ring_len(&r->ch) >= s->gw->cfg->agent_window ||
	    relay_budget_short(s, f->u.data.body.len)) {
		s->paused = 1;
		relay_resume(s, RELAY_RETRY);
		return CONN_PAUSE;
	} else if (chan_push(&r->ch, seq, f->u.data.body.p,
	    f->u.data.body.len) != 0)
		relay_end(r, GW_R_OVERLOAD, "out of memory", 1);
	else {
		r->last_seq = seq;
		chan_heard(&r->ch);
		chan_pump(&r->ch);
	}
	return relay_rc(s);
}

/* CLOSE from the inner gateway: its agent left; not answered. */
static void
relay_closed(struct relay *r, const struct gw_frame *f)
{
	unsigned code = f->u.reason.code;
	char text[160];

	snprintf(text, sizeof(text), "inner gateway closed it: %.*s",
	    (int)(f->u.reason.text.len < 120 ? f->u.reason.text.len : 120),
	    (const char *)f->u.reason.text.p);
	for (char *p = text; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';	/* it goes up as CLOSE text */
	relay_end(r, code <= GW_R_WIRE_LAST ? code : GW_R_PROTOCOL, text, 0);
}

/* COMMAND_ACK or RESULT of ${r}'s agent: relayed up (chan_answer). */
static void
relay_answer(struct relay *r, const struct gw_frame *f)
{
	const char *why = "";

	if (r->state != RELAY_OPEN)
		return;
	chan_heard(&r->ch);
	if (chan_answer(&r->ch, f, &why) < 0)
		log_info("event=relay_answer_dropped channel=%u type=%s "
		    "detail=\"%s\"", r->id, gw_type_str(f->type), why);
}

/**
 * relay_frame(s, f): a frame of a non-zero channel from the inner gateway
 * (OPEN, DATA, CLOSE, COMMAND_ACK, RESULT).  Return CONN_OK, CONN_PAUSE
 * (read it again later), or CONN_CLOSED_RC (a connection error: the conn
 * was closed with the reason).
 */
int
relay_frame(struct relay_set *s, const struct gw_frame *f)
{
	struct relay *r;

	if (f->type == GW_T_OPEN)
		return relay_open(s, f);
	if ((f->type == GW_T_COMMAND_ACK || f->type == GW_T_RESULT) &&
	    !(s->caps & GW_CAP_COMMANDS))
		return relay_violation(s, GW_R_UNEXPECTED,
		    "COMMANDS not agreed in HELLO", f);
	if (f->type != GW_T_DATA && f->type != GW_T_CLOSE &&
	    f->type != GW_T_COMMAND_ACK && f->type != GW_T_RESULT)
		return relay_violation(s, GW_R_UNEXPECTED,
		    "frame not valid from a gateway", f);
	if ((r = chanmap_get(s->map, f->channel)) == NULL) {
		if (f->channel > s->max_chan)
			return relay_violation(s, GW_R_PROTOCOL,
			    "channel not open", f);
		s->ignored++;	/* a channel closed: late frames */
		return CONN_OK;
	}
	r = relay_of(r);
	r->frames_in++;
	if (f->type == GW_T_DATA)
		return relay_data(s, r, f);
	if (f->type == GW_T_CLOSE)
		relay_closed(r, f);
	else
		relay_answer(r, f);
	return relay_rc(s);
}

/**
 * relay_seen(s, f): SEEN ${f} from the inner gateway: each listed channel
 * open here was heard from its agent (chan_heard), so the next SEEN of
 * its upstream link lists it; any other id is ignored.  Return CONN_OK or
 * CONN_CLOSED_RC (FLEET was not agreed).
 */
int
relay_seen(struct relay_set *s, const struct gw_frame *f)
{
	void *v;

	if (!(s->caps & GW_CAP_FLEET))
		return relay_violation(s, GW_R_UNEXPECTED,
		    "FLEET not agreed in HELLO", f);
	for (uint32_t i = 0; i < f->u.seen.n; i++)
		if ((v = chanmap_get(s->map, gw_seen_id(f, i))) != NULL)
			chan_heard(&relay_of(v)->ch);
		else
			s->ignored++;
	return CONN_OK;
}

/**
 * relay_set_new(gw, gateway, count, names): the channels of a new link,
 * none yet, of the inner gateway named ${gateway} (the caller's memory,
 * for logs); ${count} counts the gateway's relayed sessions, ${names}
 * indexes its sessions by agent, direct and relayed alike (agent_names.h:
 * NULL while empty).  NULL on ENOMEM.
 */
struct relay_set *
relay_set_new(struct gw *gw, const char *gateway, unsigned *count,
    struct namemap **names)
{
	struct relay_set *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->map = chanmap_new()) == NULL) {
		free(s);
		return NULL;
	}
	s->magic = RELAY_SET_MAGIC;
	s->gw = gw;
	s->gateway = gateway;
	s->count = count;
	s->names = names;
	ev_timer_init(&s->retry, relay_retry_cb, RELAY_RETRY, 0.);
	s->retry.data = s;
	return s;
}

/** relay_set_conn(s, c): ${s}'s link is the conn ${c}. */
void
relay_set_conn(struct relay_set *s, struct conn *c)
{
	s->c = c;
}

/**
 * relay_set_agreed(s, caps, peer_max): the link's HELLO_ACK agreed
 * ${caps}; its HELLO said it takes payloads of ${peer_max} bytes.
 */
void
relay_set_agreed(struct relay_set *s, uint32_t caps, uint32_t peer_max)
{
	s->caps = caps;
	s->peer_max = peer_max;
}

/** relay_ignored(s): frames and SEEN ids ${s} ignored (channels closed). */
uint64_t
relay_ignored(const struct relay_set *s)
{
	return s->ignored;
}

/** relay_count(s): channels open on ${s}. */
size_t
relay_count(const struct relay_set *s)
{
	return chanmap_count(s->map);
}

/**
 * relay_set_close(s, reason, text): the link is closing: end every channel
 * of ${s} (CLOSE upstream with ${reason}); they are freed by
 * relay_set_free.  Return how many were open.
 */
size_t
relay_set_close(struct relay_set *s, unsigned reason, const char *text)
{
	size_t n = 0, it;
	void *v;

	ev_timer_stop(s->gw->loop, &s->retry);
	s->paused = 0;
	/* Each end changes the map: take the first one again each time. */
	while ((it = 0, chanmap_next(s->map, &it, &v)) != 0) {
		relay_end(relay_of(v), reason, text, 0);
		n++;
	}
	return n;
}

/**
 * relay_reap(s): free the channels of ${s} that ended (called where no
 * call of theirs is on the stack: a new frame of the link).
 */
void
relay_reap(struct relay_set *s)
{
	struct relay *r;

	while ((r = s->dead) != NULL) {
		s->dead = r->next_dead;
		agent_names_free(&r->key);
		free(r->ext);
		r->magic = 0;
		free(r);
	}
}

/**
 * relay_set_flushed(s): the link's output is written: the residence of the
 * ACKs relayed down in it ends.
 */
void
relay_set_flushed(struct relay_set *s)
{
	stats_flushed(&s->gw->stats, STATS_RES_ACK, s->pend, STATS_LINK_RUNS,
	    s->gw->loop);
}

/**
 * relay_set_free(s): free ${s} (after relay_set_close, when no call of its
 * channels is on the stack: the link's on_free); NULL-safe.
 */
void
relay_set_free(struct relay_set *s)
{
	if (s == NULL)
		return;
	relay_reap(s);
	chanmap_free(s->map);
	s->magic = 0;
	free(s);
}
