/*
 * listener.h: a TCP listener (agents, enrollment): accept, enforce its
 * connection limit before any TLS state exists, hand each socket on.
 */
#ifndef GW_LISTENER_H
#define GW_LISTENER_H

#include "gw.h"

/* Takes an accepted socket. */
typedef void listener_accept_fn(struct gw *gw, int fd);

/**
 * listener_new(gw, addr, limit, count, max, fn, err, errlen): bind and
 * listen on ${addr}; each accepted socket goes to ${fn} while *${count} is
 * below ${max}, else it is closed (logged as limit ${limit}).  Return NULL
 * with the reason in ${err} on failure.
 */
struct listener *listener_new(struct gw *gw, const char *addr,
    const char *limit, const unsigned *count, unsigned max,
    listener_accept_fn *fn, char *err, size_t errlen);

/** listener_start(l) / listener_stop(l): accept or stop accepting. */
void listener_start(struct listener *l);
void listener_stop(struct listener *l);

/** listener_free(l): close ${l}; listener_free(NULL) is a no-op. */
void listener_free(struct listener *l);

#endif /* GW_LISTENER_H */
