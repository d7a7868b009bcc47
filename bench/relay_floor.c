/*
 * gw-relay-floor: the least CPU a gateway that acknowledges each message
 * can spend on this machine, for bench/run.  It is a relay with nothing
 * behind it: on gatewayd's stack (the same mbedTLS build, the project's own
 * TLS configuration from tls_conf.c with the same certificates, mutual TLS
 * and record size limit; libev; the same socket options: net_listen's and
 * net_accept's, TCP_NODELAY), it accepts agents and answers every event
 * with one TLS record of its own, nothing more:
 *
 *   gw-relay-floor --listen ADDR --cert F --key F --ca F [--size B]
 *
 * gw-loadgen --plain drives it as it drives HAProxy: each agent writes
 * events of B bytes (200), each its own TLS record, and counts one byte
 * read as one acknowledgement; so each event is answered with a record of
 * one byte.  gatewayd's ACK frame is 20 bytes (header and 8): the same
 * record header and tag, one more AES-GCM block (about 0.05 us).
 *
 * What a wake-up costs here is the least there is: one recv(2) into a
 * read-ahead buffer (gatewayd's size) while the socket fills it, the
 * records decrypted, one record encrypted per event, and all of a
 * connection's output gathered into one send(2) when it has been read.
 * No framing, no protocol, no upstream, no session state, no allocation
 * per event.  Output the socket does not take is kept (and the connection
 * dropped if its peer lets more than FLOOR_PEND_MAX pile up).
 *
 * On SIGTERM or SIGINT it prints one line of key=value counts and exits 0:
 * accepted, opened (handshakes done), failed, events (complete events
 * read) and answered (records written for them).
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "net.h"
#include "tls_conf.h"

#define FLOOR_RX_CAP	(16384 + 512)	/* gatewayd's read-ahead (conn) */
#define FLOOR_TX_CAP	65536		/* output gathered before a send */
#define FLOOR_PEND_MAX	(256 * 1024)	/* output left unread, at most */

struct fconn;

struct floor {
	unsigned		 magic;		/* FLOOR_MAGIC */
	struct ev_loop		*loop;
	struct tls_conf		*tls;
	unsigned		 size;		/* bytes per event */
	int			 lfd;
	ev_io			 accept_io;
	ev_signal		 sigterm, sigint;
	struct fconn		*conns;
	unsigned long long	 accepted, opened, failed, events, answered;
};

#define FLOOR_MAGIC	0x466c6f72u	/* "Flor" */

enum fconn_state { FC_HANDSHAKE, FC_OPEN };

struct fconn {
	unsigned		 magic;		/* FCONN_MAGIC */
	struct floor		*f;
	int			 fd;
	enum fconn_state	 state;
	ev_io			 io;
	mbedtls_ssl_context	 ssl;
	unsigned		 partial;	/* bytes of the current event */
	unsigned char		*pend;		/* output the socket left */
	size_t			 pend_len;
	struct fconn		*next, **prevp;
};

#define FCONN_MAGIC	0x46436f6eu	/* "FCon" */

/*
 * The read-ahead and gathered output of the connection being served: one
 * loop serves one connection at a time, and a wake-up ends with the
 * read-ahead empty (mbedTLS asks for more only once it has taken all) and
 * the output sent or kept by the connection.
 */
static struct {
	unsigned char	 rx[FLOOR_RX_CAP];
	size_t		 rx_off, rx_len;
	int		 rx_drained;	/* a short recv(2): nothing more now */
	unsigned char	 tx[FLOOR_TX_CAP];
	size_t		 tx_len;
} io_buf;

static void
usage(void)
{
	fprintf(stderr, "usage: gw-relay-floor --listen ADDR --cert F --key F "
	    "--ca F [--size B]\n");
	exit(2);
}

/* The floor behind a callback's ${arg}; anything else aborts. */
static struct floor *
floor_arg(void *arg)
{
	struct floor *v = arg;

	if (v == NULL || v->magic != FLOOR_MAGIC)
		abort();
	return v;
}

/* The fconn behind a callback's ${arg}; anything else aborts. */
static struct fconn *
fconn_arg(void *arg)
{
	struct fconn *v = arg;

	if (v == NULL || v->magic != FCONN_MAGIC)
		abort();
	return v;
}

/* The one place that changes ${c}'s state. */
static void
fconn_set_state(struct fconn *c, enum fconn_state st)
{
	c->state = st;
}

/* Close and free ${c}; ${failed}: count it as a failure. */
static void
fconn_free(struct fconn *c, int failed)
{
	if (failed)
		c->f->failed++;
	ev_io_stop(c->f->loop, &c->io);
	close(c->fd);
	mbedtls_ssl_free(&c->ssl);
	free(c->pend);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	c->magic = 0;
	free(c);
}

