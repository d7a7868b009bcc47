/*
 * metrics.c: gatewayd's metrics and health (metrics.h): what they say; the
 * HTTP part is the common httpd.c, behind the listener of listener.c
 * (its limits and counted refusals).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failover.h"
#include "httpd.h"
#include "limit.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "prom.h"
#include "proto.h"
#include "stats.h"
#include "tls_conf.h"

#define METRICS_MAGIC	0x4d747263u	/* "Mtrc" */

struct metrics {
	unsigned		 magic;		/* METRICS_MAGIC */
	metrics_view_fn		*view;
	void			*arg;		/* ${view}'s */
	struct httpd		*h;
	struct listener		*l;
};

/* Counters by reason; the reasons never seen are left out. */
static void
mb_reasons(struct prom_buf *b, const char *name, const char *help,
    const uint64_t *v)
{
	prom_head(b, name, "counter", help);
	for (unsigned i = 0; i < STATS_REASONS; i++)
		if (v[i] > 0)
			prom_printf(b, "%s{reason=\"%s\"} %llu\n", name,
			    gw_reason_str(stats_slot_reason(i)),
			    (unsigned long long)v[i]);
}

/* The send-to-ACK histogram. */
static void
mb_ack(struct prom_buf *b, const struct stats *s)
{
	const char *n = "gatewayd_ack_latency_seconds";
	uint64_t cum = 0;

	prom_head(b, n, "histogram", "From DATA received from an agent to the "
	    "management server's ACK of it (after its store's commit).");
	for (unsigned i = 0; i < STATS_ACK_BUCKETS; i++) {
		cum += s->ack_le[i];
		prom_printf(b, "%s_bucket{le=\"%g\"} %llu\n", n,
		    stats_ack_bound(i), (unsigned long long)cum);
	}
	prom_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count "
	    "%llu\n", n, (unsigned long long)s->ack_count, n, s->ack_sum, n,
	    (unsigned long long)s->ack_count);
}

/* gatewayd's own share of the latency: its residence time each way. */
static void
mb_residence(struct prom_buf *b, const struct stats *s)
{
	const struct stats_hist *d = &s->res[STATS_RES_DATA];
	const struct stats_hist *a = &s->res[STATS_RES_ACK];

	prom_lat_hist(b, "gatewayd_data_residence_seconds", "From DATA read "
	    "from an agent (the loop's wake-up) to its write on the upstream "
	    "link (resends included).", d->le, d->count, d->sum);
	prom_lat_hist(b, "gatewayd_ack_residence_seconds", "From an ACK read "
	    "from the upstream link (the loop's wake-up) to its write to the "
	    "agent.", a->le, a->count, a->sum);
}

/* Certificate and CRL dates (epoch seconds) of one TLS configuration. */
static void
mb_dates(struct prom_buf *b, const char *which, const struct tls_conf *tc)
{
	int64_t t;

	if (tc == NULL)
		return;
	if ((t = tls_conf_own_expiry(tc)) != 0)
		prom_printf(b, "gatewayd_certificate_expiry_seconds{cert=\"%s\"} "
		    "%lld\n", which, (long long)t);
}

/* The agents' sessions: how many, admitted, refused, ended. */
static void
mb_agents(struct prom_buf *b, const struct metrics_view *v)
{
	const struct stats *s = v->stats;

	prom_two(b, "gatewayd_agents", "gauge", "Agent sessions, by state.",
	    "state", "handshake", v->handshakes, "authenticated",
	    v->agents - v->handshakes);
	prom_head(b, "gatewayd_workers", "gauge", "Processes serving agents "
	    "([gateway] workers); the label: this one's index (each serves "
	    "its own metrics, on [metrics] listen's port + its index).");
	prom_printf(b, "gatewayd_workers{worker=\"%u\"} %u\n", v->worker,
	    v->nworkers);
	prom_one(b, "gatewayd_agents_max", "gauge", "max_agents.",
	    v->max_agents);
	prom_two(b, "gatewayd_connections_silent", "gauge", "Accepted "
	    "connections waiting for their first bytes, by listener.",
	    "listener", "agents", v->silent_agents, "enroll",
	    v->silent_enroll);
	prom_one(b, "gatewayd_agents_accepted_total", "counter",
	    "Agents whose certificate and name were accepted.", s->accepted);
	prom_one(b, "gatewayd_agents_refused_total", "counter",
	    "Agents refused after their handshake (certificate name, policy).",
	    s->refused);
	prom_one(b, "gatewayd_handshakes_resumed_total", "counter",
	    "Accepted agents whose TLS session resumed from a ticket.",
	    s->resumed);
	mb_reasons(b, "gatewayd_handshakes_failed_total", "Agent connections "
	    "that ended before they were accepted, by reason.", s->hs_failed);
	mb_reasons(b, "gatewayd_sessions_closed_total", "Accepted agent "
	    "sessions that ended, by reason.", s->closed);
}

