/*
 * net.c: numeric addresses, the listening socket of every server, and
 * non-blocking connects.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define NET_BACKLOG	4096

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
 * net_connect(addr): a non-blocking, close-on-exec TCP socket with a
 * connect to ${addr} started.  Return it, or -1 with errno (EINVAL: bad
 * address).
 */
int
net_connect(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, saved;

	if (net_parse_addr(addr, &ss, &sl) != 0) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 &&
	    errno != EINPROGRESS) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/**
 * net_listen(addr, err, errlen): a non-blocking, close-on-exec TCP socket
 * bound to ${addr} ("IPv4:port" or "[IPv6]:port", numeric) and listening.
 * Return the descriptor, or -1 with "listen ADDR: why" in ${err}.
 */
int
net_listen(const char *addr, char *err, size_t errlen)
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
