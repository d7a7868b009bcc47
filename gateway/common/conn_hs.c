/*
 * conn_hs.c: the handshake budget (conn_params.hs_budget).  The server
 * handshake steps of the connections that have one share that much time
 * per iteration of their loop.  A connection that becomes ready once the
 * budget is spent stops its watcher and waits in a FIFO; the next
 * iteration begins with the FIFO (an ev_check watcher, which libev runs
 * before that iteration's I/O callbacks), so handshakes are served oldest
 * first, and a burst of ClientHellos holds the loop, and the links and
 * timers it serves, for about the budget at a time.  One loop per process
 * has the FIFO (conn_queue_loop's); on another, a budget is ignored.
 */
#include <sys/queue.h>

#include "conn.h"
#include "conn_impl.h"

static void conn_hs_on_check(struct ev_loop *loop, ev_check *w,
    int revents);

static struct {
	ev_check		 w;
	int			 init;
	int			 resuming;	/* conn_hs_on_check runs one */
	unsigned		 iter;		/* ev_iteration of spent */
	double			 spent;		/* seconds, in iteration iter */
	TAILQ_HEAD(, conn)	 q;
} conn_hsq = { .q = TAILQ_HEAD_INITIALIZER(conn_hsq.q) };

/* Seconds of handshake steps spent in ${loop}'s current iteration. */
static double
conn_hs_spent(struct ev_loop *loop)
{
	unsigned it = ev_iteration(loop);

	if (it != conn_hsq.iter) {
		conn_hsq.iter = it;
		conn_hsq.spent = 0;
	}
	return conn_hsq.spent;
}

/* ${c} has a budget this process can keep. */
static int
conn_hs_budgeted(const struct conn *c)
{
	return c->hs_budget > 0 && c->state == CONN_HANDSHAKE &&
	    conn_queue_loop(c->loop);
}

/**
 * conn_hs_defer(c): ${c} is ready: 1 if its handshake waits for a later
 * iteration (queued, its watcher stopped), else 0: go on.
 */
int
conn_hs_defer(struct conn *c)
{
	if (!conn_hs_budgeted(c))
		return 0;
	if (!c->on_hsq && conn_hs_spent(c->loop) < c->hs_budget &&
	    (conn_hsq.resuming || TAILQ_EMPTY(&conn_hsq.q)))
		return 0;
	ev_io_stop(c->loop, &c->io);
	if (c->on_hsq)
		return 1;
	TAILQ_INSERT_TAIL(&conn_hsq.q, c, hsq);
	c->on_hsq = 1;
	if (!conn_hsq.init) {
		ev_check_init(&conn_hsq.w, conn_hs_on_check);
		conn_hsq.init = 1;
	}
	if (!ev_is_active(&conn_hsq.w))
		ev_check_start(c->loop, &conn_hsq.w);
	return 1;
}

/**
 * conn_hs_waiting(c): 1 if ${c}'s handshake has bytes to read and waits
 * for a later loop iteration (its handshake budget is spent: the wait is
 * ours, not its peer's), else 0.
 */
int
conn_hs_waiting(const struct conn *c)
{
	return c->on_hsq;
}

/** conn_hs_unqueue(c): take ${c} off the FIFO (it is closing). */
void
conn_hs_unqueue(struct conn *c)
{
	if (c->on_hsq) {
		TAILQ_REMOVE(&conn_hsq.q, c, hsq);
		c->on_hsq = 0;
	}
}

/**
 * conn_hs_step(c): one handshake step of ${c} (conn_tls_step), its time
 * counted against the budget if it has one.
 */
int
conn_hs_step(struct conn *c)
{
	double t0;
	int rc;

	if (!conn_hs_budgeted(c))
		return conn_tls_step(c);
	(void)conn_hs_spent(c->loop);
	t0 = ev_time();
	rc = conn_tls_step(c);
	conn_hsq.spent += ev_time() - t0;
	return rc;
}

/* A new iteration: the waiting handshakes first, oldest first. */
static void
conn_hs_on_check(struct ev_loop *loop, ev_check *w, int revents)
{
	struct conn *c;

	(void)revents;
	while ((c = TAILQ_FIRST(&conn_hsq.q)) != NULL &&
	    conn_hs_spent(loop) < c->hs_budget) {
		conn_hs_unqueue(c);
		conn_hsq.resuming = 1;
		conn_process(c);	/* may close others: FIRST again */
		conn_hsq.resuming = 0;
	}
	if (TAILQ_EMPTY(&conn_hsq.q))
		ev_check_stop(loop, w);
}
