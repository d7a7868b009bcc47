/*
 * sink_fixture.c: the real sink of gw-agent's input tests over a send
 * queue and a journal, its committed events recorded, its room set by
 * acknowledgements (sink_fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "cmdtab.h"
#include "journal.h"
#include "sendq.h"
#include "sink.h"
#include "sink_ctl.h"
#include "sink_fixture.h"

static struct rlimit fsize_before;

/* The session's kick after a commit: record the lines committed. */
static void
fix_kick(void *arg)
{
	struct sink_fix *f = arg;
	const struct sendq_ent *e;
	size_t len = sendq_len(f->q);

	for (; f->seen < len; f->seen++) {
		assert_non_null(e = sendq_get(f->q, f->seen));
		if (f->n == f->evcap) {
			f->evcap = f->evcap ? 2 * f->evcap : 256;
			assert_non_null(f->ev = realloc(f->ev,
			    f->evcap * sizeof(*f->ev)));
		}
		assert_non_null(f->ev[f->n] = malloc(e->len + 1));
		memcpy(f->ev[f->n], e->body, e->len);
		f->ev[f->n][e->len] = '\0';
		f->n++;
	}
	f->commits++;
}

/* The sink failed: the service stops the inputs. */
static void
fix_fail(const char *msg, void *arg)
{
	struct sink_fix *f = arg;

	(void)msg;
	f->fails++;
	if (f->on_fail != NULL)
		f->on_fail(f->fail_arg);
}

/**
 * sink_fix_open(f, state): a sink over a new queue and, if ${state} is
 * not NULL, the journal at that path (replayed into the queue: those
 * lines are not recorded).  The events recorded so far are kept.
 */
void
sink_fix_open(struct sink_fix *f, const char *state)
{
	char err[256];
	uint64_t off;

	assert_null(f->s);
	assert_non_null(f->q = sendq_new(SINK_FIX_LINES));
	assert_non_null(f->ct = cmdtab_new());
	f->j = NULL;
	if (state != NULL && (f->j = journal_open(state, f->q, f->ct, &off,
	    err, sizeof(err))) == NULL)
		fail_msg("journal_open: %s", err);
	f->seen = sendq_len(f->q);
	assert_non_null(f->s = sink_new(&(struct sink_params){ .q = f->q,
	    .journal = f->j, .kick = fix_kick, .fail = fix_fail,
	    .arg = f }));
}

/**
 * sink_fix_close(f): free the sink, the journal, the queue (as the agent
 * going down after its last commit); the events recorded are kept.
 */
void
sink_fix_close(struct sink_fix *f)
{
	sink_free(f->s);
	f->s = NULL;
	journal_close(f->j);
	f->j = NULL;
	sendq_free(f->q);
	f->q = NULL;
	cmdtab_free(f->ct);
	f->ct = NULL;
	if (f->broken) {
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &fsize_before), 0);
		f->broken = 0;
	}
}

/** sink_fix_clear(f): forget the events recorded, and the counts. */
void
sink_fix_clear(struct sink_fix *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->ev[i]);
	free(f->ev);
	f->ev = NULL;
	f->n = f->evcap = 0;
	f->commits = f->fails = 0;
}

/* Acknowledge the ${k} oldest lines (recorded or held: all committed). */
static void
fix_ack(struct sink_fix *f, size_t k)
{
	const struct sendq_ent *e;
	uint64_t seq = 0;

	if (k == 0)
		return;
	assert_true(k <= f->seen);
	for (size_t i = 0; i < k; i++) {
		assert_non_null(e = sendq_next(f->q));
		seq = e->seq;
		sendq_advance(f->q);
	}
	assert_int_equal(sendq_ack(f->q, seq), k);
	f->seen -= k;
}

/**
 * sink_fix_room(f, k): room for exactly ${k} more events now: lines
 * awaiting their acknowledgement fill the rest of the queue, or the
 * oldest are acknowledged.  Waiters are not called (sink_fix_more).
 */
void
sink_fix_room(struct sink_fix *f, size_t k)
{
	size_t len = sendq_len(f->q), room = SINK_FIX_LINES - len;

	assert_true(k <= SINK_FIX_LINES);
	if (room < k) {
		fix_ack(f, k - room);
		return;
	}
	/* Nothing pushed uncommitted: held lines go after the recorded. */
	assert_int_equal(f->seen, len);
	for (; room > k; room--)
		assert_int_equal(sendq_push(f->q, "held", 4), 0);
	f->seen = sendq_len(f->q);
}

/**
 * sink_fix_more(f, k): the ${k} oldest lines acknowledged (room for ${k}
 * more; all of them if the queue holds fewer), then the sink told
 * (sink_acked): its waiters are called.
 */
void
sink_fix_more(struct sink_fix *f, size_t k)
{
	if (k > f->seen)
		k = f->seen;
	fix_ack(f, k);
	sink_acked(f->s);
}

/**
 * sink_fix_waiting(f): 1 if an input waits for room (sink_fix_more would
 * call it).
 */
int
sink_fix_waiting(struct sink_fix *f)
{
	return sink_waiting(f->s) > 0;
}

/**
 * sink_fix_break(f): the journal's file may grow no more (RLIMIT_FSIZE,
 * as a full disk), and its buffer is full: the next event pushed fails
 * the sink (SINK_ERR, on_fail called).  Undone by sink_fix_close.
 */
void
sink_fix_break(struct sink_fix *f)
{
	static char held[SINK_EVENT_MAX];
	struct rlimit rl;

	assert_non_null(f->j);
	assert_int_equal(sink_commit(f->s), 0);	/* its buffer empty */
	if (!sink_room(f->s, SINK_EVENT_MAX))
		fix_ack(f, 1);
	/* One line of SINK_EVENT_MAX: its record leaves 3 bytes of the
	 * journal's buffer (64 KiB), less than any record. */
	memset(held, 'h', sizeof(held));
	assert_int_equal(sink_push(f->s, held, sizeof(held)), SINK_OK);
	f->seen++;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &fsize_before), 0);
	(void)signal(SIGXFSZ, SIG_IGN);
	rl = fsize_before;
	rl.rlim_cur = 0;		/* no write past a file's end */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	f->broken = 1;
}
