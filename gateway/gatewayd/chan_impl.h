/*
 * chan_impl.h: the channel module's side of a link (struct chan_tab),
 * shared by chan.c (a channel: ring, open, round) and chan_link.c (what
 * the link tells its channels: struct upstream_chan_ops).  Nothing else
 * sees it.
 */
#ifndef GW_CHAN_IMPL_H
#define GW_CHAN_IMPL_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/queue.h>

#include "chan.h"
#include "upstream.h"

#define CHAN_TAB_MAGIC	0x43546162u	/* "CTab" */

/*
 * The opaque of a barrier PING (chan_pend): its number with the top bit
 * set; a heartbeat's is its time in ms, far below.
 */
#define CHAN_BARRIER_TAG	(UINT64_C(1) << 63)

struct chan_pend;

/*
 * The most ids of one SEEN (16 KiB on the stack; fewer if the server's
 * max_payload says so).
 */
#define CHAN_SEEN_BATCH	4096u

/* The channel module's side of one link. */
struct chan_tab {
	unsigned		 magic;
	struct gw		*gw;
	struct upstream		*up;
	struct chanmap		*map;		/* id -> struct chan */
	/*
	 * Workers mode: the agents of channels closed with their OPEN
	 * unanswered (chan_pend), until a PONG shows the server read it.
	 */
	struct chan_pend	*pend_next;	/* for the next barrier PING */
	struct chan_pend	*pend_wait;	/* for the PONG of ${barrier} */
	uint64_t		 barrier;	/* the PING in flight, 0: none */
	uint64_t		 barriers;	/* barrier PINGs sent */
	TAILQ_HEAD(, chan)	 waiters;	/* FIFO: waiting for room */
};


/* A channel from a void * (the table, a callback): checked. */
static inline struct chan *
chan_of(void *v)
{
	struct chan *ch = v;

	if (ch == NULL || ch->magic != CHAN_MAGIC)
		abort();
	return ch;
}

static inline struct chan_tab *
chan_tab_of(void *v)
{
	struct chan_tab *t = v;

	if (t == NULL || t->magic != CHAN_TAB_MAGIC)
		abort();
	return t;
}

/* The link's calls into its channels (chan_link.c). */
extern const struct upstream_chan_ops chan_up_ops;

/**
 * chan_pend(ch, t): workers mode: ${ch} closes in OPENING on ${t}'s link:
 * its OPEN counts for its agent (handover.h) until the server has read
 * it (a barrier PING sent after it is answered), or the link is gone.
 */
void chan_pend(struct chan *ch, struct chan_tab *t);

/**
 * chan_barrier(t): send the barrier PING that ${t}'s OPENs counted since
 * the last one wait for, if none is in flight (on_room retries).
 */
void chan_barrier(struct chan_tab *t);

/**
 * chan_pend_done(t, all): the barrier PING in flight is answered (or,
 * ${all}, the link is gone: every OPEN counted is).
 */
void chan_pend_done(struct chan_tab *t, int all);

/** chan_pend_free(t): ${t}'s link is freed: forget what it counted. */
void chan_pend_free(struct chan_tab *t);

/** chan_no_link(ch): no channel: wait for a link, resend the whole ring. */
void chan_no_link(struct chan *ch);

/**
 * chan_ring_ack(ch, seq): drop the ring's DATA up to ${seq}: durable.
 * Return how many.
 */
uint32_t chan_ring_ack(struct chan *ch, uint64_t seq);

/**
 * chan_tab_run(t): serve ${t}'s round (chan.h: fair sharing of a link)
 * until it is empty or the link is full.  A channel waiting to OPEN
 * (NO_ROOM) tries once; if it finds no room here, neither would DATA
 * (upstream_open asks less of the output than upstream_data): the round
 * stops.  Each turn sends at least one DATA unless the link is full, so
 * this ends.
 */
void chan_tab_run(struct chan_tab *t);

#endif /* !GW_CHAN_IMPL_H */
