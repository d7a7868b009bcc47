/*
 * plain.c: gw-loadgen's plain 1:1 clients and their sink (plain.h).
 *
 *   CONNECTING --TCP up--> HANDSHAKE --TLS up--> OPEN --all ACKed--> DONE
 *   any state --plain_fail()--> DONE --plain_start()--> CONNECTING
 *   CONNECTING, HANDSHAKE --connect_timeout--> DONE (failed)
 *
 * The client writes one event per mbedtls_ssl_write (one TLS record each),
 * at most `window` ahead of the acknowledgements; a write that would block
 * is retried with the same bytes, as mbedTLS requires.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "net.h"
#include "plain.h"

enum plain_state { PL_IDLE, PL_CONNECTING, PL_HANDSHAKE, PL_OPEN, PL_DONE };

struct plain {
	unsigned		 magic;		/* PLAIN_MAGIC */
	struct ev_loop		*loop;
	struct plain_params	 p;
	enum plain_state	 state;
	int			 fd;
	ev_io			 io;
	ev_timer		 tmo;		/* connect_timeout */
	mbedtls_ssl_context	 ssl;
	int			 ssl_set;
	unsigned		 events;	/* to send (plain_send) */
	int			 eof;		/* no more (plain_eof) */
	unsigned		 sent, acked;
	int			 want;		/* EV_* the last call waits on */
	mbedtls_ssl_session	 ticket;	/* resume: the newest, if */
	int			 have_ticket;
	int			 offered;	/* this handshake offered it */
	int			 verified;	/* a certificate was verified */
	int			 resumed;
	char			 msg[200];
};

#define PLAIN_MAGIC	0x506c6e43u	/* "PlnC" */

/* The plain behind a callback's ${arg}; anything else aborts. */
static struct plain *
plain_arg(void *arg)
{
	struct plain *v = arg;

	if (v == NULL || v->magic != PLAIN_MAGIC)
		abort();
	return v;
}

/* The one place that changes ${c}'s state. */
static void
plain_set_state(struct plain *c, enum plain_state st)
{
	c->state = st;
}

/* mbedTLS's per-certificate verify hook: only notes that one was seen. */
static int
plain_on_verify(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)crt;
	(void)depth;
	(void)flags;
	plain_arg(arg)->verified = 1;
	return 0;
}

/* A TLS 1.3 ticket came: the newest replaces the last (resume). */
static void
plain_keep_ticket(struct plain *c)
{
	mbedtls_ssl_session s;

	if (!c->p.resume)
		return;
	mbedtls_ssl_session_init(&s);
	if (mbedtls_ssl_get_session(&c->ssl, &s) != 0) {
		mbedtls_ssl_session_free(&s);
		return;
	}
	mbedtls_ssl_session_free(&c->ticket);
	c->ticket = s;
	c->have_ticket = 1;
}

static int
plain_bio_send(void *ctx, const unsigned char *b, size_t n)
{
	ssize_t r = send(plain_arg(ctx)->fd, b, n, MSG_NOSIGNAL);

	if (r >= 0)
		return (int)r;
	return errno == EAGAIN || errno == EINTR ? MBEDTLS_ERR_SSL_WANT_WRITE :
	    MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
plain_bio_recv(void *ctx, unsigned char *b, size_t n)
{
	ssize_t r = recv(plain_arg(ctx)->fd, b, n, 0);

	if (r >= 0)
		return (int)r;
	return errno == EAGAIN || errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ :
	    MBEDTLS_ERR_NET_RECV_FAILED;
}

static void
plain_finish(struct plain *c, enum client_status st, const char *msg)
{
	if (c->state == PL_DONE)
		return;
	if (msg != NULL && c->msg[0] == '\0')
		snprintf(c->msg, sizeof(c->msg), "%s: %s", c->p.addr, msg);
	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->tmo);
	if (c->fd >= 0) {
		if (c->state == PL_OPEN)
			(void)mbedtls_ssl_close_notify(&c->ssl);
		close(c->fd);
		c->fd = -1;
	}
	if (c->ssl_set) {
		mbedtls_ssl_free(&c->ssl);
		c->ssl_set = 0;
	}
	plain_set_state(c, PL_DONE);
	if (c->p.on_finish != NULL)
		c->p.on_finish(st, c->p.arg);
}

