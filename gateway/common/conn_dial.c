/*
 * conn_dial.c: a client conn to a DNS name (see conn.h): resolve it on the
 * loop at each connect, then try its addresses in turn until one completes
 * the TLS handshake; only when the last has failed does the conn close
 * (and its owner back off as for any failed connect).  A numeric address
 * never comes here.
 *
 * The owner's timer (conn_timer, its connect timeout) is held while the
 * name resolves, which has its own bound (CONN_RESOLVE_TIMEOUT), and
 * starts when the first address is dialed.  Each address but the last
 * gets its share of what is left of it (what is left over the addresses
 * left, at least CONN_ADDR_MIN): a black-holed address (SYNs dropped) or
 * one that accepts and stalls the handshake costs its share, not the
 * whole timeout at every reconnect.  A refused connect, a failed
 * handshake or an expired share moves to the next address at once.
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
#define CONN_RESOLVE_TIMEOUT	4.0
/* The least time one address of several gets, s. */
#define CONN_ADDR_MIN		0.25
/* The budget the shares come from when the owner set no timer, s. */
#define CONN_DIAL_BUDGET	10.0

struct conn_dial {
	struct resolve		*rq;		/* pending, or NULL */
	size_t			 n, next;	/* addresses; the next to try */
	struct resolve_addr	 a[RESOLVE_MAX_ADDRS];
	ev_timer		 share;		/* this address's time */
	double			 held;		/* the owner's timer, s, held
						   while resolving */
	ev_tstamp		 deadline;	/* the owner's timer's end */
	char			 tried[64];	/* the address being tried */
	char			 name[264];	/* "NAME:PORT" dialed */
	char			 server_name[256]; /* for a new TLS session */
};

/* "NAME:PORT" dialed, escaped for a log line. */
static const char *
conn_dial_name(const struct conn *c, char *buf, size_t len)
{
	return log_esc(buf, len, c->dial->name, LOG_ESC_STR, LOG_ESC_BARE);
}

/* ${c}'s current address failed (${err}): say so, the reason in ${why}. */
static void
conn_dial_failed(struct conn *c, const char *err, char *why, size_t whylen)
{
	char nb[LOG_ESC_MAX], eb[LOG_ESC_MAX];

	snprintf(why, whylen, "%s: %s", c->dial->tried, err);
	log_info("event=dial_failed name=%s address=%s error=\"%s\" next=%s",
	    conn_dial_name(c, nb, sizeof(nb)), c->dial->tried,
	    log_esc(eb, sizeof(eb), err, LOG_ESC_STR, 0),
	    c->dial->next < c->dial->n ? "yes" : "no");
}

/* Give the address about to be tried its share of the owner's timer. */
static void
conn_dial_share(struct conn *c)
{
	struct conn_dial *d = c->dial;
	ev_tstamp left = d->deadline - ev_now(c->loop);

	ev_timer_stop(c->loop, &d->share);
	if (d->next + 1 >= d->n)	/* the last: the owner's timer */
		return;
	left /= (double)(d->n - d->next);
	ev_timer_set(&d->share, left > CONN_ADDR_MIN ? left : CONN_ADDR_MIN,
	    0.);
	ev_timer_start(c->loop, &d->share);
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
		struct resolve_addr *a = &d->a[d->next];

		conn_dial_share(c);
		d->next++;
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
		conn_dial_failed(c, strerror(errno), why, whylen);
	}
	ev_timer_stop(c->loop, &d->share);
	return -1;
}

/*
 * A new TLS session for ${c}'s next address (the last one's may have sent
 * and received anything): the context set up afresh on the same
 * configuration, nothing read ahead kept.  Return 0 or -1.
 */
static int
conn_dial_tls_reset(struct conn *c)
{
	struct tls_conf *tc = c->tc;	/* our reference, for the setup */
	int rc;

	mbedtls_ssl_free(&c->ssl);
	mbedtls_ssl_init(&c->ssl);
	c->tc = NULL;
	rc = conn_tls_setup(c, tc, c->dial->server_name);
	tls_conf_free(tc);
	c->verified = c->peer_unparsed = 0;
	c->rx_off = c->rx_len = 0;
	c->rx_drained = 0;
	c->rd_want = c->wr_want = 0;
	return rc;
}

