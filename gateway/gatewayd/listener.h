/*
 * listener.h: a TCP listener (agents, enrollment): accept, enforce its
 * connection limit before any TLS state exists, hand each socket on.
 */
#ifndef GW_LISTENER_H
#define GW_LISTENER_H

#include "gw.h"

/* Takes an accepted socket. */
typedef void listener_accept_fn(struct gw *gw, int fd);

/* What a listener accepts. */
struct listener_limits {
	const char	*name;		/* for logs: "agents", "enroll" */
	const unsigned	*count;		/* connections that exist now */
	unsigned	 max;		/* ... at most */
	double		 rate;		/* new connections per second */
	double		 per_source;	/* ... from one address; 0: any */
};

/**
 * listener_new(gw, addr, lim, fn, err, errlen): bind and listen on
 * ${addr}; each accepted socket goes to ${fn} while the limits ${lim}
 * (copied) allow, else it is closed at once, before any TLS state exists.
 * Each limit hit is counted and logged once per interval.  Return NULL with
 * the reason in ${err} on failure.
 */
struct listener *listener_new(struct gw *gw, const char *addr,
    const struct listener_limits *lim, listener_accept_fn *fn, char *err,
    size_t errlen);

/** listener_start(l) / listener_stop(l): accept or stop accepting. */
void listener_start(struct listener *l);
void listener_stop(struct listener *l);

/** listener_free(l): close ${l}; listener_free(NULL) is a no-op. */
void listener_free(struct listener *l);

#endif /* GW_LISTENER_H */