/* Keep ${n} bytes of output at ${p} after ${c}'s pending ones; 0 or -1. */
static int
fconn_keep(struct fconn *c, const unsigned char *p, size_t n)
{
	unsigned char *np;

	if (c->pend_len + n > FLOOR_PEND_MAX ||
	    (np = realloc(c->pend, c->pend_len + n)) == NULL)
		return -1;
	memcpy(np + c->pend_len, p, n);
	c->pend = np;
	c->pend_len += n;
	return 0;
}

/* Watch ${c} for reading, and for writing while output is pending. */
static void
fconn_watch(struct fconn *c)
{
	int events = EV_READ | (c->pend_len > 0 ? EV_WRITE : 0);

	if ((c->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(c->f->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->f->loop, &c->io);
}

/*
 * fconn_flush(c): one send(2) of ${c}'s pending output and the gathered
 * one; what the socket does not take is kept.  0, or -1 (close ${c}).
 */
static int
fconn_flush(struct fconn *c)
{
	const unsigned char *p = io_buf.tx;
	size_t n = io_buf.tx_len;
	ssize_t r;

	io_buf.tx_len = 0;
	if (c->pend_len > 0) {
		if (n > 0 && fconn_keep(c, p, n) != 0)
			return -1;
		p = c->pend;
		n = c->pend_len;
	}
	if (n == 0)
		return 0;
	if ((r = send(c->fd, p, n, MSG_NOSIGNAL)) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		r = 0;
	}
	if (p == c->pend) {
		c->pend_len -= (size_t)r;
		memmove(c->pend, c->pend + r, c->pend_len);
		if (c->pend_len == 0) {
			free(c->pend);
			c->pend = NULL;
		}
	} else if ((size_t)r < n && fconn_keep(c, p + r, n - (size_t)r) != 0)
		return -1;
	fconn_watch(c);
	return 0;
}

/* mbedTLS's output: gathered in io_buf.tx, sent by fconn_flush. */
static int
floor_bio_send(void *ctx, const unsigned char *p, size_t n)
{
	struct fconn *c = fconn_arg(ctx);
	size_t room;

	if (io_buf.tx_len == sizeof(io_buf.tx) && fconn_flush(c) != 0)
		return MBEDTLS_ERR_NET_SEND_FAILED;
	room = sizeof(io_buf.tx) - io_buf.tx_len;
	if (n > room)
		n = room;
	memcpy(io_buf.tx + io_buf.tx_len, p, n);
	io_buf.tx_len += n;
	return (int)n;
}

/*
 * mbedTLS's input: from the read-ahead, filled with one recv(2) when
 * empty, as gatewayd's conn_bio_recv.
 */
static int
floor_bio_recv(void *ctx, unsigned char *p, size_t n)
{
	struct fconn *c = fconn_arg(ctx);
	ssize_t r;

	if (io_buf.rx_len == 0) {
		if (io_buf.rx_drained)
			return MBEDTLS_ERR_SSL_WANT_READ;
		if ((r = recv(c->fd, io_buf.rx, sizeof(io_buf.rx), 0)) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return MBEDTLS_ERR_SSL_WANT_READ;
			return MBEDTLS_ERR_NET_RECV_FAILED;
		}
		if (r == 0)
			return 0;
		io_buf.rx_off = 0;
		io_buf.rx_len = (size_t)r;
		io_buf.rx_drained = (size_t)r < sizeof(io_buf.rx);
	}
	if (n > io_buf.rx_len)
		n = io_buf.rx_len;
	memcpy(p, io_buf.rx + io_buf.rx_off, n);
	io_buf.rx_off += n;
	io_buf.rx_len -= n;
	return (int)n;
}

/* ${n} more bytes of events read: one record for each complete event. */
static int
fconn_answer(struct fconn *c, size_t n)
{
	static const unsigned char ack[1] = { 1 };
	unsigned events;

	c->partial += (unsigned)n;
	events = c->partial / c->f->size;
	c->partial %= c->f->size;
	c->f->events += events;
	while (events-- > 0) {
		if (mbedtls_ssl_write(&c->ssl, ack, sizeof(ack)) !=
		    (int)sizeof(ack))
			return -1;
		c->f->answered++;
	}
	return 0;
}

/*
 * Read every record the read-ahead holds, answering its events.  0 once
 * all is read, 1 if the peer closed, -1 on an error.
 */
static int
fconn_read(struct fconn *c)
{
	static unsigned char buf[FLOOR_RX_CAP];
	int rc;

	for (;;) {
		rc = mbedtls_ssl_read(&c->ssl, buf, sizeof(buf));
		if (rc > 0) {
			if (fconn_answer(c, (size_t)rc) != 0)
				return -1;
			continue;
		}
		if (rc == MBEDTLS_ERR_SSL_WANT_READ)
			return 0;
		if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 1;
		return -1;
	}
}

/* One wake-up of ${c}: handshake or read, then send what was written. */
static void
fconn_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fconn *c = fconn_arg(w->data);
	int rc = 0;

	(void)loop;
	(void)revents;
	io_buf.rx_len = 0;
	io_buf.rx_drained = 0;
	io_buf.tx_len = 0;
	if (c->state == FC_HANDSHAKE) {
		rc = mbedtls_ssl_handshake(&c->ssl);
		if (rc == 0) {
			fconn_set_state(c, FC_OPEN);
			c->f->opened++;
		} else
			rc = rc == MBEDTLS_ERR_SSL_WANT_READ ? 0 : -1;
	}
	if (rc == 0 && c->state == FC_OPEN)
		rc = fconn_read(c);
	/* A wake-up ends with the read-ahead empty (see io_buf). */
	if (rc == 0 && io_buf.rx_len > 0)
		rc = -1;
	if (rc < 0 || fconn_flush(c) != 0)
		fconn_free(c, 1);
	else if (rc == 1)
		fconn_free(c, 0);
}

/* Accept every waiting connection: TLS set up, reading its ClientHello. */
static void
floor_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct floor *f = floor_arg(w->data);
	struct fconn *c;
	int fd, one = 1;

	(void)revents;
	while ((fd = net_accept(f->lfd)) >= 0) {
		f->accepted++;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			f->failed++;
			continue;
		}
		c->magic = FCONN_MAGIC;
		c->f = f;
		c->fd = fd;
		mbedtls_ssl_init(&c->ssl);
		if ((c->next = f->conns) != NULL)
			c->next->prevp = &c->next;
		f->conns = c;
		c->prevp = &f->conns;
		ev_io_init(&c->io, fconn_on_io, fd, EV_READ);
		c->io.data = c;
		if (mbedtls_ssl_setup(&c->ssl, tls_conf_ssl(f->tls)) != 0) {
			fconn_free(c, 1);
			continue;
		}
		mbedtls_ssl_set_bio(&c->ssl, c, floor_bio_send,
		    floor_bio_recv, NULL);
		ev_io_start(loop, &c->io);
	}
	if (errno != EAGAIN) {		/* no spinning on EMFILE */
		fprintf(stderr, "gw-relay-floor: accept: %s; no more "
		    "connections taken\n", strerror(errno));
		ev_io_stop(loop, &f->accept_io);
	}
}

