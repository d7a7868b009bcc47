/*
 * sdnotify.c: the sd_notify(3) protocol: one datagram to the AF_UNIX
 * socket named by $NOTIFY_SOCKET (a path, or "@name" in the abstract
 * namespace).  systemd documents this interface as stable and meant to be
 * reimplemented; it is a few lines, not worth a dependency on libsystemd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"

/** sd_notifyf(fmt, ...): see sdnotify.h. */
int
sd_notifyf(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[512];
	size_t plen;
	socklen_t salen;
	va_list ap;
	ssize_t n;
	size_t len;
	int fd, r;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return 0;
	if ((plen = strlen(path)) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '/'));
	va_start(ap, fmt);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r < 0 || (len = (size_t)r) >= sizeof(msg)) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	n = sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	r = errno;
	close(fd);
	errno = r;
	return n == (ssize_t)len ? 1 : -1;
}

/** sd_notify_reloading(): see sdnotify.h. */
int
sd_notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000);
}
