/*
 * chan.c: an agent's channel to the management server (chan.h): the
 * replay ring, the link it rides, and per link the channel table and the
 * FIFO of channels waiting for room, served as a round (chan_tab_run:
 * deficit round-robin by bytes).  Below it the link (upstream.c) talks
 * up only through struct upstream_chan_ops; above it the session hears
 * only through struct chan_ops.
 *
 * Every DATA relayed up stays in the ring until the management server ACKs
 * it.  When a link is lost (failover, fail-back), the channel waits for a
 * link, opens again, learns last_seq from OPEN_ACK, and resends the ring
 * above it in order.  When a link drains, a channel sends nothing new on
 * it and moves once what it sent there is ACKed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "chanmap.h"
#include "gw.h"
#include "log.h"
#include "chan_impl.h"
#include "upstream.h"

/** chan_state_str(s): "new", "no-link", ... */
const char *
chan_state_str(enum chan_state s)
{
	static const char *const names[] = {
		"new", "no-link", "no-room", "opening", "open", "waiting",
		"draining", "closed"
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* On gw->chans->no_link in ${s}. */
static int
chan_wants_link(enum chan_state s)
{
	return s == CHAN_NO_LINK || s == CHAN_NO_ROOM;
}

/* On a link's FIFO in ${s}. */
static int
chan_wants_room(enum chan_state s)
{
	return s == CHAN_NO_ROOM || s == CHAN_WAITING;
}

static void
chan_unwait(struct chan *ch)
{
	if (ch->wait_tab != NULL) {
		TAILQ_REMOVE(&ch->wait_tab->waiters, ch, wait);
		ch->wait_tab = NULL;
	}
}

/**
 * chan_set_state(ch, s): the one place ${ch}'s state changes; it keeps the
 * FIFOs true (a channel leaves them as its state says).
 */
void
chan_set_state(struct chan *ch, enum chan_state s)
{
	struct chan_all *ca = ch->gw->chans;

	log_debug("event=chan_state channel=%u from=%s to=%s", ch->id,
	    chan_state_str(ch->state), chan_state_str(s));
	if (!chan_wants_room(s))
		chan_unwait(ch);
	if (chan_wants_link(s) && !ch->on_no_link) {
		TAILQ_INSERT_TAIL(&ca->no_link, ch, no_link);
		ch->on_no_link = 1;
	} else if (!chan_wants_link(s) && ch->on_no_link) {
		TAILQ_REMOVE(&ca->no_link, ch, no_link);
		ch->on_no_link = 0;
	}
	ch->state = s;
}

/**
 * chan_all_new(): the channels' part of a gateway, none waiting; the
 * caller keeps it as gw->chans.  NULL on ENOMEM.
 */
struct chan_all *
chan_all_new(void)
{
	struct chan_all *ca;

	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		return NULL;
	TAILQ_INIT(&ca->no_link);
	return ca;
}

/**
 * chan_all_free(ca): free ${ca} (every channel closed: no ring is left);
 * chan_all_free(NULL) is a no-op.
 */
void
chan_all_free(struct chan_all *ca)
{
	free(ca);
}

/** chan_replay_bytes(gw): bytes of DATA all rings keep until ACKed. */
uint64_t
chan_replay_bytes(const struct gw *gw)
{
	return gw->chans->replay_bytes;
}

/**
 * chan_init(ch, gw, window, ops, arg): ${ch} is NEW, with a ring of
 * ${window} slots (allocated with the first DATA); it tells ${arg} what
 * happens through ${ops}.
 */
void
chan_init(struct chan *ch, struct gw *gw, uint32_t window,
    const struct chan_ops *ops, void *arg)
{
	memset(ch, 0, sizeof(*ch));
	ch->magic = CHAN_MAGIC;	/* born CHAN_NEW (zeroed) */
	ch->gw = gw;
	ch->window = window;
	ch->ops = ops;
	ch->arg = arg;
}

/* The channel module's table of link ${u}, made the first time. */
static struct chan_tab *
chan_tab(struct gw *gw, struct upstream *u)
{
	struct chan_tab *t;

	if ((t = upstream_chan_arg(u)) != NULL)
		return chan_tab_of(t);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->map = chanmap_new()) == NULL) {
		free(t);
		return NULL;
	}
	t->magic = CHAN_TAB_MAGIC;
	t->gw = gw;
	t->up = u;
	TAILQ_INIT(&t->waiters);
	upstream_set_chan_ops(u, &chan_up_ops, t);
	return t;
}

