/*
 * listener.h: a TCP listener (agents, enrollment): accept, enforce its
 * connection limits before any TLS state exists, keep each socket in the
 * lobby (lobby.h) until it speaks, then hand it on.
 */
#ifndef GW_LISTENER_H
#define GW_LISTENER_H

#include <ev.h>

struct limits;
struct listener;

/* Takes an accepted socket ${fd}; ${arg} is listener_new()'s. */
typedef void listener_accept_fn(void *arg, int fd);

/* What a listener accepts. */
struct listener_limits {
	const char	*name;		/* for logs: "agents", "enroll" */
	const unsigned	*count;		/* connections that exist now */
	unsigned	 max;		/* ... at most */
	double		 rate;		/* new connections per second */
	double		 per_source;	/* ... from one address; 0: any */
	/*
	 * Admission control: while *pending (connections still in their
	 * handshake) is at max_pending, a socket that spoke waits in the
	 * lobby, the listener stops accepting and the next ones wait in the
	 * kernel's backlog; listener_admit() resumes.  NULL: no such limit.
	 */
	const unsigned	*pending;
	unsigned	 max_pending;
	/* Sockets that have not spoken yet (lobby.h). */
	double		 first_byte_timeout;	/* closed after it */
	unsigned	 max_silent;		/* waiting at most */
	unsigned	 silent_per_source;	/* ... silent from one; 0: any */
	unsigned	 v6_prefix;		/* IPv6 source bits (restart) */
};

/**
 * listener_new(loop, hits, addr, lim, fn, arg, err, errlen): bind and
 * listen on ${addr}, on ${loop}; each accepted socket waits for its first
 * bytes, then goes to ${fn}(${arg}, fd) while the limits ${lim} (copied)
 * allow; else it is closed, before any TLS state exists.  Each limit hit
 * is counted (the lobby's in ${hits}) and logged once per interval.
 * Return NULL with the reason in ${err} on failure.
 */
struct listener *listener_new(struct ev_loop *loop, struct limits *hits,
    const char *addr, const struct listener_limits *lim,
    listener_accept_fn *fn, void *arg, char *err, size_t errlen);

/**
 * listener_new_fd(loop, hits, fd, lim, fn, arg, err, errlen): the same on
 * ${fd}, a non-blocking socket already listening (workers.h: the parent
 * made it); the listener owns it from now on, even on failure.
 */
struct listener *listener_new_fd(struct ev_loop *loop, struct limits *hits,
    int fd, const struct listener_limits *lim, listener_accept_fn *fn,
    void *arg, char *err, size_t errlen);

/**
 * listener_start(l): accept.  listener_stop(l): stop for good (draining):
 * close the socket and those waiting in the lobby, so that new connections
 * are refused at once (an agent goes to its next gateway) instead of
 * waiting in the backlog unserved.  listener_stop(NULL) is a no-op.
 */
void listener_start(struct listener *l);
void listener_stop(struct listener *l);

/**
 * listener_admit(l): a pending connection finished its handshake (or
 * closed): hand on those that spoke and wait for room, in order; accept
 * again once none is left if admission control had paused ${l}.
 * listener_admit(NULL) is a no-op.
 */
void listener_admit(struct listener *l);

/**
 * listener_set_limits(l, lim): a reload: ${lim} (copied) from now on,
 * except v6_prefix, fixed at listener_new().  Connections over a lowered
 * maximum stay; no new one comes until the count is below it.
 * listener_set_limits(NULL, lim) is a no-op.
 */
void listener_set_limits(struct listener *l,
    const struct listener_limits *lim);

/** listener_silent(l): sockets waiting for their first bytes (NULL: 0). */
unsigned listener_silent(const struct listener *l);

/** listener_free(l): close ${l}; listener_free(NULL) is a no-op. */
void listener_free(struct listener *l);

#endif /* GW_LISTENER_H */
