/*
 * chan_link.c: what a link tells its channels (struct upstream_chan_ops):
 * OPEN_ACK, ACK, COMMAND and CLOSE for one channel, the link lost or
 * draining for all, and the fleet's SEEN of those heard.  A lost link
 * keeps each session: its channel waits for another link and resends.
 */
#include <stdio.h>
#include <stdlib.h>

#include "chan.h"
#include "chan_impl.h"
#include "chanmap.h"
#include "gw.h"
#include "log.h"
#include "upstream.h"

/*
 * The channel's link is gone.  A lost link keeps the session: it waits
 * for another link and resends; anything else (the gateway stopping, the
 * link's end for a reason of its own) ends it with ${reason}.
 */
static void
chan_lost(struct chan *ch, unsigned reason, const char *text)
{
	if (reason == GW_R_UPSTREAM_LOST && !ch->gw->stopping &&
	    (ch->state == CHAN_OPENING || chan_ready(ch))) {
		log_debug("event=chan_link_lost channel=%u unacked=%u", ch->id,
		    ch->ring_len);
		chan_no_link(ch);
		return;
	}
	ch->ops->ended(ch->arg, reason, text);
}

/*
 * The server claims ${seq} of ${ch} durable (${what}: ACK or OPEN_ACK)
 * beyond the newest it can hold.  Its store disagrees with what this
 * session sent: believing it would tell the agent that DATA it never sent,
 * or sent only to us, is durable, and free ring slots the server never
 * had.  The session ends with ERROR sequence.  Return -1 then (${ch} may be
 * gone), else 0.
 */
static int
chan_check_seq(struct chan *ch, uint64_t seq, const char *what)
{
	char text[128];

	if (seq <= ch->top_seq)
		return 0;
	snprintf(text, sizeof(text), "server sent %s %llu, beyond %llu, the "
	    "newest DATA sent", what, (unsigned long long)seq,
	    (unsigned long long)ch->top_seq);
	ch->ops->ended(ch->arg, GW_R_SEQUENCE, text);
	return -1;
}

/*
 * OPEN_ACK: the channel is open; ${last_seq} is durable.  The first one
 * says where the agent's numbering stands; after a move, it is at most
 * what this session sent.
 */
static void
chan_opened(struct chan *ch, uint64_t last_seq)
{
	uint32_t n;

	if (ch->state != CHAN_OPENING) {
		ch->ops->ended(ch->arg, GW_R_PROTOCOL,
		    "server sent a second OPEN_ACK");
		return;
	}
	if (ch->opens == 0)
		ch->top_seq = last_seq;
	else if (chan_check_seq(ch, last_seq, "OPEN_ACK") != 0)
		return;
	chan_set_state(ch, CHAN_OPEN);
	ch->ring_sent = 0;
	n = chan_ring_ack(ch, last_seq);
	ch->ops->opened(ch->arg, last_seq, n);
	if (ch->opens++ > 0)
		chan_pump(ch);	/* resend the rest (the first: empty) */
}

/* ACK ${seq} on ${ch}. */
static void
chan_acked(struct chan *ch, uint64_t seq)
{
	uint32_t n;

	if (!chan_ready(ch) || chan_check_seq(ch, seq, "ACK") != 0)
		return;
	n = chan_ring_ack(ch, seq);
	ch->ops->acked(ch->arg, seq, n);
	if (chan_ready(ch) && upstream_draining(ch->up))
		chan_pump(ch);		/* may move now */
}

/* upstream_chan_ops.on_frame: OPEN_ACK, ACK, COMMAND or CLOSE. */
static int
chan_up_frame(struct upstream *u, const struct gw_frame *f, void *arg)
{
	struct chan_tab *t = chan_tab_of(arg);
	struct chan *ch;
	void *v;
	char text[128];

	(void)u;
	if ((v = chanmap_get(t->map, f->channel)) == NULL)
		return 0;
	ch = chan_of(v);
	switch (f->type) {
	case GW_T_OPEN_ACK:
		chan_opened(ch, f->u.ack.seq);
		break;
	case GW_T_ACK:
		chan_acked(ch, f->u.ack.seq);
		break;
	case GW_T_COMMAND:
		if (chan_ready(ch))
			ch->ops->command(ch->arg, f);
		break;
	default:	/* CLOSE */
		chanmap_del(t->map, f->channel);
		ch->up = NULL;
		snprintf(text, sizeof(text), "%.*s",
		    (int)f->u.reason.text.len,
		    (const char *)f->u.reason.text.p);
		/*
		 * The server's CLOSE is final whatever its code: only our own
		 * link's loss (chan_up_lost) keeps the session for another
		 * link.  A CLOSE upstream-lost taken as that would park the
		 * session with no link to wake it while every link is up.
		 */
		ch->ops->ended(ch->arg, f->u.reason.code, text);
		break;
	}
	return 1;
}

/* upstream_chan_ops.on_room: the link's output drained: serve its round. */
static void
chan_up_room(struct upstream *u, void *arg)
{
	(void)u;
	chan_barrier(chan_tab_of(arg));
	chan_tab_run(chan_tab_of(arg));
}