/* Wait on ${t}'s FIFO for room: NO_ROOM to open, WAITING to send. */
static void
chan_wait(struct chan *ch, struct chan_tab *t, enum chan_state s)
{
	if (ch->wait_tab != t) {
		chan_unwait(ch);
		TAILQ_INSERT_TAIL(&t->waiters, ch, wait);
		ch->wait_tab = t;
	}
	chan_set_state(ch, s);
}

/** chan_no_link(ch): no channel: wait for a link, resend the whole ring. */
void
chan_no_link(struct chan *ch)
{
	ch->ring_sent = 0;
	chan_set_state(ch, CHAN_NO_LINK);
}

/**
 * chan_open(ch): open a channel on the least busy ready link.  Return 0
 * (OPENING, or NO_LINK if no link is ready), GW_ENOSPACE (NO_ROOM: resumed
 * when the link has room), or -1 (the session was told to end: ended).
 */
int
chan_open(struct chan *ch)
{
	struct upstream *u;
	struct chan_tab *t;
	struct id_info id;
	struct id_ext ext, *x;
	uint32_t idn;
	int rc;

	if ((u = ch->gw->pick_link(ch->gw)) == NULL) {
		chan_no_link(ch);
		return 0;
	}
	x = upstream_caps(u) & GW_CAP_FLEET ? &ext : NULL;
	if ((rc = ch->ops->identity(ch->arg, &id, x)) < 0)
		return -1;
	if (rc == 1)
		x = NULL;	/* none known: none sent */
	if ((t = chan_tab(ch->gw, u)) == NULL)
		goto fail;
	rc = upstream_open(u, &id, x, &idn);
	if (rc == GW_ENOSPACE) {
		ch->ring_sent = 0;
		chan_wait(ch, t, CHAN_NO_ROOM);
		return GW_ENOSPACE;
	}
	if (rc != 0 || chanmap_put(t->map, idn, ch) != 0)
		goto fail;	/* an OPEN sent is answered, then ignored */
	ch->up = u;
	ch->id = idn;
	chan_set_state(ch, CHAN_OPENING);
	return 0;
fail:
	ch->ops->ended(ch->arg, GW_R_INTERNAL, "cannot open a channel");
	return -1;
}

/* Leave the link: out of its table, CLOSE with ${reason}. */
static void
chan_leave(struct chan *ch, unsigned reason, const char *text)
{
	struct chan_tab *t;

	if (ch->up == NULL)
		return;
	t = chan_tab_of(upstream_chan_arg(ch->up));
	chanmap_del(t->map, ch->id);
	upstream_close_chan(ch->up, ch->id, reason, text);
	ch->up = NULL;
}

/* The bytes DATA of ${len} takes in a link's output. */
static size_t
chan_cost(uint32_t len)
{
	return GW_HDR_LEN + 8 + (size_t)len;
}

/* A turn's bytes: the largest DATA fits in one. */
static size_t
chan_quantum(const struct chan *ch)
{
	return chan_cost((uint32_t)ch->gw->cfg->max_payload);
}

/* ${ch} joins the tail of ${t}'s round (WAITING) with a fresh quantum. */
static void
chan_join(struct chan *ch, struct chan_tab *t)
{
	chan_wait(ch, t, CHAN_WAITING);
	ch->deficit = chan_quantum(ch);
}

/* ${ch}'s turn is over: to the tail of ${t}'s round, one quantum more. */
static void
chan_requeue(struct chan *ch, struct chan_tab *t)
{
	TAILQ_REMOVE(&t->waiters, ch, wait);
	TAILQ_INSERT_TAIL(&t->waiters, ch, wait);
	ch->deficit += chan_quantum(ch);
}

