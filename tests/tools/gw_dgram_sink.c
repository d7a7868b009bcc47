/*
 * gw_dgram_sink.c: receive datagrams on an AF_UNIX socket, as systemd's
 * NOTIFY_SOCKET or syslog's /dev/log would, and print each one on its own
 * line (newlines inside a datagram become "|").  For test_systemd.
 *
 *   gw-dgram-sink PATH     bind PATH (removed first), print until killed
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192];
	ssize_t n;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: gw-dgram-sink PATH\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	(void)unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = '|';
		buf[n] = '\0';
		printf("%s\n", buf);
	}
	perror("recv");
	return 1;
}
