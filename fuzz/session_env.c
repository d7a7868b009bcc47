/*
 * session_env.c: fuzz_session's world (see session_env.h): what the
 * gateway sends on the fake conns (fake_conn.c) checked as an agent or a
 * server would, and enroll.h, whose renewals wait for the harness.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "enroll.h"
#include "fake_conn.h"
#include "fuzz.h"
#include "session_env.h"

#define SESS_CHANS	256	/* channels tracked per link */
#define SESS_ENROLLS	8
#define SESS_IDS	32	/* COMMAND ids tracked per agent conn */

/* A channel as the server sees it on one link. */
struct sess_chan {
	uint32_t	 id;
	int		 open;		/* OPENed, not CLOSEd */
	int		 answered;	/* OPEN_ACK delivered */
	uint64_t	 last_data;	/* newest DATA seq (0: none) */
	uint64_t	 acked;		/* newest ACK delivered */
	unsigned	 agent;		/* its OPEN's agent conn (serial) */
};

/* A set of COMMAND ids, as the harness sees them. */
struct sess_ids {
	uint64_t	 id[SESS_IDS];
	unsigned	 n;
	int		 overflow;	/* stop checking */
};

/* What the environment keeps of each conn (fake_conn_data). */
struct sess_data {
	struct sess_conn_view	 v;
	struct sess_chan	 ch[SESS_CHANS];
	unsigned		 nch;
	int			 ch_overflow;	/* stop checking channels */
	int			 up_ready;	/* a link took its HELLO_ACK */
	uint64_t		 agent_top;	/* an agent's newest seq: its
						   HELLO_ACK's, then its DATA */
	unsigned		 serial;	/* this conn's, in its peer */
	char			 peer[32];	/* conn_peer */
	uint32_t		 up_caps;	/* a link's HELLO_ACK caps */
	uint32_t		 up_max;	/* ... and its max_payload */
	unsigned		 spoke;		/* an agent's frames after its
						   HELLO */
	unsigned		 spoke_seen;	/* spoke when a SEEN last
						   listed its channel */
	int			 cmds_on;	/* an agent's HELLO_ACK caps
						   had COMMANDS */
	int			 ackcredit_on;	/* ... had ACKCREDIT */
	struct sess_ids		 commanded;	/* COMMANDs the server sent on
						   an agent's channels */
	struct sess_ids		 relayed;	/* relayed to it with COMMANDS
						   on, no RESULT from it yet */
	uint64_t		 answered[GW_COMMANDS_INFLIGHT];
	unsigned		 nanswered;	/* the last ids of relayed its
						   RESULT answered (a ring) */
	unsigned		 next_answered;
	uint32_t		 agent_max;	/* its HELLO's max_payload */
};

static void sess_sent(struct conn *, const struct gw_frame *, int);
static void sess_read(struct conn *, const struct gw_frame *, int);
static void sess_reading(struct conn *, const struct gw_frame *);
static void sess_closing(struct conn *, unsigned, const char *);
static void sess_made(struct conn *);
static const char *sess_peer(const struct conn *);

static const struct fake_conn_env sess_env = {
	.accepts = SESS_AGENTS,
	.connects = SESS_LINKS,
	.data_size = sizeof(struct sess_data),
	.queue_cap = 0,			/* no gateway owner pauses */
	.sent = sess_sent,
	.reading = sess_reading,
	.read = sess_read,
	.closing = sess_closing,
	.made = sess_made,
	.peer = sess_peer,
};

static unsigned serials;	/* conns made in this input */
static int blind;		/* a COMMAND on a link whose channels are
				   no longer tracked: commanded unknown */

/* What the harness does now: what may end a link (sess_closing). */
static struct {
	unsigned		 op;	/* sess_op, or SESS_OPS: stop */
	const struct conn	*c;	/* the op's conn (NULL: none) */
	const struct conn	*rc;	/* reading rf from this server now */
	struct gw_frame		 rf;
	int			 down;	/* a link ended rightly in this op */
} cause;

static struct {
	enroll_cb	 cb;
	void		*arg;
} enrolls[SESS_ENROLLS];

void
sess_env_reset(void)
{
	fake_conn_reset(&sess_env);
	memset(enrolls, 0, sizeof(enrolls));
	memset(&cause, 0, sizeof(cause));
	serials = 0;
	blind = 0;
}

