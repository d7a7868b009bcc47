/*
 * chan_pend.c: workers mode: the OPENs a link sent for channels that
 * closed before their OPEN_ACK, counted for their agents (handover.h)
 * until the management server has read them.  A channel's state is freed
 * at close and the server's answer to its OPEN ignored; worse, gw-mgmt
 * sends none if it reads the CLOSE before its commit answers the OPEN.  So
 * the proof is a barrier: a PING sent after those OPENs (the link sends in
 * order, and gw-mgmt answers a PING when it reads it, after them); its
 * PONG answers every OPEN counted before it was sent.  One barrier at a
 * time per link; OPENs counted meanwhile wait for the next.  A link lost
 * answers them all (its channels are gone with it on both sides).
 */
#include <stdlib.h>

#include "chan.h"
#include "chan_impl.h"
#include "handover.h"
#include "log.h"
#include "upstream.h"

struct chan_pend {
	struct chan_pend	*next;
	struct handover_key	*hk;
};

/**
 * chan_barrier(t): send the barrier PING that ${t}'s OPENs counted since
 * the last one wait for, if none is in flight (on_room retries).
 */
void
chan_barrier(struct chan_tab *t)
{
	if (t->barrier != 0 || t->pend_next == NULL)
		return;
	if (upstream_ping(t->up, CHAN_BARRIER_TAG | (t->barriers + 1)) != 0) {
		if (upstream_queued(t->up) > 0)
			upstream_want_room(t->up);
		return;		/* or the link is going: on_lost */
	}
	t->barrier = ++t->barriers;
	t->pend_wait = t->pend_next;
	t->pend_next = NULL;
}

/**
 * chan_pend(ch, t): workers mode: ${ch} closes in OPENING on ${t}'s link:
 * its OPEN counts for its agent (handover.h) until the server has read
 * it (a barrier PING sent after it is answered), or the link is gone.
 * Short of memory to note it, it stays counted: the worker never answers
 * a RELEASE of that agent, and the parent restarts it.
 */
void
chan_pend(struct chan *ch, struct chan_tab *t)
{
	struct chan_pend *p;

	handover_open_pending(ch->gw, ch->hk);
	if ((p = malloc(sizeof(*p))) == NULL) {
		log_warnx("event=handover_error channel=%u detail=\"ENOMEM: "
		    "its OPEN stays unanswered\"", ch->id);
		return;
	}
	p->hk = ch->hk;
	p->next = t->pend_next;
	t->pend_next = p;
	chan_barrier(t);
}

/* Answer and free the list ${p}. */
static void
chan_pend_answer(struct gw *gw, struct chan_pend *p)
{
	struct chan_pend *next;

	for (; p != NULL; p = next) {
		next = p->next;
		handover_open_answered(gw, p->hk);
		free(p);
	}
}

/**
 * chan_pend_done(t, all): the barrier PING in flight is answered (or,
 * ${all}, the link is gone: every OPEN counted is).
 */
void
chan_pend_done(struct chan_tab *t, int all)
{
	struct chan_pend *wait = t->pend_wait, *next = NULL;

	t->pend_wait = NULL;
	t->barrier = 0;
	if (all) {
		next = t->pend_next;
		t->pend_next = NULL;
	}
	chan_pend_answer(t->gw, wait);
	chan_pend_answer(t->gw, next);
	if (!all)
		chan_barrier(t);
}

/** chan_pend_free(t): ${t}'s link is freed: forget what it counted. */
void
chan_pend_free(struct chan_tab *t)
{
	struct chan_pend *p, *next;

	for (p = t->pend_wait; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	for (p = t->pend_next; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	t->pend_wait = t->pend_next = NULL;
}
