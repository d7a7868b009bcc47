/*
 * listener.c: accept connections without blocking the loop: at most a
 * batch per wake-up, the limits enforced before any TLS state exists.
 *
 * An accepted socket waits in the lobby (lobby.h) until its first bytes
 * arrive: a peer that never sends a ClientHello costs a small record
 * there, under first_byte_timeout and the silent caps, and never a
 * handshake slot, so thousands of silent connections cannot keep a good
 * agent waiting behind them.  (TCP_DEFER_ACCEPT is not used: it would keep
 * them in the kernel's SYN queue instead, out of reach of these caps and
 * counters, retransmitting a SYN-ACK to each, and hand them over anyway
 * when it expires.)
 *
 * Admission control: a full handshake costs milliseconds of CPU, so a
 * reconnect storm of thousands cannot be served at once.  Closing the
 * excess (a rate limit) makes every agent retry and the storm last; taking
 * them all makes each handshake wait behind all the others until the agents
 * time out and the loop misses its own timers.  So a socket that spoke
 * while max_pending handshakes are under way waits, ready, in the lobby;
 * while one does, the listener stops accepting and lets the kernel's
 * backlog hold the rest.  An agent that gave up while waiting (it closed)
 * is dropped before any TLS state exists: at accept for the price of a
 * poll(2), or in the lobby.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"
#include "lobby.h"
#include "log.h"
#include "net.h"
#include "ratelimit.h"

#define LISTENER_MAGIC	0x4c73746eu	/* "Lstn" */
#define LISTENER_BATCH	64

#define LISTENER_LOG_EVERY	10.0	/* seconds between limit_hit lines */
#define LISTENER_RETRY	1.0	/* seconds of pause after a failed accept */

struct listener {
	unsigned		 magic;
	struct ev_loop		*loop;
	struct listener_limits	 lim;
	listener_accept_fn	*fn;
	void			*arg;		/* ${fn}'s */
	int			 fd;
	ev_io			 io;
	ev_timer		 retry;		/* accept failed: pause */
	struct ratelimit	 rl;
	struct lobby		*lobby;		/* not spoken yet, or no room */
	ev_tstamp		 last_log;
	uint64_t		 refused_full;
	uint64_t		 paused;	/* times admission paused it */
	uint64_t		 gave_up;	/* closed by the peer in backlog */
	int			 running;	/* listener_start()ed */
	int			 waiting;	/* paused by admission control */
};

/* ${arg} of a callback: a listener, alive (its magic), or abort. */
static struct listener *
listener_of(void *arg)
{
	struct listener *l = arg;

	if (l == NULL || l->magic != LISTENER_MAGIC) {
		log_errx("event=bug detail=\"listener callback: bad object\"");
		abort();
	}
	return l;
}

/* A limit was hit: count it; log the totals at most every interval. */
static void
listener_refused(struct listener *l, const char *what)
{
	const struct lobby_stats *ls = lobby_stats(l->lobby);
	double now = ev_now(l->loop);

	if (now - l->last_log < LISTENER_LOG_EVERY)
		return;
	log_warnx("event=limit_hit listener=%s limit=%s refused_full=%llu "
	    "refused_rate_global=%llu refused_rate_source=%llu "
	    "silent_evicted_source=%llu silent_evicted_full=%llu "
	    "refused_silent_full=%llu max=%u rate=%g per_source=%g "
	    "silent_per_source=%u max_silent=%u", l->lim.name, what,
	    (unsigned long long)l->refused_full,
	    (unsigned long long)l->rl.refused_global,
	    (unsigned long long)l->rl.refused_source,
	    (unsigned long long)ls->evicted_source,
	    (unsigned long long)ls->evicted_full,
	    (unsigned long long)ls->refused_full, l->lim.max,
	    l->lim.rate, l->lim.per_source, l->lim.silent_per_source,
	    l->lim.max_silent);
	l->last_log = now;
}

/* The lobby limits in ${lim}. */
static struct lobby_limits
listener_lobby_limits(const struct listener_limits *lim)
{
	return (struct lobby_limits){ lim->first_byte_timeout,
	    lim->max_silent, lim->silent_per_source };
}

/* Admission control: is there room for one more handshake? */
static int
listener_has_room(const struct listener *l)
{
	return l->lim.pending == NULL || *l->lim.pending < l->lim.max_pending;
}

