/*
 * mgmt_link.c: fuzz_mgmt's gateways (see mgmt_env.h), on the fake conns
 * of fake_conn.c: what each channel sent, and the checks, as a gateway
 * would make them, of every frame gw-mgmt sends; who may close a link
 * or a channel, and what may be rolled back (mg_actor_sent).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fake_conn.h"
#include "fuzz.h"
#include "identity.h"
#include "mgmt_env.h"
#include "mgmt_env_impl.h"

#define MG_CHANS	64	/* channels remembered per link */
#define MG_SEQS		64	/* DATA remembered per channel */
#define MG_REFS		16	/* ENROLL refs waiting per link */
#define MG_QUEUE	65536	/* frames a paused link has not read */
#define MG_ENC_MAX	(GW_HDR_LEN + 70000u)

/* A channel as the gateway sees it. */
struct mg_chan {
	uint32_t	 id;
	int		 name;		/* in mg.names; -1: bad identity */
	int		 opened;	/* OPEN_ACK received */
	int		 closed;	/* 1: CLOSE received, 2: CLOSE sent */
	int		 stalled;	/* a frame to it waited for room */
	uint64_t	 open_seq;	/* OPEN_ACK's last_seq */
	uint64_t	 acked;		/* newest ACK (or open_seq) */
	uint64_t	 hi;		/* highest DATA read (or open_seq) */
	uint64_t	 qhi;		/* highest DATA sent, read or waiting */
	uint64_t	 seqs[MG_SEQS];	/* DATA sent since OPEN_ACK */
	unsigned	 nseq;
};

/* A link as the gateway sees it (fake_conn_data). */
struct mg_link {
	int			 hello_acks;
	uint32_t		 max_chan;	/* highest OPEN read */
	struct mg_chan		 ch[MG_CHANS];
	unsigned		 nch;
	int			 ch_overflow;	/* stop checking channels */
	uint32_t		 refs[MG_REFS];	/* ENROLL refs not answered */
	unsigned		 nref;
	int			 ref_overflow;
	/* The frame being read: what mg_peer_sent did, to undo. */
	struct mg_chan		 before;
	unsigned		 mark;
};

static void mg_on_sent(struct conn *, const struct gw_frame *, int);
static void mg_on_reading(struct conn *, const struct gw_frame *);
static void mg_on_read(struct conn *, const struct gw_frame *, int);
static void mg_on_closing(struct conn *, unsigned, const char *);

static const struct fake_conn_env mg_env = {
	.accepts = MGMT_LINKS,
	.connects = 0,			/* gw-mgmt connects nowhere */
	.data_size = sizeof(struct mg_link),
	.queue_cap = MG_QUEUE,
	.sent = mg_on_sent,
	.reading = mg_on_reading,
	.read = mg_on_read,
	.closing = mg_on_closing,
};

static const mbedtls_x509_crt *crts[MGMT_CRTS];

void
mg_link_crts(const void *const c[])
{
	for (unsigned i = 0; i < MGMT_CRTS; i++)
		crts[i] = c[i];
}

void
mg_link_reset(void)
{
	fake_conn_reset(&mg_env);
}

static struct mg_chan *
mg_chan(struct mg_link *l, uint32_t id)
{
	for (unsigned i = 0; i < l->nch; i++)
		if (l->ch[i].id == id)
			return &l->ch[i];
	return NULL;
}

/* Did the actor of this step send (name, seq) on its channel? */
int
mg_actor_sent(int name, uint64_t seq)
{
	const struct mg_link *l;
	struct conn *c;

	if (mg.actor < 0 || (c = fake_conn_accepted((unsigned)mg.actor)) ==
	    NULL)
		return 0;
	l = fake_conn_data(c);
	if (l->ch_overflow)
		return 1;		/* cannot tell */
	for (unsigned i = 0; i < l->nch; i++) {
		const struct mg_chan *ch = &l->ch[i];

		if (ch->id != mg.actor_chan || ch->name != name)
			continue;
		if (ch->nseq == MG_SEQS)
			return 1;
		for (unsigned k = 0; k < ch->nseq; k++)
			if (ch->seqs[k] == seq)
				return 1;
	}
	return 0;
}

