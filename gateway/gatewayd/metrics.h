/*
 * metrics.h: gatewayd's metrics in the Prometheus text format, and its
 * health, on a small HTTP listener of their own ([metrics] listen; off
 * unless set).  GET /metrics and GET /healthz (200 "ok" while an upstream
 * link can take channels, else 503); anything else is 404 or 405.  One
 * request per connection, answered and closed; requests of more than
 * METRICS_REQ_MAX bytes, or slower than METRICS_TIMEOUT, are dropped;
 * at most METRICS_CLIENTS connections at once (listener.c counts them,
 * logs refusals and pauses when accept fails); the HTTP part is the
 * common httpd.h.  No authentication: bind it to loopback or a management
 * interface (SECURITY.md).
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "httpd.h"

#define METRICS_REQ_MAX	HTTPD_REQ_MAX
#define METRICS_TIMEOUT	HTTPD_TIMEOUT
#define METRICS_CLIENTS	HTTPD_CLIENTS

struct fo_peer;
struct stats;
struct limits;
struct metrics;
struct tls_conf;

/*
 * What the metrics show, read when a scrape comes: the counters (stats.h)
 * and the gauges of the modules that own them.  Pointers stay valid until
 * the next event.
 */
struct metrics_view {
	const struct stats	*stats;
	unsigned	 agents, handshakes;	/* sessions; ... in handshake */
	unsigned	 max_agents;
	unsigned	 silent_agents, silent_enroll;	/* listener_silent */
	unsigned	 starved;		/* waiting for replay memory */
	uint64_t	 replay_bytes, reserved_bytes, budget;
	const uint64_t	*limit_hits;		/* LIMIT_COUNT of them */
	unsigned	 links, links_ready;	/* upstream links */
	int		 serving;	/* servers_serving: /healthz */
	const struct fo_peer *srv;		/* servers, priority order */
	char *const	*servers;		/* ... their addresses */
	unsigned	 nsrv;
	int		 active;		/* the links' server, or -1 */
	unsigned	 enroll_conns;
	const struct tls_conf *agent_tls, *up_tls;	/* or NULL */
	unsigned	 worker, nworkers;	/* this process; [gateway] workers */
};

/* Fills ${v} with what is true now; ${arg} is metrics_new()'s. */
typedef void metrics_view_fn(void *arg, struct metrics_view *v);

/**
 * metrics_new(loop, hits, addr, fd, fn, arg, err, errlen): listen on
 * ${addr} (or, ${fd} >= 0, on that listening socket, which it takes) and
 * serve, on ${loop}, the metrics that ${fn}(${arg}) gives at each
 * request; the listener's limit hits count in ${hits}.  Return the
 * listener, or NULL with the reason in ${err}.
 */
struct metrics *metrics_new(struct ev_loop *loop, struct limits *hits,
    const char *addr, int fd, metrics_view_fn *fn, void *arg, char *err,
    size_t errlen);

/**
 * metrics_render(v, buf, len): the metrics of ${v}, Prometheus text
 * format, into ${buf}.  Return the length it needs (as snprintf: a result
 * of ${len} or more means truncated).
 */
size_t metrics_render(const struct metrics_view *v, char *buf, size_t len);

/** metrics_free(m): close the listener and its connections; NULL-safe. */
void metrics_free(struct metrics *m);

#endif /* GW_METRICS_H */
