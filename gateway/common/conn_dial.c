/*
 * conn_dial.c: a client conn to a DNS name (see conn.h): resolve it on the
 * loop at each connect, then try its addresses in turn until one accepts
 * the TCP connect; only when the last has failed does the conn close (and
 * its owner back off as for any failed connect).  A numeric address never
 * comes here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "conn_impl.h"
#include "log.h"
#include "net.h"
#include "proto.h"
#include "resolve.h"

/* The longest a name takes to resolve before the dial fails. */
#define CONN_RESOLVE_TIMEOUT	10.0

struct conn_dial {
	struct resolve		*rq;		/* pending, or NULL */
	size_t			 n, next;	/* addresses; the next to try */
	struct resolve_addr	 a[RESOLVE_MAX_ADDRS];
	char			 tried[64];	/* the address being tried */
	char			 name[264];	/* "NAME:PORT" dialed */
};

/* "NAME:PORT" dialed, escaped for a log line. */
static const char *
conn_dial_name(const struct conn *c, char *buf, size_t len)
{
	return log_esc(buf, len, c->dial->name, LOG_ESC_STR, LOG_ESC_BARE);
}

/* The connect to ${c}'s current address failed with ${err}: say so. */
static void
conn_dial_failed(struct conn *c, int err, char *why, size_t whylen)
{
	char nb[LOG_ESC_MAX];

	snprintf(why, whylen, "%s: %s", c->dial->tried, strerror(err));
	log_info("event=dial_failed name=%s address=%s error=\"%s\" next=%s",
	    conn_dial_name(c, nb, sizeof(nb)), c->dial->tried, strerror(err),
	    c->dial->next < c->dial->n ? "yes" : "no");
}

/*
 * Start a connect to the next address of ${c}'s name that accepts one:
 * return 0, or -1 when none is left (the last error in ${why}).
 */
static int
conn_dial_try(struct conn *c, char *why, size_t whylen)
{
	struct conn_dial *d = c->dial;
	char nb[LOG_ESC_MAX];
	int fd, one = 1;

	ev_io_stop(c->loop, &c->io);	/* ev_io_set needs it stopped */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	while (d->next < d->n) {
		struct resolve_addr *a = &d->a[d->next++];

		net_sa_str((struct sockaddr *)&a->ss, d->tried,
		    sizeof(d->tried));
		log_info("event=dial name=%s address=%s try=%zu/%zu",
		    conn_dial_name(c, nb, sizeof(nb)), d->tried, d->next, d->n);
		if ((fd = net_connect_sa((struct sockaddr *)&a->ss,
		    a->sl)) >= 0) {
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			c->fd = fd;
			return 0;
		}
		conn_dial_failed(c, errno, why, whylen);
	}
	return -1;
}

/* The answer for ${arg}'s name: dial its first address, or close. */
static void
conn_dial_on_resolved(void *arg, const struct resolve_addr *a, size_t n,
    const char *err)
{
	struct conn *c = arg;
	char why[LOG_ESC_MAX + 64], nb[LOG_ESC_MAX];

	CONN_CHECK(c);
	c->dial->rq = NULL;
	if (n == 0) {
		snprintf(why, sizeof(why), "resolve %s: %s",
		    conn_dial_name(c, nb, sizeof(nb)), err);	/* c-ares's */
		conn_close(c, GW_R_CONNECT, why);
		return;
	}
	memcpy(c->dial->a, a, n * sizeof(*a));
	c->dial->n = n;
	c->dial->next = 0;
	if (conn_dial_try(c, why, sizeof(why)) != 0) {
		conn_close(c, GW_R_CONNECT, why);
		return;
	}
	conn_update_io(c);
}

/**
 * conn_dial_start(c, host, port): resolve ${host} (a DNS name) for ${port}
 * and dial its addresses in turn for conn ${c}, which has no socket yet.
 * Return 0, or -1 with errno.
 */
int
conn_dial_start(struct conn *c, const char *host, const char *port)
{
	if ((c->dial = calloc(1, sizeof(*c->dial))) == NULL)
		return -1;
	snprintf(c->dial->name, sizeof(c->dial->name), "%s:%s", host, port);
	c->dial->rq = resolve_start(c->loop, host, port, CONN_RESOLVE_TIMEOUT,
	    conn_dial_on_resolved, c);
	if (c->dial->rq == NULL) {
		free(c->dial);
		c->dial = NULL;
		return -1;
	}
	return 0;
}

/**
 * conn_dial_next(c, err, why, whylen): the connect to ${c}'s current
 * address failed with ${err}: start one to the next address and return 0,
 * or return -1 when there is none (no name, or all were tried), with the
 * reason in ${why}.
 */
int
conn_dial_next(struct conn *c, int err, char *why, size_t whylen)
{
	if (c->dial == NULL) {
		snprintf(why, whylen, "%s", strerror(err));
		return -1;
	}
	conn_dial_failed(c, err, why, whylen);
	return conn_dial_try(c, why, whylen);
}

/** conn_dial_free(c): cancel ${c}'s pending resolve; free its dial state. */
void
conn_dial_free(struct conn *c)
{
	if (c->dial == NULL)
		return;
	resolve_cancel(c->dial->rq);
	free(c->dial);
	c->dial = NULL;
}
