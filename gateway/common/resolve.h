/*
 * resolve.h: a DNS name to its addresses without blocking the event loop:
 * c-ares on a libev loop, one channel per resolve (its A and AAAA lookups),
 * with a deadline.  c-ares reads /etc/hosts itself (and /etc/resolv.conf
 * and /etc/nsswitch.conf for the order) and asks the name servers of
 * /etc/resolv.conf; a numeric host resolves to itself without either.
 * The addresses come unsorted, families alternating (IPv6 first), each
 * family's in the answer's order: at most RESOLVE_MAX_ADDRS in all.
 */
#ifndef GW_RESOLVE_H
#define GW_RESOLVE_H

#include <sys/socket.h>
#include <ev.h>

struct resolve;

/* The most addresses of one name kept (the rest are dropped). */
#define RESOLVE_MAX_ADDRS	16

struct resolve_addr {
	struct sockaddr_storage	ss;
	socklen_t		sl;
};

/*
 * The answer: ${n} addresses (n >= 1, ${err} NULL) or an error text
 * (n == 0).  ${a} and ${err} live only during the call.  The resolve is
 * freed when this returns: the owner forgets its pointer.
 */
typedef void resolve_cb(void *arg, const struct resolve_addr *a, size_t n,
    const char *err);

/**
 * resolve_start(loop, host, port, timeout, cb, arg): look up ${host}
 * (a name or a numeric address, without brackets) for TCP port ${port}
 * (digits); call ${cb}(${arg}, ...) once, from ${loop}, never from within
 * this call, at the latest after ${timeout} seconds.  Return the pending
 * resolve, or NULL (errno: ENOMEM, or EINVAL for an empty host or port).
 */
struct resolve *resolve_start(struct ev_loop *loop, const char *host,
    const char *port, double timeout, resolve_cb *cb, void *arg);

/**
 * resolve_cancel(r): give up pending resolve ${r}: no callback comes after
 * this.  NULL-safe; never call it after the callback ran.
 */
void resolve_cancel(struct resolve *r);

#endif /* GW_RESOLVE_H */