/* fake_conn_env.made: each conn its own peer address (its serial). */
static void
sess_made(struct conn *c)
{
	struct sess_data *d = fake_conn_data(c);

	d->serial = ++serials;
	snprintf(d->peer, sizeof(d->peer), "192.0.2.1:%u", d->serial);
}

/* fake_conn_env.peer: what an agent's OPEN says, so its channel is known. */
static const char *
sess_peer(const struct conn *c)
{
	const struct sess_data *d = fake_conn_data(c);

	return d->peer;
}

/* The live agent conn of serial ${serial}, or NULL. */
static struct conn *
sess_agent(unsigned serial)
{
	for (unsigned i = 0; i < FAKE_CONN_SLOTS; i++) {
		struct conn *c = fake_conn_accepted(i);

		if (c != NULL && ((struct sess_data *)
		    fake_conn_data(c))->serial == serial)
			return c;
	}
	return NULL;
}

/* The serial in the peer address ${p} of an OPEN (0: none). */
static unsigned
sess_serial(const struct gw_str *p)
{
	unsigned v = 0;
	size_t i = sizeof("192.0.2.1:") - 1;

	if (p->len <= i || memcmp(p->p, "192.0.2.1:", i) != 0)
		return 0;
	for (; i < p->len && p->p[i] >= '0' && p->p[i] <= '9'; i++)
		v = v * 10 + (unsigned)(p->p[i] - '0');
	return v;
}

static int
sess_ids_has(const struct sess_ids *s, uint64_t id)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return 1;
	return 0;
}

static void
sess_ids_add(struct sess_ids *s, uint64_t id)
{
	if (sess_ids_has(s, id))
		return;
	if (s->n == SESS_IDS)
		s->overflow = 1;
	else
		s->id[s->n++] = id;
}

static void
sess_ids_del(struct sess_ids *s, uint64_t id)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->id[i] == id) {
			s->id[i] = s->id[--s->n];
			return;
		}
}

/* 1 if ${id} is among the last ids an agent's RESULT answered. */
static int
sess_answered(const struct sess_data *d, uint64_t id)
{
	for (unsigned i = 0; i < d->nanswered; i++)
		if (d->answered[i] == id)
			return 1;
	return 0;
}

/* The agent's RESULT answered relayed ${id}: the newest of the ring. */
static void
sess_answered_add(struct sess_data *d, uint64_t id)
{
	if (sess_answered(d, id))
		return;
	d->answered[d->next_answered] = id;
	d->next_answered = (d->next_answered + 1) % GW_COMMANDS_INFLIGHT;
	if (d->nanswered < GW_COMMANDS_INFLIGHT)
		d->nanswered++;
}

/* The id a COMMAND, COMMAND_ACK or RESULT ${f} is about. */
static uint64_t
sess_cmd_id(const struct gw_frame *f)
{
	return f->type == GW_T_COMMAND ? f->u.data.seq :
	    f->type == GW_T_RESULT ? f->u.result.id : f->u.ack.seq;
}

/*
 * An answer ${f} the gateway sends up on channel ${ch} of a link whose
 * HELLO_ACK had caps ${caps}: the link agreed COMMANDS; the agent whose
 * channel it is sends it now, and answers an id relayed to it on this
 * session, which the server COMMANDed on one of its channels.
 */
static void
sess_check_answer(const struct sess_chan *ch, uint32_t caps,
    const struct gw_frame *f)
{
	struct conn *a = sess_agent(ch->agent);
	struct sess_data *ad;
	uint64_t id = sess_cmd_id(f);

	FUZZ_CHECK(caps & GW_CAP_COMMANDS);
	FUZZ_CHECK(a != NULL && a == cause.c);
	ad = fake_conn_data(a);
	FUZZ_CHECK(ad->cmds_on);
	FUZZ_CHECK(ad->relayed.overflow || sess_ids_has(&ad->relayed, id));
	FUZZ_CHECK(blind || ad->commanded.overflow ||
	    sess_ids_has(&ad->commanded, id));
}

void
sess_cause(unsigned op, const struct conn *c)
{
	memset(&cause, 0, sizeof(cause));
	cause.op = op;
	cause.c = c;
}

const struct sess_conn_view *
sess_view(const struct conn *c)
{
	const struct sess_data *d = fake_conn_data(c);

	return &d->v;
}

static struct sess_chan *
sess_chan(struct sess_data *d, uint32_t id)
{
	for (unsigned i = 0; i < d->nch; i++)
		if (d->ch[i].id == id)
			return &d->ch[i];
	return NULL;
}

