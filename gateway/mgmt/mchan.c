/*
 * mchan.c: the channels of gw-mgmt's links, one per agent session (see
 * mchan.h).  A channel's OPEN goes to the commit, which answers OPEN_ACK
 * once the rows before it are durable; its DATA joins the commit's batch,
 * ACKed once durable.  A frame that finds no room in the link's output is
 * owed and sent when room comes (the link pauses reading long before).
 * The command timers (resend round, poll) are in mchan_poll.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chanmap.h"
#include "commit.h"
#include "log.h"
#include "mcmd.h"
#include "mchan.h"
#include "mchan_impl.h"
#include "mgmt.h"
#include "mlive.h"
#include "namemap.h"
#include "store_cmd.h"

static const char *
mchan_state_str(enum mchan_state s)
{
	static const char *const names[] = {
		"opening", "answered", "open", "answered-closing", "closing"
	};

	return (unsigned)s < 5 ? names[s] : "?";
}

/* May a channel go from ${from} to ${to}?  (closing again: a new reason) */
static int
mchan_may(enum mchan_state from, enum mchan_state to)
{
	switch (to) {
	case MCHAN_ANSWERED:
		return from == MCHAN_OPENING;
	case MCHAN_OPEN:
		return from == MCHAN_ANSWERED;
	case MCHAN_ANSWERED_CLOSING:
		return from == MCHAN_ANSWERED || from == to;
	case MCHAN_CLOSING:
		return from != MCHAN_ANSWERED;
	default:
		return 0;
	}
}

/* The only writer of a channel's state (enum mchan_state above). */
static void
mchan_set_state(struct mchan *ch, enum mchan_state s)
{
	if (!mchan_may(ch->state, s)) {
		log_errx("event=bug detail=\"channel state %s to %s\"",
		    mchan_state_str(ch->state), mchan_state_str(s));
		abort();
	}
	log_debug("event=channel_state gateway=%s channel=%u from=%s to=%s",
	    ch->set->gateway, ch->id, mchan_state_str(ch->state),
	    mchan_state_str(s));
	ch->state = s;
}

/* The loop's time, as the store keeps times. */
static int64_t
mchan_now(const struct mgmt *m)
{
	return (int64_t)(ev_now(m->loop) * 1000.);
}

/* Does ${ch} owe a CLOSE (and so ignore DATA)? */
static int
mchan_closing(const struct mchan *ch)
{
	return ch->state == MCHAN_CLOSING ||
	    ch->state == MCHAN_ANSWERED_CLOSING;
}

/** mchan_holds(m, ch): does ${ch} hold its agent's name (mchan_claim)? */
int
mchan_holds(const struct mgmt *m, const struct mchan *ch)
{
	return m->chans->agents != NULL &&
	    namemap_get(m->chans->agents, ch->key) == ch;
}

/*
 * ${ch} goes: it no longer holds its agent's name (mchan_claim); if it
 * did, its agent is offline (a stale channel of the same gateway, or one
 * superseded, is not the agent's).
 */
static void
mchan_unclaim(struct mgmt *m, struct mchan *ch)
{
	mlive_chan_stop(m->live, &ch->live, ch->cc.durable, 0);
	if (!mchan_holds(m, ch))
		return;
	mcmd_down(m, &ch->cmd);
	namemap_del(m->chans->agents, ch);
	if (namemap_count(m->chans->agents) == 0) {
		namemap_free(m->chans->agents);
		m->chans->agents = NULL;
	}
}

static void
mchan_free(struct mchan *ch)
{
	struct mchan_set *s = ch->set;

	mchan_unclaim(s->m, ch);
	commit_forget(s->m, &ch->cc);
	if (ch->owed)
		TAILQ_REMOVE(&s->owed, ch, owed_entry);
	chanmap_del(s->chans, ch->id);
	ch->magic = 0;
	free(ch->sans);
	free(ch->via);
	free(ch);
}

/**
 * mchan_send_command(arg, f): mcmd_send_fn: a COMMAND of ${arg}'s (a
 * struct mchan) goes on its link, if it has room.
 */
enum mcmd_sent
mchan_send_command(void *arg, const struct gw_frame *f)
{
	struct mchan *ch = arg;
	struct gw_frame g;

	if (ch == NULL || ch->magic != MCHAN_MAGIC)
		abort();
	g = *f;
	g.channel = ch->id;
	return ch->set->ops->send_spare(ch->set->arg, &g);
}

/**
 * mchan_deliver(ch, log): send ${ch} (open) its agent's pending commands.
 * 0, or -1 if the store failed (logged if ${log}).
 */
