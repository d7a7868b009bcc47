/*
 * sink.h: where gw-agent's inputs put their events.  One door to the send
 * queue (sendq.h), the journal (journal.h) and the session
 * (client_session.h): an input pushes events, records its own position in
 * the journal if it has one (a followed file), then commits; from the
 * commit on, what it pushed survives kill -9 and is delivered exactly once.
 * An input never reads what it could not push: when the sink has no room
 * (the queue's line cap or byte cap) it stops and waits (sink_wait) to be
 * called back once acknowledgements made room.
 *
 * Calls go down only: inputs call the sink; the sink calls an input back
 * only through the waiter it was given.
 */
#ifndef GW_SINK_H
#define GW_SINK_H

#include <stddef.h>

struct sink;
struct journal;

/* What sink_push() says. */
#define SINK_OK		0	/* queued (durable at the next commit) */
#define SINK_FULL	1	/* no room now: wait (sink_wait) */
#define SINK_ERR	(-1)	/* the sink failed; the agent is stopping */

/*
 * An input waiting for room: embedded in the input, set up once by
 * sink_waiter_init(), given to sink_wait(); ${fn} is called once, from
 * the loop, when room came back.  Only the sink writes it.
 */
struct sink_waiter {
	void			(*fn)(struct sink_waiter *w);
	struct sink_waiter	*next;		/* the sink's */
	int			 waiting;	/* the sink's */
};

/**
 * sink_push(s, p, len): queue one event of ${len} bytes (at most
 * SINK_EVENT_MAX) and record it in the journal (not yet synced).
 * SINK_OK, SINK_FULL, or SINK_ERR (logged by the sink).
 */
int sink_push(struct sink *s, const void *p, size_t len);

/* The largest event: a DATA body (PROTOCOL.md 9.2). */
#define SINK_EVENT_MAX	(65536 - 8)

/** sink_room(s, len): 1 if an event of ${len} bytes would be queued now. */
int sink_room(const struct sink *s, size_t len);

/**
 * sink_commit(s): make every event pushed so far, and the positions
 * recorded with them, durable (journal sync), then hand them to the
 * session.  0, or -1 (the sink failed; logged by it).
 */
int sink_commit(struct sink *s);

/**
 * sink_journal(s): the journal positions are recorded in, or NULL when
 * the agent keeps no state (positions then live only in memory).
 */
struct journal *sink_journal(struct sink *s);

/**
 * sink_wait(s, w): call ${w}->fn once room comes back.  Waiting twice is
 * waiting once.
 */
void sink_wait(struct sink *s, struct sink_waiter *w);

/** sink_waiter_init(w, fn): ${w} not waiting, calling ${fn} when woken. */
void sink_waiter_init(struct sink_waiter *w,
    void (*fn)(struct sink_waiter *w));

/** sink_unwait(s, w): do not call ${w} (an input being freed). */
void sink_unwait(struct sink *s, struct sink_waiter *w);

#endif /* GW_SINK_H */
