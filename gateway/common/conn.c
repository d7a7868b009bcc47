/*
 * conn.c: a framed TLS connection over a non-blocking socket, driven by
 * libev.  All TLS I/O of every program goes through conn_process(): the one
 * place that knows mbedTLS's non-blocking contract (WANT_READ/WANT_WRITE in
 * either direction, pinned writes, data already buffered inside the TLS
 * context).  One io watcher per socket, its event mask derived from state.
 * The input and output buffers exist only while they hold bytes: an idle
 * connection (most of a gateway's) costs its TLS context and this struct.
 * Its output side (conn_send, the flush when the loop is about to wait,
 * pinned writes, on_writable) is conn_out.c.
 *
 * A closed conn is freed, with its owner (ops->on_free), only by the loop
 * before it waits (conn_reap), where no callback of any object is on the
 * stack: a call that closes something, however deep, leaves every caller
 * above it an allocated object in its closed state, never a freed one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "conn.h"
#include "conn_impl.h"
#include "net.h"


/* Closed conns, which conn_reap frees (through conn.fq; see conn_out.c). */
static TAILQ_HEAD(, conn) conn_dead = TAILQ_HEAD_INITIALIZER(conn_dead);

/*
 * The transitions conn_set_state allows, by state: a conn is born
 * connecting (client; calloc's zero) or goes at once to handshake (server),
 * a client dialing a name connects again to its next address when a
 * handshake fails (conn_dial.c), and any state but closed may close.
 */
static const unsigned conn_next[] = {
	[CONN_CONNECTING] = 1u << CONN_HANDSHAKE | 1u << CONN_CLOSED,
	[CONN_HANDSHAKE] = 1u << CONN_OPEN | 1u << CONN_CONNECTING |
	    1u << CONN_CLOSED,
	[CONN_OPEN] = 1u << CONN_CLOSED,
	[CONN_CLOSED] = 0
};

/**
 * conn_set_state(c, s): the one writer of ${c}'s state: a transition not
 * in conn_next is a bug here, and aborts (as a bad magic does) rather than
 * run on.
 */
void
conn_set_state(struct conn *c, enum conn_state s)
{
	if ((unsigned)c->state >= sizeof(conn_next) / sizeof(conn_next[0]) ||
	    !(conn_next[c->state] & 1u << s))
		abort();
	c->state = s;
}

/**
 * conn_update_io(c): watch the events ${c}'s state asks for.  The event
 * mask is derived from state, never stored beside it.
 */
void
conn_update_io(struct conn *c)
{
	int mask = 0;

	switch (c->state) {
	case CONN_CONNECTING:
		mask = c->fd >= 0 ? EV_WRITE : 0;	/* -1: resolving */
		break;
	case CONN_HANDSHAKE:
		mask = c->rd_want ? c->rd_want : EV_READ;
		break;
	case CONN_OPEN:
		if (!c->paused && c->in_len < c->in_cap)
			mask |= c->rd_want ? c->rd_want : EV_READ;
		if (c->out_len > 0 && !c->on_fq)
			mask |= c->wr_want ? c->wr_want : EV_WRITE;
		break;
	case CONN_CLOSED:
		return;
	}
	if (mask == (c->io.events & (EV_READ | EV_WRITE)) &&
	    ev_is_active(&c->io))
		return;
	ev_io_stop(c->loop, &c->io);
	if (mask != 0) {
		ev_io_set(&c->io, c->fd, mask);
		ev_io_start(c->loop, &c->io);
	}
}

/* Free closed ${c} and its owner: no callback may be on the stack. */
static void
conn_free(struct conn *c)
{
	if (c->ops->on_free != NULL)
		c->ops->on_free(c->arg);
	c->magic = 0;
	free(c->in);
	free(c->out);
	free(c->rx);
	free(c);
}

static void
conn_on_once(int revents, void *arg)
{
	struct conn *c = arg;

	(void)revents;
	CONN_CHECK(c);
	conn_free(c);
}

/* Closed ${c} waits for the loop to free it. */
static void
conn_bury(struct conn *c)
{
	if (!conn_queue_loop(c->loop)) {
		ev_once(c->loop, -1, 0, 0., conn_on_once, c);
		return;
	}
	TAILQ_INSERT_TAIL(&conn_dead, c, fq);
	conn_out_wake(c->loop);
}

/*
 * ${c}'s handshake failed (${reason}, ${detail}): a client dialing a name
 * tries its next address (0); else ${c} closes (-1).
 */