/*
 * SEEN ${f} on a link: only with FLEET, within its server's max_payload,
 * of channels open on this link, each once, whose agent sent a frame since
 * a SEEN last listed it.
 */
static void
sess_check_seen(struct sess_data *d, const struct gw_frame *f)
{
	struct sess_data *ad;
	struct sess_chan *ch;
	struct conn *a;

	FUZZ_CHECK(d->up_caps & GW_CAP_FLEET);
	FUZZ_CHECK((size_t)f->u.seen.n * 4 <= d->up_max);
	for (uint32_t i = 0; i < f->u.seen.n && !d->ch_overflow; i++) {
		for (uint32_t j = 0; j < i; j++)
			FUZZ_CHECK(gw_seen_id(f, j) != gw_seen_id(f, i));
		ch = sess_chan(d, gw_seen_id(f, i));
		FUZZ_CHECK(ch != NULL && ch->open);
		if ((a = sess_agent(ch->agent)) == NULL)
			continue;
		ad = fake_conn_data(a);
		FUZZ_CHECK(ad->spoke > ad->spoke_seen);
		ad->spoke_seen = ad->spoke;
	}
}

/*
 * OPEN ${f}'s via on a link of caps ${caps} and max_payload ${max}: only
 * with FLEET and CHAIN, and there always unless it could not fit; the
 * gateway's name alone (its agents are its own).
 */
static void
sess_check_via(const struct gw_frame *f, uint32_t caps, uint32_t max)
{
	struct gw_str me = gw_str_text(SESS_VIA_NAME);
	const struct gw_identity *v = &f->u.open;

	if (!v->has_via) {
		FUZZ_CHECK(!v->has_ext || !(caps & GW_CAP_CHAIN) ||
		    f->len + 2 + me.len > max);
		return;
	}
	FUZZ_CHECK((caps & GW_CAP_FLEET) && (caps & GW_CAP_CHAIN));
	FUZZ_CHECK(v->via.len == me.len &&
	    memcmp(v->via.p, me.p, me.len) == 0);
	FUZZ_CHECK(gw_via_count(&v->via) == 1);
}

/* What the gateway sends upstream: channels opened once, DATA in order. */
static void
sess_check_up(struct sess_data *d, const struct gw_frame *f)
{
	struct sess_chan *ch;

	if (f->type == GW_T_SEEN)
		sess_check_seen(d, f);
	/*
	 * The extension only with FLEET, and always unless it cannot fit
	 * the server's max_payload; no OPEN above it unless even one
	 * without the extension is (998 bytes at most).
	 */
	if (f->type == GW_T_OPEN) {
		FUZZ_CHECK(!f->u.open.has_ext || (d->up_caps & GW_CAP_FLEET));
		FUZZ_CHECK(f->u.open.has_ext ||
		    !(d->up_caps & GW_CAP_FLEET) || f->len + 10 > d->up_max);
		FUZZ_CHECK(f->len <= d->up_max || !f->u.open.has_ext);
		sess_check_via(f, d->up_caps, d->up_max);
	}
	if (f->channel == 0 || d->ch_overflow)
		return;
	ch = sess_chan(d, f->channel);
	switch (f->type) {
	case GW_T_OPEN:
		FUZZ_CHECK(ch == NULL);		/* ids never reused */
		if (d->nch == SESS_CHANS) {
			d->ch_overflow = 1;
			return;
		}
		ch = &d->ch[d->nch++];
		memset(ch, 0, sizeof(*ch));
		ch->id = f->channel;
		ch->open = 1;
		ch->agent = sess_serial(&f->u.open.peer);
		break;
	case GW_T_DATA:
		FUZZ_CHECK(ch != NULL && ch->open);
		FUZZ_CHECK(f->u.data.seq > ch->last_data);
		ch->last_data = f->u.data.seq;
		break;
	case GW_T_CLOSE:
		FUZZ_CHECK(ch != NULL && ch->open);
		ch->open = 0;
		break;
	case GW_T_COMMAND_ACK:
	case GW_T_RESULT:
		FUZZ_CHECK(ch != NULL && ch->open);
		sess_check_answer(ch, d->up_caps, f);
		break;
	default:
		FUZZ_CHECK(0);		/* nothing else has a channel */
	}
}

/*
 * What the gateway sends an agent: credit counted, one HELLO_ACK, no ACK
 * of a seq the agent did not send.
 */
