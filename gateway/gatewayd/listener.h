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
	/*
	 * Admission control: while *pending (connections still in their
	 * handshake) is at max_pending, the listener stops accepting and the
	 * next ones wait in the kernel's backlog; listener_admit() resumes.
	 * NULL: no such limit.
	 */
	const unsigned	*pending;
	unsigned	 max_pending;
};

/**
 * listener_new(gw, addr, lim, fn, err, errlen): bind and listen on
 * ${addr}; each accepted socket goes to ${fn} while the limits ${lim}
 * (copied) allow, else it is closed at once, before any TLS state exists.
 * A socket whose peer has already given up (it closed while waiting in the
 * backlog) is closed too.  Each limit hit is counted and logged once per
 * interval.  Return NULL with
 * the reason in ${err} on failure.
 */
struct listener *listener_new(struct gw *gw, const char *addr,
    const struct listener_limits *lim, listener_accept_fn *fn, char *err,
    size_t errlen);

/**
 * listener_start(l): accept.  listener_stop(l): stop for good (draining):
 * close the socket, so that new connections are refused at once (an agent
 * goes to its next gateway) instead of waiting in the backlog unserved.
 */
void listener_start(struct listener *l);
void listener_stop(struct listener *l);

/**
 * listener_admit(l): a pending connection finished its handshake (or
 * closed): accept again if admission control had paused ${l}.
 * listener_admit(NULL) is a no-op.
 */
void listener_admit(struct listener *l);

/**
 * listener_set_limits(l, lim): a reload: ${lim} (copied) from now on.
 * Connections over a lowered maximum stay; no new one comes until the
 * count is below it.  listener_set_limits(NULL, lim) is a no-op.
 */
void listener_set_limits(struct listener *l,
    const struct listener_limits *lim);

/** listener_free(l): close ${l}; listener_free(NULL) is a no-op. */
void listener_free(struct listener *l);

#endif /* GW_LISTENER_H */
