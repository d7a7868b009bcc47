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

#define LISTENER_BATCH	64

struct listener {
	struct gw	*gw;
	const char	*limit;		/* its name in logs */
	const unsigned	*count;		/* connections that exist */
	unsigned	 max;
	listener_accept_fn *fn;
	int		 fd;
	ev_io		 io;
	ev_tstamp	 last_full_log;
	uint64_t	 refused_full;
};

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
		if (*l->count >= l->max) {
			close(fd);
			l->refused_full++;
			/* A limit hit is logged once per interval. */
			if (ev_now(loop) - l->last_full_log >= 10.) {
				log_warnx("event=limit_hit limit=%s "
				    "value=%u refused_total=%llu", l->limit,
				    l->max, (unsigned long long)l->refused_full);
				l->last_full_log = ev_now(loop);
			}
			continue;
		}
		l->fn(gw, fd);
	}
}

/**
 * listener_new(gw, addr, limit, count, max, fn, err, errlen): bind and
 * listen on ${addr}; each accepted socket goes to ${fn} while *${count} is
 * below ${max}, else it is closed (logged as limit ${limit}).  Return NULL
 * with the reason in ${err} on failure.
 */
struct listener *
listener_new(struct gw *gw, const char *addr, const char *limit,
    const unsigned *count, unsigned max, listener_accept_fn *fn, char *err,
    size_t errlen)
{
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->gw = gw;
	l->limit = limit;
	l->count = count;
	l->max = max;
	l->fn = fn;
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
	ev_io_stop(l->gw->loop, &l->io);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}
