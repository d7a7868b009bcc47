/*
 * net.h: numeric addresses, the listening socket of every server, and
 * non-blocking connects.
 */
#ifndef GW_NET_H
#define GW_NET_H

#include <stddef.h>
#include <sys/socket.h>

/**
 * net_addr_host(addr, host, len): the host part of "IPv4:port" or
 * "[IPv6]:port" (without the brackets) into ${host}.  Return a pointer to
 * the port, or NULL if ${addr} has none or the host does not fit.
 */
const char *net_addr_host(const char *addr, char *host, size_t len);

/**
 * net_parse_addr(addr, ss, sl): "IPv4:port" or "[IPv6]:port" (numeric
 * only) into ${ss}/${sl}.  Return 0 or -1.
 */
int net_parse_addr(const char *addr, struct sockaddr_storage *ss,
    socklen_t *sl);

/**
 * net_connect(addr): a non-blocking, close-on-exec TCP socket with a
 * connect to ${addr} started.  Return it, or -1 with errno (EINVAL: bad
 * address).
 */
int net_connect(const char *addr);

/**
 * net_listen(addr, err, errlen): a non-blocking, close-on-exec TCP socket
 * bound to ${addr} ("IPv4:port" or "[IPv6]:port", numeric) and listening.
 * Return the descriptor, or -1 with "listen ADDR: why" in ${err}.
 */
int net_listen(const char *addr, char *err, size_t errlen);

/**
 * net_accept(lfd): the next connection waiting on listening socket ${lfd}
 * (non-blocking, close-on-exec), or -1: errno EAGAIN when none is left
 * (EINTR and ECONNABORTED are reported as EAGAIN), else a real failure.
 */
int net_accept(int lfd);

#endif /* GW_NET_H */