static void
plain_tls_fail(struct plain *c, const char *what, int rc)
{
	char e[128], m[180];

	snprintf(m, sizeof(m), "%s: %s", what, tls_strerror(rc, e, sizeof(e)));
	plain_finish(c, CLIENT_ST_FAIL, m);
}

static void
plain_watch(struct plain *c, int events)
{
	if (c->state == PL_DONE)
		return;
	if (ev_is_active(&c->io) && (c->io.events & (EV_READ | EV_WRITE)) ==
	    events)
		return;
	ev_io_stop(c->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->loop, &c->io);
}

/* OPEN: read the sink's acknowledgements, write what the window allows. */
static void
plain_pump(struct plain *c)
{
	static unsigned char body[65536];
	unsigned char ack[4096];
	int rc, events = EV_READ, held = 0;

	for (;;) {
		rc = mbedtls_ssl_read(&c->ssl, ack, sizeof(ack));
		if (rc > 0) {
			c->acked += (unsigned)rc;
			if (c->acked > c->sent) {
				plain_finish(c, CLIENT_ST_FAIL,
				    "more acknowledgements than events");
				return;
			}
			if (c->p.on_acked != NULL)
				c->p.on_acked(c->acked, c->p.arg);
			continue;
		}
		/* The relay's session tickets: held back once, then taken. */
		if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			plain_keep_ticket(c);
			continue;
		}
		if (rc == MBEDTLS_ERR_SSL_WANT_READ &&
		    mbedtls_ssl_check_pending(&c->ssl) && held++ < 2)
			continue;
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			plain_finish(c, CLIENT_ST_FAIL, "relay closed");
			return;
		}
		plain_tls_fail(c, "read", rc);
		return;
	}
	if (c->eof && c->acked == c->events) {
		plain_finish(c, CLIENT_ST_DONE, NULL);
		return;
	}
	memset(body, 'x', c->p.size);
	while (c->sent < c->events && c->sent - c->acked < c->p.window) {
		rc = mbedtls_ssl_write(&c->ssl, body, c->p.size);
		if (rc == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    rc == MBEDTLS_ERR_SSL_WANT_READ) {
			events |= EV_WRITE;
			break;
		}
		if (rc < 0) {
			plain_tls_fail(c, "write", rc);
			return;
		}
		if ((unsigned)rc != c->p.size) {
			plain_finish(c, CLIENT_ST_FAIL, "short TLS write");
			return;
		}
		c->sent++;
		if (c->p.on_sent != NULL)
			c->p.on_sent(c->sent, c->p.arg);
	}
	plain_watch(c, events);
}

static void
plain_step(struct plain *c)
{
	int err = 0, rc;
	socklen_t len = sizeof(err);

	switch (c->state) {
	case PL_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			plain_finish(c, CLIENT_ST_FAIL, strerror(err));
			return;
		}
		plain_set_state(c, PL_HANDSHAKE);
		/* FALLTHROUGH */
	case PL_HANDSHAKE:
		rc = mbedtls_ssl_handshake(&c->ssl);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
			plain_watch(c, EV_READ);
			return;
		}
		if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
			plain_watch(c, EV_WRITE);
			return;
		}
		if (rc != 0) {
			plain_tls_fail(c, "handshake", rc);
			return;
		}
		plain_set_state(c, PL_OPEN);
		ev_timer_stop(c->loop, &c->tmo);
		/* No certificate came: the ticket stood in. */
		c->resumed = c->offered && !c->verified;
		if (c->p.on_open != NULL)
			c->p.on_open(c->p.arg);
		if (c->state != PL_OPEN)
			return;
		/* FALLTHROUGH */
	case PL_OPEN:
		plain_pump(c);
		return;
	case PL_IDLE:
	case PL_DONE:
		return;
	}
}

static void
plain_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	plain_step(plain_arg(w->data));
}

static void
plain_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	plain_finish(plain_arg(w->data), CLIENT_ST_FAIL,
	    "connect and TLS handshake timed out");
}