/* What was relayed, and the replay memory that holds it until its ACK. */
static void
mb_traffic(struct prom_buf *b, const struct metrics_view *v)
{
	const struct stats *s = v->stats;

	mb_ack(b, s);
	mb_residence(b, s);
	prom_two(b, "gatewayd_frames_total", "counter", "Frames relayed: up "
	    "(agents to management), down (back).", "direction", "up",
	    s->frames_up, "down", s->frames_down);
	prom_two(b, "gatewayd_payload_bytes_total", "counter", "Payload bytes "
	    "relayed: up (DATA, resends included), down (COMMAND).",
	    "direction", "up", s->bytes_up, "down", s->bytes_down);
	prom_two(b, "gatewayd_credit_stalls_total", "counter", "Times an agent "
	    "had to wait for credit: its window used up (ACKs lag), or replay "
	    "memory (buffer_budget) all held or reserved.", "cause", "window",
	    s->stalls_window, "budget", s->stalls_budget);
	prom_one(b, "gatewayd_agents_waiting_for_memory", "gauge",
	    "Agents whose credit waits for replay memory now.", v->starved);
	prom_one(b, "gatewayd_replay_bytes", "gauge",
	    "DATA held until the management server acknowledges it.",
	    v->replay_bytes);
	prom_one(b, "gatewayd_replay_reserved_bytes", "gauge",
	    "Replay memory reserved for credit granted and not yet used "
	    "(max_payload a frame).", v->reserved_bytes);
	prom_one(b, "gatewayd_replay_budget_bytes", "gauge", "buffer_budget: "
	    "replay bytes and reserved bytes stay within it.", v->budget);
	prom_head(b, "gatewayd_limit_hits_total", "counter",
	    "Sessions that hit a limit, by limit.");
	for (int i = 0; i < LIMIT_COUNT; i++)
		prom_printf(b, "gatewayd_limit_hits_total{limit=\"%s\"} %llu\n",
		    limit_name((enum limit)i),
		    (unsigned long long)v->limit_hits[i]);
}

/* The management servers' failures, by server and reason. */
static void
mb_server_failures(struct prom_buf *b, const struct metrics_view *v)
{
	prom_head(b, "gatewayd_server_failures_total", "counter",
	    "Times a management server failed, by reason.");
	for (unsigned i = 0; i < v->nsrv; i++)
		for (int r = 0; r < FO_R_MAX; r++)
			if (v->srv[i].downs[r] > 0)
				prom_printf(b, "gatewayd_server_failures_total"
				    "{server=\"%s\",reason=\"%s\"} %llu\n",
				    v->servers[i],
				    fo_reason_str((enum fo_reason)r),
				    (unsigned long long)v->srv[i].downs[r]);
}

/* The links and the management servers they go to. */
static void
mb_servers(struct prom_buf *b, const struct metrics_view *v)
{
	const struct stats *s = v->stats;

	prom_two(b, "gatewayd_upstream_links", "gauge", "Upstream links to the "
	    "management server, by readiness.", "state", "ready",
	    v->links_ready, "not_ready", v->links - v->links_ready);
	/*
	 * Server addresses are "ip:port" or "name:port" (net_dial_addr_ok:
	 * letters, digits, ".-:[]"): no label escaping.
	 */
	prom_head(b, "gatewayd_server_up", "gauge",
	    "1 if the management server answered its last check.");
	for (unsigned i = 0; i < v->nsrv; i++)
		prom_printf(b, "gatewayd_server_up{server=\"%s\",priority=\"%u\"}"
		    " %d\n", v->servers[i], i, v->srv[i].health == FO_UP);
	prom_head(b, "gatewayd_server_active", "gauge",
	    "1 for the management server the links are on.");
	for (unsigned i = 0; i < v->nsrv; i++)
		prom_printf(b, "gatewayd_server_active{server=\"%s\"} %d\n",
		    v->servers[i], v->active == (int)i);
	prom_head(b, "gatewayd_server_connects_total", "counter",
	    "Times a management server became usable.");
	for (unsigned i = 0; i < v->nsrv; i++)
		prom_printf(b, "gatewayd_server_connects_total{server=\"%s\"} "
		    "%llu\n", v->servers[i],
		    (unsigned long long)v->srv[i].ups);
	mb_server_failures(b, v);
	prom_two(b, "gatewayd_server_moves_total", "counter", "The links moved "
	    "to another management server: failover (to a lower priority), "
	    "failback.", "kind", "failover", s->failovers, "failback",
	    s->failbacks);
	prom_one(b, "gatewayd_server_last_move_seconds", "gauge",
	    "When the links last moved (Unix time; 0: never).",
	    (uint64_t)s->last_move);
}

