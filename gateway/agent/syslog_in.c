/*
 * syslog_in.c: the local syslog input (syslog_in.h): its configuration
 * glue, its listeners, the UDP datagrams, and the events it makes.  The
 * TCP connections are syslog_in_tcp.c's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf_util.h"
#include "log.h"
#include "net.h"
#include "syslog_in_impl.h"

/* The input behind a callback's ${arg}; anything else aborts. */
static struct syslog_in *
syslog_in_arg(void *arg)
{
	struct syslog_in *in = arg;

	if (in == NULL || in->magic != SYSLOG_IN_MAGIC)
		abort();
	return in;
}

/* The input behind a const ${arg}; anything else aborts. */
static const struct syslog_in *
syslog_in_carg(const void *arg)
{
	const struct syslog_in *in = arg;

	if (in == NULL || in->magic != SYSLOG_IN_MAGIC)
		abort();
	return in;
}

/**
 * syslog_in_warn_ok(in, w): 1 if a warning of kind ${w} may be logged
 * now (else it is counted as not logged); *quiet says how many were not.
 */
int
syslog_in_warn_ok(struct syslog_in *in, enum syslog_warn w, uint64_t *quiet)
{
	double now = ev_now(in->loop);

	if (in->warned[w] != 0 && now - in->warned[w] < SYSLOG_WARN_EVERY) {
		in->quiet[w]++;
		return 0;
	}
	in->warned[w] = now;
	*quiet = in->quiet[w];
	in->quiet[w] = 0;
	return 1;
}

/* ${v}, if present, as member ${key}. */
static void
put_view(struct event *e, const char *key, const struct syslog_view *v)
{
	if (v->p != NULL)
		event_bytes(e, key, v->p, v->len);
}

/* The event of message ${m} in in->ev: its length. */
static size_t
syslog_in_event(struct syslog_in *in, const struct syslog_msg *m, int cut,
    const char *transport, const char *peer, double ts)
{
	struct event *e = &in->ev;

	event_begin(e, "syslog", "syslog", ts);
	event_str(e, "format", syslog_format_str(m->format));
	event_str(e, "transport", transport);
	event_str(e, "peer", peer);
	if (m->facility >= 0) {
		event_int(e, "facility", m->facility);
		event_str(e, "facility_name", syslog_facility_str(m->facility));
		event_int(e, "severity", m->severity);
		event_str(e, "severity_name", syslog_severity_str(m->severity));
	}
	put_view(e, "timestamp", &m->timestamp);
	put_view(e, "hostname", &m->hostname);
	put_view(e, "app_name", &m->app_name);
	put_view(e, "procid", &m->procid);
	put_view(e, "msgid", &m->msgid);
	put_view(e, "structured_data", &m->sd);
	if (cut)
		event_bool(e, "cut", 1);
	event_bytes(e, "msg", m->msg.p, m->msg.len);
	return event_end(e);
}

/**
 * syslog_in_push(in, p, len, cut, transport, peer, ts): parse the
 * message of ${len} bytes at ${p} (a frame, or a datagram), make it an
 * event and push it: SINK_OK, SINK_FULL or SINK_ERR.  Counted received
 * (and cut) when it went.
 */
int
syslog_in_push(struct syslog_in *in, const uint8_t *p, size_t len, int cut,
    const char *transport, const char *peer, double ts)
{
	struct syslog_msg m;
	uint64_t quiet;
	size_t n;
	int rc;

	len = syslog_trim(p, len);
	(void)syslog_parse(p, len, &m);
	n = syslog_in_event(in, &m, cut, transport, peer, ts);
	if ((rc = sink_push(in->sink, in->ev.buf, n)) != SINK_OK)
		return rc;
	in->st.received++;
	if (cut) {
		in->st.cut++;
		if (syslog_in_warn_ok(in, SYSLOG_W_CUT, &quiet))
			log_warnx("event=syslog_cut transport=%s peer=%s "
			    "max_message=%zu cut=%llu not_logged=%llu",
			    transport, peer, in->conf.max_message,
			    (unsigned long long)in->st.cut,
			    (unsigned long long)quiet);
	}
	return SINK_OK;
}

/** syslog_in_commit(in): sink_commit(); on failure, log nothing more. */
void
syslog_in_commit(struct syslog_in *in)
{
	(void)sink_commit(in->sink);
}

/**
 * syslog_in_refused(in, transport, peer): a sender not on the allow list:
 * counted, logged now and then.
 */
void
syslog_in_refused(struct syslog_in *in, const char *transport,
    const char *peer)
{
	uint64_t quiet;

	in->st.refused++;
	if (syslog_in_warn_ok(in, transport[0] == 'u' ?
	    SYSLOG_W_REFUSED_UDP : SYSLOG_W_REFUSED_TCP, &quiet))
		log_warnx("event=syslog_refused transport=%s peer=%s "
		    "refused=%llu not_logged=%llu", transport, peer,
		    (unsigned long long)in->st.refused,
		    (unsigned long long)quiet);
}