static void
sess_check_down(struct sess_data *d, const struct gw_frame *f)
{
	FUZZ_CHECK(f->channel == 0);
	FUZZ_CHECK(f->type != GW_T_OPEN && f->type != GW_T_DATA);
	if (f->type == GW_T_HELLO_ACK) {
		FUZZ_CHECK(!d->v.hello_acked);
		d->v.hello_acked = 1;
		d->agent_top = f->u.hello_ack.last_seq;
	} else if (f->type == GW_T_ACK) {
		FUZZ_CHECK(f->u.ack.seq <= d->agent_top);
		/* Credit rides an ACK only where ACKCREDIT was agreed. */
		FUZZ_CHECK(f->u.ack.credit == 0 || d->ackcredit_on);
		d->v.credit_granted += f->u.ack.credit;
	} else if (f->type == GW_T_CREDIT) {
		FUZZ_CHECK(d->v.hello_acked);
		d->v.credit_granted += f->u.credit.n;
	} else if (f->type == GW_T_COMMAND) {
		/* The server sent it on one of this agent's channels. */
		FUZZ_CHECK(blind || d->commanded.overflow ||
		    sess_ids_has(&d->commanded, f->u.data.seq));
		/* The agent takes it, and it fits its output. */
		FUZZ_CHECK(8 + f->u.data.body.len <= d->agent_max);
		FUZZ_CHECK(GW_HDR_LEN + 8 + f->u.data.body.len <=
		    SESS_AGENT_OUTPUT);
		if (d->cmds_on)
			sess_ids_add(&d->relayed, f->u.data.seq);
		FUZZ_CHECK(d->relayed.n <= GW_COMMANDS_INFLIGHT);
		d->v.cmds = d->relayed.n;
	}
	if (f->type == GW_T_HELLO_ACK) {
		d->cmds_on = (f->u.hello_ack.caps & GW_CAP_COMMANDS) != 0;
		d->ackcredit_on =
		    (f->u.hello_ack.caps & GW_CAP_ACKCREDIT) != 0;
	}
}

/* fake_conn_env.sent: what the gateway sends, where it fits. */
static void
sess_sent(struct conn *c, const struct gw_frame *f, int fits)
{
	if (!fits)
		return;
	if (fake_conn_is_accepted(c))
		sess_check_down(fake_conn_data(c), f);
	else
		sess_check_up(fake_conn_data(c), f);
}

/* fake_conn_env.reading: a server's frame may end its link. */
static void
sess_reading(struct conn *c, const struct gw_frame *f)
{
	struct sess_data *d = fake_conn_data(c);
	struct sess_chan *ch;
	struct conn *a;

	if (fake_conn_is_accepted(c)) {
		d->spoke += d->agent_max != 0;	/* after its HELLO */
		if (f->type == GW_T_HELLO && d->agent_max == 0)
			d->agent_max = f->u.hello.max_payload;	/* a second
							   one closes */
		return;
	}
	cause.rc = c;
	cause.rf = *f;
	if (!d->up_ready && f->type == GW_T_HELLO_ACK) {
		d->up_caps = f->u.hello_ack.caps;
		d->up_max = f->u.hello_ack.max_payload;
	}
	/* A COMMAND on an agent's channel: that agent may be sent it. */
	if (f->type == GW_T_COMMAND && d->ch_overflow)
		blind = 1;
	else if (f->type == GW_T_COMMAND && f->channel != 0 &&
	    (ch = sess_chan(d, f->channel)) != NULL && ch->open &&
	    (a = sess_agent(ch->agent)) != NULL)
		sess_ids_add(&((struct sess_data *)fake_conn_data(a))->
		    commanded, f->u.data.seq);
}

/*
 * An agent's answer ${f} read on ${c}: one for an id neither relayed to it
 * nor among the last its RESULT answered (or without COMMANDS) ends the
 * session; one for such a lately answered id (and not relayed again) does
 * not, on an open session (sess_check_answer: nor does it go up).
 */
static void
sess_read_answer(struct conn *c, struct sess_data *d,
    const struct gw_frame *f)
{
	uint64_t id = sess_cmd_id(f);
	int relayed = sess_ids_has(&d->relayed, id);

	if (!d->relayed.overflow && (!d->cmds_on ||
	    (!relayed && !sess_answered(d, id))))
		FUZZ_CHECK(conn_state(c) == CONN_CLOSED);
	if (!d->relayed.overflow && d->cmds_on && !relayed &&
	    sess_answered(d, id) && f->channel == 0 && d->v.hello_acked)
		FUZZ_CHECK(conn_state(c) == CONN_OPEN);
	if (f->type == GW_T_RESULT && relayed && conn_state(c) == CONN_OPEN) {
		sess_ids_del(&d->relayed, id);
		sess_answered_add(d, id);
	}
	d->v.cmds = d->relayed.n;
}

