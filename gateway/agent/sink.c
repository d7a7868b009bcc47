/*
 * sink.c: the one door of gw-agent's inputs (sink.h) over the send queue
 * (its line cap and byte cap), the journal and the session (a kick after
 * each commit); see sink_ctl.h for the service's side.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "log.h"
#include "sendq.h"
#include "sink.h"
#include "sink_ctl.h"

#define SINK_MAGIC	0x53696e6bu	/* "Sink" */

struct sink {
	unsigned		 magic;		/* SINK_MAGIC */
	struct sink_params	 p;
	struct sink_waiter	*head, *tail;	/* waiting, oldest first */
	unsigned long long	 pushed;
	int			 failed;
};

/** sink_new(p): a sink over ${p} (copied), or NULL (errno). */
struct sink *
sink_new(const struct sink_params *p)
{
	struct sink *s;

	if (p->q == NULL || p->kick == NULL || p->fail == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->magic = SINK_MAGIC;
	s->p = *p;
	return s;
}

/* ${s}, checked: anything else aborts. */
static struct sink *
sink_of(const struct sink *s)
{
	if (s == NULL || s->magic != SINK_MAGIC)
		abort();
	return (struct sink *)s;
}

/* The journal failed: once logged, and the agent stops. */
static int
sink_fail(struct sink *s)
{
	char msg[300];

	if (!s->failed) {
		s->failed = 1;
		snprintf(msg, sizeof(msg), "gw-agent: %s",
		    journal_error(s->p.journal));
		log_errx("event=state_write_failed detail=\"%s\"",
		    journal_error(s->p.journal));
		s->p.fail(msg, s->p.arg);
	}
	return SINK_ERR;
}

/**
 * sink_push(s, p, len): queue one event of ${len} bytes (at most
 * SINK_EVENT_MAX) and record it in the journal (not yet synced).
 * SINK_OK, SINK_FULL, or SINK_ERR (logged by the sink).
 */
int
sink_push(struct sink *s, const void *p, size_t len)
{
	s = sink_of(s);
	if (s->failed)
		return SINK_ERR;
	if (len > SINK_EVENT_MAX) {
		/* An input's bug (events are bounded): stop, as promised. */
		log_errx("event=sink_event_too_long len=%zu max=%d", len,
		    SINK_EVENT_MAX);
		s->failed = 1;
		s->p.fail("gw-agent: an input made an event too long",
		    s->p.arg);
		return SINK_ERR;
	}
	if (!sendq_room(s->p.q, len))
		return SINK_FULL;
	if (sendq_push(s->p.q, p, len) != 0) {
		log_errx("event=sink_push_failed detail=\"%s\"",
		    strerror(errno));
		s->failed = 1;
		s->p.fail("gw-agent: out of memory", s->p.arg);
		return SINK_ERR;
	}
	s->pushed++;
	if (s->p.journal != NULL && journal_line(s->p.journal, p, len) != 0)
		return sink_fail(s);
	return SINK_OK;
}

/** sink_room(s, len): 1 if an event of ${len} bytes would be queued now. */
int
sink_room(const struct sink *s, size_t len)
{
	s = sink_of(s);
	return !s->failed && len <= SINK_EVENT_MAX &&
	    sendq_room(s->p.q, len);
}

/**
 * sink_commit(s): make every event pushed so far, and the positions
 * recorded with them, durable (journal sync), then hand them to the
 * session.  0, or -1 (the sink failed; logged by it).
 */
int
sink_commit(struct sink *s)
{
	s = sink_of(s);
	if (s->failed)
		return -1;
	if (s->p.journal != NULL && journal_commit(s->p.journal) != 0)
		return sink_fail(s);
	s->p.kick(s->p.arg);
	return 0;
}

/**
 * sink_journal(s): the journal positions are recorded in, or NULL when
 * the agent keeps no state (positions then live only in memory).
 */
struct journal *
sink_journal(struct sink *s)
{
	return sink_of(s)->p.journal;
}

/**
 * sink_wait(s, w): call ${w}->fn once room comes back.  Waiting twice is
 * waiting once.
 */
void
sink_wait(struct sink *s, struct sink_waiter *w)
{
	s = sink_of(s);
	if (w->waiting)
		return;
	w->waiting = 1;
	w->next = NULL;
	if (s->tail != NULL)
		s->tail->next = w;
	else
		s->head = w;
	s->tail = w;
}

/** sink_unwait(s, w): do not call ${w} (an input being freed). */
void
sink_waiter_init(struct sink_waiter *w, void (*fn)(struct sink_waiter *w))
{
	*w = (struct sink_waiter){ .fn = fn };
}

void
sink_unwait(struct sink *s, struct sink_waiter *w)
{
	struct sink_waiter **pp, *prev = NULL;

	s = sink_of(s);
	if (!w->waiting)
		return;
	for (pp = &s->head; *pp != NULL; prev = *pp, pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			if (s->tail == w)
				s->tail = prev;
			break;
		}
	w->waiting = 0;
	w->next = NULL;
}

/**
 * sink_acked(s): acknowledgements made room: call the waiters, oldest
 * first, each once, while there is room.
 */
void
sink_acked(struct sink *s)
{
	struct sink_waiter *w;
	size_t n = 0;

	s = sink_of(s);
	for (w = s->head; w != NULL; w = w->next)
		n++;
	/* Those waiting now, once: one that finds no room waits again, at
	 * the tail, and is not called again in this round. */
	while (n-- > 0 && (w = s->head) != NULL && !s->failed &&
	    !sendq_full(s->p.q)) {
		s->head = w->next;
		if (s->head == NULL)
			s->tail = NULL;
		w->waiting = 0;
		w->next = NULL;
		w->fn(w);
	}
}

/** sink_pushed(s): events pushed since the start. */
unsigned long long
sink_pushed(const struct sink *s)
{
	return sink_of(s)->pushed;
}

/** sink_waiting(s): the number of inputs waiting for room. */
size_t
sink_waiting(const struct sink *s)
{
	const struct sink_waiter *w;
	size_t n = 0;

	for (w = sink_of(s)->head; w != NULL; w = w->next)
		n++;
	return n;
}

/** sink_free(s): free ${s} (its waiters are forgotten); NULL-safe. */
void
sink_free(struct sink *s)
{
	if (s == NULL)
		return;
	s = sink_of(s);
	s->magic = 0;
	free(s);
}