static int
conn_handshake_failed(struct conn *c, unsigned reason, const char *detail)
{
	char why[384];

	if (conn_dial_redial(c, detail, why, sizeof(why)) == 0)
		return 0;
	conn_close(c, reason, detail);
	return -1;
}

/* Returns 0 to go on, -1 if the conn was closed. */
static int
conn_handshake(struct conn *c)
{
	char detail[256];
	int rc;

	rc = conn_hs_step(c);
	if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
		c->rd_want = EV_READ;
		return 0;
	}
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		c->rd_want = EV_WRITE;
		return 0;
	}
	/*
	 * The peer went away (EOF or reset) without a word of TLS: it
	 * closed, as it may at any stage (a gateway sheds connections it
	 * cannot take yet); it did not refuse the handshake, which takes
	 * an alert.  A client must not take that for a refusal.
	 */
	if (rc == MBEDTLS_ERR_SSL_CONN_EOF)
		return conn_handshake_failed(c, GW_R_PEER_CLOSED, "peer "
		    "closed during the TLS handshake");
	if (rc == MBEDTLS_ERR_NET_CONN_RESET)
		return conn_handshake_failed(c, GW_R_PEER_CLOSED, "connection "
		    "reset during the TLS handshake");
	if (rc != 0) {
		conn_tls_detail(c, rc, detail, sizeof(detail));
		return conn_handshake_failed(c, GW_R_TLS_HANDSHAKE, detail);
	}
	c->rd_want = 0;
	conn_set_state(c, CONN_OPEN);
	conn_dial_free(c);		/* the name is dialed */
	conn_tls_opened(c);
	if (c->ops->on_open != NULL && c->ops->on_open(c, c->arg) != 0)
		return -1;
	if (c->state == CONN_CLOSED)
		return -1;
	conn_tls_forget_peer(c);
	return 0;
}

/* Decode buffered frames; 0 to go on, -1 if closed. */
static int
conn_dispatch(struct conn *c)
{
	struct gw_frame f;
	size_t used;
	int rc;

	while (!c->paused && c->in_len > 0) {
		rc = gw_frame_decode(c->in + c->in_off, c->in_len,
		    c->max_payload, &f, &used);
		if (rc == GW_ENEED)
			break;
		if (rc != GW_OK) {
			conn_close_error(c, rc == GW_PERR_LEN_TOO_BIG ?
			    GW_R_TOO_BIG : GW_R_PROTOCOL, "bad frame: %s",
			    gw_perr_str(rc));
			return -1;
		}
		rc = c->ops->on_frame(c, &f, c->arg);
		if (rc == CONN_CLOSED_RC || c->state == CONN_CLOSED)
			return -1;
		if (rc == CONN_PAUSE) {
			c->paused = 1;
			break;
		}
		c->in_off += used;
		c->in_len -= used;
	}
	if (c->in_len == 0)
		c->in_off = 0;
	else if (c->in_off > 0 && c->in_off + c->in_len == c->in_cap) {
		memmove(c->in, c->in + c->in_off, c->in_len);
		c->in_off = 0;
	}
	return 0;
}

/* Read until TLS has nothing more, the buffer is full, or we pause. */
static int
conn_read(struct conn *c)
{
	char e[128];
	int rc, held = 0;

	while (!c->paused && c->state == CONN_OPEN) {
		size_t tail = c->in_off + c->in_len;

		if (c->in == NULL && (c->in = malloc(c->in_cap)) == NULL) {
			conn_close(c, GW_R_OVERLOAD, "out of memory");
			return -1;
		}
		if (tail == c->in_cap) {
			if (c->in_off == 0)
				return 0;	/* full: a frame is pending */
			memmove(c->in, c->in + c->in_off, c->in_len);
			c->in_off = 0;
			tail = c->in_len;
		}
		rc = mbedtls_ssl_read(&c->ssl, c->in + tail, c->in_cap - tail);
		if (rc > 0) {
			c->in_len += (size_t)rc;
			if (conn_dispatch(c) != 0)
				return -1;
			continue;
		}
		/*
		 * A TLS 1.3 client holds a NewSessionTicket back and says
		 * WANT_READ; the next call takes it.  The socket may have
		 * nothing more to wake us, so call again now.
		 */
		if (rc == MBEDTLS_ERR_SSL_WANT_READ &&
		    mbedtls_ssl_check_pending(&c->ssl) && held++ < 2)
			continue;
		if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
			c->rd_want = EV_READ;
			return 0;
		}
		if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
			c->rd_want = EV_WRITE;
			return 0;
		}
		if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			conn_tls_keep_ticket(c);
			continue;
		}
		if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			conn_close(c, GW_R_PEER_CLOSED, "peer closed");
			return -1;
		}
		if (rc == MBEDTLS_ERR_NET_CONN_RESET) {
			conn_close(c, GW_R_PEER_CLOSED, "connection reset");
			return -1;
		}
		conn_close(c, GW_R_TLS_ERROR, tls_strerror(rc, e, sizeof(e)));
		return -1;
	}
	return 0;
}

