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