/*
 * The turn of ${ch}, at the head of ${t}'s round: send its unsent DATA
 * while its deficit covers the next one and the link's output holds less
 * than CHAN_LINK_QUEUE.  Return 0 if the turn ended (all sent: OPEN; or
 * the deficit is short: to the tail), -1 if the link is full (it keeps
 * its place and its deficit; on_room resumes the round).
 */
static int
chan_turn(struct chan *ch, struct chan_tab *t)
{
	while (ch->ring_sent < ch->ring_len) {
		struct replay *r = &ch->ring[(ch->ring_head + ch->ring_sent) %
		    ch->window];

		if (chan_cost(r->len) > ch->deficit) {
			chan_requeue(ch, t);
			return 0;
		}
		if (upstream_queued(t->up) >= CHAN_LINK_QUEUE) {
			upstream_want_room(t->up);
			return -1;
		}
		if (upstream_data(t->up, ch->id, r->seq, r->body, r->len) != 0)
			return -1;	/* on_room follows */
		upstream_data_since(t->up, r->t);
		ch->deficit -= chan_cost(r->len);
		ch->ring_sent++;
		ch->top_seq = r->seq;
	}
	ch->deficit = 0;
	chan_set_state(ch, CHAN_OPEN);
	return 0;
}

/**
 * chan_tab_run(t): serve ${t}'s round (chan.h: fair sharing of a link)
 * until it is empty or the link is full.  A channel waiting to OPEN
 * (NO_ROOM) tries once; if it finds no room here, neither would DATA
 * (upstream_open asks less of the output than upstream_data): the round
 * stops.  Each turn sends at least one DATA unless the link is full, so
 * this ends.
 */
void
chan_tab_run(struct chan_tab *t)
{
	struct chan *ch;

	while ((ch = TAILQ_FIRST(&t->waiters)) != NULL) {
		if (ch->state == CHAN_NO_ROOM) {
			chan_set_state(ch, CHAN_NO_LINK);
			if (chan_open(ch) == 0)	/* then the next ones */
				chan_adopt_all(ch->gw);
			if (ch->wait_tab == t)
				return;
		} else if (upstream_draining(t->up)) {
			chan_set_state(ch, CHAN_OPEN);
			chan_pump(ch);	/* moves, or waits for its ACKs */
		} else if (chan_turn(ch, t) != 0)
			return;
	}
}

/**
 * chan_pump(ch): relay the ring's unsent DATA, in its turn of its link's
 * round; on a draining link, move once nothing sent there waits for its
 * ACK.
 */
void
chan_pump(struct chan *ch)
{
	struct chan_tab *t;

	if (!chan_ready(ch))
		return;
	if (upstream_draining(ch->up)) {
		if (ch->ring_sent > 0) {
			chan_set_state(ch, CHAN_DRAINING);
			return;		/* wait for the ACKs */
		}
		chan_leave(ch, GW_R_NORMAL, "moving to another link");
		(void)chan_open(ch);
		return;
	}
	if (ch->ring_sent == ch->ring_len)
		return;
	t = chan_tab_of(upstream_chan_arg(ch->up));
	if (ch->state != CHAN_WAITING)
		chan_join(ch, t);
	chan_tab_run(t);
}

/**
 * chan_push(ch, seq, body, len): keep DATA ${seq} of ${len} bytes in the
 * ring (the caller checked the credit that makes room for it).  Return 0,
 * or -1 if memory is short.
 */
