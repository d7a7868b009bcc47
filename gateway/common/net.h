/*
 * net.h: addresses (numeric, or a DNS name for dialing), the listening
 * socket of every server, and non-blocking connects.
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
 * net_host_is_name(host): 1 if ${host} is a DNS name as we dial one
 * (letters, digits, '-' and '.'; labels of 1..63 bytes not starting or
 * ending with '-'; at most 253 bytes; a final '.' allowed; not all digits
 * and dots), else 0.
 */
int net_host_is_name(const char *host);

/**
 * net_server_name(name, buf, len): ${name} as a TLS server name (SNI, and
 * the name the certificate must hold): a DNS name's one final '.' left out
 * ("gw.test." -> "gw.test"), copied into ${buf} of ${len} bytes.  Return
 * ${buf}.
 */
const char *net_server_name(const char *name, char *buf, size_t len);

/**
 * net_dial_addr_ok(addr, why, whylen): check that ${addr} is an address a
 * program may dial: "IPv4:port", "[IPv6]:port" or "NAME:port" (a DNS name,
 * net_host_is_name), port 1..65535.  Return 0, or -1 with the reason in
 * ${why}.
 */
int net_dial_addr_ok(const char *addr, char *why, size_t whylen);

/**
 * net_sa_str(sa, buf, len): "ip:port" or "[ip6]:port" of ${sa} into ${buf}.
 */
void net_sa_str(const struct sockaddr *sa, char *buf, size_t len);

/**
 * net_connect_sa(sa, sl): a non-blocking, close-on-exec TCP socket with a
 * connect to ${sa} started.  Return it, or -1 with errno.
 */
int net_connect_sa(const struct sockaddr *sa, socklen_t sl);

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

#define NET_REUSEPORT	0x1	/* net_listen_opt: SO_REUSEPORT */
#define NET_BACKLOG	4096	/* net_listen_opt's listen() backlog */

/**
 * net_listen_opt(addr, flags, err, errlen): net_listen(), and with
 * NET_REUSEPORT in ${flags} SO_REUSEPORT set before the bind: each of
 * several such sockets on one address gets its share of the connections
 * (the kernel hashes the 4-tuple).
 */
int net_listen_opt(const char *addr, int flags, char *err, size_t errlen);

/**
 * net_accept(lfd): the next connection waiting on listening socket ${lfd}
 * (non-blocking, close-on-exec), or -1: errno EAGAIN when none is left
 * (EINTR and ECONNABORTED are reported as EAGAIN), else a real failure.
 */
int net_accept(int lfd);

#endif /* GW_NET_H */
