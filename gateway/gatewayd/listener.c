/*
 * listener.c: accept agent connections without blocking the loop: at most
 * a batch per wake-up, max_agents enforced before any TLS state exists.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "listener.h"
#include "log.h"

#define LISTENER_BATCH	64

struct listener {
	struct gw	*gw;
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
		int fd = accept4(l->fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("event=accept_failed");
			return;
		}
		if (gw->nagents >= gw->cfg->max_agents) {
			close(fd);
			l->refused_full++;
			/* A limit hit is logged once per interval. */
			if (ev_now(loop) - l->last_full_log >= 10.) {
				log_warnx("event=limit_hit limit=max_agents "
				    "value=%u refused_total=%llu",
				    gw->cfg->max_agents,
				    (unsigned long long)l->refused_full);
				l->last_full_log = ev_now(loop);
			}
			continue;
		}
		agent_accept(gw, fd);
	}
}

/**
 * listener_new(gw, err, errlen): bind and listen on ${gw}->cfg->listen;
 * return NULL with the reason in ${err} on failure.
 */
struct listener *
listener_new(struct gw *gw, char *err, size_t errlen)
{
	const char *addr = gw->cfg->listen;
	char host[64];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints, *ai = NULL;
	struct listener *l;
	size_t hl;
	int one = 1, rc;

	if (colon == NULL || (hl = (size_t)(colon - addr)) >= sizeof(host)) {
		snprintf(err, errlen, "listen %s: bad address", addr);
		return NULL;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen %s: %s", addr, gai_strerror(rc));
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		freeaddrinfo(ai);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->gw = gw;
	l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (l->fd < 0 ||
	    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l->fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(l->fd, 4096) != 0) {
		snprintf(err, errlen, "listen %s: %s", addr, strerror(errno));
		freeaddrinfo(ai);
		listener_free(l);
		return NULL;
	}
	freeaddrinfo(ai);
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