/*
 * One datagram of ${n} bytes from ${sa}: SINK_OK if pushed, SINK_ERR if
 * the sink failed, else SINK_FULL (dropped or refused: counted).
 */
static int
syslog_in_dgram(struct syslog_in *in, size_t n, const struct sockaddr *sa)
{
	char peer[SYSLOG_PEER_MAX];
	uint64_t quiet;
	int cut = 0, rc;

	net_sa_str(sa, peer, sizeof(peer));
	if (!syslog_allowed(in->conf.allow, in->conf.nallow, sa)) {
		syslog_in_refused(in, "udp", peer);
		return SINK_FULL;
	}
	n = syslog_trim(in->dgram, n);
	if (n > in->conf.max_message) {
		n = in->conf.max_message;
		cut = 1;
	}
	rc = syslog_in_push(in, in->dgram, n, cut, "udp", peer,
	    ev_time());
	if (rc == SINK_FULL) {
		in->st.dropped++;
		if (syslog_in_warn_ok(in, SYSLOG_W_DROPPED, &quiet))
			log_warnx("event=syslog_dropped transport=udp "
			    "peer=%s why=full dropped=%llu not_logged=%llu",
			    peer, (unsigned long long)in->st.dropped,
			    (unsigned long long)quiet);
	}
	return rc;
}

/* Datagrams are waiting: take a burst of them, then commit. */
static void
syslog_in_udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct syslog_in *in = syslog_in_arg(w->data);
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t n;
	int i, rc, pushed = 0;

	(void)loop;
	(void)revents;
	for (i = 0; i < SYSLOG_BURST && in->udp_fd >= 0; i++) {
		sl = sizeof(ss);
		n = recvfrom(in->udp_fd, in->dgram, sizeof(in->dgram), 0,
		    (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("event=syslog_recv_failed");
			break;
		}
		rc = syslog_in_dgram(in, (size_t)n, (struct sockaddr *)&ss);
		if (rc == SINK_ERR)
			break;
		pushed += rc == SINK_OK;
	}
	if (pushed > 0)
		syslog_in_commit(in);
}

/* A TCP connection is waiting on the listener. */
static void
syslog_in_tcp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	syslog_conn_accept(syslog_in_arg(w->data));
}