static int
conn_connected(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	char why[128];

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		if (conn_dial_next(c, err, why, sizeof(why)) == 0)
			return 0;	/* the name's next address */
		conn_close(c, GW_R_CONNECT, why);
		return -1;
	}
	conn_set_state(c, CONN_HANDSHAKE);
	return 0;
}

/**
 * conn_trim(c): give back the buffers that hold nothing (they come back on
 * demand).
 */
void
conn_trim(struct conn *c)
{
	if (c->in != NULL && c->in_len == 0) {
		free(c->in);
		c->in = NULL;
		c->in_off = 0;
	}
	if (c->out != NULL && c->out_len == 0 && c->out_pin == 0) {
		free(c->out);
		c->out = NULL;
		c->out_off = 0;
	}
	if (c->rx != NULL && c->rx_len == 0) {
		free(c->rx);
		c->rx = NULL;
	}
}

/**
 * conn_process(c): ${c} is ready: its handshake step, or its output, input
 * and frames (the one place the TLS I/O of every program goes through).
 */
void
conn_process(struct conn *c)
{
	if (conn_hs_defer(c))
		return;		/* conn_hs.c comes back to it */
	c->busy++;
	c->rd_want = c->wr_want = 0;
	if (c->state == CONN_CONNECTING && conn_connected(c) != 0)
		goto out;
	if (c->state == CONN_HANDSHAKE && conn_handshake(c) != 0)
		goto out;
	if (c->state != CONN_OPEN)
		goto update;
	if (conn_flush(c) != 0 || conn_dispatch(c) != 0 || conn_read(c) != 0)
		goto out;
	if (c->out_len > 0 && c->out_pin == 0 && conn_flush(c) != 0)
		goto out;
update:
	conn_update_io(c);
	conn_trim(c);
out:
	c->busy--;
}

static void
conn_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	CONN_CHECK(c);
	if (revents & EV_READ)
		c->rx_drained = 0;	/* the socket has bytes again */
	conn_process(c);
}

static void
conn_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	CONN_CHECK(c);
	c->busy++;
	if (c->ops->on_timeout != NULL)
		c->ops->on_timeout(c, c->arg);
	else
		conn_close(c, GW_R_TIMEOUT, "timer expired");
	c->busy--;
}

/* Free ${c}, never started (no watcher, no owner call): a failed set-up. */
static void
conn_discard(struct conn *c)
{
	mbedtls_ssl_free(&c->ssl);
	tls_conf_free(c->tc);
	free(c);
}