/*
 * fake_conn_env.read: DATA an agent's session took had credit; a link
 * still open after a frame has taken its HELLO_ACK.
 */
static void
sess_read(struct conn *c, const struct gw_frame *f, int rc)
{
	struct sess_data *d = fake_conn_data(c);

	(void)rc;
	if (!fake_conn_is_accepted(c)) {
		cause.rc = NULL;
		if (conn_state(c) == CONN_OPEN)
			d->up_ready = 1;
	} else if (f->type == GW_T_DATA && conn_state(c) == CONN_OPEN) {
		d->v.data_taken++;
		FUZZ_CHECK(d->v.data_taken <= d->v.credit_granted);
		FUZZ_CHECK(f->u.data.seq > d->agent_top);
		d->agent_top = f->u.data.seq;
	} else if (f->type == GW_T_COMMAND_ACK || f->type == GW_T_RESULT) {
		sess_read_answer(c, d, f);
	}
}

/* A frame ${f} the server sent on link ${c} ends it with ${reason}. */
static int
sess_frame_ends(const struct conn *c, const struct gw_frame *f,
    unsigned reason)
{
	const struct sess_data *d = fake_conn_data(c);
	int acks = f->type == GW_T_OPEN_ACK || f->type == GW_T_ACK;
	int chan = acks || f->type == GW_T_COMMAND || f->type == GW_T_CLOSE;

	if (!d->up_ready)			/* not a good HELLO_ACK */
		return reason == GW_R_VERSION;
	if (f->type == GW_T_ERROR)
		return reason == f->u.reason.code;
	if (f->type == GW_T_GOAWAY)
		return reason == GW_R_SHUTDOWN;
	/* ACKCREDIT is downstream only: a credit in a server's ACK. */
	if (f->type == GW_T_ACK && f->channel != 0 && f->u.ack.credit != 0)
		return reason == GW_R_PROTOCOL;
	if (acks && f->channel != 0 && f->u.ack.seq > GW_SEQ_MAX)
		return reason == GW_R_SEQUENCE;
	if (f->type == GW_T_COMMAND && f->channel != 0 &&
	    f->u.data.seq > GW_SEQ_MAX)
		return reason == GW_R_SEQUENCE;
	/* PING, PONG, ENROLL_RESULT, extensions, channel frames: no end. */
	if (f->type == GW_T_PING || f->type == GW_T_PONG ||
	    f->type == GW_T_ENROLL_RESULT || f->type >= GW_T_EXT_FIRST ||
	    (chan && f->channel != 0))
		return 0;
	return reason == GW_R_UNEXPECTED;
}

/* What the harness does now (cause) ends link ${c} with ${reason}. */
static int
sess_op_ends(const struct conn *c, unsigned reason)
{
	if (cause.rc != NULL)
		return cause.rc == c && sess_frame_ends(c, &cause.rf, reason);
	if (cause.op == SESS_TICK)		/* a heartbeat missed */
		return reason == GW_R_TIMEOUT;
	if (cause.c != c)
		return 0;
	if (cause.op == SESS_LINK_EOF)
		return reason == GW_R_PEER_CLOSED;
	if (cause.op == SESS_LINK_TIMER)
		return reason == GW_R_TIMEOUT;
	if (cause.op == SESS_LINK_FRAME)	/* bytes that do not decode */
		return reason == GW_R_PROTOCOL || reason == GW_R_TOO_BIG;
	return 0;
}

/*
 * fake_conn_env.closing: a link ends only for what the harness did: its
 * server's EOF, a bad frame or one that ends it (ERROR, GOAWAY, ...), its
 * timer, a heartbeat missed at a tick, the gateway stopping, or a failover
 * after one of these (the other links dropped, shutdown).  So never for
 * lack of room, whatever the reason it gives: a CLOSE or PONG waits.
 */
static void
sess_closing(struct conn *c, unsigned reason, const char *detail)
{
	(void)detail;
	if (fake_conn_is_accepted(c))
		return;
	if (cause.op == SESS_OPS)
		FUZZ_CHECK(reason == GW_R_SHUTDOWN);
	else
		FUZZ_CHECK((cause.down && reason == GW_R_SHUTDOWN) ||
		    sess_op_ends(c, reason));
	cause.down = 1;
}