/* A UDP socket bound to ${addr}, or -1 with "bind ADDR: why" in ${err}. */
static int
syslog_udp_open(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (net_parse_addr(addr, &ss, &sl) != 0) {
		snprintf(err, errlen, "bind udp %s: bad address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		snprintf(err, errlen, "bind udp %s: %s", addr,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * The receive buffer of UDP socket ${fd}: ${size} bytes (0: leave the
 * system's).  SO_RCVBUFFORCE passes net.core.rmem_max where the agent
 * may (CAP_NET_ADMIN); else the kernel caps SO_RCVBUF to it.  Logged
 * with what the kernel gave.
 */
static void
syslog_udp_buffer(int fd, size_t size)
{
	int v = (int)size, got = 0;
	socklen_t sl = sizeof(got);

	if (size == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) != 0) {
		log_warn("event=syslog_udp_buffer_failed want=%zu", size);
		return;
	}
	(void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &sl);
	log_info("event=syslog_udp_buffer want=%zu got=%d", size, got);
}

/* Stop watching and close the listener ${fd} (if open). */
static void
syslog_in_unlisten(struct syslog_in *in, ev_io *io, int *fd)
{
	if (io == &in->tcp_io)
		ev_timer_stop(in->loop, &in->accept_pause);
	ev_io_stop(in->loop, io);
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Watch ${fd} (the udp or tcp listener) from now on. */
static void
syslog_in_listen(struct syslog_in *in, ev_io *io, int *fd, int newfd)
{
	syslog_in_unlisten(in, io, fd);
	*fd = newfd;
	if (newfd >= 0) {
		ev_io_set(io, newfd, EV_READ);
		ev_io_start(in->loop, io);
	}
}

/*
 * A bind to ${want} failed (${err}) while ${old} listens: when both are
 * on one port, say that the old socket holds it (a new address on the
 * same port, e.g. 0.0.0.0:P to 127.0.0.1:P, needs a restart: closing
 * the old first could leave no listener at all if the bind failed).
 */
static void
syslog_in_bind_hint(const char *old, const char *want, int oldfd,
    char *err, size_t errlen)
{
	const char *a, *b;
	size_t n;

	if (old == NULL || oldfd < 0 || (a = strrchr(old, ':')) == NULL ||
	    (b = strrchr(want, ':')) == NULL || strcmp(a, b) != 0)
		return;
	n = strlen(err);
	if (n < errlen)
		snprintf(err + n, errlen - n, " (the running listener %s holds "
		    "the port: restart gw-agent to change the address on the "
		    "same port)", old);
}

/*
 * The sockets of ${conf} that ${in} lacks (an address new or changed),
 * opened before any is swapped in: 0, or -1 with ${err} and nothing
 * changed.  A new TCP listener bumps in->tcp_gen.
 */
static int
syslog_in_bind(struct syslog_in *in, const struct syslog_conf *conf,
    char *err, size_t errlen)
{
	int ufd = -1, tfd = -1, uchg, tchg;

#define CHANGED(a, b) ((a) == NULL ? (b) != NULL : \
	    (b) == NULL || strcmp((a), (b)) != 0)
	uchg = CHANGED(in->conf.udp, conf->udp) || in->udp_fd < 0;
	tchg = CHANGED(in->conf.tcp, conf->tcp) || in->tcp_fd < 0;
#undef CHANGED
	if (uchg && conf->udp != NULL &&
	    (ufd = syslog_udp_open(conf->udp, err, errlen)) < 0) {
		syslog_in_bind_hint(in->conf.udp, conf->udp, in->udp_fd, err,
		    errlen);
		return -1;
	}
	if (tchg && conf->tcp != NULL &&
	    (tfd = net_listen(conf->tcp, err, errlen)) < 0) {
		syslog_in_bind_hint(in->conf.tcp, conf->tcp, in->tcp_fd, err,
		    errlen);
		if (ufd >= 0)
			close(ufd);
		return -1;
	}
	if (uchg)
		syslog_in_listen(in, &in->udp_io, &in->udp_fd, ufd);
	if (in->udp_fd >= 0 && (uchg || conf->udp_buffer !=
	    in->conf.udp_buffer))
		syslog_udp_buffer(in->udp_fd, conf->udp_buffer);
	if (tchg) {
		syslog_in_listen(in, &in->tcp_io, &in->tcp_fd, tfd);
		in->tcp_gen++;
	}
	return 0;
}

/* conf_new: the defaults (no listener yet). */
static void *
syslog_in_conf_new(const char *dir)
{
	struct syslog_conf *c;

	(void)dir;
	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	syslog_conf_init(c);
	return c;
}

static int
syslog_in_conf_set(void *conf, const char *name, const char *key,
    const char *value, char *why, size_t whylen)
{
	(void)name;
	return syslog_conf_set(conf, key, value, why, whylen);
}

static int
syslog_in_conf_check(void *conf, const struct conf_report *rep)
{
	return syslog_conf_check(conf, rep);
}

static void
syslog_in_conf_free(void *conf)
{
	if (conf == NULL)
		return;
	syslog_conf_clear(conf);
	free(conf);
}

static int
syslog_in_conf_any(const void *conf)
{
	const struct syslog_conf *c = conf;

	return c->udp != NULL || c->tcp != NULL;
}

static void syslog_in_free(void *arg);

/*
 * Enough descriptors for ${conns} connections and some more: the soft
 * RLIMIT_NOFILE raised to the hard limit if it is short (warned if even
 * that is).
 */
static void
syslog_in_nofile(unsigned conns)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)conns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		log_warnx("event=syslog_nofile_short max_connections=%u "
		    "need=%llu hard=%llu", conns, (unsigned long long)need,
		    (unsigned long long)rl.rlim_max);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("event=syslog_nofile_failed need=%llu",
		    (unsigned long long)need);
	else
		log_info("event=syslog_nofile soft=%llu",
		    (unsigned long long)rl.rlim_cur);
}

/* start: bind what ${conf} names and watch it. */
static void *
syslog_in_start(struct ev_loop *loop, struct sink *sink, const void *conf,
    char *err, size_t errlen)
{
	const struct syslog_conf *c = conf;
	struct syslog_in *in;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "syslog: out of memory");
		return NULL;
	}
	in->magic = SYSLOG_IN_MAGIC;
	in->loop = loop;
	in->sink = sink;
	in->udp_fd = in->tcp_fd = -1;
	TAILQ_INIT(&in->conns);
	ev_io_init(&in->udp_io, syslog_in_udp_cb, -1, EV_READ);
	ev_io_init(&in->tcp_io, syslog_in_tcp_cb, -1, EV_READ);
	in->udp_io.data = in->tcp_io.data = in;
	ev_init(&in->accept_pause, syslog_conn_pause_cb);
	in->accept_pause.data = in;
	if (syslog_conf_copy(&in->conf, c) != 0) {
		snprintf(err, errlen, "syslog: out of memory");
		free(in);
		return NULL;
	}
	if (syslog_in_bind(in, c, err, errlen) != 0) {
		syslog_in_free(in);
		return NULL;
	}
	if (c->tcp != NULL)
		syslog_in_nofile(c->max_connections);
	log_info("event=syslog_start udp=%s tcp=%s allow=%zu max_message=%zu "
	    "max_connections=%u idle_timeout=%.3f",
	    c->udp ? c->udp : "-", c->tcp ? c->tcp : "-", c->nallow,
	    c->max_message, c->max_connections, c->idle_timeout);
	return in;
}

