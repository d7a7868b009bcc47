/*
 * metrics.c: the metrics listener (metrics.h).  Each connection is one
 * small state machine: READ (the request, bounded) -> WRITE (the whole
 * answer, built at once) -> closed; a timer bounds both.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failover.h"
#include "limit.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "stats.h"
#include "tls_conf.h"

enum mc_state { MC_READ, MC_WRITE };

/* A client is born MC_READ: its memory is zeroed. */
_Static_assert(MC_READ == 0, "MC_READ starts zeroed");

struct mclient {
	unsigned		 magic;		/* MCLIENT_MAGIC */
	struct metrics		*m;
	struct mclient		*next, **prevp;
	enum mc_state		 state;
	int			 fd;
	ev_io			 io;
	ev_timer		 tmr;
	char			 req[METRICS_REQ_MAX];
	size_t			 rlen;
	char			*out;
	size_t			 olen, ooff;
};

#define METRICS_MAGIC	0x4d747263u	/* "Mtrc" */
#define MCLIENT_MAGIC	0x4d636c74u	/* "Mclt" */

struct metrics {
	unsigned		 magic;
	struct ev_loop		*loop;
	metrics_view_fn		*view;
	void			*arg;		/* ${view}'s */
	struct listener		*l;
	struct mclient		*clients;
	unsigned		 nclients;
};

/* An appender: like snprintf, it counts what would not fit. */
struct mbuf {
	char	*p;
	size_t	 len, off;
};

static void __attribute__((format(printf, 2, 3)))
mb_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->off < b->len ? b->p + b->off : NULL,
	    b->off < b->len ? b->len - b->off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->off += (size_t)n;
}

/* A metric's HELP and TYPE lines. */
static void
mb_head(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric of one value, with its HELP and TYPE lines. */
static void
mb_one(struct mbuf *b, const char *name, const char *type, const char *help,
    unsigned long long v)
{
	mb_head(b, name, type, help);
	mb_printf(b, "%s %llu\n", name, v);
}

/* A metric with two values of one label: "name{label="k1"} v1" ... */
static void
mb_two(struct mbuf *b, const char *name, const char *type, const char *help,
    const char *label, const char *k1, uint64_t v1, const char *k2,
    uint64_t v2)
{
	mb_head(b, name, type, help);
	mb_printf(b, "%s{%s=\"%s\"} %llu\n%s{%s=\"%s\"} %llu\n", name, label,
	    k1, (unsigned long long)v1, name, label, k2,
	    (unsigned long long)v2);
}

/* Counters by reason; the reasons never seen are left out. */
static void
mb_reasons(struct mbuf *b, const char *name, const char *help,
    const uint64_t *v)
{
	mb_head(b, name, "counter", help);
	for (unsigned i = 0; i < STATS_REASONS; i++)
		if (v[i] > 0)
			mb_printf(b, "%s{reason=\"%s\"} %llu\n", name,
			    gw_reason_str(stats_slot_reason(i)),
			    (unsigned long long)v[i]);
}

/* The send-to-ACK histogram. */
static void
mb_ack(struct mbuf *b, const struct stats *s)
{
	const char *n = "gatewayd_ack_latency_seconds";
	uint64_t cum = 0;

	mb_head(b, n, "histogram", "From DATA received from an agent to the "
	    "management server's ACK of it (after its store's commit).");
	for (unsigned i = 0; i < STATS_ACK_BUCKETS; i++) {
		cum += s->ack_le[i];
		mb_printf(b, "%s_bucket{le=\"%g\"} %llu\n", n,
		    stats_ack_bound(i), (unsigned long long)cum);
	}
	mb_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count "
	    "%llu\n", n, (unsigned long long)s->ack_count, n, s->ack_sum, n,
	    (unsigned long long)s->ack_count);
}

/* Certificate and CRL dates (epoch seconds) of one TLS configuration. */
static void
mb_dates(struct mbuf *b, const char *which, const struct tls_conf *tc)
{
	int64_t t;

	if (tc == NULL)
		return;
	if ((t = tls_conf_own_expiry(tc)) != 0)
		mb_printf(b, "gatewayd_certificate_expiry_seconds{cert=\"%s\"} "
		    "%lld\n", which, (long long)t);
}