static struct conn *
conn_new(struct ev_loop *loop, int fd, const struct tls_conf *tc,
    const struct conn_params *p, const struct conn_ops *ops, void *arg,
    int server)
{
	struct conn *c;
	int one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->magic = CONN_MAGIC;
	c->fd = fd;
	c->loop = loop;
	c->ops = ops;
	c->arg = arg;
	c->max_payload = p->max_payload;
	c->record_per_frame = p->record_per_frame;
	c->server = server;
	c->hs_budget = server ? p->hs_budget : 0;
	c->ticket = server ? NULL : p->ticket;
	c->in_cap = p->in_cap;		/* allocated when bytes come */
	c->out_cap = p->out_cap;
	if (fd >= 0) {		/* -1: a name, resolving (conn_dial.c) */
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	mbedtls_ssl_init(&c->ssl);
	if (conn_tls_setup(c, tc, server ? NULL : p->server_name) != 0)
		goto fail;
	ev_io_init(&c->io, conn_on_io, fd, EV_READ);
	c->io.data = c;
	ev_timer_init(&c->tmr, conn_on_timer, 0., 0.);
	c->tmr.data = c;
	return c;
fail:
	conn_discard(c);
	return NULL;
}

/**
 * conn_accept(loop, fd, tc, p, ops, arg): wrap the accepted socket ${fd}
 * (made non-blocking here) as a TLS server connection and start its
 * handshake.  Return NULL on error (${fd} is then closed).
 */
struct conn *
conn_accept(struct ev_loop *loop, int fd, const struct tls_conf *tc,
    const struct conn_params *p, const struct conn_ops *ops, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct conn *c;

	if ((c = conn_new(loop, fd, tc, p, ops, arg, 1)) == NULL) {
		close(fd);
		return NULL;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		net_sa_str((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
	conn_set_state(c, CONN_HANDSHAKE);
	conn_update_io(c);
	return c;
}

/**
 * conn_connect(loop, addr, tc, p, ops, arg): start a non-blocking TCP
 * connect to ${addr} ("IP:port", "[IPv6]:port" or "NAME:port") followed by
 * a TLS client handshake.  A name is resolved on ${loop} (conn_dial.c)
 * and its addresses tried in turn, each but the last with its share of
 * ${c}'s timer (conn_timer), which starts at the first address; the conn
 * closes (GW_R_CONNECT) if it does not resolve, or with the last
 * address's reason if none completes the handshake.  The server
 * certificate must name ${p}->server_name, or else the host dialed (name
 * or address; a name's final '.' left out).  Return NULL if the connect
 * failed at once (errno set; EINVAL: bad address).
 */
struct conn *
conn_connect(struct ev_loop *loop, const char *addr, const struct tls_conf *tc,
    const struct conn_params *p, const struct conn_ops *ops, void *arg)
{
	struct conn_params cp = *p;
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	socklen_t sl = 0;
	char host[256], sni[256], why[160];
	const char *port;
	struct conn *c;
	int fd = -1;

	/* A numeric address connects at once; a name is resolved first. */
	if ((port = net_addr_host(addr, host, sizeof(host))) == NULL ||
	    (net_parse_addr(addr, &ss, &sl) != 0 &&
	    net_dial_addr_ok(addr, why, sizeof(why)) != 0)) {
		errno = EINVAL;
		return NULL;
	}
	/*
	 * No name given: the address or the name dialed ("[::1]" -> "::1"),
	 * a name without its final '.' ("gw.test." -> "gw.test").
	 */
	cp.server_name = net_server_name(cp.server_name != NULL ?
	    cp.server_name : host, sni, sizeof(sni));
	if (ss.ss_family != AF_UNSPEC &&
	    (fd = net_connect_sa((struct sockaddr *)&ss, sl)) < 0)
		return NULL;
	if ((c = conn_new(loop, fd, tc, &cp, ops, arg, 0)) == NULL)
		goto fail;
	snprintf(c->peer, sizeof(c->peer), "%s", addr);	/* connecting */
	if (fd < 0 && conn_dial_start(c, host, port, cp.server_name) != 0) {
		conn_discard(c);
		goto fail;
	}
	conn_update_io(c);
	return c;
fail:
	if (fd >= 0)
		close(fd);
	errno = ENOMEM;
	return NULL;
}

/**
 * conn_input_pending(c): 1 if bytes from the peer wait to be processed
 * (in the socket, in TLS, or in the input buffer), else 0.  A heartbeat
 * that fires after the process was stalled must look here before it calls
 * a peer silent: the peer's answer may be waiting behind the timer.
 */
int
conn_input_pending(const struct conn *c)
{
	int n = 0;

	if (c->state == CONN_CLOSED)
		return 0;
	if (c->in_len > 0 || c->rx_len > 0 ||
	    mbedtls_ssl_get_bytes_avail(&c->ssl) > 0)
		return 1;
	return ioctl(c->fd, FIONREAD, &n) == 0 && n > 0;
}

/** conn_resume(c): undo CONN_PAUSE: decode buffered frames, read again. */
void
conn_resume(struct conn *c)
{
	CONN_CHECK(c);
	if (c->state != CONN_OPEN || !c->paused)
		return;
	c->paused = 0;
	/*
	 * Frames may wait in our buffer and records inside the TLS context,
	 * where the socket will not signal them: run the io callback soon,
	 * from the loop, so that no owner callback recurses into another.
	 */
	ev_feed_event(c->loop, &c->io, EV_READ);
}

/**
 * conn_timer(c, seconds): (re)arm ${c}'s one timer to fire once after
 * ${seconds}; 0 stops it.  While ${c}'s name resolves, it is held: it
 * starts when the first address is dialed.
 */
void
conn_timer(struct conn *c, double seconds)
{
	CONN_CHECK(c);
	if (conn_dial_hold(c, seconds) == 0)
		return;		/* resolving: from the first address on */
	ev_timer_stop(c->loop, &c->tmr);
	if (seconds > 0 && c->state != CONN_CLOSED) {
		ev_timer_set(&c->tmr, seconds, 0.);
		ev_timer_start(c->loop, &c->tmr);
	}
}

/**
 * conn_close(c, reason, detail): the one exit.  Try once to flush pending
 * output and send close_notify (never blocks), call ops->on_close, release
 * the socket and TLS state; ${c} stays allocated (closed) until the loop
 * frees it, and its owner with ops->on_free.  Safe in any state; a second
 * call is a no-op.
 */
void
conn_close(struct conn *c, unsigned reason, const char *detail)
{
	enum conn_state prev;

	CONN_CHECK(c);
	if (c->state == CONN_CLOSED)
		return;
	prev = c->state;
	conn_set_state(c, CONN_CLOSED);
	conn_out_unqueue(c);
	conn_hs_unqueue(c);
	if (prev == CONN_OPEN) {
		if (c->out_len > 0)
			(void)mbedtls_ssl_write(&c->ssl, c->out + c->out_off,
			    c->out_pin ? c->out_pin : c->out_len);
		(void)mbedtls_ssl_close_notify(&c->ssl);
	}
	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->tmr);
	c->busy++;
	if (c->ops->on_close != NULL)
		c->ops->on_close(c, reason, detail ? detail : "", c->arg);
	c->busy--;
	mbedtls_ssl_free(&c->ssl);
	tls_resumed_clear(&c->res);
	free(c->peer_der);
	c->peer_der = NULL;
	tls_conf_free(c->tc);
	c->tc = NULL;
	conn_dial_free(c);		/* no resolver callback after this */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	conn_bury(c);
}

/**
 * conn_close_error(c, code, fmt, ...): tell the peer why, then close: if
 * ${c} is open and ${code} is a wire reason other than GW_R_NORMAL, queue
 * ERROR(${code}, text) best effort (its text cut to CONN_ERROR_TEXT_MAX
 * bytes), then conn_close(c, ${code}, text), which tries once to flush it.
 * The text is formatted from ${fmt} as printf(3) does, up to 255 bytes.
 * Safe in any state, as conn_close; the owner's one ERROR-then-close.
 */
void
conn_close_error(struct conn *c, unsigned code, const char *fmt, ...)
{
	struct gw_frame e = { .type = GW_T_ERROR };
	char text[256];
	va_list ap;

	CONN_CHECK(c);
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (c->state == CONN_OPEN && code <= GW_R_WIRE_LAST &&
	    code != GW_R_NORMAL) {
		e.u.reason.code = (uint16_t)code;
		e.u.reason.text.p = (const uint8_t *)text;
		e.u.reason.text.len = (uint16_t)strnlen(text,
		    CONN_ERROR_TEXT_MAX);
		(void)conn_send(c, &e);
	}
	conn_close(c, code, text);
}

/**
 * conn_reap(): free every closed conn now (ops->on_free first).  The loop
 * does it before it waits; call it only where no callback is on the stack,
 * e.g. after ev_run has returned and everything was closed.
 */
void
conn_reap(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&conn_dead)) != NULL) {
		TAILQ_REMOVE(&conn_dead, c, fq);
		conn_free(c);
	}
}

/** conn_state(c): the connection state. */
enum conn_state
conn_state(const struct conn *c)
{
	return c->state;
}

/** conn_state_str(s): "connecting", "handshake", "open" or "closed". */
const char *
conn_state_str(enum conn_state s)
{
	static const char *const names[] = {
		"connecting", "handshake", "open", "closed"
	};

	return (unsigned)s < 4 ? names[s] : "?";
}

/** conn_peer(c): the peer address as "ip:port". */
const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

/** conn_set_arg(c, arg): change the owner pointer passed to callbacks. */
void
conn_set_arg(struct conn *c, void *arg)
{
	c->arg = arg;
}

/**
 * conn_set_ops(c, ops, arg): hand ${c} to a new owner: its callbacks are
 * ${ops} with ${arg} from now on (an accepted connection whose owner is
 * known only once its handshake is done, from the peer's certificate).
 */
void
conn_set_ops(struct conn *c, const struct conn_ops *ops, void *arg)
{
	c->ops = ops;
	c->arg = arg;
}