int
mchan_deliver(struct mchan *ch, int log)
{
	struct mgmt *m = ch->set->m;
	char ea[LOG_ESC_MAX], ed[LOG_ESC_MAX];

	if (mcmd_deliver(m, &ch->cmd, mchan_send_command, ch) == 0)
		return 0;
	if (log)
		log_errx("event=store_failed what=command_pending gateway=%s "
		    "channel=%u agent=%s detail=\"%s\"", ch->set->gateway,
		    ch->id, log_esc(ea, sizeof(ea), ch->ident.name,
		    LOG_ESC_STR, LOG_ESC_BARE), log_esc(ed, sizeof(ed),
		    store_errmsg(m->store), LOG_ESC_STR, 0));
	return -1;
}

/*
 * Send what ${ch} is owed: OPEN_ACK, ACK, CLOSE.  Return 0 if all went
 * (a closed channel is freed), -1 if ${ch} waits on the owed list.
 */
static int
mchan_flush(struct mchan *ch)
{
	struct mchan_set *s = ch->set;
	struct gw_frame f = { .channel = ch->id };
	int opened = 0;

	if (ch->state == MCHAN_ANSWERED ||
	    ch->state == MCHAN_ANSWERED_CLOSING) {
		f.type = GW_T_OPEN_ACK;
		f.u.ack.seq = ch->acked;
		if (s->ops->send(s->arg, &f) != 0)
			goto owe;
		opened = ch->state == MCHAN_ANSWERED;
		mchan_set_state(ch, opened ? MCHAN_OPEN : MCHAN_CLOSING);
	}
	if (ch->state == MCHAN_CLOSING) {
		f.type = GW_T_CLOSE;
		f.u.reason.code = ch->close_code;
		f.u.reason.text.p = (const uint8_t *)ch->close_text;
		f.u.reason.text.len = (uint16_t)strlen(ch->close_text);
		if (s->ops->send(s->arg, &f) != 0)
			goto owe;
		mchan_free(ch);
		return 0;
	}
	if (ch->cc.durable > ch->acked) {
		f.type = GW_T_ACK;
		f.u.ack.seq = ch->cc.durable;
		if (s->ops->send(s->arg, &f) != 0)
			goto owe;
		ch->acked = ch->cc.durable;
	}
	if (ch->owed) {
		TAILQ_REMOVE(&s->owed, ch, owed_entry);
		ch->owed = 0;
	}
	/* Open: its agent's pending commands go (else on the next round). */
	if (opened)
		mchan_deliver(ch, 1);
	return 0;
owe:
	if (!ch->owed) {
		TAILQ_INSERT_TAIL(&s->owed, ch, owed_entry);
		ch->owed = 1;
		log_warnx("event=link_output_full gateway=%s channel=%u",
		    s->gateway, ch->id);
	}
	s->ops->notify_writable(s->arg);
	return -1;
}

/* OPEN_ACK(last_seq) (the commit set last_seq, durable); DATA may flow. */
static void
mchan_open_ack(struct mchan *ch, uint64_t last_seq)
{
	char ea[LOG_ESC_MAX];	/* the name in OPEN, escaped */
	struct mgmt *m = ch->set->m;

	mchan_set_state(ch, MCHAN_ANSWERED);
	ch->acked = last_seq;
	if (mchan_holds(m, ch)) {
		/* Online, its rows stored up to last_seq; live from now. */
		mcmd_up(m, &ch->cmd, ch->sans, ch->not_after_ms, ch->via);
		mcmd_news(m, &ch->cmd, STORE_AGENT_ONLINE, mchan_now(m),
		    last_seq);
		mlive_chan_start(m->live, &ch->live, &ch->ident, &ch->cmd,
		    mchan_now(m));
	}
	log_debug("event=channel_open gateway=%s channel=%u agent=%s "
	    "last_seq=%llu", ch->set->gateway, ch->id, log_esc(ea,
	    sizeof(ea), ch->ident.name, LOG_ESC_STR, LOG_ESC_BARE),
	    (unsigned long long)last_seq);
	(void)mchan_flush(ch);
}

/**
 * mchan_close(ch, code, text): CLOSE(code, text): ${ch} is freed (at once,
 * or once the CLOSE is sent).
 */