/* The agents' sessions: how many, admitted, refused, ended. */
static void
mb_agents(struct mbuf *b, const struct metrics_view *v)
{
	const struct stats *s = v->stats;

	mb_two(b, "gatewayd_agents", "gauge", "Agent sessions, by state.",
	    "state", "handshake", v->handshakes, "authenticated",
	    v->agents - v->handshakes);
	mb_one(b, "gatewayd_agents_max", "gauge", "max_agents.",
	    v->max_agents);
	mb_two(b, "gatewayd_connections_silent", "gauge", "Accepted "
	    "connections waiting for their first bytes, by listener.",
	    "listener", "agents", v->silent_agents, "enroll",
	    v->silent_enroll);
	mb_one(b, "gatewayd_agents_accepted_total", "counter",
	    "Agents whose certificate and name were accepted.", s->accepted);
	mb_one(b, "gatewayd_agents_refused_total", "counter",
	    "Agents refused after their handshake (certificate name, policy).",
	    s->refused);
	mb_one(b, "gatewayd_handshakes_resumed_total", "counter",
	    "Accepted agents whose TLS session resumed from a ticket.",
	    s->resumed);
	mb_reasons(b, "gatewayd_handshakes_failed_total", "Agent connections "
	    "that ended before they were accepted, by reason.", s->hs_failed);
	mb_reasons(b, "gatewayd_sessions_closed_total", "Accepted agent "
	    "sessions that ended, by reason.", s->closed);
}

/* What was relayed, and the replay memory that holds it until its ACK. */
static void
mb_traffic(struct mbuf *b, const struct metrics_view *v)
{
	const struct stats *s = v->stats;

	mb_ack(b, s);
	mb_two(b, "gatewayd_frames_total", "counter", "Frames relayed: up "
	    "(agents to management), down (back).", "direction", "up",
	    s->frames_up, "down", s->frames_down);
	mb_two(b, "gatewayd_payload_bytes_total", "counter", "Payload bytes "
	    "relayed: up (DATA, resends included), down (COMMAND).",
	    "direction", "up", s->bytes_up, "down", s->bytes_down);
	mb_two(b, "gatewayd_credit_stalls_total", "counter", "Times an agent "
	    "had to wait for credit: its window used up (ACKs lag), or replay "
	    "memory (buffer_budget) all held or reserved.", "cause", "window",
	    s->stalls_window, "budget", s->stalls_budget);
	mb_one(b, "gatewayd_agents_waiting_for_memory", "gauge",
	    "Agents whose credit waits for replay memory now.", v->starved);
	mb_one(b, "gatewayd_replay_bytes", "gauge",
	    "DATA held until the management server acknowledges it.",
	    v->replay_bytes);
	mb_one(b, "gatewayd_replay_reserved_bytes", "gauge",
	    "Replay memory reserved for credit granted and not yet used "
	    "(max_payload a frame).", v->reserved_bytes);
	mb_one(b, "gatewayd_replay_budget_bytes", "gauge", "buffer_budget: "
	    "replay bytes and reserved bytes stay within it.", v->budget);
	mb_head(b, "gatewayd_limit_hits_total", "counter",
	    "Sessions that hit a limit, by limit.");
	for (int i = 0; i < LIMIT_COUNT; i++)
		mb_printf(b, "gatewayd_limit_hits_total{limit=\"%s\"} %llu\n",
		    limit_name((enum limit)i),
		    (unsigned long long)v->limit_hits[i]);
}

/* The management servers' failures, by server and reason. */
static void
mb_server_failures(struct mbuf *b, const struct metrics_view *v)
{
	mb_head(b, "gatewayd_server_failures_total", "counter",
	    "Times a management server failed, by reason.");
	for (unsigned i = 0; i < v->nsrv; i++)
		for (int r = 0; r < FO_R_MAX; r++)
			if (v->srv[i].downs[r] > 0)
				mb_printf(b, "gatewayd_server_failures_total"
				    "{server=\"%s\",reason=\"%s\"} %llu\n",
				    v->servers[i],
				    fo_reason_str((enum fo_reason)r),
				    (unsigned long long)v->srv[i].downs[r]);
}