void
sess_full(struct conn *c, unsigned sel)
{
	fake_conn_full(c, sel >= 63 ? SIZE_MAX : (sel + 1) * 64);
}

void
sess_link_channels(struct conn *c, int acks, uint64_t last_seq)
{
	struct sess_data *d = fake_conn_data(c);
	unsigned n = d->nch;

	for (unsigned i = 0; i < n && conn_state(c) == CONN_OPEN; i++) {
		struct sess_chan *ch = &d->ch[i];
		struct gw_frame f = { .channel = ch->id };

		if (!ch->open)
			continue;
		if (!acks && !ch->answered) {
			ch->answered = 1;
			f.type = GW_T_OPEN_ACK;
			f.u.ack.seq = last_seq;
		} else if (acks && ch->answered && ch->last_data > ch->acked) {
			ch->acked = ch->last_data;
			f.type = GW_T_ACK;
			f.u.ack.seq = ch->last_data;
		} else
			continue;
		fake_conn_frame(c, &f);
	}
}

void
sess_link_command(struct conn *c, unsigned sel, uint32_t len)
{
	static const uint8_t body[1016];
	struct sess_data *d = fake_conn_data(c);
	struct gw_frame f = { .type = GW_T_COMMAND };
	unsigned open[SESS_CHANS], n = 0;

	for (unsigned i = 0; i < d->nch; i++)
		if (d->ch[i].open)
			open[n++] = i;
	if (n == 0 || conn_state(c) != CONN_OPEN)
		return;
	f.channel = d->ch[open[(sel & 7) % n]].id;
	f.u.data.seq = 1 + (sel >> 3) % SESS_CMD_IDS;
	f.u.data.body.p = body;
	f.u.data.body.len = len < sizeof(body) ? len : sizeof(body);
	fake_conn_frame(c, &f);
}

void
sess_answer(struct conn *c, unsigned sel, uint32_t len)
{
	static const uint8_t out[1024];
	struct gw_frame f = { .type = sel & 1 ? GW_T_RESULT :
	    GW_T_COMMAND_ACK };
	uint64_t id = 1 + (sel >> 1) % (SESS_CMD_IDS + 4);

	if (conn_state(c) != CONN_OPEN)
		return;
	if (f.type == GW_T_RESULT) {
		f.u.result.id = id;
		f.u.result.outcome = GW_OUT_EXITED;
		f.u.result.output.p = out;
		f.u.result.output.len = len < 1024 - 14 ? len : 1024 - 14;
	} else
		f.u.ack.seq = id;
	fake_conn_frame(c, &f);
}

/* enroll.h: renewals wait here until the harness answers them. */

void
enroll_submit(struct gw *gw, const struct gw_enroll *req, const char *name,
    enroll_cb cb, void *arg)
{
	struct gw_enroll_result r = { .status = GW_ENROLL_REFUSED,
	    .reason = GW_R_OVERLOAD };

	(void)gw;
	(void)name;
	FUZZ_CHECK(req->client_cert.len > 0 && req->token.len == 0);
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].cb == NULL) {
			enrolls[i].cb = cb;
			enrolls[i].arg = arg;
			return;
		}
	cb(&r, arg);		/* as enroll.c when its table is full */
}

void
enroll_cancel(struct gw *gw, void *arg)
{
	(void)gw;
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].arg == arg)
			enrolls[i].cb = NULL, enrolls[i].arg = NULL;
}

void
sess_enroll_answer(unsigned status)
{
	static const uint8_t chain[] = "-----BEGIN CERTIFICATE-----\n";
	struct gw_enroll_result r = { .status = (uint16_t)(status % 3),
	    .reason = GW_R_DENIED, .retry_after = 5 };

	r.chain.p = chain;
	r.chain.len = sizeof(chain) - 1;
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].cb != NULL) {
			enroll_cb cb = enrolls[i].cb;
			void *arg = enrolls[i].arg;

			enrolls[i].cb = NULL;
			enrolls[i].arg = NULL;
			cb(&r, arg);
			return;
		}
}

void
enroll_result(struct gw *gw, struct upstream *u, const struct gw_frame *f)
{
	(void)gw;
	(void)u;
	(void)f;
}

void
enroll_link_down(struct gw *gw, struct upstream *u)
{
	(void)gw;
	(void)u;
}
