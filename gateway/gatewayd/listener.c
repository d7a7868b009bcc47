/*
 * listener.c: accept connections without blocking the loop: at most a
 * batch per wake-up, the limit enforced before any TLS state exists.
 */
#include <errno.h>
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

struct listener {
	struct gw		*gw;
	struct listener_limits	 lim;
	listener_accept_fn	*fn;
	int			 fd;
	ev_io			 io;
	struct ratelimit	 rl;
	ev_tstamp		 last_log;
	uint64_t		 refused_full, refused_rate;
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

static void
listener_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;
	struct gw *gw = l->gw;

	(void)revents;
	for (int i = 0; i < LISTENER_BATCH; i++) {
		int fd = net_accept(l->fd);

		if (fd < 0) {
			if (errno != EAGAIN)
				log_warn("event=accept_failed");
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
		if (!rl_allow(&l->rl, getpeername(fd, (struct sockaddr *)&ss,
		    &sl) == 0 ? (struct sockaddr *)&ss : NULL, ev_now(loop))) {
			close(fd);
			listener_refused(l, "rate", ev_now(loop));
			continue;
		}
		l->fn(gw, fd);
	}
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
	return l;
}

/** listener_start(l) / listener_stop(l): accept or stop accepting. */
void
listener_start(struct listener *l)
{
	ev_io_start(l->gw->loop, &l->io);
}

void
listener_stop(struct listener *l)
{
	ev_io_stop(l->gw->loop, &l->io);
}

/** listener_free(l): close ${l}; listener_free(NULL) is a no-op. */
void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	if (l->refused_full + l->rl.refused_global + l->rl.refused_source > 0)
		log_info("event=listener_stats listener=%s refused_full=%llu "
		    "refused_rate_global=%llu refused_rate_source=%llu",
		    l->lim.name, (unsigned long long)l->refused_full,
		    (unsigned long long)l->rl.refused_global,
		    (unsigned long long)l->rl.refused_source);
	ev_io_stop(l->gw->loop, &l->io);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}