/*
 * reload: new listeners where the addresses changed (the old ones close
 * once the new ones are bound, and the connections they accepted with
 * them); the allow list (connections from senders it no longer names are
 * closed), bounds and idle timeout apply at once (max_message to
 * connections opened from now on).
 */
static int
syslog_in_reload(void *arg, const void *conf, char *err, size_t errlen)
{
	struct syslog_in *in = syslog_in_arg(arg);
	struct syslog_conf next;
	unsigned closed;

	if (in->stopped) {
		snprintf(err, errlen, "syslog: stopped");
		return -1;
	}
	if (syslog_conf_copy(&next, conf) != 0) {
		snprintf(err, errlen, "syslog: out of memory");
		return -1;
	}
	if (syslog_in_bind(in, &next, err, errlen) != 0) {
		syslog_conf_clear(&next);
		return -1;
	}
	syslog_conf_clear(&in->conf);
	in->conf = next;
	syslog_conn_idle(in, next.idle_timeout);
	closed = syslog_conn_reloaded(in);
	if (next.tcp != NULL)
		syslog_in_nofile(next.max_connections);
	log_info("event=syslog_reload udp=%s tcp=%s allow=%zu "
	    "max_message=%zu max_connections=%u idle_timeout=%.3f "
	    "conns_closed=%u conns=%u", next.udp ? next.udp : "-",
	    next.tcp ? next.tcp : "-", next.nallow, next.max_message,
	    next.max_connections, next.idle_timeout, closed, in->nconns);
	return 0;
}

/* stop: close the listeners and every connection; say what was done. */
static void
syslog_in_stop(void *arg)
{
	struct syslog_in *in = syslog_in_arg(arg);

	if (in->stopped)
		return;
	in->stopped = 1;
	syslog_in_unlisten(in, &in->udp_io, &in->udp_fd);
	syslog_in_unlisten(in, &in->tcp_io, &in->tcp_fd);
	while (!TAILQ_EMPTY(&in->conns))
		syslog_conn_close(TAILQ_FIRST(&in->conns), "stop");
	log_info("event=syslog_stop received=%llu cut=%llu dropped=%llu "
	    "refused=%llu conns_accepted=%llu conns_refused=%llu "
	    "conns_evicted=%llu conns_timed_out=%llu conns_reload=%llu "
	    "accept_errors=%llu read_errors=%llu frame_errors=%llu "
	    "incomplete=%llu "
	    "discarded=%llu discarded_bytes=%llu",
	    (unsigned long long)in->st.received,
	    (unsigned long long)in->st.cut,
	    (unsigned long long)in->st.dropped,
	    (unsigned long long)in->st.refused,
	    (unsigned long long)in->st.conns_accepted,
	    (unsigned long long)in->st.conns_refused,
	    (unsigned long long)in->st.conns_evicted,
	    (unsigned long long)in->st.conns_timed_out,
	    (unsigned long long)in->st.conns_reload,
	    (unsigned long long)in->st.accept_errors,
	    (unsigned long long)in->st.read_errors,
	    (unsigned long long)in->st.frame_errors,
	    (unsigned long long)in->st.incomplete,
	    (unsigned long long)in->st.discarded,
	    (unsigned long long)in->st.discarded_bytes);
}

static void
syslog_in_free(void *arg)
{
	struct syslog_in *in;

	if (arg == NULL)
		return;
	in = syslog_in_arg(arg);
	syslog_in_stop(in);
	syslog_conf_clear(&in->conf);
	in->magic = 0;
	free(in);
}

/** syslog_in_stats(in, st): the counters of input ${in} (from start). */
void
syslog_in_stats(const void *in, struct syslog_stats *st)
{
	*st = syslog_in_carg(in)->st;
}

const struct input_ops syslog_input_ops = {
	.section = "syslog",
	.named = 0,
	.conf_new = syslog_in_conf_new,
	.conf_set = syslog_in_conf_set,
	.conf_check = syslog_in_conf_check,
	.conf_free = syslog_in_conf_free,
	.conf_any = syslog_in_conf_any,
	.start = syslog_in_start,
	.reload = syslog_in_reload,
	.stop = syslog_in_stop,
	.free = syslog_in_free,
};