/* The links and the management servers they go to. */
static void
mb_servers(struct mbuf *b, const struct metrics_view *v)
{
	const struct stats *s = v->stats;

	mb_two(b, "gatewayd_upstream_links", "gauge", "Upstream links to the "
	    "management server, by readiness.", "state", "ready",
	    v->links_ready, "not_ready", v->links - v->links_ready);
	/* Server addresses are numeric "ip:port": no label escaping. */
	mb_head(b, "gatewayd_server_up", "gauge",
	    "1 if the management server answered its last check.");
	for (unsigned i = 0; i < v->nsrv; i++)
		mb_printf(b, "gatewayd_server_up{server=\"%s\",priority=\"%u\"}"
		    " %d\n", v->servers[i], i, v->srv[i].health == FO_UP);
	mb_head(b, "gatewayd_server_active", "gauge",
	    "1 for the management server the links are on.");
	for (unsigned i = 0; i < v->nsrv; i++)
		mb_printf(b, "gatewayd_server_active{server=\"%s\"} %d\n",
		    v->servers[i], v->active == (int)i);
	mb_head(b, "gatewayd_server_connects_total", "counter",
	    "Times a management server became usable.");
	for (unsigned i = 0; i < v->nsrv; i++)
		mb_printf(b, "gatewayd_server_connects_total{server=\"%s\"} "
		    "%llu\n", v->servers[i],
		    (unsigned long long)v->srv[i].ups);
	mb_server_failures(b, v);
	mb_two(b, "gatewayd_server_moves_total", "counter", "The links moved "
	    "to another management server: failover (to a lower priority), "
	    "failback.", "kind", "failover", s->failovers, "failback",
	    s->failbacks);
	mb_one(b, "gatewayd_server_last_move_seconds", "gauge",
	    "When the links last moved (Unix time; 0: never).",
	    (uint64_t)s->last_move);
}

/* Enrollment, and the dates of the gateway's certificates and CRL. */
static void
mb_enroll_certs(struct mbuf *b, const struct metrics_view *v)
{
	int64_t t0, t1;

	mb_one(b, "gatewayd_enroll_connections", "gauge",
	    "Connections on the enrollment listener.", v->enroll_conns);
	mb_head(b, "gatewayd_enroll_answers_total", "counter",
	    "Answers to enrollment and renewal requests, by status.");
	for (unsigned i = 0; i <= GW_ENROLL_REFUSED; i++)
		mb_printf(b, "gatewayd_enroll_answers_total{status=\"%s\"} "
		    "%llu\n", gw_enroll_status_str(i),
		    (unsigned long long)v->stats->enroll[i]);
	mb_head(b, "gatewayd_certificate_expiry_seconds", "gauge",
	    "When the gateway's own certificates expire (Unix time).");
	mb_dates(b, "agents", v->agent_tls);
	mb_dates(b, "upstream", v->up_tls);
	if (v->agent_tls != NULL && tls_conf_crl_dates(v->agent_tls, &t0,
	    &t1) == 0) {
		mb_one(b, "gatewayd_crl_last_update_seconds", "gauge",
		    "thisUpdate of the agent CRL (Unix time).",
		    (unsigned long long)t0);
		mb_one(b, "gatewayd_crl_next_update_seconds", "gauge",
		    "nextUpdate of the agent CRL (Unix time).",
		    (unsigned long long)t1);
	}
}

/**
 * metrics_render(v, buf, len): the metrics of ${v}, Prometheus text
 * format, into ${buf}.  Return the length it needs (as snprintf: a result
 * of ${len} or more means truncated).
 */
size_t
metrics_render(const struct metrics_view *v, char *buf, size_t len)
{
	struct mbuf b = { buf, len, 0 };

	mb_agents(&b, v);
	mb_traffic(&b, v);
	mb_servers(&b, v);
	mb_enroll_certs(&b, v);
	return b.off;
}

/* ${arg} of a callback: a live client, or abort (a bug). */
static struct mclient *
mc_of(void *arg)
{
	struct mclient *c = arg;

	if (c == NULL || c->magic != MCLIENT_MAGIC) {
		log_errx("event=bug detail=\"metrics client: bad object\"");
		abort();
	}
	return c;
}

static void
mc_close(struct mclient *c)
{
	struct ev_loop *loop = c->m->loop;

	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->tmr);
	close(c->fd);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	c->m->nclients--;
	free(c->out);
	c->magic = 0;
	free(c);
}

/*
 * The answer to the request in c->req: status line, headers, body; one
 * buffer.  /metrics is rendered once to size it and once into it.
 */
