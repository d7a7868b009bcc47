/*
 * owners.c: the parent's side of agent ownership in workers mode
 * (owners.h): one owner pipe per worker (opipe.c), the table and its rules
 * (owners_tab.c), and the timer that finds a RELEASE left unanswered.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "opipe.h"
#include "owners.h"
#include "owners_tab.h"

#define OWNERS_MAGIC	0x4f776e73u	/* "Owns" */

/* A worker's pipe, with its owner and index for the callbacks. */
struct owners_pipe {
	struct opipe		 p;
	struct owners		*o;
	unsigned		 worker;
};

struct owners {
	unsigned		 magic;
	struct ev_loop		*loop;
	struct owners_tab	*t;
	unsigned		 n;
	ev_timer		 overdue;
	owners_overdue_fn	*on_overdue;
	void			*arg;
	struct owners_pipe	 w[];
};

static struct owners *
owners_of(void *arg)
{
	struct owners *o = arg;

	if (o == NULL || o->magic != OWNERS_MAGIC)
		abort();
	return o;
}

/* owners_send_fn: to the worker's pipe, if it is up. */
static void
owners_send(void *arg, unsigned worker, unsigned type, const char *key)
{
	struct owners *o = owners_of(arg);

	if (worker < o->n)
		(void)opipe_send(&o->w[worker].p, type, key);
}

/* The timer at the oldest RELEASE's deadline, or stopped. */
static void
owners_arm(struct owners *o, double retry)
{
	double when, now = ev_now(o->loop);

	ev_timer_stop(o->loop, &o->overdue);
	(void)owners_tab_overdue(o->t, now, &when);
	if (when == 0)
		return;
	when = when > now ? when - now : 0.001;
	ev_timer_set(&o->overdue, when > retry ? when : retry, 0);
	ev_timer_start(o->loop, &o->overdue);
}

static void
owners_on_timer(struct ev_loop *loop, ev_timer *tm, int revents)
{
	struct owners *o = owners_of(tm->data);
	int w = owners_tab_overdue(o->t, ev_now(loop), NULL);

	(void)revents;
	if (w >= 0) {
		log_warnx("event=handover_overdue worker=%d wait=%.1f", w,
		    OWNERS_RELEASE_WAIT);
		if (o->on_overdue != NULL)
			o->on_overdue(o->arg, (unsigned)w);
	}
	owners_arm(o, w >= 0 ? 1.0 : 0);
}

static void
owners_on_msg(void *arg, const uint8_t *p, size_t len)
{
	struct owners_pipe *wp = arg;
	struct owners *o = owners_of(wp->o);

	(void)owners_tab_input(o->t, wp->worker, p, len, ev_now(o->loop));
	owners_arm(o, 0);
}

static void
owners_on_eof(void *arg)
{
	struct owners_pipe *wp = arg;

	log_info("event=handover_pipe_closed worker=%u", wp->worker);
}

/**
 * owners_new(loop, nworkers, max_agents): the table of ${nworkers} workers
 * on ${loop}, each owning or waiting for at most 2 x ${max_agents} agents
 * (its sessions, and agents whose session ended while an OPEN of theirs
 * is unanswered); none up yet.  NULL (logged) on ENOMEM or bad arguments.
 */
struct owners *
owners_new(struct ev_loop *loop, unsigned nworkers, unsigned max_agents)
{
	struct owners *o;
	unsigned share = max_agents > UINT_MAX / 2 ? UINT_MAX : 2 * max_agents;

	if (nworkers < 1 || nworkers > OWNERS_MAX_WORKERS ||
	    (o = calloc(1, sizeof(*o) + nworkers * sizeof(o->w[0]))) == NULL) {
		log_warnx("event=handover_error detail=\"cannot make the "
		    "owners table\" workers=%u", nworkers);
		return NULL;
	}
	o->magic = OWNERS_MAGIC;
	o->loop = loop;
	o->n = nworkers;
	if ((o->t = owners_tab_new(nworkers, share, owners_send, o)) == NULL) {
		log_warnx("event=handover_error detail=\"cannot make the "
		    "owners table\" workers=%u", nworkers);
		free(o);
		return NULL;
	}
	for (unsigned i = 0; i < nworkers; i++) {
		opipe_none(&o->w[i].p);
		o->w[i].o = o;
		o->w[i].worker = i;
	}
	ev_timer_init(&o->overdue, owners_on_timer, 1, 0);
	o->overdue.data = o;
	return o;
}

/**
 * owners_on_overdue(o, fn, arg): call ${fn}(${arg}, worker) for a worker
 * whose RELEASE waits too long (owners_overdue).
 */
void
owners_on_overdue(struct owners *o, owners_overdue_fn *fn, void *arg)
{
	o->on_overdue = fn;
	o->arg = arg;
}

/**
 * owners_overdue(o, now): a worker whose RELEASE has waited
 * OWNERS_RELEASE_WAIT seconds or more at ${now}, or -1.
 */
int
owners_overdue(const struct owners *o, double now)
{
	return owners_tab_overdue(o->t, now, NULL);
}

/**
 * owners_worker_up(o, worker, fd): ${worker} started; ${fd} is the
 * parent's end of its owner pipe (owners closes it).  A worker still up
 * is taken as gone first.
 */
void
owners_worker_up(struct owners *o, unsigned worker, int fd)
{
	if (worker >= o->n) {
		close(fd);
		return;
	}
	if (opipe_open(&o->w[worker].p))
		owners_worker_gone(o, worker);
	opipe_init(&o->w[worker].p, o->loop, fd, owners_on_msg, owners_on_eof,
	    &o->w[worker]);
}

/**
 * owners_worker_gone(o, worker): ${worker} is dead: all it held is
 * released (granted to workers waiting for it); its pipe is closed.
 */
void
owners_worker_gone(struct owners *o, unsigned worker)
{
	if (worker >= o->n)
		return;
	opipe_close(&o->w[worker].p);
	log_info("event=handover_worker_gone worker=%u held=%u", worker,
	    owners_tab_held(o->t, worker));
	owners_tab_gone(o->t, worker);
	owners_arm(o, 0);
}

/** owners_free(o): close every pipe, free ${o}; NULL-safe. */
void
owners_free(struct owners *o)
{
	if (o == NULL)
		return;
	ev_timer_stop(o->loop, &o->overdue);
	for (unsigned i = 0; i < o->n; i++)
		opipe_close(&o->w[i].p);
	owners_tab_free(o->t);
	o->magic = 0;
	free(o);
}