/**
 * conn_dial_redial(c, err, why, whylen): ${c}'s current address failed
 * (${err}: its handshake failed, or its share of the time ran out): start
 * over at the next address and return 0 (a new TLS session, ${c}
 * connecting again), or return -1 when there is none (no name, or all
 * were tried), with the reason in ${why}.
 */
int
conn_dial_redial(struct conn *c, const char *err, char *why, size_t whylen)
{
	struct conn_dial *d = c->dial;

	if (d == NULL || d->rq != NULL) {
		snprintf(why, whylen, "%s", err);
		return -1;
	}
	conn_dial_failed(c, err, why, whylen);
	if (d->next >= d->n)
		return -1;
	if (c->state == CONN_HANDSHAKE) {
		if (conn_dial_tls_reset(c) != 0) {
			snprintf(why, whylen, "TLS setup failed");
			return -1;
		}
		conn_set_state(c, CONN_CONNECTING);
	}
	return conn_dial_try(c, why, whylen);
}

/* ${arg}'s current address had its share of the time: the next one. */
static void
conn_dial_on_share(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	char why[LOG_ESC_MAX + 128];

	(void)loop;
	(void)revents;
	CONN_CHECK(c);
	if (c->state != CONN_CONNECTING && c->state != CONN_HANDSHAKE)
		return;
	c->busy++;
	if (conn_dial_redial(c, "timed out", why, sizeof(why)) != 0)
		conn_close(c, GW_R_CONNECT, why);
	else
		conn_update_io(c);
	c->busy--;
}

/* The answer for ${arg}'s name: dial its first address, or close. */
static void
conn_dial_on_resolved(void *arg, const struct resolve_addr *a, size_t n,
    const char *err)
{
	struct conn *c = arg;
	char why[LOG_ESC_MAX + 128], nb[LOG_ESC_MAX];

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
	conn_timer(c, c->dial->held);	/* the owner's, held till now */
	if (conn_dial_try(c, why, sizeof(why)) != 0) {
		conn_close(c, GW_R_CONNECT, why);
		return;
	}
	conn_update_io(c);
}

/**
 * conn_dial_start(c, host, port, server_name): resolve ${host} (a DNS
 * name) for ${port} and dial its addresses in turn for conn ${c}, which
 * has no socket yet, each with a TLS session expecting ${server_name}.
 * Return 0, or -1 with errno.
 */
int
conn_dial_start(struct conn *c, const char *host, const char *port,
    const char *server_name)
{
	struct conn_dial *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	snprintf(d->name, sizeof(d->name), "%s:%s", host, port);
	snprintf(d->server_name, sizeof(d->server_name), "%s", server_name);
	ev_timer_init(&d->share, conn_dial_on_share, 0., 0.);
	d->share.data = c;
	d->rq = resolve_start(c->loop, host, port, CONN_RESOLVE_TIMEOUT,
	    conn_dial_on_resolved, c);
	if (d->rq == NULL) {
		free(d);
		return -1;
	}
	c->dial = d;
	return 0;
}

/**
 * conn_dial_hold(c, seconds): the owner sets ${c}'s timer to ${seconds}
 * (0: none): while ${c}'s name resolves, keep it for when the first
 * address is dialed and return 0; else note when it ends (the addresses'
 * shares come from it) and return -1: the caller arms it now.
 */
int
conn_dial_hold(struct conn *c, double seconds)
{
	struct conn_dial *d = c->dial;

	if (d == NULL)
		return -1;
	if (d->rq != NULL) {
		d->held = seconds;
		return 0;
	}
	d->deadline = ev_now(c->loop) + (seconds > 0 ? seconds :
	    CONN_DIAL_BUDGET);
	return -1;
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
	conn_dial_failed(c, strerror(err), why, whylen);
	return conn_dial_try(c, why, whylen);
}

/**
 * conn_dial_free(c): cancel ${c}'s pending resolve and its address's
 * timer; free its dial state (at close, or once the handshake is done).
 */
void
conn_dial_free(struct conn *c)
{
	if (c->dial == NULL)
		return;
	resolve_cancel(c->dial->rq);
	ev_timer_stop(c->loop, &c->dial->share);
	free(c->dial);
	c->dial = NULL;
}