static void
floor_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	(void)floor_arg(w->data);
	ev_break(loop, EVBREAK_ALL);
}

struct opts {
	const char	*listen, *cert, *key, *ca;
	unsigned	 size;
};

/* Parse the command line into ${o}, or exit with the usage. */
static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	long v;
	char *end;
	int ch;

	*o = (struct opts){ .size = 200 };
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': o->listen = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'k': o->key = optarg; break;
		case 'a': o->ca = optarg; break;
		case 's':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 65536)
				usage();
			o->size = (unsigned)v;
			break;
		default: usage();
		}
	}
	if (optind != argc || o->listen == NULL || o->cert == NULL ||
	    o->key == NULL || o->ca == NULL)
		usage();
}

/* Set ${f} up for ${o}: TLS, the listening socket, signals; 0 or -1. */
static int
floor_init(struct floor *f, const struct opts *o)
{
	char err[300];

	*f = (struct floor){ .magic = FLOOR_MAGIC, .size = o->size,
	    .lfd = -1 };
	f->loop = EV_DEFAULT;		/* as gatewayd's */
	/* gatewayd's agent side: mutual TLS, TLS 1.2 allowed, 1.3 first. */
	if ((f->tls = tls_conf_new(&(struct tls_conf_params){
	    .cert = o->cert, .key = o->key, .ca = o->ca, .server = 1,
	    .tls12 = 1 }, err, sizeof(err))) == NULL ||
	    (f->lfd = net_listen(o->listen, err, sizeof(err))) < 0) {
		fprintf(stderr, "gw-relay-floor: %s\n", err);
		return -1;
	}
	ev_io_init(&f->accept_io, floor_on_accept, f->lfd, EV_READ);
	f->accept_io.data = f;
	ev_io_start(f->loop, &f->accept_io);
	ev_signal_init(&f->sigterm, floor_on_signal, SIGTERM);
	f->sigterm.data = f;
	ev_signal_start(f->loop, &f->sigterm);
	ev_signal_init(&f->sigint, floor_on_signal, SIGINT);
	f->sigint.data = f;
	ev_signal_start(f->loop, &f->sigint);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct floor f;

	parse_opts(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	if (floor_init(&f, &o) != 0) {
		tls_conf_free(f.tls);
		return 1;
	}
	printf("listening addr=%s size=%u\n", o.listen, o.size);
	fflush(stdout);
	ev_run(f.loop, 0);
	printf("accepted=%llu opened=%llu failed=%llu events=%llu "
	    "answered=%llu\n", f.accepted, f.opened, f.failed, f.events,
	    f.answered);
	while (f.conns != NULL)
		fconn_free(f.conns, 0);
	ev_io_stop(f.loop, &f.accept_io);
	close(f.lfd);
	tls_conf_free(f.tls);
	return 0;
}
