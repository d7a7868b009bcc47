/*
 * retain.c: retention.  With [store] retain (rows received longer ago go)
 * or max_rows (rows that max_rows newer ids follow go) set, a pass starts
 * every tick (retain / 10, from 100 ms to 60 s; 1 s with max_rows alone)
 * unless one is running, and deletes the old rows in steps of at most
 * RETAIN_STEP ids, each one statement (its own short transaction), one
 * step per turn of the loop when it has no event pending (an ev_idle
 * watcher): between two steps the loop serves the links.  A step never
 * runs while the group commit holds a batch (rows waiting for their
 * commit, or its transaction open): it waits batch_delay and looks again,
 * so a commit is held up by one step at most; only after RETAIN_DEFER_MAX
 * of batches one after the other (a server busy all the time) does a step
 * go before the waiting batch, so that the store stays bounded.  What "old" means and what
 * is never deleted (each agent's highest seq) is store.h's.
 */
#include <stdlib.h>

#include "commit.h"
#include "log.h"
#include "mgmt.h"
#include "retain.h"
#include "store.h"

#define RETAIN_MAGIC	0x5274616eu	/* "Rtan" */
#define RETAIN_STEP	500		/* ids a step looks at, at most */
#define RETAIN_TICK_MIN	0.1
#define RETAIN_TICK_MAX	60.
#define RETAIN_DEFER_MAX 1.		/* seconds a step waits, at most */

struct retain {
	uint32_t	 magic;		/* RETAIN_MAGIC */
	struct mgmt	*m;
	ev_timer	 tick;		/* starts a pass */
	ev_timer	 wait;		/* the group commit was busy */
	ev_idle		 step;		/* one step per idle turn */
	struct store_expire x;		/* the running pass */
	uint64_t	 deleted;	/* by this pass */
	unsigned	 steps;
	ev_tstamp	 started;
	ev_tstamp	 last;		/* of the last step, or the start */
	int		 on;		/* retain or max_rows set */
};

static struct retain *
retain_check(void *arg)
{
	struct retain *r = arg;

	if (r == NULL || r->magic != RETAIN_MAGIC)
		abort();
	return r;
}

/* The store failed: give up this pass (the next tick starts another). */
static void
retain_fail(struct retain *r)
{
	char ed[LOG_ESC_MAX];

	ev_idle_stop(r->m->loop, &r->step);
	ev_timer_stop(r->m->loop, &r->wait);
	log_warnx("event=retention_failed detail=\"%s\"", log_esc(ed,
	    sizeof(ed), store_errmsg(r->m->store), LOG_ESC_STR, 0));
}

/* The pass is over: say what it deleted. */
static void
retain_done(struct retain *r)
{
	ev_idle_stop(r->m->loop, &r->step);
	if (r->deleted > 0)
		log_info("event=retention_pass deleted=%llu steps=%u ms=%.1f",
		    (unsigned long long)r->deleted, r->steps,
		    (ev_time() - r->started) * 1000);
	else
		log_debug("event=retention_pass deleted=0 steps=%u",
		    r->steps);
}

static void
retain_step_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct retain *r = retain_check(w->data);
	long n;

	(void)revents;
	/* A batch is waiting for its commit: let it go first. */
	if (store_in_txn(r->m->store) || (r->m->commit->nrows > 0 &&
	    ev_now(loop) - r->last < RETAIN_DEFER_MAX)) {
		ev_idle_stop(loop, &r->step);
		ev_timer_set(&r->wait, r->m->cfg->batch_delay > 0.001 ?
		    r->m->cfg->batch_delay : 0.001, 0.);
		ev_timer_start(loop, &r->wait);
		return;
	}
	if ((n = store_expire_step(r->m->store, &r->x, RETAIN_STEP)) < 0) {
		retain_fail(r);
		return;
	}
	r->deleted += (uint64_t)n;
	r->steps++;
	r->last = ev_now(loop);
	if (r->x.done)
		retain_done(r);
}

static void
retain_wait_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct retain *r = retain_check(w->data);

	(void)revents;
	ev_idle_start(loop, &r->step);
}

static void
retain_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct retain *r = retain_check(w->data);
	const struct mgmt_config *cfg = r->m->cfg;
	int64_t before_ms = 0;

	(void)revents;
	if (ev_is_active(&r->step) || ev_is_active(&r->wait))
		return;		/* the last pass is still running */
	if (cfg->retain > 0)
		before_ms = (int64_t)((ev_now(loop) - cfg->retain) * 1000.);
	if (store_in_txn(r->m->store))
		return;
	if (store_expire_begin(r->m->store, before_ms, cfg->max_rows,
	    &r->x) != 0) {
		retain_fail(r);
		return;
	}
	r->deleted = 0;
	r->steps = 0;
	r->started = ev_time();
	r->last = ev_now(loop);
	if (!r->x.done)
		ev_idle_start(loop, &r->step);
}

/**
 * retain_configure(r): (re)start ${r}'s timer from its server's
 * configuration: a tick of retain / 10 (RETAIN_TICK_MIN .. RETAIN_TICK_MAX;
 * 1 s with max_rows alone), or stopped if neither retain nor max_rows is
 * set.  A pass that is running goes on; the next tick uses the new values.
 */
void
retain_configure(struct retain *r)
{
	const struct mgmt_config *cfg = r->m->cfg;
	double tick = 1.;

	if (cfg->retain > 0)
		tick = cfg->retain / 10;
	if (tick < RETAIN_TICK_MIN)
		tick = RETAIN_TICK_MIN;
	if (tick > RETAIN_TICK_MAX)
		tick = RETAIN_TICK_MAX;
	ev_timer_stop(r->m->loop, &r->tick);
	ev_timer_set(&r->tick, tick, tick);
	if (cfg->retain > 0 || cfg->max_rows > 0) {
		ev_timer_start(r->m->loop, &r->tick);
		log_info("event=retention retain_s=%.3f max_rows=%u "
		    "tick_s=%.3f", cfg->retain, cfg->max_rows, tick);
	} else if (r->on)
		log_info("event=retention retain_s=0 max_rows=0 (off)");
	r->on = cfg->retain > 0 || cfg->max_rows > 0;
}

/**
 * retain_new(m): the retention of ${m}, for main.c to store in m->retain,
 * its timer on m->loop started if m->cfg sets retain or max_rows (else it
 * does nothing until retain_configure finds them set).  NULL if out of
 * memory.
 */
struct retain *
retain_new(struct mgmt *m)
{
	struct retain *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->magic = RETAIN_MAGIC;
	r->m = m;
	ev_timer_init(&r->tick, retain_tick_cb, 1., 1.);
	r->tick.data = r;
	ev_timer_init(&r->wait, retain_wait_cb, 0., 0.);
	r->wait.data = r;
	ev_idle_init(&r->step, retain_step_cb);
	r->step.data = r;
	retain_configure(r);
	return r;
}

/** retain_free(r): stop the watchers of ${r} and free it; NULL-safe. */
void
retain_free(struct retain *r)
{
	if (r == NULL)
		return;
	ev_timer_stop(r->m->loop, &r->tick);
	ev_timer_stop(r->m->loop, &r->wait);
	ev_idle_stop(r->m->loop, &r->step);
	r->magic = 0;
	free(r);
}