static int
mc_answer(struct mclient *c)
{
	struct metrics_view v;
	const char *type = "text/plain; charset=utf-8", *status = "200 OK";
	const char *body = NULL;	/* NULL: the metrics */
	char method[8] = "", path[64], head[256];
	size_t blen;
	int hlen, head_only;

	c->req[c->rlen < sizeof(c->req) ? c->rlen : sizeof(c->req) - 1] = '\0';
	memset(&v, 0, sizeof(v));
	c->m->view(c->m->arg, &v);
	if (sscanf(c->req, "%7s %63s", method, path) != 2) {
		status = "400 Bad Request";
		body = "bad request\n";
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = "405 Method Not Allowed";
		body = "GET or HEAD only\n";
	} else if (strcmp(path, "/metrics") == 0) {
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (strcmp(path, "/healthz") == 0) {
		if (v.links_ready > 0)
			body = "ok\n";
		else {
			status = "503 Service Unavailable";
			body = "no upstream link is ready\n";
		}
	} else {
		status = "404 Not Found";
		body = "/metrics or /healthz\n";
	}
	blen = body != NULL ? strlen(body) : metrics_render(&v, NULL, 0);
	head_only = strcmp(method, "HEAD") == 0;
	hlen = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s"
	    "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    type, blen);
	c->olen = (size_t)hlen + (head_only ? 0 : blen);
	if ((c->out = malloc(c->olen + 1)) == NULL)	/* + render's NUL */
		return -1;
	memcpy(c->out, head, (size_t)hlen);
	if (head_only)
		return 0;
	if (body != NULL)
		memcpy(c->out + hlen, body, blen);
	else if (metrics_render(&v, c->out + hlen, blen + 1) != blen)
		return -1;	/* (cannot change between the two) */
	return 0;
}

/* The one transition: ${c}'s request is read; its answer is written. */
static void
mc_set_writing(struct mclient *c)
{
	struct ev_loop *loop = c->m->loop;

	assert(c->state == MC_READ);
	c->state = MC_WRITE;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(loop, &c->io);
}

static void
mc_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mclient *c = mc_of(w->data);
	ssize_t n;

	(void)loop;
	(void)revents;
	if (c->state == MC_READ) {
		n = read(c->fd, c->req + c->rlen, sizeof(c->req) - c->rlen);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			mc_close(c);
			return;
		}
		c->rlen += (size_t)n;
		if (memmem(c->req, c->rlen, "\r\n\r\n", 4) == NULL &&
		    memmem(c->req, c->rlen, "\n\n", 2) == NULL) {
			if (c->rlen == sizeof(c->req))
				mc_close(c);	/* too long to be ours */
			return;
		}
		if (mc_answer(c) != 0) {
			mc_close(c);
			return;
		}
		mc_set_writing(c);
		return;
	}
	n = write(c->fd, c->out + c->ooff, c->olen - c->ooff);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (c->ooff += (size_t)n) == c->olen)
		mc_close(c);
}

static void
mc_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	mc_close(mc_of(w->data));
}

/* The listener took a connection (listener.c: count, rate, peer gone). */
static void
metrics_accept(void *arg, int fd)
{
	struct metrics *m = arg;
	struct mclient *c;

	if (m->magic != METRICS_MAGIC) {
		log_errx("event=bug detail=\"metrics callback: bad object\"");
		abort();
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);	/* a scraper retries */
		return;
	}
	c->magic = MCLIENT_MAGIC;
	c->m = m;
	c->fd = fd;
	if ((c->next = m->clients) != NULL)
		c->next->prevp = &c->next;
	m->clients = c;
	c->prevp = &m->clients;
	m->nclients++;
	ev_io_init(&c->io, mc_on_io, fd, EV_READ);
	c->io.data = c;
	ev_io_start(m->loop, &c->io);
	ev_timer_init(&c->tmr, mc_on_timeout, METRICS_TIMEOUT, 0.);
	c->tmr.data = c;
	ev_timer_start(m->loop, &c->tmr);
}

/**
 * metrics_new(loop, hits, addr, fn, arg, err, errlen): listen on ${addr}
 * and serve, on ${loop}, the metrics that ${fn}(${arg}) gives at each
 * request; the listener's limit hits count in ${hits}.  Return the
 * listener, or NULL with the reason in ${err}.
 */
struct metrics *
metrics_new(struct ev_loop *loop, struct limits *hits, const char *addr,
    metrics_view_fn *fn, void *arg, char *err, size_t errlen)
{
	struct metrics *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->magic = METRICS_MAGIC;
	m->loop = loop;
	m->view = fn;
	m->arg = arg;
	if ((m->l = listener_new(loop, hits, addr, &(struct listener_limits){
	    .name = "metrics", .count = &m->nclients, .max = METRICS_CLIENTS,
	    .first_byte_timeout = METRICS_TIMEOUT,
	    .max_silent = METRICS_CLIENTS }, metrics_accept, m, err,
	    errlen)) == NULL) {
		free(m);
		return NULL;
	}
	listener_start(m->l);
	return m;
}

/** metrics_free(m): close the listener and its connections; NULL-safe. */
void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	while (m->clients != NULL)
		mc_close(m->clients);
	listener_free(m->l);
	m->magic = 0;
	free(m);
}
