/*
 * net.h: the listening socket every server of the project opens.
 */
#ifndef GW_NET_H
#define GW_NET_H

#include <stddef.h>

/**
 * net_listen(addr, err, errlen): a non-blocking, close-on-exec TCP socket
 * bound to ${addr} ("IPv4:port" or "[IPv6]:port", numeric) and listening.
 * Return the descriptor, or -1 with "listen ADDR: why" in ${err}.
 */
int net_listen(const char *addr, char *err, size_t errlen);

#endif /* GW_NET_H */
