/*
 * syslog_in_tcp.c: the syslog input's TCP connections: accepted from
 * allowed senders up to max_connections, framed (RFC 6587) and pushed a
 * message at a time.  When the sink is full the connection stops being
 * read (its sender is back-pressured by TCP) until the sink calls back.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "syslog_in_impl.h"

static void syslog_conn_pump(struct syslog_conn *c);

/* The connection behind a callback's ${arg}; anything else aborts. */
static struct syslog_conn *
syslog_conn_arg(void *arg)
{
	struct syslog_conn *c = arg;

	if (c == NULL || c->magic != SYSLOG_CONN_MAGIC)
		abort();
	return c;
}

static void
syslog_conn_set_state(struct syslog_conn *c, enum syslog_conn_state st)
{
	static const char *const names[] = { "reading", "waiting", "closed" };

	log_debug("event=syslog_conn_state peer=%s from=%s to=%s", c->peer,
	    names[c->state], names[st]);
	c->state = st;
}

/**
 * syslog_conn_close(c, why): close and free connection ${c}.
 */
void
syslog_conn_close(struct syslog_conn *c, const char *why)
{
	struct syslog_in *in = c->in;

	syslog_conn_set_state(c, SYSLOG_CONN_CLOSED);
	sink_unwait(in->sink, &c->waiter);
	ev_io_stop(in->loop, &c->io);
	ev_timer_stop(in->loop, &c->idle);
	close(c->fd);
	TAILQ_REMOVE(&in->conns, c, entry);
	in->nconns--;
	log_info("event=syslog_conn_close peer=%s why=%s", c->peer, why);
	c->magic = 0;
	free(c);
}

/* Room came back: push the waiting message, then read on. */
static void
syslog_conn_resume(struct sink_waiter *w)
{
	struct syslog_conn *c = syslog_conn_arg((char *)w -
	    offsetof(struct syslog_conn, waiter));

	syslog_conn_pump(c);
}

/*
 * Push ${f} (read at ${ts}); on SINK_FULL keep it and wait for room.
 * 0 if it went, 1 if it waits, -1 if ${c} was closed.
 */
static int
syslog_conn_push(struct syslog_conn *c, const struct syslog_frame *f,
    double ts)
{
	int rc;

	rc = syslog_in_push(c->in, f->p, f->len, f->cut, "tcp", c->peer, ts);
	if (rc == SINK_OK) {
		if (c->state == SYSLOG_CONN_WAITING) {
			syslog_conn_set_state(c, SYSLOG_CONN_READING);
			if (c->in->conf.idle_timeout > 0)
				ev_timer_again(c->in->loop, &c->idle);
		}
		return 0;
	}
	if (rc == SINK_ERR) {
		syslog_conn_close(c, "sink");
		return -1;
	}
	if (c->state != SYSLOG_CONN_WAITING) {
		c->pend = *f;
		c->pend_ts = ts;
		syslog_conn_set_state(c, SYSLOG_CONN_WAITING);
		ev_io_stop(c->in->loop, &c->io);
		ev_timer_stop(c->in->loop, &c->idle);
	}
	sink_wait(c->in->sink, &c->waiter);
	return 1;
}

/* The framing broke (c->fr.err): counted, logged, closed. */
static void
syslog_conn_broken(struct syslog_conn *c)
{
	struct syslog_in *in = c->in;
	uint64_t quiet;

	in->st.frame_errors++;
	if (syslog_in_warn_ok(in, SYSLOG_W_FRAME, &quiet))
		log_warnx("event=syslog_frame_error peer=%s why=%s "
		    "max_message=%zu frame_errors=%llu not_logged=%llu",
		    c->peer, syslog_frame_err_str(c->fr.err), c->fr.cap,
		    (unsigned long long)in->st.frame_errors,
		    (unsigned long long)quiet);
	syslog_conn_close(c, "framing");
}

/*
 * Frame and push what was read; 0 when all of it went, 1 when a message
 * waits for room, -1 when ${c} was closed.
 */
static int
syslog_conn_frames(struct syslog_conn *c, int *pushed)
{
	struct syslog_frame f;
	size_t used;
	int rc;

	while (c->roff < c->rlen) {
		rc = syslog_frame_feed(&c->fr, c->rbuf + c->roff,
		    c->rlen - c->roff, &used, &f);
		c->roff += used;
		if (rc == SYSLOG_FRAME_ERR) {
			syslog_conn_broken(c);
			return -1;
		}
		if (rc == SYSLOG_FRAME_MSG) {
			if ((rc = syslog_conn_push(c, &f, ev_time())) != 0)
				return rc;
			(*pushed)++;
		}
	}
	return 0;
}

/*
 * The peer is done: its last LF message without a LF, then close.  1 if
 * that message waits for room (closed once it went), else -1 (closed).
 */
static int
syslog_conn_eof(struct syslog_conn *c, int *pushed)
{
	struct syslog_frame f;
	int rc;

	c->eof = 1;
	if (syslog_frame_flush(&c->fr, &f)) {
		if ((rc = syslog_conn_push(c, &f, ev_time())) != 0)
			return rc;
		(*pushed)++;
	} else if (c->fr.state == SYSLOG_FS_COUNTED ||
	    c->fr.state == SYSLOG_FS_LEN)
		c->in->st.incomplete++;
	syslog_conn_close(c, "eof");
	return -1;
}

