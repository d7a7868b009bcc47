/*
 * net.c: the listening socket every server of the project opens.
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
 * net_listen(addr, err, errlen): a non-blocking, close-on-exec TCP socket
 * bound to ${addr} ("IPv4:port" or "[IPv6]:port", numeric) and listening.
 * Return the descriptor, or -1 with "listen ADDR: why" in ${err}.
 */
int
net_listen(const char *addr, char *err, size_t errlen)
{
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints, *ai = NULL;
	char host[64];
	size_t hl;
	int fd, one = 1, rc;

	if (colon == NULL || (hl = (size_t)(colon - addr)) >= sizeof(host)) {
		snprintf(err, errlen, "listen %s: bad address", addr);
		return -1;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, NET_BACKLOG) != 0) {
		snprintf(err, errlen, "listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}