/** plain_new(loop, p): a client on ${loop}; NULL on error (errno). */
struct plain *
plain_new(struct ev_loop *loop, const struct plain_params *p)
{
	struct plain *c;

	if (p->size == 0 || p->size > 65536 || p->window == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->magic = PLAIN_MAGIC;
	c->loop = loop;
	c->p = *p;
	c->fd = -1;
	mbedtls_ssl_session_init(&c->ticket);
	ev_init(&c->io, plain_on_io);
	c->io.data = c;
	ev_init(&c->tmo, plain_on_timeout);
	c->tmo.data = c;
	return c;
}

/**
 * plain_start(c): connect and handshake; a finished client starts again
 * (nothing sent yet, its ticket kept).
 */
void
plain_start(struct plain *c)
{
	int rc;

	if (c->state != PL_IDLE && c->state != PL_DONE)
		return;
	c->events = c->sent = c->acked = 0;
	c->eof = c->verified = c->resumed = c->offered = 0;
	c->msg[0] = '\0';
	mbedtls_ssl_init(&c->ssl);
	c->ssl_set = 1;
	plain_set_state(c, PL_CONNECTING);
	if ((rc = mbedtls_ssl_setup(&c->ssl, tls_conf_ssl(c->p.tls))) != 0 ||
	    (rc = mbedtls_ssl_set_hostname(&c->ssl, c->p.server_name)) != 0) {
		plain_tls_fail(c, "setup", rc);
		return;
	}
	mbedtls_ssl_set_verify(&c->ssl, plain_on_verify, c);
	/* A ticket the relay no longer takes costs a full handshake. */
	if (c->have_ticket)
		c->offered = mbedtls_ssl_set_session(&c->ssl, &c->ticket) == 0;
	if ((c->fd = net_connect(c->p.addr)) < 0) {
		plain_finish(c, CLIENT_ST_FAIL, strerror(errno));
		return;
	}
	mbedtls_ssl_set_bio(&c->ssl, c, plain_bio_send, plain_bio_recv, NULL);
	if (c->p.connect_timeout > 0) {
		ev_timer_set(&c->tmo, c->p.connect_timeout, 0.);
		ev_timer_start(c->loop, &c->tmo);
	}
	plain_watch(c, EV_WRITE);
}

/**
 * plain_send(c, events): send ${events} more events (once open).
 * plain_eof(c): no more: finish (CLIENT_ST_DONE) when all are acknowledged.
 */
void
plain_send(struct plain *c, unsigned events)
{
	c->events += events;
	if (c->state == PL_OPEN)
		plain_pump(c);
}

void
plain_eof(struct plain *c)
{
	c->eof = 1;
	if (c->state == PL_OPEN)
		plain_pump(c);
}

/** plain_fail(c, st, msg): close and finish with ${st} and ${msg}. */
void
plain_fail(struct plain *c, enum client_status st, const char *msg)
{
	plain_finish(c, st, msg[0] != '\0' ? msg : NULL);
}

/** plain_msg(c): why it failed, or "". */
const char *
plain_msg(const struct plain *c)
{
	return c->msg;
}

/**
 * plain_resumed(c): 1 if ${c}'s last handshake resumed a session from a
 * ticket (the relay sent no certificate), else 0.
 */
int
plain_resumed(const struct plain *c)
{
	return c->resumed;
}

/** plain_free(c): free; plain_free(NULL) is a no-op. */
void
plain_free(struct plain *c)
{
	if (c == NULL)
		return;
	c->p.on_finish = NULL;
	plain_finish(c, CLIENT_ST_DONE, NULL);
	mbedtls_ssl_session_free(&c->ticket);
	c->magic = 0;
	free(c);
}

/* The sink: one byte back for every `size` bytes read. */
struct sink_conn {
	unsigned		 magic;		/* SINK_CONN_MAGIC */
	struct plain_sink	*s;
	ev_io			 io;
	int			 fd;
	unsigned		 partial;	/* bytes of the current event */
	unsigned		 owed;		/* acknowledgements not yet sent */
	struct sink_conn	*next, **prevp;
};

#define SINK_CONN_MAGIC	0x536b436eu	/* "SkCn" */

/* The sink_conn behind a callback's ${arg}; anything else aborts. */
static struct sink_conn *
sink_conn_arg(void *arg)
{
	struct sink_conn *v = arg;

	if (v == NULL || v->magic != SINK_CONN_MAGIC)
		abort();
	return v;
}

struct plain_sink {
	unsigned		 magic;		/* PLAIN_SINK_MAGIC */
	struct ev_loop		*loop;
	unsigned		 size;
	int			 fd;
	ev_io			 io;
	struct sink_conn	*conns;
};

#define PLAIN_SINK_MAGIC	0x536b4c73u	/* "SkLs" */

/* The plain_sink behind a callback's ${arg}; anything else aborts. */
static struct plain_sink *
plain_sink_arg(void *arg)
{
	struct plain_sink *v = arg;

	if (v == NULL || v->magic != PLAIN_SINK_MAGIC)
		abort();
	return v;
}

static void
sink_conn_free(struct sink_conn *k)
{
	ev_io_stop(k->s->loop, &k->io);
	close(k->fd);
	if ((*k->prevp = k->next) != NULL)
		k->next->prevp = k->prevp;
	k->magic = 0;
	free(k);
}

static void
sink_conn_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	static unsigned char buf[65536], ones[4096];
	struct sink_conn *k = sink_conn_arg(w->data);
	ssize_t r;

	(void)loop;
	(void)revents;
	while ((r = recv(k->fd, buf, sizeof(buf), 0)) > 0) {
		k->partial += (unsigned)r;
		k->owed += k->partial / k->s->size;
		k->partial %= k->s->size;
	}
	if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
		sink_conn_free(k);
		return;
	}
	if (ones[0] == 0)
		memset(ones, 1, sizeof(ones));
	while (k->owed > 0) {
		size_t n = k->owed < sizeof(ones) ? k->owed : sizeof(ones);

		if ((r = send(k->fd, ones, n, MSG_NOSIGNAL)) <= 0)
			break;
		k->owed -= (unsigned)r;
	}
	ev_io_stop(k->s->loop, &k->io);
	ev_io_set(&k->io, k->fd, EV_READ | (k->owed > 0 ? EV_WRITE : 0));
	ev_io_start(k->s->loop, &k->io);
}