int
mg_actor_name(void)
{
	struct mg_link *l;
	const struct mg_chan *ch;
	struct conn *c;

	if (mg.actor < 0 || mg.actor_chan == 0 ||
	    (c = fake_conn_accepted((unsigned)mg.actor)) == NULL)
		return -1;
	l = fake_conn_data(c);
	if (l->ch_overflow)
		return -2;
	ch = mg_chan(l, mg.actor_chan);
	return ch != NULL ? ch->name : -1;
}

/*
 * Did the actor, on another gateway, open a newer channel of ${ch}'s own
 * agent?  Then CLOSE superseded of ${ch} (on ${c}) is that agent's own
 * doing (one channel per agent), not another's.  Within one gateway (the
 * same certificate) an OPEN never supersedes: the older channel may be
 * the newer one, read late from another connection.
 */
static int
mg_same_agent(const struct conn *c, const struct mg_chan *ch,
    const struct gw_frame *f)
{
	const struct mg_chan *a;
	struct conn *ac;

	if (f->u.reason.code != GW_R_SUPERSEDED || mg.actor < 0 ||
	    mg.actor >= MGMT_LINKS ||
	    (ac = fake_conn_accepted((unsigned)mg.actor)) == NULL ||
	    ch->name < 0 || fake_conn_crt(ac) == fake_conn_crt(c))
		return 0;
	a = mg_chan(fake_conn_data(ac), mg.actor_chan);
	/* An OPEN past the channels the harness follows: whose it was is
	 * not known, so neither is whether it was this agent's. */
	if (a == NULL && ((const struct mg_link *)fake_conn_data(ac))->
	    ch_overflow)
		return 1;
	return a != NULL && a->name == ch->name;
}

/* A CLOSE from gw-mgmt: only for what this channel (or the store) did. */
static void
mg_check_close(struct conn *c, struct mg_chan *ch, const struct gw_frame *f)
{
	unsigned slot = fake_conn_slot(c);

	if (mg.teardown || ch->stalled || mg.faults != mg.step_faults ||
	    ((unsigned)mg.actor == slot && mg.actor_chan == ch->id) ||
	    mg_same_agent(c, ch, f))
		return;
	fprintf(stderr, "fuzz_mgmt: link %u channel %u closed (%s: %.*s) "
	    "by what link %d channel %u sent\n", slot, ch->id,
	    gw_reason_str(f->u.reason.code), (int)f->u.reason.text.len,
	    (const char *)f->u.reason.text.p, mg.actor, mg.actor_chan);
	FUZZ_CHECK(!"a channel closed for another channel");
}

/* What gw-mgmt sends a gateway on its link ${c}, as the gateway checks it. */
static void
mg_check_frame(struct conn *c, const struct gw_frame *f)
{
	struct mg_link *l = fake_conn_data(c);
	struct mg_chan *ch;

	if (f->channel == 0) {
		switch (f->type) {
		case GW_T_HELLO_ACK:
			FUZZ_CHECK(++l->hello_acks == 1);
			return;
		case GW_T_PONG:
			return;
		case GW_T_ENROLL_RESULT:
			if (l->ref_overflow)
				return;
			for (unsigned i = 0; i < l->nref; i++)
				if (l->refs[i] == f->u.enroll_result.ref) {
					l->refs[i] = l->refs[--l->nref];
					return;
				}
			FUZZ_CHECK(!"ENROLL_RESULT for no ENROLL");
			return;
		default:
			FUZZ_CHECK(!"gw-mgmt sent an unexpected frame");
		}
	}
	if (l->ch_overflow)
		return;
	ch = mg_chan(l, f->channel);
	FUZZ_CHECK(ch != NULL);		/* one the gateway opened */
	FUZZ_CHECK(ch->closed == 0);		/* nothing after a CLOSE */
	switch (f->type) {
	case GW_T_OPEN_ACK:
		FUZZ_CHECK(!ch->opened && ch->name >= 0);
		/* The agent's highest durable seq (then, if it waited). */
		if (!mg.names_full)
			FUZZ_CHECK(ch->stalled ?
			    f->u.ack.seq <= mg_durable_max(ch->name) :
			    f->u.ack.seq == mg_durable_max(ch->name));
		ch->opened = 1;
		ch->open_seq = ch->acked = ch->hi = f->u.ack.seq;
		break;
	case GW_T_ACK:
		/* Cumulative, increasing, not above what was sent... */
		FUZZ_CHECK(ch->opened);
		FUZZ_CHECK(f->u.ack.seq > ch->acked);
		FUZZ_CHECK(f->u.ack.seq <= ch->hi);
		/* ...and everything it covers is durable. */
		for (unsigned i = 0; i < ch->nseq && !mg.names_full; i++)
			if (ch->seqs[i] > ch->open_seq &&
			    ch->seqs[i] <= f->u.ack.seq &&
			    !mg_durable_has(ch->name, ch->seqs[i])) {
				fprintf(stderr, "fuzz_mgmt: ACK %llu on link "
				    "%u channel %u: %s/%llu is not durable\n",
				    (unsigned long long)f->u.ack.seq,
				    fake_conn_slot(c), ch->id,
				    mg.names[ch->name],
				    (unsigned long long)ch->seqs[i]);
				FUZZ_CHECK(!"ACK for a row not durable");
			}
		ch->acked = f->u.ack.seq;
		break;
	case GW_T_CLOSE:
		ch->closed = 1;
		break;
	case GW_T_COMMAND:
		/* Only once open, for a command of this channel's agent. */
		FUZZ_CHECK(ch->opened && ch->name >= 0);
		mg_cmd_sent(ch->name, f->u.data.seq);
		break;
	default:
		FUZZ_CHECK(!"gw-mgmt sent an unexpected channel frame");
	}
}

