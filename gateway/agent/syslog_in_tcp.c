/*
 * syslog_in_tcp.c: the syslog input's TCP connections: accepted from
 * allowed senders up to max_connections, framed (RFC 6587) and pushed a
 * message at a time.  When the sink is full the connection stops being
 * read (its sender is back-pressured by TCP) until the sink calls back.
 * A push or a commit may stop the whole input (a sink that failed stops
 * every input): the input outlives its connections, so after each one
 * in->stopped says whether the connection is still there.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

/*
 * What ${c} holds that will never be pushed, counted discarded: the
 * message waiting for room, a message framed in part (unless the EOF
 * counted it incomplete), and every byte read or readable not pushed.
 */
static void
syslog_conn_discard(struct syslog_conn *c)
{
	struct syslog_in *in = c->in;
	uint64_t bytes = c->rlen - c->roff;
	int unread = 0;

	if (c->state == SYSLOG_CONN_WAITING) {
		in->st.discarded++;
		bytes += c->pend.len;
	}
	if (!c->eof && (c->fr.state == SYSLOG_FS_LEN ||
	    c->fr.state == SYSLOG_FS_COUNTED ||
	    c->fr.state == SYSLOG_FS_LINE)) {
		in->st.discarded++;
		bytes += c->fr.len;
	}
	if (ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0)
		bytes += (uint64_t)unread;
	in->st.discarded_bytes += bytes;
}

/**
 * syslog_conn_close(c, why): close and free connection ${c}.
 */
