/*
 * sink_fixture.h: the real sink (gateway/agent/sink.c) for the unit tests
 * of gw-agent's inputs (tests/unit/test_tailf*.c, test_syslog_in*.c,
 * test_checks*.c), driven as the service drives it (sink_ctl.h): over a
 * send queue and, if asked, a journal; every event committed is recorded
 * (at the session's kick), and the test sets the room the way the agent
 * finds it: lines waiting for their acknowledgement hold the queue's line
 * cap (sink_fix_room), acknowledgements free it and wake the waiters
 * (sink_fix_more).  A journal whose file may grow no more makes the next
 * push fail as a full disk does (sink_fix_break).  With cmocka: a step
 * that cannot be taken fails the test.
 */
#ifndef GW_SUPPORT_SINK_FIXTURE_H
#define GW_SUPPORT_SINK_FIXTURE_H

#include <stddef.h>

struct sendq;
struct cmdtab;
struct journal;
struct sink;

/* The queue's line cap: the room when a test sets none. */
#define SINK_FIX_LINES	100000

struct sink_fix {
	struct sendq	*q;
	struct cmdtab	*ct;
	struct journal	*j;		/* NULL: no state kept */
	struct sink	*s;
	char		**ev;		/* the events committed, C strings */
	size_t		 n;		/* of them */
	size_t		 evcap;
	size_t		 seen;		/* queue lines accounted for */
	unsigned	 commits;	/* the session's kicks */
	unsigned	 fails;
	int		 broken;	/* sink_fix_break: the limit lowered */
	/* The service's side of a failure: stop the inputs (set by the
	 * test; NULL: none). */
	void		(*on_fail)(void *arg);
	void		*fail_arg;
};

/**
 * sink_fix_open(f, state): a sink over a new queue and, if ${state} is
 * not NULL, the journal at that path (replayed into the queue: those
 * lines are not recorded).  The events recorded so far are kept.
 */
void sink_fix_open(struct sink_fix *f, const char *state);

/**
 * sink_fix_close(f): free the sink, the journal, the queue (as the agent
 * going down after its last commit); the events recorded are kept.
 */
void sink_fix_close(struct sink_fix *f);

/** sink_fix_clear(f): forget the events recorded, and the counts. */
void sink_fix_clear(struct sink_fix *f);

/**
 * sink_fix_room(f, k): room for exactly ${k} more events now: lines
 * awaiting their acknowledgement fill the rest of the queue, or the
 * oldest are acknowledged.  Waiters are not called (sink_fix_more).
 */
void sink_fix_room(struct sink_fix *f, size_t k);

/**
 * sink_fix_more(f, k): the ${k} oldest lines acknowledged (room for ${k}
 * more; all of them if the queue holds fewer), then the sink told
 * (sink_acked): its waiters are called.
 */
void sink_fix_more(struct sink_fix *f, size_t k);

/**
 * sink_fix_waiting(f): 1 if an input waits for room (sink_fix_more would
 * call it).
 */
int sink_fix_waiting(struct sink_fix *f);

/**
 * sink_fix_break(f): the journal's file may grow no more (RLIMIT_FSIZE,
 * as a full disk), and its buffer is full: the next event pushed fails
 * the sink (SINK_ERR, on_fail called).  Undone by sink_fix_close.
 */
void sink_fix_break(struct sink_fix *f);

#endif /* GW_SUPPORT_SINK_FIXTURE_H */
