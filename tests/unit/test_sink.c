/*
 * test_sink.c: the inputs' door (sink.h over sink.c): events pushed into
 * the queue and the journal, SINK_FULL at the line cap and at the byte cap,
 * commit syncs the journal (a reopened journal holds the events) and kicks
 * the session, waiters called once each when acknowledgements make room,
 * in order, and never after sink_unwait; an event too long fails it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmdtab.h"
#include "journal.h"
#include "sendq.h"
#include "sink.h"
#include "sink_ctl.h"

struct fix {
	struct sendq	*q;
	struct sink	*s;
	int		 kicks;
	int		 fails;
};

static void
fake_kick(void *arg)
{
	((struct fix *)arg)->kicks++;
}

static void
fake_fail(const char *msg, void *arg)
{
	(void)msg;
	((struct fix *)arg)->fails++;
}

static void
fix_init(struct fix *f, size_t lines, size_t bytes, struct journal *j)
{
	memset(f, 0, sizeof(*f));
	assert_non_null(f->q = sendq_new(lines));
	sendq_set_bytes(f->q, bytes);
	assert_non_null(f->s = sink_new(&(struct sink_params){ .q = f->q,
	    .journal = j, .kick = fake_kick, .fail = fake_fail, .arg = f }));
}

static void
fix_free(struct fix *f)
{
	sink_free(f->s);
	sendq_free(f->q);
}

/* Acknowledge the ${n} oldest events (numbered and sent first). */
static void
ack(struct fix *f, size_t n)
{
	uint64_t seq = 0;

	for (size_t i = 0; i < n; i++) {
		const struct sendq_ent *e = sendq_next(f->q);

		assert_non_null(e);
		seq = e->seq;
		sendq_advance(f->q);
	}
	sendq_ack(f->q, seq);
	sink_acked(f->s);
}

static void
test_push_full_lines(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, 2, 0, NULL);
	assert_null(sink_journal(f.s));
	assert_int_equal(sink_push(f.s, "a", 1), SINK_OK);
	assert_int_equal(sink_room(f.s, 1), 1);
	assert_int_equal(sink_push(f.s, "bb", 2), SINK_OK);
	assert_int_equal(sink_room(f.s, 1), 0);
	assert_int_equal(sink_push(f.s, "c", 1), SINK_FULL);
	assert_int_equal(sendq_len(f.q), 2);
	assert_int_equal(sink_pushed(f.s), 2);
	assert_int_equal(sendq_get(f.q, 1)->len, 2);
	assert_memory_equal(sendq_get(f.q, 1)->body, "bb", 2);
	assert_int_equal(f.kicks, 0);
	assert_int_equal(sink_commit(f.s), 0);
	assert_int_equal(f.kicks, 1);
	fix_free(&f);
}

static void
test_byte_cap(void **state)
{
	struct fix f;
	char ev[40000];

	(void)state;
	memset(ev, '{', sizeof(ev));
	fix_init(&f, 1000, 65536, NULL);
	assert_int_equal(sink_push(f.s, ev, sizeof(ev)), SINK_OK);
	assert_int_equal(sink_room(f.s, sizeof(ev)), 0);
	assert_int_equal(sink_push(f.s, ev, sizeof(ev)), SINK_FULL);
	assert_int_equal(sink_push(f.s, ev, 20000), SINK_OK);
	assert_int_equal(sendq_bytes(f.q), 60000);
	/* Over SINK_EVENT_MAX: never. */
	assert_int_equal(sink_room(f.s, SINK_EVENT_MAX + 1), 0);
	ack(&f, 2);
	assert_int_equal(sink_push(f.s, ev, sizeof(ev)), SINK_OK);
	fix_free(&f);
}

/* An event over SINK_EVENT_MAX is an input's bug: the sink fails, once. */
static void
test_too_long_fails(void **state)
{
	static char ev[SINK_EVENT_MAX + 1];
	struct fix f;

	(void)state;
	fix_init(&f, 10, 0, NULL);
	assert_int_equal(sink_push(f.s, ev, sizeof(ev)), SINK_ERR);
	assert_int_equal(f.fails, 1);
	assert_int_equal(sink_push(f.s, "a", 1), SINK_ERR);
	assert_int_equal(sink_commit(f.s), -1);
	assert_int_equal(sink_room(f.s, 1), 0);
	assert_int_equal(f.fails, 1);
	assert_int_equal(f.kicks, 0);
	assert_int_equal(sendq_len(f.q), 0);
	fix_free(&f);
}

struct waiter {
	struct sink_waiter	 w;	/* first */
	struct fix		*f;
	int			 called;
	size_t			 push;	/* push an event this long when
					   called (0: none) */
};

static char big[60000];