/* fake_conn_env.sent: a frame gw-mgmt sends on link ${c}. */
static void
mg_on_sent(struct conn *c, const struct gw_frame *f, int fits)
{
	struct mg_link *l = fake_conn_data(c);
	struct mg_chan *ch = NULL;

	if (f->channel != 0 && !l->ch_overflow)
		ch = mg_chan(l, f->channel);
	/* A CLOSE is decided when first tried: check who caused it then. */
	if (ch != NULL && f->type == GW_T_CLOSE && ch->closed == 0)
		mg_check_close(c, ch, f);
	if (!fits) {
		if (ch != NULL)
			ch->stalled = 1;
		return;
	}
	mg_check_frame(c, f);
}

/* fake_conn_env.closing: a link closes for what came on it, or at the end. */
static void
mg_on_closing(struct conn *c, unsigned reason, const char *detail)
{
	if (mg.teardown || (unsigned)mg.actor == fake_conn_slot(c))
		return;
	fprintf(stderr, "fuzz_mgmt: link %u closed (%s: %s) by what link %d "
	    "sent\n", fake_conn_slot(c), gw_reason_str(reason), detail,
	    mg.actor);
	FUZZ_CHECK(!"a link closed for another link");
}

/*
 * Before gw-mgmt reads frame ${f} on ${l}: note what the gateway sent
 * (an answer may come before on_frame returns).  Return a mark for
 * mg_peer_unsent, should gw-mgmt not take it (CONN_PAUSE).
 */
static unsigned
mg_peer_sent(struct mg_link *l, const struct gw_frame *f)
{
	struct mg_chan *ch;
	struct id_info id;

	switch (f->type) {
	case GW_T_OPEN:
		if (f->channel <= l->max_chan || l->ch_overflow)
			return 0;
		if (l->nch == MG_CHANS) {
			l->ch_overflow = 1;
			return 0;
		}
		ch = &l->ch[l->nch++];
		memset(ch, 0, sizeof(*ch));
		ch->id = f->channel;
		ch->name = id_from_view(&f->u.open, &id) == 0 &&
		    id.name[0] != '\0' ? mg_name(id.name, 1) : -1;
		return 1;
	case GW_T_DATA:
		if (l->ch_overflow) {
			/* Its channels are no longer followed: nor is what
			 * gw-mgmt may store from them. */
			mg.sent_full = 1;
			return 0;
		}
		if ((ch = mg_chan(l, f->channel)) == NULL || ch->name < 0)
			return 0;
		if (mg.nsent < MG_SENT) {
			mg.sent[mg.nsent].name = ch->name;
			mg.sent[mg.nsent].seq = f->u.data.seq;
			mg.sent[mg.nsent].hash = mg_hash(f->u.data.body.p,
			    f->u.data.body.len);
			mg.nsent++;
		} else
			mg.sent_full = 1;
		if (!ch->opened || ch->closed)
			return 2;
		if (ch->nseq < MG_SEQS)
			ch->seqs[ch->nseq++] = f->u.data.seq;
		if (f->u.data.seq > ch->hi)
			ch->hi = f->u.data.seq;
		return 2;
	case GW_T_ENROLL:
		if (l->nref == MG_REFS)
			l->ref_overflow = 1;
		else
			l->refs[l->nref++] = f->u.enroll.ref;
		return 3;
	default:
		return 0;
	}
}