/*
 * Read a burst: 0 to go on (the socket has no more now), 1 when a
 * message waits for room, -1 when ${c} was closed.
 */
static int
syslog_conn_read(struct syslog_conn *c, int *pushed)
{
	ssize_t n;
	int i, rc;

	/* What a full sink left unframed first; nothing left after. */
	if ((rc = syslog_conn_frames(c, pushed)) != 0)
		return rc;
	for (i = 0; i < SYSLOG_BURST; i++) {
		n = read(c->fd, c->rbuf, sizeof(c->rbuf));
		if (n == 0)
			return syslog_conn_eof(c, pushed);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			log_warn("event=syslog_read_failed peer=%s", c->peer);
			syslog_conn_close(c, "error");
			return -1;
		}
		c->roff = 0;
		c->rlen = (size_t)n;
		if (c->in->conf.idle_timeout > 0)
			ev_timer_again(c->in->loop, &c->idle);
		if ((rc = syslog_conn_frames(c, pushed)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Push what waits, frame what was read, read more: until the socket has
 * nothing more now (watch it), the sink is full (wait), or the
 * connection ends.  Commit what was pushed.
 */
static void
syslog_conn_pump(struct syslog_conn *c)
{
	struct syslog_in *in = c->in;
	int pushed = 0, rc = 0;

	if (c->state == SYSLOG_CONN_WAITING) {
		rc = syslog_conn_push(c, &c->pend, c->pend_ts);
		if (rc == 0) {
			pushed++;
			if (c->eof) {
				syslog_conn_close(c, "eof");
				rc = -1;
			}
		}
	}
	if (rc == 0 && (rc = syslog_conn_read(c, &pushed)) == 0)
		ev_io_start(in->loop, &c->io);
	if (pushed > 0)
		syslog_in_commit(in);
}

static void
syslog_conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	syslog_conn_pump(syslog_conn_arg(w->data));
}

static void
syslog_conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	syslog_conn_close(syslog_conn_arg(w->data), "idle");
}

/** syslog_conn_idle(in, t): a new idle timeout for every connection. */
void
syslog_conn_idle(struct syslog_in *in, double t)
{
	struct syslog_conn *c;

	TAILQ_FOREACH(c, &in->conns, entry) {
		c->idle.repeat = t;
		if (t <= 0)
			ev_timer_stop(in->loop, &c->idle);
		else if (c->state == SYSLOG_CONN_READING)
			ev_timer_again(in->loop, &c->idle);
	}
}

/* Whether ${fd} from ${sa} may stay: 1, or 0 (closed, counted). */
static int
syslog_conn_admit(struct syslog_in *in, int fd, const struct sockaddr *sa,
    const char *peer)
{
	uint64_t quiet;

	if (!syslog_allowed(in->conf.allow, in->conf.nallow, sa)) {
		close(fd);
		syslog_in_refused(in, "tcp", peer);
		return 0;
	}
	if (in->nconns >= in->conf.max_connections) {
		close(fd);
		in->st.conns_refused++;
		if (syslog_in_warn_ok(in, SYSLOG_W_CONNS, &quiet))
			log_warnx("event=syslog_conn_refused peer=%s why=max "
			    "max_connections=%u conns_refused=%llu "
			    "not_logged=%llu", peer, in->conf.max_connections,
			    (unsigned long long)in->st.conns_refused,
			    (unsigned long long)quiet);
		return 0;
	}
	return 1;
}

/* A new connection ${fd} from ${peer}: watched, or closed if no memory. */
static void
syslog_conn_new(struct syslog_in *in, int fd, const char *peer)
{
	struct syslog_conn *c;

	if ((c = calloc(1, sizeof(*c) + in->conf.max_message)) == NULL) {
		log_warn("event=syslog_conn_refused peer=%s why=memory", peer);
		close(fd);
		return;
	}
	c->magic = SYSLOG_CONN_MAGIC;
	c->in = in;
	c->fd = fd;
	sink_waiter_init(&c->waiter, syslog_conn_resume);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	syslog_frame_init(&c->fr, c->msg, in->conf.max_message);
	ev_io_init(&c->io, syslog_conn_io_cb, fd, EV_READ);
	ev_init(&c->idle, syslog_conn_idle_cb);
	c->idle.repeat = in->conf.idle_timeout;
	c->io.data = c->idle.data = c;
	TAILQ_INSERT_TAIL(&in->conns, c, entry);
	in->nconns++;
	log_info("event=syslog_conn_open peer=%s conns=%u", c->peer,
	    in->nconns);
	ev_io_start(in->loop, &c->io);
	if (c->idle.repeat > 0)
		ev_timer_again(in->loop, &c->idle);
}

/** syslog_conn_accept(in): accept what waits on the TCP listener. */
void
syslog_conn_accept(struct syslog_in *in)
{
	struct sockaddr_storage ss;
	char peer[SYSLOG_PEER_MAX];
	socklen_t sl;
	int fd, i;

	for (i = 0; i < SYSLOG_BURST && in->tcp_fd >= 0; i++) {
		sl = sizeof(ss);
		fd = accept4(in->tcp_fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("event=syslog_accept_failed");
			return;
		}
		net_sa_str((struct sockaddr *)&ss, peer, sizeof(peer));
		if (syslog_conn_admit(in, fd, (struct sockaddr *)&ss, peer))
			syslog_conn_new(in, fd, peer);
	}
}