void
syslog_conn_close(struct syslog_conn *c, const char *why)
{
	struct syslog_in *in = c->in;

	syslog_conn_discard(c);
	syslog_conn_set_state(c, SYSLOG_CONN_CLOSED);
	sink_unwait(in->sink, &c->waiter);
	ev_io_stop(in->loop, &c->io);
	ev_timer_stop(in->loop, &c->idle);
	close(c->fd);
	TAILQ_REMOVE(&in->conns, c, entry);
	in->nconns--;
	log_debug("event=syslog_conn_close peer=%s why=%s conns=%u", c->peer,
	    why, in->nconns);
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

/* A message was framed: the idle timeout starts again. */
static void
syslog_conn_framed(struct syslog_conn *c)
{
	c->nmsgs++;
	c->last_msg = ev_now(c->in->loop);
	c->idle.repeat = c->in->conf.idle_timeout;
	ev_timer_again(c->in->loop, &c->idle);		/* 0: stopped */
}

/*
 * Push ${f} (read at ${ts}); on SINK_FULL keep it and wait for room.
 * 0 if it went, 1 if it waits, -1 if ${c} was closed (or the input
 * stopped: then ${c} is gone, freed by the stop).
 */
static int
syslog_conn_push(struct syslog_conn *c, const struct syslog_frame *f,
    double ts)
{
	struct syslog_in *in = c->in;
	int rc;

	rc = syslog_in_push(in, f->p, f->len, f->cut, "tcp", c->peer, ts);
	if (in->stopped)
		return -1;
	if (rc == SINK_OK) {
		if (c->state == SYSLOG_CONN_WAITING) {
			syslog_conn_set_state(c, SYSLOG_CONN_READING);
			c->idle.repeat = in->conf.idle_timeout;
			ev_timer_again(in->loop, &c->idle);
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
			syslog_conn_framed(c);
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
		syslog_conn_framed(c);
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
 * A read failed (errno): counted, closed.  A reset (a sender gone at
 * once, as a churn of connections is) is logged at debug only, any
 * other error at most once every SYSLOG_WARN_EVERY.
 */
static void
syslog_conn_read_failed(struct syslog_conn *c)
{
	struct syslog_in *in = c->in;
	int e = errno;
	uint64_t quiet;

	in->st.read_errors++;
	if (e == ECONNRESET)
		log_debug("event=syslog_conn_reset peer=%s", c->peer);
	else if (syslog_in_warn_ok(in, SYSLOG_W_READ, &quiet))
		log_warnx("event=syslog_read_failed peer=%s error=\"%s\" "
		    "read_errors=%llu not_logged=%llu", c->peer, strerror(e),
		    (unsigned long long)in->st.read_errors,
		    (unsigned long long)quiet);
	syslog_conn_close(c, e == ECONNRESET ? "reset" : "error");
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
			syslog_conn_read_failed(c);
			return -1;
		}
		c->roff = 0;
		c->rlen = (size_t)n;
		if ((rc = syslog_conn_frames(c, pushed)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Push what waits, frame what was read, read more: until the socket has
 * nothing more now (watch it), the sink is full (wait), or the
 * connection ends.  Commit what was pushed.  ${c} is not touched after a
 * push that stopped the input, nor after the commit.
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

/* No message in time (the first one, or one in idle_timeout). */
static void
syslog_conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct syslog_conn *c = syslog_conn_arg(w->data);

	(void)loop;
	(void)revents;
	c->in->st.conns_timed_out++;
	syslog_conn_close(c, c->nmsgs == 0 ? "no_message" : "idle");
}

/**
 * syslog_conn_idle(in, t): a new idle timeout for every connection (one
 * still without its first message keeps its deadline for it).
 */
void
syslog_conn_idle(struct syslog_in *in, double t)
{
	struct syslog_conn *c;

	TAILQ_FOREACH(c, &in->conns, entry) {
		if (c->nmsgs == 0 || c->state != SYSLOG_CONN_READING)
			continue;
		c->idle.repeat = t;
		ev_timer_again(in->loop, &c->idle);	/* 0: stopped */
	}
}

/**
 * syslog_conn_reloaded(in): close each connection whose peer the allow
 * list no longer names, or accepted on a listener since replaced; the
 * number closed.
 */
unsigned
syslog_conn_reloaded(struct syslog_in *in)
{
	struct syslog_conn *c, *next;
	unsigned n = 0;

	for (c = TAILQ_FIRST(&in->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->gen == in->tcp_gen && syslog_allowed(in->conf.allow,
		    in->conf.nallow, (struct sockaddr *)&c->sa))
			continue;
		syslog_conn_close(c, "reload");
		in->st.conns_reload++;
		n++;
	}
	return n;
}

/*
 * The connections are all taken: close the one that has gone longest
 * without a whole message (one waiting for room is never chosen: it
 * did send one).  1 if one was, else 0.
 */
static int
syslog_conn_evict(struct syslog_in *in, const char *peer)
{
	struct syslog_conn *c, *old = NULL;
	uint64_t quiet;

	TAILQ_FOREACH(c, &in->conns, entry)
		if (c->state == SYSLOG_CONN_READING &&
		    (old == NULL || c->last_msg < old->last_msg))
			old = c;
	if (old == NULL)
		return 0;
	in->st.conns_evicted++;
	if (syslog_in_warn_ok(in, SYSLOG_W_EVICT, &quiet))
		log_warnx("event=syslog_conn_evicted peer=%s for=%s "
		    "silent=%.3f max_connections=%u conns_evicted=%llu "
		    "not_logged=%llu", old->peer, peer,
		    ev_now(in->loop) - old->last_msg, in->conf.max_connections,
		    (unsigned long long)in->st.conns_evicted,
		    (unsigned long long)quiet);
	syslog_conn_close(old, "evicted");
	return 1;
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
	while (in->nconns >= in->conf.max_connections &&
	    syslog_conn_evict(in, peer))
		;
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

/*
 * A new connection ${fd} from ${peer} (address ${sa}): watched, with
 * a deadline for its first message, or closed if no memory.
 */
static void
syslog_conn_new(struct syslog_in *in, int fd, const char *peer,
    const struct sockaddr_storage *sa)
{
	double first = SYSLOG_FIRST_MSG;

	struct syslog_conn *c;

	if ((c = calloc(1, sizeof(*c) + in->conf.max_message)) == NULL) {
		log_warn("event=syslog_conn_refused peer=%s why=memory", peer);
		close(fd);
		return;
	}
	c->magic = SYSLOG_CONN_MAGIC;
	c->in = in;
	c->fd = fd;
	c->sa = *sa;
	c->gen = in->tcp_gen;
	c->last_msg = ev_now(in->loop);
	sink_waiter_init(&c->waiter, syslog_conn_resume);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	syslog_frame_init(&c->fr, c->msg, in->conf.max_message);
	ev_io_init(&c->io, syslog_conn_io_cb, fd, EV_READ);
	if (in->conf.idle_timeout > 0 && in->conf.idle_timeout < first)
		first = in->conf.idle_timeout;
	ev_timer_init(&c->idle, syslog_conn_idle_cb, first, 0.);
	c->io.data = c->idle.data = c;
	TAILQ_INSERT_TAIL(&in->conns, c, entry);
	in->nconns++;
	in->st.conns_accepted++;
	log_debug("event=syslog_conn_open peer=%s conns=%u", c->peer,
	    in->nconns);
	ev_io_start(in->loop, &c->io);
	ev_timer_start(in->loop, &c->idle);
}

/*
 * accept() failed (errno): counted, logged now and then; out of
 * descriptors or memory, the listener rests SYSLOG_ACCEPT_PAUSE (else
 * the loop would spin on it, as it stays readable).
 */
static void
syslog_conn_accept_failed(struct syslog_in *in)
{
	int e = errno, pause;
	uint64_t quiet;

	pause = e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
	in->st.accept_errors++;
	if (syslog_in_warn_ok(in, SYSLOG_W_ACCEPT, &quiet))
		log_warnx("event=syslog_accept_failed error=\"%s\" pause=%.1f "
		    "conns=%u accept_errors=%llu not_logged=%llu",
		    strerror(e), pause ? SYSLOG_ACCEPT_PAUSE : 0., in->nconns,
		    (unsigned long long)in->st.accept_errors,
		    (unsigned long long)quiet);
	if (pause && !ev_is_active(&in->accept_pause)) {
		ev_io_stop(in->loop, &in->tcp_io);
		ev_timer_set(&in->accept_pause, SYSLOG_ACCEPT_PAUSE, 0.);
		ev_timer_start(in->loop, &in->accept_pause);
	}
}

/** syslog_conn_pause_cb: the accept pause is over: watch the listener. */
void
syslog_conn_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct syslog_in *in = w->data;

	(void)revents;
	if (in == NULL || in->magic != SYSLOG_IN_MAGIC)
		abort();
	if (!in->stopped && in->tcp_fd >= 0)
		ev_io_start(loop, &in->tcp_io);
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
				syslog_conn_accept_failed(in);
			return;
		}
		net_sa_str((struct sockaddr *)&ss, peer, sizeof(peer));
		if (syslog_conn_admit(in, fd, (struct sockaddr *)&ss, peer))
			syslog_conn_new(in, fd, peer, &ss);
	}
}