/* Enrollment, and the dates of the gateway's certificates and CRL. */
static void
mb_enroll_certs(struct prom_buf *b, const struct metrics_view *v)
{
	int64_t t0, t1;

	prom_one(b, "gatewayd_enroll_connections", "gauge",
	    "Connections on the enrollment listener.", v->enroll_conns);
	prom_head(b, "gatewayd_enroll_answers_total", "counter",
	    "Answers to enrollment and renewal requests, by status.");
	for (unsigned i = 0; i <= GW_ENROLL_REFUSED; i++)
		prom_printf(b, "gatewayd_enroll_answers_total{status=\"%s\"} "
		    "%llu\n", gw_enroll_status_str(i),
		    (unsigned long long)v->stats->enroll[i]);
	prom_head(b, "gatewayd_certificate_expiry_seconds", "gauge",
	    "When the gateway's own certificates expire (Unix time).");
	mb_dates(b, "agents", v->agent_tls);
	mb_dates(b, "upstream", v->up_tls);
	if (v->agent_tls != NULL && tls_conf_crl_dates(v->agent_tls, &t0,
	    &t1) == 0) {
		prom_one(b, "gatewayd_crl_last_update_seconds", "gauge",
		    "thisUpdate of the agent CRL (Unix time).",
		    (unsigned long long)t0);
		prom_one(b, "gatewayd_crl_next_update_seconds", "gauge",
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
	struct prom_buf b = { buf, len, 0 };

	mb_agents(&b, v);
	mb_traffic(&b, v);
	mb_servers(&b, v);
	mb_enroll_certs(&b, v);
	return b.off;
}

/* httpd_answer_fn: /metrics and /healthz, from what is true now. */
static int
metrics_answer(void *arg, const char *path, struct httpd_answer *a)
{
	struct metrics *m = arg;
	struct metrics_view v;
	char *body;
	size_t len;

	if (m == NULL || m->magic != METRICS_MAGIC) {
		log_errx("event=bug detail=\"metrics callback: bad object\"");
		abort();
	}
	memset(&v, 0, sizeof(v));
	m->view(m->arg, &v);
	if (strcmp(path, "/metrics") == 0) {
		len = metrics_render(&v, NULL, 0);
		if ((body = malloc(len + 1)) == NULL)	/* + render's NUL */
			return -1;
		metrics_render(&v, body, len + 1);
		httpd_body(a, 200, "text/plain; version=0.0.4; charset=utf-8",
		    body, len);
	} else if (strcmp(path, "/healthz") == 0) {
		if (v.serving)	/* the cut-off's own test (servers.c) */
			httpd_text(a, 200, "ok\n");
		else
			httpd_text(a, 503, "no upstream link is ready\n");
	} else
		httpd_text(a, 404, "/metrics or /healthz\n");
	return 0;
}

/* The listener took a connection (listener.c: count, rate, peer gone). */
static void
metrics_on_accept(void *arg, int fd)
{
	struct metrics *m = arg;

	if (m == NULL || m->magic != METRICS_MAGIC) {
		log_errx("event=bug detail=\"metrics callback: bad object\"");
		abort();
	}
	httpd_accept(m->h, fd);
}

/**
 * metrics_new(loop, hits, addr, fd, fn, arg, err, errlen): listen on
 * ${addr} (or, ${fd} >= 0, on that listening socket, which it takes) and
 * serve, on ${loop}, the metrics that ${fn}(${arg}) gives at each
 * request; the listener's limit hits count in ${hits}.  Return the
 * listener, or NULL with the reason in ${err}.
 */
struct metrics *
metrics_new(struct ev_loop *loop, struct limits *hits, const char *addr,
    int fd, metrics_view_fn *fn, void *arg, char *err, size_t errlen)
{
	struct metrics *m;

	if (fd < 0 && (fd = net_listen(addr, err, errlen)) < 0)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->h = httpd_new(loop, metrics_answer, m)) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		free(m);
		close(fd);
		return NULL;
	}
	m->magic = METRICS_MAGIC;
	m->view = fn;
	m->arg = arg;
	if ((m->l = listener_new_fd(loop, hits, fd, &(struct listener_limits){
	    .name = "metrics", .count = httpd_clients(m->h),
	    .max = METRICS_CLIENTS, .first_byte_timeout = METRICS_TIMEOUT,
	    .max_silent = METRICS_CLIENTS }, metrics_on_accept, m, err,
	    errlen)) == NULL) {
		httpd_free(m->h);
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
	listener_free(m->l);
	httpd_free(m->h);
	m->magic = 0;
	free(m);
}
