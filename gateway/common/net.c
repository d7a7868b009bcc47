/*
 * net.c: addresses (numeric, or a DNS name for dialing), the listening
 * socket of every server, and non-blocking connects.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"


/**
 * net_addr_host(addr, host, len): the host part of "IPv4:port" or
 * "[IPv6]:port" (without the brackets) into ${host}.  Return a pointer to
 * the port, or NULL if ${addr} has none or the host does not fit.
 */
const char *
net_addr_host(const char *addr, char *host, size_t len)
{
	const char *colon = strrchr(addr, ':');
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - addr)) == 0 || hl >= len)
		return NULL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	return colon + 1;
}

/**
 * net_parse_addr(addr, ss, sl): "IPv4:port" or "[IPv6]:port" (numeric
 * only) into ${ss}/${sl}.  Return 0 or -1.
 */
int
net_parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[64];
	const char *port = net_addr_host(addr, host, sizeof(host));
	struct addrinfo hints, *ai;

	if (port == NULL)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/**
 * net_host_is_name(host): 1 if ${host} is a DNS name as we dial one
 * (letters, digits, '-' and '.'; labels of 1..63 bytes not starting or
 * ending with '-'; at most 253 bytes; a final '.' allowed; not all digits
 * and dots), else 0.
 */
int
net_host_is_name(const char *host)
{
	size_t len = strlen(host), label = 0;
	int alpha = 0;

	if (len == 0 || len > 253 || host[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = host[i];

		if (ch == '.') {
			if (label == 0 || host[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
		if ((ch == '-' && label == 0) || ++label > 63)
			return 0;
		if (!(ch >= '0' && ch <= '9'))
			alpha = 1;
	}
	return alpha && host[len - 1] != '-';
}

/**
 * net_server_name(name, buf, len): ${name} as a TLS server name (SNI, and
 * the name the certificate must hold): a DNS name's one final '.' left out
 * ("gw.test." -> "gw.test"), copied into ${buf} of ${len} bytes.  Return
 * ${buf}.
 */
const char *
net_server_name(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n > 1 && name[n - 1] == '.')
		n--;
	snprintf(buf, len, "%.*s", (int)n, name);
	return buf;
}

/**
 * net_dial_addr_ok(addr, why, whylen): check that ${addr} is an address a
 * program may dial: "IPv4:port", "[IPv6]:port" or "NAME:port" (a DNS name,
 * net_host_is_name), port 1..65535.  Return 0, or -1 with the reason in
 * ${why}.
 */
int
net_dial_addr_ok(const char *addr, char *why, size_t whylen)
{
	char host[256], *end;
	const char *port = net_addr_host(addr, host, sizeof(host));
	unsigned char buf[16];
	unsigned long pn;
	int ok;

	if (port == NULL)
		ok = 0;
	else if (addr[0] == '[')
		ok = inet_pton(AF_INET6, host, buf) == 1;
	else
		ok = inet_pton(AF_INET, host, buf) == 1 ||
		    net_host_is_name(host);
	if (!ok) {
		snprintf(why, whylen, "'%s' is not HOST:PORT (e.g. "
		    "gw1.example:7443, 127.0.0.1:7443, [::1]:7443)", addr);
		return -1;
	}
	errno = 0;
	pn = strtoul(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 ||
	    pn < 1 || pn > 65535) {
		snprintf(why, whylen, "'%s': the port is not 1..65535", addr);
		return -1;
	}
	return 0;
}

/**
 * net_sa_str(sa, buf, len): "ip:port" or "[ip6]:port" of ${sa} into ${buf}.
 */
void
net_sa_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else
		snprintf(buf, len, "unknown");
}

/**
 * net_connect_sa(sa, sl): a non-blocking, close-on-exec TCP socket with a
 * connect to ${sa} started.  Return it, or -1 with errno.
 */
int
net_connect_sa(const struct sockaddr *sa, socklen_t sl)
{
	int fd, saved;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, sl) != 0 && errno != EINPROGRESS) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/**
 * net_connect(addr): a non-blocking, close-on-exec TCP socket with a
 * connect to ${addr} started.  Return it, or -1 with errno (EINVAL: bad
 * address).
 */
int
net_connect(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (net_parse_addr(addr, &ss, &sl) != 0) {
		errno = EINVAL;
		return -1;
	}
	return net_connect_sa((struct sockaddr *)&ss, sl);
}

/**
 * net_listen(addr, err, errlen): a non-blocking, close-on-exec TCP socket
 * bound to ${addr} ("IPv4:port" or "[IPv6]:port", numeric) and listening.
 * Return the descriptor, or -1 with "listen ADDR: why" in ${err}.
 */
int
net_listen(const char *addr, char *err, size_t errlen)
{
	return net_listen_opt(addr, 0, err, errlen);
}

/**
 * net_listen_opt(addr, flags, err, errlen): net_listen(), and with
 * NET_REUSEPORT in ${flags} SO_REUSEPORT set before the bind: each of
 * several such sockets on one address gets its share of the connections
 * (the kernel hashes the 4-tuple).
 */
int
net_listen_opt(const char *addr, int flags, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	if (net_parse_addr(addr, &ss, &sl) != 0) {
		snprintf(err, errlen, "listen %s: bad address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    ((flags & NET_REUSEPORT) && setsockopt(fd, SOL_SOCKET,
	    SO_REUSEPORT, &one, sizeof(one)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    listen(fd, NET_BACKLOG) != 0) {
		snprintf(err, errlen, "listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/**
 * net_accept(lfd): the next connection waiting on listening socket ${lfd}
 * (non-blocking, close-on-exec), or -1: errno EAGAIN when none is left
 * (EINTR and ECONNABORTED are reported as EAGAIN), else a real failure.
 */
int
net_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0 && (errno == EWOULDBLOCK || errno == EINTR ||
	    errno == ECONNABORTED))
		errno = EAGAIN;
	return fd;
}