/* Admission control: stop accepting; the backlog holds the next ones. */
static void
listener_pause(struct listener *l)
{
	if (l->waiting)
		return;
	ev_io_stop(l->loop, &l->io);
	l->waiting = 1;
	l->paused++;
}

/*
 * A socket spoke (lobby_enter_fn): hand it on if a handshake slot is free,
 * else keep it ready in the lobby and stop accepting until there is room.
 */
static int
listener_enter(void *arg, int fd)
{
	struct listener *l = listener_of(arg);

	if (!listener_has_room(l)) {
		listener_pause(l);
		return -1;
	}
	if (*l->lim.count >= l->lim.max) {	/* filled up meanwhile */
		close(fd);
		l->refused_full++;
		listener_refused(l, "connections");
		return 0;
	}
	l->fn(l->arg, fd);
	return 0;
}

static void
listener_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = listener_of(w->data);
	struct sockaddr_storage ss;
	struct sockaddr *sa;
	socklen_t sl;
	int fd, r, spoke;

	(void)revents;
	for (int i = 0; i < LISTENER_BATCH; i++) {
		if (lobby_ready(l->lobby) > 0) {
			/* The backlog holds the rest: listener_admit(). */
			listener_pause(l);
			return;
		}
		if ((fd = net_accept(l->fd)) < 0) {
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
		if (*l->lim.count >= l->lim.max) {
			close(fd);
			l->refused_full++;
			listener_refused(l, "connections");
			continue;
		}
		if ((spoke = lobby_peek(fd)) < 0) {
			close(fd);
			l->gave_up++;
			continue;
		}
		sl = sizeof(ss);
		sa = getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 ?
		    (struct sockaddr *)&ss : NULL;
		if (!rl_allow(&l->rl, sa, ev_now(loop))) {
			close(fd);
			listener_refused(l, "rate");
			continue;
		}
		/* Until it speaks; room made by closing older silent ones. */
		if ((r = lobby_add(l->lobby, fd, sa, spoke)) < 0)
			listener_refused(l, "max_silent");
		else if (r & LOBBY_EVICTED_SOURCE)
			listener_refused(l, "silent_per_source");
		else if (r & LOBBY_EVICTED_FULL)
			listener_refused(l, "max_silent");
	}
}

/* The pause after a failed accept is over. */
static void
listener_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *l = listener_of(w->data);

	(void)revents;
	if (l->running && !l->waiting)
		ev_io_start(loop, &l->io);
}

/**
 * listener_new(loop, hits, addr, lim, fn, arg, err, errlen): bind and
 * listen on ${addr}, on ${loop}; each accepted socket waits for its first
 * bytes, then goes to ${fn}(${arg}, fd) while the limits ${lim} (copied)
 * allow; else it is closed, before any TLS state exists.  Each limit hit
 * is counted (the lobby's in ${hits}) and logged once per interval.
 * Return NULL with the reason in ${err} on failure.
 */
struct listener *
listener_new(struct ev_loop *loop, struct limits *hits, const char *addr,
    const struct listener_limits *lim, listener_accept_fn *fn, void *arg,
    char *err, size_t errlen)
{
	int fd;

	if ((fd = net_listen(addr, err, errlen)) < 0)
		return NULL;
	return listener_new_fd(loop, hits, fd, lim, fn, arg, err, errlen);
}

/**
 * listener_new_fd(loop, hits, fd, lim, fn, arg, err, errlen): the same on
 * ${fd}, a non-blocking socket already listening (workers.h: the parent
 * made it); the listener owns it from now on, even on failure.
 */
struct listener *
listener_new_fd(struct ev_loop *loop, struct limits *hits, int fd,
    const struct listener_limits *lim, listener_accept_fn *fn, void *arg,
    char *err, size_t errlen)
{
	struct lobby_limits ll = listener_lobby_limits(lim);
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->lobby = lobby_new(loop, &ll, lim->v6_prefix, hits,
	    listener_enter, l)) == NULL) {
		free(l);
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->magic = LISTENER_MAGIC;
	l->loop = loop;
	l->lim = *lim;
	l->fn = fn;
	l->arg = arg;
	l->last_log = -LISTENER_LOG_EVERY;
	rl_init(&l->rl, lim->rate, lim->per_source, lim->v6_prefix);
	l->fd = fd;
	ev_io_init(&l->io, listener_on_accept, l->fd, EV_READ);
	l->io.data = l;
	ev_timer_init(&l->retry, listener_on_retry, LISTENER_RETRY, 0.);
	l->retry.data = l;
	return l;
}