/* gw-mgmt did not take ${f} (CONN_PAUSE): undo mg_peer_sent. */
static void
mg_peer_unsent(struct mg_link *l, const struct gw_frame *f)
{
	struct mg_chan *ch;

	if (l->mark == 1)
		l->nch--;
	else if (l->mark == 2) {
		if (mg.nsent > 0 && !mg.sent_full)
			mg.nsent--;
		if ((ch = mg_chan(l, f->channel)) != NULL)
			*ch = l->before;
	} else if (l->mark == 3 && !l->ref_overflow)
		l->nref--;
}

/* fake_conn_env.reading: gw-mgmt is about to read ${f} on ${c}. */
static void
mg_on_reading(struct conn *c, const struct gw_frame *f)
{
	struct mg_link *l = fake_conn_data(c);
	struct mg_chan *ch;

	memset(&l->before, 0, sizeof(l->before));
	if (f->channel != 0 && !l->ch_overflow &&
	    (ch = mg_chan(l, f->channel)) != NULL)
		l->before = *ch;
	l->mark = mg_peer_sent(l, f);
}

/* fake_conn_env.read: ... and did (${rc}), or paused (undo). */
static void
mg_on_read(struct conn *c, const struct gw_frame *f, int rc)
{
	struct mg_link *l = fake_conn_data(c);
	struct mg_chan *ch;

	if (rc == CONN_PAUSE)
		mg_peer_unsent(l, f);
	else if (f->type == GW_T_OPEN && f->channel > l->max_chan)
		l->max_chan = f->channel;
	else if (f->type == GW_T_CLOSE && !l->ch_overflow &&
	    (ch = mg_chan(l, f->channel)) != NULL && ch->closed == 0)
		ch->closed = 2;
}

/* The harness's side: the gateway. */

void
mgmt_open(struct conn *c, unsigned crt)
{
	fake_conn_open(c, crts[crt % MGMT_CRTS]);
}

void
mgmt_send(struct conn *c, const struct gw_frame *f)
{
	static uint8_t buf[MG_ENC_MAX];
	struct mg_link *l = fake_conn_data(c);
	struct mg_chan *ch;
	int n;

	if ((n = gw_frame_encode(buf, sizeof(buf), f)) < 0)
		return;
	if (f->type == GW_T_DATA && conn_state(c) == CONN_OPEN &&
	    !l->ch_overflow && (ch = mg_chan(l, f->channel)) != NULL &&
	    f->u.data.seq > ch->qhi)
		ch->qhi = f->u.data.seq;
	fake_conn_bytes(c, buf, (size_t)n);
}

size_t
mgmt_input(struct conn *c, const uint8_t *buf, size_t len)
{
	struct gw_frame f;
	size_t used;

	if (fake_conn_decode(c, buf, len, &f, &used) == GW_OK) {
		mg.actor_chan = f.channel;
		fake_conn_bytes(c, buf, used);
	}
	return used;
}

/* A resumed link reads a frame it held: a step of its own. */
static void
mg_loop_step(struct conn *c, const struct gw_frame *f)
{
	mgmt_step((int)fake_conn_slot(c), f->channel);
}

void
mgmt_loop(void (*check)(void))
{
	fake_conn_loop(mg_loop_step, check);
}

void
mgmt_full(struct conn *c, unsigned sel)
{
	fake_conn_full(c, sel & 32 ? SIZE_MAX : ((sel & 31) + 1) * 64);
}

int
mgmt_chan_pick(struct conn *c, unsigned sel, uint32_t *id, uint64_t *hi)
{
	const struct mg_link *l = fake_conn_data(c);
	const struct mg_chan *ch;

	if (l->nch == 0)
		return -1;
	ch = &l->ch[sel % l->nch];
	*id = ch->id;
	*hi = ch->hi > ch->qhi ? ch->hi : ch->qhi;
	return 0;
}

uint32_t
mgmt_max_chan(struct conn *c)
{
	const struct mg_link *l = fake_conn_data(c);

	return l->max_chan;
}