static void
sink_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct plain_sink *s = plain_sink_arg(w->data);
	struct sink_conn *k;
	int fd;

	(void)revents;
	while ((fd = net_accept(s->fd)) >= 0) {
		if ((k = calloc(1, sizeof(*k))) == NULL) {
			close(fd);
			continue;
		}
		k->magic = SINK_CONN_MAGIC;
		k->s = s;
		k->fd = fd;
		ev_io_init(&k->io, sink_conn_on_io, fd, EV_READ);
		k->io.data = k;
		ev_io_start(loop, &k->io);
		if ((k->next = s->conns) != NULL)
			k->next->prevp = &k->next;
		s->conns = k;
		k->prevp = &s->conns;
	}
}

/**
 * plain_sink_new(loop, addr, size, err, errlen): listen on ${addr}; answer
 * every ${size} bytes read on a connection with one byte.  NULL on error,
 * with the reason in ${err}.
 */
struct plain_sink *
plain_sink_new(struct ev_loop *loop, const char *addr, unsigned size,
    char *err, size_t errlen)
{
	struct plain_sink *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->magic = PLAIN_SINK_MAGIC;
	s->loop = loop;
	s->size = size;
	if ((s->fd = net_listen(addr, err, errlen)) < 0) {
		free(s);
		return NULL;
	}
	ev_io_init(&s->io, sink_on_accept, s->fd, EV_READ);
	s->io.data = s;
	ev_io_start(loop, &s->io);
	return s;
}

/** plain_sink_free(s): close the sink and its connections. */
void
plain_sink_free(struct plain_sink *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		sink_conn_free(s->conns);
	ev_io_stop(s->loop, &s->io);
	close(s->fd);
	s->magic = 0;
	free(s);
}