void
mchan_close(struct mchan *ch, unsigned code, const char *text)
{
	char ea[LOG_ESC_MAX], ed[LOG_ESC_MAX];

	log_info("event=channel_closed gateway=%s channel=%u agent=%s "
	    "reason=%s detail=\"%s\"", ch->set->gateway, ch->id,
	    log_esc(ea, sizeof(ea), ch->ident.name, LOG_ESC_STR, LOG_ESC_BARE),
	    gw_reason_str(code), log_esc(ed, sizeof(ed), text, LOG_ESC_STR,
	    0));
	commit_forget(ch->set->m, &ch->cc);
	mchan_set_state(ch, ch->state == MCHAN_ANSWERED ||
	    ch->state == MCHAN_ANSWERED_CLOSING ? MCHAN_ANSWERED_CLOSING :
	    MCHAN_CLOSING);
	ch->close_code = (uint16_t)code;
	snprintf(ch->close_text, sizeof(ch->close_text), "%s", text);
	(void)mchan_flush(ch);
}

/* The channel a commit_ops call is about. */
static struct mchan *
mchan_of(struct commit_chan *cc)
{
	struct mchan *ch = (struct mchan *)(void *)((char *)cc -
	    offsetof(struct mchan, cc));

	if (cc == NULL || ch->magic != MCHAN_MAGIC)
		abort();
	return ch;
}

static void
mchan_commit_open_ack(struct commit_chan *cc, uint64_t last_seq)
{
	mchan_open_ack(mchan_of(cc), last_seq);
}

/* The commit made more durable: ACK(durable), now or when room comes. */
static void
mchan_commit_ack(struct commit_chan *cc)
{
	(void)mchan_flush(mchan_of(cc));
}

static void
mchan_commit_close(struct commit_chan *cc, unsigned code, const char *text)
{
	mchan_close(mchan_of(cc), code, text);
}

/**
 * mchan_commit_ops: what the group commit owes channels comes back up
 * through these (commit_new's ${ops}).
 */
const struct commit_ops mchan_commit_ops = {
	.open_ack = mchan_commit_open_ack,
	.ack = mchan_commit_ack,
	.close = mchan_commit_close,
};

/**
 * mchan_all_new(): the channels' part of a struct mgmt, for its owner to
 * store in m->chans; the group commit under them (m->commit, made with
 * mchan_commit_ops) answers them.  NULL if out of memory.
 */
struct mchan_all *
mchan_all_new(void)
{
	struct mchan_all *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	TAILQ_INIT(&a->sets);
	ev_timer_init(&a->resend, mchan_resend_cb, 0., 0.);
	ev_timer_init(&a->poll, mchan_poll_cb, 0., MCHAN_POLL);
	mcmd_batch_init(&a->batch);
	return a;
}

/**
 * mchan_all_free(a): free ${a} (every channel is closed); NULL-safe.
 */
void
mchan_all_free(struct mchan_all *a)
{
	if (a == NULL)
		return;
	if (a->loop != NULL) {
		ev_timer_stop(a->loop, &a->resend);
		ev_timer_stop(a->loop, &a->poll);
	}
	mcmd_batch_free(&a->batch);	/* the last closes are written */
	if (a->agents != NULL)
		namemap_free(a->agents);
	free(a);
}

/**
 * mchan_set_init(s, m, ops, arg, gateway, fingerprint): set up ${s}, the
 * channels of the link of gateway ${gateway} (whose certificate has
 * ${fingerprint}; both must live as long as ${s}), which ${ops}(${arg})
 * reach.  0, or -1 (out of memory).
 */
int
mchan_set_init(struct mchan_set *s, struct mgmt *m,
    const struct mchan_ops *ops, void *arg, const char *gateway,
    const uint8_t *fingerprint)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	s->ops = ops;
	s->arg = arg;
	s->gateway = gateway;
	s->fingerprint = fingerprint;
	TAILQ_INIT(&s->owed);
	if ((s->chans = chanmap_new()) == NULL)
		return -1;
	TAILQ_INSERT_TAIL(&m->chans->sets, s, set_entry);
	/* The resend round runs from the first link on. */
	if (m->chans->loop == NULL) {
		m->chans->loop = m->loop;
		m->chans->resend.data = m;
		ev_timer_set(&m->chans->resend, m->cfg->cmd_resend,
		    m->cfg->cmd_resend);
		ev_timer_start(m->loop, &m->chans->resend);
		m->chans->poll.data = m;
		ev_timer_start(m->loop, &m->chans->poll);
		/* The cursor now: what is made from now on is polled. */
		mchan_poll_cb(m->loop, &m->chans->poll, EV_TIMER);
	}
	return 0;
}

/**
 * mchan_set_free(s): the link is gone: free its channels (owing nothing,
 * holding no agent's name); return how many there were.
 */