static void
waiter_fn(struct sink_waiter *w)
{
	struct waiter *x = (struct waiter *)w;

	x->called++;
	if (x->push && sink_push(x->f->s, big, x->push) == SINK_FULL)
		sink_wait(x->f->s, w);
}

static void
test_waiters(void **state)
{
	struct waiter a = { .w.fn = waiter_fn }, b = { .w.fn = waiter_fn },
	    c = { .w.fn = waiter_fn };
	struct fix f;

	(void)state;
	fix_init(&f, 2, 0, NULL);
	a.f = b.f = c.f = &f;
	a.push = b.push = 1;
	memset(big, 'w', sizeof(big));
	assert_int_equal(sink_push(f.s, "1", 1), SINK_OK);
	assert_int_equal(sink_push(f.s, "2", 1), SINK_OK);
	sink_wait(f.s, &a.w);
	sink_wait(f.s, &a.w);		/* twice is once */
	sink_wait(f.s, &b.w);
	sink_wait(f.s, &c.w);
	sink_unwait(f.s, &c.w);
	sink_acked(f.s);		/* no room yet: nobody called */
	assert_int_equal(a.called + b.called + c.called, 0);
	/* One slot: a pushes and fills it; b is not called (full). */
	ack(&f, 1);
	assert_int_equal(a.called, 1);
	assert_int_equal(b.called, 0);
	assert_int_equal(c.called, 0);
	/* Two slots: b pushes (queue 2 of 2 again); a is not waiting. */
	ack(&f, 2);
	assert_int_equal(a.called, 1);
	assert_int_equal(b.called, 1);
	ack(&f, 1);
	assert_int_equal(a.called + b.called + c.called, 2);
	fix_free(&f);
}

/*
 * A waiter that finds no room for its event (the queue not full, but the
 * event too large for what is left) waits again, and is called once a
 * round, not in a loop.
 */
static void
test_waiter_rewaits(void **state)
{
	struct waiter a = { .w.fn = waiter_fn };
	struct fix f;

	(void)state;
	memset(big, 'x', sizeof(big));
	fix_init(&f, 10, 65536, NULL);
	a.f = &f;
	a.push = 40000;
	assert_int_equal(sink_push(f.s, big, 20000), SINK_OK);
	assert_int_equal(sink_push(f.s, big, 40000), SINK_OK);
	assert_int_equal(sink_push(f.s, big, 40000), SINK_FULL);
	sink_wait(f.s, &a.w);
	ack(&f, 1);			/* 40000 held: 40000 more do not fit */
	assert_int_equal(a.called, 1);
	assert_int_equal(a.w.waiting, 1);
	assert_int_equal(sendq_len(f.q), 1);
	ack(&f, 1);			/* empty: it fits */
	assert_int_equal(a.called, 2);
	assert_int_equal(a.w.waiting, 0);
	assert_int_equal(sendq_len(f.q), 1);
	assert_int_equal(sendq_bytes(f.q), 40000);
	fix_free(&f);
}

/* Commit syncs: a journal reopened holds every event committed. */
static void
test_commit_journal(void **state)
{
	char dir[] = "/tmp/gwsink.XXXXXX", path[64], err[256];
	struct cmdtab *ct;
	struct journal *j;
	struct sendq *q2;
	uint64_t off;
	struct fix f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_non_null(ct = cmdtab_new());
	assert_non_null(q2 = sendq_new(10));
	assert_non_null(j = journal_open(path, q2, ct, &off, err,
	    sizeof(err)));
	fix_init(&f, 10, 0, j);
	assert_ptr_equal(sink_journal(f.s), j);
	assert_int_equal(sink_push(f.s, "{\"v\":1}", 7), SINK_OK);
	assert_int_equal(sink_push(f.s, "{\"v\":2}", 7), SINK_OK);
	assert_int_equal(sink_commit(f.s), 0);
	assert_int_equal(f.kicks, 1);
	assert_int_equal(f.fails, 0);
	fix_free(&f);
	journal_close(j);
	sendq_free(q2);
	cmdtab_free(ct);
	assert_non_null(ct = cmdtab_new());
	assert_non_null(q2 = sendq_new(10));
	assert_non_null(j = journal_open(path, q2, ct, &off, err,
	    sizeof(err)));
	assert_int_equal(sendq_len(q2), 2);
	assert_memory_equal(sendq_get(q2, 1)->body, "{\"v\":2}", 7);
	journal_close(j);
	sendq_free(q2);
	cmdtab_free(ct);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_full_lines),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_too_long_fails),
		cmocka_unit_test(test_waiters),
		cmocka_unit_test(test_waiter_rewaits),
		cmocka_unit_test(test_commit_journal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