/**
 * listener_start(l): accept.  listener_stop(l): stop for good (draining):
 * close the socket and those waiting in the lobby, so that new connections
 * are refused at once (an agent goes to its next gateway) instead of
 * waiting in the backlog unserved.  listener_stop(NULL) is a no-op.
 */
void
listener_start(struct listener *l)
{
	l->running = 1;
	l->waiting = 0;
	ev_io_start(l->loop, &l->io);
}

void
listener_stop(struct listener *l)
{
	if (l == NULL)
		return;
	l->running = 0;
	ev_io_stop(l->loop, &l->io);
	ev_timer_stop(l->loop, &l->retry);
	if (l->fd >= 0) {
		/* Refused from now on, and the backlog's waiters reset. */
		close(l->fd);
		l->fd = -1;
	}
	lobby_clear(l->lobby);
}

/**
 * listener_admit(l): a pending connection finished its handshake (or
 * closed): hand on those that spoke and wait for room, in order; accept
 * again once none is left if admission control had paused ${l}.
 * listener_admit(NULL) is a no-op.
 */
void
listener_admit(struct listener *l)
{
	if (l == NULL)
		return;
	lobby_admit(l->lobby);
	if (!l->waiting || lobby_ready(l->lobby) > 0)
		return;
	l->waiting = 0;
	if (l->running && !ev_is_active(&l->retry))
		ev_io_start(l->loop, &l->io);
}

/**
 * listener_set_limits(l, lim): a reload: ${lim} (copied) from now on,
 * except v6_prefix, fixed at listener_new().  Connections over a lowered
 * maximum stay; no new one comes until the count is below it.
 * listener_set_limits(NULL, lim) is a no-op.
 */
void
listener_set_limits(struct listener *l, const struct listener_limits *lim)
{
	struct lobby_limits ll = listener_lobby_limits(lim);
	unsigned v6_prefix;

	if (l == NULL)
		return;
	v6_prefix = l->lim.v6_prefix;
	l->lim = *lim;
	l->lim.v6_prefix = v6_prefix;
	rl_set(&l->rl, lim->rate, lim->per_source);
	lobby_set_limits(l->lobby, &ll);
	listener_admit(l);	/* more room for handshakes, maybe */
}

/** listener_silent(l): sockets waiting for their first bytes (NULL: 0). */
unsigned
listener_silent(const struct listener *l)
{
	return l != NULL ? lobby_silent(l->lobby) : 0;
}

/** listener_free(l): close ${l}; listener_free(NULL) is a no-op. */
void
listener_free(struct listener *l)
{
	const struct lobby_stats *ls;

	if (l == NULL)
		return;
	ls = lobby_stats(l->lobby);
	if (l->refused_full + l->rl.refused_global + l->rl.refused_source +
	    l->paused + l->gave_up + ls->gave_up + ls->timed_out +
	    ls->evicted_source + ls->evicted_full + ls->refused_full > 0)
		log_info("event=listener_stats listener=%s refused_full=%llu "
		    "refused_rate_global=%llu refused_rate_source=%llu "
		    "admission_paused=%llu gave_up_in_backlog=%llu "
		    "silent_timed_out=%llu silent_evicted_source=%llu "
		    "silent_evicted_full=%llu refused_silent_full=%llu",
		    l->lim.name, (unsigned long long)l->refused_full,
		    (unsigned long long)l->rl.refused_global,
		    (unsigned long long)l->rl.refused_source,
		    (unsigned long long)l->paused,
		    (unsigned long long)(l->gave_up + ls->gave_up),
		    (unsigned long long)ls->timed_out,
		    (unsigned long long)ls->evicted_source,
		    (unsigned long long)ls->evicted_full,
		    (unsigned long long)ls->refused_full);
	lobby_free(l->lobby);
	ev_io_stop(l->loop, &l->io);
	ev_timer_stop(l->loop, &l->retry);
	if (l->fd >= 0)
		close(l->fd);
	l->magic = 0;
	free(l);
}