size_t
mchan_set_free(struct mchan_set *s)
{
	struct mchan *ch;
	size_t it = 0, n;
	void *v;

	if (s->chans == NULL)
		return 0;
	n = chanmap_count(s->chans);
	while (chanmap_next(s->chans, &it, &v) != 0) {
		ch = v;
		mchan_unclaim(s->m, ch);
		commit_forget(s->m, &ch->cc);
	}
	it = 0;
	while (chanmap_next(s->chans, &it, &v) != 0) {
		ch = v;
		ch->magic = 0;
		free(ch->sans);
		free(ch->via);
		free(ch);
	}
	chanmap_free(s->chans);
	s->chans = NULL;
	TAILQ_REMOVE(&s->m->chans->sets, s, set_entry);
	TAILQ_INIT(&s->owed);
	return n;
}

/** mchan_count(s): the channels of ${s}. */
size_t
mchan_count(const struct mchan_set *s)
{
	return chanmap_count(s->chans);
}

/** mchan_get(s, id): channel ${id} of ${s}, or NULL. */
struct mchan *
mchan_get(const struct mchan_set *s, uint32_t id)
{
	return chanmap_get(s->chans, id);
}

/**
 * mchan_new(s, id): a new channel ${id} of ${s}, named "?" until
 * mchan_name; NULL if out of memory.
 */
struct mchan *
mchan_new(struct mchan_set *s, uint32_t id)
{
	struct mchan *ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL ||
	    chanmap_put(s->chans, id, ch) != 0) {
		free(ch);
		return NULL;
	}
	ch->magic = MCHAN_MAGIC;
	ch->set = s;
	ch->id = id;	/* calloc: MCHAN_OPENING */
	snprintf(ch->ident.name, sizeof(ch->ident.name), "?");
	commit_chan_init(&ch->cc, ch->ident.issuer, ch->ident.name,
	    ch->ident.fp_hex, s->gateway);
	mcmd_chan_init(&ch->cmd, &ch->ident, s->gateway, &s->m->chans->batch);
	return ch;
}

/** mchan_name(ch, id): channel ${ch} is of the agent ${id}. */
void
mchan_name(struct mchan *ch, const struct id_info *id)
{
	ch->ident = *id;
	/* id_from_view let no control byte into either: \n separates. */
	snprintf(ch->key, sizeof(ch->key), "%s\n%s", id->issuer, id->name);
}

