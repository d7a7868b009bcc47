/*
 * listener.c: accept connections without blocking the loop: at most a
 * batch per wake-up, the limit enforced before any TLS state exists.
 *
 * Admission control: a full handshake costs milliseconds of CPU, so a
 * reconnect storm of thousands cannot be served at once.  Closing the
 * excess (a rate limit) makes every agent retry and the storm last; taking
 * them all makes each handshake wait behind all the others until the agents
 * time out and the loop misses its own timers.  So the listener stops
 * accepting while max_pending handshakes are under way and lets the kernel's
 * backlog hold the rest; an agent that gave up while waiting there (it
 * closed) is dropped at accept for the price of a poll(2), before any TLS
 * state exists.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"
#include "net.h"
#include "ratelimit.h"

#define LISTENER_BATCH	64

#define LISTENER_LOG_EVERY	10.0	/* seconds between limit_hit lines */
#define LISTENER_RETRY	1.0	/* seconds of pause after a failed accept */

struct listener {
	struct gw		*gw;
	struct listener_limits	 lim;
	listener_accept_fn	*fn;
	int			 fd;
	ev_io			 io;
	ev_timer		 retry;		/* accept failed: pause */
	struct ratelimit	 rl;
	ev_tstamp		 last_log;
	uint64_t		 refused_full, refused_rate;
	uint64_t		 paused;	/* times admission paused it */
	uint64_t		 gave_up;	/* closed by the peer in backlog */
	int			 running;	/* listener_start()ed */
	int			 waiting;	/* paused by admission control */
};

/* A limit was hit: count it; log the totals at most every interval. */
static void
listener_refused(struct listener *l, const char *what, double now)
{
	if (now - l->last_log < LISTENER_LOG_EVERY)
		return;
	log_warnx("event=limit_hit listener=%s limit=%s refused_full=%llu "
	    "refused_rate_global=%llu refused_rate_source=%llu max=%u "
	    "rate=%g per_source=%g", l->lim.name, what,
	    (unsigned long long)l->refused_full,
	    (unsigned long long)l->rl.refused_global,
	    (unsigned long long)l->rl.refused_source, l->lim.max,
	    l->lim.rate, l->lim.per_source);
	l->last_log = now;
}

/* Did the peer close while its connection waited in the backlog? */
static int
listener_peer_gone(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Admission control: is there room for one more handshake? */
static int
listener_has_room(const struct listener *l)
{
	return l->lim.pending == NULL || *l->lim.pending < l->lim.max_pending;
}

static void
listener_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;
	struct gw *gw = l->gw;

	(void)revents;
	for (int i = 0; i < LISTENER_BATCH; i++) {
		if (!listener_has_room(l)) {
			/* The backlog holds the rest: listener_admit(). */
			ev_io_stop(loop, &l->io);
			l->waiting = 1;
			l->paused++;
			return;
		}
		int fd = net_accept(l->fd);

		if (fd < 0) {
			if (errno == EAGAIN)
				return;
			/*
			 * Out of descriptors, say: the socket stays
			 * readable, so pause rather than spin (and log).
			 */
			log_warn("event=accept_failed listener=%s "
			    "retry_in_s=%.0f", l->lim.name, LISTENER_RETRY);
			ev_io_stop(loop, &l->io);
			/* (A one-shot timer that fired keeps ~0 left.) */
			ev_timer_set(&l->retry, LISTENER_RETRY, 0.);
			ev_timer_start(loop, &l->retry);
			return;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (*l->lim.count >= l->lim.max) {
			close(fd);
			l->refused_full++;
			listener_refused(l, "connections", ev_now(loop));
			continue;
		}
		if (listener_peer_gone(fd)) {
			close(fd);
			l->gave_up++;
			continue;
		}
		if (!rl_allow(&l->rl, getpeername(fd, (struct sockaddr *)&ss,
		    &sl) == 0 ? (struct sockaddr *)&ss : NULL, ev_now(loop))) {
			close(fd);
			listener_refused(l, "rate", ev_now(loop));
			continue;
		}
		l->fn(gw, fd);
	}
}

/* The pause after a failed accept is over. */
static void
listener_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *l = w->data;

	(void)revents;
	if (l->running && !l->waiting)
		ev_io_start(loop, &l->io);
}