int
chan_push(struct chan *ch, uint64_t seq, const uint8_t *body, uint32_t len)
{
	struct replay *r;

	if (ch->ring_len >= ch->window)
		return -1;
	if (ch->ring == NULL &&
	    (ch->ring = calloc(ch->window, sizeof(*ch->ring))) == NULL)
		return -1;
	r = &ch->ring[(ch->ring_head + ch->ring_len) % ch->window];
	if ((r->body = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(r->body, body, len);
	r->t = ev_now(ch->gw->loop);
	r->seq = seq;
	r->len = len;
	ch->ring_len++;
	ch->gw->chans->replay_bytes += len;
	return 0;
}

/**
 * chan_ring_ack(ch, seq): drop the ring's DATA up to ${seq}: durable.
 * Return how many.
 */
uint32_t
chan_ring_ack(struct chan *ch, uint64_t seq)
{
	uint32_t n = 0;

	while (ch->ring_len > 0 && ch->ring[ch->ring_head].seq <= seq) {
		struct replay *r = &ch->ring[ch->ring_head];

		stats_ack(&ch->gw->stats, ev_now(ch->gw->loop) - r->t);
		ch->gw->chans->replay_bytes -= r->len;
		free(r->body);
		r->body = NULL;
		ch->ring_head = (ch->ring_head + 1) % ch->window;
		ch->ring_len--;
		if (ch->ring_sent > 0)
			ch->ring_sent--;
		n++;
	}
	return n;
}

/** chan_trim(ch): a quiet session: free the ring if it is empty. */
void
chan_trim(struct chan *ch)
{
	if (ch->ring_len == 0) {
		free(ch->ring);
		ch->ring = NULL;
		ch->ring_head = 0;
	}
}

/**
 * chan_close(ch, reason, detail): the session ends: free the ring, leave
 * every FIFO and the link's table, send CLOSE with ${reason}.  Safe in
 * any state.
 */
void
chan_close(struct chan *ch, unsigned reason, const char *detail)
{
	if (ch->state == CHAN_CLOSED)
		return;
	if (ch->state == CHAN_OPENING && ch->hk != NULL && ch->up != NULL)
		chan_pend(ch, chan_tab_of(upstream_chan_arg(ch->up)));
	chan_set_state(ch, CHAN_CLOSED);
	while (ch->ring_len > 0) {
		struct replay *r = &ch->ring[ch->ring_head];

		ch->gw->chans->replay_bytes -= r->len;
		free(r->body);
		ch->ring_head = (ch->ring_head + 1) % ch->window;
		ch->ring_len--;
	}
	ch->ring_sent = 0;
	free(ch->ring);
	ch->ring = NULL;
	chan_leave(ch, reason, detail);
}

/**
 * chan_adopt_all(gw): a link is ready: open channels for those that have
 * none, in the order they lost theirs.
 */
void
chan_adopt_all(struct gw *gw)
{
	struct chan *ch;

	while ((ch = TAILQ_FIRST(&gw->chans->no_link)) != NULL)
		if (chan_open(ch) != 0 || ch->on_no_link)
			return;		/* no room or no link: resumed later */
}

/**
 * chan_answer(ch, f, why): relay the agent's COMMAND_ACK or RESULT ${f} to
 * the server on ${ch}'s channel, while it is open (OPEN, WAITING,
 * DRAINING) on a link whose HELLO_ACK agreed COMMANDS.  It takes no
 * credit and no slot of the ring.  Return 0 if sent, 1 if dropped as the
 * protocol says (no open channel, or a link without COMMANDS: the server
 * sends the COMMAND again on the next channel), -1 if dropped for want of
 * room or for a size the server does not take; ${why} then says which.
 */
int
chan_answer(struct chan *ch, const struct gw_frame *f, const char **why)
{
	struct gw_frame g = *f;
	int rc;

	if (!chan_ready(ch)) {
		*why = "no open channel";
		return 1;
	}
	if ((upstream_caps(ch->up) & GW_CAP_COMMANDS) == 0) {
		*why = "the server's link did not agree COMMANDS";
		return 1;
	}
	g.channel = ch->id;
	if ((rc = upstream_answer(ch->up, &g)) == 0)
		return 0;
	*why = rc == UP_ETOOBIG ? "larger than the server's max_payload" :
	    "the server's link has no room";
	return -1;
}

/** chan_ring_len(ch): DATA in ${ch}'s ring, not yet ACKed. */
uint32_t
chan_ring_len(const struct chan *ch)
{
	return ch->ring_len;
}

/** chan_ready(ch): 1 if ${ch} has its channel (OPEN, WAITING, DRAINING). */
int
chan_ready(const struct chan *ch)
{
	return ch->state == CHAN_OPEN || ch->state == CHAN_WAITING ||
	    ch->state == CHAN_DRAINING;
}

/** chan_count(u): channels on link ${u}. */
size_t
chan_count(const struct upstream *u)
{
	void *t = upstream_chan_arg(u);

	return t != NULL ? chanmap_count(chan_tab_of(t)->map) : 0;
}