/* A C string of the ${len} bytes at ${p} into ${out}: 0, or -1. */
static int
mchan_dup(char **out, const uint8_t *p, size_t len)
{
	char *s;

	if ((s = malloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	free(*out);
	*out = s;
	return 0;
}

/**
 * mchan_ext(ch, v): the OPEN ${v} of ${ch} carried the identity
 * extension: its agent's SANs (checked printable ASCII), its
 * certificate's notAfter and, if any, the via of a chain (checked: its
 * last name is the link's gateway).  0, or -1 (out of memory).
 */
int
mchan_ext(struct mchan *ch, const struct gw_identity *v)
{
	if (mchan_dup(&ch->sans, v->sans.p, v->sans.len) != 0 ||
	    (v->has_via && mchan_dup(&ch->via, v->via.p, v->via.len) != 0))
		return -1;
	ch->not_after_ms = (int64_t)v->not_after_ms;
	return 0;
}

/**
 * mchan_seen(ch): its link's SEEN lists ${ch}: news of its agent if ${ch}
 * is open and holds its agent's name.  0 if so, else -1 (ignored).
 */
int
mchan_seen(struct mchan *ch)
{
	struct mgmt *m = ch->set->m;

	if (ch->state != MCHAN_OPEN || !mchan_holds(m, ch))
		return -1;
	mlive_heard(m->live, &ch->live, mchan_now(m), ch->cc.durable);
	return 0;
}

static const char *
mchan_key(const void *v)
{
	const struct mchan *ch = v;

	if (ch == NULL || ch->magic != MCHAN_MAGIC)
		abort();
	return ch->key;
}

/*
 * One channel per agent: a new OPEN from another gateway (the agent came
 * back through it while its old channel lives on) closes the older
 * channel with CLOSE superseded, so two gateways never write one sequence
 * space at once.  Its rows already in the batch commit before the new
 * channel's OPEN_ACK (commit_open), so last_seq counts them.  Within one
 * gateway (the same certificate) the gateway itself keeps one channel per
 * agent, and an older channel of its own is a stale one, of a link it
 * lost: two connections keep no order, so that OPEN may even arrive after
 * the current one, and which is newer cannot be told here.  Neither is
 * closed for the other; the stale one ends with its link.  An agent is
 * its issuer and name together (ch->key), as in the store: the same name
 * under two agent CAs is two agents.  0, or -1 (out of memory).
 */
static int
mchan_claim(struct mgmt *m, struct mchan *ch)
{
	struct mchan *old;
	char text[128];

	if (m->chans->agents != NULL &&
	    (old = namemap_get(m->chans->agents, ch->key)) != NULL) {
		/* A stale agent that opens again is back. */
		mlive_chan_stop(m->live, &old->live, old->cc.durable,
		    mchan_now(m));
		mcmd_down(m, &old->cmd);
		namemap_del(m->chans->agents, old);
		snprintf(text, sizeof(text), "a newer channel of this agent "
		    "(gateway %.64s channel %u)", ch->set->gateway, ch->id);
		if (!mchan_closing(old) &&
		    memcmp(old->set->fingerprint, ch->set->fingerprint,
		    GW_FINGERPRINT_LEN) != 0)
			mchan_close(old, GW_R_SUPERSEDED, text);
	}
	if (m->chans->agents == NULL &&
	    (m->chans->agents = namemap_new(mchan_key)) == NULL)
		return -1;
	return namemap_put(m->chans->agents, ch);
}

/**
 * mchan_start(ch): ${ch} (named) may open: it takes its agent's name
 * (closing an older channel of it) and goes to the commit for its
 * OPEN_ACK.
 */
void
mchan_start(struct mchan *ch)
{
	if (mchan_claim(ch->set->m, ch) != 0) {
		mchan_close(ch, GW_R_INTERNAL, "out of memory");
		return;
	}
	commit_open(ch->set->m, &ch->cc);
}

/** mchan_data(ch, f): DATA ${f} on ${ch}: to the commit, or CLOSE. */
void
mchan_data(struct mchan *ch, const struct gw_frame *f)
{
	char text[96];

	if (mchan_closing(ch))
		return;		/* CLOSE owed: the gateway will see */
	if (ch->state != MCHAN_OPEN) {
		mchan_close(ch, GW_R_UNEXPECTED, "DATA before OPEN_ACK");
		return;
	}
	if (f->u.data.seq <= ch->cc.last_seq) {
		snprintf(text, sizeof(text), "seq %llu after %llu",
		    (unsigned long long)f->u.data.seq,
		    (unsigned long long)ch->cc.last_seq);
		mchan_close(ch, GW_R_SEQUENCE, text);
		return;
	}
	/* A gateway is checked too: such a row would fail the batch. */
	if (f->u.data.seq > GW_SEQ_MAX) {
		snprintf(text, sizeof(text), "seq %llu above 2^63-1",
		    (unsigned long long)f->u.data.seq);
		mchan_close(ch, GW_R_SEQUENCE, text);
		return;
	}
	ch->set->rows++;
	/* News of its agent (before commit_data, which may free ${ch}). */
	mlive_heard(ch->set->m->live, &ch->live, mchan_now(ch->set->m),
	    ch->cc.durable);
	(void)commit_data(ch->set->m, &ch->cc, f->u.data.seq,
	    f->u.data.body.p, f->u.data.body.len);	/* failure: closed */
}

/**
 * mchan_answer(ch, f): COMMAND_ACK or RESULT ${f} on ${ch}: to the store
 * if it answers a COMMAND sent on ${ch}; else ignored (and logged).
 */
void
mchan_answer(struct mchan *ch, const struct gw_frame *f)
{
	if (mchan_closing(ch))
		return;		/* CLOSE owed: as DATA, ignored */
	mcmd_answer(ch->set->m, &ch->cmd, f);
}

/** mchan_closed(ch, f): the gateway closed ${ch} with CLOSE ${f}. */
void
mchan_closed(struct mchan *ch, const struct gw_frame *f)
{
	char text[160];

	log_debug("event=channel_closed_by_gateway gateway=%s "
	    "channel=%u agent=%s reason=%s", ch->set->gateway, ch->id,
	    log_esc(text, sizeof(text), ch->ident.name, LOG_ESC_STR,
	    LOG_ESC_BARE), gw_reason_str(f->u.reason.code));
	mchan_free(ch);
}

/**
 * mchan_flush_owed(s): send what the channels of ${s} owe, while there
 * is room.  0 if all went, -1 if some wait (notify_writable was called).
 */
int
mchan_flush_owed(struct mchan_set *s)
{
	struct mchan *ch;

	while ((ch = TAILQ_FIRST(&s->owed)) != NULL)
		if (mchan_flush(ch) != 0)
			return -1;
	return 0;
}