/**
 * listener_new(gw, addr, lim, fn, err, errlen): bind and listen on
 * ${addr}; each accepted socket goes to ${fn} while the limits ${lim}
 * (copied) allow, else it is closed at once, before any TLS state exists.
 * Each limit hit is counted and logged once per interval.  Return NULL with
 * the reason in ${err} on failure.
 */
struct listener *
listener_new(struct gw *gw, const char *addr,
    const struct listener_limits *lim, listener_accept_fn *fn, char *err,
    size_t errlen)
{
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->gw = gw;
	l->lim = *lim;
	l->fn = fn;
	l->last_log = -LISTENER_LOG_EVERY;
	rl_init(&l->rl, lim->rate, lim->per_source);
	if ((l->fd = net_listen(addr, err, errlen)) < 0) {
		free(l);
		return NULL;
	}
	ev_io_init(&l->io, listener_on_accept, l->fd, EV_READ);
	l->io.data = l;
	ev_timer_init(&l->retry, listener_on_retry, LISTENER_RETRY, 0.);
	l->retry.data = l;
	return l;
}

/**
 * listener_start(l): accept.  listener_stop(l): stop for good (draining):
 * close the socket, so that new connections are refused at once (an agent
 * goes to its next gateway) instead of waiting in the backlog unserved.
 */
void
listener_start(struct listener *l)
{
	l->running = 1;
	l->waiting = 0;
	ev_io_start(l->gw->loop, &l->io);
}

void
listener_stop(struct listener *l)
{
	l->running = 0;
	ev_io_stop(l->gw->loop, &l->io);
	ev_timer_stop(l->gw->loop, &l->retry);
	if (l->fd >= 0) {
		/* Refused from now on, and the backlog's waiters reset. */
		close(l->fd);
		l->fd = -1;
	}
}

/**
 * listener_admit(l): a pending connection finished its handshake (or
 * closed): accept again if admission control had paused ${l}.
 * listener_admit(NULL) is a no-op.
 */
void
listener_admit(struct listener *l)
{
	if (l == NULL || !l->waiting || !l->running || !listener_has_room(l))
		return;
	l->waiting = 0;
	ev_io_start(l->gw->loop, &l->io);
}

/**
 * listener_set_limits(l, lim): a reload: ${lim} (copied) from now on.
 * Connections over a lowered maximum stay; no new one comes until the
 * count is below it.  listener_set_limits(NULL, lim) is a no-op.
 */
void
listener_set_limits(struct listener *l, const struct listener_limits *lim)
{
	if (l == NULL)
		return;
	l->lim = *lim;
	rl_set(&l->rl, lim->rate, lim->per_source);
	listener_admit(l);	/* more room for handshakes, maybe */
}

/** listener_free(l): close ${l}; listener_free(NULL) is a no-op. */
void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	if (l->refused_full + l->rl.refused_global + l->rl.refused_source +
	    l->paused + l->gave_up > 0)
		log_info("event=listener_stats listener=%s refused_full=%llu "
		    "refused_rate_global=%llu refused_rate_source=%llu "
		    "admission_paused=%llu gave_up_in_backlog=%llu",
		    l->lim.name, (unsigned long long)l->refused_full,
		    (unsigned long long)l->rl.refused_global,
		    (unsigned long long)l->rl.refused_source,
		    (unsigned long long)l->paused,
		    (unsigned long long)l->gave_up);
	ev_io_stop(l->gw->loop, &l->io);
	ev_timer_stop(l->gw->loop, &l->retry);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}