/* upstream_chan_ops.on_lost: the link is down, with all its channels. */
static void
chan_up_lost(struct upstream *u, unsigned reason, const char *text,
    void *arg)
{
	struct chan_tab *t = chan_tab_of(arg);
	struct chan **lost = NULL, *ch;
	size_t n = 0, it = 0, i;
	void *v;

	(void)u;
	chan_pend_done(t, 1);	/* every OPEN sent on it is answered */
	while ((ch = TAILQ_FIRST(&t->waiters)) != NULL)
		chan_set_state(ch, ch->state == CHAN_NO_ROOM ? CHAN_NO_LINK :
		    CHAN_OPEN);
	/*
	 * Collect, then act: chan_lost must not see a changing map.  Short
	 * of memory for that, one at a time.
	 */
	if (chanmap_count(t->map) > 0 &&
	    (lost = calloc(chanmap_count(t->map), sizeof(*lost))) == NULL) {
		while ((it = 0, chanmap_next(t->map, &it, &v)) != 0) {
			ch = chan_of(v);
			chanmap_del(t->map, ch->id);
			ch->up = NULL;
			chan_lost(ch, reason, text);
		}
		return;
	}
	while (chanmap_next(t->map, &it, &v) != 0)
		lost[n++] = chan_of(v);
	for (i = 0; i < n; i++) {
		chanmap_del(t->map, lost[i]->id);
		lost[i]->up = NULL;
	}
	for (i = 0; i < n; i++)
		chan_lost(lost[i], reason, text);
	free(lost);
}

/* upstream_chan_ops.on_drain: the link drains: each channel moves. */
static void
chan_up_drain(struct upstream *u, void *arg)
{
	struct chan_tab *t = chan_tab_of(arg);
	struct chan **v;
	size_t n = 0, it = 0;
	void *p;

	/* Collect, then act: moving channels changes the map. */
	if ((v = calloc(chanmap_count(t->map), sizeof(*v))) == NULL) {
		upstream_drop(u, "out of memory");
		return;
	}
	while (chanmap_next(t->map, &it, &p) != 0)
		v[n++] = chan_of(p);
	for (size_t i = 0; i < n; i++)
		chan_pump(v[i]);	/* moves once nothing is in flight */
	free(v);
}

/*
 * Send SEEN of the ${n} ${ids} on ${t}'s link.  Return 0, or -1 if it has
 * no room now: those channels are flagged again for the next SEEN.
 */
static int
chan_seen_send(struct chan_tab *t, const uint8_t *ids, uint32_t n)
{
	struct gw_frame f = { .type = GW_T_SEEN, .u.seen = { ids, n } };
	void *v;

	if (upstream_seen(t->up, ids, n) == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if ((v = chanmap_get(t->map, gw_seen_id(&f, i))) != NULL)
			chan_of(v)->heard = 1;
	return -1;
}

/*
 * upstream_chan_ops.on_seen: SEEN of the channels of the link heard since
 * its last one, each once, in frames of at most CHAN_SEEN_BATCH ids (and
 * of what the server takes); a channel's flag clears as its id goes.
 */
static void
chan_up_seen(struct upstream *u, void *arg)
{
	struct chan_tab *t = chan_tab_of(arg);
	uint8_t ids[4 * CHAN_SEEN_BATCH];
	uint32_t max = upstream_seen_max(u), n = 0, id;
	struct chan *ch;
	size_t it = 0;
	void *v;

	if (max > CHAN_SEEN_BATCH)
		max = CHAN_SEEN_BATCH;
	/* Sending changes no map: no callback runs inside upstream_seen. */
	while ((id = chanmap_next(t->map, &it, &v)) != 0) {
		if (!(ch = chan_of(v))->heard)
			continue;
		ch->heard = 0;
		gw_seen_put(ids, n++, id);
		if (n < max)
			continue;
		if (chan_seen_send(t, ids, n) != 0)
			return;		/* the rest keep their flags */
		n = 0;
	}
	if (n > 0)
		(void)chan_seen_send(t, ids, n);
}

/**
 * chan_heard(ch): ${ch}'s agent sent a frame: the next SEEN of its link
 * lists it (GW_CAP_FLEET).
 */
void
chan_heard(struct chan *ch)
{
	ch->heard = 1;
}

static size_t
chan_up_count(const void *arg)
{
	return chanmap_count(chan_tab_of((void *)(uintptr_t)arg)->map);
}

static void
chan_up_free(void *arg)
{
	struct chan_tab *t = chan_tab_of(arg);

	chanmap_free(t->map);
	chan_pend_free(t);
	t->magic = 0;
	free(t);
}

/* upstream_chan_ops.on_pong: a barrier PING answered (chan_pend)? */
static void
chan_up_pong(struct upstream *u, uint64_t opaque, void *arg)
{
	struct chan_tab *t = chan_tab_of(arg);

	(void)u;
	if (t->barrier != 0 && opaque == (CHAN_BARRIER_TAG | t->barrier))
		chan_pend_done(t, 0);
}

const struct upstream_chan_ops chan_up_ops = {
	.on_frame = chan_up_frame,
	.on_pong = chan_up_pong,
	.on_room = chan_up_room,
	.on_lost = chan_up_lost,
	.on_drain = chan_up_drain,
	.on_seen = chan_up_seen,
	.count = chan_up_count,
	.on_free = chan_up_free,
};
